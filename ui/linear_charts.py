"""Altair charts of the linear-classifier lesson (its widgets and displays of numbers are in `ui.linear_widgets`).

The animated charts are built once as Altair charts over named datasets ("field", "points", …) and turned into a
Vega-Lite template; each frame only fills in the datasets (`with_data`), as Arrow tables. That keeps a frame cheap
(Altair validates a chart's schema whenever it is built, and a pandas table costs about a millisecond to encode even
when it holds one row) and keeps the spec identical between frames, so the browser updates the data of a chart in
place instead of drawing a new one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa

from lessons.linear import compute as lc
from lessons.linear.data import CLASS_NAMES

# Okabe–Ito colours (safe for the common colour-vision deficiencies); classes also differ in shape.
CLASS_COLOURS: tuple[str, str] = ("#0072B2", "#E69F00")
CLASS_SHAPES: tuple[str, str] = ("circle", "square")
FIELD_RANGE = ["#8fc1e3", "#f7f7f7", "#f3c76f"]  # light tints of the class colours, white at p = 0.5
CURRENT_COLOUR = "#CC79A7"
PATH_COLOUR = "#ffffff"
FIELD_PX = 340
LANDSCAPE_HEIGHT = 300
HIDDEN_PX = 280
# Fixed-size charts keep their plot area square: legends and axes are added around it, not squeezed into it.
SQUARE = alt.AutoSizeParams(type="pad", contains="padding")
# The points' colour and shape scales belong to their own layer, so Vega-Lite merges them into one class legend.
POINTS_OWN_LEGEND = {"color": "independent", "shape": "independent"}


def _class_legend() -> alt.Legend:
    """The class legend, shared by colour and shape so that its symbols are the plot's marks (A: blue circle,
    B: orange square)."""
    return alt.Legend(title="class", orient="top")


def _class_colour() -> alt.Color:
    return alt.Color("class:N", scale=alt.Scale(domain=list(CLASS_NAMES), range=list(CLASS_COLOURS)),
                     legend=_class_legend())


def _class_shape() -> alt.Shape:
    return alt.Shape("class:N", scale=alt.Scale(domain=list(CLASS_NAMES), range=list(CLASS_SHAPES)),
                     legend=_class_legend())


def _template(chart: alt.TopLevelMixin) -> str:
    """A chart over named datasets, as Vega-Lite JSON (datasets to be filled in per frame)."""
    return json.dumps(chart.to_dict())


def with_data(template: str, datasets: dict[str, pa.Table]) -> dict[str, Any]:
    """A fresh Vega-Lite spec from a template and this frame's named datasets."""
    spec = json.loads(template)
    spec["datasets"] = datasets
    return spec


# ---------------------------------------------------------------------------------------------- the data + field
def _cells(data: str, half_x: float, half_y: float, x: str, y: str) -> alt.Chart:
    """Rect marks centred on (x, y) with the given half sizes (1 % more, so no seams show), from a named dataset."""
    half_x, half_y = 1.01 * half_x, 1.01 * half_y
    return alt.Chart(alt.NamedData(data)).transform_calculate(
        x0=f"datum.{x} - {half_x}", x1=f"datum.{x} + {half_x}",
        y0=f"datum.{y} - {half_y}", y1=f"datum.{y} + {half_y}",
    )


