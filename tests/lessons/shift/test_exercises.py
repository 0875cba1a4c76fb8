"""The data-and-shift lesson's exercises and "what to notice" sentences, judged on constructed facts: every answer
comes from the numbers, every check accepts the right state and refuses the wrong one and the edge cases."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from lessons.core.exercises import SUMMARY, MissingFacts, judge
from lessons.exercises import MODULES
from lessons.shift import exercises as ex
from lessons.shift import reading

N = 1000
AMOUNTS = tuple(float(a) for a in range(0, 181, 15))
# the standard CNN's measured rotation curve, to two or three decimals
TOP1 = (0.971, 0.943, 0.765, 0.501, 0.269, 0.15, 0.128, 0.112, 0.11, 0.128, 0.172, 0.246, 0.289)
TOP5 = (1.0, 0.998, 0.987, 0.915, 0.762, 0.621, 0.524, 0.528, 0.568, 0.644, 0.662, 0.69, 0.68)
SHIFT_FACTS = {"rotation_amounts": AMOUNTS, "rotation_top1": TOP1, "rotation_top5": TOP5, "n_test": N,
               "n_classes": 10}
ROBUST = {**SHIFT_FACTS, "rotation_top1": tuple(0.96 for _ in AMOUNTS), "rotation_top5": tuple(1.0 for _ in AMOUNTS)}


def turned(label: str = "7", angle: float = 45, upright: int = 7, prediction: int = 9, p: float = 0.49) -> dict:
    """The facts of the turn-one-digit panel."""
    return {"digit_label": label, "digit_angle": angle, "upright_prediction": upright,
            "turned_prediction": prediction, "turned_probability": p}


def test_the_lesson_declares_three_to_six_exercises_of_every_needed_kind_in_page_order():
    declared = ex.EXERCISES
    assert MODULES[declared.lesson] == "lessons.shift.exercises"
    assert 3 <= len(declared.exercises) <= 6 and 3 <= len(declared.takeaways) <= 5 and declared.minutes > 0
    assert {"predict", "task"} <= {e.kind for e in declared.exercises}
    assert {"choice", "numeric"} & {e.kind for e in declared.exercises}
    assert all(e.id.startswith("shift.") for e in declared.exercises)
    order = [declared.sections.index(e.section) for e in declared.exercises if e.section != SUMMARY]
    assert order == sorted(order)  # in the order the page shows its sections
    for e in declared.exercises:
        assert e.explanation and e.hints, e.id
        if e.kind in ("choice", "predict"):
            assert all(option.feedback for option in e.options), e.id  # feedback on every option


def test_the_exercises_module_loads_neither_torch_nor_streamlit():
    code = ("import sys, lessons.shift.exercises; "
            "print(sorted(m for m in ('torch', 'streamlit') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_forgetting_normalisation_has_one_right_option_and_feedback_on_each():
    exercise = ex.FORGOT_NORMALISATION
    right = judge(exercise, "Accuracy can drop a lot, although the picture looks the same to us", {})
    assert right.correct and "data shift" in right.feedback
    wrong = judge(exercise, "Nothing: it is the same picture", {})
    assert not wrong.correct and "first layer" in wrong.feedback
    assert not judge(exercise, "It only runs slower", {}).correct
    assert not judge(exercise, "something else", {}).correct  # not an option


def test_top5_chance_is_computed_from_the_number_of_classes():
    assert ex.top5_chance({"n_classes": 10}) == pytest.approx(50)
    assert ex.top5_chance({"n_classes": 20}) == pytest.approx(25)
    assert ex.top5_chance({"n_classes": 4}) == pytest.approx(100)  # five guesses of four classes always hit
    facts = {"n_classes": 10, "top1": 0.971, "top5": 1.0}
    assert judge(ex.TOP5_CHANCE, 50, facts).correct
    assert judge(ex.TOP5_CHANCE, 50.9, facts).correct  # within the stated tolerance of one point
    assert judge(ex.TOP5_CHANCE, 10, facts).feedback == "Too low."  # top-1 chance, the classic mix-up
    assert not judge(ex.TOP5_CHANCE, 52, facts).correct
    with pytest.raises(MissingFacts):
        judge(ex.TOP5_CHANCE, 50, {})
    assert "50%" in ex.explain_top5_chance(facts) and "10%" in ex.explain_top5_chance(facts)


def test_the_quarter_turn_prediction_is_read_from_the_measured_curve():
    assert ex.above_half_at_quarter_turn(SHIFT_FACTS) == ex.NOT_ABOVE_HALF
    assert ex.above_half_at_quarter_turn(ROBUST) == ex.ABOVE_HALF
    exactly_half = {**SHIFT_FACTS, "rotation_top1": tuple(0.5 for _ in AMOUNTS)}
    assert ex.above_half_at_quarter_turn(exactly_half) == ex.NOT_ABOVE_HALF  # "above" is strict
    verdict = judge(ex.QUARTER_TURN_PREDICTION, ex.NOT_ABOVE_HALF, SHIFT_FACTS)
    assert verdict.correct and "matches what the page measured" in verdict.feedback
    assert not judge(ex.QUARTER_TURN_PREDICTION, ex.ABOVE_HALF, SHIFT_FACTS).correct
    assert judge(ex.QUARTER_TURN_PREDICTION, ex.ABOVE_HALF, ROBUST).correct


def test_the_quarter_turn_explanation_quotes_the_numbers_and_names_both_chance_levels():
    text = ex.explain_quarter_turn(SHIFT_FACTS)
    assert "12.8%" in text and "3 points from chance (10%" in text and "52.4%" in text and "50%" in text
    assert "upright" in text
    at_chance = ex.explain_quarter_turn({**SHIFT_FACTS, "rotation_top1": (0.97,) + (0.1,) * 12})
    assert "no better than chance" in at_chance
    assert "kept more than half" in ex.explain_quarter_turn(ROBUST)  # the measured result against the textbook


def test_breaking_a_seven_needs_a_seven_read_right_upright_and_wrong_turned():
    right = ex.broke_a_seven(turned())
    assert right.correct and "read as a **9**" in right.feedback and "45°" in right.feedback
    assert ex.broke_a_seven(turned(angle=-45, prediction=1)).correct  # clockwise counts too
    still = ex.broke_a_seven(turned(angle=15, prediction=7, p=0.94))
    assert not still.correct and "still read as a 7" in still.feedback
    not_a_seven = ex.broke_a_seven(turned(label="3", upright=3, prediction=5))
    assert not not_a_seven.correct and "Pick a **7**" in not_a_seven.feedback
    # a 7 the network gets wrong even upright: rotation did not break it
    wrong_already = ex.broke_a_seven(turned(angle=90, upright=2, prediction=4))
    assert not wrong_already.correct and "even before it is turned" in wrong_already.feedback
    untouched = ex.broke_a_seven(turned(angle=0, prediction=7))
    assert not untouched.correct and "Angle" in untouched.feedback
    assert judge(ex.BREAK_A_SEVEN, None, turned()).correct
    with pytest.raises(MissingFacts):
        judge(ex.BREAK_A_SEVEN, None, {"digit_label": "7"})
    assert "45°" in ex.explain_seven(turned())


def test_the_clean_cost_prediction_follows_the_measured_accuracies():
    facts = {"standard_clean": 0.971, "augmented_clean": 0.801, "augmented_degrees": 180, "n_test": N}
    assert ex.clean_cost(facts) == ex.COSTS
    assert judge(ex.CLEAN_COST_PREDICTION, ex.COSTS, facts).correct
    assert not judge(ex.CLEAN_COST_PREDICTION, ex.SAME, facts).correct
    text = ex.explain_clean_cost(facts)
    assert "97.1%" in text and "80.1%" in text and "cost 17 points" in text and "textbook" in text
    assert "6 turned by 180° is a 9" in text
    assert "6 turned" not in ex.explain_clean_cost({**facts, "augmented_degrees": 30})
    within_noise = {**facts, "augmented_clean": 0.965}
    assert ex.clean_cost(within_noise) == ex.SAME and "for free" in ex.explain_clean_cost(within_noise)
    better = {**facts, "augmented_clean": 0.99}
    assert ex.clean_cost(better) == ex.RAISES and "even helped" in ex.explain_clean_cost(better)
    assert not ex.CLEAN_COST_PREDICTION.ready({})  # before the augmented CNN exists it waits, unjudged


def test_the_rotation_notice_flips_with_the_numbers():
    dropped = reading.rotation_notice(AMOUNTS, TOP1, TOP5, N)
    assert "**12.8%** top-1 (upright 97.1%)" in dropped and "measurably above it" in dropped
    assert "Top-5 is 52.4%" in dropped and "no better than chance" in dropped
    at_chance = reading.rotation_notice(AMOUNTS, (0.97,) + (0.1,) * 12, (1.0,) + (0.7,) * 12, N)
    assert "no better than guessing (chance: 10%)" in at_chance and "Top-5 is 70%, and" in at_chance
    robust = reading.rotation_notice(AMOUNTS, (0.97,) * 13, (1.0,) * 13, N)
    assert "no measurable loss" in robust and "chance" not in robust


def test_the_accuracy_notice_flips_when_no_class_is_measurably_harder():
    names = [str(d) for d in range(10)]
    uneven = np.diag([100, 99, 98, 97, 96, 95, 94, 93, 92, 85])
    uneven[9, 4] = 15  # digit 9 read as 4 fifteen times in a hundred
    text = reading.accuracy_notice(0.94, uneven, names)
    assert "chance: one class in 10" in text and "digit 9 is right only **85%**" in text and "digit 0 **100%**" in text
    even = np.diag([97, 98, 97, 96, 97, 98, 97, 96, 97, 98])
    even[1:, 0] = 100 - np.diag(even)[1:]  # every digit a few wrong, none measurably worse than another
    even[0, 1] = 3
    text = reading.accuracy_notice(0.97, even, names)
    assert "Every class scores about the same" in text and "right only" not in text


def test_chance_levels_and_values_at_an_amount():
    assert reading.chance_level(10) == pytest.approx(0.1) and reading.chance_level(10, 5) == pytest.approx(0.5)
    assert reading.chance_level(3, 5) == 1.0
    assert reading.value_at(AMOUNTS, TOP1, 90) == pytest.approx(0.128)
    assert reading.value_at(AMOUNTS, TOP1, 92) == pytest.approx(0.128)  # the nearest amount the sweep visited
