"""Picking one of the held-out MNIST digits in a page."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lessons.core import data
from ui.images import PickedImage
from ui.state import init_from_url


def digit_picker(key: str) -> PickedImage:
    """Choose a held-out digit by class and example number (the model never trained on these)."""
    _, _, x_test, y_test = data.mnist_split()
    classes = [str(d) for d in range(10)]
    init_from_url(f"{key}_class", classes, "3")
    left, right = st.columns(2)
    digit = int(left.selectbox("Digit", classes, key=f"{key}_class"))
    members = np.flatnonzero(y_test == digit)
    example = right.slider("Example", 1, len(members), 1, key=f"{key}_example")
    index = int(members[example - 1])
    return PickedImage(f"mnist-test:{index}", x_test[index],
                       f"Held-out MNIST digit #{index} (label {digit}) — MNIST, LeCun, Cortes & Burges, CC BY-SA 3.0")
