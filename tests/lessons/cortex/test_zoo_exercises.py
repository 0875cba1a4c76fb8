"""The model-zoo lesson's exercises: every answer and check function on a right answer, a wrong one and an edge case;
`judge` on each exercise with facts built the way the page builds them; the notices flip."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lessons.core.exercises import judge
from lessons.cortex import facts
from lessons.cortex import zoo_conclusions as zc
from lessons.cortex import zoo_exercises as zx


def _trend_facts(x, y, cells: int = 250) -> dict:
    return {"simulated": True, "cells": cells, **facts.trend_facts("top1", zc.trend(x, y))}


def _pairs_facts(trained, random) -> dict:
    return facts.pairs_facts(zc.paired_verdict(trained, random))


THREE_TOP1 = [75.1, 76.7, 77.6]  # the offline zoo's ImageNet networks


# -------------------------------------------------------------------------------------- the top-1 prediction
def test_three_networks_can_only_be_cant_tell_even_when_perfectly_ranked():
    perfect = _trend_facts(THREE_TOP1, [0.070, 0.0705, 0.0716])
    assert perfect["top1_rho"] == pytest.approx(1.0) and not perfect["top1_clear"]
    assert zx.top1_answer(perfect) == zx.CANT_TELL
    assert judge(zx.TOP1_TREND, zx.CANT_TELL, perfect).correct
    wrong = judge(zx.TOP1_TREND, zx.BETTER, perfect)
    assert not wrong.correct and zx.CANT_TELL in wrong.feedback
    assert "even a perfect ranking could only reach p = 0.33" in zx.top1_explanation(perfect)


def test_a_clear_trend_is_better_or_worse_by_its_sign():
    top1 = np.linspace(70, 85, 10)
    up = _trend_facts(top1, np.linspace(0.02, 0.09, 10))
    down = _trend_facts(top1, np.linspace(0.09, 0.02, 10))
    assert zx.top1_answer(up) == zx.BETTER and zx.top1_answer(down) == zx.WORSE
    assert judge(zx.TOP1_TREND, zx.BETTER, up).correct and not judge(zx.TOP1_TREND, zx.CANT_TELL, up).correct
    assert "unlike the papers" in zx.top1_explanation(up) and "95 % interval" in zx.top1_explanation(up)


def test_a_noisy_trend_over_many_networks_is_cant_tell_for_chance_not_for_the_count():
    rng = np.random.default_rng(3)
    noisy = _trend_facts(np.linspace(70, 85, 10), rng.normal(size=10))
    assert not noisy["top1_clear"] and noisy["top1_smallest_p"] <= zx.ALPHA  # 10 networks could show one
    assert zx.top1_answer(noisy) == zx.CANT_TELL
    assert "does not pass both" in zx.top1_explanation(noisy)


def test_an_unmeasurable_trend_explains_itself():
    two = _trend_facts([75.1, 76.7], [0.07, 0.08])
    assert zx.top1_answer(two) == zx.CANT_TELL
    assert "no rank correlation" in zx.top1_explanation(two)


# ------------------------------------------------------------------------------------------- the ranking task
def test_a_perfect_ranking_is_accepted_and_called_no_evidence():
    perfect = _trend_facts(THREE_TOP1, [0.070, 0.0705, 0.0716])
    verdict = zx.ranking_check(perfect)
    assert verdict.correct and "250 cells" in verdict.feedback
    assert judge(zx.PERFECT_RANKING, None, perfect).correct
    assert "not a trend" in zx.ranking_explanation(perfect) and "6 orderings" in zx.ranking_explanation(perfect)


def test_an_imperfect_or_impossible_ranking_is_not():
    swapped = _trend_facts(THREE_TOP1, [0.084, 0.092, 0.0865], cells=50)
    verdict = zx.ranking_check(swapped)
    assert not verdict.correct and "ρ = +0.50" in verdict.feedback and "50 cells" in verdict.feedback
    reversed_ = zx.ranking_check(_trend_facts(THREE_TOP1, [0.09, 0.08, 0.07]))
    assert not reversed_.correct  # ρ = −1 is perfect, but the wrong way round
    assert not zx.ranking_check(_trend_facts([75.1, 76.7], [0.07, 0.08])).correct
    tied = zx.ranking_check(_trend_facts(THREE_TOP1, [0.07, 0.07, 0.07]))  # no ranking at all
    assert not tied.correct


def test_a_perfect_ranking_of_many_networks_is_called_evidence():
    many = _trend_facts(np.linspace(70, 85, 6), np.linspace(0.02, 0.09, 6))
    assert zx.ranking_check(many).correct
    assert "count as evidence" in zx.ranking_explanation(many)


# --------------------------------------------------------------------------------------- the sign test's limit
@pytest.mark.parametrize(("pairs", "limit"), [(6, 0.03125), (3, 0.25), (1, 1.0), (0, 1.0)])
def test_the_smallest_sign_test_p_is_two_halves_to_the_pairs(pairs, limit):
    assert zx.sign_test_limit({"pairs": pairs}) == pytest.approx(limit)


def test_the_sign_test_limit_is_judged_within_its_tolerance():
    six = _pairs_facts([0.07, 0.07, 0.07, 0.036, 0.04, -0.027], [0.035, 0.037, 0.031, 0.045, 0.03, -0.024])
    assert six["pairs"] == 6 and six["random_wins"] == 2
    assert judge(zx.SIGN_TEST_LIMIT, 0.031, six).correct
    assert judge(zx.SIGN_TEST_LIMIT, 0.03, six).correct
    assert judge(zx.SIGN_TEST_LIMIT, 0.016, six).feedback == "Too low."  # one-sided: half the answer
    assert judge(zx.SIGN_TEST_LIMIT, 0.05, six).feedback == "Too high."
    text = zx.sign_test_explanation(six)
    assert "0.031" in text and "trained won 4 and random 2" in text and "no result could" not in text
    three = _pairs_facts([0.07, 0.07, 0.07], [0.03, 0.03, 0.03])
    assert "no result could count as evidence" in zx.sign_test_explanation(three)


# ------------------------------------------------------------------------------------------- the task confound
def test_the_task_confound_has_one_right_option_and_feedback_on_every_option():
    right = zx.TASK_CONFOUND.correct
    assert judge(zx.TASK_CONFOUND, right, {}).correct
    for label in zx.TASK_CONFOUND.labels:
        verdict = judge(zx.TASK_CONFOUND, label, {})
        assert verdict.correct == (label == right) and verdict.feedback
    assert "architecture" in zx.task_explanation({})


def test_the_lesson_mixes_kinds_and_places_every_exercise_at_a_declared_section():
    declared = zx.EXERCISES
    assert declared.lesson == "model_zoo"
    assert {e.kind for e in declared.exercises} == {"predict", "choice", "numeric", "task"}
    assert all(e.id.startswith("cortex.zoo_") and e.section in declared.sections for e in declared.exercises)


# ---------------------------------------------------------------------------------- facts from a zoo summary
def test_facts_from_a_summary_judge_every_exercise():
    summary = pd.DataFrame({
        "model": ["a", "a", "b", "b", "c", "c", "d", "d"],
        "weights": ["pretrained", "random"] * 4, "top1": [75.1, np.nan, 76.7, np.nan, 77.6, np.nan, np.nan, np.nan],
        "score": [0.070, 0.035, 0.0705, 0.037, 0.0716, 0.031, 0.036, 0.045],
        "trained": [True, False] * 4, "title": list("aabbccdd")})
    trained = zc.trained_only(summary).dropna(subset=["top1"])
    found = {"simulated": True, "cells": 250, **facts.trend_facts("top1", zc.trend(trained["top1"], trained["score"]))}
    assert found["top1_n"] == 3 and math.isnan(found["top1_low"])  # too few networks for an interval
    assert judge(zx.TOP1_TREND, zx.CANT_TELL, found).correct
    assert judge(zx.PERFECT_RANKING, None, found).correct
    pairs = zc.pair_table(summary)
    paired = facts.pairs_facts(zc.paired_verdict(pairs["trained"], pairs["random"]))
    assert paired["pairs"] == 4 and judge(zx.SIGN_TEST_LIMIT, 0.125, paired).correct


# -------------------------------------------------------------------------------------------------- notices
def test_the_trend_notice_flips_with_the_number_of_networks():
    few = zc.trend_power_notice(zc.trend(THREE_TOP1, [0.07, 0.0705, 0.0716]))
    assert "3 networks" in few and "cannot show a trend" in few and "p = 0.33" in few
    many = zc.trend_power_notice(zc.trend(np.linspace(70, 85, 7), np.linspace(0.02, 0.09, 7)))
    assert "a trend could show here" in many and "cannot show" not in many
    assert "no ranking can be tested" in zc.trend_power_notice(zc.trend([75.1, 76.7], [0.07, 0.08]))


def test_the_pairs_notice_flips_when_a_random_twin_wins():
    mixed = zc.pairs_notice(zc.paired_verdict([0.07, 0.036], [0.035, 0.045]), 250)
    assert "In 1 of 2 pairs the random twin scores higher" in mixed and "250 cells" in mixed
    clean = zc.pairs_notice(zc.paired_verdict([0.07, 0.05], [0.035, 0.045]), 1000)
    assert clean.startswith("Every one of the 2 trained networks beats") and "ties" not in clean
    tied = zc.pairs_notice(zc.paired_verdict([0.07, 0.05], [0.035, 0.05]), 50)
    assert "(1 tie)" in tied
    assert "No network has both" in zc.pairs_notice(zc.paired_verdict([], []), 50)
