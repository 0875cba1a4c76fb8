"""The inception loop in one call: fit a population's readouts, synthesise each cell's most exciting image, show the
images to the simulated cells themselves, and compare their receptive-field estimates with the truth.

Callable from a notebook::

    from lessons.cortex import inception, simulated
    bundle, truth = simulated.load_or_build(), simulated.ground_truth()
    run = inception.population(bundle, truth, area="VISp", count=16, steps=64)
    run.outcome.win_share(), run.layer

Staged (readouts → MEIs → the loop → receptive fields), reported to a `Progress`, cancellable between stages and
steps. Results are plain arrays (`PopulationLoop`), saved to and read from `.npz` (never pickled), and the default
run ships with the app (`assets/cortex/loop/`), so the page opens on it at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from lessons.core import cache, registry
from lessons.core.data import ASSETS_DIR
from lessons.core.progress import Progress, silent, sub_range
from lessons.cortex import brain_score, loop, mei, neuron_model, pipeline
from lessons.cortex import simulated as simulated_cortex
from lessons.cortex.data import NeuralBundle

#: Trials per image when an image is "shown" to a simulated cell (as in the data: about 50 per photo).
TRIALS = simulated_cortex.N_TRIALS
STEPS = 128
SHIPPED_DIR = ASSETS_DIR / "cortex" / "loop"
_VERSION = 2  # 2: the model's predictions for every natural image


class LoopCancelled(RuntimeError):
    """The run was stopped by its caller between stages."""


def reliable_cells(bundle: NeuralBundle, area: str, count: int = loop.POPULATION) -> np.ndarray:
    """The `count` most reliable cells of an area (bundle indices, most reliable first)."""
    cells = bundle.cells
    members = np.flatnonzero(cells["cortical_area"].to_numpy() == area)
    if members.size == 0:
        raise neuron_model.ReadoutError(f"the data set has no {area} cells.")
    reliability = cells["reliability"].to_numpy()[members]
    order = np.argsort(-reliability, kind="stable")
    return members[order[:count]]


def best_natural(bundle: NeuralBundle, cells: np.ndarray) -> np.ndarray:
    """Each cell's best natural image: the stimulus index it answered most in the data (the blank excluded)."""
    responses = bundle.responses[np.asarray(cells)][:, bundle.image_conditions]
    return np.argmax(responses, axis=1)


def layer_scores(bundle: NeuralBundle, model_key: str, weights: registry.Weights, cells: np.ndarray,
                 seed: int = pipeline.SEED, progress: Progress | None = None) -> tuple[list[str], np.ndarray]:
    """Held-out scores (signed r², 10-fold) of the cells at every brain layer: (layers, (layers × cells))."""
    grams = pipeline.layer_grams(bundle, model_key, weights, seed=seed, progress=sub_range(progress, 0.0, 0.5))
    y = bundle.responses[np.asarray(cells)].T.astype(np.float64)
    folds = brain_score.kfold_indices(len(y), pipeline.FOLDS, seed)
    scores = []
    for i, layer in enumerate(grams.layers):
        (progress or silent)(0.5 + 0.5 * i / len(grams.layers), f"Held-out scores at {layer}")
        scores.append(brain_score.score_layer(grams.gram(layer), y, folds).score)
    return list(grams.layers), np.stack(scores)


@dataclass(frozen=True)
class PopulationLoop:
    """One area's inception loop: which cells and layer, their MEIs, what the cells and the model said about them."""

    area: str
    model_key: str
    weights: str
    layer: str
    steps: int
    cells: np.ndarray  # (C,) bundle indices, most reliable first
    held_out: np.ndarray  # (C,) held-out score at `layer`
    constant: np.ndarray  # (C,) bool: the readout predicts a constant (no MEI made; NaN below)
    meis: np.ndarray  # (C, H, W) uint8 most exciting images (grey for a constant cell)
    natural: np.ndarray  # (C,) index of each cell's best natural image
    mei_measured: np.ndarray  # (C,) the cell's measured response to its MEI (fresh trials)
    natural_measured: np.ndarray  # (C,) ... to its best natural image
    other_measured: np.ndarray  # (C,) ... to another cell's MEI (the control)
    mei_predicted: np.ndarray  # (C,) the model's prediction for the MEI
    natural_predicted: np.ndarray  # (C,) ... for the best natural image
    stimulus_predicted: np.ndarray  # (C, images) float32 the model's prediction for every natural image
    rf_model: np.ndarray  # (C, h, w) float32 gradient of the model at a grey screen (half resolution)
    rf_match: np.ndarray  # (C,) correlation of the estimate with the true receptive field (NaN without a truth)
    simple: np.ndarray  # (C,) bool: a simple cell (its true RF is a signed filter) — False without a truth
    seconds: dict[str, float]
    closed: bool  # whether the loop could be closed (a simulated cortex with its ground truth)

    @property
    def outcome(self) -> loop.LoopOutcome:
        """The loop's measurements of the cells that got an MEI."""
        ok = ~self.constant
        return loop.LoopOutcome(self.cells[ok], self.held_out[ok], self.mei_measured[ok], self.natural_measured[ok],
                                self.other_measured[ok], self.mei_predicted[ok], self.natural_predicted[ok])

    def index_of(self, cell: int) -> int:
        """The row of a bundle cell in this run."""
        return int(np.flatnonzero(self.cells == cell)[0])


