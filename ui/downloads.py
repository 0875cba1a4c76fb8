"""The one way to offer a download: a small row of buttons (PNG / CSV / NPY) whose bytes are made only on click."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lessons.core.exports import array_npy, file_stem, picture_png, table_csv

#: Width in pixels given to charts that size themselves to their container when they are saved as PNG.
EXPORT_WIDTH = 760


def chart_png(chart: alt.TopLevelMixin, *, scale: float = 2.0) -> bytes:
    """An Altair chart rendered offline to PNG bytes (vl-convert); container-wide charts get a fixed width."""
    import vl_convert

    spec = chart.to_dict()
    _fix_container_widths(spec)
    return vl_convert.vegalite_to_png(spec, scale=scale)


def _fix_container_widths(spec: dict | list) -> None:
    """Replace every `"width": "container"` (meaningless outside a page) with EXPORT_WIDTH, in place."""
    items = spec.values() if isinstance(spec, dict) else spec
    if isinstance(spec, dict) and spec.get("width") == "container":
        spec["width"] = EXPORT_WIDTH
    for item in items:
        if isinstance(item, dict | list):
            _fix_container_widths(item)


def download_row(stem: str, *, chart: alt.TopLevelMixin | None = None, picture: np.ndarray | None = None,
                 table: pd.DataFrame | None = None, array: np.ndarray | None = None, key: str,
                 what: str = "") -> None:
    """Buttons to download what one figure shows: PNG (of `chart` or `picture`), CSV of `table`, NPY of `array`.

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
