"""The RDM picture: every entry of the matrix becomes a block of its colour, rows top to bottom, with a legend whose
range is the matrix's."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
from matplotlib import colormaps
from PIL import Image

from ui import brain_charts


def _picture(chart) -> np.ndarray:
    spec = json.loads(chart.to_json())
    url = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "image")
    data = spec["datasets"][url["data"]["name"]][0]["url"]
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data.split(",", 1)[1]))).convert("RGB"))


def test_each_entry_is_a_block_of_its_colour_in_reading_order():
    matrix = np.zeros((4, 5))
    matrix[0, 4] = 2.0  # top right: the largest value
    matrix[3, 0] = 1.0  # bottom left: the middle of the range
    chart = brain_charts.matrix_picture(matrix, "RDM", "1 − r", size=40)
    picture = _picture(chart)
    block = 8  # ceil(40 / 5): whole pixels per entry, at least the size across
    assert picture.shape == (4 * block, 5 * block, 3)
    def colour(fraction: float) -> np.ndarray:
        return (np.asarray(colormaps["viridis"](fraction)[:3]) * 255).astype(np.uint8)

    np.testing.assert_array_equal(picture[0, -1], colour(1.0))
    np.testing.assert_array_equal(picture[-1, 0], colour(0.5))
    np.testing.assert_array_equal(picture[block, block], colour(0.0))
    spec = json.loads(chart.to_json())
    legend = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "point")
    assert legend["encoding"]["color"]["scale"]["domain"] == [0.0, 2.0]


def test_a_constant_matrix_is_one_colour():
    picture = _picture(brain_charts.matrix_picture(np.ones((3, 3)), "RDM", "1 − r", size=9))
    assert (picture == picture[0, 0]).all()
