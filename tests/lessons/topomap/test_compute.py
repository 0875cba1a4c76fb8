"""Topographic maps: layout in the unit square, planted groups, exact linear interpolation, float blur metric."""

from __future__ import annotations

import numpy as np

from lessons.topomap import compute as topomap


def test_class_means_subtract_the_mean_over_classes():
    acts = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    p = topomap.class_mean_profiles(acts, np.array([0, 0, 1]), 2)
    np.testing.assert_allclose(p, [[1.0, -1.0], [-2.0, 2.0]])


def test_pca_layout_separates_planted_groups():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=20), rng.normal(size=20)
    profiles = np.vstack([a + 0.05 * rng.normal(size=(8, 20)), b + 0.05 * rng.normal(size=(8, 20))])
    xy = topomap.pca_layout(profiles)
    assert xy.shape == (16, 2) and np.isfinite(xy).all() and xy.min() >= 0 and xy.max() <= 1
    d = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    assert d[:8, :8].max() < d[:8, 8:].min() and d[8:, 8:].max() < d[:8, 8:].min()


def test_interpolation_reproduces_a_linear_field_inside_the_hull():
    rng = np.random.default_rng(1)
    xy = np.vstack([[0, 0], [1, 0], [0, 1], [1, 1], rng.uniform(size=(30, 2))])
    field = 2 * xy[:, 0] - 3 * xy[:, 1] + 0.5
    maps = topomap.topomaps(xy, field[:, None], grid=50)
    g = np.linspace(0, 1, 50)
    gx, gy = np.meshgrid(g, g)
    np.testing.assert_allclose(maps[0], 2 * gx - 3 * gy + 0.5, atol=1e-9)


