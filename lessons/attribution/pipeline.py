"""The attribution lesson's long jobs as pure functions (inputs → result, reporting to a `Progress` callback): the four
maps, their deletion curves, the sanity checks' maps; and the release of the memory a job freed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from lessons.attribution import compute, ranking
from lessons.core.progress import Progress, sub_range
from lessons.core.registry import LoadedModel


def four_maps(loaded: LoadedModel, x: torch.Tensor, target: int, settings: compute.Settings,
              progress: Progress | None = None) -> list[compute.Attribution]:
    """The default view: the four methods' maps for one image and class (see `compute.attribute_all`)."""
    return compute.attribute_all(loaded, x, target, settings, progress=progress)


def deletion(loaded: LoadedModel, x: torch.Tensor, target: int, results: Sequence[compute.Attribution],
             baseline: compute.Baseline, progress: Progress | None = None) -> list[ranking.DeletionCurve]:
    """The deletion curves of the maps and of the random reference (see `ranking.deletion_curves`)."""
    return ranking.deletion_curves(loaded, x, target, results, baseline=baseline, progress=progress)


def sanity(engines: Mapping[str, tuple[LoadedModel, torch.Tensor]], target: int, settings: compute.Settings,
           progress: Progress | None = None) -> dict[str, list[compute.Attribution]]:
    """The four maps on each damaged network `engines[twin] = (network, its input)`, twin after twin on one bar."""
    found = {}
    for n, (twin, (loaded, x)) in enumerate(engines.items()):
        stage = sub_range(progress, n / len(engines), (n + 1) / len(engines)) if progress else None
        found[twin] = compute.sanity_maps(loaded, x, target, settings, twin, progress=stage)
    return found


