"""Unit tests of the activation atlas's geometry: whitening, clipping, the grid of cell averages, the layout."""

from __future__ import annotations

import numpy as np
import pytest

from lessons.atlas import compute as atlas
from lessons.atlas import layout as L


def test_grid_averaging_equals_a_brute_force_mean_per_cell():
    rng = np.random.default_rng(1)
    xy, acts = rng.uniform(size=(400, 2)), rng.normal(size=(400, 6))
    cells = L.grid_cells(xy, acts, grid=5, min_count=1)
    rows, cols = np.minimum(((1 - xy[:, 1]) * 5).astype(int), 4), np.minimum((xy[:, 0] * 5).astype(int), 4)
    for k, (r, c) in enumerate(cells.kept):
        members = (rows == r) & (cols == c)
        assert cells.counts[r, c] == members.sum()
        np.testing.assert_allclose(cells.means[k], acts[members].mean(axis=0), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(cells.members(k), np.flatnonzero(members))
    assert cells.counts.sum() == 400


def test_cells_under_the_count_threshold_are_dropped():
    xy = np.array([[0.05, 0.95]] * 6 + [[0.95, 0.05]] * 2)
    cells = L.grid_cells(xy, np.ones((8, 3)), grid=4, min_count=3)
    assert cells.kept.tolist() == [[0, 0]]
    assert cells.index_of(3, 3) is None and cells.counts[3, 3] == 2
    assert len(L.grid_cells(xy, np.ones((8, 3)), grid=4, min_count=1).kept) == 2


def test_normalise_clips_to_the_percentiles():
    xy = np.concatenate([np.random.default_rng(0).uniform(size=(200, 2)), [[1e6, -1e6]]])
    out = L.normalise(xy)
    assert out.min() == 0.0 and out.max() == 1.0
    assert out[-1].tolist() == [1.0, 0.0]
    assert np.ptp(out[:-1, 0]) > 0.9  # the outlier did not squash everyone else


def test_whitening_gives_identity_covariance():
    rng = np.random.default_rng(2)
    acts = rng.normal(size=(2000, 4)) @ np.array([[3, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0.2, 0], [0, 0, 0, 5.0]])
    cov = np.cov(L.whiten(acts, shrink=0.0).T)
    np.testing.assert_allclose(cov, np.eye(4), atol=0.05)


def _planted(n_per: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 16)) * 4
    labels = np.repeat(np.arange(3), n_per)
    return np.abs(centres[labels] + rng.normal(size=(3 * n_per, 16)) * 0.3 + 10), labels


def test_tsne_layout_keeps_planted_clusters_apart_and_is_reproducible():
    acts, labels = _planted()
    xy = L.layout(acts, "tsne", perplexity=20, seed=3)
    again = L.layout(acts, "tsne", perplexity=20, seed=3)
    np.testing.assert_allclose(xy, again)
    centres = np.array([xy[labels == k].mean(axis=0) for k in range(3)])
    spread = max(np.linalg.norm(xy[labels == k] - centres[k], axis=1).mean() for k in range(3))
    gaps = [np.linalg.norm(centres[a] - centres[b]) for a in range(3) for b in range(a + 1, 3)]
    assert min(gaps) > 2 * spread


def test_unknown_layout_and_too_few_points_are_refused():
    with pytest.raises(ValueError):
        L.layout(np.ones((10, 3)), "pca")
    with pytest.raises(ValueError):
        L.layout(np.ones((3, 3)), "tsne")


def test_mosaic_places_each_icon_in_its_cell_and_class_share_scales():
    icons = np.stack([np.zeros((4, 4, 3)), np.full((4, 4, 3), 0.5)]).astype(np.float32)
    canvas = atlas.mosaic(icons, np.array([[0, 1], [2, 0]]), grid=3)
    assert canvas.shape == (12, 12, 3)
    assert canvas[0:4, 4:8].max() == 0.0 and np.allclose(canvas[8:12, 0:4], 0.5) and canvas[0:4, 0:4].min() == 1.0
    share = atlas.class_share(np.array([[1.0, 0], [3.0, 0], [2.0, 0]]), 0)
    np.testing.assert_allclose(share, [0, 1, 0.5])
    assert atlas.top_classes(np.array([[0.1, 0.9, 0.5]]), ["a", "b", "c"], k=2) == [[("b", 0.9), ("c", 0.5)]]
