"""Ranking and comparing attribution maps: the classes worth explaining, the deletion test's areas best first, and
how much each map changed in the sanity checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lessons.attribution.compute import (
    METHOD_TITLES,
    RANDOM_MAP_TITLE,
    Attribution,
    Baseline,
    area_under,
    deletion_curve,
    random_heatmap,
    rank_correlation,
)
from lessons.core.progress import Progress
from lessons.core.registry import LoadedModel

SHOWN_DECIMALS = 3  # the deletion areas as the page shows (and compares) them


def top_classes(probabilities: np.ndarray, k: int = 5) -> list[int]:
    """Indices of the k most probable classes, most probable first."""
    return [int(i) for i in np.argsort(np.asarray(probabilities), kind="stable")[::-1][:k]]


@dataclass(frozen=True)
class DeletionCurve:
    """One map's deletion curve: the class probability as its most-attributed pixels are removed, and the area."""

    title: str
    removed: np.ndarray  # fractions of pixels removed, 0…1
    probability: np.ndarray  # the target class's probability at each
    area: float  # area under the curve (lower = a more faithful map)


def deletion_curves(loaded: LoadedModel, x: torch.Tensor, target: int, results: Sequence[Attribution],
                    baseline: Baseline = "black", steps: int = 10,
                    progress: Progress | None = None) -> list[DeletionCurve]:
    """The deletion curve of every map in `results`, then of a random map (the chance reference), in that order;
    `progress` hears "Deletion curve: Grad-CAM (2 of 5)"."""
    if not results:
        raise ValueError("no attribution maps to test: compute at least one method's map first")
    maps = [(METHOD_TITLES[r.method], r.heatmap) for r in results]
    maps.append((RANDOM_MAP_TITLE, random_heatmap(results[0].heatmap.shape)))
    curves = []
    for n, (title, heatmap) in enumerate(maps):
        if progress:
            progress(n / len(maps), f"Deletion curve: {title} ({n + 1} of {len(maps)})")
        removed, probability = deletion_curve(loaded, x, target, heatmap, steps=steps, baseline=baseline)
        curves.append(DeletionCurve(title, removed, probability, area_under(removed, probability)))
    if progress:
        progress(1.0, "Deletion curves done")
    return curves


def areas_ranked(curves: Sequence[DeletionCurve]) -> list[tuple[str, float]]:
    """Each map's area as shown (three decimals), smallest (most faithful) first; ties keep the curves' order."""
    shown = [(curve.title, round(float(curve.area), SHOWN_DECIMALS)) for curve in curves]
    return sorted(shown, key=lambda pair: pair[1])


def sanity_correlations(trained: Sequence[Attribution],
                        twins: Mapping[str, Sequence[Attribution]]) -> dict[str, dict[str, float]]:
    """Spearman's rank correlation of each method's map on each twin with its map on the trained network:
    {method: {twin: rho}}, NaN where either map is constant. Each twin lists its maps in `trained`'s order."""
    correlations: dict[str, dict[str, float]] = {r.method: {} for r in trained}
    for twin, maps in twins.items():
        if [m.method for m in maps] != [r.method for r in trained]:
            raise ValueError(f"the {twin!r} maps are not for the same methods, in the same order, as the trained ones")
        for mine, original in zip(maps, trained):
            correlations[original.method][twin] = rank_correlation(mine.heatmap, original.heatmap)
    return correlations
