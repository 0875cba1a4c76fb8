"""The activation-maximisation lesson in the page: runs with a live progress bar and preview, kept for every
session once finished, cached readings of their images, and optimised batches as pictures Streamlit can show."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lessons.actmax import compute as am
from lessons.core import registry
from lessons.core.progress import sub_range
from lessons.optvis import render as R
from ui.progress import progress_bar
from ui.result_store import shared_store

Model = tuple[str, str]  # (registry key, weights)

results = shared_store("activation_maximization", 96)


def pictures(batch: np.ndarray) -> list[np.ndarray]:
    """A (B, H, W, C) batch in [0, 1] as a list of images to show: grey ones as H×W, every value clipped to [0, 1]."""
    return [np.clip(image[..., 0] if image.shape[-1] == 1 else image, 0, 1) for image in batch]


@st.cache_data(max_entries=32, show_spinner=False)
def shipped(key: str, weights_kind: str, size: int) -> tuple[list[str], np.ndarray]:
    """The shipped comparison images at this size (cached)."""
    return am.shipped_images(registry.load_model(key, weights_kind), size)


@st.cache_data(max_entries=64, show_spinner=False)
def features_alike(model: Model, request: am.Request, which: str, layer: str, _images: np.ndarray) -> float:
    """How alike the images made for `request` (`which` of its runs) are at `layer` (cached: no rerun repeats it)."""
    return am.feature_similarity(registry.load_model(*model), layer, _images)


@st.cache_data(max_entries=64, show_spinner=False)
def own_activation(model: Model, request: am.Request, _images: np.ndarray) -> np.ndarray:
    """The unit's own activation for the images a request made, without its diversity term (cached)."""
    return am.unit_scores(registry.load_model(*model), request.unit, _images)


@st.cache_data(max_entries=64, show_spinner=False)
def start_level(model: Model, request: am.Request) -> float:
    """The unit's mean activation for the images the request starts from (cached)."""
    return am.start_score(registry.load_model(*model), request)


def run_with_progress(model: Model, request: am.Request, label: str, live: bool = True) -> R.Result:
    """A stored result, or run it now with a progress bar (and live intermediate images)."""
    found = results.get((model, request))
    if found is not None:
        return found
    if request.method == "generator":
        with st.spinner("Preparing the digit generator (trained once on the shipped digits, then cached)…"):
            am.digit_generator()
    with progress_bar(f"{label}: starting…") as report:
        preview = st.empty() if live else None

        def snapshot(step: int, batch: np.ndarray) -> None:
            if preview is not None:
                preview.image(pictures(batch[:1]), width=160, caption=f"step {step}", clamp=True)

        result = am.run(registry.load_model(*model), request, progress=sub_range(report, 0.0, 1.0, f"{label}: "),
                        on_snapshot=snapshot)
    if preview is not None:
        preview.empty()
    results.put((model, request), result)
    return result
