"""Pictures for the activation-atlas lesson: the framed mosaic, icon strips, and the layout's points with the grid
over them."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from lessons.atlas import compute as atlas
from lessons.atlas.pipeline import Atlas
from lessons.core.tiles import montage

GRID_LINE = np.array([0.85, 0.86, 0.88])
SELECTED = np.array([0.98, 0.69, 0.0])


def framed_mosaic(mosaic: np.ndarray, grid: int, selected: tuple[int, int] | None = None) -> np.ndarray:
    """The atlas as uint8 RGB with thin grid lines and the selected cell outlined; gray icons become RGB."""
    image = np.asarray(mosaic, dtype=np.float32)
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    image = image.copy()
    tile = image.shape[0] // grid
    for k in range(1, grid):
        image[k * tile, :, :] = GRID_LINE
        image[:, k * tile, :] = GRID_LINE
    if selected is not None:
        row, col = selected
        top, left, width = row * tile, col * tile, max(2, tile // 16)
        image[top:top + width, left:left + tile] = SELECTED
        image[top + tile - width:top + tile, left:left + tile] = SELECTED
        image[top:top + tile, left:left + width] = SELECTED
        image[top:top + tile, left + tile - width:left + tile] = SELECTED
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


def atlas_picture(result: Atlas, selected: tuple[int, int] | None = None,
                  highlight_class: int | None = None) -> np.ndarray:
    """The whole atlas as framed uint8 RGB: every kept cell's icon (faded by its share of one class when
    `highlight_class` is given), with the `selected` (row, col) cell outlined."""
    highlight = None if highlight_class is None else atlas.class_share(result.attribution, highlight_class)
    picture = atlas.mosaic(result.icons.images, result.cells.kept, result.settings.grid, highlight=highlight)
    return framed_mosaic(picture, result.settings.grid, selected)


def icon_strip(icons: np.ndarray, side: int) -> np.ndarray:
    """Icons in [0, 1] (K, H, W, C) side by side as one uint8 picture, each resized to side×side."""
    return montage((np.asarray(icons) * 255).astype(np.uint8), side=side)


def _points(xy: np.ndarray, labels: Sequence[str], grid: int, title: str, height: int, legend: bool,
            max_legend: int) -> alt.Chart:
    """The layout's points coloured by source, over the grid's cell lines (a plot `height` pixels tall)."""
    frame = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "source": list(labels)})
    shown = legend and frame["source"].nunique() <= max_legend
    lines = alt.Axis(values=list(np.linspace(0, 1, grid + 1)), labels=False, ticks=False)
    return alt.Chart(frame, title=title).mark_circle(size=14, opacity=0.6).encode(
        x=alt.X("x:Q", scale=alt.Scale(domain=[0, 1]), axis=lines, title=None),
        y=alt.Y("y:Q", scale=alt.Scale(domain=[0, 1]), axis=lines, title=None),
        color=alt.Color("source:N", scale=alt.Scale(scheme="tableau20"), legend=alt.Legend(title=None, orient="bottom", columns=2, labelLimit=130)
                        if shown else None),
        tooltip=["source"],
    ).properties(height=height)


def layout_scatter(xy: np.ndarray, labels: Sequence[str], grid: int, title: str = "", height: int = 450,
                   legend: bool = True, max_legend: int = 16) -> alt.Chart:
    """The atlas's points in [0, 1]² coloured by where they came from, with the grid's cell lines: as wide as its
    column, the plot `height` pixels tall, the legend (when asked for and not too long) underneath."""
    return _points(xy, labels, grid, title, height, legend, max_legend).properties(
        width="container", autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def layout_comparison(layouts: dict[int, tuple[np.ndarray, float]], labels: Sequence[str], grid: int,
                      side: int = 260, max_legend: int = 16) -> alt.HConcatChart:
    """The same points laid out with several n_neighbors values side by side, one shared legend underneath (for
    a report: fixed sizes)."""
    panels = [_points(xy, labels, grid, f"n_neighbors = {k} (trustworthiness {kept:.3f})", side, True,
                      max_legend).properties(width=side) for k, (xy, kept) in layouts.items()]
    return alt.hconcat(*panels).resolve_scale(color="shared").resolve_legend(color="shared")


def evidence_table(top: list[tuple[str, float]]) -> pd.DataFrame:
    """A cell's strongest classes with their logit evidence, for st.dataframe."""
    return pd.DataFrame({"class": [name for name, _ in top], "logit evidence": [value for _, value in top]})
