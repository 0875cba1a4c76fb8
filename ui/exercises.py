"""The one exercise component: renders any declared exercise, judges it on the page's facts, keeps the answers.

A page calls `exercises_at(LESSON.url_path, "section", facts)` where a section's exercises belong, passing the
numbers it computed and shows; the course decides which exercises appear there. A predict-then-run exercise hides
its section's result until the student commits: `exercises_at` returns False while any prediction there is open,
and the page shows the result only when it returns True. `notice(text)` is the "What to notice" box.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from lessons.core.answers import Record
from lessons.core.exercises import MAX_TRIES, SUMMARY, WAITING, Exercise, Facts, MissingFacts, judge
from ui import classroom
from ui.course import active_course, answers
from ui.presenter import presenting, record_part

_KIND_LABEL = {"choice": "Question", "predict": "Predict, then run", "numeric": "Question", "task": "Make it happen"}
_KIND_ICON = {"choice": ":material/quiz:", "predict": ":material/psychology_alt:", "numeric": ":material/calculate:",
              "task": ":material/build:"}


def record_of(exercise_id: str) -> Record:
    """The student's record on one exercise (empty before the first answer)."""
    return answers().get(exercise_id, Record())


def _keep(exercise_id: str, record: Record, checked: bool = False) -> None:
    """Keep a record in the session and, for a student in a class, in the class database (`checked`: the record
    changed by a checked answer, stored as an attempt too). Called before any feedback is shown."""
    answers()[exercise_id] = record
    classroom.kept(exercise_id, record, checked)


def notice(text: str) -> None:
    """The "What to notice" box: the section's key observation, computed by the page from what it shows."""
    st.info(f"**What to notice.** {text}", icon=":material/visibility:")


def exercises_at(page: str, section: str, facts: Facts | None = None) -> bool:
    """Render the course's exercises at one section of a page; False while a prediction there is still open."""
    revealed = True
    for exercise in active_course().exercises(page, section):
        revealed &= render_exercise(exercise, facts or {})
    return revealed


def render_exercise(exercise: Exercise, facts: Facts) -> bool:
    """One exercise in a bordered box: prompt, answer widget, feedback, hint ladder, explanation.

    Returns False only for a prediction not yet committed (its result stays hidden)."""
    if presenting():
        return _present(exercise, facts)
    record = record_of(exercise.id)
    with st.container(border=True, key=f"exercise_{widget_key(exercise.id)}"):
        done_mark = " · :green[done]" if record.done else ""
        st.markdown(f"{_KIND_ICON[exercise.kind]} **{_KIND_LABEL[exercise.kind]}**{done_mark}")
        st.markdown(exercise.ask(facts))
        if exercise.kind == "predict":
            revealed = _prediction(exercise, record, facts)
        else:
            _answer_widgets(exercise, record, facts)
            revealed = True
        _hints(exercise)
        _explanation(exercise, facts)
    return revealed


def revealed_key(exercise_id: str) -> str:
    """The session key that says the instructor revealed an exercise's answer to the room."""
    return f"ex_{widget_key(exercise_id)}_revealed"


def _present(exercise: Exercise, facts: Facts) -> bool:
    """Presenter mode: the prompt and the options, read-only (nothing is checked or recorded), and a button that
    reveals the right answer and the explanation to the room. A prediction's result stays hidden until then."""
    key = widget_key(exercise.id)
    revealed = bool(st.session_state.get(revealed_key(exercise.id)))
    if exercise.section != SUMMARY:
        record_part(f"exercise_{key}", exercise.id)
    with st.container(border=True, key=f"exercise_{key}"):
        st.markdown(f"{_KIND_ICON[exercise.kind]} **{_KIND_LABEL[exercise.kind]}**")
        st.markdown(exercise.ask(facts))
        if exercise.options:
            st.markdown("\n".join(f"- {label}" for label in exercise.labels))
        elif exercise.kind == "numeric" and exercise.unit:
            st.caption(f"Answer in {exercise.unit}.")
        if not revealed:
            st.button("Reveal the answer to the room", key=f"ex_{key}_reveal", icon=":material/visibility:",
                      on_click=_set_revealed, args=(exercise.id, True))
            if exercise.kind == "predict":
                st.caption("The result below stays hidden until the answer is revealed.")
            return exercise.kind != "predict"
        try:
            solution = exercise.solution(facts)
        except MissingFacts:
            st.info(exercise.waiting, icon=":material/hourglass_empty:")
            solution = ""
        if solution:
            st.success(f"**Answer.** {solution}", icon=":material/check_circle:")
        try:
            why = exercise.explain(facts)
        except (MissingFacts, KeyError, TypeError):
            why = ""
        if why and why != solution:
            st.markdown(f"**Why.** {why}")
        st.button("Hide the answer", key=f"ex_{key}_unreveal", type="tertiary", icon=":material/visibility_off:",
                  on_click=_set_revealed, args=(exercise.id, False))
    return True


