"""The sentences of the activation-maximisation page, fed constructed scores: each conclusion flips with them."""

from __future__ import annotations

import numpy as np

from lessons.actmax import compute as am
from lessons.optvis import render as R


def test_real_image_summary_follows_which_scored_higher():
    beaten = am.real_image_summary(12.0, 8.0, "a cat")
    assert "more than the best real image" in beaten and "why it finds stronger stimuli" in beaten
    lost = am.real_image_summary(5.0, 8.0, "a cat")
    assert "less than the best real image" in lost and "here it has not" in lost
    assert "stronger stimuli" not in lost


def test_evolution_summary_calls_a_fooling_image_only_when_the_network_is_sure():
    sure = am.evolution_summary(0.97, "3", 40)
    assert "97% sure" in sure and "If this one looks like noise to you, it is one" in sure
    unsure = am.evolution_summary(0.2, "3", 5)
    assert "only 20% sure" in unsure and "not (yet) a fooling image" in unsure and "more generations" in unsure


def test_diversity_summary_says_overwhelmed_when_the_batch_falls_below_the_start():
    overwhelmed = am.diversity_summary([8.0, 9.0, 10.0], [-7.6, -13.2, -9.0, -10.0], 0.5, 0.95, 0.4, "blocks.8")
    assert "overwhelmed the objective" in overwhelmed and "not facets the unit likes" in overwhelmed
    assert "other facets it responds to" not in overwhelmed
    assert "pulled the batch apart" in overwhelmed and "*mode collapse*" in overwhelmed
    facets = am.diversity_summary([8.0, 9.0, 10.0], [7.0, 8.0, 8.5, 7.5], 0.5, 0.6, 0.7, "blocks.8")
    assert "other facets it responds to" in facets and "overwhelmed" not in facets
    assert "keep 85% of the rise" in facets and "at least 50%" in facets
    assert "did not make them less alike" in facets and "little mode collapse" in facets


def test_diversity_summary_asks_when_undecided_and_when_nothing_climbed():
    partial = am.diversity_summary([8.0, 9.0, 10.0], [2.0, 3.0, 3.0, 2.0], 0.5, 0.9, 0.5, "head")
    assert "keep only 24% of the rise" in partial and partial.rstrip().endswith("compare.")
    # Below zero where the plain runs are positive counts as overwhelmed even above a negative start.
    negative = am.diversity_summary([3.0], [-1.0, -0.5], -2.0, 0.9, 0.5, "head")
    assert "overwhelmed the objective" in negative
    flat = am.diversity_summary([0.4, 0.5], [0.3, 0.2], 0.6, 0.9, 0.5, "head")
    assert "did not climb above their start" in flat and "facets" not in flat


def test_prior_summary_names_the_highest_and_the_priors_above_no_prior():
    textbook = am.prior_summary({"no prior": 20.0, "total variation": 12.0, "L2 decay": 15.0})
    assert "Highest activation: **no prior** (20)" in textbook and "Every prior scored below no prior" in textbook
    beaten = am.prior_summary({"no prior": 10.0, "total variation": 12.0, "L2 decay": 15.0, "centre bias": 4.0})
    assert "Highest activation: **L2 decay** (15)" in beaten
    assert "2 of 3 scored more than 2% above no prior here (total variation, L2 decay)" in beaten
    assert "Every prior" not in beaten
    # 28 against 27.7 is within 2 %: a tie, not a prior that beat no prior.
    tied = am.prior_summary({"no prior": 27.7, "total variation": 28.0, "blur every 4": 25.4})
    assert "None scored more than 2% above no prior" in tied and "within 2% of no prior: total variation" in tied
    mixed = am.prior_summary({"no prior": 27.7, "total variation": 28.0, "mean-image start": 31.2})
    assert "1 of 2 scored more than 2% above no prior here (mean-image start)" in mixed
    assert "Within 2% of no prior: total variation" in mixed
    assert all("not a more interpretable image" in text for text in (textbook, beaten, tied, mixed))


def _run(score: float, judge_digit: int, distance: float, judge_probability: float = 0.9) -> am.DigitRun:
    return am.DigitRun(score, 0.99, judge_digit, judge_probability, distance)


def test_generator_summary_follows_scores_and_the_second_network():
    fooled = am.generator_summary(3, _run(30.0, 5, 9.0), _run(12.0, 3, 4.0))
    assert "pixel space higher by 18" in fooled
    assert "fools the network it was made for more than it convinces another one" in fooled
    assert "lies nearer to a real digit" in fooled
    agreed = am.generator_summary(3, _run(10.0, 3, 3.0), _run(20.0, 3, 4.0))
    assert "the generator higher by 10" in agreed and "reads both as 3" in agreed and "fools" not in agreed
    assert "no nearer to a real digit" in agreed
    reversed_ = am.generator_summary(3, _run(10.0, 3, 9.0), _run(10.2, 8, 4.0))
    assert "about the same" in reversed_ and "generator's image convinces another network less" in reversed_
    neither = am.generator_summary(3, _run(10.0, 1, 9.0), _run(10.0, 8, 4.0))
    assert "reads neither as 3 (pixels: 1, generator: 8)" in neither


def test_unit_scores_leave_out_the_diversity_term_and_start_score_is_before_any_step(digits):
    unit = am.Unit("class", "fc", 3)
    settings = R.Settings(size=28, steps=20, param="pixel", transforms=False, batch=2)
    diverse = am.run(digits, am.Request(unit, "pixel", settings, diversity=50.0))
    own = am.unit_scores(digits, unit, diverse.images)
    assert not np.allclose(own, diverse.scores)  # the batch's own scores include the diversity term
    start = am.start_score(digits, am.Request(unit, "pixel", settings))
    assert start < float(np.mean(am.run(digits, am.Request(unit, "pixel", settings)).scores))