@lru_cache(maxsize=16)
def field_template(extent: float, cells: int, clickable: bool = True) -> str:
    """Probability field (rect grid), the points, the boundary with its 90 %-sure lines and the normal arrow."""
    half = extent / cells
    scale = alt.Scale(domain=[-extent, extent], nice=False, zero=False)
    x_axis, y_axis = alt.Axis(title="x", tickCount=7), alt.Axis(title="y", tickCount=7)
    cell = alt.selection_point(name="cell", fields=["cx", "cy"], on="click", clear=False, toggle=False)
    point = alt.selection_point(name="pt", fields=["pid"], on="click", clear=False, toggle=False)
    field = _cells("field", half, half, "cx", "cy").mark_rect(
        cursor="crosshair" if clickable else "default", strokeWidth=0).encode(
        x=alt.X("x0:Q", scale=scale, axis=x_axis), x2="x1:Q",
        y=alt.Y("y0:Q", scale=scale, axis=y_axis), y2="y1:Q",
        color=alt.Color("p:Q", scale=alt.Scale(domain=[0, 0.5, 1], range=FIELD_RANGE),
                        legend=alt.Legend(title="P(class B)", orient="top", format=".0%", gradientLength=120)),
        tooltip=[alt.Tooltip("cx:Q", title="x", format=".2f"), alt.Tooltip("cy:Q", title="y", format=".2f"),
                 alt.Tooltip("p:Q", title="P(class B)", format=".1%")],
    )
    marks = alt.Chart(alt.NamedData("marks"))
    guides = marks.transform_filter("datum.part != 'tip'").mark_line(clip=True).encode(
        x=alt.X("x:Q", scale=scale), y=alt.Y("y:Q", scale=scale), detail="seg:N", order="k:Q",
        strokeDash=alt.StrokeDash("part:N", scale=alt.Scale(domain=["boundary", "sure", "normal"],
                                                            range=[[1, 0], [5, 4], [1, 0]]), legend=None),
        strokeWidth=alt.StrokeWidth("part:N", scale=alt.Scale(domain=["boundary", "sure", "normal"],
                                                              range=[3, 1.2, 1.8]), legend=None),
        color=alt.value("#212529"),
    )
    tip = marks.transform_filter("datum.part == 'tip'").mark_point(
        shape="triangle-up", filled=True, size=90, clip=True).encode(
        x=alt.X("x:Q", scale=scale), y=alt.Y("y:Q", scale=scale), angle=alt.Angle("angle:Q", scale=None),
        color=alt.value("#212529"))
    points = alt.Chart(alt.NamedData("points")).mark_point(
        filled=True, size=46, opacity=1, stroke="white", strokeWidth=0.8, clip=True,
        cursor="pointer" if clickable else "default").encode(
        x=alt.X("x:Q", scale=scale), y=alt.Y("y:Q", scale=scale), color=_class_colour(), shape=_class_shape(),
        tooltip=[alt.Tooltip("pid:N", title="point"), "class:N", alt.Tooltip("x:Q", format=".2f"),
                 alt.Tooltip("y:Q", format=".2f")],
    )
    if clickable:
        field, points = field.add_params(cell), points.add_params(point)
    chart = alt.layer(field, guides, tip, points).resolve_scale(**POINTS_OWN_LEGEND).properties(
        width=FIELD_PX, height=FIELD_PX, autosize=SQUARE).configure_view(strokeWidth=0)
    return _template(chart)


def field_datasets(frame: lc.Frame, points: np.ndarray, labels: np.ndarray, ids: list[str]) -> dict[str, pa.Table]:
    """The field chart's datasets for one frame: the field, the line marks (boundary, 90 % lines, normal, arrow tip)
    and the points."""
    gx, gy = np.meshgrid(frame.centres, frame.centres)
    field = pa.table({"cx": gx.ravel().round(3), "cy": gy.ravel().round(3), "p": frame.field.ravel()})
    segments = [("boundary", frame.boundary), ("sure", frame.sure_lines[0]), ("sure", frame.sure_lines[1])]
    line = frame.line
    rows = []
    if line.sharpness > 0:
        normal = (math.cos(line.theta), math.sin(line.theta))
        foot = (line.offset * normal[0], line.offset * normal[1])
        length = 0.25 * frame.extent
        end = (foot[0] + length * normal[0], foot[1] + length * normal[1])
        segments.append(("normal", (foot, end)))
        rows.append(("tip", len(segments), 0, end[0], end[1], 90.0 - math.degrees(line.theta)))
    rows += [(part, n, k, *segment[k], 0.0) for n, (part, segment) in enumerate(segments) if segment is not None
             for k in (0, 1)]
    columns = list(zip(*rows)) if rows else [[]] * 6
    marks = pa.table({"part": pa.array(columns[0], pa.string()), "seg": pa.array(columns[1], pa.int32()),
                      "k": pa.array(columns[2], pa.int32()), "x": pa.array(columns[3], pa.float64()),
                      "y": pa.array(columns[4], pa.float64()), "angle": pa.array(columns[5], pa.float64())})
    pts = pa.table({"x": points[:, 0], "y": points[:, 1], "class": [CLASS_NAMES[int(c)] for c in labels],
                    "pid": pa.array(ids, pa.string())})
    return {"field": field, "marks": marks, "points": pts}


