"""The instructor's class dashboard: open a class, watch it live, export it, reset it — behind a passcode.

The passcode comes from `ZERO_TO_BRAINS_INSTRUCTOR_PASSCODE` or `instructor_passcode` in `.streamlit/secrets.toml`;
without one the dashboard is off (it is not even in the navigation). It is typed into a password field (never a
link), compared in constant time, and every wrong try makes the next one wait longer, in this tab and on the server.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time

import streamlit as st

from lessons.core.store.classes import ClassStore, StoreDown, now
from lessons.core.store.codes import NameRefused
from lessons.core.store.report import (
    ExerciseInfo,
    active_now,
    all_hints,
    class_csv,
    exercise_rows,
    lesson_rows,
)
from ui.classroom import class_store, plain
from ui.course import active_course
from ui.navigation import LESSONS
from ui.server_settings import server_setting

#: The dashboard's page script (a file, so that a bookmarked link works on a freshly started server too).
DASHBOARD_PAGE = "pages/class_dashboard.py"
PASSCODE_ENV = "ZERO_TO_BRAINS_INSTRUCTOR_PASSCODE"
PASSCODE_SECRET = "instructor_passcode"
UNLOCKED_KEY = "instructor_unlocked"
CLASS_KEY = "instructor_class"
_FAILED_KEY = "instructor_failed"
#: How often the dashboard reads the class again.
REFRESH_S = 5
_server_failures = {"count": 0}  # wrong passcodes on this server since it started (every tab waits for them)
_failures_lock = threading.Lock()


def instructor_passcode() -> str:
    """The instructor passcode from the environment or secrets ("" when none is set: the dashboard is off)."""
    return server_setting(PASSCODE_ENV, PASSCODE_SECRET).value


def instructor_configured() -> bool:
    """Whether an instructor passcode is set (without one the class dashboard is off)."""
    return bool(instructor_passcode())


def passcode_matches(typed: str, passcode: str) -> bool:
    """Whether `typed` is the passcode (compared in constant time, whatever the lengths)."""
    digest = hashlib.sha256
    return bool(passcode) and hmac.compare_digest(digest(typed.encode()).digest(), digest(passcode.encode()).digest())


def failure_delay(failures: int) -> float:
    """Seconds to wait before judging a passcode after `failures` wrong ones (doubling, at most 8 s)."""
    return 0.0 if failures <= 0 else min(0.5 * 2 ** (failures - 1), 8.0)


def pause(seconds: float) -> None:
    """Wait before judging a passcode (the tests record it instead)."""
    time.sleep(seconds)


def instructor_page() -> None:
    """The class dashboard page: the passcode first, then classes, the live view, export and reset."""
    st.title("Class dashboard")
    passcode = instructor_passcode()
    if not passcode:
        st.info(f"The class dashboard is off: set `{PASSCODE_ENV}` or `{PASSCODE_SECRET}` in "
                "`.streamlit/secrets.toml` to turn it on (see the README).", icon=":material/lock:")
        return
    if not st.session_state.get(UNLOCKED_KEY):
        _unlock(passcode)
        return
    store = class_store()
    if store is None:
        st.error("The class database does not answer. Students' answers are kept in their tabs until it is back.",
                 icon=":material/cloud_off:")
        return
    head, lock = st.columns([5, 1])
    with lock:
        if st.button("Lock", icon=":material/lock:", key="instructor_lock"):
            st.session_state.pop(UNLOCKED_KEY, None)
            st.rerun()
    with head:
        code = _pick_class(store)
    if code:
        live_view(store, code)
        _export_and_reset(store, code)


def _unlock(passcode: str) -> None:
    st.caption("Teaching a class with this app? Unlock the dashboard with the instructor passcode.")
    with st.form("instructor_unlock"):
        typed = st.text_input("Instructor passcode", type="password", key="instructor_passcode_typed")
        submitted = st.form_submit_button("Unlock", icon=":material/lock_open:")
    if not submitted:
        return
    failures = max(st.session_state.get(_FAILED_KEY, 0), _server_failures["count"])
    pause(failure_delay(failures))
    if passcode_matches(typed, passcode):
        st.session_state[UNLOCKED_KEY] = True
        st.session_state[_FAILED_KEY] = 0
        st.rerun()
    st.session_state[_FAILED_KEY] = st.session_state.get(_FAILED_KEY, 0) + 1
    with _failures_lock:
        _server_failures["count"] = min(_server_failures["count"] + 1, 10)
    st.error("That is not the instructor passcode.", icon=":material/error:")


def _pick_class(store: ClassStore) -> str | None:
    try:
        known = store.class_list()
    except StoreDown:
        st.error("The class database does not answer.")
        return None
    with st.expander("Open a new class", icon=":material/add:", expanded=not known):
        with st.form("instructor_new_class", border=False):
            title = st.text_input("Class name", max_chars=80, placeholder="Summer school 2026, group A",
                                  key="instructor_new_title")
            if st.form_submit_button("Open the class", icon=":material/add:"):
                code = store.create_class(title or "Class")
                st.session_state[CLASS_KEY] = code
                st.rerun()
    if not known:
        return None
    codes = [c.code for c in known]
    by_code = {c.code: c for c in known}
    chosen = st.session_state.get(CLASS_KEY)
    index = codes.index(chosen) if chosen in codes else 0
    code = st.selectbox("Class", codes, index=index, key="instructor_class_pick",
                        format_func=lambda c: f"{by_code[c].title} — {c}")
    st.session_state[CLASS_KEY] = code
    st.markdown(f"Students join with the class code <span class='class-code'>{code}</span>",
                unsafe_allow_html=True)
    st.html("<style>.class-code{white-space:nowrap;font-size:2.2rem;font-weight:700;letter-spacing:0.12em;font-family:monospace;"
            "padding:0 0.4rem;background:#f1f3f5;border-radius:0.3rem}</style>")
    return code


def course_exercises() -> list[ExerciseInfo]:
    """The active course's exercises, as the dashboard lists them."""
    course = active_course()
    found = []
    for page in course.pages:
        for exercise in course.exercises(page):
            prompt = exercise.prompt if isinstance(exercise.prompt, str) else exercise.id
            title = " ".join(prompt.replace("*", "").split())
            found.append(ExerciseInfo(exercise.id, page, title[:70] + ("…" if len(title) > 70 else ""),
                                      len(exercise.hints)))
    return found


