"""The one montage: grid shape, padding, resizing, gray pictures and the empty set."""

from __future__ import annotations

import numpy as np

from lessons.core.tiles import montage


def test_rows_of_columns_with_padding_between_and_around():
    tiles = np.zeros((5, 4, 4, 3), np.uint8)
    grid = montage(tiles, columns=3, pad=1)
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 1, 3)
    assert grid[0, 0, 0] == 255 and grid[1, 1, 0] == 0
    assert grid[-2, -2, 0] == 255  # the sixth cell of a 2×3 grid is empty


def test_tiles_keep_their_order():
    tiles = np.stack([np.full((2, 2), v, np.uint8) for v in (10, 20, 30)])
    grid = montage(tiles, columns=2)
    assert grid[0, 0] == 10 and grid[0, 2] == 20 and grid[2, 0] == 30 and grid[2, 2] == 255


def test_side_resizes_and_single_channel_pictures_stay_gray():
    grid = montage(np.zeros((3, 28, 28, 1), np.uint8), side=10)
    assert grid.shape == (10, 30)


def test_an_empty_set_is_one_blank_tile():
    assert montage(np.zeros((0, 4, 4), np.uint8), side=8).shape == (8, 8)
