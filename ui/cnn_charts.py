"""Altair charts of the Inside-a-CNN lesson: the colour bar under the feature-map grid."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from lessons.cnn.compute import ColourScale

ZERO_COLOUR = "#1c7ed6"  # the marker of a value of 0: blue, visible on both the black and the pale-yellow end


#: The bar is one band of a fixed height (a band scale: the page sizes the chart around it, axis included).
_BAR_PX = 24
_ROW = alt.Y("row:N", axis=None, scale=alt.Scale(paddingInner=0, paddingOuter=0))


def colour_bar(scale: ColourScale, colours: list[str]) -> alt.LayerChart:
    """A horizontal colour bar for the feature maps: the values each colour stands for, with 0 marked.

    With a shared scale the axis reads activation values from `scale.low` to `scale.high`; per map it reads from each
    map's lowest to its highest value (no common numbers exist then)."""
    low, high = (scale.low, scale.high) if scale.shared else (0.0, 1.0)
    if high <= low:
        high = low + 1.0  # every map is one value: a bar that still reads left to right
    edges = np.linspace(low, high, len(colours) + 1)
    overlap = np.r_[np.full(len(colours) - 1, 0.5 * (edges[1] - edges[0])), 0.0]  # no seams between the steps
    frame = pd.DataFrame({"start": edges[:-1], "end": edges[1:] + overlap, "colour": colours, "row": ""})
    axis = (alt.Axis(title="activation value", tickCount=5, labelFlush=True)
            if scale.shared else
            alt.Axis(title="each map's own range", values=[0.0, 1.0],
                     labelExpr="datum.value == 0 ? 'its lowest' : 'its highest'", labelFlush=True))
    x = alt.X("start:Q", scale=alt.Scale(domain=[low, high], nice=False, zero=False), axis=axis)
    bar = alt.Chart(frame).mark_rect(strokeWidth=0).encode(
        x=x, x2="end:Q", y=_ROW, color=alt.Color("colour:N", scale=None),
        tooltip=[alt.Tooltip("start:Q", title="from", format=".3g"), alt.Tooltip("end:Q", title="to", format=".3g")])
    layers: list[alt.Chart] = [bar]
    if scale.zero_at is not None:
        zero = low + scale.zero_at * (high - low)
        marker = pd.DataFrame({"x": [zero], "label": ["0"], "row": [""]})
        layers.append(alt.Chart(marker).mark_tick(color=ZERO_COLOUR, thickness=2, size=_BAR_PX, opacity=1).encode(
            x=alt.X("x:Q", scale=alt.Scale(domain=[low, high], nice=False, zero=False)),
            y=_ROW))
        align = "left" if scale.zero_at < 0.05 else "right" if scale.zero_at > 0.95 else "center"
        layers.append(alt.Chart(marker).mark_text(color=ZERO_COLOUR, align=align, baseline="bottom",
                                                      dy=-_BAR_PX // 2 - 2, fontWeight="bold").encode(
            x="x:Q", y=_ROW, text="label:N"))
    # No title: the caption under the chart says the same.
    return alt.layer(*layers).properties(height=alt.Step(_BAR_PX), description=f"{_range_words(scale)}. {_zero_words(scale)}")


def _range_words(scale: ColourScale) -> str:
    """One line under the colour bar's title: which values are drawn black and pale yellow."""
    if scale.shared:
        return f"black = {scale.low:.3g}, pale yellow = {scale.high:.3g} in every map"
    return "each map stretched to its own range"


def _zero_words(scale: ColourScale) -> str:
    """One line under the colour bar's title: where a value of 0 sits (the blue mark), or why it is not marked."""
    if scale.shared and scale.high <= scale.low:
        return f"every map shown is {scale.low:.3g} everywhere"
    if scale.zero_at is None:
        if not scale.shared:
            return "0 falls at a different place in each map"
        return "0 is below every value shown" if scale.low > 0 else "0 is above every value shown"
    if scale.zero_at <= 1e-9:
        return "blue mark: 0, drawn black (no value is below 0)"
    return f"blue mark: 0, {scale.zero_at:.0%} of the way from black to pale yellow"
