"""Altair charts shared by pages."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd


def top_k_bars(pairs: Sequence[tuple[str, float]], title: str = "") -> alt.Chart:
    """Horizontal bars of (class, probability), best on top, with percentages."""
    frame = pd.DataFrame({"class": [p[0] for p in pairs], "probability": [p[1] for p in pairs]})
    frame["label"] = frame["probability"].map(lambda v: f"{v:.1%}")
    base = alt.Chart(frame, title=title).encode(
        y=alt.Y("class:N", sort=None, title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("probability:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"), title="probability"),
        tooltip=["class", alt.Tooltip("probability:Q", format=".2%")],
    )
    bars = base.mark_bar(color="#3b5bdb", cornerRadiusEnd=3)
    text = base.mark_text(align="left", dx=4, color="#343a40").encode(text="label:N")
    return (bars + text).properties(height=36 * len(frame) + 20)
