"""A student in a class: joining with a class code, resuming with a resume code, and progress kept in the class
database (SQLite by default, PostgreSQL when a URL is set).

Without a class the app works as before: answers live in the session and the progress file. In a class, every
exercise event is written to the database before its feedback is shown; if the database is away, the writes wait
in the session (`Outbox`) with a visible notice and are written when it answers again. A browser keeps its seat
across reloads with a random token in a cookie (never in a link); a name alone never opens anyone's progress.
"""

from __future__ import annotations

import html
import time
import uuid

import streamlit as st

from lessons.core.answers import ClassSeat, Record, seat_in_file
from lessons.core.store.classes import Attempt, ClassStore, Seat, SeatGone, StoreDown, Write, now
from lessons.core.store.codes import MAX_NAME_CHARS, NameRefused
from lessons.core.store.location import DATABASE_ENV, default_url, store_at
from lessons.core.store.outbox import Outbox
from ui.course import ANSWERS_KEY, active_course, answers
from ui.server_settings import server_setting

DATABASE_SECRET = "database_url"
SEAT_KEY = "class_seat"  # the session's Seat (never a page setting, never in a link)
OUTBOX_KEY = "class_outbox"
RESUME_KEY = "class_resume_code"  # the student's resume code, kept to show once and to put in the progress file
_SHOWN_KEY = "class_resume_shown"
_TOKEN_KEY = "class_seat_token"
_REFUSALS_KEY = "class_refusals"
_GONE_KEY = "class_seat_gone"  # why the seat was given up (shown once)
_COOKIE_KEY = "class_cookie_value"  # what the browser's seat cookie must say (set on every run until the tab closes)
COOKIE = "zero_to_brains_seat"
PANEL_KEY = "class_panel"  # the sidebar box (its CSS class is st-key-class_panel)
#: How long the app waits after the database failed before it tries again on a mere page run.
RETRY_AFTER_S = 10.0
DOWN_NOTICE = ("The class database does not answer: your progress is being kept in this browser tab until the "
               "database is back. Keep this tab open; nothing is lost.")


def database_url() -> str:
    """The class database: `ZERO_TO_BRAINS_DATABASE_URL`, else `database_url` in secrets, else SQLite in the cache."""
    return server_setting(DATABASE_ENV, DATABASE_SECRET).value or default_url()


def class_store() -> ClassStore | None:
    """The class database of this server (None while it cannot be reached)."""
    try:
        return store_at(database_url())
    except StoreDown:
        return None


def seat() -> Seat | None:
    """The class seat of this session (None for a self-paced student)."""
    return st.session_state.get(SEAT_KEY)


def outbox() -> Outbox:
    """This session's writes waiting for the database."""
    return st.session_state.setdefault(OUTBOX_KEY, Outbox())


def lesson_of(exercise_id: str) -> str:
    """The page an exercise belongs to in the active course ("" when no lesson lists it)."""
    course = active_course()
    for page in course.pages:
        if any(e.id == exercise_id for e in course.exercises(page)):
            return page
    return ""


def kept(exercise_id: str, record: Record, checked: bool) -> None:
    """Write one exercise event to the class database (queued first; kept in the session while it is away)."""
    mine = seat()
    if mine is None:
        return
    lesson = lesson_of(exercise_id)
    attempt = (Attempt(str(uuid.uuid4()), lesson, exercise_id, record.answer, record.correct, record.hints, now())
               if checked else None)
    queue = outbox()
    queue.add(Write(lesson, exercise_id, record, attempt))
    _flush(queue, mine, tries=3)


def _flush(queue: Outbox, mine: Seat, tries: int) -> None:
    """Write what waits; a seat that no longer exists (the class was reset) is given up, the tab's answers kept."""
    try:
        queue.flush(class_store(), mine, tries=tries)
    except SeatGone as gone:
        queue.pending.clear()
        _forget_seat()
        st.session_state[_GONE_KEY] = str(gone)


def seat_for_file() -> ClassSeat | None:
    """What the student's progress file carries to bring them back to their class (None outside a class)."""
    mine, resume = seat(), st.session_state.get(RESUME_KEY)
    return ClassSeat(mine.class_code, mine.name, resume) if mine and resume else None