# --------------------------------------------------------------------------------------------------- the landscape
@lru_cache(maxsize=16)
def landscape_template(n_theta: int, offset_limit: float, n_offset: int) -> str:
    """Loss over (rotation, offset) as a heatmap, with the descent path, its start, the current line and minima."""
    half_t = 180.0 / n_theta
    half_o = offset_limit / max(n_offset - 1, 1)
    x_scale = alt.Scale(domain=[-180, 180], nice=False, zero=False)
    y_scale = alt.Scale(domain=[-offset_limit - half_o, offset_limit + half_o], nice=False, zero=False)
    x_axis = alt.Axis(title="rotation θ (degrees)", values=list(range(-180, 181, 45)))
    y_axis = alt.Axis(title="offset")
    x, y = alt.X("t:Q", scale=x_scale, axis=x_axis), alt.Y("o:Q", scale=y_scale, axis=y_axis)
    heat = _cells("land", half_t, half_o, "t", "o").mark_rect(strokeWidth=0, clip=True).encode(
        x=alt.X("x0:Q", scale=x_scale, axis=x_axis), x2="x1:Q",
        y=alt.Y("y0:Q", scale=y_scale, axis=y_axis), y2="y1:Q",
        color=alt.Color("loss:Q", scale=alt.Scale(scheme="viridis", type="sqrt", zero=False),
                        legend=alt.Legend(title="loss", orient="right", gradientLength=200)),
        tooltip=[alt.Tooltip("t:Q", title="θ (°)", format=".0f"), alt.Tooltip("o:Q", title="offset", format=".2f"),
                 alt.Tooltip("loss:Q", format=".3f")],
    )
    path = alt.Chart(alt.NamedData("path")).mark_line(color=PATH_COLOUR, strokeWidth=2, clip=True).encode(
        x=x, y=y, detail="seg:N", order="step:Q")
    marks = alt.Chart(alt.NamedData("marks"))
    start = marks.transform_filter("datum.kind == 'start'").mark_point(
        shape="circle", size=60, color=PATH_COLOUR, strokeWidth=2, clip=True).encode(x=x, y=y)
    minima = marks.transform_filter("datum.kind == 'minimum'").mark_point(
        shape="diamond", size=170, filled=True, color="#ffffff", stroke="#000000", strokeWidth=1.5, clip=True,
    ).encode(x=x, y=y, tooltip=[alt.Tooltip("t:Q", title="θ (°)", format=".0f"),
                                alt.Tooltip("o:Q", title="offset", format=".2f"),
                                alt.Tooltip("loss:Q", title="loss at this valley of the slice", format=".3f")])
    now = marks.transform_filter("datum.kind == 'now'").mark_point(
        shape="circle", size=150, filled=True, color=CURRENT_COLOUR, stroke="#000000", strokeWidth=1.5, clip=True,
    ).encode(x=x, y=y)
    chart = alt.layer(heat, path, start, minima, now).properties(height=LANDSCAPE_HEIGHT).configure_view(
        strokeWidth=0)
    return _template(chart)


def landscape_datasets(frame: lc.Frame, history: lc.History, max_points: int = 400) -> dict[str, pa.Table]:
    """The landscape chart's datasets: the grid, the path so far (split where θ wraps), and the marks (start, now,
    local minima)."""
    gt, go = np.meshgrid(np.degrees(frame.thetas), frame.offsets)
    land = pa.table({"t": gt.ravel().round(2), "o": go.ravel().round(3), "loss": frame.landscape.ravel()})
    keep = lc.subsample(len(history.theta), max_points)
    thetas = np.asarray(history.theta)[keep]
    offsets = np.asarray(history.offset)[keep]
    path = pa.table({"t": np.degrees(thetas), "o": offsets, "seg": lc.path_segments(thetas), "step": keep})
    kinds = ["start", "now"] + ["minimum"] * len(frame.minima)
    t = [math.degrees(history.theta[0]), math.degrees(frame.line.theta)] + \
        [math.degrees(frame.thetas[j]) for _, j in frame.minima]
    o = [history.offset[0], frame.line.offset] + [float(frame.offsets[i]) for i, _ in frame.minima]
    loss = [history.loss[0], history.loss[-1]] + [float(frame.landscape[i, j]) for i, j in frame.minima]
    marks = pa.table({"kind": pa.array(kinds, pa.string()), "t": pa.array(t, pa.float64()),
                      "o": pa.array(o, pa.float64()), "loss": pa.array(loss, pa.float64())})
    return {"land": land, "path": path, "marks": marks}