def rf_match(estimate: np.ndarray, truth: simulated_cortex.GroundTruth, cell: int) -> float:
    """How well a gradient matches the cell's true receptive field: the correlation with its signed filter for a
    simple cell; for a complex cell (no signed filter) the correlation of the gradient's magnitude with its
    footprint."""
    true = simulated_cortex.true_receptive_field(truth, cell, estimate.shape)
    shown = estimate if truth.is_simple([cell])[0] else np.abs(estimate)
    a, b = shown.ravel() - shown.mean(), true.ravel() - true.mean()
    denominator = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / denominator) if denominator > 0 else 0.0


def difference_error(truth: simulated_cortex.GroundTruth, cell: int, first: np.ndarray, second: np.ndarray,
                     trials: int = TRIALS) -> float:
    """The standard error of the difference between a cell's mean measured responses (`trials` trials each, with the
    cell's own noise) to two stimuli (H, W)."""
    rates = simulated_cortex.true_rates(truth, [cell], np.stack([first, second]))
    sd = simulated_cortex.trial_sd(truth, [cell], rates)[:, 0]
    return float(np.sqrt((sd**2).sum() / trials))


def _half(image: np.ndarray) -> np.ndarray:
    """A map at half resolution (2 × 2 means), as the simulated cells see: small enough to ship."""
    h, w = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    return image[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))