def _set_revealed(exercise_id: str, shown: bool) -> None:
    st.session_state[revealed_key(exercise_id)] = shown


def widget_key(exercise_id: str) -> str:
    """The prefix of an exercise's widget keys (ids may hold dots, keys may not)."""
    return exercise_id.replace(".", "_").replace(":", "_")


def _answer_widgets(exercise: Exercise, record: Record, facts: Facts) -> None:
    key = widget_key(exercise.id)
    if exercise.kind == "choice":
        response = st.radio("Your answer", exercise.labels, index=None, key=f"ex_{key}_pick",
                            label_visibility="collapsed")
    elif exercise.kind == "numeric":
        response = st.number_input(f"Your answer{f' ({exercise.unit})' if exercise.unit else ''}", value=None,
                                   format="%.4g", key=f"ex_{key}_number")
    else:
        response = None
    label = "Check my page" if exercise.kind == "task" else "Check"
    if st.button(label, key=f"ex_{key}_check", icon=":material/check:"):
        if exercise.kind != "task" and response is None:
            st.session_state[f"ex_{key}_said"] = (False, "Answer first, then check.")
        else:
            _check(exercise, record, response, facts)
    said = st.session_state.get(f"ex_{key}_said")
    if said is not None:
        ok, text = said
        (st.success if ok else st.warning)(text, icon=":material/check_circle:" if ok else ":material/info:")
        if not ok and record_of(exercise.id).tries:
            st.caption(f"Tries: {record_of(exercise.id).tries}" + (
                "" if record_of(exercise.id).done else f" (the explanation opens after {MAX_TRIES})"))


def _check(exercise: Exercise, record: Record, response: object, facts: Facts) -> None:
    key = widget_key(exercise.id)
    try:
        verdict = judge(exercise, response, facts)
    except MissingFacts:
        st.session_state[f"ex_{key}_said"] = (False, exercise.waiting)
        return
    # the attempt is kept before its feedback is shown
    after = record.after("" if response is None else str(response), verdict.correct)
    _keep(exercise.id, after, checked=True)
    st.session_state[f"ex_{key}_said"] = (verdict.correct, verdict.feedback)
    if after.done and not record.done:
        st.rerun(scope="app")  # the progress counts (sidebar, summary) follow at once, also from inside a fragment


def _prediction(exercise: Exercise, record: Record, facts: Facts) -> bool:
    key = widget_key(exercise.id)
    if record.answer and not record.tries and exercise.ready(facts):  # committed earlier; judge now it ran
        verdict = judge(exercise, record.answer, facts)
        record = record.after(record.answer, verdict.correct, final=True)
        _keep(exercise.id, record, checked=True)
        # the verdict on what the page measured when it was judged (a later change of settings does not re-judge)
        st.session_state[f"ex_{key}_said"] = (verdict.correct, verdict.feedback)
    if record.answer:
        if record.tries:
            ok, text = st.session_state.get(f"ex_{key}_said") or (record.correct, (
                f"You predicted **{record.answer}**: " + ("that is what the page measured." if record.correct
                                                          else "the page measured something else.")))
            (st.success if ok else st.warning)(text)
        else:
            then = "Run the section to see what happens." if exercise.waiting == WAITING else exercise.waiting
            st.caption(f"You predicted **{record.answer}**. {then}")
        return True
    if record.skipped:
        st.caption("Skipped: the result is shown. Predict next time, it sticks better.")
        return True
    choice = st.radio("Your prediction", exercise.labels, index=None, key=f"ex_{key}_predict",
                      label_visibility="collapsed")
    commit, skip = st.columns([1, 1])
    if commit.button("Commit my prediction", key=f"ex_{key}_commit", icon=":material/lock:", disabled=choice is None,
                     type="primary"):
        _keep(exercise.id, record.committed(choice))
        st.rerun()
    if skip.button("Skip, just show me", key=f"ex_{key}_skip", type="tertiary"):
        _keep(exercise.id, replace(record, skipped=True))
        st.rerun()
    st.caption("The result below stays hidden until you commit a prediction.")
    return False


def _hints(exercise: Exercise) -> None:
    if not exercise.hints:
        return
    record = record_of(exercise.id)
    shown = min(record.hints, len(exercise.hints))
    for number, hint in enumerate(exercise.hints[:shown], start=1):
        st.caption(f"Hint {number}: {hint}")
    if shown < len(exercise.hints) and not record.done:
        if st.button(f"Show a hint ({shown + 1} of {len(exercise.hints)})", key=f"ex_{widget_key(exercise.id)}_hint",
                     type="tertiary", icon=":material/lightbulb:"):
            _keep(exercise.id, replace(record_of(exercise.id), hints=shown + 1))
            st.rerun()


def _explanation(exercise: Exercise, facts: Facts) -> None:
    record = record_of(exercise.id)
    if not record.done:
        return
    try:
        text = exercise.explain(facts)
    except (MissingFacts, KeyError, TypeError):
        text = ""
    if text:
        st.markdown(f"**Why.** {text}")

