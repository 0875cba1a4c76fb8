"""The one progress bar: a Streamlit bar handed to compute as a `lessons.core.progress.Progress` callback.

Work that reports progress never runs inside a `st.cache_data` / `st.cache_resource` body, not even through a
callback argument: Streamlit records the bar updates made inside a cached call and fails to replay them on the next
hit (`CacheReplayClosureError`). Run it in the page and keep its result in `ui.result_store` (or the registry, or
the disk cache).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from lessons.core.progress import Progress


@contextmanager
def progress_bar(text: str = "Starting…", *, keep: bool = False) -> Iterator[Progress]:
    """A progress bar for the length of a `with` block, yielding the callback compute reports to.

    The bar disappears when the block ends unless `keep` is True (then it stays, full)."""
    bar = st.progress(0.0, text=text)

    def report(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

    try:
        yield report
    finally:
        if keep:
            bar.progress(1.0, text="Done")
        else:
            bar.empty()


@contextmanager
def progress_status(label: str, done_label: str) -> Iterator[Progress]:
    """A collapsed status box with a bar inside (for slow first-time work such as loading or training a model)."""
    with st.status(label, expanded=False) as box:
        with progress_bar(label, keep=True) as report:
            yield report
        box.update(label=done_label, state="complete")
