"""Batched feature-extraction throughput of the default model, as a fraction of this machine's compute limit.

The limit is measured in the same run: a large float32 matmul's GFLOP/s divided by the model's FLOPs per image
(images per second if every FLOP ran at matmul speed). The anchor is the same extraction one image at a time; the
verdict judges the batch size capture.batch_size_for picks. Each OpenMP wait policy runs in its own process: OpenMP's
default, which scripts, notebooks and sweeps run with (the goal), and the server's (`app.py`, lessons.core.runtime),
whose sleeping threads trade single-process speed for robustness under a room's load (information).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import torch

from bench import report
from lessons.core import capture, registry, runtime

GOAL = 0.30
LAYER = "pool"  # the 1,280-dimensional features the classifier reads: the whole network but its last layer
BATCH_SIZES = (2, 4, 8, 32)


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


def images_per_second(loaded: registry.LoadedModel, inputs: torch.Tensor, batch_size: int, repeats: int = 3) -> float:
    """Best throughput of capture.capture over `repeats` passes through `inputs`."""
    capture.capture(loaded, inputs[:batch_size], [LAYER], batch_size=batch_size)  # warm-up
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        capture.capture(loaded, inputs, [LAYER], batch_size=batch_size)
        best = max(best, len(inputs) / (time.perf_counter() - start))
    return best


def measure_here() -> dict:
    """Throughput per batch size in this process, with the limit and the app's batch size."""
    threads = runtime.configure_threads()
    loaded = registry.load_model()
    flops = capture.flops_per_image(loaded)
    gflops = matmul_gflops()
    inputs = torch.rand(64, 3, loaded.spec.input_size, loaded.spec.input_size,
                        generator=torch.Generator().manual_seed(0))
    chosen = capture.batch_size_for(loaded, [LAYER])
    rates = {1: images_per_second(loaded, inputs[:16], batch_size=1, repeats=1)}
    for batch_size in sorted({*BATCH_SIZES, chosen}):
        rates[batch_size] = images_per_second(loaded, inputs, batch_size)
    return {"policy": runtime.openmp_wait_policy(), "title": loaded.title, "device": str(loaded.device),
            "threads": threads, "gflop_per_image": flops / 1e9, "matmul_gflops": gflops,
            "limit": gflops * 1e9 / flops, "chosen": chosen, "rates": rates}


def _measure_in_child(wait_policy: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if wait_policy:
        env["OMP_WAIT_POLICY"] = wait_policy
    done = subprocess.run([sys.executable, "-m", "bench.extract"], env=env, capture_output=True, text=True,
                          check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    found["rates"] = {int(size): rate for size, rate in found["rates"].items()}
    return found


def _rows(found: dict, setting: str) -> list[list[object]]:
    anchor, limit = found["rates"][1], found["limit"]
    rows = []
    for size, rate in sorted(found["rates"].items()):
        label = ("1 (anchor: one at a time)" if size == 1 else
                 f"{size} (the app's choice)" if size == found["chosen"] else str(size))
        rows.append([setting, label, rate, rate / anchor, rate / limit])
    return rows


def main(argv: list[str]) -> bool:
    """Run the benchmark (each OpenMP wait policy in its own process) and print its table and verdict."""
    scripts, server = _measure_in_child(None), _measure_in_child(runtime.SERVER_WAIT_POLICY)
    # One limit for both: the faster of the two matmul measurements (a busy moment in one process must not lower the
    # bar its extraction is judged against).
    limit = scripts["limit"] = server["limit"] = max(scripts["limit"], server["limit"])
    print(f"{scripts['title']} to layer '{LAYER}' on {scripts['device']} with {scripts['threads']} threads; "
          f"{scripts['gflop_per_image']:.2f} GFLOP per image; matmul {max(scripts['matmul_gflops'], server['matmul_gflops']):.1f} "
          f"GFLOP/s → limit {limit:.1f} images/s")
    report.print_table(["OpenMP threads while waiting", "batch", "images/s", "× anchor", "fraction of limit"],
                       _rows(scripts, "spin (OpenMP default: scripts, notebooks)")
                       + _rows(server, f"sleep ({runtime.SERVER_WAIT_POLICY}: the server)"))
    server_fraction = server["rates"][server["chosen"]] / limit
    print(f"Information: in the server's setting the app's batch reaches {server_fraction:.3f} of the limit; its "
          "page threads are compared with the main thread in `python -m bench worker_thread`.")
    return report.verdict("extract", "fraction_of_limit", scripts["rates"][scripts["chosen"]] / limit,
                          ">=", GOAL)


if __name__ == "__main__":
    print(json.dumps(measure_here()))
