"""Batched feature-extraction throughput of the default model, as a fraction of this machine's compute limit.

The limit is measured in the same run: a large float32 matmul's GFLOP/s divided by the model's FLOPs per image
(images per second if every FLOP ran at matmul speed). The anchor is the same extraction one image at a time; the verdict judges the batch size capture.batch_size_for
picks, which is what the app runs. Like the app (`make run`, lessons.core.runtime), it runs with OpenMP threads that
sleep while they wait: when torch was loaded with another policy, the measurement runs again in a child process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import torch

from bench import report
from lessons.core import capture, registry, runtime

GOAL = 0.30
LAYER = "pool"  # the 1,280-dimensional features the classifier reads: the whole network but its last layer


def matmul_gflops(n: int = 2048, min_seconds: float = 1.0) -> float:
    """Best-of-repeats float32 matmul rate on the current device, in GFLOP/s."""
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b  # warm-up
    best, spent = 0.0, 0.0
    while spent < min_seconds:
        start = time.perf_counter()
        a @ b
        elapsed = time.perf_counter() - start
        spent += elapsed
        best = max(best, 2 * n**3 / elapsed / 1e9)
    return best


def images_per_second(loaded: registry.LoadedModel, inputs: torch.Tensor, batch_size: int, repeats: int = 2) -> float:
    """Best throughput of capture.capture over `repeats` passes through `inputs`."""
    capture.capture(loaded, inputs[:batch_size], [LAYER], batch_size=batch_size)  # warm-up
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        capture.capture(loaded, inputs, [LAYER], batch_size=batch_size)
        best = max(best, len(inputs) / (time.perf_counter() - start))
    return best


def main(argv: list[str]) -> bool:
    """Run the benchmark and print its table and verdict."""
    if runtime.openmp_wait_policy() != runtime.SERVER_WAIT_POLICY:
        env = {**os.environ, "OMP_WAIT_POLICY": runtime.SERVER_WAIT_POLICY}
        return subprocess.run([sys.executable, "-m", "bench.extract", *argv], env=env, check=False).returncode == 0
    threads = runtime.configure_threads()
    loaded = registry.load_model()
    flops = capture.flops_per_image(loaded)
    gflops = matmul_gflops()
    limit = gflops * 1e9 / flops
    generator = torch.Generator().manual_seed(0)
    inputs = torch.rand(64, 3, loaded.spec.input_size, loaded.spec.input_size, generator=generator)
    anchor = images_per_second(loaded, inputs[:16], batch_size=1, repeats=1)
    chosen = capture.batch_size_for(loaded, [LAYER])
    rows = [["1 (anchor: one at a time)", anchor, 1.0, anchor / limit]]
    rates = {}
    for batch_size in sorted({2, 4, 8, 32, chosen}):
        rates[batch_size] = images_per_second(loaded, inputs, batch_size)
        label = f"{batch_size} (the app's choice)" if batch_size == chosen else str(batch_size)
        rows.append([label, rates[batch_size], rates[batch_size] / anchor, rates[batch_size] / limit])
    print(f"{loaded.title} to layer '{LAYER}' on {loaded.device} with {threads} threads "
          f"(OMP_WAIT_POLICY={runtime.openmp_wait_policy()}); "
          f"{flops / 1e9:.2f} GFLOP per image; matmul {gflops:.1f} GFLOP/s → limit {limit:.1f} images/s")
    report.print_table(["batch", "images/s", "× anchor", "fraction of limit"], rows)
    return report.verdict("extract", "fraction_of_limit", rates[chosen] / limit, ">=", GOAL)


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1:]) else 1)