# ------------------------------------------------------------------------------------------ loss / accuracy / lr
@lru_cache(maxsize=16)
def curves_template(max_steps: int) -> str:
    """Loss (log scale), accuracy and learning rate against the step, stacked."""
    x = alt.X("step:Q", scale=alt.Scale(domain=[0, max_steps], nice=False), axis=alt.Axis(title=None))
    base = alt.Chart(alt.NamedData("hist"))
    loss = base.mark_line(color="#212529", clip=True).encode(
        x=x, y=alt.Y("loss:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="loss (log)", tickCount=4)),
    ).properties(height=120)
    acc = base.mark_line(color=CLASS_COLOURS[0], clip=True).encode(
        x=x, y=alt.Y("accuracy:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(title="accuracy", format="%",
                                                                                  tickCount=3)),
    ).properties(height=90)
    rate = base.mark_line(color="#009E73", clip=True).encode(
        x=alt.X("step:Q", scale=alt.Scale(domain=[0, max_steps], nice=False), axis=alt.Axis(title="step")),
        y=alt.Y("lr:Q", scale=alt.Scale(type="log"), axis=alt.Axis(title="learning rate", tickCount=3)),
    ).properties(height=70)
    return _template(alt.vconcat(loss, acc, rate, spacing=6).configure_view(strokeWidth=0))


def curves_datasets(history: lc.History, max_points: int = 400) -> dict[str, pa.Table]:
    """The curves' dataset (subsampled so long runs stay light)."""
    keep = lc.subsample(len(history.loss), max_points)
    return {"hist": pa.table({"step": keep, "loss": np.maximum(np.asarray(history.loss)[keep], 1e-7),
                                  "accuracy": np.asarray(history.accuracy)[keep],
                                  "lr": np.maximum(np.asarray(history.lr)[keep], 1e-9)})}


# ----------------------------------------------------------------------------------------------- static teaching
def sigmoid_chart(sharpness: float, reach: float = 3.0) -> alt.Chart:
    """P(class B) = σ(|w|·d) against the signed distance d from the line, at this sharpness and at |w| = 1."""
    d = np.linspace(-reach, reach, 121)
    rows = [pd.DataFrame({"d": d, "p": 0.5 * (1 + np.tanh(0.5 * s * d)), "curve": label})
            for s, label in ((1.0, "|w| = 1"), (sharpness, f"|w| = {sharpness:.2g} (yours)"))]
    frame = pd.concat(rows)
    return alt.Chart(frame).mark_line(strokeWidth=2.5).encode(
        x=alt.X("d:Q", title="signed distance d from the line"),
        y=alt.Y("p:Q", title="P(class B)", axis=alt.Axis(format="%")),
        color=alt.Color("curve:N", scale=alt.Scale(range=["#adb5bd", "#212529"]), legend=alt.Legend(
            title=None, orient="bottom")),
    ).properties(height=220)


# ---------------------------------------------------------------------------------------------- beyond a line
@lru_cache(maxsize=16)
def network_template(domain: float, cells: int, axis_titles: tuple[str, str], title: str,
                     grid_opacity: float) -> str:
    """A square view of the small network: a probability field, grid lines, a boundary (curve or line), points."""
    scale = alt.Scale(domain=[-domain, domain], nice=False, zero=False)
    x, y = alt.X("x:Q", scale=scale), alt.Y("y:Q", scale=scale)
    half = domain / cells
    field = _cells("field", half, half, "cx", "cy").mark_rect(strokeWidth=0).encode(
        x=alt.X("x0:Q", scale=scale, title=axis_titles[0]), x2="x1:Q",
        y=alt.Y("y0:Q", scale=scale, title=axis_titles[1]), y2="y1:Q",
        color=alt.Color("p:Q", scale=alt.Scale(domain=[0, 0.5, 1], range=FIELD_RANGE), legend=None),
    )
    grid = alt.Chart(alt.NamedData("grid")).mark_line(strokeWidth=0.8, opacity=grid_opacity, clip=True).encode(
        x=x, y=y, detail="line:N", order="k:Q",
        strokeDash=alt.StrokeDash("direction:N", scale=alt.Scale(domain=["x", "y"], range=[[1, 0], [3, 2]]),
                                  legend=None),
        color=alt.Color("direction:N", scale=alt.Scale(domain=["x", "y"], range=["#495057", "#868e96"]),
                        legend=None))
    boundary = alt.Chart(alt.NamedData("boundary")).mark_line(color="#212529", strokeWidth=2.5, clip=True).encode(
        x=x, y=y, detail="seg:N", order="k:Q")
    points = alt.Chart(alt.NamedData("points")).mark_point(
        filled=True, size=40, opacity=1, stroke="white", strokeWidth=0.7, clip=True).encode(
        x=x, y=y, color=_class_colour(), shape=_class_shape())
    chart = alt.layer(field, grid, boundary, points).resolve_scale(**POINTS_OWN_LEGEND).properties(
        width=HIDDEN_PX, height=HIDDEN_PX, autosize=SQUARE, title=title).configure_view(strokeWidth=0)
    return _template(chart)


