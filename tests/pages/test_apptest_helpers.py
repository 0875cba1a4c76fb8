"""The shared AppTest helpers: a lesson opened with URL query parameters sees them."""

from __future__ import annotations

from tests.pages.apptest import open_lesson


def test_open_lesson_passes_the_query_parameters_to_the_page():
    at = open_lesson("pages/convolution.py", timeout=120, query={"conv_kernel": "box"})
    assert at.session_state["conv_kernel"] == "box"
    assert at.selectbox(key="conv_kernel").value == "box"


def test_open_lesson_without_a_query_shows_the_default():
    at = open_lesson("pages/convolution.py", timeout=120)
    assert at.session_state["conv_kernel"] == "gaussian"
