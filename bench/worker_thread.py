"""Feature extraction inside a fresh worker thread (as Streamlit runs each page script) against the main thread.

The anchor is the same extraction on the main thread, in the same run. Each thread row starts a new
`threading.Thread` per pass, so per-thread state (OpenMP team, malloc arena) is cold the way it is for a page
script. Main and thread passes alternate and the best of each is kept, so load from other work hits both alike.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import torch

from bench import report
from lessons.core import capture, registry, runtime

GOAL = 1.2
LAYER = "pool"
IMAGES = 16
REPEATS = 3


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _in_fresh_thread(work: Callable[[], None]) -> None:
    failure: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as error:  # noqa: BLE001 - re-raised on the calling thread
            failure.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def measure(work: Callable[[], None], in_thread: bool) -> tuple[float, float]:
    """Seconds and minor page faults of one pass of `work`, on this thread or a fresh one."""
    faults, start = _minor_faults(), time.perf_counter()
    _in_fresh_thread(work) if in_thread else work()
    return time.perf_counter() - start, float(_minor_faults() - faults)


def compare(work: Callable[[], None], repeats: int = REPEATS) -> dict[str, tuple[float, float]]:
    """Best (seconds, faults) of main-thread and fresh-thread passes, alternated."""
    work()  # warm-up on both kinds of thread
    _in_fresh_thread(work)
    best: dict[str, tuple[float, float]] = {}
    for _ in range(repeats):
        for kind in ("main", "thread"):
            seconds, faults = measure(work, in_thread=kind == "thread")
            if kind not in best or seconds < best[kind][0]:
                best[kind] = (seconds, faults)
    return best


def rows_here() -> list[list[object]]:
    """Main-thread and fresh-thread throughput in this process, for batch 1 and the app's batch size."""
    runtime.configure_threads()
    loaded = registry.load_model()
    size = loaded.spec.input_size
    inputs = torch.rand(IMAGES, 3, size, size, generator=torch.Generator().manual_seed(0))
    chosen = capture.batch_size_for(loaded, [LAYER])
    rows = []
    for batch_size in sorted({1, chosen}):
        best = compare(lambda b=batch_size: capture.capture(loaded, inputs, [LAYER], batch_size=b))
        (main_s, main_faults), (thread_s, thread_faults) = best["main"], best["thread"]
        rows.append([runtime.openmp_wait_policy(), batch_size, batch_size == chosen, IMAGES / main_s,
                     IMAGES / thread_s, thread_s / main_s, main_faults / IMAGES, thread_faults / IMAGES])
    return rows


def _rows_in_child(wait_policy: str | None) -> list[list[object]]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if wait_policy:
        env["OMP_WAIT_POLICY"] = wait_policy
    done = subprocess.run([sys.executable, "-m", "bench.worker_thread"], env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> bool:
    """Run the benchmark (each OpenMP wait policy in its own process) and print its table and verdict."""
    rows, verdict_value = [], float("nan")
    for wait_policy in (None, runtime.SERVER_WAIT_POLICY):  # OpenMP's default, then what the app runs with
        for policy, batch, chosen, main_rate, thread_rate, slowdown, main_faults, thread_faults in _rows_in_child(
                wait_policy):
            rows.append([policy, f"{batch} (the app's choice)" if chosen else str(batch), main_rate, thread_rate,
                         slowdown, main_faults, thread_faults])
            if chosen and wait_policy:
                verdict_value = slowdown
    allocator = os.environ.get("LD_PRELOAD") or ("glibc, tuned by lessons.core.runtime" if sys.platform == "linux"
                                                 else "system default")
    print(f"EfficientNet-Lite0 to layer '{LAYER}', {IMAGES} images, {runtime.usable_cores()} threads; "
          f"allocator: {allocator}")
    report.print_table(["OMP_WAIT_POLICY", "batch", "main images/s", "thread images/s", "thread slowdown",
                        "main faults/image", "thread faults/image"], rows)
    return report.verdict("worker_thread", "slowdown", verdict_value, "<=", GOAL)


if __name__ == "__main__":
    print(json.dumps(rows_here()))