def population(bundle: NeuralBundle, truth: simulated_cortex.GroundTruth | None, area: str = "VISp",
               count: int = loop.POPULATION, model_key: str = registry.DEFAULT_MODEL,
               weights: registry.Weights = "pretrained", steps: int = STEPS, seed: int = pipeline.SEED,
               progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
               device: str | None = None) -> PopulationLoop:
    """The whole loop for an area's most reliable cells: the layer that predicts them best, their readouts, one MEI
    per cell in one batched optimisation, each image shown to the cells (when a ground truth exists) and each cell's
    receptive-field estimate."""
    report = progress or silent
    stopped = cancel or (lambda: False)
    seconds: dict[str, float] = {}
    tick = time.perf_counter()
    cells = reliable_cells(bundle, area, count)
    layers, scores = layer_scores(bundle, model_key, weights, cells, seed, sub_range(report, 0.0, 0.1))
    best = int(np.argmax(scores.mean(axis=1)))
    layer, held_out = layers[best], scores[best]
    report(0.1, f"Readouts of {len(cells)} {area} cells at {layer} (their best layer)")
    readouts = neuron_model.fit_readouts(bundle, model_key, weights, layer, cells, seed,
                                         sub_range(report, 0.1, 0.25), device)
    model = neuron_model.NeuronModel.from_readouts(readouts, device)
    seconds["readouts"] = time.perf_counter() - tick
    if stopped():
        raise LoopCancelled
    tick = time.perf_counter()
    constant = np.asarray(readouts.constant, dtype=bool)
    active = np.flatnonzero(~constant)
    settings = mei.MeiSettings(shape=tuple(bundle.stimuli.shape[1:]), steps=steps, seed=seed,
                               contrast=mei.stimulus_contrast(bundle.stimuli))
    made = mei.most_exciting(model, active, settings, sub_range(report, 0.25, 0.85, "Most exciting images: "), cancel)
    if made.cancelled:
        raise LoopCancelled
    meis = np.full((len(cells), *settings.shape), 128, dtype=np.uint8)
    meis[active] = made.images_uint8
    seconds["meis"] = time.perf_counter() - tick
    tick = time.perf_counter()
    report(0.85, "Showing the images to the model and to the cells")
    natural = best_natural(bundle, cells)
    naturals = bundle.stimuli[natural]
    mei_predicted = np.full(len(cells), np.nan)
    stimulus_predicted = model.predict_stimuli(bundle.stimuli).T.astype(np.float32)  # (C, images)
    natural_predicted = stimulus_predicted[np.arange(len(cells)), natural].astype(np.float64)
    if active.size:
        mei_predicted[active] = model.predict_stimuli(meis[active])[np.arange(active.size), active]
    measured = np.full((3, len(cells)), np.nan)
    closed = truth is not None
    if closed and active.size:
        shown = simulated_cortex.measured_responses(truth, cells[active], meis[active], TRIALS, seed + 11)
        measured[0, active] = shown[np.arange(active.size), np.arange(active.size)]
        measured[2, active] = shown[loop.other_cell(active.size, seed), np.arange(active.size)]
        natural_shown = simulated_cortex.measured_responses(truth, cells[active], naturals[active], TRIALS, seed + 12)
        measured[1, active] = natural_shown[np.arange(active.size), np.arange(active.size)]
    seconds["loop"] = time.perf_counter() - tick
    tick = time.perf_counter()
    report(0.9, "Receptive fields: the gradient of each cell's model at a grey screen")
    half = (settings.shape[0] // 2, settings.shape[1] // 2)
    rf = np.zeros((len(cells), *half), dtype=np.float32)
    match = np.full(len(cells), np.nan)
    for i in active:
        gradient = neuron_model.receptive_field(model, int(cells[i]))
        rf[i] = _half(gradient)
        if closed:
            match[i] = rf_match(gradient, truth, int(cells[i]))
    seconds["receptive_fields"] = time.perf_counter() - tick
    report(1.0, "Done")
    simple = truth.is_simple(cells) if closed else np.zeros(len(cells), dtype=bool)
    return PopulationLoop(area, model_key, str(weights), layer, steps, cells, held_out, constant, meis, natural,
                          measured[0], measured[1], measured[2], mei_predicted, natural_predicted, stimulus_predicted,
                          rf, match,
                          np.asarray(simple, dtype=bool), seconds, closed)


# ------------------------------------------------------------------------------------------------------ files
_TEXT_FIELDS = ("area", "model_key", "weights", "layer")


def save(run: PopulationLoop, path: Path) -> bool:
    """Write a run as `.npz` (atomically); False when the folder is not writable."""
    arrays = {f.name: np.asarray(getattr(run, f.name)) for f in fields(run) if f.name not in ("seconds",)}
    arrays["seconds_keys"] = np.array(list(run.seconds), dtype=str)
    arrays["seconds_values"] = np.array(list(run.seconds.values()), dtype=np.float64)
    arrays["version"] = np.array(_VERSION)
    return cache.save_atomically(path, lambda handle: np.savez_compressed(handle, **arrays))


def load(path: Path) -> PopulationLoop | None:
    """A run read back from `.npz` (None when missing, stale or unreadable)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if int(data["version"]) != _VERSION:
                return None
            values = {f.name: data[f.name] for f in fields(PopulationLoop) if f.name != "seconds"}
            seconds = dict(zip(data["seconds_keys"].tolist(), data["seconds_values"].tolist()))
    except (OSError, KeyError, ValueError):
        return None
    for name in _TEXT_FIELDS:
        values[name] = str(values[name])
    values["steps"] = int(values["steps"])
    values["closed"] = bool(values["closed"])
    return PopulationLoop(**values, seconds=seconds)


def file_name(bundle: NeuralBundle, area: str, count: int, model_key: str, weights: str, steps: int, seed: int) -> str:
    """The file of a run: named by what it depends on (data, area, cells, network, steps, seed, version)."""
    return (f"loop_{bundle.fingerprint}_{area}_{count}_{model_key}_{weights}_{steps}_s{seed}_v{_VERSION}"
            f"_m{mei.VERSION}.npz")


def stored(bundle: NeuralBundle, area: str, count: int, model_key: str, weights: str, steps: int,
           seed: int = pipeline.SEED) -> PopulationLoop | None:
    """A run shipped with the app or cached earlier (None when neither exists)."""
    name = file_name(bundle, area, count, model_key, weights, steps, seed)
    for folder in (SHIPPED_DIR, cache.cache_dir() / "loop"):
        found = load(folder / name)
        if found is not None:
            return found
    return None


def run_or_load(bundle: NeuralBundle, truth: simulated_cortex.GroundTruth | None, area: str, count: int,
                model_key: str, weights: registry.Weights, steps: int, seed: int = pipeline.SEED,
                progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> PopulationLoop:
    """The stored run, else a fresh one (cached on disk afterwards)."""
    found = stored(bundle, area, count, model_key, str(weights), steps, seed)
    if found is not None:
        (progress or silent)(1.0, "Read the finished run from disk")
        return found
    run = population(bundle, truth, area, count, model_key, weights, steps, seed, progress, cancel)
    save(run, cache.cache_dir() / "loop" / file_name(bundle, area, count, model_key, str(weights), steps, seed))
    return run


def ship(areas: Sequence[str] = ("VISp",), progress: Progress | None = None) -> list[Path]:
    """Run and write the default runs that ship with the app (the simulated cortex, the default network)."""
    bundle = simulated_cortex.load_or_build()
    truth = simulated_cortex.ground_truth()
    written = []
    for i, area in enumerate(areas):
        path = SHIPPED_DIR / file_name(bundle, area, loop.POPULATION, registry.DEFAULT_MODEL, "pretrained", STEPS,
                                       pipeline.SEED)
        run = population(bundle, truth, area, progress=sub_range(progress, i / len(areas), (i + 1) / len(areas)))
        save(run, path)
        written.append(path)
    return written
