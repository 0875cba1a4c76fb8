"""The activation-maximisation lesson in the page: runs through the shared queue with a live progress bar and
preview, kept for every session once finished, cached readings of their images, optimised batches as pictures Streamlit can show (and as
one picture to download), and the objective-over-steps chart."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lessons.actmax import compute as am
from lessons.actmax import plan
from lessons.core import registry
from lessons.core.jobs import Report
from lessons.core.progress import sub_range
from lessons.core.tiles import montage
from lessons.optvis import render as R
from ui.jobs import queued_result
from ui.models import load_with_progress
from ui.result_store import shared_store

Model = tuple[str, str]  # (registry key, weights)

results = shared_store("activation_maximization", 96)


def twin_of(model: Model) -> tuple[Model, str]:
    """The same architecture with the other weights, and how to call it."""
    key, weights = model
    if weights == "pretrained":
        return (key, "random"), "the random-weights twin"
    return (key, "pretrained"), "the trained twin"


def is_stored(model: Model, request: am.Request) -> bool:
    """Whether this run is already finished and kept (by this or any other session)."""
    return (model, request) in results


def comparison_runs(model: Model, request: am.Request, diversity: float, weights: dict[str, float],
                    family: str) -> list[tuple[Model, am.Request]]:
    """Every run the comparisons (a), (c), (d) and (e) need for this request, as the store files them."""
    runs = [(model, r) for r in plan.seed_requests(request)]
    diverse = plan.diverse_request(request, diversity)
    if diverse is not None:
        runs.append((model, diverse))
    runs.append((twin_of(model)[0], plan.twin_request(request)))
    if plan.uses_gradients(request.method):
        runs += [(model, r) for r in plan.prior_requests(request, weights).values()]
    if family == "digits" and request.unit.kind == "class":
        runs += [(model, r) for r in plan.digit_requests(request).values()]
    return runs


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


def queued_run(model: Model, request: am.Request, label: str, live: bool = True,
               page_button: tuple[str, bool] | None = None) -> R.Result | None:
    """A stored result, or None while the optimisation runs through the shared queue (its panel shows the place in
    the queue, progress and, when `live`, the image so far). `page_button`: the page's button that starts the run
    (its label, and whether it was pressed on this run), which also starts it again after a cancel."""
    if request.method == "generator" and not is_stored(model, request):
        load_with_progress("digit_vae", "pretrained")  # trained once on the shipped digits, then cached

    def optimise(report: Report) -> R.Result:
        return am.run(registry.load_model(*model), request, progress=sub_range(report, 0.0, 1.0, f"{label}: "),
                      on_snapshot=lambda step, batch: report.preview((step, batch[:1])))

    def draw(preview: tuple[int, np.ndarray]) -> None:
        st.image(pictures(preview[1]), width=160, caption=f"step {preview[0]}", clamp=True)

    settings = request.settings  # every run of a network costs about the same per step, image and pixel
    cost = settings.steps * settings.batch * (settings.size / 128) ** 2
    return queued_result(results, (model, request), label, optimise, on_preview=draw if live else None,
                         page_button=page_button, kind=f"activation maximisation: {model[0]}", cost=cost)


def strip(images: list[np.ndarray], side: int = 128) -> np.ndarray:
    """Pictures in [0, 1] (as `pictures` gives them) side by side in one uint8 image, each `side` pixels square."""
    as_bytes = [(np.clip(image, 0, 1) * 255).round().astype(np.uint8) for image in images]
    return montage(as_bytes, side=side, pad=4)


def objective_table(history: np.ndarray) -> pd.DataFrame:
    """The objective after every step, as a table (step, objective)."""
    values = np.asarray(history, dtype=float).ravel()
    return pd.DataFrame({"step": np.arange(1, len(values) + 1), "objective": values})


def objective_chart(history: np.ndarray) -> alt.Chart:
    """The objective over the optimisation's steps, as wide as its column."""
    return alt.Chart(objective_table(history)).mark_line().encode(
        x=alt.X("step:Q", title="step"), y=alt.Y("objective:Q", title="objective", axis=alt.Axis(format="~s")),
        tooltip=["step", alt.Tooltip("objective:Q", format=".4g")],
    ).properties(height=180, width="container")
