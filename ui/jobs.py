"""Heavy work through the one shared pool (`lessons.core.jobs`), shown in the page: the student's place in the
queue, a progress bar, a live preview where the work offers one, and a Cancel button.

The result lands in a `ui.result_store` store when the work finishes, even if the student has left, so the next
person who asks for the same thing gets it at once; two students asking at the same moment share one run.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lessons.core import jobs
from ui.result_store import ResultStore
from ui.state import stop_page

T = TypeVar("T")
# How often a waiting panel refreshes. Each refresh costs the server a rerun request on its event loop, a script
# thread and a repaint; at a quarter of a second the refreshes starved the job itself on a 2-core machine (a small
# atlas: 20 s became minutes), and a room of waiting students multiplies them. So a panel refreshes once a second
# while little waits, and less often the longer the queue (a student with jobs ahead of theirs loses nothing).
POLL_S = 1.0
POLL_PER_JOB_S = 0.5
MAX_POLL_S = 4.0


def poll_seconds(jobs_in_pool: int) -> float:
    """How often a waiting panel refreshes when `jobs_in_pool` jobs run or wait in the shared pool."""
    return min(MAX_POLL_S, POLL_S + POLL_PER_JOB_S * max(0, jobs_in_pool - 1))
_WAITING = "_heavy_jobs"  # session state: job key → the Job this session waits for
_CANCELLED = "_heavy_jobs_cancelled"  # session state: job keys this session cancelled


def session_owner() -> str:
    """The running session's id (jobs are taken round-robin between sessions)."""
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def wait_words(seconds: float | None) -> str:
    """An expected wait as a student reads it ("about 40 s", "about 3 min"); "" when there is no estimate."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"about {max(5, round(seconds / 5) * 5)} s"
    return f"about {round(seconds / 60)} min"


def queue_text(job: jobs.Job, ahead: int, wait_s: float | None = None) -> str:
    """What a student whose job waits is told: how many jobs run or wait before theirs, and for about how long
    when the pool can tell (`wait_s`)."""
    if ahead <= 0:
        return f"{job.title}: starting…"
    jobs_ahead = "1 job" if ahead == 1 else f"{ahead} jobs"
    estimate = f" ({wait_words(wait_s)})" if wait_s is not None else ""
    return (f"{job.title}: waiting for the computer — {jobs_ahead} ahead of yours{estimate}. Heavy work runs a few "
            "at a time so every page stays quick; yours starts on its own.")


def _job_key(store: ResultStore, key: Hashable) -> tuple[int, Hashable]:
    return id(store), key


def _widget_key(prefix: str, job_key: Hashable) -> str:
    return f"{prefix}_{abs(hash(job_key)):x}"


def queued_result(store: ResultStore, key: Hashable, title: str, compute: Callable[[jobs.Report], T], *,
                  button: str | None = None, button_key: str | None = None,
                  on_preview: Callable[[Any], None] | None = None, page_button: tuple[str, bool] | None = None,
                  kind: str = "", cost: float = 1.0) -> T | None:
    """The stored result for `key`, or None while `compute` runs through the shared pool.

    With `button`, the work starts when the student presses a button of that label (and `button_key`); without, it
    starts at once — unless this student cancelled it before, when a "Start again" button waits. A page that starts
    the work with a button of its own passes `page_button` (its label, and whether it was pressed on this run): after
    a cancel, pressing it starts the work again, and no second button is drawn. While it waits or runs, a panel
    shows the place in the queue, progress, the latest preview (drawn by `on_preview`) and Cancel, and refreshes
    itself; the rest of the page stays usable, and the page reruns when the result is ready. `compute` runs in a
    worker thread: no Streamlit calls inside it; it reports to the `Report` it is given (a `Progress`). `kind` (by
    default the title) and `cost` tell the pool which finished jobs to expect its run time from (`JobPool.submit`).
    """
    job_key = _job_key(store, key)
    waiting: dict[Hashable, jobs.Job] = st.session_state.setdefault(_WAITING, {})
    cancelled: set[Hashable] = st.session_state.setdefault(_CANCELLED, set())
    found = store.get(key)
    if found is not None:
        waiting.pop(job_key, None)
        return found
    if page_button is not None and page_button[1]:
        cancelled.discard(job_key)
    job = waiting.get(job_key)
    if job is None:
        if job_key in cancelled and page_button is not None:
            st.info(f"You cancelled: {title[:1].lower()}{title[1:]}. Press **{page_button[0]}** to start it again.")
            return None
        label = "Start again" if job_key in cancelled else button
        start_key = button_key if label == button and button_key else _widget_key("start", job_key)
        if label is not None and not st.button(label, type="primary", key=start_key):
            if job_key in cancelled:
                st.info(f"You cancelled: {title[:1].lower()}{title[1:]}. Start it again when you are ready.")
            return None
        cancelled.discard(job_key)

        def work(report: jobs.Report) -> T:
            value = compute(report)
            store.put(key, value)
            return value

        job = jobs.shared_pool().submit(job_key, work, title, owner=session_owner(), kind=kind, cost=cost)
        job.touch()
        waiting[job_key] = job
    if job.done():
        waiting.pop(job_key, None)
        return None if job.status == jobs.CANCELLED else job.result()  # a failure raises here, in the page
    running, queued = jobs.shared_pool().snapshot()
    st.fragment(run_every=poll_seconds(len(running) + len(queued)))(_waiting_panel)(job_key, on_preview)
    return None


def wait_for(store: ResultStore, key: Hashable, title: str, compute: Callable[[jobs.Report], T]) -> T:
    """Like `queued_result` started at once, for work the rest of the page cannot go without: the page stops
    below the waiting panel until there is a result (its link brought up to date first)."""
    value = queued_result(store, key, title, compute)
    if value is None:
        stop_page()
    return value


def _waiting_panel(job_key: Hashable, on_preview: Callable[[Any], None] | None) -> None:
    """Place in the queue or progress, the latest preview, and Cancel; reruns the page once the job is over."""
    waiting: dict[Hashable, jobs.Job] = st.session_state.setdefault(_WAITING, {})
    job = waiting.get(job_key)
    if job is None or job.done():
        st.rerun()
    job.touch()
    with st.container(border=True):
        status = st.empty()  # drawn above the Cancel button, filled once a click on it has been handled
        if st.button("Cancel", key=_widget_key("cancel", job_key)):
            job.cancel()
            waiting.pop(job_key, None)
            st.session_state.setdefault(_CANCELLED, set()).add(job_key)
            st.rerun()
        ahead = job.position()
        text = (queue_text(job, ahead, jobs.shared_pool().expected_wait(job)) if job.status == jobs.QUEUED
                else f"{job.title}: {job.message}")
        status.progress(job.fraction, text=text)
        if job.waiters > 1:
            st.caption(f"{job.waiters - 1} other {'person has' if job.waiters == 2 else 'people have'} asked for "
                       "exactly this: it runs once and everyone gets the result.")
        if on_preview is not None and job.preview is not None:
            on_preview(job.preview)
