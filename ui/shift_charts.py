"""Altair charts of the data-and-shift lesson: accuracy against the amount of change, label counts."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd


def accuracy_curves(curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], unit: str, title: str,
                    marked: float | None = None) -> alt.Chart:
    """Top-1 (solid) and top-5 (dashed) accuracy against the amount of change, one colour per model."""
    rows = [{"model": name, "amount": float(a), "metric": metric, "accuracy": float(v)}
            for name, (amounts, top1, top5) in curves.items()
            for metric, values in (("top-1", top1), ("top-5", top5)) for a, v in zip(amounts, values)]
    frame = pd.DataFrame(rows)
    lines = alt.Chart(frame, title=alt.TitleParams(title, anchor="start")).mark_line(point=True).encode(
        x=alt.X("amount:Q", title=unit),
        y=alt.Y("accuracy:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"), title="held-out accuracy"),
        color=alt.Color("model:N", legend=alt.Legend(orient="bottom", title=None, symbolType="stroke")),
        strokeDash=alt.StrokeDash("metric:N", legend=alt.Legend(orient="bottom", title=None, symbolType="stroke",
                                                                symbolStrokeColor="#495057")),
        tooltip=["model", "metric", "amount", alt.Tooltip("accuracy:Q", format=".1%")],
    )
    chance = alt.Chart(pd.DataFrame({"y": [0.1]})).mark_rule(color="#adb5bd", strokeDash=[2, 2]).encode(y="y:Q")
    layers = [lines, chance]
    if marked is not None:
        layers.append(alt.Chart(pd.DataFrame({"x": [marked]})).mark_rule(color="#e8590c").encode(x="x:Q"))
    return alt.layer(*layers).properties(height=300)


def class_bars(names: Sequence[str], values: np.ndarray, title: str, percent: bool = False) -> alt.Chart:
    """One bar per class (counts, or accuracies when `percent`)."""
    frame = pd.DataFrame({"class": list(names), "value": np.asarray(values, dtype=float)})
    axis = alt.Axis(format="%") if percent else alt.Axis()
    return alt.Chart(frame, title=alt.TitleParams(title, anchor="start")).mark_bar(color="#3b5bdb").encode(
        x=alt.X("class:N", sort=list(names), title=None, axis=alt.Axis(labelAngle=-45 if len(names) > 10 else 0)),
        y=alt.Y("value:Q", title="accuracy" if percent else "examples", axis=axis,
                scale=alt.Scale(domain=[0, 1]) if percent else alt.Scale()),
        tooltip=["class", alt.Tooltip("value:Q", format=".1%" if percent else "d")],
    ).properties(height=220)
