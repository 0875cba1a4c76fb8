"""Streamlit glue of the closing-the-loop lesson: the population run through the shared queue, its tables, charts
and pictures."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lessons.core import registry
from lessons.core.jobs import Report
from lessons.core.progress import sub_range
from lessons.cortex import inception, loop, mei, neuron_model
from lessons.cortex import simulated as simulated_cortex
from lessons.cortex.data import NeuralBundle
from ui.jobs import queued_result
from ui.result_store import shared_store

RUNS = shared_store("inception_loop_runs", 8)
DIVERSE = shared_store("inception_loop_diverse", 16)


def truth_of(bundle: NeuralBundle) -> simulated_cortex.GroundTruth | None:
    """The simulated cortex's ground truth when `bundle` is the shipped simulated cortex (None for other data)."""
    if not bundle.simulated:
        return None
    truth = simulated_cortex.ground_truth()
    return truth if truth.n_cells == bundle.n_cells else None


def population_run(bundle: NeuralBundle, area: str, steps: int) -> inception.PopulationLoop | None:
    """The area's loop: shipped or cached at once, else computed through the shared queue (None while it runs)."""
    model_key, weights = registry.DEFAULT_MODEL, "pretrained"
    key = (bundle.fingerprint, area, steps)
    found = RUNS.get(key) or inception.stored(bundle, area, loop.POPULATION, model_key, weights, steps)
    if found is not None:
        RUNS.put(key, found)
        return found

    def compute(report: Report) -> inception.PopulationLoop:
        return inception.run_or_load(bundle, truth_of(bundle), area, loop.POPULATION, model_key, weights, steps,
                                     progress=sub_range(report, 0.0, 1.0, f"{area}: "))

    cost = steps * loop.POPULATION / 128
    return queued_result(RUNS, key, f"The inception loop on {loop.POPULATION} {area} cells", compute,
                         button=f"Run the loop on {area}", button_key="il_run", kind="inception loop", cost=cost)


def population_table(run: inception.PopulationLoop, bundle: NeuralBundle) -> pd.DataFrame:
    """One row per cell of the run: id, kind, reliability, held-out score, what the cell and the model said."""
    cells = bundle.cells.iloc[run.cells]
    table = pd.DataFrame({
        "cell": cells["cell_specimen_id"].to_numpy(),
        "reliability": cells["reliability"].to_numpy(),
        "model's held-out score": run.held_out,
        "MEI: measured": run.mei_measured,
        "best photo: measured": run.natural_measured,
        "MEI wins": run.mei_measured > run.natural_measured,
        "MEI: predicted": run.mei_predicted,
        "best photo: predicted": run.natural_predicted,
    })
    if run.closed:
        table.insert(1, "kind", np.where(run.simple, "simple", "complex"))
    return table


def loop_chart(run: inception.PopulationLoop, row: int | None = None) -> alt.Chart:
    """Measured response to the MEI against the response to the best photo, one point per cell, with the diagonal;
    the cell in `row` ringed."""
    ok = ~run.constant
    data = pd.DataFrame({"best photo": run.natural_measured[ok], "MEI": run.mei_measured[ok],
                         "held-out score": run.held_out[ok], "cell": run.cells[ok]})
    top = float(np.nanmax(data[["best photo", "MEI"]].to_numpy())) if len(data) else 1.0
    diagonal = alt.Chart(pd.DataFrame({"x": [0.0, top], "y": [0.0, top]})).mark_line(
        strokeDash=[4, 4], color="#868e96").encode(x="x:Q", y="y:Q")
    x = alt.X("best photo:Q", title="measured response to its best photo (dF/F)")
    y = alt.Y("MEI:Q", title="measured response to its MEI (dF/F)")
    points = alt.Chart(data).mark_circle(size=70, opacity=0.85).encode(
        x=x, y=y,
        color=alt.Color("held-out score:Q", scale=alt.Scale(scheme="viridis"), title="model's held-out score"),
        tooltip=["cell", alt.Tooltip("best photo:Q", format=".3f"), alt.Tooltip("MEI:Q", format=".3f"),
                 alt.Tooltip("held-out score:Q", format=".2f")])
    chart = diagonal + points
    if row is not None and ok[row]:
        chosen = pd.DataFrame({"best photo": [run.natural_measured[row]], "MEI": [run.mei_measured[row]],
                               "label": ["this cell"]})
        ring = alt.Chart(chosen).mark_point(shape="circle", size=360, filled=False, strokeWidth=2.5,
                                            color="#e03131").encode(x=x, y=y)
        label = alt.Chart(chosen).mark_text(align="left", dx=14, dy=-10, color="#e03131",
                                            fontWeight="bold").encode(x=x, y=y, text="label:N")
        chart = chart + ring + label
    return chart.properties(height=340, width="container")


def as_picture(image: np.ndarray) -> np.ndarray:
    """A map with both signs as a uint8 picture: mid-grey at 0, black and white at ± its largest magnitude."""
    scale = float(np.abs(image).max()) or 1.0
    return np.clip(np.round(127.5 + 127.5 * image / scale), 0, 255).astype(np.uint8)


def diverse_meis(bundle: NeuralBundle, run: inception.PopulationLoop, cell: int, steps: int) -> mei.MeiResult | None:
    """Four diverse MEIs of one cell, through the shared queue once the student asks (None until then)."""
    key = (bundle.fingerprint, run.layer, cell, steps)

    def compute(report: Report) -> mei.MeiResult:
        readouts = neuron_model.fit_readouts(bundle, run.model_key, run.weights, run.layer, [cell],
                                             progress=sub_range(report, 0.0, 0.2))
        model = neuron_model.NeuronModel.from_readouts(readouts)
        settings = mei.MeiSettings(shape=tuple(bundle.stimuli.shape[1:]), steps=steps,
                                   contrast=mei.stimulus_contrast(bundle.stimuli))
        return mei.diverse(model, 0, settings, 4, progress=sub_range(report, 0.2, 1.0, "Diverse MEIs: "))

    return queued_result(DIVERSE, key, "Four diverse most exciting images", compute, button="Make four diverse MEIs",
                         button_key="il_diverse", kind="diverse MEIs", cost=4 * steps / 128)


def show_pictures(images: list[np.ndarray], captions: list[str], width: int = 184) -> None:
    """uint8 grayscale pictures in a row, each with its caption."""
    st.image(images, caption=captions, width=width, clamp=True)
