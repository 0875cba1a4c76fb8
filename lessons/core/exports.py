"""Files a student takes away: pictures as PNG, tables as CSV, arrays as NPY — pure bytes, no Streamlit."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NPY_SIGNATURE = b"\x93NUMPY"


def picture_png(picture: np.ndarray, *, min_side: int = 0) -> bytes:
    """A picture as PNG bytes: uint8 or float in [0, 1], gray (h, w) / (h, w, 1) or colour (h, w, 3|4).

    `min_side` enlarges small pictures (nearest neighbour, whole multiples) so a 28-pixel digit stays crisp."""
    array = np.asarray(picture)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.dtype != np.uint8:
        array = (np.clip(np.nan_to_num(array.astype(np.float64)), 0.0, 1.0) * 255).round().astype(np.uint8)
    image = Image.fromarray(array)
    shorter = min(image.size)
    if min_side and 0 < shorter < min_side:
        factor = -(-min_side // shorter)
        image = image.resize((image.width * factor, image.height * factor), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def table_csv(table: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV bytes (no index column)."""
    return table.to_csv(index=False).encode("utf-8")


def array_npy(array: np.ndarray) -> bytes:
    """An array in NumPy's .npy format (opens with `np.load(path)`, no pickle)."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def file_stem(*parts: object) -> str:
    """A safe, readable file name stem from parts such as ("feature-maps", "resnet18", "layer2"): lower case,
    letters, digits, dots and dashes only."""
    joined = "-".join(str(p) for p in parts if str(p))
    stem = re.sub(r"[^a-z0-9.]+", "-", joined.lower()).strip("-.")
    return stem[:80] or "download"
