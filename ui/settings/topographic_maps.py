"""Declared settings of the topographic-maps page (pages/topographic_maps.py)."""

from __future__ import annotations

from lessons.topomap import layouts as topomap_layouts
from ui.models import model_settings
from ui.state import PageState, choice, flag, integer

NETWORKS = ("digit_mlp", "digit_cnn", "efficientnet_lite0")
PROFILE_MODES = ("class_means", "raw")

STATE = PageState(
    "topo_",
    *model_settings("topo_network", NETWORKS, "digit_mlp"),
    choice("topo_layer", resets_with=("topo_network",)),  # options: the network's layers
    integer("topo_per_photo", 12, 4, 32),
    integer("topo_per_class", 100, 10, 100),
    choice("topo_layout", "pca", list(topomap_layouts.LAYOUTS)),
    flag("topo_refined", False),
    choice("topo_metric", "cosine", topomap_layouts.METRICS),
    integer("topo_seed", 0, 0, 999),
    choice("topo_profile", "class_means", PROFILE_MODES),
    flag("topo_correct", False),
    # bound to the number of classes and units of the chosen layer; another network has other classes (digits or
    # photos), so the class goes back to the first one and the unit to unit 0
    integer("topo_colour_class", 0, 0, None, resets_with=("topo_network",)),
    integer("topo_unit", 0, 0, None, resets_with=("topo_network",)),
    # starts at the class with the most errors, which depends on the network and the sampled digits
    integer("topo_error_class", None, 0, None, resets_with=("topo_network", "topo_per_class", "topo_seed")),
)
