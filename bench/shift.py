"""Rotation sweep of the held-out digits: batched on the shared device vs a per-image loop (goal ≥ 10×)."""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.report import print_table, verdict
from lessons.core import data, registry
from lessons.shift import compute as data_shift


def main(argv: list[str]) -> bool:
    """Time the full rotation sweep (13 angles × the held-out digits) both ways and check they agree."""
    parser = argparse.ArgumentParser(prog="python -m bench shift", description=__doc__)
    parser.add_argument("--images", type=int, default=1000, help="held-out digits per angle (at most 1,000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each method; the best time counts")
    args = parser.parse_args(argv)
    loaded = registry.load_model("digit_cnn", "pretrained")
    _, _, x_test, y_test = data.mnist_split()
    x, y = x_test[: args.images], y_test[: args.images]
    angles = data_shift.SHIFTS["rotation"].amounts
    data_shift.sweep(loaded.module, x[:64], y[:64], "rotation", angles[:2], dev=loaded.device)  # warm-up

    batched_s = loop_s = float("inf")
    for _ in range(args.repeats):  # best of a few runs each, the usual way to time a short computation
        start = time.perf_counter()
        fast = data_shift.sweep(loaded.module, x, y, "rotation", angles, dev=loaded.device)
        batched_s = min(batched_s, time.perf_counter() - start)
        start = time.perf_counter()
        slow = data_shift.sweep_per_image(loaded.module, x, y, "rotation", angles, dev=loaded.device)
        loop_s = min(loop_s, time.perf_counter() - start)
    agree = float((fast.predictions == slow.predictions).mean())

    images = len(angles) * len(x)
    print(f"Rotation sweep: {len(angles)} angles × {len(x):,} digits = {images:,} classifications on "
          f"{loaded.device}; best of {args.repeats} runs each")
    print_table(["method", "seconds", "images/s", "top-1 at 0°", "top-1 at 90°"], [
        ["batched (anchor)", batched_s, images / batched_s, f"{fast.top1[0]:.1%}", f"{fast.top1[6]:.1%}"],
        ["per-image loop", loop_s, images / loop_s, f"{slow.top1[0]:.1%}", f"{slow.top1[6]:.1%}"],
    ])
    print(f"predictions agree on {agree:.2%} of images")
    speedup = loop_s / batched_s if agree > 0.999 else 0.0
    return verdict("shift", "speedup", float(np.round(speedup, 3)), ">=", 10.0)
