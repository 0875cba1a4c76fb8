"""Presenter mode through the router (`?present=1`): one section at a time behind a bar with Previous/Next, answers
hidden until revealed to the room, a prediction's result hidden until then, and nothing changed without it."""

from __future__ import annotations

import re

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from tests.pages.apptest import exercise_record, no_exception, open_lesson
from ui.exercises import widget_key
from ui.presenter import TOGGLE_KEY

PAGE = "pages/convolution.py"
MYSTERY = "convolution.which_kernel"
TURN = "convolution.template_turn"
AFTER_THE_SWEEP = "Real objects also bend, open and turn in depth"  # the text under the prediction's result


@pytest.fixture(autouse=True)
def through_the_router(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run lessons through app.py's router, as a server does (AppTest otherwise runs a `pages/` file on its own,
    without the bar the router draws around it)."""
    original = PagesManager.__init__

    def routed(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", routed)


def presenting(query: dict[str, str] | None = None) -> AppTest:
    return open_lesson(PAGE, 240, {"present": "1", **(query or {})})


def bar_line(at: AppTest) -> str:
    """The bar's "Slide k of n: title" line ("" when there is no bar)."""
    lines = [m.value for m in at.markdown if "Slide " in m.value and " of " in m.value and "**" in m.value]
    return lines[0] if lines else ""


def hidden_keys(at: AppTest) -> set[str]:
    """The section containers the injected CSS hides."""
    styles = [m.value for m in at.markdown if m.value.startswith("<style>")]
    return {key for style in styles for key in re.findall(r"^\.st-key-(present_\w+),?", style, re.M)}


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    no_exception(at)
    return at


def test_one_section_is_shown_and_next_and_previous_move(through_the_router: None) -> None:
    at = presenting()
    assert bar_line(at).endswith("**Slide 1 of 10: Convolution**")
    assert len(hidden_keys(at)) == 9 and "present_introduction" not in hidden_keys(at)
    assert "present_section_signal" in hidden_keys(at)
    click(at, "presenter_next")
    assert bar_line(at).endswith("**Slide 2 of 10: 1 · A filter sliding along a signal**")
    assert "present_section_signal" not in hidden_keys(at) and "present_introduction" in hidden_keys(at)
    for _ in range(2):
        click(at, "presenter_next")
    # section 3's aside on the flip (no header of its own) is shown with section 3
    assert bar_line(at).endswith("**Slide 4 of 10: 3 · One output pixel, by hand**")
    assert not {"present_section_pixel", "present_explain_the_flip"} & hidden_keys(at)
    click(at, "presenter_previous")
    assert bar_line(at).endswith("**Slide 3 of 10: 2 · Kernels on a photo**")
    assert "present_explain_the_flip" in hidden_keys(at)
    for _ in range(12):  # past the end: it stays on the summary, where every section is hidden
        click(at, "presenter_next")
    assert bar_line(at).endswith("**Slide 10 of 10: Summary**") and len(hidden_keys(at)) == 10
    assert [h.value for h in at.header][:2] == ["1 · A filter sliding along a signal", "2 · Kernels on a photo"]


def test_an_exercise_shows_no_check_and_no_answer_until_revealed(through_the_router: None) -> None:
    at = presenting()
    key = widget_key(MYSTERY)
    assert not [b for b in at.button if b.key == f"ex_{key}_check"]
    assert not [s for s in at.success if s.value.startswith("**Answer.**")]
    assert not [r for r in at.radio if r.key == f"ex_{key}_pick"]
    click(at, f"ex_{key}_reveal")
    answers = [s.value for s in at.success if s.value.startswith("**Answer.**")]
    assert answers == ["**Answer.** Sobel x (vertical edges)"]
    assert any(m.value.startswith("**Why.** The mystery map is **Sobel x**") for m in at.markdown)
    assert not exercise_record(at, MYSTERY).tries and not exercise_record(at, MYSTERY).answer  # nothing recorded
    click(at, f"ex_{key}_unreveal")
    assert not [s for s in at.success if s.value.startswith("**Answer.**")]


def test_a_prediction_keeps_its_result_hidden_until_revealed(through_the_router: None) -> None:
    at = presenting()
    texts = "\n".join(m.value for m in at.markdown)
    assert AFTER_THE_SWEEP not in texts
    assert not [b for b in at.button if (b.key or "").endswith("_commit")]
    click(at, f"ex_{widget_key(TURN)}_reveal")
    assert AFTER_THE_SWEEP in "\n".join(m.value for m in at.markdown)
    assert any(s.value.startswith("**Answer.** ") for s in at.success)


def test_without_present_nothing_changes_and_the_toggle_switches_it_on(through_the_router: None) -> None:
    at = open_lesson(PAGE, 240)
    assert bar_line(at) == "" and not hidden_keys(at)
    assert not [b for b in at.button if (b.key or "").startswith("presenter_")]
    assert [b for b in at.button if b.key == f"ex_{widget_key(MYSTERY)}_check"]
    assert AFTER_THE_SWEEP not in "\n".join(m.value for m in at.markdown)  # the student's prediction is open
    assert at.sidebar.toggle(key=TOGGLE_KEY).value is False
    at.sidebar.toggle(key=TOGGLE_KEY).set_value(True).run()
    no_exception(at)
    assert at.query_params["present"] == "1" and at.query_params["conv_kernel"] == "gaussian"
    assert bar_line(at).endswith("**Slide 1 of 10: Convolution**")
    at.sidebar.toggle(key=TOGGLE_KEY).set_value(False).run()
    assert "present" not in at.query_params and bar_line(at) == ""
