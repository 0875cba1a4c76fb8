"""Where and how compute runs: the device (CUDA, then MPS, then CPU), torch's threads, the allocator, and seeds."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import random
from functools import lru_cache

import numpy as np
import torch

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
    tune_allocator()
    wanted = max(1, n or usable_cores())
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)
    return torch.get_num_threads()


# glibc's mallopt parameters (malloc.h) and the values kept: blocks up to 32 MB (glibc's largest allowed threshold)
# come from the heap instead of fresh mmap'd pages, and up to 64 MB of free heap is kept instead of being handed back.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 1024**2
TRIM_THRESHOLD = 64 * 1024**2


@lru_cache(maxsize=1)
def tune_allocator() -> bool:
    """Keep activation-sized blocks in glibc's heap between batches (no re-faulting); False where not glibc.

    By default glibc maps every block above a sliding threshold with fresh pages and unmaps it on free, so each
    batch's activations are page-faulted in again (measured on EfficientNet-Lite0, 2 images per batch: ~3,800 page
    faults per image before, ~100 after). Settings made through MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ are
    left alone; under a preloaded allocator (jemalloc) the call is harmless, glibc's malloc being unused.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    if any(name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@lru_cache(maxsize=1)
def _libc_with_trim() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_freed_memory() -> bool:
    """Hand memory freed by finished work back to the system (glibc's malloc_trim); False where unavailable.

    Gradient batches and feature maps leave large free blocks in the allocator's per-thread heaps; without this the
    process keeps them (a page's worker thread ends, its heap stays), so a server's memory only grows from job to job.
    """
    libc = _libc_with_trim()
    return bool(libc is not None and libc.malloc_trim(0) >= 0)
