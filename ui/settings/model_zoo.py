"""Declared settings of the model-zoo lesson (`pages/model_zoo.py`)."""

from __future__ import annotations

from lessons.core import chance
from ui.state import PageState, choice

#: Cells scored per network: fewer is quicker (a small zoo for a first look), more narrows every score.
CELL_LABELS = {"50": "50 cells", "250": "250 cells", "1000": "1,000 cells"}
CELL_COUNTS = {key: int(key) for key in CELL_LABELS}
SHUFFLE_CHOICES = [str(k) for k in (10, chance.SHUFFLES, 50)]

STATE = PageState(
    "zoo_",
    choice("zoo_cells", "250", list(CELL_LABELS)),
    choice("zoo_shuffles", str(chance.SHUFFLES), SHUFFLE_CHOICES),
)
