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
