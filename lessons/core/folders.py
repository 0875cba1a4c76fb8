"""Where the app keeps what outlives a process: the user cache folder. Torch-free, so the router may use it."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "ZERO_TO_BRAINS_CACHE"


def cache_dir() -> Path:
    """Return (and create) the cache folder: $ZERO_TO_BRAINS_CACHE, else the XDG/~/.cache folder."""
    override = os.environ.get(CACHE_ENV)
    if override:
        folder = Path(override).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
        folder = base / "zero-to-brains"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # an unwritable location: callers build without saving
    return folder
