"""The course in the app: a course file reorders and trims the lessons, a broken one is named and the built-in course
runs instead; the progress panel saves and loads answers without losing any; each lesson ends with its summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lessons.core import answers as answer_files
from lessons.core.answers import Record
from lessons.exercises import built_in
from tests.pages.apptest import APP, no_exception
from ui.course import COURSE_ENV, course_and_problem
from ui.navigation import LESSONS

FIRST = LESSONS[0].url_path
SECOND = LESSONS[1].url_path


def _first_exercise(page: str) -> str:
    return built_in()[page].exercises[0].id


def home_with(monkeypatch: pytest.MonkeyPatch, course: Path | None) -> AppTest:
    if course is None:
        monkeypatch.delenv(COURSE_ENV, raising=False)
    else:
        monkeypatch.setenv(COURSE_ENV, str(course))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    no_exception(at)
    return at


def page_links(at: AppTest) -> list[str]:
    """The course map's lesson links, in order."""
    return [link.proto.page for link in at.get("page_link")]


def test_a_course_file_sets_the_lessons_and_their_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    course = tmp_path / "course.toml"
    course.write_text(f'title = "Day 1"\n[[lesson]]\npage = "{SECOND}"\n[[lesson]]\npage = "{FIRST}"\n'
                      f'exercises = []\n')
    at = home_with(monkeypatch, course)
    assert not at.error
    links = page_links(at)
    assert len(links) == 2 and SECOND in links[0] and FIRST in links[1]
    built_in_links = page_links(home_with(monkeypatch, None))
    assert len(built_in_links) == len(LESSONS) and FIRST in built_in_links[0]  # the opposite case


def test_a_broken_course_file_is_named_with_its_line_and_the_built_in_course_runs(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    course = tmp_path / "course.toml"
    course.write_text('title = "Day 1"\n[[lesson]]\npage = "no_such_lesson"\n')
    at = home_with(monkeypatch, course)
    assert at.error and "course.toml, line 3" in at.error[0].value and "built-in course" in at.error[0].value
    assert len(page_links(at)) == len(LESSONS)
    monkeypatch.setenv(COURSE_ENV, str(tmp_path / "missing.toml"))
    assert "cannot be found" in course_and_problem(str(tmp_path / "missing.toml"))[1]


def test_the_home_page_gives_each_lesson_its_time_and_exercises(monkeypatch: pytest.MonkeyPatch) -> None:
    at = home_with(monkeypatch, None)
    texts = "\n".join(m.value for m in at.markdown)
    for lesson in LESSONS:
        declared = built_in()[lesson.url_path]
        assert f"about {declared.minutes} min · {len(declared.exercises)} exercises" in texts


def _panel_app() -> None:
    import streamlit as st

    from ui.course import merge_progress_file, progress_panel

    progress_panel()
    data = st.session_state.get("upload_me")
    if data is not None:
        st.session_state["merge_said"] = merge_progress_file(data, "progress.json")


def test_progress_downloads_and_loads_back_and_a_bad_file_loses_nothing() -> None:
    exercise_id = _first_exercise(FIRST)
    at = AppTest.from_function(_panel_app)
    at.session_state["course_answers"] = {exercise_id: Record(tries=1, correct=True, first_try=True, done=True)}
    at.run()
    no_exception(at)
    assert any(e.label.startswith("Your progress: 1 of ") for e in at.sidebar.expander)
    saved = at.get("download_button")[0]
    assert saved.proto.label == "Download my progress"

    fresh = AppTest.from_function(_panel_app)
    fresh.session_state["course_answers"] = {}
    fresh.session_state["upload_me"] = b"{broken"
    fresh.run()
    loaded, said = fresh.session_state["merge_said"]
    assert not loaded and "not valid JSON" in said and "unchanged" in said
    assert fresh.session_state["course_answers"] == {}

    good = answer_files.to_file({exercise_id: Record(tries=1, correct=True, first_try=True, done=True),
                                 "nowhere.x": Record(tries=1)})
    fresh.session_state["upload_me"] = good
    fresh.run()
    loaded, said = fresh.session_state["merge_said"]
    assert loaded and "Loaded 1 exercise records" in said and "1 belong to exercises this course does not have" in said
    assert fresh.session_state["course_answers"][exercise_id].correct


def _summary_app() -> None:
    from ui.course import lesson_summary
    from ui.navigation import LESSONS

    lesson_summary(LESSONS[0].url_path)


def test_a_lesson_ends_with_its_takeaways_and_how_much_is_done() -> None:
    declared = built_in()[FIRST]
    at = AppTest.from_function(_summary_app)
    at.run()
    no_exception(at)
    assert at.subheader[0].value == "Summary"
    assert all(line in at.markdown[0].value for line in declared.takeaways)
    assert f"0 of {len(declared.exercises)} done" in at.caption[-1].value
    at.session_state["course_answers"] = {declared.exercises[0].id: Record(tries=1, correct=True, done=True)}
    at.run()
    assert f"1 of {len(declared.exercises)} done" in at.caption[-1].value


def test_the_home_page_says_how_big_the_course_is(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    declared = built_in()
    minutes = sum(d.minutes for d in declared.values())
    exercises = sum(len(d.exercises) for d in declared.values())
    at = home_with(monkeypatch, None)
    line = at.caption[0].value
    assert line.startswith(f"The whole course: {len(LESSONS)} lessons, about {minutes // 60} h {minutes % 60:02d} min")
    assert f"and {exercises} exercises" in line
    course = tmp_path / "course.toml"
    course.write_text(f'title = "Day 1"\n[[lesson]]\npage = "{FIRST}"\nexercises = []\n')
    line = home_with(monkeypatch, course).caption[0].value
    assert line == f"**Day 1**: 1 lesson, about {declared[FIRST].minutes} min of work and 0 exercises checked by " \
                   "the app as you go."


def test_an_unreadable_secrets_file_is_named_and_a_missing_one_is_not(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    import streamlit as st
    from streamlit.errors import StreamlitSecretNotFoundError

    from ui import course, server_settings

    def unreadable(*_: object) -> None:
        raise StreamlitSecretNotFoundError("Error parsing secrets file: Invalid value (at line 1, column 10)")

    monkeypatch.delenv(COURSE_ENV, raising=False)
    monkeypatch.setattr(type(st.secrets), "get", unreadable)
    secrets = tmp_path / "secrets.toml"
    monkeypatch.setattr(server_settings, "SECRETS_FILES", (secrets,))
    assert course.course_problem() is None and course.course_path() is None  # no secrets file: nothing to say
    secrets.write_text("course = \n")
    said = course.course_problem()
    assert said and str(secrets) in said and "line 1, column 10" in said and "built-in course" in said
    assert course.active_course().source == "built-in"
