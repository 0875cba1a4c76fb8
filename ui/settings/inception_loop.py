"""Declared settings of the closing-the-loop lesson (`pages/inception_loop.py`)."""

from __future__ import annotations

from lessons.cortex.data import AREAS
from ui.state import PageState, choice

DATA_LABELS = {"simulated": "Simulated cortex (offline)", "upload": "Your bundle (.zip)",
               "allen": "Real Allen data (download)"}
STEP_CHOICES = ["64", "128", "256"]

STATE = PageState(
    "il_",
    choice("il_data", "simulated", list(DATA_LABELS)),
    choice("il_area", "VISp", list(AREAS)),
    choice("il_steps", "128", STEP_CHOICES),
    choice("il_cell"),  # one of the population's cell ids, as text
)