def rejoin_from_file(data: bytes) -> str:
    """Take the seat a progress file carries, when this tab is in no class; what to tell the student ("" if none)."""
    carried = seat_in_file(data)
    if carried is None or seat() is not None:
        return ""
    store = class_store()
    if store is None:
        return "The class database does not answer, so you are not back in your class yet; upload the file again later."
    try:
        mine = store.rejoin(carried.class_code, carried.name, carried.resume_code)
    except (NameRefused, StoreDown) as refusal:
        return f"The class in this file could not be joined: {refusal}"
    st.session_state[RESUME_KEY] = carried.resume_code
    st.session_state[_SHOWN_KEY] = True
    st.session_state[SEAT_KEY] = mine
    _load_records(store, mine, write_back=True)
    token = _open_seat(store, mine)
    if token:
        st.session_state[_TOKEN_KEY] = st.session_state[_COOKIE_KEY] = token
    return f"You are back in class {plain(mine.class_title)} as {plain(mine.name)}."


def _open_seat(store: ClassStore, mine: Seat) -> str | None:
    try:
        return store.open_seat(mine)
    except StoreDown:
        return None


def plain(text: str) -> str:
    """A name as safe markdown text: HTML and markdown characters escaped, kept apart from right-to-left text."""
    escaped = html.escape(text)
    for mark in "\\`*_{}[]()#+-.!|<>~$":
        escaped = escaped.replace(mark, "\\" + mark)
    return f"\u2068{escaped}\u2069"  # first-strong isolate: a right-to-left name does not reorder the sentence


def class_panel() -> None:
    """The sidebar's class box: join or rejoin a class, or (in one) who you are, your resume code, and leaving."""
    _restore_from_cookie()
    mine = seat()
    queue = outbox()
    if mine is not None and queue.waiting() and time.monotonic() - queue.last_failure > RETRY_AFTER_S:
        _flush(queue, mine, tries=1)
        mine = seat()
    label = f"Class: {mine.class_title}" if mine else "Join a class"
    fresh = bool(mine and st.session_state.get(RESUME_KEY) and not st.session_state.get(_SHOWN_KEY))
    with st.sidebar.container(key=PANEL_KEY), st.expander(label, icon=":material/groups:", expanded=fresh):
        if mine is None:
            _join_forms()
        else:
            _in_class(mine)
    if mine is not None and queue.waiting():
        st.sidebar.warning(f"{DOWN_NOTICE} ({queue.waiting()} waiting)", icon=":material/cloud_off:")
    gone = st.session_state.pop(_GONE_KEY, None)
    if gone:
        st.sidebar.warning(gone, icon=":material/group_off:")
    _write_cookie()


def _in_class(mine: Seat) -> None:
    st.markdown(f"You are **{plain(mine.name)}** in class **{plain(mine.class_title)}** ({mine.class_code}). "
                "Your answers are saved in the class database as you go.")
    resume = st.session_state.get(RESUME_KEY)
    if resume and not st.session_state.get(_SHOWN_KEY):
        st.success(f"Your resume code: **{resume}**. Write it down: with the class code and your name it brings "
                   "your progress back on another day or device. It is shown only now (and kept in your progress "
                   "file).", icon=":material/key:")
        if st.button("I have written it down", key="class_resume_ok"):
            st.session_state[_SHOWN_KEY] = True
            st.rerun()
    if st.button("Leave this class on this browser", key="class_leave", icon=":material/logout:"):
        _leave()


def _join_forms() -> None:
    st.caption("In a class? Join with the code your instructor gives you. Without one, everything works the same "
               "and your answers stay in this tab (and your progress file).")
    join, back = st.tabs(["Join", "Continue"])
    with join, st.form("class_join", border=False):
        code = st.text_input("Class code", max_chars=12, key="class_join_code", placeholder="K7QM-3XPA")
        name = st.text_input("Your name", max_chars=MAX_NAME_CHARS, key="class_join_name",
                             help="Shown to your instructor; no e-mail, no account.")
        if st.form_submit_button("Join the class", icon=":material/login:"):
            _join(code, name)
    with back, st.form("class_rejoin", border=False):
        code = st.text_input("Class code", max_chars=12, key="class_rejoin_code")
        name = st.text_input("Your name", max_chars=MAX_NAME_CHARS, key="class_rejoin_name")
        resume = st.text_input("Your resume code", max_chars=20, key="class_rejoin_resume", type="password")
        if st.form_submit_button("Continue my progress", icon=":material/history:"):
            _rejoin(code, name, resume)
    said = st.session_state.get("class_join_said")
    if said:
        st.error(said, icon=":material/error:")


