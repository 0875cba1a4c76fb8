"""Altair charts of the mouse-cortex lesson: response profiles, scores by layer and area, ceilings, RDMs."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

AREA_COLOURS = {"VISp": "#1f77b4", "VISl": "#2ca02c", "VISal": "#ff7f0e", "VISrl": "#d62728", "VISpm": "#9467bd",
                "VISam": "#8c564b"}
WEIGHT_LABELS = {"pretrained": "trained", "random": "random"}
ROW_PX = 30  # height of one row of a labelled heatmap: room for its label at any width, phones included


def _area_scale(areas: Sequence[str]) -> alt.Scale:
    areas = [a for a in AREA_COLOURS if a in set(areas)]
    return alt.Scale(domain=areas, range=[AREA_COLOURS[a] for a in areas])


def response_profile(responses: np.ndarray, labels: Sequence[str], title: str) -> alt.Chart:
    """Bars of one cell's mean response to every image, strongest first."""
    order = np.argsort(-responses)
    frame = pd.DataFrame({"rank": np.arange(1, len(order) + 1), "response": responses[order],
                          "image": [labels[i] for i in order]})
    return alt.Chart(frame, title=title).mark_bar(color="#3b5bdb").encode(
        x=alt.X("rank:Q", title="images, from most to least driving", axis=alt.Axis(tickMinStep=10)),
        y=alt.Y("response:Q", title="mean dF/F"),
        tooltip=["image", alt.Tooltip("response:Q", format=".3f")],
    ).properties(height=220)


def layer_curves(table: pd.DataFrame, layers: Sequence[str], title: str, highlight: str | None = None) -> alt.Chart:
    """Mean held-out score per area across the network's layers (one line per area), the shuffled null dashed."""
    frame = table.copy()
    axis = alt.Axis(labelAngle=-45, labelOverlap=False)
    x = alt.X("layer:N", sort=list(layers), title="layer (input → output)", axis=axis)
    colour = alt.Color("area:N", scale=_area_scale(frame["area"]), legend=alt.Legend(title="area"))
    base = alt.Chart(frame, title=title)
    lines = base.mark_line(point=True).encode(
        x=x, y=alt.Y("score:Q", title="mean score (signed r², held out)"), color=colour,
        tooltip=["area", "layer", alt.Tooltip("score:Q", format=".3f"), alt.Tooltip("null:Q", format=".3f"),
                 "cells"])
    null = base.mark_line(strokeDash=[3, 3], opacity=0.6).encode(x=x, y="null:Q", color=colour)
    chart = null + lines
    if highlight:
        rule = alt.Chart(pd.DataFrame({"layer": [highlight]})).mark_rule(color="#868e96", strokeDash=[2, 2]).encode(
            x=alt.X("layer:N", sort=list(layers)))
        chart = chart + rule
    return chart.properties(height=320)


