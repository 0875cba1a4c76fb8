"""The activations a topographic map is drawn from: the digit MLP and CNN on held-out digits, or EfficientNet-Lite0
on crops of the shipped photos (each photo is one "class").

Pure compute (no Streamlit). Models are only run forward under `torch.inference_mode`, stage by stage, so a shared
cached model is never modified and no hook is ever placed on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lessons.core import capture, data, preprocess, registry
from lessons.core.nets import mnist_cnn
from lessons.core.progress import Progress, silent, sub_range

DIGIT_LAYERS: dict[str, tuple[str, ...]] = {"digit_mlp": ("relu1",), "digit_cnn": ("relu1", "relu2")}
PHOTO_LAYERS: tuple[str, ...] = ("blocks.3", "blocks.5", "blocks.8", "blocks.11", "blocks.15")
PHOTO_CROP = 224
PHOTO_DEFAULT_LAYER = "blocks.15"
LAYER_NOTES: dict[str, dict[str, str]] = {
    "digit_mlp": {"relu1": "the 128 hidden units (after ReLU)"},
    "digit_cnn": {"relu1": "8 channels after the first convolution", "relu2": "16 channels after the second"},
}


@dataclass(frozen=True)
class UnitActivations:
    """Activations of one layer over a set of images, with what is known about each image."""

    activations: np.ndarray  # (N, units) or, for conv layers, (N, channels, H, W), float32
    labels: np.ndarray  # (N,) class index: the true digit, or the photo a crop came from
    predictions: np.ndarray  # (N,) the network's top-1 class index (digits) or ImageNet class index (photos)
    class_names: tuple[str, ...]
    images: np.ndarray  # (N, H, W) or (N, H, W, 3) uint8, for showing a unit's top images
    has_truth: bool  # whether predictions and labels share classes, so "correct" means something

    @property
    def units(self) -> int:
        """Number of units (channels, for conv layers)."""
        return int(self.activations.shape[1])

    @property
    def correct(self) -> np.ndarray:
        """(N,) bool: the network classified the image correctly (all True when there is no ground truth)."""
        if not self.has_truth:
            return np.ones(len(self.labels), dtype=bool)
        return self.predictions == self.labels


def layers_for(network: str) -> tuple[list[str], str]:
    """The layers a network's map can be drawn from, and the one shown first (the digit networks' last)."""
    if network in DIGIT_LAYERS:
        layers = list(DIGIT_LAYERS[network])
        return layers, layers[-1]
    return list(PHOTO_LAYERS), PHOTO_DEFAULT_LAYER


def layer_note(network: str, layer: str) -> str:
    """What a layer's units are, in a few words ('a block output' for the photo network's blocks)."""
    return LAYER_NOTES.get(network, {}).get(layer, "a block output")


def display_names(source: UnitActivations) -> tuple[str, ...]:
    """How the classes are shown: 'digit 3' for the digits, the photo's caption for photo crops."""
    return tuple(f"digit {n}" for n in source.class_names) if source.has_truth else source.class_names


def balanced_indices(labels: np.ndarray, per_class: int, seed: int = 0) -> np.ndarray:
    """Up to `per_class` random indices of every class, sorted, so each class counts equally in the maps."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    picked = [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in np.unique(labels)]
    return np.sort(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)


def run_until(layers: nn.Sequential, inputs: torch.Tensor, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a named nn.Sequential to the end; return (the output of stage `name`, the final output)."""
    if name not in dict(layers.named_children()):
        raise KeyError(f"no layer {name!r}; choose from {', '.join(n for n, _ in layers.named_children())}")
    x, kept = inputs, None
    with torch.inference_mode():
        for child_name, child in layers.named_children():
            x = child(x)
            if child_name == name:
                kept = x
    return kept, x


def digit_activations(model: nn.Module, layer: str, per_class: int = 100, seed: int = 0) -> UnitActivations:
    """Activations of a digit network's layer on up to `per_class` held-out digits of each class."""
    _, _, x_test, y_test = data.mnist_split()
    chosen = balanced_indices(y_test, per_class, seed)
    images, labels = x_test[chosen], y_test[chosen]
    kept, scores = run_until(model.layers, mnist_cnn.to_input(images), layer)
    return UnitActivations(kept.float().numpy().copy(), labels.astype(np.int64), scores.argmax(1).numpy(),
                           mnist_cnn.CLASS_NAMES, images, has_truth=True)


def photo_crops_balanced(per_photo: int, size: int = PHOTO_CROP, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`per_photo` random crops (scale and mirror) of every shipped photo: (crops (N, S, S, 3) uint8, photo index)."""
    crops, origins = [], []
    for index, key in enumerate(data.photo_keys()):
        picture, _ = data.random_crops([data.load_photo(key)], per_photo, size, seed=seed + index, min_scale=0.4)
        crops.append(picture)
        origins.append(np.full(per_photo, index))
    return np.concatenate(crops), np.concatenate(origins)


def photo_activations(loaded: registry.LoadedModel, layer: str, per_photo: int = 16, seed: int = 0,
                      progress: Progress | None = None) -> UnitActivations:
    """Activations of an ImageNet model's layer on crops of the shipped photos; each photo is one class."""
    report = progress or silent
    report(0.0, f"Cutting {per_photo} random crops of each of the {len(data.photo_keys())} photos…")
    crops, origin = photo_crops_balanced(per_photo, loaded.spec.input_size, seed)
    inputs = preprocess.prepare_batch(crops, loaded.spec)
    last = loaded.layer_names[-1]
    running = sub_range(progress, 0.1, 1.0, prefix=f"Running {len(crops)} crops through {loaded.spec.title}: ")
    captured = capture.capture(loaded, inputs, list(dict.fromkeys([layer, last])), progress=running)
    acts, predictions = captured[layer], captured[last].argmax(axis=1)
    names = tuple(data.photo_info(k).caption for k in data.photo_keys())
    return UnitActivations(acts, origin.astype(np.int64), predictions, names, crops, has_truth=False)


def unit_profiles(source: UnitActivations, mode: str = "class_means", correct_only: bool = False) -> np.ndarray:
    """Profiles (units, features): class means minus their mean over classes, or raw activations over images
    (for conv layers: every position of every image)."""
    from lessons.topomap.compute import class_mean_profiles

    keep = source.correct if correct_only else np.ones(len(source.labels), dtype=bool)
    acts, labels = source.activations[keep], source.labels[keep]
    if mode == "class_means":
        return class_mean_profiles(acts, labels, len(source.class_names))
    if mode == "raw":
        flat = acts.reshape(len(acts), acts.shape[1], -1)  # (N, units, positions)
        return np.ascontiguousarray(np.moveaxis(flat, 1, 0).reshape(acts.shape[1], -1), dtype=np.float32)
    raise ValueError(f"unknown profile mode {mode!r}; use 'class_means' or 'raw'")
