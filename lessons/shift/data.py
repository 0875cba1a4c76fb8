"""Inputs of the "Data, transforms and the generalization gap" lesson: which data sets can be browsed, each as
labelled images, and the pictures the page shows of them (sample grids, the photo gallery, one DataLoader batch)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lessons.core import data
from lessons.core.nets import mnist_cnn
from lessons.core.registry import ModelSpec
from lessons.core.tiles import montage
from lessons.shift import compute

DIGIT_NAMES: tuple[str, ...] = tuple(str(d) for d in range(10))
#: Data sets in the order offered; "fashion" only where Debian's package is installed, "online" fetched on request.
DATASET_KEYS: tuple[str, ...] = ("mnist", "sklearn", "photos", "fashion", "online")


@dataclass(frozen=True)
class LabelledSet:
    """Images with integer labels and the name of each class."""

    images: np.ndarray
    labels: np.ndarray
    names: tuple[str, ...]


def available_datasets(fashion_installed: bool) -> list[str]:
    """The data sets a student can browse here: every one of DATASET_KEYS, Fashion-MNIST only when installed."""
    return [key for key in DATASET_KEYS if key != "fashion" or fashion_installed]


def labelled_set(key: str) -> LabelledSet | None:
    """A shipped or installed data set by key ("mnist", "sklearn", "fashion"); None for any other key."""
    if key == "mnist":
        return LabelledSet(*data.mnist_digits(), DIGIT_NAMES)
    if key == "sklearn":
        return LabelledSet(*data.small_digits(), DIGIT_NAMES)
    if key == "fashion" and (fashion := compute.fashion_mnist()) is not None:
        return LabelledSet(*fashion, compute.FASHION_CLASSES)
    return None


def downloaded_set(images: np.ndarray, labels: np.ndarray) -> LabelledSet:
    """A fetched torchvision test set, its classes named by their numbers."""
    return LabelledSet(images, labels, tuple(str(c) for c in range(int(np.max(labels)) + 1)))


def sample_grid(labelled: LabelledSet, per_class: int = 10, tile: int = 40) -> np.ndarray:
    """A montage of `per_class` random examples of each class, one class per row."""
    order = compute.sample_indices(labelled.labels, per_class, seed=0)
    return montage(compute.gray_tiles(labelled.images[order], tile), columns=per_class, pad=2)


def photo_gallery(tile: int = 120) -> np.ndarray:
    """A montage of every shipped photo, seven to a row."""
    tiles = np.stack([compute.gray_tiles(data.load_photo(k)[None], tile)[0] for k in data.photo_keys()])
    return montage(tiles, columns=7, pad=4)


def size_range(shapes: Sequence[tuple[int, ...]]) -> tuple[tuple[int, int], tuple[int, int]]:
    """The smallest and the largest (width, height) among image shapes (H, W, …), each side taken on its own."""
    widths, heights = [s[1] for s in shapes], [s[0] for s in shapes]
    return (min(widths), min(heights)), (max(widths), max(heights))


def photo_sizes() -> tuple[int, tuple[tuple[int, int], tuple[int, int]]]:
    """How many photos are shipped, and their smallest and largest (width, height)."""
    shapes = [data.load_photo(k).shape for k in data.photo_keys()]
    return len(shapes), size_range(shapes)


@dataclass(frozen=True)
class LoaderBatch:
    """The first batch a DataLoader hands to training: its digits as a picture, labels and tensor shapes."""

    picture: np.ndarray
    labels: tuple[int, ...]
    input_shape: tuple[int, ...]
    label_shape: tuple[int, ...]


def pixels_from_inputs(inputs: np.ndarray) -> np.ndarray:
    """Normalised digit-CNN inputs (B, 1, H, W) back to uint8 (B, H, W) pixels."""
    raw = (np.asarray(inputs)[:, 0] * mnist_cnn.STD[0] + mnist_cnn.MEAN[0]) * 255
    return raw.clip(0, 255).astype(np.uint8)


def loader_batch(batch_size: int = 16, tile: int = 56) -> LoaderBatch:
    """The first shuffled batch of the MNIST training split, as the digit CNN's DataLoader yields it."""
    x_train, y_train, _, _ = data.mnist_split()
    inputs, targets = compute.first_batch(x_train, y_train, batch_size=batch_size, seed=0)
    picture = montage(compute.gray_tiles(pixels_from_inputs(inputs.numpy()), tile), columns=batch_size, pad=2)
    return LoaderBatch(picture, tuple(int(t) for t in targets), tuple(inputs.shape), tuple(targets.shape))


def transform_code(spec: ModelSpec) -> str:
    """The torchvision preprocessing of a network, as the code a student would write."""
    return (
        "from torchvision import transforms\n"
        "from PIL import Image\n\n"
        "preprocess = transforms.Compose([\n"
        f"    transforms.Resize({spec.resize}),            # shorter side → {spec.resize} pixels\n"
        f"    transforms.CenterCrop({spec.input_size}),        # the size the network was trained on\n"
        "    transforms.ToTensor(),              # H×W×3 uint8 → 3×H×W float in [0, 1]\n"
        f"    transforms.Normalize(mean={tuple(round(m, 3) for m in spec.mean)},\n"
        f"                         std={tuple(round(s, 3) for s in spec.std)}),\n"
        "])\n"
        "x = preprocess(Image.open('photo.jpg').convert('RGB')).unsqueeze(0)   # 1×3×224×224, a batch of one"
    )
