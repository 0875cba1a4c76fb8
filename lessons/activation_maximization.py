"""Lesson compute for "What does a neuron want to see?": units, runs by method, and the comparisons the page draws."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from lessons import compute, data, mnist_cnn
from lessons.architectures import run_stages
from lessons.compute import LoadedModel
from lessons.optvis import evolution, generator, objectives
from lessons.optvis import render as render_mod

METHODS = ("fft", "pixel", "evolution", "generator")
UNIT_KINDS = ("class", "channel", "neuron")
JUDGE_SEED = 1  # the independently trained digit CNN that gives a second opinion


@dataclass(frozen=True)
class Unit:
    """What to maximise: a class logit, a channel (mean of its map), or one neuron (the channel at the centre)."""

    kind: str  # "class" | "channel" | "neuron"
    layer: str
    index: int


@dataclass(frozen=True)
class Request:
    """One visualisation: unit, method, engine settings and the weight of the batch-diversity term."""

    unit: Unit
    method: str = "fft"
    settings: render_mod.Settings = render_mod.Settings()
    diversity: float = 0.0


def spatial_layers(loaded: LoadedModel) -> list[str]:
    """Layers whose output is a stack of feature maps (C, H, W), in forward order."""
    return [n for n, shape in loaded.output_shapes.items() if len(shape) == 3]


def diversity_layer(loaded: LoadedModel, unit: Unit) -> str:
    """Where the diversity term compares images: the unit's own layer, or the last feature maps for a class."""
    return spatial_layers(loaded)[-1] if unit.kind == "class" else unit.layer


def objective_for(loaded: LoadedModel, unit: Unit, diversity: float = 0.0) -> objectives.Objective:
    """The objective that maximises `unit`, plus `diversity` × the batch-diversity term when asked."""
    if unit.kind == "class":
        objective = objectives.class_logit(loaded.layer_names[-1], unit.index)
    elif unit.kind == "neuron":
        objective = objectives.neuron(unit.layer, unit.index)
    elif unit.kind == "channel":
        objective = objectives.channel(unit.layer, unit.index)
    else:
        raise ValueError(f"unknown unit kind {unit.kind!r}; use one of {UNIT_KINDS}")
    if diversity:
        objective = objective + diversity * objectives.diversity(diversity_layer(loaded, unit))
    return objective


def unit_count(loaded: LoadedModel, unit_kind: str, layer: str) -> int:
    """How many units of that kind the layer has (classes for "class")."""
    if unit_kind == "class":
        return len(compute.class_names(loaded.spec))
    return int(loaded.output_shapes[layer][0])


def image_size(loaded: LoadedModel) -> int:
    """Side of the optimised image: 28 px for the digit CNN, 128 px for ImageNet models."""
    return loaded.spec.input_size if loaded.spec.family == "digits" else 128


def mean_image(loaded: LoadedModel, size: int) -> np.ndarray:
    """Mean of the shipped images as a (C, size, size) start image (Nguyen et al. 2016's mean-image init)."""
    _, images = shipped_images(loaded, size)
    return images.mean(axis=0).transpose(2, 0, 1)


def run(loaded: LoadedModel, request: Request, progress: render_mod.ProgressFn | None = None,
        on_snapshot: render_mod.SnapshotFn | None = None) -> render_mod.Result:
    """Run one visualisation by its method (gradient ascent on pixels or spectrum, evolution, or generator)."""
    settings = request.settings
    diverse = request.diversity if settings.batch > 1 and request.method != "evolution" else 0.0
    objective = objective_for(loaded, request.unit, diverse)  # (evolution's population is not a batch of facets)
    if request.method == "evolution":
        return evolution.evolve(loaded, objective, settings.size, generations=settings.steps, seed=settings.seed,
                                progress=progress, snapshots=settings.snapshots, on_snapshot=on_snapshot)
    if request.method == "generator":
        if loaded.spec.family != "digits":
            raise ValueError("the generator prior is trained on digits: use it with the digit CNN")
        return generator.render_latent(loaded, objective, digit_generator(), steps=settings.steps,
                                       batch=settings.batch, seed=settings.seed, progress=progress,
                                       snapshots=settings.snapshots, on_snapshot=on_snapshot)
    if request.method not in ("fft", "pixel"):
        raise ValueError(f"unknown method {request.method!r}; use one of {METHODS}")
    init = mean_image(loaded, settings.size) if settings.init == "mean" else None
    return render_mod.render(loaded, objective, settings, progress=progress, init_image=init, on_snapshot=on_snapshot)


