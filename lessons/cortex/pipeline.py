"""From images to brain scores: stimuli → network → every layer's features → random projection → ridge → scores.

Callable from a notebook::

    from lessons.cortex import pipeline as cortex_pipeline
    from lessons.cortex import simulated as simulated_cortex
    bundle = simulated_cortex.load_or_build()
    result = cortex_pipeline.run(bundle, "efficientnet_lite0", "pretrained")
    result.cell_table().head(); result.area_layer_table()

The network runs once over all conditions (in batches, through `capture.capture`, no hooks). Each image batch's
activations are projected straight away (`brain_score.SparseProjection`, one seeded matrix per layer), so the full
activations of all images never sit in memory together. What the regression needs from a layer is only the Gram
matrix of the projected features (n × n), which is cached on disk per data set, model and weights (those of the
shipped simulated cortex and the default network ship in `assets/cortex/grams`, see `lessons.cortex.shipped`);
scoring a different subset of cells then costs only the regression. Runs on the shared device; results are CPU numpy.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from lessons.core import cache, capture, chance, preprocess, registry, runtime
from lessons.core.data import ASSETS_DIR
from lessons.core.progress import Progress, silent, sub_range
from lessons.core.stages import representation_layers
from lessons.cortex import brain_score
from lessons.cortex.data import AREAS, NeuralBundle

STAGES = ("extraction", "projection", "regression")
IMAGE_BATCH = 24
#: Images per forward pass inside a batch. capture's default for a CPU (2 at 224 px) measured 2–10× slower than
#: 8 or 24 over the same 24 stimuli on 2 busy cores; 8 keeps the transient maps of a pass small (~40 MB).
CAPTURE_BATCH = 8
FOLDS = 10
SEED = 0
_CACHE_VERSION = 2  # 2: whole stimuli resized to the input square (no centre crop)
STIMULUS_FIT: preprocess.Fit = "stretch"  # as DeepMouseTrap: the whole scene, resized to the network's input square
SHIPPED_GRAMS_DIR = ASSETS_DIR / "cortex" / "grams"


# ---------------------------------------------------------------------------------------------------------- layers
def brain_layers(loaded: registry.LoadedModel) -> list[str]:
    """The layers worth scoring, in forward order (the registry's rule, `stages.representation_layers`)."""
    return representation_layers(loaded.stages)


def layer_depths(layers: Sequence[str]) -> dict[str, float]:
    """Relative depth of each layer, 0 (first) to 1 (last)."""
    n = max(len(layers) - 1, 1)
    return {name: i / n for i, name in enumerate(layers)}


# ------------------------------------------------------------------------------------------------ features → Grams
@dataclass(frozen=True)
class LayerGrams:
    """Per-layer Gram matrices of projected features for one data set, model and weights."""

    model_key: str
    weights: str
    layers: list[str]
    grams: list[brain_score.LayerGram]
    feature_dims: list[int]  # original number of activations per image
    seconds: dict[str, float] = field(default_factory=dict)

    def gram(self, layer: str) -> brain_score.LayerGram:
        """The Gram matrix entry of one layer."""
        return self.grams[self.layers.index(layer)]


def _layer_seed(seed: int, index: int) -> int:
    return seed * 10_007 + index


def project_layers(loaded: registry.LoadedModel, images: np.ndarray, layers: Sequence[str] | None = None,
                   seed: int = SEED, progress: Progress | None = None,
                   image_batch: int = IMAGE_BATCH) -> tuple[list[str], list[torch.Tensor], list[int], dict[str, float]]:
    """Run the network over images (n × H × W grayscale uint8) and project every layer's activations.

    Returns the layer names, the projected features (n × k tensors on the device), each layer's original number
    of activations and the seconds spent extracting and projecting.
    """
    layers = list(layers or brain_layers(loaded))
    n = len(images)
    dims = [int(np.prod(loaded.output_shapes[name])) for name in layers]
    projections = [brain_score.SparseProjection(d, brain_score.projection_dim(n, d), _layer_seed(seed, i),
                                                device=loaded.device) for i, d in enumerate(dims)]
    projected = [torch.empty(n, p.n_components, device=loaded.device) for p in projections]
    seconds = {"extraction": 0.0, "projection": 0.0}
    report = progress or silent
    starts = list(range(0, n, image_batch))
    for step, start in enumerate(starts):
        stop = min(start + image_batch, n)
        report(step / len(starts), f"Features of every layer: images {start + 1}–{stop} of {n} through "
               f"{loaded.spec.title}")
        tick = time.perf_counter()
        inputs = preprocess.prepare_batch(list(images[start:stop]), loaded.spec, fit=STIMULUS_FIT)
        acts = capture.capture(loaded, inputs, layers, batch_size=CAPTURE_BATCH)
        seconds["extraction"] += time.perf_counter() - tick
        report((step + 0.6) / len(starts), f"Projection: {len(layers)} layers of images {start + 1}–{stop} to "
               f"≤ {brain_score.jl_dim(n):,} dimensions")
        tick = time.perf_counter()
        with torch.inference_mode():
            for i, name in enumerate(layers):
                projected[i][start:stop] = projections[i].transform(torch.from_numpy(acts[name]))
        del acts
        seconds["projection"] += time.perf_counter() - tick
    for p in projections:
        p.release()
    return layers, projected, dims, seconds


def extract_grams(loaded: registry.LoadedModel, images: np.ndarray, layers: Sequence[str] | None = None,
                  seed: int = SEED, progress: Progress | None = None, image_batch: int = IMAGE_BATCH) -> LayerGrams:
    """Run the network over images (n × H × W grayscale uint8), project every layer, return the Gram matrices."""
    names, projected, dims, seconds = project_layers(loaded, images, layers, seed, sub_range(progress, 0.0, 0.95),
                                                     image_batch)
    (progress or silent)(0.95, f"Gram matrices: {len(names)} layers, {len(images)} × {len(images)} each")
    tick = time.perf_counter()
    grams = [brain_score.gram_of(name, x) for name, x in zip(names, projected)]
    seconds["projection"] += time.perf_counter() - tick
    return LayerGrams(loaded.spec.key, loaded.weights, names, grams, dims, seconds)


def _grams_file_name(bundle: NeuralBundle, model_key: str, weights: str, seed: int, layers: Sequence[str]) -> str:
    key = hashlib.sha1("|".join([bundle.stimulus_fingerprint, model_key, weights, str(seed), *layers]).encode()).hexdigest()
    return f"v{_CACHE_VERSION}_{model_key}_{weights}_{key[:16]}.npz"


def _grams_cache_file(bundle: NeuralBundle, model_key: str, weights: str, seed: int, layers: Sequence[str]) -> Path:
    return cache.cache_dir() / "cortex_grams" / _grams_file_name(bundle, model_key, weights, seed, layers)


def shipped_grams_file(bundle: NeuralBundle, model_key: str, weights: str, seed: int, layers: Sequence[str]) -> Path:
    """Where the Gram matrices of these data, network, weights, seed and layers ship with the app (the simulated
    cortex's default network only; regenerated by `python -m lessons.cortex.shipped`)."""
    return SHIPPED_GRAMS_DIR / _grams_file_name(bundle, model_key, weights, seed, layers)


def save_grams(path: Path, grams: LayerGrams) -> None:
    """Save the Gram matrices to `path`, atomically (an unwritable cache only costs a recomputation next time)."""
    cache.save_atomically(path, lambda handle: np.savez_compressed(
        handle, layers=np.array(grams.layers), gram=np.stack([g.gram for g in grams.grams]),
        sums=np.stack([g.sums for g in grams.grams]), dims=np.array([g.dim for g in grams.grams]),
        feature_dims=np.array(grams.feature_dims)))


def _load_grams(path: Path, model_key: str, weights: str, layers: Sequence[str]) -> LayerGrams | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            names = [str(x) for x in z["layers"]]
            if names != list(layers):
                return None
            grams = [brain_score.LayerGram(name, z["gram"][i], z["sums"][i], int(z["dims"][i]))
                     for i, name in enumerate(names)]
            return LayerGrams(model_key, weights, names, grams, [int(d) for d in z["feature_dims"]],
                              {"extraction": 0.0, "projection": 0.0})
    except (OSError, ValueError, KeyError):
        return None


def grams_on_disk(bundle: NeuralBundle, loaded: registry.LoadedModel, seed: int = SEED) -> bool:
    """Whether the Gram matrices of this bundle and network ship with the app or are in the disk cache (no network
    pass needed: scoring is then only the regression)."""
    args = (bundle, loaded.spec.key, loaded.weights, seed, brain_layers(loaded))
    return shipped_grams_file(*args).is_file() or _grams_cache_file(*args).is_file()


def layer_grams(bundle: NeuralBundle, model_key: str, weights: registry.Weights = "pretrained", seed: int = SEED,
                progress: Progress | None = None, device: str | None = None) -> LayerGrams:
    """Gram matrices of every brain layer for a bundle's conditions, from the disk cache or computed (and cached)."""
    loaded = registry.load_model(model_key, weights, device_name=device)
    layers = brain_layers(loaded)
    shipped = _load_grams(shipped_grams_file(bundle, model_key, weights, seed, layers), model_key, weights, layers)
    if shipped is not None:
        (progress or silent)(1.0, "Features and Gram matrices: precomputed, shipped with the app")
        return shipped
    path = _grams_cache_file(bundle, model_key, weights, seed, layers)
    cached = _load_grams(path, model_key, weights, layers)
    if cached is not None:
        (progress or silent)(1.0, "Features and Gram matrices: reused from the cache")
        return cached
    grams = extract_grams(loaded, bundle.condition_images(), layers, seed=seed, progress=progress)
    save_grams(path, grams)
    return grams


# ----------------------------------------------------------------------------------------------------- scoring
@dataclass(frozen=True)
class BrainScores:
    """Per-layer, per-cell results of one model on one set of cells, with the shuffled runs that give chance."""

    model_key: str
    weights: str
    layers: list[str]
    cells: pd.DataFrame  # the scored cells' rows of the bundle's cell table
    score: np.ndarray  # (layers, cells) signed r² of k-fold held-out predictions
    null: np.ndarray  # (layers, shuffles, cells per shuffle) the same for shuffled stimuli (random cells each)
    alpha: np.ndarray  # (layers, cells) GCV alpha on all conditions
    at_max_alpha: np.ndarray  # (layers, cells) bool
    predictions: np.ndarray  # (layers, conditions, cells) float32 held-out predictions
    actual: np.ndarray  # (conditions, cells) float32 responses
    seconds: dict[str, float]
    fdr: float = chance.FDR

    @property
    def shuffles(self) -> int:
        """Number of shuffles behind the chance levels."""
        return int(self.null.shape[1])

    @property
    def best_layer_index(self) -> np.ndarray:
        """Index of each cell's best layer."""
        return np.argmax(self.score, axis=0)

    @property
    def best_score(self) -> np.ndarray:
        """Each cell's score at its best layer."""
        return self.score.max(axis=0)

    def model_layer_index(self) -> int:
        """Index of the layer with the highest mean score over cells (the model's layer)."""
        return int(np.argmax(self.score.mean(axis=1)))

    def model_score(self) -> tuple[str, float]:
        """The model's score: the layer with the highest mean score over cells, and that mean."""
        best = self.model_layer_index()
        return self.layers[best], float(self.score[best].mean())

    def null_best_scores(self) -> np.ndarray:
        """Shuffled cells' best-layer scores (shuffles × cells per shuffle): the selection redone on every shuffle."""
        return self.null.max(axis=0)

    def chance_after_selection(self) -> float:
        """The mean best-layer score of shuffled cells: what picking the best layer alone gives pure noise."""
        return float(self.null_best_scores().mean())

    def null_model_scores(self) -> np.ndarray:
        """The model score of every shuffle: its best layer's mean over the shuffle's cells."""
        return self.null.mean(axis=2).max(axis=0)

    def model_verdict(self) -> chance.Verdict:
        """The model score against the shuffles' model scores (exact permutation test)."""
        return chance.verdict(self.model_score()[1], self.null_model_scores())

    def cell_p_values(self) -> np.ndarray:
        """Each cell's best-layer score against the pooled shuffled best-layer scores."""
        return chance.pooled_p_values(self.best_score, self.null_best_scores())

    def cells_above_chance(self) -> np.ndarray:
        """Which cells beat chance, with the false-discovery rate controlled (Benjamini–Hochberg)."""
        return chance.benjamini_hochberg(self.cell_p_values(), self.fdr)

    def layer_chance(self) -> np.ndarray:
        """Each layer's chance level: the mean shuffled score at that layer (no selection)."""
        return self.null.mean(axis=(1, 2))

    def cell_table(self) -> pd.DataFrame:
        """One row per cell: metadata, best layer, held-out score, p-value, verdict, ceiling-normalised score."""
        cols = ["cell_specimen_id", "cortical_area", "cortical_layer", "imaging_depth", "cre_line", "reliability"]
        table = self.cells[cols].copy().reset_index(drop=True)
        best = self.best_layer_index
        idx = np.arange(len(best))
        table["best_layer"] = [self.layers[i] for i in best]
        table["score"] = self.score[best, idx]
        table["score_at_model_layer"] = self.score[self.model_layer_index()]
        table["p_value"] = self.cell_p_values()
        table["above_chance"] = self.cells_above_chance()
        table["normalised_score"] = brain_score.ceiling_normalised(table["score"].to_numpy(),
                                                                   table["reliability"].to_numpy())
        table["alpha"] = self.alpha[best, idx]
        table["constant_prediction"] = self.at_max_alpha[best, idx]
        return table

    def area_layer_table(self) -> pd.DataFrame:
        """Mean score, chance level and their spread by area and layer (long format)."""
        areas = self.cells["cortical_area"].to_numpy()
        depth = layer_depths(self.layers)
        layer_null = self.layer_chance()
        rows = []
        for area in [a for a in AREAS if (areas == a).any()]:
            mask = areas == area
            for i, layer in enumerate(self.layers):
                s = self.score[i, mask]
                rows.append({"area": area, "layer": layer, "layer_index": i, "depth": depth[layer],
                             "score": float(s.mean()), "sem": float(s.std(ddof=1) / np.sqrt(len(s))) if len(s) > 1
                             else 0.0, "null": float(layer_null[i]), "cells": int(mask.sum())})
        return pd.DataFrame(rows)

    def area_summary(self) -> pd.DataFrame:
        """Per area: cells, how many beat chance, the mean score at the model's layer and at each cell's own best
        layer, the ceiling and the normalised score."""
        table = self.cell_table()
        rows = []
        for area in [a for a in AREAS if (table["cortical_area"] == a).any()]:
            part = table[table["cortical_area"] == area]
            rows.append({"area": area, "cells": len(part), "above_chance": int(part["above_chance"].sum()),
                         "score_at_model_layer": float(part["score_at_model_layer"].mean()),
                         "score_at_own_best_layer": float(part["score"].mean()),
                         "ceiling": float(part["reliability"].mean()),
                         "normalised": float(part["normalised_score"].median()),
                         "constant": float(part["constant_prediction"].mean())})
        return pd.DataFrame(rows)

    def best_layer_by_area(self) -> dict[str, str]:
        """For each area, the layer with the highest mean score."""
        table = self.area_layer_table()
        return {area: group.loc[group["score"].idxmax(), "layer"] for area, group in table.groupby("area", sort=False)}

    def peak_depth_samples(self, area: str, resamples: int = 200, seed: int = SEED) -> np.ndarray:
        """Relative depth (0–1) of an area's peak layer in bootstrap resamples of its cells (its uncertainty)."""
        members = np.flatnonzero(self.cells["cortical_area"].to_numpy() == area)
        if members.size == 0:
            return np.empty(0)
        rng = np.random.default_rng(seed)
        picks = rng.integers(0, members.size, size=(resamples, members.size))
        means = self.score[:, members][:, picks].mean(axis=2)  # (layers, resamples)
        return np.argmax(means, axis=0) / max(len(self.layers) - 1, 1)


def select_cells(bundle: NeuralBundle, count: int | None, seed: int = SEED) -> np.ndarray:
    """Indices of a subset of cells: all of them, or `count` drawn at random with every area represented in
    proportion (sorted, reproducible for a seed)."""
    if count is None or count >= bundle.n_cells:
        return np.arange(bundle.n_cells)
    rng = np.random.default_rng(seed)
    areas = bundle.cells["cortical_area"].to_numpy()
    picked = []
    for area in pd.unique(areas):
        members = np.flatnonzero(areas == area)
        take = max(1, round(count * len(members) / bundle.n_cells))
        picked.append(rng.choice(members, size=min(take, len(members)), replace=False))
    chosen = np.concatenate(picked)
    if len(chosen) > count:
        chosen = rng.choice(chosen, size=count, replace=False)
    return np.sort(chosen)


def score_cells(grams: LayerGrams, bundle: NeuralBundle, cell_indices: np.ndarray | None = None, seed: int = SEED,
                folds: int = FOLDS, shuffles: int = chance.SHUFFLES, progress: Progress | None = None,
                device: str | None = None) -> BrainScores:
    """Ridge-regress the chosen cells on every layer: held-out scores, GCV alpha, predictions, and the same for
    `shuffles` shuffles of the images against the responses (scored in the same solves; see `lessons.core.chance`)."""
    idx = np.arange(bundle.n_cells) if cell_indices is None else np.asarray(cell_indices)
    y = bundle.responses[idx].T.astype(np.float64)  # conditions × cells
    n, t = y.shape
    fold_sets = brain_score.kfold_indices(n, min(folds, n), seed)  # few conditions: leave one out
    plan = chance.shuffle_plan(n, t, shuffles, seed=seed + 1)
    shuffled = plan.shuffled_responses(y)
    dev = runtime.device(device)
    results = []
    tick = time.perf_counter()
    report = progress or silent
    for i, layer in enumerate(grams.layers):
        report(i / len(grams.layers), f"Fitting the readouts: layer {layer} ({i + 1} of {len(grams.layers)}), "
               f"{t:,} cells + {shuffled.shape[1]:,} shuffled × {len(brain_score.ALPHAS)} alphas × "
               f"{len(fold_sets)} folds")
        results.append(brain_score.score_layer(grams.grams[i], y, fold_sets, shuffled, device=dev))
    seconds = dict(grams.seconds)
    seconds["regression"] = time.perf_counter() - tick
    report(1.0, "Done")
    null = np.stack([r.null.reshape(plan.shuffles, plan.cells_per_shuffle) for r in results])
    return BrainScores(
        model_key=grams.model_key, weights=grams.weights, layers=list(grams.layers),
        cells=bundle.cells.iloc[idx].reset_index(drop=True),
        score=np.stack([r.score for r in results]), null=null,
        alpha=np.stack([r.alpha for r in results]), at_max_alpha=np.stack([r.at_max_alpha for r in results]),
        predictions=np.stack([r.predictions for r in results]), actual=y.astype(np.float32), seconds=seconds)


def score_subset(bundle: NeuralBundle, model_key: str, weights: registry.Weights, n_cells: int | None,
                 shuffles: int = chance.SHUFFLES, seed: int = SEED,
                 progress: Progress | None = None) -> tuple[LayerGrams, BrainScores]:
    """The page's heavy work in one call: every layer's Gram matrices (shipped, cached or extracted) and the scores
    and chance of `n_cells` cells drawn in proportion to the areas (all cells for None)."""
    grams = layer_grams(bundle, model_key, weights, seed=seed, progress=sub_range(progress, 0.0, 0.8))
    cells = select_cells(bundle, n_cells, seed=seed)
    scores = score_cells(grams, bundle, cells, seed=seed, shuffles=shuffles, progress=sub_range(progress, 0.8, 1.0))
    return grams, scores


def loo_r2_of_shuffled(grams: LayerGrams, bundle: NeuralBundle, layer: str, cell_indices: np.ndarray | None = None,
                       seed: int = SEED, device: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The trap the held-out signed score avoids, measured: leave-one-out predictions of *shuffled* responses
    (no stimulus signal) under GCV ridge; returns each cell's plain r² and its Pearson r."""
    idx = np.arange(bundle.n_cells) if cell_indices is None else np.asarray(cell_indices)
    y = bundle.responses[idx].T.astype(np.float64)
    shuffled = y[np.random.default_rng(seed + 2).permutation(len(y))]
    dev = runtime.device(device)
    dtype = brain_score.float_dtype(dev)
    gram = torch.as_tensor(brain_score.scaled_gram(grams.gram(layer)), device=dev, dtype=dtype)
    target = torch.as_tensor(shuffled, device=dev, dtype=dtype)
    fit = brain_score.gcv_fit(gram, target)
    r = brain_score.pearson_columns(fit.loo_predictions, target).cpu().numpy()
    return r * r, r


def run(bundle: NeuralBundle, model_key: str = registry.DEFAULT_MODEL, weights: registry.Weights = "pretrained",
        cell_indices: np.ndarray | None = None, seed: int = SEED, folds: int = FOLDS,
        shuffles: int = chance.SHUFFLES, progress: Progress | None = None,
        device: str | None = None) -> BrainScores:
    """The whole pipeline for one model: features of every layer → projection → ridge → scores and chance."""
    grams = layer_grams(bundle, model_key, weights, seed=seed, progress=sub_range(progress, 0.0, 0.8),
                        device=device)
    return score_cells(grams, bundle, cell_indices, seed=seed, folds=folds, shuffles=shuffles,
                       progress=sub_range(progress, 0.8, 1.0), device=device)


# ------------------------------------------------------------------------------------------------------------- RSA
@dataclass(frozen=True)
class RsaResult:
    """RDMs of areas and layers over the images, and how similar each area's RDM is to each layer's."""

    areas: list[str]
    layers: list[str]
    area_rdms: dict[str, np.ndarray]
    layer_rdms: dict[str, np.ndarray]
    similarity: np.ndarray  # (areas, layers) Spearman r between upper triangles
    area_ceiling: dict[str, float]  # Spearman r between the even- and odd-trial RDMs, Spearman–Brown corrected


def rsa(grams: LayerGrams, bundle: NeuralBundle, cell_indices: np.ndarray | None = None,
        device: str | None = None) -> RsaResult:
    """Representational similarity of every area (its cells' pattern over the images) with every layer."""
    idx = np.arange(bundle.n_cells) if cell_indices is None else np.asarray(cell_indices)
    images = bundle.image_conditions
    areas_of = bundle.cells["cortical_area"].to_numpy()[idx]
    areas = [a for a in AREAS if (areas_of == a).sum() >= 2]
    area_rdms, ceiling = {}, {}
    for area in areas:
        members = idx[areas_of == area]
        area_rdms[area] = brain_score.rdm(bundle.responses[members][:, images].T, device=device)
        if bundle.has_halves:
            even = brain_score.rdm(bundle.even[members][:, images].T, device=device)
            odd = brain_score.rdm(bundle.odd[members][:, images].T, device=device)
            ceiling[area] = float(brain_score.spearman_brown(brain_score.compare_rdms(even, odd)))
    layer_rdms = {}
    for layer, gram in zip(grams.layers, grams.grams):
        g = gram.gram[np.ix_(images, images)]  # re-centre each feature over the images alone (no blank)
        g = g - g.mean(axis=0, keepdims=True) - g.mean(axis=1, keepdims=True) + g.mean()
        sums = gram.sums[images] - gram.sums[images].mean()
        sub = brain_score.LayerGram(layer, g, sums, gram.dim)
        layer_rdms[layer] = brain_score.rdm_from_gram(sub)
    similarity = np.array([[brain_score.compare_rdms(area_rdms[a], layer_rdms[layer]) for layer in grams.layers]
                           for a in areas])
    return RsaResult(areas, list(grams.layers), area_rdms, layer_rdms, similarity, ceiling)
