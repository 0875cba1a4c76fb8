"""Fixtures shared by the lesson tests: the registry models, loaded once per session on the CPU."""

from __future__ import annotations

import pytest

from lessons.core import registry


@pytest.fixture(scope="session")
def lite() -> registry.LoadedModel:
    """The pretrained EfficientNet-Lite0, as every page shares it."""
    return registry.load_model("efficientnet_lite0", "pretrained", device_name="cpu")


@pytest.fixture(scope="session")
def digits() -> registry.LoadedModel:
    """The in-app digit CNN, trained on the shipped MNIST digits."""
    return registry.load_model("digit_cnn", "pretrained", device_name="cpu")