def _throttle() -> None:
    """Wait longer after each refused try (codes and names cannot be guessed quickly)."""
    refusals = st.session_state.get(_REFUSALS_KEY, 0)
    if refusals:
        time.sleep(min(0.25 * 2 ** (refusals - 1), 4.0))


def _refused(message: str) -> None:
    st.session_state[_REFUSALS_KEY] = st.session_state.get(_REFUSALS_KEY, 0) + 1
    st.session_state["class_join_said"] = message
    st.rerun()


def _join(code: str, name: str) -> None:
    _throttle()
    store = class_store()
    if store is None:
        _refused("The class database does not answer right now; try again in a minute. Your answers are safe here.")
    try:
        mine, resume = store.join(code, name)
    except NameRefused as refusal:
        _refused(str(refusal))
    except StoreDown:
        _refused("The class database does not answer right now; try again in a minute. Your answers are safe here.")
    st.session_state[RESUME_KEY] = resume
    _seated(store, mine)


def _rejoin(code: str, name: str, resume: str) -> None:
    _throttle()
    store = class_store()
    if store is None:
        _refused("The class database does not answer right now; try again in a minute. Your answers are safe here.")
    try:
        mine = store.rejoin(code, name, resume)
    except NameRefused as refusal:
        _refused(str(refusal))
    except StoreDown:
        _refused("The class database does not answer right now; try again in a minute. Your answers are safe here.")
    st.session_state[RESUME_KEY] = resume.strip().upper()
    st.session_state[_SHOWN_KEY] = True
    _seated(store, mine)


def _seated(store: ClassStore, mine: Seat) -> None:
    """Take the seat: what this tab did before joining is kept and written; what the database holds comes back."""
    st.session_state.pop("class_join_said", None)
    st.session_state[_REFUSALS_KEY] = 0
    st.session_state[SEAT_KEY] = mine
    _load_records(store, mine, write_back=True)
    token = _open_seat(store, mine)
    if token:
        st.session_state[_TOKEN_KEY] = st.session_state[_COOKIE_KEY] = token
    st.rerun()


def _load_records(store: ClassStore, mine: Seat, write_back: bool) -> None:
    from lessons.core.answers import merged

    try:
        stored = store.records_of(mine)
    except StoreDown:
        stored = {}
    here = answers()
    if write_back:
        for exercise_id, record in here.items():
            if stored.get(exercise_id) != record:
                outbox().add(Write(lesson_of(exercise_id), exercise_id, record))
        _flush(outbox(), mine, tries=3)
    st.session_state[ANSWERS_KEY] = merged(here, stored)


def _restore_from_cookie() -> None:
    """A reload starts a new session: the browser's seat token brings the student back to their seat."""
    if seat() is not None or st.session_state.get("class_cookie_checked"):
        return
    st.session_state["class_cookie_checked"] = True
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # no browser behind this run (a script run, a test)
        token = None
    if not isinstance(token, str) or not token:
        return
    store = class_store()
    if store is None:
        return
    try:
        mine = store.seat_of_token(token)
    except StoreDown:
        return
    if mine is None:
        return
    st.session_state[SEAT_KEY] = mine
    st.session_state[_TOKEN_KEY] = token
    st.session_state[_SHOWN_KEY] = True
    _load_records(store, mine, write_back=False)


def _leave() -> None:
    token = st.session_state.pop(_TOKEN_KEY, None)
    store = class_store()
    if token and store is not None:
        try:
            store.close_seat(token)
        except StoreDown:
            pass
    _forget_seat()
    st.rerun()


def _forget_seat() -> None:
    """This tab leaves its seat (its answers stay in the tab); the browser's cookie is withdrawn."""
    st.session_state[_COOKIE_KEY] = ""
    for key in (SEAT_KEY, RESUME_KEY, _SHOWN_KEY, _TOKEN_KEY):
        st.session_state.pop(key, None)


def _write_cookie() -> None:
    """Give the browser its seat token (or withdraw it), once the run that took or left the seat has ended."""
    value = st.session_state.get(_COOKIE_KEY)
    if value is None:
        return
    # the token is URL-safe base64 (or empty, to withdraw it); the cookie is for this app's pages only
    safe = "".join(ch for ch in value if ch.isalnum() or ch in "-_")
    age = 60 * 60 * 24 * 30 if safe else 0
    st.sidebar.html(f"<script>document.cookie = '{COOKIE}={safe}; path=/; max-age={age}; SameSite=Strict'"
                    " + (location.protocol === 'https:' ? '; Secure' : '');</script>", unsafe_allow_javascript=True)
