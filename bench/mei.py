"""Most exciting images of 32 reliable simulated VISp cells: one batched optimisation vs one cell at a time.

The anchor is the same 32 MEIs made one cell at a time (one optimisation each) in the same run, from the same seeds,
through the same neuron model (the cells' readouts at the layer that predicts them best). Reports seconds, image-steps
per second and the share of cells whose MEI beats their best natural image on the *true* simulated response (the
noise-free rate of the simulated cell). `python -m bench mei [CELLS] [STEPS]`.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from bench import report
from lessons.core import registry
from lessons.cortex import inception, mei, neuron_model
from lessons.cortex import simulated as simulated_cortex

CELLS = 32
STEPS = 128
WIN_GOAL = 0.8
SPEEDUP_GOAL = 2.0


def main(argv: list[str]) -> bool:
    """Run the benchmark; True when every goal passes."""
    count = int(argv[0]) if argv else CELLS
    steps = int(argv[1]) if len(argv) > 1 else STEPS
    bundle, truth = simulated_cortex.load_or_build(), simulated_cortex.ground_truth()
    cells = inception.reliable_cells(bundle, "VISp", count)
    layers, scores = inception.layer_scores(bundle, registry.DEFAULT_MODEL, "pretrained", cells)
    layer = layers[int(np.argmax(scores.mean(axis=1)))]
    readouts = neuron_model.fit_readouts(bundle, registry.DEFAULT_MODEL, "pretrained", layer, cells)
    model = neuron_model.NeuronModel.from_readouts(readouts)
    active = np.flatnonzero(~readouts.constant)
    settings = mei.MeiSettings(shape=tuple(bundle.stimuli.shape[1:]), steps=steps,
                               contrast=mei.stimulus_contrast(bundle.stimuli))
    runs = {}
    for name, method in (("batched", mei.most_exciting), ("one at a time", mei.one_at_a_time)):
        tick = time.perf_counter()
        runs[name] = method(model, active, settings)
        runs[name].seconds = time.perf_counter() - tick
    natural = bundle.stimuli[inception.best_natural(bundle, cells[active])]
    diagonal = np.arange(active.size)
    true_natural = simulated_cortex.true_rates(truth, cells[active], natural)[diagonal, diagonal]
    rows, shares = [], {}
    for name, made in runs.items():
        true_mei = simulated_cortex.true_rates(truth, cells[active], made.images_uint8)[diagonal, diagonal]
        shares[name] = float((true_mei > true_natural).mean())
        rows.append([name, round(made.seconds, 1), round(active.size * steps / made.seconds, 2),
                     round(float(np.median(made.responses)), 4), shares[name]])
    print(f"{active.size} reliable simulated VISp cells ({len(cells) - active.size} with a constant readout left out), "
          f"{steps} steps, layer {layer}, median held-out score {np.median(scores[layers.index(layer)]):.2f}")
    report.print_table(["method", "seconds", "image-steps/s", "median predicted", "MEI beats best photo (true)"],
                       rows)
    held = scores[layers.index(layer)][active]
    good = held >= np.median(held)
    wins = (simulated_cortex.true_rates(truth, cells[active], runs["batched"].images_uint8)[diagonal, diagonal]
            > true_natural)
    print(f"win share in the better-predicted half: {wins[good].mean():.2f}; in the other half: {wins[~good].mean():.2f}")
    speedup = runs["one at a time"].seconds / runs["batched"].seconds
    ok = report.verdict("mei-loop", "closed_loop_win_share", shares["batched"], ">=", WIN_GOAL)
    return report.verdict("mei", "speedup", speedup, ">=", SPEEDUP_GOAL) and ok


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1:]) else 1)
