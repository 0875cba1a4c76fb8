"""Heavy work in a page through the shared pool: a waiting student sees their place, can cancel (which frees the
place) and start again; the result arrives in the store and the page shows it."""

from __future__ import annotations

import threading

from streamlit.testing.v1 import AppTest

from tests.pages.apptest import all_texts


def counting_page() -> None:
    """A page whose heavy work is counting sheep (7 of them)."""
    import streamlit as st

    from ui.jobs import queued_result
    from ui.result_store import shared_store

    store = shared_store("counting_sheep_for_tests", 4)
    value = queued_result(store, "flock", "Counting sheep", lambda report: 7)
    st.markdown(f"Sheep counted: {value}")


def test_a_waiting_student_sees_the_queue_cancels_and_starts_again(held_pool):
    pool, release = held_pool
    at = AppTest.from_function(counting_page, default_timeout=30)
    at.run()
    assert not at.exception
    assert "Counting sheep: waiting for the computer — 1 job ahead of yours" in all_texts(at)
    assert "Sheep counted: None" in all_texts(at)  # the rest of the page is drawn while it waits
    assert [job.title for job in pool.snapshot()[1]] == ["Counting sheep"]

    next(b for b in at.button if b.label == "Cancel").click().run()
    assert not at.exception
    assert pool.snapshot()[1] == []  # the place in the queue is free again
    assert "You cancelled: counting sheep" in all_texts(at)
    assert [b.label for b in at.button] == ["Start again"]

    release.set()  # the other student's job finishes; starting again runs at once
    next(b for b in at.button if b.label == "Start again").click().run()
    for _ in range(40):
        if "Sheep counted: 7" in all_texts(at):
            break
        threading.Event().wait(0.05)
        at.run()
    assert "Sheep counted: 7" in all_texts(at)
    assert not [b for b in at.button if b.label in ("Cancel", "Start again")]


def page_with_its_own_button() -> None:
    """A page that starts the counting with a Count button of its own."""
    import streamlit as st

    from ui.jobs import queued_result
    from ui.result_store import shared_store

    pressed = st.button("Count", key="count")
    if pressed:
        st.session_state["asked"] = True
    if st.session_state.get("asked"):
        store = shared_store("counting_goats_for_tests", 4)
        value = queued_result(store, "herd", "Counting goats", lambda report: 5, page_button=("Count", pressed))
        st.markdown(f"Goats counted: {value}")


def test_after_a_cancel_the_page_s_own_button_starts_the_work_again(held_pool):
    pool, release = held_pool
    at = AppTest.from_function(page_with_its_own_button, default_timeout=30)
    at.run()
    at.button(key="count").click().run()
    assert [job.title for job in pool.snapshot()[1]] == ["Counting goats"]
    next(b for b in at.button if b.label == "Cancel").click().run()
    assert not at.exception and pool.snapshot()[1] == []
    assert "Press **Count** to start it again" in all_texts(at)
    assert [b.label for b in at.button] == ["Count"]  # no second button doing the same thing
    at.run()  # another rerun of the page does not start it again by itself
    assert pool.snapshot()[1] == []
    release.set()
    at.button(key="count").click().run()
    for _ in range(40):
        if "Goats counted: 5" in all_texts(at):
            break
        threading.Event().wait(0.05)
        at.run()
    assert "Goats counted: 5" in all_texts(at)


def test_waiting_panels_refresh_less_often_the_longer_the_queue():
    from ui.jobs import MAX_POLL_S, POLL_S, poll_seconds

    assert poll_seconds(0) == poll_seconds(1) == POLL_S
    assert POLL_S < poll_seconds(3) < poll_seconds(5)
    assert poll_seconds(100) == MAX_POLL_S


def test_an_expected_wait_is_told_in_round_words():
    from ui.jobs import wait_words

    assert [wait_words(s) for s in (None, 0.4, 12, 59, 61, 200)] == [
        "", "about 5 s", "about 10 s", "about 60 s", "about 1 min", "about 3 min"]


def test_the_queue_text_gives_the_wait_when_the_pool_can_tell():
    from lessons.core import jobs
    from ui.jobs import queue_text

    job = jobs.Job("k", "Building the atlas", lambda report: None)
    assert queue_text(job, 2, 95.0).startswith("Building the atlas: waiting for the computer — 2 jobs ahead of "
                                               "yours (about 2 min).")
    assert "yours. Heavy" in queue_text(job, 2, None)
    assert queue_text(job, 0, 95.0) == "Building the atlas: starting…"
