"""Permutation chance levels: pooled p-values, the exact model-level test, Benjamini–Hochberg and shuffle plans."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from lessons.core import chance


def test_pooled_p_values_count_ties_as_at_least_as_extreme():
    null = np.array([0.1, 0.2, 0.2, 0.3])
    p = chance.pooled_p_values(np.array([0.2, 0.35, 0.0]), null)
    np.testing.assert_allclose(p, [(1 + 3) / 5, 1 / 5, 5 / 5])


def test_pooled_p_values_are_uniform_when_the_observed_values_come_from_the_null():
    rng = np.random.default_rng(0)
    p = chance.pooled_p_values(rng.normal(size=4000), rng.normal(size=20000))
    assert abs((p <= 0.05).mean() - 0.05) < 0.012
    assert stats.kstest(p, "uniform").pvalue > 0.01


def test_permutation_p_has_the_resolution_of_its_shuffles():
    null = np.linspace(-1, 0, 20)
    assert chance.permutation_p(5.0, null) == pytest.approx(1 / 21)
    assert chance.permutation_p(-5.0, null) == pytest.approx(1.0)


def test_benjamini_hochberg_matches_the_step_up_rule():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    np.testing.assert_array_equal(chance.benjamini_hochberg(p, 0.05), [True, True] + [False] * 8)
    # a p-value that fails its own threshold is still rejected when a larger one passes (step-up)
    np.testing.assert_array_equal(chance.benjamini_hochberg(np.array([0.03, 0.02]), 0.05), [True, True])
    assert not chance.benjamini_hochberg(np.full(100, 0.5)).any()
    assert chance.benjamini_hochberg(np.array([])).size == 0


def test_benjamini_hochberg_controls_false_discoveries_under_the_global_null():
    rng = np.random.default_rng(1)
    any_rejected = [chance.benjamini_hochberg(rng.uniform(size=500)).any() for _ in range(200)]
    assert np.mean(any_rejected) <= 0.1  # at most the FDR (≈ 0.05) of runs call anything


def test_shuffle_plan_is_reproducible_and_within_budget():
    plan = chance.shuffle_plan(119, 250, shuffles=20, seed=3)
    assert plan.orders.shape == (20, 119) and plan.cells.shape == (20, plan.cells_per_shuffle)
    assert plan.shuffles * plan.cells_per_shuffle <= chance.NULL_BUDGET * 250 + 20
    assert all(sorted(order) == list(range(119)) for order in plan.orders)
    np.testing.assert_array_equal(plan.cells, chance.shuffle_plan(119, 250, shuffles=20, seed=3).cells)
    y = np.arange(119 * 250, dtype=float).reshape(119, 250)
    shuffled = plan.shuffled_responses(y)
    assert shuffled.shape == (119, 20 * plan.cells_per_shuffle)
    np.testing.assert_array_equal(shuffled[:, 0], y[plan.orders[0], plan.cells[0, 0]])
    assert chance.cells_per_shuffle(5, 20) == 5  # few cells: every shuffle scores all of them
    assert chance.cells_per_shuffle(1000, 100) == chance.cells_per_shuffle(1000, 20) == 100  # more shuffles cost more
    assert chance.cells_per_shuffle(1000, 5) == 400
    assert chance.shuffle_plan(119, 10, shuffles=0).shuffled_responses(y[:, :10]).shape == (119, 0)


def test_verdict_words_flip_with_the_numbers():
    null = np.random.default_rng(2).normal(0, 0.01, size=20)
    above = chance.verdict(0.2, null)
    below = chance.verdict(0.0, null)
    assert above.above_chance and above.words.startswith("above chance")
    assert not below.above_chance and below.words.startswith("no better than chance")
    assert "smallest 20 shuffles" in above.words
    assert chance.format_p(0.0004) == "p < 0.001"
