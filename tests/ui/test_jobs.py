"""Heavy work in a page through the shared pool: a waiting student sees their place, can cancel (which frees the
place) and start again; the result arrives in the store and the page shows it."""

from __future__ import annotations

import threading

import pytest
from streamlit.testing.v1 import AppTest

from lessons.core import jobs
from tests.lessons.core.test_jobs import WAIT_S, holding


def counting_page() -> None:
    """A page whose heavy work is counting sheep (7 of them)."""
    import streamlit as st

    from ui.jobs import queued_result
    from ui.result_store import shared_store

    store = shared_store("counting_sheep_for_tests", 4)
    value = queued_result(store, "flock", "Counting sheep", lambda report: 7)
    st.markdown(f"Sheep counted: {value}")


@pytest.fixture
def held_pool(monkeypatch):
    """The shared pool replaced by a one-worker pool that another student's slow job holds."""
    pool = jobs.JobPool(1)
    monkeypatch.setattr(jobs, "_SHARED", pool)
    started, release = threading.Event(), threading.Event()
    holder = pool.submit("someone else's atlas", holding(started, release), "Building an atlas", owner="other")
    assert started.wait(WAIT_S)
    yield pool, release
    release.set()
    holder.wait(WAIT_S)


def texts(at: AppTest) -> str:
    """Every markdown, caption, info and progress text of the last run."""
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.info]
    parts += [p.proto.text for p in at.get("progress")]
    return "\n".join(parts)


def test_a_waiting_student_sees_the_queue_cancels_and_starts_again(held_pool):
    pool, release = held_pool
    at = AppTest.from_function(counting_page, default_timeout=30)
    at.run()
    assert not at.exception
    assert "Counting sheep: waiting for the computer — 1 job ahead of yours" in texts(at)
    assert "Sheep counted: None" in texts(at)  # the rest of the page is drawn while it waits
    assert [job.title for job in pool.snapshot()[1]] == ["Counting sheep"]

    next(b for b in at.button if b.label == "Cancel").click().run()
    assert not at.exception
    assert pool.snapshot()[1] == []  # the place in the queue is free again
    assert "You cancelled: counting sheep" in texts(at)
    assert [b.label for b in at.button] == ["Start again"]

    release.set()  # the other student's job finishes; starting again runs at once
    next(b for b in at.button if b.label == "Start again").click().run()
    for _ in range(40):
        if "Sheep counted: 7" in texts(at):
            break
        threading.Event().wait(0.05)
        at.run()
    assert "Sheep counted: 7" in texts(at)
    assert not [b for b in at.button if b.label in ("Cancel", "Start again")]
