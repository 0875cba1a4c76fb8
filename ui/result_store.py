"""Finished long computations shared by every session, keyed by everything that produced them.

A page computes a result outside any Streamlit cache (so it can draw live progress), then files it here; the next
visitor who asks for the same thing gets it at once. Bounded: the oldest entries go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import streamlit as st


class ResultStore:
    """A thread-safe, size-bounded mapping from a hashable key to a finished result."""

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        """The stored result for `key`, or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: Any) -> None:
        """Store a result, dropping the least recently used beyond the bound."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The stored result, or compute it now (outside the lock, so other sessions are not held up) and store it."""
        found = self.get(key)
        if found is None:
            found = compute()
            self.put(key, found)
        return found


@st.cache_resource(show_spinner=False)
def shared_store(name: str, max_entries: int = 64) -> ResultStore:
    """The process-wide store called `name` (one per page or purpose)."""
    return ResultStore(max_entries)
