"""Chart export: a container-wide Altair chart renders to a real PNG of the export width."""

from __future__ import annotations

import io

import altair as alt
import pandas as pd
from PIL import Image

from lessons.core.exports import PNG_SIGNATURE
from ui.downloads import EXPORT_WIDTH, chart_png


def test_container_wide_layered_chart_exports_at_the_export_width() -> None:
    frame = pd.DataFrame({"x": [0, 1, 2], "y": [1.0, 0.5, 0.8]})
    line = alt.Chart(frame).mark_line().encode(x="x:Q", y="y:Q")
    chart = (line + line.mark_point()).properties(width="container", height=200)
    data = chart_png(chart, scale=1.0)
    assert data.startswith(PNG_SIGNATURE)
    width, height = Image.open(io.BytesIO(data)).size
    assert EXPORT_WIDTH <= width < EXPORT_WIDTH + 150  # plus axis labels and padding
    assert 200 <= height < 300


def test_a_chart_of_more_rows_than_altairs_default_cap_still_exports() -> None:
    frame = pd.DataFrame({"x": range(6000), "y": [i % 7 for i in range(6000)]})
    chart = alt.Chart(frame).mark_point().encode(x="x:Q", y="y:Q").properties(width=200, height=100)
    assert chart_png(chart, scale=1.0).startswith(PNG_SIGNATURE)
