"""Declared page state: parsing and validating link values, seeding, binding, resets, and writing the URL."""

from __future__ import annotations

import random

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.apptest import shown_in_browser
from ui.state import PageState, choice, flag, integer, number, text


def test_link_values_parse_to_their_kind_or_to_nothing() -> None:
    assert integer("p_n", 1, 0, 9).parse("7") == 7 and integer("p_n", 1, 0, 9).parse("7.5") is None
    assert number("p_x", 1.0, 0, 2).parse("0.25") == 0.25 and number("p_x", 1.0, 0, 2).parse("nan") is None
    assert number("p_x", 1.0, 0, 2).parse("abc") is None and flag("p_f", True).parse("False") is False
    assert flag("p_f", True).parse("yes") is None and choice("p_c", "a", "ab").parse("b") == "b"
    assert text("p_t").parse(None) is None


def test_only_values_inside_the_declaration_are_valid() -> None:
    assert integer("p_n", 1, 0, 9).valid(9) and not integer("p_n", 1, 0, 9).valid(10)
    assert not integer("p_n", 1, 0, 9).valid(True) and not integer("p_n", 1, 0, 9).valid(2.5)
    assert choice("p_c", "a", ("a", "b")).valid("b") and not choice("p_c", "a", ("a", "b")).valid("c")
    assert choice("p_c").valid("anything")  # options known only at run time: checked when bound
    assert flag("p_f", False).valid(True) and not flag("p_f", False).valid(1)


@pytest.mark.parametrize("setting", [integer("p_n", 4, 4, 64, step=4), number("p_x", 0.5, 0.0, 1.0, step=0.05),
                                     integer("p_m", 0, -180, 180), number("p_y", 1.0, 0.1, 10.0),
                                     choice("p_c", "a", ("a", "b", "c")), flag("p_f", True)])
def test_random_values_are_always_valid_and_on_the_step_grid(setting) -> None:
    rng = random.Random(0)
    draws = [setting.random_value(rng) for _ in range(200)]
    assert all(setting.valid(v) for v in draws)
    assert len({str(v) for v in draws}) > 1
    if setting.step:
        assert all(abs((v - setting.low) / setting.step - round((v - setting.low) / setting.step)) < 1e-9
                   for v in draws)


def test_a_declaration_refuses_foreign_keys_duplicates_and_unknown_resets() -> None:
    with pytest.raises(ValueError, match="must start with"):
        PageState("p_", integer("q_n", 1, 0, 2))
    with pytest.raises(ValueError, match="twice"):
        PageState("p_", integer("p_n", 1, 0, 2), integer("p_n", 1, 0, 2))
    with pytest.raises(ValueError, match="undeclared"):
        PageState("p_", choice("p_layer", resets_with=("p_model",)))


def demo_page() -> None:
    import streamlit as st

    from ui.state import PageState, choice, integer

    state = PageState("demo_", choice("demo_model", "a", ("a", "b")), integer("demo_n", 3, 1, 9),
                      choice("demo_layer", resets_with=("demo_model",)))
    state.start()
    model = st.selectbox("Model", ["a", "b"], key="demo_model")
    layers = ["x1", "x2", "x3"] if model == "a" else ["x1", "x2", "x3", "y4"]
    state.bind("demo_layer", options=layers, default="x2")
    st.selectbox("Layer", layers, key="demo_layer")
    st.slider("N", 1, 9, key="demo_n")
    state.write_url()


def open_demo(**query: str) -> AppTest:
    at = AppTest.from_function(demo_page)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_a_link_seeds_valid_values_and_ignores_invalid_ones() -> None:
    at = open_demo(demo_model="b", demo_n="12", demo_layer="y4")
    assert not at.exception
    assert at.session_state["demo_model"] == "b" and at.session_state["demo_layer"] == "y4"
    assert at.session_state["demo_n"] == 3  # 12 is outside 1…9: the default
    assert at.query_params["demo_n"] == "3" and at.query_params["demo_layer"] == "y4"


def test_a_bound_choice_outside_its_options_falls_back_to_the_bound_default() -> None:
    at = open_demo(demo_model="a", demo_layer="y4")
    assert at.session_state["demo_layer"] == "x2"


def test_changing_the_model_resets_the_layer_but_other_changes_do_not() -> None:
    at = open_demo(demo_layer="x3")
    at.slider(key="demo_n").set_value(5).run()
    assert at.session_state["demo_layer"] == "x3"
    at.selectbox(key="demo_model").set_value("b").run()
    assert at.session_state["demo_layer"] == "x2" and at.query_params["demo_layer"] == "x2"
    assert at.session_state["demo_n"] == 5


def test_a_value_off_the_step_grid_is_not_valid() -> None:
    sizes = integer("p_size", 5, 3, 15, step=2)
    assert sizes.valid(7) and not sizes.valid(4)
    assert number("p_s", 1.0, 0.5, 8.0, step=0.1).valid(0.7)


def test_settings_bound_at_run_time_are_not_seeded_at_the_start() -> None:
    assert not integer("p_row", 0, 0, None).known_in_full and not choice("p_layer").known_in_full
    assert integer("p_n", 1, 0, 9).known_in_full and flag("p_f", True).known_in_full


def hiding_page() -> None:
    """A page whose slider is hidden while a box is unticked."""
    import streamlit as st

    from ui.state import PageState, flag, integer

    state = PageState("hide_", flag("hide_show", True), integer("hide_n", 3, 1, 9))
    state.start()
    if st.checkbox("Show", key="hide_show"):
        st.number_input("N", 1, 9, key="hide_n")
    state.write_url()


def test_a_setting_keeps_its_value_while_its_widget_is_hidden() -> None:
    at = AppTest.from_function(hiding_page).run()
    at.number_input(key="hide_n").set_value(7).run()
    at.checkbox(key="hide_show").uncheck().run()
    at.run()  # a second run without the slider: Streamlit would have dropped its value by now
    assert at.session_state["hide_n"] == 7 and at.query_params["hide_n"] == "7"
    at.checkbox(key="hide_show").check().run()
    assert shown_in_browser(at.number_input(key="hide_n")) == 7  # remounted at the kept value, not at 1
