"""Topographic maps: layout + 10 class maps of the digit MLP's 128 hidden units over 1,000 held-out digits, per
layout method, against a straightforward implementation (goal ≥ 3× for the lesson pipeline, PCA ≤ 0.2 s)."""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import torch
from scipy.interpolate import griddata

from bench.report import print_table, verdict
from lessons.core import data
from lessons.core.nets import mnist_cnn, mnist_mlp
from lessons.topomap import compute as topomap
from lessons.topomap import data as topomap_sources
from lessons.topomap import layouts as topomap_layouts
from lessons.topomap import pipeline as topomap_pipeline

CLASSES = 10


# ------------------------------------------------------------------------------ the straightforward implementation
def straightforward_activations(model: torch.nn.Module, images: np.ndarray) -> np.ndarray:
    """Hidden activations in float64, recomputed every time (no caching)."""
    double = copy.deepcopy(model).double()
    x = mnist_cnn.to_input(images).double()
    with torch.no_grad():
        hidden = double.layers.relu1(double.layers.fc1(double.layers.flatten(x)))
    return hidden.numpy()


def straightforward_profiles(acts: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Class means by a loop over classes, float64, minus the mean over classes: (units, classes)."""
    means = np.zeros((acts.shape[1], CLASSES))
    for c in range(CLASSES):
        means[:, c] = acts[labels == c].mean(axis=0)
    return means - means.mean(axis=1, keepdims=True)


def straightforward_pca(profiles: np.ndarray) -> np.ndarray:
    """First two principal components from the eigenvectors of the covariance matrix, float64."""
    x = profiles / np.maximum(np.linalg.norm(profiles, axis=1, keepdims=True), 1e-12)
    x = x - x.mean(axis=0)
    values, vectors = np.linalg.eig(np.cov(x.T))
    top = np.argsort(-values.real)[:2]
    return topomap.scale_unit_square(x @ vectors[:, top].real)


def straightforward_force(dist: np.ndarray, steps: int = topomap_layouts.FORCE_STEPS, seed: int = 0) -> np.ndarray:
    """The particle layout written out directly: float64, (n, n, 2) difference arrays every step."""
    d = np.maximum(dist, 0.01)
    positions = np.random.default_rng(seed).uniform(size=(len(d), 2))
    global_force = 1.5 * (1.0 - (d / d.max()) ** 3) - 0.5 * np.exp(-d / 2.0)
    t = np.tanh(np.linspace(-3.0, 6.0, steps))
    for step in range(steps):
        diff = positions[None, :, :] - positions[:, None, :]
        gap = np.maximum(np.linalg.norm(diff, axis=-1), 0.01)
        local = 1.5 / (gap + 1.0) ** 3 - 15.0 * np.exp(-gap / 2.0)
        force = (local * (t[step] + 1.0) / 2.0 + global_force * (1.0 - t[step]) / 2.0) / 2.0
        positions = positions + (diff * force[:, :, None]).mean(axis=1)
    return topomap.scale_unit_square(positions)


def straightforward_layout(profiles: np.ndarray, method: str) -> np.ndarray:
    """Layout written directly (PCA, particles) or by the general-purpose libraries as they come (scikit-learn's
    t-SNE, umap-learn, MiniSom, networkx's Fruchterman–Reingold)."""
    if method == "pca":
        return straightforward_pca(profiles)
    if method == "force":
        return straightforward_force(topomap_layouts.distances(profiles))
    if method == "tsne":
        from sklearn.manifold import TSNE

        tsne = TSNE(perplexity=30.0, metric="cosine", init="pca", learning_rate="auto", random_state=0)
        return topomap.scale_unit_square(tsne.fit_transform(profiles))
    if method == "graph":
        import networkx as nx

        graph = nx.from_numpy_array(topomap_layouts.threshold_graph(topomap_layouts.distances(profiles)).astype(int))
        positions = nx.fruchterman_reingold_layout(graph, seed=0, iterations=200)
        return topomap.scale_unit_square(np.array([positions[i] for i in range(len(profiles))]))
    return topomap_layouts.layout(profiles, method)  # UMAP and the SOM: the same library call as the lesson


def straightforward_maps(coords: np.ndarray, profiles: np.ndarray) -> np.ndarray:
    """One `griddata` call per class (a fresh triangulation each time), float64."""
    axis = np.linspace(0.0, 1.0, topomap.GRID)
    gx, gy = np.meshgrid(axis, axis)
    return np.stack([griddata(coords, profiles[:, c], (gx, gy), method="linear") for c in range(CLASSES)])


def straightforward_pipeline(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray,
                             method: str) -> np.ndarray:
    """Everything from the images for one method, as a first implementation would do it."""
    profiles = straightforward_profiles(straightforward_activations(model, images), labels)
    return straightforward_maps(straightforward_layout(profiles, method), profiles)


# ----------------------------------------------------------------------------------------------------- the run
REPEATS = 3


def _timed(fn, *args):
    """The result and the best of REPEATS wall times (the usual way to time short calls)."""
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - start)
    return out, best


def main(argv: list[str]) -> bool:
    """Time the lesson pipeline and the straightforward one for every layout method in the same run."""
    parser = argparse.ArgumentParser(prog="python -m bench topomap", description=__doc__)
    parser.add_argument("--per-class", type=int, default=100, help="held-out digits per class (100 = all 1,000)")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    model, _ = mnist_mlp.load_or_train()
    _, _, x_test, y_test = data.mnist_split()
    chosen = topomap_sources.balanced_indices(y_test, args.per_class)
    images, labels = x_test[chosen], y_test[chosen]
    warm = np.random.default_rng(0).normal(size=(20, CLASSES))
    for method in topomap_layouts.LAYOUTS:  # library imports and UMAP's compilation stay out of the timings
        topomap_pipeline.build(warm, method)

    source, activation_s = _timed(topomap_sources.digit_activations, model, "relu1", args.per_class)
    profiles, profile_s = _timed(topomap_sources.unit_profiles, source)
    rows, lesson_total, anchor_total, pca_s = [], activation_s + profile_s, 0.0, 0.0
    for method, title in topomap_layouts.LAYOUTS.items():
        result, lesson_s = _timed(topomap_pipeline.build, profiles, method)
        anchor_maps, anchor_s = _timed(straightforward_pipeline, model, images, labels, method)
        agree = np.isfinite(result.maps).mean(), np.isfinite(anchor_maps).mean()
        lesson_total += lesson_s
        anchor_total += anchor_s
        pca_s = lesson_s if method == "pca" else pca_s
        rows.append([title, lesson_s, anchor_s, anchor_s / lesson_s, f"{agree[0]:.0%} / {agree[1]:.0%}"])
    rows.append(["activations + profiles (once, cached)", activation_s + profile_s, "", "", ""])
    rows.append(["all six methods", lesson_total, anchor_total, anchor_total / lesson_total, ""])
    print(f"{source.units} hidden units × {len(images):,} held-out digits, {CLASSES} class maps of "
          f"{topomap.GRID}×{topomap.GRID}; threads={torch.get_num_threads()}; best of {REPEATS} runs each")
    print_table(["layout", "lesson s", "straightforward s", "× faster", "map area inside hull"], rows)
    pca_ok = verdict("topomap-pca", "seconds", round(pca_s, 4), "<=", 0.2)
    return verdict("topomap", "speedup", round(anchor_total / lesson_total, 3), ">=", 3.0) and pca_ok