def test_blur_error_is_zero_for_constant_and_grows_for_checkerboard():
    assert topomap.auc(topomap.blur_errors(np.full((2, 40, 40), 3.0))) < 1e-20
    checker = (np.indices((40, 40)).sum(axis=0) // 4 % 2)[None].astype(np.uint8) * 255
    errors = topomap.blur_errors(checker)
    assert errors[0] > 0 and np.all(np.diff(errors) >= 0)


def test_resample_error_is_zero_for_constant_and_positive_for_fine_detail():
    assert topomap.auc(topomap.resample_errors(np.full((1, 100, 100), -2.0))) < 1e-20
    checker = (np.indices((100, 100)).sum(axis=0) % 2)[None].astype(np.uint8) * 255
    errors = topomap.resample_errors(checker)
    assert errors.shape == (10,) and errors.min() > 0.01


def test_components_count_planted_blobs_and_ignore_faint_or_tiny_ones():
    maps = np.zeros((1, 100, 100))
    maps[0, 10:30, 10:30] = 1.0  # red blob, 400 px
    maps[0, 60:80, 60:90] = -1.0  # blue blob, 600 px
    maps[0, 50:52, 5:7] = 1.0  # 4 px: below the size limit
    maps[0, 85:95, 10:30] = 0.05  # too faint to be visibly coloured
    count, size = topomap.components(maps)
    assert count == 2 and size == 500
    assert topomap.components(np.full((3, 50, 50), 2.0)) == (1.0, 2500.0)
    assert topomap.components(np.zeros((2, 50, 50))) == (0.0, 0.0)


def test_quality_rates_a_smooth_field_better_than_noise():
    g = np.linspace(0, 1, 100)
    smooth = np.sin(3 * g)[None, :, None] * np.cos(2 * g)[None, None, :]
    noise = np.random.default_rng(3).normal(size=(1, 100, 100))
    good, bad = topomap.quality(smooth), topomap.quality(noise)
    assert good["blur_auc"] < bad["blur_auc"] and good["resample_auc"] < bad["resample_auc"]
    assert good["components"] < bad["components"]


def test_class_order_puts_similar_classes_next_to_each_other():
    rng = np.random.default_rng(4)
    base = rng.normal(size=(30, 3))
    # classes 0, 2, 4 share pattern 0; 1, 3 share pattern 1; 5 is pattern 2
    profiles = np.column_stack([base[:, k] + 0.05 * rng.normal(size=30) for k in (0, 1, 0, 1, 0, 2)])
    order = list(topomap.class_order(profiles))
    assert sorted(order) == list(range(6))
    positions = {c: order.index(c) for c in range(6)}
    assert max(positions[c] for c in (0, 2, 4)) - min(positions[c] for c in (0, 2, 4)) == 2
    assert abs(positions[1] - positions[3]) == 1


def test_group_profiles_and_top_images_match_brute_force():
    rng = np.random.default_rng(5)
    acts = rng.normal(size=(20, 4, 3, 3))
    groups = [np.array([0, 3, 5]), np.array([7]), np.array([], dtype=int)]
    reference = rng.normal(size=4)
    out = topomap.group_profiles(acts, groups, reference)
    pooled = acts.mean(axis=(2, 3))
    np.testing.assert_allclose(out[:, 0], pooled[[0, 3, 5]].mean(axis=0) - reference, rtol=1e-5)
    np.testing.assert_allclose(out[:, 1], pooled[7] - reference, rtol=1e-5)
    assert np.isnan(out[:, 2]).all()
    top = topomap.top_images(acts, 2, k=4)
    np.testing.assert_array_equal(top, np.argsort(-pooled[:, 2])[:4])


def test_preferred_classes_are_each_units_strongest_column():
    profiles = np.array([[0.1, 0.7, -0.2], [-1.0, -2.0, -0.5], [3.0, 3.0, 1.0]])
    np.testing.assert_array_equal(topomap.preferred_classes(profiles), [1, 2, 0])  # a tie goes to the first


def scattered_field(units: int = 150, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Units at random places (and the four corners) carrying a smooth field's values."""
    xy = np.vstack([[0, 0], [1, 0], [0, 1], [1, 1], np.random.default_rng(seed).uniform(size=(units - 4, 2))])
    return xy, np.sin(3 * xy[:, 0]) * np.cos(2 * xy[:, 1])


def roughness(one_map: np.ndarray) -> float:
    """The largest absolute discrete Laplacian inside a map's finite area (creases of a triangulation show up here)."""
    lap = (one_map[1:-1, :-2] + one_map[1:-1, 2:] + one_map[:-2, 1:-1] + one_map[2:, 1:-1] - 4 * one_map[1:-1, 1:-1])
    return float(np.nanmax(np.abs(lap)))


def test_smoothing_hides_the_triangulation_but_keeps_the_field():
    xy, field = scattered_field()
    linear = topomap.topomaps(xy, field[:, None])[0]
    smooth = topomap.smooth_topomaps(xy, field[:, None])[0]
    assert roughness(smooth) < roughness(linear) / 4  # the triangles' creases are gone
    g = np.linspace(0, 1, topomap.GRID)
    gx, gy = np.meshgrid(g, g)
    truth = np.sin(3 * gx) * np.cos(2 * gy)
    assert np.nanmean(np.abs(smooth - truth)) < 0.03  # ...and the map still shows the field the units carry


def test_smoothing_keeps_the_hull_constants_and_the_range():
    xy = np.random.default_rng(3).uniform(0.2, 0.8, size=(60, 2))  # the hull covers part of the sheet only
    values = np.column_stack([np.full(60, 2.5), np.random.default_rng(4).normal(size=60)])
    linear = topomap.topomaps(xy, values)
    smooth = topomap.smooth_topomaps(xy, values)
    assert (np.isfinite(smooth) == np.isfinite(linear)).all() and 0.2 < np.isfinite(smooth[0]).mean() < 0.5
    np.testing.assert_allclose(smooth[0][np.isfinite(smooth[0])], 2.5)  # the blank outside never leaks in
    inside = smooth[1][np.isfinite(smooth[1])]
    assert values[:, 1].min() - 1e-9 <= inside.min() and inside.max() <= values[:, 1].max() + 1e-9  # no overshoot
    np.testing.assert_array_equal(topomap.smooth(linear, 0.0), linear)


def test_smoothing_width_follows_the_units_spacing_within_bounds():
    widths = [topomap.smoothing_sigma(n) for n in (4, 16, 128, 320, 100_000)]
    assert widths == sorted(widths, reverse=True) and widths[0] == 12.0 and widths[-1] == 1.0
    assert topomap.smoothing_sigma(100) == 5.0  # half of 100 px / √100 units
