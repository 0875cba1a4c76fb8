"""Declared settings of the activation-atlas page (pages/activation_atlas.py)."""

from __future__ import annotations

from lessons.atlas import layout as atlas_layout
from lessons.atlas import pipeline as atlas_pipeline
from ui.models import model_settings
from ui.state import PageState, choice, flag, integer

NETWORKS = ("efficientnet_lite0", "digit_cnn")
#: UMAP's min_dist values on the slider, as written in a link.
MIN_DISTS = tuple(str(value) for value in (0.0, 0.01, 0.05, 0.1, 0.25, 0.5))

STATE = PageState(
    "atlas_",
    *model_settings("atlas_network", NETWORKS, "efficientnet_lite0"),
    choice("atlas_layer", resets_with=("atlas_network",)),  # options: the network's spatial layers
    integer("atlas_images", 2000, 300, 4000, step=100),
    choice("atlas_recipe", atlas_pipeline.DEFAULT_RECIPE, list(atlas_pipeline.RECIPES)),
    integer("atlas_grid", 10, 8, 20),
    integer("atlas_min_count", 5, 1, 30),
    choice("atlas_method", "umap", atlas_layout.LAYOUTS),
    # the UMAP knobs start at the chosen recipe's presets (bound on the page) and return to them with the recipe
    integer("atlas_neighbors", None, 2, 100, resets_with=("atlas_recipe",)),
    choice("atlas_min_dist", resets_with=("atlas_recipe",)),  # options: MIN_DISTS, bound with the preset
    integer("atlas_steps", 64, 8, 256, step=8),
    integer("atlas_seed", 0, 0, 999),
    # what the built atlas shows: bound to its cells and classes once it exists
    integer("atlas_cell", 0, 0, None),
    choice("atlas_class"),
    choice("atlas_first"),
    choice("atlas_second"),
    flag("atlas_sensitivity", False),  # three extra UMAP runs, shared once computed (ui.atlas_views)
)
