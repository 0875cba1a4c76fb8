"""Chance calibration of the cortex lesson: how often no-signal data is called "above chance", and what chance costs.

25 bundles with no stimulus signal go through the page's own scoring path (`cortex_pipeline.score_cells` with the
default number of shuffles) on EfficientNet-Lite0's cached Gram matrices of the simulated cortex's stimuli:

* 20 bundles of 2,000 simulated cells whose responses are permuted against the images (each with its own
  permutation and its own random cells: real response statistics, no stimulus signal);
* 5 bundles of 2,000 cells of pure Gaussian noise.

Reported: the share of cells called above chance (Benjamini–Hochberg at 5 %) over all 50,000 cells, the share of
bundles whose model verdict is "above chance" (an exact permutation test at 0.05 with K shuffles: its expected rate
is at most 1/(K + 1)), and for comparison the old rule's share (best-layer score > the shuffled score of that one
layer + 0.05). Cost: the wall time of scoring with the K shuffles minus scoring without them, over the time of one
unshuffled run (median of three pairs on one bundle).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from bench import report
from lessons.core import chance
from lessons.cortex import brain_score
from lessons.cortex import pipeline as cortex_pipeline
from lessons.cortex import simulated as simulated_cortex

N_CELLS = 2000
PERMUTED = 20
GAUSSIAN = 5
GOAL_FPR = 0.05
GOAL_COST = 3.0
MODEL = "efficientnet_lite0"


def no_signal_bundle(bundle, kind: str, seed: int):
    """N_CELLS cells of the bundle with responses permuted against the images, or replaced by Gaussian noise."""
    rng = np.random.default_rng(seed)
    part = bundle.subset(np.sort(rng.choice(bundle.n_cells, size=min(N_CELLS, bundle.n_cells), replace=False)))
    if kind == "permuted":
        responses = part.responses[:, rng.permutation(part.n_conditions)]
    else:
        responses = rng.normal(size=part.responses.shape).astype(part.responses.dtype)
    return dataclasses.replace(part, responses=responses)


def old_rule_share(grams: cortex_pipeline.LayerGrams, result: cortex_pipeline.BrainScores, bundle) -> float:
    """The rule the page used before: best-layer score > that layer's own shuffled score + 0.05."""
    y = bundle.responses.T.astype(np.float64)
    order = np.random.default_rng(1).permutation(len(y))
    folds = brain_score.kfold_indices(len(y), cortex_pipeline.FOLDS, 0)
    best = result.best_layer_index
    null = np.empty(len(best))
    for i, layer in enumerate(result.layers):
        cols = np.flatnonzero(best == i)
        if cols.size:
            null[cols] = brain_score.score_layer(grams.grams[i], y[:, cols], folds, y[order][:, cols]).null
    return float((result.best_score > null + 0.05).mean())


def main(argv: list[str]) -> bool:
    """Run the calibration and print the table and goal lines."""
    source = simulated_cortex.load_or_build()
    grams = cortex_pipeline.layer_grams(source, MODEL, "pretrained")
    cases = [("permuted", seed) for seed in range(PERMUTED)] + [("gaussian", 100 + s) for s in range(GAUSSIAN)]
    rows, cells_called, cells_total, verdicts, old_called = [], 0, 0, [], []
    for kind, seed in cases:
        bundle = no_signal_bundle(source, kind, seed)
        tick = time.perf_counter()
        result = cortex_pipeline.score_cells(grams, bundle)
        seconds = time.perf_counter() - tick
        called = int(result.cells_above_chance().sum())
        verdict = result.model_verdict()
        old = old_rule_share(grams, result, bundle) if seed in (0, 100) else float("nan")
        cells_called += called
        cells_total += result.score.shape[1]
        verdicts.append(verdict.above_chance)
        if np.isfinite(old):
            old_called.append(old)
        rows.append([f"{kind} {seed}", result.score.shape[1], called, f"{verdict.p:.3f}",
                     "above" if verdict.above_chance else "chance", f"{result.model_score()[1]:+.3f}",
                     f"{verdict.chance_level:+.3f}", "" if not np.isfinite(old) else f"{old:.0%}", f"{seconds:.1f}"])
    report.print_table(["bundle", "cells", "called above", "model p", "verdict", "model score", "chance",
                        "old rule", "s"], rows)

    bundle = no_signal_bundle(source, "permuted", 0)
    pairs = []
    for _ in range(3):
        tick = time.perf_counter()
        cortex_pipeline.score_cells(grams, bundle, shuffles=0)
        plain = time.perf_counter() - tick
        tick = time.perf_counter()
        cortex_pipeline.score_cells(grams, bundle, shuffles=chance.SHUFFLES)
        with_null = time.perf_counter() - tick
        pairs.append((plain, with_null))
    plain, with_null = (float(np.median(v)) for v in zip(*pairs))
    cost = (with_null - plain) / plain
    fpr = cells_called / cells_total
    verdict_rate = float(np.mean(verdicts))
    print()
    report.print_table(["measure", "value"], [
        ["cells called above chance (BH 5 %)", f"{cells_called} of {cells_total} = {fpr:.4f}"],
        ["old rule (best layer > own layer's null + 0.05), bundles 0 and 100", f"{np.mean(old_called):.0%}"],
        ["model verdict 'above chance'", f"{sum(verdicts)} of {len(verdicts)} bundles = {verdict_rate:.2f} "
                                         f"(exact test: expected ≤ {1 / (chance.SHUFFLES + 1):.3f})"],
        [f"one unshuffled run ({N_CELLS} cells × {len(grams.layers)} layers)", f"{plain:.2f} s"],
        [f"with {chance.SHUFFLES} shuffles ({chance.cells_per_shuffle(N_CELLS, chance.SHUFFLES)} cells each)",
         f"{with_null:.2f} s"],
    ])
    ok = report.verdict("null_calibration", "false_positive_rate", fpr, "<=", GOAL_FPR)
    ok &= report.verdict("null_calibration-cost", "shuffle_cost_ratio", cost, "<=", GOAL_COST)
    return ok
