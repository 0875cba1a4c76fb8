"""Exercise declarations: malformed ones are refused, and each kind is judged on the page's facts."""

from __future__ import annotations

import math

import pytest

from lessons.core.exercises import (
    SUMMARY,
    Exercise,
    LessonExercises,
    MissingFacts,
    Option,
    Verdict,
    judge,
    judge_number,
)

BEST_LAYER = Exercise(
    id="t.best_layer", section="scores", kind="predict", prompt="Which layer predicts best?",
    options=(Option("early", "Edges."), Option("middle", "Parts."), Option("late", "Objects.")),
    correct=lambda facts: facts["best"], needs=("best",),
    explanation=lambda facts: f"The best layer here was {facts['best']}.",
)


def test_a_choice_is_judged_and_every_option_says_something() -> None:
    exercise = Exercise(id="t.c", section="s", kind="choice", prompt="?", correct="b",
                        options=(Option("a", "a is too small"), Option("b", "b is it")))
    assert judge(exercise, "b", {}) == Verdict(True, "b is it")
    assert judge(exercise, "a", {}) == Verdict(False, "a is too small")
    assert not judge(exercise, "z", {}).correct  # not an option


def test_a_prediction_is_judged_on_what_the_page_measured() -> None:
    assert judge(BEST_LAYER, "middle", {"best": "middle"}).correct
    wrong = judge(BEST_LAYER, "early", {"best": "late"})
    assert not wrong.correct and "**late**" in wrong.feedback and "Edges." in wrong.feedback
    assert BEST_LAYER.explain({"best": "late"}) == "The best layer here was late."


def test_an_exercise_without_its_facts_cannot_be_judged_yet() -> None:
    assert not BEST_LAYER.ready({}) and BEST_LAYER.ready({"best": "late"})
    with pytest.raises(MissingFacts):
        judge(BEST_LAYER, "late", {})


def test_a_computed_answer_outside_the_options_is_a_declaration_bug() -> None:
    with pytest.raises(ValueError, match="not among the options"):
        judge(BEST_LAYER, "late", {"best": "retina"})


def test_numbers_are_right_within_the_tolerance_and_wrong_ones_learn_the_direction() -> None:
    assert judge_number("0.881", 0.88, 0.005).correct
    assert judge_number(0.885, 0.88, 0.005).correct  # the edge counts
    assert judge_number(0.9, 0.88, 0.005) == Verdict(False, "Too high.")
    assert judge_number(0.1, 0.88, 0.005) == Verdict(False, "Too low.")
    assert not judge_number("half", 0.5, 0.1).correct
    assert not judge_number(math.nan, 0.5, 0.1).correct and not judge_number(math.inf, 0.5, 1e9).correct
    numeric = Exercise(id="t.n", section="s", kind="numeric", prompt="?", answer=lambda f: f["x"] * 2, tolerance=0)
    assert judge(numeric, 4, {"x": 2}).correct and not judge(numeric, 4, {"x": 3}).correct


def test_a_task_is_judged_by_its_check_on_the_page_state() -> None:
    task = Exercise(id="t.t", section="s", kind="task", prompt="Make the loss go up.",
                    check=lambda f: Verdict(f["loss"][-1] > f["loss"][0], "checked"))
    assert judge(task, None, {"loss": [1.0, 2.0]}).correct
    assert not judge(task, None, {"loss": [2.0, 1.0]}).correct


@pytest.mark.parametrize("bad", [
    dict(kind="choice", options=(Option("a"),), correct="a"),  # one option
    dict(kind="choice", options=(Option("a"), Option("a")), correct="a"),  # repeated
    dict(kind="choice", options=(Option("a"), Option("b")), correct="c"),  # answer not an option
    dict(kind="numeric"),  # no answer
    dict(kind="numeric", answer=1.0, tolerance=-1),
    dict(kind="task"),  # no check
    dict(kind="essay"),
])
def test_malformed_declarations_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        Exercise(id="t.bad", section="s", prompt="?", **bad)


def test_a_lesson_refuses_repeated_ids_and_unknown_sections() -> None:
    one = Exercise(id="t.a", section="s", kind="numeric", prompt="?", answer=1.0)
    with pytest.raises(ValueError, match="repeat"):
        LessonExercises("p", (one, one), ("x",), 10, sections=("s",))
    with pytest.raises(ValueError, match="undeclared"):
        LessonExercises("p", (one,), ("x",), 10, sections=("other",))
    at_end = Exercise(id="t.b", section=SUMMARY, kind="numeric", prompt="?", answer=1.0)
    lesson = LessonExercises("p", (one, at_end), ("x",), 10, sections=("s",))
    assert lesson.at("s") == (one,) and lesson.at(SUMMARY) == (at_end,) and lesson.by_id("t.b") is at_end


def test_a_prompt_may_quote_the_page_and_waits_for_its_facts() -> None:
    task = Exercise(id="t.q", section="s", kind="task", prompt=lambda f: f"Find a cell read as {f['target']}.",
                    check=lambda f: Verdict(True, ""), needs=("target",), waiting="Build an atlas first.")
    assert task.ask({"target": "goldfish"}) == "Find a cell read as goldfish."
    assert task.ask({}) == "Build an atlas first."


def test_a_measured_tie_makes_every_tied_option_right() -> None:
    tie = Exercise(id="t.tie", section="s", kind="predict", prompt="?", correct=lambda f: f["best"],
                   options=(Option("a", "A."), Option("b", "B."), Option("c", "C.")))
    assert judge(tie, "a", {"best": ("a", "b")}).correct and judge(tie, "b", {"best": ("a", "b")}).correct
    assert "(a tie)" in judge(tie, "c", {"best": ("a", "b")}).feedback
    assert not judge(tie, "c", {"best": ("a", "b")}).correct and not judge(tie, "b", {"best": "a"}).correct


def test_the_solution_names_the_right_option_or_every_tied_one() -> None:
    assert BEST_LAYER.solution({"best": "middle"}) == "middle"
    assert BEST_LAYER.solution({"best": ("early", "late")}) == "early or late (a tie)"
    fixed = Exercise(id="t.s", section="s", kind="choice", prompt="?", correct="b",
                     options=(Option("a"), Option("b")))
    assert fixed.solution({}) == "b"
    with pytest.raises(MissingFacts):
        BEST_LAYER.solution({})


def test_the_solution_of_a_number_gives_its_tolerance_and_unit() -> None:
    size = Exercise(id="t.n", section="s", kind="numeric", prompt="?", answer=lambda f: f["n"] - 2, tolerance=0.5,
                    unit="px", needs=("n",))
    assert size.solution({"n": 12}) == "10 ± 0.5 px"
    exact = Exercise(id="t.e", section="s", kind="numeric", prompt="?", answer=1 / 3)
    assert exact.solution({}) == "0.3333"


def test_the_solution_of_a_task_is_its_explanation_else_what_it_asks() -> None:
    explained = Exercise(id="t.t", section="s", kind="task", prompt="Make the loss climb.",
                         check=lambda f: Verdict(False, "not yet"), explanation=lambda f: f"A rate of {f['lr']} does.",
                         needs=("lr",))
    assert explained.solution({"lr": 10}) == "A rate of 10 does."
    bare = Exercise(id="t.b", section="s", kind="task", prompt="Make the loss climb.",
                    check=lambda f: Verdict(False, "not yet"))
    assert bare.solution({}) == "Done when the page shows it: Make the loss climb."
    with pytest.raises(MissingFacts):
        explained.solution({})
