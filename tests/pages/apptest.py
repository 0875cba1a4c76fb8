"""Helpers shared by the AppTest page tests: the app's path, opening a lesson, and the usual checks."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lessons.core import jobs
from ui.exercises import widget_key

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def no_exception(at: AppTest) -> None:
    """Fail with the exceptions' messages if the last run raised any."""
    assert not at.exception, [e.value for e in at.exception]


def open_lesson(page: str, timeout: float = 240, query: dict[str, str] | None = None,
                skipped: Iterable[str] = ()) -> AppTest:
    """Run the app with the URL's `query` parameters, switch to the lesson at `page` (e.g. "pages/attribution.py")
    and check that it rendered; the predictions named in `skipped` start skipped (the results they hide shown)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params.update(query or {})
    at.run()
    skip_from_the_start(at, skipped)
    at.switch_page(page).run()
    no_exception(at)
    return at


def all_texts(at: AppTest) -> str:
    """Every markdown, caption, info and progress text of the last run, one per line."""
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.info]
    parts += [p.proto.text for p in at.get("progress")]
    return "\n".join(parts)


def waiting_jobs(at: AppTest) -> int:
    """How many heavy jobs the last run shows waiting or running (their panels' Cancel buttons)."""
    return sum(1 for b in at.button if b.label == "Cancel" and (b.key or "").startswith("cancel_"))


def finish_jobs(at: AppTest, timeout: float = 300) -> AppTest:
    """Let the heavy work the page queued finish in the shared pool, then run the page again (as the page's
    refreshing panel would), until no job is left waiting."""
    deadline = time.monotonic() + timeout
    while waiting_jobs(at):
        running, queued = jobs.shared_pool().snapshot()
        while (running or queued) and time.monotonic() < deadline:
            for job in running + queued:
                job.touch()  # the page is still watching
            time.sleep(0.05)
            running, queued = jobs.shared_pool().snapshot()
        assert time.monotonic() < deadline, "heavy work did not finish in time"
        at.run()
        no_exception(at)
    return at


def image_captions(at: AppTest) -> list[str]:
    """The captions of every image the page shows, in order."""
    return [i.caption for img in at.get("image") for i in img.proto.imgs]


def shown_in_browser(widget) -> object:
    """The value a browser shows for a selectbox or number input that is (re)mounted by this run: the value the run
    sends when it sets one from code, else the widget's own default (the first option, the minimum)."""
    proto = widget.proto
    if hasattr(proto, "options"):
        return widget.value if proto.set_value else widget.options[proto.default]
    return widget.value if proto.set_value else proto.default


def keyed_elements(at: AppTest) -> list:
    """Every element with a key (widgets and selectable charts), anywhere on the page."""
    found = []

    def walk(node: object) -> None:
        if getattr(node, "key", None):
            found.append(node)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def exercise_record(at: AppTest, exercise_id: str):
    """The student's record on one exercise after the last run (an empty record before any answer)."""
    from lessons.core.answers import Record

    return at.session_state["course_answers"].get(exercise_id, Record()) if "course_answers" in at.session_state \
        else Record()


def exercise_feedback(at: AppTest, exercise_id: str) -> tuple[bool, str] | None:
    """The feedback the last check of an exercise showed: (right, text), or None before any check."""
    key = f"ex_{widget_key(exercise_id)}_said"
    return at.session_state[key] if key in at.session_state else None


def answer_exercise(at: AppTest, exercise_id: str, response: object = None) -> AppTest:
    """Answer an exercise as a student would (pick an option, type a number, or nothing for a task) and check it."""
    key = widget_key(exercise_id)
    if isinstance(response, str):
        at.radio(key=f"ex_{key}_pick").set_value(response)
    elif response is not None:
        at.number_input(key=f"ex_{key}_number").set_value(response)
    at.button(key=f"ex_{key}_check").click().run()
    no_exception(at)
    return at


def show_hint(at: AppTest, exercise_id: str) -> AppTest:
    """Ask for the exercise's next hint."""
    at.button(key=f"ex_{widget_key(exercise_id)}_hint").click().run()
    no_exception(at)
    return at


def commit_prediction(at: AppTest, exercise_id: str, label: str) -> AppTest:
    """Commit a prediction for a predict-then-run exercise."""
    key = widget_key(exercise_id)
    at.radio(key=f"ex_{key}_predict").set_value(label).run()
    at.button(key=f"ex_{key}_commit").click().run()
    no_exception(at)
    return at


def skip_predictions(at: AppTest) -> AppTest:
    """Skip every open prediction on the page (as "Skip, just show me" does), so the results they hide are shown."""
    while skips := [b for b in at.button if (b.key or "").startswith("ex_") and b.key.endswith("_skip")]:
        skips[0].click().run()
        no_exception(at)
    return at


def predictions_of(page: str) -> tuple[str, ...]:
    """The ids of a lesson's predict-then-run exercises (`page` as "pages/<lesson>.py" or its url path)."""
    from lessons.exercises import built_in

    return tuple(e.id for e in built_in()[Path(page).stem].exercises if e.kind == "predict")


def skip_from_the_start(at: AppTest, exercise_ids: Iterable[str]) -> AppTest:
    """Before the next run: these predictions count as skipped, so the page shows their results at once."""
    from lessons.core.answers import Record

    ids = tuple(exercise_ids)
    if ids:
        at.session_state["course_answers"] = {i: Record(skipped=True) for i in ids}
    return at
