"""Shared test settings: a private cache folder so tests never depend on (or pollute) a user's cache."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_CACHE = Path(tempfile.mkdtemp(prefix="zero-to-brains-test-cache-"))
os.environ.setdefault("ZERO_TO_BRAINS_CACHE", str(_CACHE))
