"""The model-zoo verdicts: each sentence flips when the numbers behind it do (positive, negative, no trend, too few
networks; trained ahead, random ahead, a coin toss; tasks apart or not)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lessons.cortex import zoo_conclusions as zc

TOP1 = [75.1, 76.7, 77.6, 69.8, 56.5, 80.9]


def test_a_clean_positive_trend_is_stated_as_better():
    result = zc.trend(TOP1, [0.20, 0.22, 0.25, 0.15, 0.10, 0.30])
    assert result.n == 6 and result.rho == pytest.approx(1.0)
    assert result.p == pytest.approx(2 / 720)  # exact: 2 of 720 orderings are as extreme
    assert result.clear
    text = zc.trend_sentence(result, "ImageNet top-1")
    assert "higher ImageNet top-1 predict the simulated cortex better" in text and "6 networks" in text
    assert "Networks with more brain layers predict" in zc.trend_sentence(result, "depth", more="more brain layers")


def test_a_clean_negative_trend_is_stated_as_worse():
    result = zc.trend(TOP1, [0.30, 0.22, 0.20, 0.35, 0.40, 0.10])
    assert result.rho == pytest.approx(-1.0) and result.clear
    assert "predict these cells worse" in zc.trend_sentence(result, "ImageNet top-1", "these cells")


def test_no_trend_is_cant_tell_with_the_numbers():
    rng = np.random.default_rng(3)
    x = np.arange(12.0)
    result = zc.trend(x, rng.permutation(x))
    assert not result.clear
    text = zc.trend_sentence(result, "depth")
    assert "cannot be told apart from none" in text and "12 networks" in text and f"{result.rho:+.2f}" in text


def test_four_networks_can_never_show_a_trend_and_the_sentence_says_why():
    result = zc.trend([1, 2, 3, 4], [0.1, 0.2, 0.3, 0.4])
    assert result.rho == pytest.approx(1.0)
    assert result.smallest_p == pytest.approx(2 / 24) and result.p == pytest.approx(2 / 24)
    assert not result.clear
    text = zc.trend_sentence(result, "ImageNet top-1")
    assert "With 4 networks the trend cannot be told apart from none" in text and "perfect ranking" in text
    assert np.isnan(result.low) and "no interval: too few networks to resample" in text


def test_too_few_networks_or_missing_values_measure_nothing():
    result = zc.trend([75.1, np.nan, 77.6], [0.2, 0.3, np.nan])
    assert result.n == 1 and np.isnan(result.rho)
    assert "no trend can be measured" in zc.trend_sentence(result, "ImageNet top-1")
    flat = zc.trend([5, 5, 5, 5], [0.1, 0.2, 0.3, 0.4])
    assert "do not differ" in zc.trend_sentence(flat, "depth")


def test_the_bootstrap_interval_brackets_rho_and_is_reproducible():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20)
    y = x + rng.normal(size=20)
    a, b = zc.trend(x, y, seed=1), zc.trend(x, y, seed=1)
    assert a == b
    assert a.low <= a.rho <= a.high and a.high - a.low < 1.5


def test_trained_ahead_in_every_pair_of_many_is_a_finding():
    verdict = zc.paired_verdict(np.full(8, 0.3), np.full(8, 0.1))
    assert verdict.trained_better == 8 and verdict.p == pytest.approx(2 / 256)
    text = zc.pairs_sentence(verdict)
    assert text.startswith("**Trained weights predict the simulated cortex better") and "8 of 8 pairs" in text


def test_random_ahead_is_reported_as_the_opposite_of_the_papers():
    verdict = zc.paired_verdict(np.full(8, 0.1), np.full(8, 0.3))
    assert "random twins predict the simulated cortex better" in zc.pairs_sentence(verdict)
    assert "opposite of the papers" in zc.pairs_sentence(verdict)


def test_three_pairs_are_a_coin_toss_even_when_trained_wins_them_all():
    verdict = zc.paired_verdict([0.3, 0.2, 0.25], [0.1, 0.1, 0.1])
    assert verdict.trained_better == 3 and verdict.p == pytest.approx(0.25)
    text = zc.pairs_sentence(verdict)
    assert "cannot be told apart" in text and "clean sweep gives p = 0.25" in text
    assert "No network" in zc.pairs_sentence(zc.paired_verdict([], []))


def test_tasks_apart_beyond_chance_flip_to_cant_tell_with_too_few_networks():
    apart = zc.task_comparison(["ImageNet"] * 4 + ["digits"] * 4, [0.30, 0.31, 0.32, 0.33, 0.10, 0.11, 0.12, 0.13])
    assert apart.best == "ImageNet" and apart.p == pytest.approx(1 / 35)
    assert "differ beyond chance" in zc.task_sentence(apart)
    few = zc.task_comparison(["ImageNet"] * 3 + ["digits"] * 3, [0.30, 0.31, 0.32, 0.10, 0.11, 0.12])
    assert few.smallest_p == pytest.approx(0.1)
    text = zc.task_sentence(few)
    assert "cannot be told apart from chance" in text and "ImageNet: 0.310 (3 networks)" in text
    mixed = zc.task_comparison(["a", "b", "a", "b", "a", "b", "a", "b"], [0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4])
    assert mixed.p > 0.5
    assert "nothing to compare" in zc.task_sentence(zc.task_comparison(["a", "a"], [0.1, 0.2]))


def test_chance_is_called_chance():
    assert zc.chance_sentence([0.2, 0.3], [0.01, 0.02]).startswith("Every one of the 2 networks")
    assert "it is not a test" in zc.chance_sentence([0.2, 0.3], [0.01, 0.02])
    text = zc.chance_sentence([0.2, 0.01], [0.01, 0.02])
    assert "1 of 2 networks score no higher than their chance level" in text


def test_the_differences_from_the_papers_name_the_simulation_and_the_count():
    text = zc.differences_text(6, simulated=True)
    assert "simulated cells" in text and "Gabor" in text and "6 networks" in text
    assert "simulated" not in zc.differences_text(6, simulated=False)
    assert "weakly" in zc.PAPER_FINDINGS and "random weights" in zc.PAPER_FINDINGS


def test_pairs_and_trained_rows_come_from_the_summary():
    summary = pd.DataFrame({"model": ["a", "a", "b", "c"], "weights": ["pretrained", "random", "pretrained", "random"],
                            "title": ["A", "A", "B", "C"], "score": [0.3, 0.1, 0.2, 0.05],
                            "trained": [True, False, True, False]})
    pairs = zc.pair_table(summary)
    assert pairs.to_dict("records") == [{"model": "a", "title": "A", "trained": 0.3, "random": 0.1}]
    assert list(zc.trained_only(summary)["model"]) == ["a", "b"]