@st.fragment(run_every=REFRESH_S)
def live_view(store: ClassStore, code: str) -> None:
    """The live part of the dashboard (reads the class again every few seconds)."""
    try:
        data = store.class_data(code)
    except (StoreDown, NameRefused) as error:
        st.error(f"The class cannot be read now: {error}")
        return
    exercises = course_exercises()
    active = active_now(data, now())
    attempts = len(data.attempts)
    students, now_active, answered = st.columns(3)
    students.metric("Students", len(data.students))
    now_active.metric("Active in the last 5 min", len(active))
    answered.metric("Answers checked", attempts)
    if not data.students:
        st.info("No student has joined yet. Give the class code above to the room.", icon=":material/groups:")
        return
    titles = {lesson.url_path: lesson.sidebar_title for lesson in LESSONS}
    st.subheader("Lessons")
    lessons = [{**row, "lesson": titles.get(row["lesson"], row["lesson"])} for row in lesson_rows(data, exercises)]
    st.dataframe(lessons, hide_index=True, width="stretch", column_config={
        "done": st.column_config.ProgressColumn("share of exercises done", format="percent", min_value=0,
                                                max_value=1)})
    st.subheader("Exercises")
    st.caption("Where the class is stuck: a low share right at the first try, repeated wrong answers, and students "
               "who needed every hint.")
    answered = [{**row, "lesson": titles.get(row["lesson"], row["lesson"])}
                for row in exercise_rows(data, exercises) if row["answered"]]
    if answered:
        st.dataframe(answered, hide_index=True, width="stretch", column_config={
            "right at first try": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)})
    st.caption(f"{len(answered)} of {len(exercises)} exercises answered so far"
               + ("." if answered else "; each appears here once a student has checked an answer."))
    needy = {e.id: all_hints(data, e) for e in exercises}
    needy = {k: v for k, v in needy.items() if v}
    if needy:
        with st.expander(f"Students who asked for every hint ({sum(len(v) for v in needy.values())})"):
            for exercise_id, students_ in needy.items():
                st.markdown(f"- `{exercise_id}`: " + ", ".join(plain(s.name) for s in students_))
    st.caption(f"Read at {now():%H:%M:%S} UTC; refreshes every {REFRESH_S} s.")


def _export_and_reset(store: ClassStore, code: str) -> None:
    try:
        data = store.class_data(code)
    except (StoreDown, NameRefused):
        return
    st.download_button("Download the class table (CSV)", class_csv(data, course_exercises()),
                       file_name=f"class-{code}.csv", mime="text/csv", icon=":material/download:",
                       on_click="ignore", key="instructor_export")
    with st.expander("Reset this class", icon=":material/restart_alt:"):
        st.warning("Resetting removes every student of this class and all their answers. The class code stays. "
                   "This cannot be undone; download the table first if you need it.")
        typed = st.text_input(f"Type the class code {code} to confirm", key="instructor_reset_confirm")
        if st.button("Remove every student and answer", key="instructor_reset", type="primary",
                     disabled=typed.strip().upper() != code):
            removed = store.reset_class(code)
            st.session_state.pop("instructor_reset_confirm", None)
            st.success(f"Removed {removed} students and their answers from {plain(data.info.title)}.")
