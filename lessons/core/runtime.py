"""Where and how compute runs: the device (CUDA, then MPS, then CPU), torch's threads, and seeds."""

from __future__ import annotations

import os
import random
from functools import lru_cache

import numpy as np
import torch

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


def configure_threads(n: int | None = None) -> int:
    """Set torch's intra-op threads to n (default: every usable core) and return the value in force."""
    wanted = max(1, n or usable_cores())
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)
    return torch.get_num_threads()


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
