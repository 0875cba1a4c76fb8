"""The course the app runs (built in, or an instructor's TOML file), the student's progress panel and lesson summaries.

`ZERO_TO_BRAINS_COURSE` (a path), else `course = "…"` in `.streamlit/secrets.toml`, selects a course file. A file that
cannot be read or used is named in a message (with its line) and the built-in course runs instead. Loads no torch:
the router and the home page use it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import streamlit as st

from lessons.core import answers as answer_files
from lessons.core.answers import Answers, ProgressFileError, Record
from lessons.core.course import Course, CourseError, built_in_course, parse_course
from lessons.core.exercises import SUMMARY
from lessons.exercises import built_in
from ui.navigation import LESSONS, Lesson
from ui.server_settings import server_setting

COURSE_ENV = "ZERO_TO_BRAINS_COURSE"
COURSE_SECRET = "course"
#: Session key of the student's answers (not a page setting: never in a link).
ANSWERS_KEY = "course_answers"
#: The sidebar's progress box (its CSS class is st-key-course_progress_panel).
PROGRESS_PANEL_KEY = "course_progress_panel"
_UPLOADED_KEY = "course_progress_loaded"  # the upload already merged (an uploader keeps its file across reruns)
_LOADED_NOTE_KEY = "course_progress_note"  # what the last merge said, shown once after its rerun


def course_path() -> str | None:
    """Where the selected course file is, if one is selected (environment first, then secrets)."""
    return _selected_course()[0]


def _selected_course() -> tuple[str | None, str | None]:
    """The selected course file's path, and why the secrets file could not say (when it exists but cannot be read)."""
    found = server_setting(COURSE_ENV, COURSE_SECRET)
    if found.problem:
        return None, f"{found.problem}, so a course named there is not used; the built-in course is shown."
    return found.value or None, None


def active_course() -> Course:
    """The course this app runs now (the built-in one when no file is selected or the file cannot be used)."""
    course, _ = course_and_problem(course_path())
    return course


def course_problem() -> str | None:
    """Why the selected course file is not used (None when it is, or when none is selected)."""
    path, secrets_problem = _selected_course()
    return secrets_problem or course_and_problem(path)[1]


def course_and_problem(path: str | None) -> tuple[Course, str | None]:
    """The course from `path` (or the built-in one, with the reason, when it cannot be used)."""
    if not path:
        return _built_in(), None
    try:
        stamp = Path(path).stat().st_mtime_ns
    except OSError:
        return _built_in(), f"The course file {path} cannot be found; the built-in course is shown."
    return _from_file(path, stamp)


@lru_cache(maxsize=8)
def _from_file(path: str, stamp: int) -> tuple[Course, str | None]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return _built_in(), f"The course file {path} cannot be read ({error}); the built-in course is shown."
    try:
        return parse_course(text, built_in(), source=Path(path).name), None
    except CourseError as error:
        return _built_in(), f"{error} The built-in course is shown until the file is fixed."


@lru_cache(maxsize=1)
def _built_in() -> Course:
    return built_in_course(built_in(), tuple(lesson.url_path for lesson in LESSONS))


def course_lessons() -> list[Lesson]:
    """The lessons of the active course, in its order."""
    by_page = {lesson.url_path: lesson for lesson in LESSONS}
    return [by_page[page] for page in active_course().pages if page in by_page]


def answers() -> Answers:
    """The student's records in this browser session (exercise id → record)."""
    return st.session_state.setdefault(ANSWERS_KEY, {})


def lesson_done(page: str) -> tuple[int, int]:
    """How many of a lesson's exercises the student has done, and how many it has."""
    exercises = active_course().exercises(page)
    mine = answers()
    return sum(mine.get(e.id, Record()).done for e in exercises), len(exercises)


def lesson_minutes(page: str) -> int | None:
    """The lesson's time estimate in minutes (None when the course does not list it)."""
    lesson = active_course().lesson(page)
    return lesson.minutes if lesson else None


