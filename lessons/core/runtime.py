"""Where and how compute runs: the device (CUDA, then MPS, then CPU), torch's threads, the allocator, and seeds."""

from __future__ import annotations

import os
import random
from functools import lru_cache

import numpy as np
import torch

from lessons.core import memory

# What the server runs with (`app.py` and `make run` set it before torch loads): OpenMP threads that sleep instead of
# spinning while they wait. A web server runs one OpenMP team per page thread, and a laptop server shares its cores
# with the students' browsers; spinning teams then starve each other (measured on 2 cores: a second process doing the
# same work cut a spinning main thread from ~70 to 6-20 images/s, while sleeping threads kept ~35 each). Scripts,
# notebooks and benchmarks keep OpenMP's default (a few milliseconds of spinning), which on a quiet machine runs one
# process's inference about twice as fast (`python -m bench extract` prints both).
SERVER_WAIT_POLICY = "PASSIVE"
_WAIT_POLICY = os.environ.get("OMP_WAIT_POLICY", "default")  # OpenMP reads it once, when torch is first loaded

RANDOM_SEED = 0


def device(prefer: str | None = None) -> torch.device:
    """Pick CUDA, then MPS, then CPU (or `prefer`, or $ZERO_TO_BRAINS_DEVICE when set)."""
    choice = prefer or os.environ.get("ZERO_TO_BRAINS_DEVICE")
    if choice:
        return resolve_device(choice)
    if torch.cuda.is_available():
        return resolve_device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_device(dev: torch.device | str | None) -> torch.device:
    """The device asked for, or the shared choice when None; a CUDA device gets full float32 maths (no TF32)."""
    chosen = device() if dev is None else torch.device(dev)
    if chosen.type == "cuda":
        _configure_cuda()
    return chosen


@lru_cache(maxsize=1)
def _configure_cuda() -> None:
    # Full float32 convolutions, so GPU results match the CPU's to float32 tolerance (TF32 would not).
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False


def usable_cores() -> int:
    """Number of CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def openmp_wait_policy() -> str:
    """The OMP_WAIT_POLICY torch's OpenMP read when it was loaded ("default" when none was set)."""
    return _WAIT_POLICY


def configure_threads(n: int | None = None) -> int:
    """Set torch's intra-op threads to n (default: every usable core) and return the value in force."""
    memory.tune_allocator()
    wanted = max(1, n or usable_cores())
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)
    return torch.get_num_threads()


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)

