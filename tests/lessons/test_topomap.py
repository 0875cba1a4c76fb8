"""Topographic maps: layout in the unit square, planted groups, exact linear interpolation, float blur metric."""

from __future__ import annotations

import numpy as np

from lessons import topomap


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
