"""Declared settings of the mouse-cortex lesson (`pages/mouse_cortex.py`)."""

from __future__ import annotations

from lessons.core import chance, registry
from lessons.cortex.compute import DEFAULT_SUBSET, RELIABILITY_STEP, SUBSET_SIZES
from ui.models import model_settings
from ui.state import PageState, choice, integer, number, text

DATA_LABELS = {"simulated": "Simulated cortex (offline)", "upload": "Your bundle (.zip)",
               "allen": "Real Allen data (download)"}
SUBSET_LABELS = {"250": "250 cells", "1000": "1,000 cells", "all": "all cells"}
SHUFFLE_CHOICES = [str(k) for k in (chance.SHUFFLES, 50, 100)]
NETWORKS = registry.model_keys("imagenet")

STATE = PageState(
    "mc_",
    choice("mc_data", "simulated", list(DATA_LABELS)),
    # the cell filters: areas and layers as link text ("" = all; see lessons.cortex.compute.encode_selection), the
    # depth range's ends bound to the data's depths on the page
    text("mc_area_filter"),
    text("mc_layer_filter"),
    integer("mc_depth_min", 0),
    integer("mc_depth_max", 0),
    # The lowest setting shows every cell; it is the data's lowest reliability, bound on the page (hence -inf here).
    number("mc_min_rel", float("-inf"), None, 1.0, step=RELIABILITY_STEP),
    choice("mc_cell"),  # one of the filtered cells' ids, as text
    *model_settings("mc_model", NETWORKS, registry.DEFAULT_MODEL, weights_key="mc_weights"),
    choice("mc_subset", DEFAULT_SUBSET, list(SUBSET_SIZES)),
    choice("mc_shuffles", SHUFFLE_CHOICES[0], SHUFFLE_CHOICES),
    choice("mc_layer"),  # the network's brain layers
    choice("mc_view_cell"),  # the scored cells' ids, as text
    choice("mc_area"),  # the areas RSA can compare
)
