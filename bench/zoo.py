"""The offline model zoo against the simulated cortex (all layers, up to 5,000 cells): in-process, then on Ray.

Every `zoo.offline_members()` network (the EfficientNet-Lites and the digit networks, each trained and random) is
scored on every brain layer against the simulated cortex's cells (5,000, or all of them when there are fewer) with
the default shuffles, twice in this run, each on a fresh cache folder so both compute everything (the digit networks
train, the Lites' features are extracted; only what ships with the app is read): first in this process
(`engine="local"`), then as Ray tasks on a local Ray of 2 cores started and stopped for the run. Reported: seconds
per network in-process, split into loading/training, features (extraction, projection, Gram matrices) and the
regression; the peak resident memory of the whole process tree (Ray's processes included) during each run; and
whether the two tables are identical (`pandas.testing.assert_frame_equal`). Goals: the whole offline zoo in-process
within 120 s; Ray's wall time within 1.5× the in-process one (the anchor).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Self

import pandas as pd

from bench import report
from lessons.core import cache, runtime
from lessons.cortex import simulated as simulated_cortex
from lessons.cortex import zoo

GOAL_SECONDS = 120.0
GOAL_RAY_OVERHEAD = 1.5
N_CELLS = 5000
RAY_CPUS = 2
GB = 1024**3
PHASES = ("loading", "features", "regression")
_FEATURE_WORDS = ("Features of every layer", "Projection:", "Gram matrices")


# ------------------------------------------------------------------------------------------------ process memory
def _children() -> dict[int, list[int]]:
    """Parent pid → child pids, from /proc."""
    tree: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the name in parentheses may hold spaces
        tree[ppid].append(int(entry.name))
    return tree


def tree_pids(root: int) -> list[int]:
    """`root` and every process descended from it."""
    tree, found, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def rss_of(pid: int) -> int:
    """Resident set size of one process in bytes (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(root: int | None = None) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    return sum(rss_of(pid) for pid in tree_pids(root or os.getpid()))


class PeakTreeRss:
    """Context manager sampling this process tree's RSS in a thread; `.peak` is the largest total seen."""

    def __init__(self, interval_s: float = 0.2) -> None:
        self.interval_s = interval_s

    def __enter__(self) -> Self:
        self.peak = tree_rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak = max(self.peak, tree_rss())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss())


# ----------------------------------------------------------------------------------------------- time per network
def phase_of(message: str) -> str:
    """Which part of a member's work a pipeline progress message belongs to."""
    if "Fitting the readouts" in message:
        return "regression"
    if any(word in message for word in _FEATURE_WORDS):
        return "features"
    return "loading"


class MemberClock:
    """A progress callback that charges the time between messages to the member (the label before ': ') and the
    phase of the earlier message; `.seconds[label][phase]`."""

    def __init__(self, clock=time.perf_counter) -> None:
        self.clock = clock
        self.seconds: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(PHASES, 0.0))
        self._current: tuple[str, str] | None = None
        self._since = clock()

    def __call__(self, fraction: float, message: str) -> None:
        now = self.clock()
        if self._current is not None:
            label, phase = self._current
            self.seconds[label][phase] += now - self._since
        label, _, rest = message.partition(": ")
        self._current = (label, phase_of(rest)) if rest and label != "Zoo" else None
        self._since = now


def n_cells_for(bundle_cells: int, wanted: int = N_CELLS) -> int | None:
    """The number of cells to score: `wanted`, or None (all of them) when the data set has no more."""
    return None if wanted >= bundle_cells else wanted


def tables_identical(first: pd.DataFrame, second: pd.DataFrame) -> tuple[bool, str]:
    """Whether two tables compare equal (pandas' assert_frame_equal), and the reason when they do not."""
    try:
        pd.testing.assert_frame_equal(first, second)
    except AssertionError as error:
        return False, str(error).splitlines()[0] if str(error) else "tables differ"
    return True, ""


# ------------------------------------------------------------------------------------------------------------ run
def _fresh_cache() -> str:
    folder = tempfile.mkdtemp(prefix="zoo-bench-cache-")
    os.environ[cache.CACHE_ENV] = folder
    return folder


def main(argv: list[str]) -> bool:
    """Sweep the offline zoo in-process, then on Ray; print per-network seconds, memory, equality and the verdicts."""
    threads = runtime.configure_threads()
    bundle = simulated_cortex.load_or_build()
    members = zoo.offline_members()
    n_cells = n_cells_for(bundle.n_cells)
    cells = n_cells or bundle.n_cells
    print(f"{bundle.name}: {cells:,} of {bundle.n_cells:,} cells; {len(members)} networks; {threads} threads in "
          f"this process; Ray: {RAY_CPUS} cores, one task per network")

    _fresh_cache()
    clock = MemberClock()
    with PeakTreeRss() as local_memory:
        tick = time.perf_counter()
        local = zoo.sweep(bundle, members, n_cells=n_cells, engine="local", progress=clock)
        local_s = time.perf_counter() - tick

    _fresh_cache()
    with PeakTreeRss() as ray_memory:
        tick = time.perf_counter()
        on_ray = zoo.sweep(bundle, members, n_cells=n_cells, engine="ray", num_cpus=RAY_CPUS)
        ray_s = time.perf_counter() - tick

    layers = local.groupby(["model", "weights"], sort=False, observed=True)["layer"].nunique()
    rows = []
    for member in members:
        spent = clock.seconds[zoo.member_label(member)]
        rows.append([zoo.member_label(member), int(layers[member]), *(spent[p] for p in PHASES), sum(spent.values())])
    totals = [sum(row[i] for row in rows) for i in range(2, 6)]
    rows.append(["all networks", int(layers.sum()), *totals])
    report.print_table(["in-process network", "layers", "loading/training/saving s", "features s", "regression s",
                        "total s"], rows)
    same, why = tables_identical(local, on_ray)
    report.print_table(["engine", "wall s", "peak RSS of the process tree GB", "rows"],
                       [["in-process", local_s, local_memory.peak / GB, f"{len(local):,}"],
                        [f"Ray ({RAY_CPUS} cores)", ray_s, ray_memory.peak / GB, f"{len(on_ray):,}"]])
    print(f"Tables identical: {'yes' if same else 'no — ' + why}")
    seconds_ok = report.verdict("zoo-seconds", "seconds", local_s, "<=", GOAL_SECONDS)
    overhead_ok = report.verdict("zoo", "ray_overhead", ray_s / local_s, "<=", GOAL_RAY_OVERHEAD)
    return seconds_ok and overhead_ok and same
