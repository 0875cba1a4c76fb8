"""Finished long computations shared by every session, keyed by everything that produced them.

A page computes a result outside any Streamlit cache (so it can draw live progress), then files it here; the next
visitor who asks for the same thing gets it at once. Bounded: the oldest entries go first. A store made with
`persist=True` also keeps each result on disk (`lessons.core.records`, no pickle), so results outlive a restart and
`python -m lessons.warm` can prepare them before a class.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import streamlit as st

from lessons.core import records


class ResultStore:
    """A thread-safe, size-bounded mapping from a hashable key to a finished result."""

    def __init__(self, max_entries: int = 64, disk_group: str | None = None) -> None:
        self.max_entries = max_entries
        self.disk_group = disk_group  # records folder name, or None to keep results in memory only
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        """The stored result for `key` (from memory, else from disk for a persistent store), or None."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        if self.disk_group is None or not records.stable_key(key):
            return None
        found = records.load_record(self.disk_group, key)
        if found is not None:
            self._remember(key, found)
        return found

    def put(self, key: Hashable, value: Any) -> None:
        """Store a result (and write it to disk for a persistent store), dropping the least recently used."""
        self._remember(key, value)
        if self.disk_group is not None and records.stable_key(key):
            records.save_record(self.disk_group, key, value)

    def _remember(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __contains__(self, key: Hashable) -> bool:
        return self.get(key) is not None

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The stored result, or compute it now (outside the lock, so other sessions are not held up) and store it."""
        found = self.get(key)
        if found is None:
            found = compute()
            self.put(key, found)
        return found


@st.cache_resource(show_spinner=False)
def shared_store(name: str, max_entries: int = 64, persist: bool = False) -> ResultStore:
    """The process-wide store called `name` (one per page or purpose); `persist` also keeps results on disk."""
    return ResultStore(max_entries, disk_group=name if persist else None)
