"""Altair charts of the data-and-shift lesson (accuracy against the amount of change, bars per class) and the tables
behind them, as a student downloads them."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

#: One network's sweep for a chart: (amounts, top-1 per amount, top-5 per amount).
Curve = tuple[np.ndarray, np.ndarray, np.ndarray]

#: A legend symbol that looks like the plotted series: a short line through an open circle (Vega's unit square).
LINE_AND_POINT = "M-1.6,0L-0.45,0M0.45,0L1.6,0M0.45,0A0.45,0.45,0,1,1,-0.45,0A0.45,0.45,0,1,1,0.45,0Z"
NETWORK_COLOURS = ("#e8590c", "#1c7ed6", "#2b8a3e", "#862e9c")
METRIC_DASHES = {"top-1": [1, 0], "top-5": [6, 3]}


def percent_axis(title: str) -> alt.Axis:
    """A 0–100 % axis whose top label sits on the 100 % line (Streamlit's theme would flush it below the line)."""
    return alt.Axis(format="%", values=[0, 0.2, 0.4, 0.6, 0.8, 1.0], labelFlush=False, title=title)


def percent_scale() -> alt.Scale:
    """The 0–1 scale of an accuracy: exactly 0 to 100 %, never rounded beyond it."""
    return alt.Scale(domain=[0, 1], nice=False, clamp=True)


def curves_table(curves: dict[str, Curve], unit: str) -> pd.DataFrame:
    """The numbers behind `accuracy_curves`: one row per network and amount, with top-1 and top-5."""
    return pd.DataFrame([{"network": name, f"amount ({unit})": float(a), "top-1": float(t1), "top-5": float(t5)}
                         for name, (amounts, top1, top5) in curves.items() for a, t1, t5 in zip(amounts, top1, top5)])


def accuracy_curves(curves: dict[str, Curve], unit: str, title: str, marked: float | None = None) -> alt.LayerChart:
    """Top-1 (solid) and top-5 (dashed) accuracy against the amount of change, one colour per network; one legend
    entry per line, drawn as a line with its point marker."""
    rows = [{"series": f"{name}, {metric}", "amount": float(a), "accuracy": float(v)}
            for name, (amounts, top1, top5) in curves.items()
            for metric, values in (("top-1", top1), ("top-5", top5)) for a, v in zip(amounts, values)]
    series = [f"{name}, {metric}" for name in curves for metric in METRIC_DASHES]
    colours = [NETWORK_COLOURS[i % len(NETWORK_COLOURS)] for i in range(len(curves)) for _ in METRIC_DASHES]
    legend = alt.Legend(orient="bottom", title=None, symbolType=LINE_AND_POINT, symbolSize=220, symbolStrokeWidth=2,
                        symbolFillColor="white", columns=2 if len(curves) == 1 else 1, labelLimit=260)
    lines = alt.Chart(pd.DataFrame(rows), title=alt.TitleParams(title, anchor="start")).mark_line(
        point=alt.OverlayMarkDef(filled=False, fill="white", size=36, strokeWidth=1.5)).encode(
        x=alt.X("amount:Q", title=unit),
        y=alt.Y("accuracy:Q", scale=percent_scale(), axis=percent_axis("held-out accuracy")),
        color=alt.Color("series:N", scale=alt.Scale(domain=series, range=colours), legend=legend),
        strokeDash=alt.StrokeDash("series:N", legend=legend, scale=alt.Scale(
            domain=series, range=[METRIC_DASHES[s.rsplit(", ", 1)[1]] for s in series])),
        tooltip=["series", "amount", alt.Tooltip("accuracy:Q", format=".1%")],
    )
    chance = alt.Chart(pd.DataFrame({"y": [0.1]})).mark_rule(color="#adb5bd", strokeDash=[2, 2]).encode(y="y:Q")
    layers = [lines, chance]
    if marked is not None:
        layers.append(alt.Chart(pd.DataFrame({"x": [marked]})).mark_rule(color="#495057", opacity=0.6).encode(
            x="x:Q", tooltip=[alt.Tooltip("x:Q", title=f"amount of the examples below ({unit})")]))
    return alt.layer(*layers).properties(height=300)


def class_table(names: Sequence[str], values: np.ndarray, column: str) -> pd.DataFrame:
    """One row per class with its value (what `class_bars` draws)."""
    return pd.DataFrame({"class": list(names), column: np.asarray(values)})


def class_bars(names: Sequence[str], values: np.ndarray, title: str, percent: bool = False,
               height: int = 220) -> alt.Chart:
    """One bar per class (counts, or accuracies on a 0–100 % axis when `percent`)."""
    frame = pd.DataFrame({"class": list(names), "value": np.asarray(values, dtype=float)})
    y = (alt.Y("value:Q", scale=percent_scale(), axis=percent_axis("accuracy")) if percent else
         alt.Y("value:Q", title="examples"))
    return alt.Chart(frame, title=alt.TitleParams(title, anchor="start")).mark_bar(color="#3b5bdb").encode(
        x=alt.X("class:N", sort=list(names), title=None,
                axis=alt.Axis(labelAngle=-45 if len(names) > 10 else 0, labelLimit=120)),
        y=y,
        tooltip=["class", alt.Tooltip("value:Q", format=".1%" if percent else "d")],
    ).properties(height=height)
