"""The server's garbage collection: a full collection after a page run that took long, and none after a quick one.

Streamlit's own collection after every run is off (`runner.postScriptGC` in `.streamlit/config.toml`): it walks every
object in the server holding the interpreter lock, and every frame of an animation and every refresh of a waiting
panel is a run. A run that took long (a page that built, trained or loaded something) is the one that leaves
garbage worth collecting; after it, a collection (and handing the freed memory back to the system) is a small share
of the run.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

from lessons.core import memory

#: A page run at least this long is followed by a full collection.
LONG_RUN_S = 1.0


@contextmanager
def collected_if_long(threshold_s: float = LONG_RUN_S) -> Iterator[None]:
    """Run the block; if it took at least `threshold_s` (even when it ended by a rerun or stop), collect garbage."""
    started = time.monotonic()
    try:
        yield
    finally:
        if time.monotonic() - started >= threshold_s:
            gc.collect()
            memory.release_freed_memory()
