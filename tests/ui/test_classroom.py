"""AppTest runs of joining a class, continuing with a resume code, the database going away, and hostile names."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lessons.core.answers import Record
from lessons.core.store.classes import Seat
from lessons.core.store.location import DATABASE_ENV, store_at
from tests.pages.apptest import APP, answer_exercise, exercise_record, no_exception, show_hint
from ui import classroom
from ui.classroom import NameRefused  # noqa: F401  (the refusal a store raises)

WHICH_KERNEL = "convolution.which_kernel"
RIGHT = "Sobel x (vertical edges)"


@pytest.fixture
def class_code(tmp_path, monkeypatch):
    """A fresh SQLite class database for the app, with one class in it; its code."""
    url = f"sqlite:///{tmp_path / 'classes.sqlite3'}"
    monkeypatch.setenv(DATABASE_ENV, url)
    monkeypatch.setattr(classroom, "_throttle", lambda: None)  # the waits after refusals are tested on their own
    return store_at(url).create_class("Summer school")


def home() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    no_exception(at)
    return at


def join(at: AppTest, code: str, name: str) -> AppTest:
    at.text_input(key="class_join_code").set_value(code)
    at.text_input(key="class_join_name").set_value(name)
    at.button(key="FormSubmitter:class_join-Join the class").click().run()
    no_exception(at)
    return at


def rejoin(at: AppTest, code: str, name: str, resume: str) -> AppTest:
    at.text_input(key="class_rejoin_code").set_value(code)
    at.text_input(key="class_rejoin_name").set_value(name)
    at.text_input(key="class_rejoin_resume").set_value(resume)
    at.button(key="FormSubmitter:class_rejoin-Continue my progress").click().run()
    no_exception(at)
    return at


def seat_of(at: AppTest) -> Seat | None:
    return at.session_state[classroom.SEAT_KEY] if classroom.SEAT_KEY in at.session_state else None


def refusal(at: AppTest) -> str:
    return at.session_state["class_join_said"] if "class_join_said" in at.session_state else ""


def test_a_student_joins_answers_and_continues_elsewhere_with_the_resume_code(class_code):
    at = join(home(), class_code.lower().replace("-", " "), "Ada")
    seat = seat_of(at)
    assert seat is not None and seat.name == "Ada" and seat.class_code == class_code
    resume = at.session_state[classroom.RESUME_KEY]
    assert any(resume in s.value for s in at.sidebar.success), "the resume code is shown once, on joining"
    at.button(key="class_resume_ok").click().run()
    assert not any(resume in s.value for s in at.sidebar.success), "and not again once written down"

    at.switch_page("pages/convolution.py").run()
    no_exception(at)
    answer_exercise(at, WHICH_KERNEL, "Sobel x (vertical edges)")
    store = store_at(classroom.database_url())
    stored = store.records_of(seat)
    assert stored[WHICH_KERNEL].first_try and stored[WHICH_KERNEL].done
    (attempt,) = store.attempts_of(seat)
    assert (attempt.exercise, attempt.lesson, attempt.answer, attempt.correct) == (WHICH_KERNEL, "convolution",
                                                                                   RIGHT, True)

    other_day = rejoin(home(), class_code, "ada", resume)  # a new session: another day, another device
    assert seat_of(other_day) == seat
    assert exercise_record(other_day, WHICH_KERNEL).first_try, "the progress came back from the database"


def test_a_name_alone_never_opens_anyones_progress(class_code):
    ada = join(home(), class_code, "Ada")
    resume = ada.session_state[classroom.RESUME_KEY]
    store_at(classroom.database_url()).save(seat_of(ada), [
        classroom.Write("convolution", WHICH_KERNEL, Record().after(RIGHT, True))])

    impostor = join(home(), class_code, "ADA")
    assert seat_of(impostor) is None and "already uses the name" in refusal(impostor)
    wrong = rejoin(home(), class_code, "Ada", "AAAA-BBBB-CCCC")
    assert seat_of(wrong) is None and "do not belong together" in refusal(wrong)
    nobody = rejoin(home(), class_code, "Grace", resume)
    assert seat_of(nobody) is None and refusal(nobody) == refusal(wrong), "no hint whether the name exists"
    for at in (impostor, wrong, nobody):
        assert WHICH_KERNEL not in at.session_state["course_answers"]


def test_another_student_never_sees_my_answers(class_code):
    ada = join(home(), class_code, "Ada")
    store_at(classroom.database_url()).save(seat_of(ada), [
        classroom.Write("convolution", WHICH_KERNEL, Record().after(RIGHT, True))])
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"student": str(seat_of(ada).student_id), "class": class_code, "name": "Ada"})
    grace = join(at.run(), class_code, "Grace")
    assert seat_of(grace).name == "Grace"
    assert WHICH_KERNEL not in grace.session_state["course_answers"]
    assert store_at(classroom.database_url()).records_of(seat_of(grace)) == {}


def test_an_unknown_class_code_is_refused_with_a_message(class_code):
    at = join(home(), "ZZZZ-ZZZZ", "Ada")
    assert seat_of(at) is None and "No class has the code ZZZZ-ZZZZ" in refusal(at)
    at = join(home(), "not a code", "Ada")
    assert seat_of(at) is None and "8 letters and digits" in refusal(at)
    assert any("8 letters and digits" in e.value for e in at.sidebar.error)


@pytest.mark.parametrize("name", [
    "Robert'); DROP TABLE students;--",
    "👩‍🔬 **Ada** <script>alert(1)</script>",
    "مريم العربية",
    "[click me](javascript:alert(1))",
])
def test_hostile_names_are_stored_as_typed_and_shown_escaped(class_code, name):
    at = join(home(), class_code, name)
    seat = seat_of(at)
    assert seat is not None and seat.name == name
    shown = [m.value for m in at.sidebar.markdown if "You are" in m.value]
    assert shown and classroom.plain(name) in shown[0]
    assert "<script>" not in shown[0] and "](javascript" not in shown[0]
    assert store_at(classroom.database_url()).class_data(class_code).students[0].name == name


@pytest.mark.parametrize("name, message", [
    ("", "Type a name"),
    ("Eve\u202egnp.exe", "invisible control characters"),
])
def test_names_that_cannot_be_used_are_refused_with_a_message(class_code, name, message):
    at = join(home(), class_code, name)
    assert seat_of(at) is None and message in refusal(at)


def test_a_ten_thousand_character_name_is_cut_by_the_field_and_refused_by_the_store(class_code):
    at = join(home(), class_code, "x" * 10_000)
    assert seat_of(at).name == "x" * 40, "the name field keeps at most 40 characters"
    with pytest.raises(classroom.NameRefused, match="at most 40 characters; this one has 10,000"):
        store_at(classroom.database_url()).join(class_code, "y" * 10_000)


def test_answers_wait_in_the_tab_while_the_database_is_away_and_land_once_it_is_back(class_code, monkeypatch):
    at = join(home(), class_code, "Ada")
    seat = seat_of(at)
    at.switch_page("pages/convolution.py").run()
    reachable = classroom.class_store
    monkeypatch.setattr(classroom, "class_store", lambda: None)  # the database goes away
    answer_exercise(at, WHICH_KERNEL, "Sharpen")
    answer_exercise(at, WHICH_KERNEL, RIGHT)
    assert exercise_record(at, WHICH_KERNEL).correct, "the student's feedback does not wait for the database"
    assert at.session_state[classroom.OUTBOX_KEY].waiting() == 2
    assert any("kept in this browser tab" in w.value for w in at.sidebar.warning)
    store = store_at(classroom.database_url())
    assert store.attempts_of(seat) == []

    monkeypatch.setattr(classroom, "class_store", reachable)  # back: the next answer writes everything waiting
    show_hint(at, "convolution.horizontal_edges")
    assert at.session_state[classroom.OUTBOX_KEY].waiting() == 0
    assert [a.answer for a in store.attempts_of(seat)] == ["Sharpen", RIGHT], "each attempt stored exactly once"
    assert store.records_of(seat)[WHICH_KERNEL].correct
    assert store.records_of(seat)["convolution.horizontal_edges"].hints == 1


def test_a_page_run_writes_what_waits_once_the_database_answers_again(class_code, monkeypatch):
    at = join(home(), class_code, "Ada")
    seat = seat_of(at)
    reachable = classroom.class_store
    monkeypatch.setattr(classroom, "class_store", lambda: None)
    waiting = classroom.Write("convolution", WHICH_KERNEL, Record().after(RIGHT, True))
    at.session_state[classroom.OUTBOX_KEY].add(waiting)
    at.run()
    assert any("kept in this browser tab" in w.value for w in at.sidebar.warning)
    monkeypatch.setattr(classroom, "class_store", reachable)
    at.run()  # too soon after the failure: the page does not wait for a retry on every run
    assert at.session_state[classroom.OUTBOX_KEY].waiting() == 1
    monkeypatch.setattr(classroom, "RETRY_AFTER_S", 0.0)
    at.run()
    no_exception(at)
    assert at.session_state[classroom.OUTBOX_KEY].waiting() == 0
    assert not any("kept in this browser tab" in w.value for w in at.sidebar.warning)
    assert store_at(classroom.database_url()).records_of(seat)[WHICH_KERNEL].correct


def test_leaving_the_class_keeps_the_tabs_answers_and_withdraws_the_seat(class_code):
    at = join(home(), class_code, "Ada")
    at.button(key="class_leave").click().run()
    no_exception(at)
    assert seat_of(at) is None
    assert at.session_state[classroom._COOKIE_KEY] == ""


def test_plain_escapes_markdown_and_html_and_isolates_the_name():
    shown = classroom.plain("<b>*x*</b> [a](b)")
    assert shown.startswith("\u2068") and shown.endswith("\u2069")
    assert "<b>" not in shown and "\\*x\\*" in shown and "\\[a\\]\\(b\\)" in shown


def test_a_reset_class_lets_the_student_go_with_their_answers_kept_in_the_tab(class_code):
    at = join(home(), class_code, "Ada")
    at.switch_page("pages/convolution.py").run()
    store_at(classroom.database_url()).reset_class(class_code)
    answer_exercise(at, WHICH_KERNEL, RIGHT)
    assert exercise_record(at, WHICH_KERNEL).correct, "the answer stays in the tab"
    assert seat_of(at) is None and at.session_state[classroom.OUTBOX_KEY].waiting() == 0
    assert any("reset this class" in w.value for w in at.sidebar.warning)