# ------------------------------------------------------------------------------------------ real images to compare
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
        names.append(data.photo_info(key).caption)
        images.append(photo.astype(np.float32) / 255.0)
    return names, np.stack(images)


def as_model_image(rgb: np.ndarray, loaded: LoadedModel, size: int) -> np.ndarray:
    """An uploaded H×W×3 uint8 image as this model sees it: (size, size, C) in [0, 1].

    For the digit CNN: grey, centre-cropped, 28×28, and inverted when the background is light (MNIST digits are
    white on black, a photo of a written digit is usually dark on white).
    """
    square = compute.center_crop(compute.resize_shorter_side(np.asarray(rgb, dtype=np.uint8), size), size)
    if loaded.spec.channels == 3:
        return square.astype(np.float32) / 255.0
    grey = np.asarray(Image.fromarray(square).convert("L"), dtype=np.float32) / 255.0
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if border.mean() > 0.5:
        grey = 1.0 - grey
    return grey[:, :, None]


def top_images(loaded: LoadedModel, unit: Unit, names: list[str], images: np.ndarray,
               k: int = 5) -> list[tuple[str, np.ndarray, float]]:
    """The k images that drive the unit most: (name, image, activation), best first."""
    scores = render_mod.score(loaded, objective_for(loaded, unit), images)
    order = np.argsort(-scores)[:k]
    return [(names[i], images[i], float(scores[i])) for i in order]


def top_shipped(loaded: LoadedModel, unit: Unit, size: int, k: int = 5) -> list[tuple[str, np.ndarray, float]]:
    """The k shipped images that drive the unit most: (name, image, activation), best first."""
    names, images = shipped_images(loaded, size)
    return top_images(loaded, unit, names, images, k)


# ------------------------------------------------------------------------------------------ reading the results
def class_probabilities(loaded: LoadedModel, images: np.ndarray) -> np.ndarray:
    """Softmax class probabilities (B, classes) of (B, H, W, C) images in [0, 1]."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).permute(0, 3, 1, 2).to(loaded.device)
    with torch.inference_mode():
        logits, _ = run_stages(loaded.stages, render_mod.model_input(loaded, x))
    return torch.softmax(logits.float(), dim=1).cpu().numpy()


def feature_similarity(loaded: LoadedModel, layer: str, images: np.ndarray) -> float:
    """Mean pairwise cosine similarity of the images' spatially averaged activations at `layer` (1 = identical)."""
    if len(images) < 2:
        return 1.0
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).permute(0, 3, 1, 2).to(loaded.device)
    with torch.inference_mode():
        acts = render_mod.activations(loaded, objectives.channel(layer, 0), x)[layer]
    v = torch.nn.functional.normalize(acts.float().mean(dim=(-2, -1)), dim=1)
    sim = v @ v.T
    n = len(images)
    return float((sim.sum() - sim.diagonal().sum()) / (n * (n - 1)))


def nearest_real_digit(image: np.ndarray) -> tuple[int, float, np.ndarray]:
    """The shipped MNIST digit closest in pixels to a (28, 28[, 1]) image in [0, 1]: (index, distance, digit)."""
    digits, _ = data.mnist_digits()
    real = digits.reshape(len(digits), -1).astype(np.float32) / 255.0
    flat = np.asarray(image, dtype=np.float32).reshape(1, -1)
    distances = np.sqrt(((real - flat) ** 2).sum(axis=1))
    best = int(np.argmin(distances))
    return best, float(distances[best]), digits[best]


_judge_lock = threading.Lock()
_judge: list[torch.nn.Module] = []


def digit_generator() -> generator.DigitVAE:
    """The small digit VAE whose decoder is the generator prior (trained once in seconds, then cached)."""
    return generator.load_or_train()


def second_opinion_reader() -> torch.nn.Module:
    """A second digit CNN trained here from a different random start (seconds once, then from the disk cache)."""
    with _judge_lock:
        if not _judge:
            model, _ = mnist_cnn.load_or_train(seed=JUDGE_SEED)
            _judge.append(model.eval().requires_grad_(False))
        return _judge[0]


def digit_readings(model: torch.nn.Module, images: np.ndarray) -> np.ndarray:
    """Class probabilities (B, 10) that a digit CNN gives (B, 28, 28[, 1]) images in [0, 1]."""
    u8 = (np.clip(np.asarray(images, dtype=np.float32), 0, 1) * 255).round().astype(np.uint8).reshape(-1, 28, 28)
    return mnist_cnn.predict_digits(model, u8)
