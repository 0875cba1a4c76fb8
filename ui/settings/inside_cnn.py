"""Declared settings of the Inside-a-CNN lesson (`pages/inside_cnn.py`)."""

from __future__ import annotations

from lessons.core import registry
from ui.digits import digit_settings
from ui.images import photo_setting
from ui.models import model_settings
from ui.state import PageState, choice, flag, integer

STATE = PageState(
    "cnn_",
    *model_settings("cnn_model", registry.model_keys(feature_maps=True), registry.DEFAULT_MODEL, weights_key="cnn_weights"),
    photo_setting("cnn_photo"),
    *digit_settings("cnn_digit"),  # cnn_digit_class, cnn_digit_example
    choice("cnn_layer"),  # the network's feature-map layers
    integer("cnn_maps_shown", 16, 4, 64, step=4),
    flag("cnn_shared_scale", True),
    choice("cnn_closer_channel"),  # the strongest channels shown, as text
)