def trained_vs_random(tables: dict[str, pd.DataFrame], layers: Sequence[str], title: str) -> alt.Chart:
    """Small multiples, one per area: trained and random weights' score across layers, with the shuffled null."""
    frames = []
    for weights, table in tables.items():
        frame = table.copy()
        frame["weights"] = WEIGHT_LABELS.get(weights, weights)
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    nulls = frame.groupby(["area", "layer"], as_index=False)["null"].mean()
    nulls["weights"] = "shuffled null"
    long = pd.concat([frame[["area", "layer", "score", "weights"]],
                      nulls.rename(columns={"null": "score"})], ignore_index=True)
    order = [a for a in AREA_COLOURS if a in set(long["area"])]
    return alt.Chart(long).mark_line().encode(
        x=alt.X("layer:N", sort=list(layers), title=None, axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("score:Q", title="mean score"),
        color=alt.Color("weights:N", scale=alt.Scale(domain=["trained", "random", "shuffled null"],
                                                     range=["#3b5bdb", "#e8590c", "#adb5bd"]),
                        legend=alt.Legend(title=None, orient="top")),
        strokeDash=alt.StrokeDash("weights:N", scale=alt.Scale(domain=["trained", "random", "shuffled null"],
                                                               range=[[1, 0], [6, 3], [2, 2]]), legend=None),
        tooltip=["area", "layer", "weights", alt.Tooltip("score:Q", format=".3f")],
    ).properties(width=150, height=130).facet(
        facet=alt.Facet("area:N", sort=order, title=None), columns=2, title=title)


def ceiling_scatter(cells: pd.DataFrame, title: str) -> alt.Chart:
    """Each cell's best held-out score against its split-half reliability; the diagonal is the noise ceiling."""
    frame = cells[["cell_specimen_id", "cortical_area", "reliability", "score", "best_layer"]].copy()
    frame["chance"] = np.where(cells["above_chance"], "above chance", "not above chance") \
        if "above_chance" in cells else "not tested"
    points = alt.Chart(frame).mark_circle(size=18).encode(
        opacity=alt.Opacity("chance:N", scale=alt.Scale(domain=["above chance", "not above chance", "not tested"],
                                                        range=[0.8, 0.18, 0.55]),
                            legend=alt.Legend(title=None, orient="bottom")),
        x=alt.X("reliability:Q", title="noise ceiling (split-half reliability)",
                scale=alt.Scale(domain=[-0.2, 1], clamp=True)),
        y=alt.Y("score:Q", title="score at best layer (signed r²)"),
        color=alt.Color("cortical_area:N", scale=_area_scale(frame["cortical_area"]), legend=alt.Legend(title="area")),
        tooltip=["cell_specimen_id", "cortical_area", "best_layer", alt.Tooltip("reliability:Q", format=".2f"),
                 alt.Tooltip("score:Q", format=".3f"), "chance"])
    diagonal = alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]})).mark_line(
        color="#495057", strokeDash=[4, 4]).encode(x="x:Q", y="y:Q")
    return (diagonal + points).properties(title=alt.TitleParams(title, anchor="start"), height=300)


def prediction_profile(actual: np.ndarray, predicted: np.ndarray, labels: Sequence[str], title: str) -> alt.Chart:
    """A cell's measured responses over the images (sorted) with the held-out predictions of the readout."""
    order = np.argsort(-actual)
    frame = pd.DataFrame({"rank": np.arange(1, len(order) + 1), "measured": actual[order],
                          "predicted (held out)": predicted[order], "image": [labels[i] for i in order]})
    long = frame.melt(id_vars=["rank", "image"], var_name="series", value_name="dF/F")
    return alt.Chart(long, title=title).mark_line(point=alt.OverlayMarkDef(size=14)).encode(
        x=alt.X("rank:Q", title="images, sorted by measured response"),
        y=alt.Y("dF/F:Q", title="mean dF/F"),
        color=alt.Color("series:N", scale=alt.Scale(domain=["measured", "predicted (held out)"],
                                                    range=["#212529", "#3b5bdb"]),
                        legend=alt.Legend(title=None, orient="top")),
        tooltip=["image", "series", alt.Tooltip("dF/F:Q", format=".3f")],
    ).properties(height=260)


