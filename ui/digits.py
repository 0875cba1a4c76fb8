"""Picking one of the held-out MNIST digits in a page."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lessons.core import data
from ui.images import PickedImage
from ui.state import PageState, Setting, choice, integer

DIGIT_CLASSES = [str(d) for d in range(10)]


def digit_settings(key: str) -> tuple[Setting, Setting]:
    """The declared settings behind `digit_picker(key)`: the digit, and which example of it (range known at run time)."""
    return choice(f"{key}_class", "3", DIGIT_CLASSES), integer(f"{key}_example", 1, 1, None)


def digit_picker(key: str, state: PageState) -> PickedImage:
    """Choose a held-out digit by class and example number (the model never trained on these).

    The page declares both settings with `digit_settings(key)`; the example's range is bound here."""
    _, _, x_test, y_test = data.mnist_split()
    left, right = st.columns(2)
    digit = int(left.selectbox("Digit", DIGIT_CLASSES, key=f"{key}_class"))
    members = np.flatnonzero(y_test == digit)
    state.bind(f"{key}_example", low=1, high=len(members))
    example = right.slider("Example", 1, len(members), key=f"{key}_example")
    index = int(members[example - 1])
    return PickedImage(f"mnist-test:{index}", x_test[index],
                       f"Held-out MNIST digit #{index} (label {digit}) — MNIST, LeCun, Cortes & Burges, CC BY-SA 3.0")
