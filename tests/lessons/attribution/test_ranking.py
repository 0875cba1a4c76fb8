"""Ranking and comparing attribution maps: top classes, deletion curves and areas, sanity-check correlations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lessons.attribution import compute as attribution
from lessons.attribution import ranking
from lessons.core import data, preprocess


def test_top_classes_are_the_most_probable_best_first():
    probs = np.array([0.05, 0.4, 0.1, 0.3, 0.15])
    assert ranking.top_classes(probs, k=3) == [1, 3, 4]
    assert ranking.top_classes(probs, k=10) == [1, 3, 4, 2, 0]


def _maps(*heatmaps: np.ndarray) -> list[attribution.Attribution]:
    return [attribution.Attribution(method, heatmap, 0.0) for method, heatmap in zip(attribution.METHODS, heatmaps)]


def test_deletion_curves_of_every_map_then_the_random_reference(digits):
    x = preprocess.prepare_batch([data.mnist_split()[2][0]], digits.spec)
    target = 7
    rng = np.random.default_rng(1)
    heatmaps = [rng.random((28, 28)).astype(np.float32) for _ in range(2)]
    curves = ranking.deletion_curves(digits, x, target, _maps(*heatmaps), baseline="grey", steps=5)
    assert [c.title for c in curves] == ["Saliency (SmoothGrad)", "Grad-CAM", attribution.RANDOM_MAP_TITLE]
    for curve, heatmap in zip(curves, [*heatmaps, attribution.random_heatmap((28, 28))]):
        removed, probability = attribution.deletion_curve(digits, x, target, heatmap, steps=5, baseline="grey")
        np.testing.assert_allclose(curve.removed, removed)
        np.testing.assert_allclose(curve.probability, probability, rtol=1e-5)
        assert curve.area == pytest.approx(attribution.area_under(removed, probability))
    with pytest.raises(ValueError, match="no attribution maps"):
        ranking.deletion_curves(digits, x, target, [])


def _curve(title: str, area: float) -> ranking.DeletionCurve:
    return ranking.DeletionCurve(title, np.zeros(2), np.zeros(2), area)


def test_areas_are_ranked_as_shown_smallest_first_and_ties_keep_their_order():
    curves = [_curve("a", 0.30041), _curve("b", 0.1), _curve("c", 0.30038), _curve("random", 0.2)]
    assert ranking.areas_ranked(curves) == [("b", 0.1), ("random", 0.2), ("a", 0.3), ("c", 0.3)]


def test_sanity_correlations_compare_each_twin_map_with_the_trained_one():
    ramp = np.arange(16, dtype=np.float32).reshape(4, 4)
    trained = _maps(ramp, ramp)
    twins = {"same": _maps(ramp * 2, ramp), "flipped": _maps(-ramp, np.zeros((4, 4)))}
    correlations = ranking.sanity_correlations(trained, twins)
    assert correlations["saliency"] == {"same": pytest.approx(1.0), "flipped": pytest.approx(-1.0)}
    assert correlations["gradcam"]["same"] == pytest.approx(1.0) and math.isnan(correlations["gradcam"]["flipped"])
    with pytest.raises(ValueError, match="same methods"):
        ranking.sanity_correlations(trained, {"short": trained[:1]})


def test_correlations_keep_the_trained_methods_order():
    maps = _maps(*(np.random.default_rng(i).random((3, 3)) for i in range(4)))
    assert list(ranking.sanity_correlations(maps, {"twin": maps})) == list(attribution.METHODS)
