"""Download bytes: each format opens again as what went in."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from PIL import Image

from lessons.core.exports import (
    NPY_SIGNATURE,
    PNG_SIGNATURE,
    array_npy,
    file_stem,
    picture_png,
    table_csv,
)


def test_png_of_a_float_picture_round_trips_and_small_pictures_are_enlarged() -> None:
    picture = np.linspace(0, 1, 28 * 28).reshape(28, 28)
    data = picture_png(picture, min_side=256)
    assert data.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(data))
    assert image.size == (280, 280)  # whole multiple, nearest neighbour
    back = np.asarray(image)[::10, ::10]
    assert np.abs(back.astype(float) / 255 - picture).max() < 0.003


def test_png_keeps_colour_and_squeezes_a_single_channel() -> None:
    colour = np.zeros((5, 7, 3), np.uint8)
    colour[..., 0] = 200
    assert Image.open(io.BytesIO(picture_png(colour))).mode == "RGB"
    assert Image.open(io.BytesIO(picture_png(np.zeros((5, 7, 1), np.uint8)))).mode == "L"


def test_csv_and_npy_open_again_unchanged() -> None:
    table = pd.DataFrame({"layer": ["conv1", "fc"], "score": [0.25, 0.5]})
    assert pd.read_csv(io.BytesIO(table_csv(table))).equals(table)
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    data = array_npy(array)
    assert data.startswith(NPY_SIGNATURE)
    assert np.array_equal(np.load(io.BytesIO(data), allow_pickle=False), array)


def test_file_stem_is_safe_and_readable() -> None:
    assert file_stem("Feature maps", "resnet18", "layer2.0") == "feature-maps-resnet18-layer2.0"
    assert file_stem("../../etc/passwd") == "etc-passwd"
    assert file_stem("") == "download"
