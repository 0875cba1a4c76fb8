"""Topographic-map quality on one colour scale per layer (Krug et al.), and the page's computed sentences."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from lessons.topomap import compute as topomap
from lessons.topomap import pipeline as topomap_pipeline


def _checker(size: int = 100, period: int = 4) -> np.ndarray:
    return (np.indices((size, size)).sum(axis=0) // period % 2) * 2.0 - 1.0  # ±1 squares


def test_rendered_maps_share_one_scale_matching_a_hand_computation():
    maps = np.array([[[2.0, -4.0], [0.0, np.nan]], [[1.0, 0.5], [-1.0, 0.0]]])
    assert topomap.layer_limit(maps) == 4.0
    expected = np.array([[[0.75, 0.0], [0.5, 0.5]], [[0.625, 0.5625], [0.375, 0.5]]])
    np.testing.assert_allclose(topomap.rendered(maps), expected)
    np.testing.assert_allclose(topomap.rendered(maps, limit=2.0)[1], [[0.75, 0.625], [0.25, 0.5]])


def test_a_low_amplitude_map_keeps_its_small_error_instead_of_being_blown_up():
    g = np.linspace(0, 1, 100)
    loud = np.outer(np.sin(3 * g), np.cos(2 * g))  # a smooth map at full colour
    quiet = 0.01 * np.random.default_rng(0).normal(size=(100, 100))  # nearly flat: faint noise
    layer = np.stack([loud, quiet])
    # by hand: blur is linear, so rendering one map at 1/limit of full scale scales its squared error by that²
    loud_alone = topomap.blur_errors(loud[None])
    quiet_alone = topomap.blur_errors(quiet[None])  # a single map: its own limit, i.e. per-map normalisation
    quiet_scale = np.abs(quiet).max() / np.abs(loud).max()
    np.testing.assert_allclose(topomap.blur_errors(layer), (loud_alone + quiet_alone * quiet_scale**2) / 2,
                               rtol=1e-9)
    per_map = (loud_alone + quiet_alone) / 2  # what normalising each class map separately gives
    assert topomap.auc(topomap.blur_errors(layer)) < 0.1 * topomap.auc(per_map)
    resampled = topomap.resample_errors(layer)
    np.testing.assert_allclose(resampled, (topomap.resample_errors(loud[None])
                                           + topomap.resample_errors(quiet[None]) * quiet_scale**2) / 2, rtol=1e-9)


def test_blur_error_of_a_two_map_layer_equals_a_direct_computation():
    g = np.linspace(0, 1, 60)
    first = np.outer(np.sin(4 * g), np.ones(60)) * 3.0
    second = -first / 3.0
    limit = np.abs(first).max()  # the louder map sets the layer's scale
    drawn = np.stack([0.5 + 0.5 * first / limit, 0.5 + 0.5 * second / limit])
    direct = np.mean((ndimage.gaussian_filter(drawn, sigma=(0, 2, 2)) - drawn) ** 2)
    assert topomap.blur_errors(np.stack([first, second]), levels=1)[0] == pytest.approx(direct, rel=1e-12)


def test_blobs_are_counted_on_the_layer_scale_so_a_faint_map_has_none():
    loud = np.zeros((100, 100))
    loud[10:40, 10:40] = 1.0
    faint = np.zeros((100, 100))
    faint[50:80, 50:80] = 0.04  # under 5 % of the layer's limit: not visibly coloured
    faint[5:25, 60:90] = -0.04
    assert topomap.components(faint[None]) == (2.0, 750.0)  # on its own scale: two full-colour blobs
    count, size = topomap.components(np.stack([loud, faint]))
    assert count == 0.5 and size == 450.0  # (1 + 0) blobs / 2 maps; sizes (900 + 0) / 2


def test_neighbour_sentence_flips_with_the_similarity():
    coords = np.array([[0.0, 0.0], [0.1, 0.0], [1.0, 1.0], [0.9, 1.0]])
    alike = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.2]])
    neighbour, similarity, mean = topomap.nearest_neighbour(coords, alike, 0)
    assert neighbour == 1 and similarity > mean
    assert "more alike than an average unit" in topomap.neighbour_summary(0, neighbour, similarity, mean)
    unlike = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.1], [0.9, 0.0]])  # unit 1's sheet neighbour is orthogonal
    neighbour, similarity, mean = topomap.nearest_neighbour(coords, unlike, 1)
    text = topomap.neighbour_summary(1, neighbour, similarity, mean)
    assert neighbour == 0 and "*not* more alike" in text and f"{similarity:.2f}" in text


def test_error_gap_sentence_says_chance_when_the_groups_do_not_differ():
    rng = np.random.default_rng(1)
    same = rng.normal(size=(60, 20))
    observed, chance = topomap.group_gap(same, np.arange(50), np.arange(50, 60), shuffles=100)
    assert len(chance) == 100 and "no better than chance" in topomap.group_gap_summary(observed, chance, 10)
    shifted = same.copy()
    shifted[50:] += 2.0
    observed, chance = topomap.group_gap(shifted, np.arange(50), np.arange(50, 60), shuffles=100)
    text = topomap.group_gap_summary(observed, chance, 10)
    assert "above chance" in text and f"{observed:.3f}" in text
    np.testing.assert_allclose(observed, 2.0, atol=0.5)


def _scores(blur: list[float], resample: list[float], blobs: list[float]) -> dict[str, dict[str, float]]:
    names = ["PCA", "UMAP", topomap_pipeline.CHANCE]
    return {n: {"blur_auc": b, "resample_auc": r, "components": c} for n, b, r, c in zip(names, blur, resample, blobs)}


def test_ranking_sentence_names_the_winners_and_the_layouts_chance_beats():
    text = topomap_pipeline.ranking_summary(_scores([0.1, 0.2, 0.3], [0.1, 0.2, 0.3], [2, 3, 9]))
    assert "by both errors: **PCA**" in text and "Fewest blobs per map: **UMAP**" not in text
    assert "Every layout is smoother than the random placement" in text
    text = topomap_pipeline.ranking_summary(_scores([0.2, 0.1, 0.15], [0.1, 0.2, 0.3], [4, 3, 9]))
    assert "disagree" in text and "blur error is **UMAP**" in text and "sampling error **PCA**" in text
    assert "Fewest blobs per map: **UMAP** (3.0)" in text
    assert "Not smoother than the random placement by blur error (0.1500): **PCA**." in text