def heatmap(matrix: np.ndarray, rows: Sequence[str], cols: Sequence[str], title: str, value: str,
            scheme: str = "viridis", size: int = 320, labels: bool = True) -> alt.Chart:
    """A matrix as coloured cells (rows top to bottom, columns left to right).

    With `labels`, the chart fills its container's width and every row gets `ROW_PX` pixels of its own (axes, title
    and legend are added around the plot, never taken out of it); without, it is a `size`-pixel square."""
    frame = _long_frame(matrix, rows, cols, value)
    axis = alt.Axis(labels=labels, ticks=labels, labelAngle=-45 if labels else 0, labelOverlap=False,
                    labelFontSize=10)
    chart = alt.Chart(frame, title=alt.TitleParams(title, anchor="start")).mark_rect().encode(
        x=alt.X("col:N", sort=list(cols), title=None, axis=axis),
        y=alt.Y("row:N", sort=list(rows), title=None,
                axis=alt.Axis(labels=labels, ticks=labels, labelOverlap=False, labelLimit=160)),
        color=alt.Color(f"{value}:Q", scale=alt.Scale(scheme=scheme),
                        legend=alt.Legend(title=value, orient="bottom" if labels else "right")),
        tooltip=["row", "col", alt.Tooltip(f"{value}:Q", format=".3f")],
    )
    if not labels:
        return chart.properties(width=size, height=size)
    return chart.properties(width="container", height=ROW_PX * len(rows),
                            autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def matrix_picture(matrix: np.ndarray, title: str, value: str, scheme: str = "viridis", size: int = 300) -> alt.LayerChart:
    """A large matrix (an RDM of every image pair) as one picture in a `size`-pixel square, with its colour legend.

    Drawn as thousands of rect marks, two 118×118 RDMs cost a student's browser about 2.6 s of CPU each time the page
    opens; as one image, next to nothing. The picture is the colour-mapped matrix, each entry a block of pixels."""
    values = np.asarray(matrix, dtype=float)
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    frame = pd.DataFrame({"x": [0.5], "y": [0.5], "url": [_colour_png_url(values, low, high, scheme, size)]})
    unit = alt.Scale(domain=[0, 1], nice=False)
    # the picture fills the plot whatever size the page gives it (a fixed size would spill over the title and legend)
    picture = alt.Chart(frame).mark_image(width=alt.ExprRef("width"), height=alt.ExprRef("height")).encode(
        x=alt.X("x:Q", scale=unit, axis=None), y=alt.Y("y:Q", scale=unit, axis=None), url="url:N")
    legend = alt.Chart(pd.DataFrame({"x": [0.5, 0.5], "y": [0.5, 0.5], value: [low, high]})).mark_point(
        opacity=0).encode(x=alt.X("x:Q", scale=unit, axis=None), y=alt.Y("y:Q", scale=unit, axis=None),
                          color=alt.Color(f"{value}:Q", scale=alt.Scale(scheme=scheme, domain=[low, high]),
                                          legend=alt.Legend(title=value, orient="right")))
    return (picture + legend).properties(width=size, height=size, title=alt.TitleParams(title, anchor="start"),
                                         autosize=alt.AutoSizeParams(type="pad"))


def _colour_png_url(values: np.ndarray, low: float, high: float, scheme: str, size: int) -> str:
    """The matrix coloured by the matplotlib colour map of `scheme` (Vega's schemes share the names used here),
    each entry enlarged to a block of whole pixels at least `size` wide, as a PNG data URL."""
    from matplotlib import colormaps
    from PIL import Image

    scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
    rgb = (colormaps[scheme](np.nan_to_num(scaled))[..., :3] * 255).astype(np.uint8)
    block = max(1, -(-size // max(values.shape)))
    rgb = np.repeat(np.repeat(rgb, block, axis=0), block, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _long_frame(matrix: np.ndarray, rows: Sequence[str], cols: Sequence[str], value: str) -> pd.DataFrame:
    """A matrix in long form: one line per (row, col) with its value."""
    r, c = np.meshgrid(np.arange(len(rows)), np.arange(len(cols)), indexing="ij")
    return pd.DataFrame({"row": np.asarray(rows)[r.ravel()], "col": np.asarray(cols)[c.ravel()],
                         value: np.asarray(matrix, dtype=float).ravel()})


def area_summary_table(summary: pd.DataFrame, model_layer: str, tag: str = "") -> pd.io.formats.style.Styler:
    """The per-area summary (`BrainScores.area_summary()`) with readable column names and number formats; `tag`
    follows "area" in the index name (" (simulated)")."""
    table = summary.set_index("area")
    table.index.name = f"area{tag}"
    table = table.rename(columns={
        "above_chance": "above chance", "score_at_model_layer": f"score at {model_layer}",
        "score_at_own_best_layer": "score at own best layer", "normalised": "normalised (median)",
        "constant": "constant readout"})
    return table.style.format({f"score at {model_layer}": "{:.3f}", "score at own best layer": "{:.3f}",
                               "ceiling": "{:.2f}", "normalised (median)": "{:.2f}", "constant readout": "{:.0%}"})
