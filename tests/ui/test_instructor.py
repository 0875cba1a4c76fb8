"""AppTest runs of the instructor's class dashboard: the passcode gate, the live view, export and reset."""

from __future__ import annotations

import csv
import io

import pytest
from streamlit.testing.v1 import AppTest

from lessons.core.answers import Record
from lessons.core.store.classes import Attempt, Write, now
from lessons.core.store.location import DATABASE_ENV, store_at
from tests.pages.apptest import no_exception
from ui import instructor

PASSCODE = "correct horse battery staple"


def dashboard_script() -> None:
    """The dashboard page on its own (AppTest runs this function as a script)."""
    from ui.instructor import instructor_page

    instructor_page()


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'classes.sqlite3'}"
    monkeypatch.setenv(DATABASE_ENV, url)
    monkeypatch.setenv(instructor.PASSCODE_ENV, PASSCODE)
    monkeypatch.setitem(instructor._server_failures, "count", 0)
    return store_at(url)


@pytest.fixture
def waits(monkeypatch):
    """The waits the dashboard makes (recorded, not slept)."""
    slept: list[float] = []
    monkeypatch.setattr(instructor, "pause", slept.append)
    return slept


def unlock(at: AppTest, typed: str) -> AppTest:
    at.text_input(key="instructor_passcode_typed").set_value(typed)
    at.button(key="FormSubmitter:instructor_unlock-Unlock").click().run()
    no_exception(at)
    return at


def opened() -> AppTest:
    at = AppTest.from_function(dashboard_script, default_timeout=60).run()
    no_exception(at)
    return at


def test_without_a_passcode_the_dashboard_is_off(store, monkeypatch):
    monkeypatch.delenv(instructor.PASSCODE_ENV)
    assert not instructor.instructor_configured()
    at = opened()
    assert any("dashboard is off" in i.value for i in at.info)
    assert not at.text_input


def test_a_wrong_passcode_is_refused_and_each_wrong_try_waits_longer(store, waits):
    at = opened()
    unlock(at, "guess")
    assert not at.session_state[instructor.UNLOCKED_KEY] if instructor.UNLOCKED_KEY in at.session_state else True
    assert any("not the instructor passcode" in e.value for e in at.error)
    unlock(at, PASSCODE[:-1])
    unlock(at, "")
    assert waits == [0.0, 0.5, 1.0], "no wait at first, then doubling"
    assert not at.get("metric")
    unlock(at, PASSCODE)
    assert at.session_state[instructor.UNLOCKED_KEY]
    assert dict(at.query_params) == {}, "the passcode never goes into the link"


def test_every_tab_waits_after_wrong_tries_on_the_server(store, waits):
    unlock(opened(), "guess")
    unlock(opened(), "guess again")
    assert waits == [0.0, 0.5], "a fresh tab waits for the server's earlier wrong tries"


def test_the_passcode_is_compared_whole():
    assert instructor.passcode_matches(PASSCODE, PASSCODE)
    assert not instructor.passcode_matches(PASSCODE + " ", PASSCODE)
    assert not instructor.passcode_matches("", "")
    assert instructor.failure_delay(0) == 0 and instructor.failure_delay(20) == 8.0


def test_the_dashboard_shows_the_class_live_and_exports_and_resets_it(store, waits):
    at = unlock(opened(), PASSCODE)
    at.text_input(key="instructor_new_title").set_value("Group A")
    at.button(key="FormSubmitter:instructor_new_class-Open the class").click().run()
    no_exception(at)
    (info,) = store.class_list()
    assert any(info.code in m.value for m in at.markdown), "the class code is shown for the room"
    assert any("No student has joined yet" in i.value for i in at.info)

    ada, _ = store.join(info.code, "=HYPERLINK(\"x\")")
    grace, _ = store.join(info.code, "Grace")
    for seat, answer, right in ((ada, "Sharpen", False), (ada, "Laplacian", False), (grace, "Sharpen", False)):
        record = store.records_of(seat).get("convolution.which_kernel", Record()).after(answer, right)
        store.save(seat, [Write("convolution", "convolution.which_kernel", record,
                                Attempt(f"{seat.student_id}-{answer}", "convolution", "convolution.which_kernel",
                                        answer, right, 0, now()))])
    at.run()
    no_exception(at)
    metrics = {m.label: m.value for m in at.get("metric")}
    assert metrics == {"Students": "2", "Active in the last 5 min": "2", "Answers checked": "3"}
    exercises = at.dataframe[1].value
    assert list(exercises["exercise"]) == ["convolution.which_kernel"], "only the exercises someone answered"
    row = exercises.iloc[0]
    assert row["lesson"] == "Convolution"
    assert row["answered"] == 2 and row["right at first try"] == 0.0
    assert row["common wrong answers"].startswith("Sharpen (×2)")

    table = at.get("download_button")[0].proto
    assert table.label == "Download the class table (CSV)"
    rows = list(csv.reader(io.StringIO(instructor.class_csv(store.class_data(info.code),
                                                            instructor.course_exercises()).decode("utf-8-sig"))))
    assert rows[1][1] == "'=HYPERLINK(\"x\")", "a name that a spreadsheet would run is made inert"

    assert at.button(key="instructor_reset").disabled
    at.text_input(key="instructor_reset_confirm").set_value(info.code.lower()).run()
    at.button(key="instructor_reset").click().run()
    no_exception(at)
    assert store.class_data(info.code).students == []
    assert any("Removed 2 students" in s.value for s in at.success)
