"""The zoo sweep on Ray: one task per member, the bundle shipped once, parts written by the driver as they finish.

Ray is an optional extra (``pip install -e '.[scale]'``) and is imported only here. Without an address (and without
RAY_ADDRESS) a local Ray is started for the run with the usable cores and shut down afterwards; with one, the run
connects to that cluster and leaves it running. Each task computes its part with `zoo.member_part`, the function the
local engine uses, with as many torch threads as the local engine uses (every usable core of the driver): float32
convolutions and matmuls round differently with another number of threads, so only then are the tables identical.
A task is scheduled on one core, so its threads wait passively (OMP_WAIT_POLICY) instead of spinning.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lessons.core import cache, runtime
from lessons.core.progress import Progress, silent
from lessons.cortex import pipeline as cortex_pipeline
from lessons.cortex import zoo
from lessons.cortex.data import NeuralBundle

INSTALL_HINT = "pip install -e '.[scale]'"
CPUS_PER_TASK = 1
#: A local Ray's shared-object store: the bundle and the parts are a few MB each.
OBJECT_STORE_BYTES = 256 * 1024**2
POLL_S = 0.5
REPO_ROOT = Path(__file__).resolve().parents[2]
#: What a cluster elsewhere does not need from the working tree (Ray also skips what .gitignore lists).
_UPLOAD_EXCLUDES = [".git", ".venv", "tests", "screenshots", "docs", "*.parquet"]


class RayMissingError(ImportError):
    """Raised when the Ray engine is asked for and Ray is not installed."""


def import_ray():
    """The `ray` module, or a RayMissingError saying how to install it."""
    try:
        import ray
    except ImportError as error:
        raise RayMissingError(f"the Ray engine needs Ray, an optional extra: {INSTALL_HINT} "
                              f"(or run the sweep with engine 'local')") from error
    return ray


def _compute_part(bundle: NeuralBundle, member: zoo.Member, cell_indices: np.ndarray, shuffles: int,
                  threads: int) -> pd.DataFrame:
    return zoo.member_part(bundle, member, cell_indices, shuffles, threads=threads)


def _local_runtime_env() -> dict:
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {"env_vars": {"PYTHONPATH": path, cache.CACHE_ENV: str(cache.cache_dir()),
                         "OMP_WAIT_POLICY": runtime.SERVER_WAIT_POLICY}}


def _cluster_runtime_env() -> dict:
    return {"working_dir": str(REPO_ROOT), "excludes": _UPLOAD_EXCLUDES,
            "env_vars": {"OMP_WAIT_POLICY": runtime.SERVER_WAIT_POLICY}}


def start(ray, address: str | None, num_cpus: int | None) -> bool:
    """Connect to the cluster at `address`, or start a local Ray of `num_cpus` cores; True when this call started
    (or connected) Ray and the caller must shut it down, False when Ray was already initialised."""
    if ray.is_initialized():
        return False
    if address:
        ray.init(address=address, runtime_env=_cluster_runtime_env(), logging_level=logging.WARNING,
                 log_to_driver=False)
    else:
        ray.init(num_cpus=num_cpus or runtime.usable_cores(), include_dashboard=False,
                 object_store_memory=OBJECT_STORE_BYTES, runtime_env=_local_runtime_env(),
                 logging_level=logging.WARNING, log_to_driver=False)
    return True


def run_members(bundle: NeuralBundle, members: Sequence[zoo.Member], n_cells: int | None, shuffles: int,
                address: str | None = None, num_cpus: int | None = None,
                progress: Progress | None = None, threads: int | None = None) -> list[pd.DataFrame]:
    """Compute the members' parts as Ray tasks (one per member) and write each to its Parquet part as it arrives;
    returns the parts in member order. Each task runs `threads` torch threads (default: the local engine's count,
    for identical tables). A progress callback that raises cancels the tasks still running."""
    ray = import_ray()
    members = zoo.check_members(members)
    report = progress or silent
    threads = threads or runtime.usable_cores()
    address = address or os.environ.get("RAY_ADDRESS") or None
    report(0.0, f"Ray: connecting to {address}" if address else
           f"Ray: starting a local Ray with {num_cpus or runtime.usable_cores()} cores")
    started = start(ray, address, num_cpus)
    pending: dict = {}
    try:
        task = ray.remote(num_cpus=CPUS_PER_TASK, max_retries=0)(_compute_part)
        shared = ray.put(bundle)
        cell_indices = cortex_pipeline.select_cells(bundle, n_cells)
        pending = {task.remote(shared, member, cell_indices, shuffles, threads): member for member in members}
        parts: dict[zoo.Member, pd.DataFrame] = {}
        report(0.0, f"Ray: {len(members)} networks submitted, one task each")
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_S)
            if not ready:
                running = ", ".join(zoo.member_label(m) for m in list(pending.values())[:2])
                report(len(parts) / len(members), f"Ray: {len(parts)} of {len(members)} networks done; "
                                                  f"{len(pending)} running or queued ({running}…)")
                continue
            member = pending.pop(ready[0])
            parts[member] = ray.get(ready[0])
            zoo.save_part(zoo.part_path(bundle, member, n_cells, shuffles), parts[member])
            report(len(parts) / len(members), f"{zoo.member_label(member)}: done on Ray "
                                              f"({len(parts)} of {len(members)} networks)")
        return [parts[member] for member in members]
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        if started:
            ray.shutdown()
