"""The disk cache: one folder, one atomic writer, one versioned load-or-build for trained weights.

The caching rule for the whole app (docs/ARCHITECTURE.md): work that outlives the process (trained weights, Gram
matrices, simulated data) is written here, named with a version that changes when its recipe does; a missing,
stale or unreadable file only means "build it again". Files are read back with `weights_only=True` or
`allow_pickle=False`, never unpickled.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import torch
from torch import nn

from lessons.core.folders import CACHE_ENV, cache_dir  # noqa: F401  (re-exported: the one cache folder)
from lessons.core.progress import Progress

#: Trained weights that ship with the app (`python -m lessons.shipped_nets` writes them): read when the cache
#: has no copy, so no first visitor waits for a digit network to train.
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "assets" / "nets"


def save_atomically(path: Path, write: Callable[[IO[bytes]], Any]) -> bool:
    """Write a file through `write(handle)` into a temp file beside `path`, then rename it into place.

    Readers never see half a file. False (and nothing left behind) when the folder is not writable."""
    tmp_name: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp_name, path)
        tmp_name = None
        return True
    except OSError:
        return False
    finally:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)


def save_folder_atomically(path: Path, write: Callable[[Path], Any]) -> bool:
    """Fill a temp folder beside `path` through `write(folder)`, then rename it into place (False if it fails)."""
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=path.name + ".", dir=path.parent))
        write(tmp)
        os.replace(tmp, path)
        return True
    except OSError:  # unwritable, or another process won the race: the caller still has what it built
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        return False


def shipped_weights(name: str) -> Path | None:
    """The copy of the weights file called `name` that ships with the app (`SHIPPED_DIR`), or None."""
    path = SHIPPED_DIR / name
    return path if path.is_file() else None


def load_or_train(path: Path, new_model: Callable[[], nn.Module], train: Callable[[], tuple[nn.Module, dict]],
                  progress: Progress | None = None, shipped: Path | None = None) -> tuple[nn.Module, dict]:
    """Trained weights and their notes (a dict of numbers) from `path`, else from the `shipped` copy, else from
    `train()`, saved for next time.

    `new_model()` builds the empty architecture the cached state dict is loaded into (strictly)."""
    for source, note in ((path, "Loaded trained weights from the cache"),
                         (shipped, "Loaded the trained weights that ship with the app")):
        cached = _load_weights(source, new_model) if source is not None else None
        if cached is not None:
            if progress is not None:
                progress(1.0, note)
            return cached
    model, meta = train()
    state_dict = OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
    save_atomically(path, lambda handle: torch.save({"state_dict": state_dict, "meta": meta}, handle))
    return model.eval(), meta


def _load_weights(path: Path, new_model: Callable[[], nn.Module]) -> tuple[nn.Module, dict] | None:
    if not path.is_file():
        return None
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        meta = {str(k): v for k, v in dict(payload["meta"]).items() if isinstance(v, int | float | str)}
        model = new_model()
        model.load_state_dict(payload["state_dict"], strict=True)
    except Exception:  # noqa: BLE001  (any unreadable or incompatible file just means "train again")
        return None
    return model.eval(), meta
