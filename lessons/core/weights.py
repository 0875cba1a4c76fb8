"""Weights that are not shipped: where they are cached, and an opt-in, time-limited download with progress.

Nothing here runs unless a person asks for it. Offline, `download` fails fast with a clear message.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import torch

from lessons.core.progress import Progress


class WeightsUnavailable(RuntimeError):
    """Weights could not be found or fetched; str(error) explains why in plain words."""


def hub_checkpoint_dir() -> Path:
    """Folder where torch keeps downloaded checkpoints (the same one torchvision uses)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def cached_path(url: str) -> Path:
    """Where the checkpoint from `url` lives once downloaded."""
    return hub_checkpoint_dir() / url.rsplit("/", 1)[-1]


def _expected_hash_prefix(url: str) -> str | None:
    stem = url.rsplit("/", 1)[-1].split(".")[0]
    tail = stem.rsplit("-", 1)[-1]
    return tail if len(tail) >= 8 and all(c in "0123456789abcdef" for c in tail) else None


def _fetch(url: str, target: Path, state: dict, cancel: threading.Event, connect_timeout_s: float) -> None:
    partial = target.with_suffix(target.suffix + ".partial")
    try:
        digest = hashlib.sha256()
        with urllib.request.urlopen(url, timeout=connect_timeout_s) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(1 << 16):
                if cancel.is_set():
                    raise TimeoutError("cancelled")
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                state["fraction"] = done / total if total else 0.0
                state["bytes"] = done
        prefix = _expected_hash_prefix(url)
        if prefix and not digest.hexdigest().startswith(prefix):
            raise WeightsUnavailable("the downloaded file is corrupt (its checksum does not match)")
        os.replace(partial, target)
        state["done"] = True
    except BaseException as error:  # reported to the waiting caller, never raised in this thread
        state["error"] = error
        partial.unlink(missing_ok=True)


def download(url: str, progress: Progress | None = None, timeout_s: float = 120.0,
             connect_timeout_s: float = 10.0) -> Path:
    """Download a checkpoint into the torch cache with progress; raise WeightsUnavailable on failure or timeout."""
    target = cached_path(url)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    state: dict = {"fraction": 0.0, "bytes": 0}
    cancel = threading.Event()
    worker = threading.Thread(target=_fetch, args=(url, target, state, cancel, connect_timeout_s), daemon=True)
    start = time.monotonic()
    worker.start()
    while worker.is_alive():
        worker.join(0.25)
        if progress:
            progress(state["fraction"], f"{state['bytes'] / 1e6:.1f} MB downloaded")
        if time.monotonic() - start > timeout_s:
            cancel.set()
            raise WeightsUnavailable(f"the download did not finish within {timeout_s:.0f} s; "
                                     "the offline models keep working")
    error = state.get("error")
    if isinstance(error, WeightsUnavailable):
        raise error
    if error is not None:
        reason = getattr(error, "reason", error)
        reason = getattr(reason, "strerror", None) or reason
        raise WeightsUnavailable(f"no connection to the weights server ({reason}); "
                                 "this machine looks offline — the offline models keep working") from error
    if progress:
        progress(1.0, "download complete")
    return target


def load_state_dict(path: Path) -> dict:
    """Load a checkpoint's tensors safely (weights only, never arbitrary pickled objects)."""
    return torch.load(path, map_location="cpu", weights_only=True)
