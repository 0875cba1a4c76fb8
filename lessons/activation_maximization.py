"""Lesson glue for "What does a neuron want to see?": units, shipped images that drive them, runs by name."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lessons import compute, data
from lessons.compute import LoadedModel
from lessons.optvis import objectives
from lessons.optvis import render as render_mod


@dataclass(frozen=True)
class Unit:
    """What to maximise: a class logit, a channel, or one neuron (the channel at the centre)."""

    kind: str  # "class" | "channel" | "neuron"
    layer: str
    index: int


def objective_for(loaded: LoadedModel, unit: Unit) -> objectives.Objective:
    """The objective that maximises `unit`."""
    if unit.kind == "class":
        return objectives.class_logit(loaded.layer_names[-1], unit.index)
    if unit.kind == "neuron":
        return objectives.neuron(unit.layer, unit.index)
    return objectives.channel(unit.layer, unit.index)


def unit_count(loaded: LoadedModel, unit_kind: str, layer: str) -> int:
    """How many units of that kind the layer has (classes for "class")."""
    if unit_kind == "class":
        return len(compute.class_names(loaded.spec))
    return int(loaded.output_shapes[layer][0])


def shipped_images(loaded: LoadedModel, size: int) -> tuple[list[str], np.ndarray]:
    """Names and (N, size, size, C) float images in [0, 1] of the images that ship with the app for this model."""
    if loaded.spec.family == "digits":
        digits, labels = data.mnist_digits()
        picks = np.concatenate([np.flatnonzero(labels == d)[:20] for d in range(10)])
        images = digits[picks].reshape(-1, 28, 28, 1).astype(np.float32) / 255.0
        return [f"digit {labels[i]} (#{i})" for i in picks], images
    names, images = [], []
    for key in data.photo_keys():
        photo = compute.center_crop(compute.resize_shorter_side(data.load_photo(key), size), size)
        names.append(key)
        images.append(photo.astype(np.float32) / 255.0)
    return names, np.stack(images)


def top_shipped(loaded: LoadedModel, unit: Unit, size: int, k: int = 5) -> list[tuple[str, np.ndarray, float]]:
    """The k shipped images that drive the unit most: (name, image, activation), best first."""
    names, images = shipped_images(loaded, size)
    scores = render_mod.score(loaded, objective_for(loaded, unit), images)
    order = np.argsort(-scores)[:k]
    return [(names[i], images[i], float(scores[i])) for i in order]
