"""Declared settings of the attribution page ("Which pixels made the network decide?")."""

from __future__ import annotations

from lessons.attribution.compute import BASELINES, default_window, offered_models
from lessons.core import registry
from ui.digits import digit_settings
from ui.images import photo_setting
from ui.models import model_settings
from ui.state import PageState, choice, flag, integer, number

DEFAULT_WINDOW = default_window(registry.spec_for(registry.DEFAULT_MODEL).input_size)

STATE = PageState(
    "attr_",
    *model_settings("attr_model", offered_models(), registry.DEFAULT_MODEL, weights_key="attr_weights"),
    photo_setting("attr_photo"),
    *digit_settings("attr_digit"),
    choice("attr_target"),  # one of the image's top-5 classes, bound on the page
    integer("attr_noise_samples", 10, 1, 50),
    number("attr_noise_level", 0.15, 0.0, 0.5, step=0.05),
    choice("attr_cam_layer"),  # the network's layers with feature maps, bound on the page
    choice("attr_baseline", "black", BASELINES),
    integer("attr_ig_steps", 32, 4, 128),
    # occlusion patches up to half the input's side (bound on the page); another network starts them afresh
    integer("attr_window", DEFAULT_WINDOW, 2, None, resets_with=("attr_model",)),
    integer("attr_stride", DEFAULT_WINDOW, 1, None, resets_with=("attr_model",)),
    flag("attr_sanity", False),  # the sanity checks (twice the maps' time the first time; kept afterwards)
)
