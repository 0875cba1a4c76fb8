"""Presenter mode's pure parts (slides, position, CSS, titles read from a section's source) and the `section`
decorator on a small app: return values pass through, a fragment section works, a section that stops being shown
clamps the current slide."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import ui.presenter as presenter
from ui.presenter import (
    Ran,
    Slide,
    bar_text,
    config_for,
    describe,
    docstring_title,
    heading_of,
    hiding_css,
    is_on,
    position,
    slides_of,
)

RAN = [Ran("present_intro", "Lesson"), Ran("present_one", "1 · One"), Ran("present_aside", "Aside", part=True),
       Ran("present_two", "2 · Two")]


def test_only_a_switched_on_value_turns_presenter_mode_on() -> None:
    assert is_on("1") and is_on("true") and is_on(["0", "1"])
    assert not is_on("0") and not is_on(None) and not is_on("") and not is_on([])
    assert config_for(True) == {"initial_sidebar_state": "collapsed"} and config_for(False) == {}


def test_parts_join_the_section_before_them_and_the_summary_comes_last() -> None:
    slides = slides_of(RAN, summary=True)
    assert [s.title for s in slides] == ["Lesson", "1 · One", "2 · Two", "Summary"]
    assert slides[1].keys == ("present_one", "present_aside") and slides[-1].summary
    assert [s.title for s in slides_of(RAN, summary=False)] == ["Lesson", "1 · One", "2 · Two"]
    alone = slides_of([Ran("present_aside", "Aside", part=True)], summary=False)
    assert alone == [Slide("Aside", ("present_aside",))]  # a part with no section before it stands alone


def test_the_current_slide_follows_its_section_else_its_index_is_clamped() -> None:
    slides = slides_of(RAN, summary=True)
    assert position(slides, None) == 0
    assert position(slides, ("present_two", 0)) == 2  # found by its section, wherever it moved
    assert position(slides, ("Summary", 0)) == 3
    assert position(slides, ("present_gone", 9)) == 3 and position(slides, ("present_gone", 1)) == 1
    assert position(slides, ("present_gone", -4)) == 0 and position([], ("present_two", 2)) == 0
    assert bar_text(slides, 2) == "Slide 3 of 4: 2 · Two"
    assert "no sections" in bar_text([], 0)


def test_the_css_hides_every_other_section_and_the_summary_until_its_slide() -> None:
    slides = slides_of(RAN, summary=True)
    css = hiding_css(slides, 1, last="present_two")
    assert ".st-key-present_intro," in css and ".st-key-present_two," in css
    assert ".st-key-present_one," not in css and ".st-key-present_aside," not in css
    assert ':has(> .st-key-present_two) ~ [data-testid="stElementContainer"]:has(hr)' in css
    on_summary = hiding_css(slides, 3, last="present_two")
    assert all(f".st-key-{r.key}," in on_summary for r in RAN) and ":has(hr)" not in on_summary
    assert ":has(hr)" not in hiding_css(slides_of(RAN, summary=False), 1, last="present_two")
    assert hiding_css([], 0) == ""


LIMIT = "5 · Where it fails"


class _Lesson:
    title = "A lesson"


LESSON = _Lesson()


def _literal() -> None:
    """1 · The first section: and more words."""
    import streamlit as st

    st.markdown("before")
    st.header("1 · The first")
    st.header("not this one")


def _constant() -> None:
    import streamlit as st

    st.header(LIMIT)


def _title() -> None:
    import streamlit as st

    st.title(LESSON.title)


def _aside() -> None:
    """An aside: a side remark."""
    import streamlit as st

    st.subheader("Not a section header")


def _computed(n: int) -> None:
    """3 · A computed header."""
    import streamlit as st

    st.header(f"{n} · Computed")


def test_titles_are_read_from_the_first_header_and_a_function_without_one_is_a_part() -> None:
    assert describe(_literal) == ("1 · The first", False)
    assert describe(_constant) == (LIMIT, False)
    assert describe(_title) == ("A lesson", False)
    assert describe(_aside) == ("An aside", True)
    assert describe(_computed) == ("3 · A computed header", False)  # computed text: the docstring's words
    assert heading_of("def f():\n    st.write('x')\n", {}) is None
    assert docstring_title(None, "explain_the_flip") == "Explain the flip"


def test_off_presenter_mode_a_section_runs_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(presenter, "presenting", lambda: False)
    calls = []

    @presenter.section
    def section_one(x: int, *, y: int = 1) -> int:
        """A section."""
        calls.append(x)
        return x + y

    assert section_one(2, y=3) == 5 and calls == [2] and section_one.__name__ == "section_one"


def _demo_app() -> None:
    import streamlit as st

    from ui.presenter import fill_presenter_bar, presenter_bar, section

    @section
    @st.fragment
    def section_first() -> int:
        st.header("1 · First")
        st.button("Rerun me", key="inner")
        return 41

    @section
    def section_second(x: int) -> None:
        st.header("2 · Second")
        st.markdown(f"got {x + 1}")

    bar = presenter_bar("demo")
    value = section_first()
    if st.session_state.get("show_second", True):
        section_second(value)
    fill_presenter_bar(bar)


def _line(at: AppTest) -> str:
    return next((m.value for m in at.markdown if "Slide " in m.value), "")


def test_a_fragment_section_runs_and_a_section_that_goes_away_clamps_the_slide() -> None:
    at = AppTest.from_function(_demo_app, default_timeout=30)
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception
    assert _line(at).endswith("**Slide 1 of 2: 1 · First**")
    assert any(m.value == "got 42" for m in at.markdown)  # the fragment's return value passed through
    at.button(key="presenter_next").click().run()
    assert _line(at).endswith("**Slide 2 of 2: 2 · Second**")
    at.button(key="inner").click().run()  # a rerun of the fragment alone keeps the bar and the slide
    assert not at.exception and _line(at).endswith("**Slide 2 of 2: 2 · Second**")
    at.session_state["show_second"] = False
    at.run()
    at.run()  # the bar follows the sections of the last complete run
    assert _line(at).endswith("**Slide 1 of 1: 1 · First**")
