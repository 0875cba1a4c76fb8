"""Loss landscape of the linear classifier (121×121 lines over 200 points): vectorised vs one cell at a time.

The anchor sets a real nn.Linear(2, 1) to each (rotation, offset) and evaluates BCEWithLogitsLoss, one cell after
the other; the vectorised version computes every cell with a few broadcast operations. Both run in this process, on
the same data, on one torch thread (as the app runs them), and must agree to 1e-5. Speeds are best-of-N (least
disturbed by other work on the machine). The verdict judges the speed-up; the run also fails if the vectorised grid
takes over 50 ms (judged on its median, the stricter number).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from bench import report
from lessons.linear import compute as lc
from lessons.linear import data as ld

GOAL_SPEEDUP = 50.0
LIMIT_MS = 50.0
GRID = 121
POINTS = 200
SHARPNESS = 2.0
TOLERANCE = 1e-5
VECTORISED_RUNS = 15
LOOP_RUNS = 3
LOOP_BUDGET_S = 20.0  # time the per-cell loop on fewer rows (and extrapolate) if the whole grid would take longer


def main(argv: list[str]) -> bool:
    """Run the benchmark and print its table and verdict."""
    points, labels = ld.make_dataset("xor", noise=0.2, seed=0, n=POINTS)
    thetas, offsets = lc.landscape_axes(points, GRID, GRID)
    lc.loss_landscape(points, labels, SHARPNESS, thetas, offsets)  # warm-up
    fast_s = []
    for _ in range(VECTORISED_RUNS):
        start = time.perf_counter()
        fast = lc.loss_landscape(points, labels, SHARPNESS, thetas, offsets)
        fast_s.append(time.perf_counter() - start)

    start = time.perf_counter()
    lc.loss_landscape_loop(points, labels, SHARPNESS, thetas, offsets[:1])  # warm-up, and the cost of one row
    row_s = time.perf_counter() - start
    rows = min(GRID, max(1, int(LOOP_BUDGET_S / LOOP_RUNS / row_s)))
    loop_s = []
    for _ in range(LOOP_RUNS):
        start = time.perf_counter()
        slow = lc.loss_landscape_loop(points, labels, SHARPNESS, thetas, offsets[:rows])
        loop_s.append((time.perf_counter() - start) * GRID / rows)
    error = float(np.max(np.abs(slow - fast[:rows])))
    if error > TOLERANCE:
        print(f"the two methods disagree: max |difference| = {error:.2e} > {TOLERANCE:g}")
        return False

    cells = GRID * GRID
    loop_ms, fast_ms, fast_median_ms = 1000 * min(loop_s), 1000 * min(fast_s), 1000 * statistics.median(fast_s)
    extrapolated = "" if rows == GRID else f"; {rows} of {GRID} rows timed, extrapolated"
    print(f"{GRID}×{GRID} = {cells:,} lines over {POINTS} points, |w| = {SHARPNESS}; torch on 1 thread; "
          f"max |difference| {error:.1e}")
    report.print_table(["method", "ms", "µs per cell", "ratio"], [
        [f"per-cell loop (anchor; best of {LOOP_RUNS}{extrapolated})", loop_ms, 1000 * loop_ms / cells, 1.0],
        [f"vectorised (best of {VECTORISED_RUNS})", fast_ms, 1000 * fast_ms / cells, loop_ms / fast_ms],
        [f"vectorised (median of {VECTORISED_RUNS})", fast_median_ms, 1000 * fast_median_ms / cells,
         loop_ms / fast_median_ms],
    ])
    fast_enough = fast_median_ms <= LIMIT_MS
    print(f"vectorised median {fast_median_ms:.1f} ms vs limit {LIMIT_MS:.0f} ms: "
          f"{'within the limit' if fast_enough else 'OVER THE LIMIT — the benchmark fails'}")
    passed = report.verdict("landscape", "speedup", loop_ms / fast_ms, ">=", GOAL_SPEEDUP)
    return passed and fast_enough
