"""Arranging pictures for the eye: a grid of tiles (filters, feature maps, top images, digits)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image


def montage(pictures: Sequence[np.ndarray] | np.ndarray, columns: int | None = None, *, side: int | None = None,
            pad: int = 0, fill: int = 255) -> np.ndarray:
    """Tile uint8 pictures (N, h, w), (N, h, w, 1) or (N, h, w, 3) in rows of `columns` (default: one row).

    `side` first resizes each picture to side×side (bilinear); `pad` pixels of `fill` go between tiles and around
    the edge. Gray pictures stay 2-D. An empty set gives one blank tile."""
    tiles = [_squeezed(np.asarray(p, np.uint8)) for p in pictures]
    if side is not None:
        tiles = [np.asarray(Image.fromarray(t).resize((side, side), Image.Resampling.BILINEAR)) for t in tiles]
    if not tiles:
        blank = side or 1
        return np.full((blank, blank), fill, np.uint8)
    columns = max(1, min(columns or len(tiles), len(tiles)))
    h, w = tiles[0].shape[:2]
    rows = -(-len(tiles) // columns)
    grid = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad, *tiles[0].shape[2:]), fill, np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        grid[top:top + h, left:left + w] = tile
    return grid


def _squeezed(picture: np.ndarray) -> np.ndarray:
    return picture[..., 0] if picture.ndim == 3 and picture.shape[-1] == 1 else picture