def _polylines(lines: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Columns x, y, seg, k of several polylines."""
    if not lines:
        return {"x": np.zeros(0), "y": np.zeros(0), "seg": np.zeros(0, np.int32), "k": np.zeros(0, np.int32)}
    return {"x": np.concatenate([p[:, 0] for p in lines]), "y": np.concatenate([p[:, 1] for p in lines]),
            "seg": np.concatenate([np.full(len(p), n, np.int32) for n, p in enumerate(lines)]),
            "k": np.concatenate([np.arange(len(p), dtype=np.int32) for p in lines])}


def _network_datasets(centres: np.ndarray, field: np.ndarray, grid: list[tuple[str, np.ndarray]],
                      boundary: list[np.ndarray], points: np.ndarray, labels: np.ndarray) -> dict[str, pa.Table]:
    gx, gy = np.meshgrid(centres, centres)
    lines = _polylines([polyline for _, polyline in grid])
    directions = np.concatenate([[direction] * len(polyline) for direction, polyline in grid]) if grid else []
    return {
        "field": pa.table({"cx": gx.ravel(), "cy": gy.ravel(), "p": field.ravel()}),
        "grid": pa.table({"x": lines["x"], "y": lines["y"], "line": lines["seg"], "k": lines["k"],
                          "direction": pa.array(list(directions), pa.string())}),
        "boundary": pa.table(_polylines(boundary)),
        "points": pa.table({"x": points[:, 0], "y": points[:, 1],
                            "class": pa.array([CLASS_NAMES[int(c)] for c in labels], pa.string())}),
    }


def mlp_input_spec(view: Any, points: np.ndarray, labels: np.ndarray, extent: float) -> dict[str, Any]:
    """The network's probability field in the input plane, its boundary, the points and the straight grid."""
    template = network_template(extent, len(view.centres), ("x", "y"), "Input space: the network's boundary", 0.3)
    grid = [(direction, xy) for direction, _, xy, _ in view.grid]
    return with_data(template, _network_datasets(view.centres, view.field, grid, view.contours, points, labels))


def hidden_space_spec(view: Any, labels: np.ndarray) -> dict[str, Any]:
    """The last hidden layer's 2-D space: the warped grid, the points there, and the output unit's straight line."""
    domain = float(view.hidden_centres[-1] + (view.hidden_centres[1] - view.hidden_centres[0]) / 2)
    template = network_template(round(domain, 6), len(view.hidden_centres), ("hidden unit 1", "hidden unit 2"),
                                "Hidden space: a straight line", 0.55)
    segment = lc.line_segment(*view.weights, domain)
    line = [np.array(segment)] if segment else []
    grid = [(direction, hidden) for direction, _, _, hidden in view.grid]
    return with_data(template, _network_datasets(view.hidden_centres, view.hidden_field, grid, line, view.hidden,
                                                 labels))


# ------------------------------------------------------------------------------------------------ one whole frame



@dataclass(frozen=True)
class FrameSpecs:
    """The three animated charts of one training frame, as Vega-Lite specs with their data."""

    field: dict[str, Any]
    curves: dict[str, Any]
    landscape: dict[str, Any]


def frame_specs(frame: lc.Frame, history: lc.History, points: np.ndarray, labels: np.ndarray, ids: list[str],
                max_steps: int) -> FrameSpecs:
    """Fill the field, curves and landscape templates with one frame's data."""
    return FrameSpecs(
        field=with_data(field_template(frame.extent, len(frame.centres)), field_datasets(frame, points, labels, ids)),
        curves=with_data(curves_template(max_steps), curves_datasets(history)),
        landscape=with_data(landscape_template(len(frame.thetas), float(frame.offsets[-1]), len(frame.offsets)),
                            landscape_datasets(frame, history)),
    )
