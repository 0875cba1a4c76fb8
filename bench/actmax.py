"""Activation maximisation: steps/s at 128 px on the default model, stopping at the target layer vs a full forward."""

from __future__ import annotations

import time

import torch

from bench.report import print_table, verdict
from lessons import compute
from lessons.optvis import objectives
from lessons.optvis import render as R

LAYER, CHANNEL, SIZE = "blocks.8", 5, 128


def _rate(loaded: compute.LoadedModel, full: bool, steps: int) -> float:
    obj = objectives.channel(LAYER, CHANNEL)
    start = time.perf_counter()
    R.render(loaded, obj, R.Settings(size=SIZE, steps=steps), full_forward=full)
    return steps / (time.perf_counter() - start)


def main(argv: list[str]) -> bool:
    """Measure both loops in this run and print the verdict on the speed-up and the absolute rate."""
    steps = int(argv[0]) if argv else 20
    loaded = compute.load_model(compute.DEFAULT_MODEL, "pretrained")
    _rate(loaded, False, 3), _rate(loaded, True, 3)  # warm-up
    # Alternate the two loops and keep each one's best round, so both see the same (shared) machine load.
    engine, full = 0.0, 0.0
    for _ in range(5):
        engine = max(engine, _rate(loaded, False, steps))
        full = max(full, _rate(loaded, True, steps))
    print_table(["loop", "device", "threads", "steps/s"],
                [["stop at " + LAYER, str(loaded.device), str(torch.get_num_threads()), engine],
                 ["full forward", str(loaded.device), str(torch.get_num_threads()), full]])
    fast_enough = verdict("actmax-speedup", "speedup", engine / full, ">=", 2.0)
    return verdict("actmax", "steps_per_s", engine, ">=", 15.0) and fast_enough
