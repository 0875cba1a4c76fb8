"""The one way to offer a download: a small row of buttons (PNG / CSV / NPY) whose bytes are made only on click."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lessons.core.exports import array_npy, file_stem, picture_png, table_csv

#: Width in pixels of a chart saved as PNG where the page lets it fill its column.
EXPORT_WIDTH = 640

#: What a figure's PNG can be made from: an Altair chart, a Vega-Lite spec, or aligned spec panels to stack.
Chart = alt.TopLevelMixin | dict | Sequence[dict]

_COMPOSED = ("vconcat", "hconcat", "concat", "facet", "repeat")


def _rows(table: Any) -> Any:
    """A spec's named data set as plain JSON rows (Streamlit sends DataFrames and Arrow tables as Arrow)."""
    if isinstance(table, pd.DataFrame):
        return table.to_dict("records")
    if hasattr(table, "to_pylist"):  # a pyarrow Table
        return table.to_pylist()
    return table


def vega_spec(chart: Chart) -> dict:
    """One self-contained Vega-Lite spec for export: JSON data, a fixed width, several panels stacked."""
    if hasattr(chart, "to_dict"):
        with alt.data_transformers.enable("default", max_rows=None):  # a figure of every cell: no 5,000-row cap
            specs = [chart.to_dict()]
    else:
        specs = [chart] if isinstance(chart, dict) else list(chart)
    datasets: dict[str, Any] = {}
    panels = []
    for spec in specs:
        datasets.update({name: _rows(table) for name, table in spec.get("datasets", {}).items()})
        panels.append({key: value for key, value in spec.items() if key not in ("$schema", "datasets")})
    if len(panels) == 1:
        exported = panels[0]
    else:
        exported = {"vconcat": [{k: v for k, v in panel.items() if k not in ("autosize", "config")}
                                for panel in panels], "spacing": 12}
    _fix_widths(exported)
    return {"$schema": specs[0].get("$schema"), **exported, **({"datasets": datasets} if datasets else {})}


def _fix_widths(spec: dict) -> None:
    """Give every single-view panel a fixed width where the page sizes it to its column ("container" or none)."""
    for panel in spec.get("vconcat", [spec]):
        if not any(key in panel for key in _COMPOSED) and panel.get("width", "container") == "container":
            panel["width"] = EXPORT_WIDTH


def chart_png(chart: Chart, *, scale: float = 2.0) -> bytes:
    """A chart rendered offline to PNG bytes (vl-convert), at a fixed width."""
    import vl_convert

    return vl_convert.vegalite_to_png(vega_spec(chart), scale=scale)


def download_row(stem: str, *, chart: Chart | None = None, picture: np.ndarray | None = None,
                 table: pd.DataFrame | None = None, array: np.ndarray | None = None, key: str,
                 what: str = "") -> None:
    """Buttons to download what one figure shows: PNG (of `chart` — an Altair chart, a Vega-Lite spec or panels to
    stack — or of `picture`), CSV of `table`, NPY of `array`.

    `stem` names the files (made safe by `file_stem`); `what` is a short phrase for the buttons' help text; `key`
    must be unique on the page. Bytes are produced only when the student clicks, and clicking does not rerun."""
    name = file_stem(stem)
    offers: list[tuple[str, str, str, Callable[[], bytes]]] = []
    if chart is not None:
        offers.append(("PNG", "png", "image/png", lambda: chart_png(chart)))
    elif picture is not None:
        offers.append(("PNG", "png", "image/png", lambda: picture_png(picture, min_side=256)))
    if table is not None:
        offers.append(("CSV", "csv", "text/csv", lambda: table_csv(table)))
    if array is not None:
        offers.append(("NPY", "npy", "application/octet-stream", lambda: array_npy(array)))
    if not offers:
        return
    row = st.container(horizontal=True, gap="small")
    for label, extension, mime, make in offers:
        row.download_button(
            f"{label}", make, file_name=f"{name}.{extension}", mime=mime, key=f"{key}_{extension}",
            icon=":material/download:", on_click="ignore", type="tertiary",
            help=f"Download {what or name} as {label}",
        )
