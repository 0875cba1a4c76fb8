"""Gradient-free search: a simple evolution strategy that breeds images the network scores highly (Nguyen 2015)."""

from __future__ import annotations

import numpy as np
import torch

from lessons.core import registry
from lessons.core.progress import Progress
from lessons.core.registry import LoadedModel
from lessons.optvis import render as render_mod
from lessons.optvis.objectives import Objective


def evolve(loaded: LoadedModel, objective: Objective, size: int, generations: int = 50, population: int = 16,
           elite: int = 4, sigma: float = 0.3, seed: int = 0,
           progress: Progress | None = None, snapshots: tuple[int, ...] = (),
           on_snapshot: render_mod.SnapshotFn | None = None) -> render_mod.Result:
    """Keep the best `elite` of each generation and mutate them; images live behind a sigmoid on pixel logits.

    No gradients at all: only the network's scores of whole images, as in Nguyen et al. 2015's evolved images.
    `progress` hears the fraction of generations done and the best score so far.
    """
    loaded = registry.fused_model(loaded)
    generator = torch.Generator().manual_seed(seed)
    shape = (loaded.spec.channels, size, size)
    pop = torch.randn(population, *shape, generator=generator) * 0.5
    result = render_mod.Result(np.zeros(0), np.zeros(0))
    best = pop[:1]
    report = render_mod.step_reporter(progress)
    for gen in range(1, generations + 1):
        scores = torch.as_tensor(render_mod.score(loaded, objective, torch.sigmoid(pop).to(loaded.device)))
        order = torch.argsort(scores, descending=True)
        parents = pop[order[:elite]]
        best = parents[:1]
        result.history.append(float(scores[order[0]]))
        result.steps_done = gen
        if gen in snapshots:
            result.snapshots.append((gen, render_mod.to_numpy(torch.sigmoid(best))))
            if on_snapshot is not None:
                on_snapshot(gen, result.snapshots[-1][1])
        if report is not None:
            report(gen, generations, result.history[-1])
        children = parents[torch.randint(elite, (population - elite,), generator=generator)]
        children = children + torch.randn(children.shape, generator=generator) * sigma
        pop = torch.cat([parents, children])
    final = torch.sigmoid(best).to(loaded.device)
    result.images = render_mod.to_numpy(final)
    result.scores = render_mod.score(loaded, objective, final)
    return result