def course_size() -> str:
    """One line on the whole course: its lessons, time and exercises (a course file's title when one is used)."""
    course = active_course()
    minutes = sum(lesson.minutes for lesson in course.lessons)
    hours, rest = divmod(minutes, 60)
    time = f"{hours} h {rest:02d} min" if hours else f"{rest} min"
    named = f"**{course.title}**: " if course.source != "built-in" else "The whole course: "
    lessons = f"{len(course.lessons)} lesson" + ("s" if len(course.lessons) != 1 else "")
    return (f"{named}{lessons}, about {time} of work and {len(course.all_exercises)} exercises "
            "checked by the app as you go.")


def progress_panel() -> None:
    """The sidebar's progress box: exercises done, and a progress file to download or to continue from."""
    course = active_course()
    mine = answers()
    total = len(course.all_exercises)
    done = sum(mine.get(e.id, Record()).done for e in course.all_exercises)
    with st.sidebar.container(key=PROGRESS_PANEL_KEY), st.expander(f"Your progress: {done} of {total} exercises",
                                                                   icon=":material/task_alt:"):
        problem = course_problem()
        if problem:
            st.error(problem)
        elif course.source != "built-in":
            st.caption(f"Course: **{course.title}** ({course.source})")
        st.progress(done / total if total else 0.0)
        from ui.classroom import seat_for_file  # the class box imports this module

        seat = seat_for_file()
        st.caption("Your answers are saved in the class database, and your resume code is in your progress file."
                   if seat else "Answers are kept while this tab is open. Download them to continue later or "
                   "elsewhere; nothing is stored on the server.")
        st.download_button("Download my progress", answer_files.to_file(mine, course.title, seat),
                           file_name="zero-to-brains-progress.json", mime="application/json",
                           icon=":material/download:", on_click="ignore", key="course_progress_download")
        upload = st.file_uploader("Continue from a progress file", type=["json"], key="course_progress_upload")
        note = st.session_state.pop(_LOADED_NOTE_KEY, None)
        if note:
            st.success(note)
        if upload is not None:
            _merge_upload(upload)


def _merge_upload(upload) -> None:
    if st.session_state.get(_UPLOADED_KEY) == upload.file_id:
        st.caption(f"Loaded from {upload.name}.")
        return
    loaded, message = merge_progress_file(upload.getvalue(), upload.name)
    if not loaded:
        st.error(message)
        return
    from ui.classroom import rejoin_from_file

    st.session_state[_UPLOADED_KEY] = upload.file_id
    st.session_state[_LOADED_NOTE_KEY] = " ".join(filter(None, [message, rejoin_from_file(upload.getvalue())]))
    st.rerun()  # every exercise on the page shows the loaded records


def merge_progress_file(data: bytes, name: str) -> tuple[bool, str]:
    """Merge a progress file into this session's answers; (loaded, what to tell the student). Nothing is lost:
    a bad file changes nothing, and a good one only adds to what the student did in this tab."""
    try:
        theirs = answer_files.from_file(data)
    except ProgressFileError as error:
        return False, f"{name} was not loaded: {error} Your answers in this tab are unchanged."
    known = {e.id for e in active_course().all_exercises}
    kept = {k: v for k, v in theirs.items() if k in known}
    st.session_state[ANSWERS_KEY] = answer_files.merged(answers(), kept)
    skipped = len(theirs) - len(kept)
    return True, (f"Loaded {len(kept)} exercise records from {name}"
                  + (f" ({skipped} belong to exercises this course does not have; they were left out)." if skipped
                     else "."))


def lesson_summary(page: str) -> None:
    """The end of a lesson: its takeaways, the course's questions for the summary, and the lesson's progress."""
    lesson = active_course().lesson(page)
    if lesson is None:
        return
    from ui.exercises import exercises_at  # the component imports this module

    st.divider()
    st.subheader("Summary")
    st.markdown("\n".join(f"- {line}" for line in lesson.takeaways))
    exercises_at(page, SUMMARY)
    done, total = lesson_done(page)
    if total:
        st.caption(f"Exercises in this lesson: {done} of {total} done.")
