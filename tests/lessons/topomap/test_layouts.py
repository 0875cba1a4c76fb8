"""Unit layouts for topographic maps: one finite point per unit in [0, 1]², planted groups kept apart."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy.spatial.distance import cdist

from lessons.topomap import compute as topomap
from lessons.topomap import layouts

METHODS = tuple(layouts.LAYOUTS)


def planted_groups(n_per_group: int = 12, features: int = 10, noise: float = 0.1, seed: int = 0) -> np.ndarray:
    """Two groups of co-active units: each group's profiles scatter around its own random pattern."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=features), rng.normal(size=features)
    return np.vstack([a + noise * rng.normal(size=(n_per_group, features)),
                      b + noise * rng.normal(size=(n_per_group, features))])


def group_distances(xy: np.ndarray, n_per_group: int) -> tuple[float, float, float]:
    """Mean distance inside group A, inside group B, and between the groups."""
    d = cdist(xy, xy)
    h = n_per_group
    inside_a = d[:h, :h].sum() / (h * (h - 1))
    inside_b = d[h:, h:].sum() / (h * (h - 1))
    return inside_a, inside_b, d[:h, h:].mean()


@pytest.mark.parametrize("refined", [False, True], ids=["plain", "refined"])
@pytest.mark.parametrize("method", METHODS)
def test_every_layout_gives_finite_points_in_the_unit_square_and_keeps_planted_groups_apart(method, refined):
    profiles = planted_groups()
    xy = layouts.layout(profiles, method, "cosine", seed=0, refined=refined)
    assert xy.shape == (24, 2) and np.isfinite(xy).all()
    assert xy.min() >= 0.0 and xy.max() <= 1.0 and np.isclose(np.ptp(xy, axis=0).max(), 1.0)
    inside_a, inside_b, between = group_distances(xy, 12)
    assert inside_a < between and inside_b < between, (inside_a, inside_b, between)


@pytest.mark.parametrize("method", ["pca", "tsne", "umap", "force"])
def test_strong_layouts_put_every_unit_nearer_its_own_group_with_euclidean_distance(method):
    xy = layouts.layout(planted_groups(seed=3), method, "euclidean", seed=1)
    d = cdist(xy, xy)
    own = np.where(np.arange(24) < 12, d[:, :12].sum(1), d[:, 12:].sum(1)) / 11
    other = np.where(np.arange(24) < 12, d[:, 12:].mean(1), d[:, :12].mean(1))
    assert (own < other).all()


def test_cosine_and_euclidean_distances_match_brute_force_and_dead_units_are_far():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6, 5))
    x[4] = 0.0
    cos = layouts.distances(x, "cosine")
    for i in range(6):
        for j in range(6):
            if i == j:
                assert cos[i, j] == 0
            elif 4 in (i, j):
                assert cos[i, j] == 1
            else:
                expected = 1 - x[i] @ x[j] / np.linalg.norm(x[i]) / np.linalg.norm(x[j])
                assert cos[i, j] == pytest.approx(expected)
    np.testing.assert_allclose(layouts.distances(x, "euclidean"), np.linalg.norm(x[:, None] - x[None], axis=-1))
    with pytest.raises(ValueError, match="unknown metric"):
        layouts.distances(x, "manhattan")


def test_som_grid_has_a_node_for_every_unit():
    assert [layouts.som_grid_size(n) for n in (1, 3, 16, 128)] == [2, 2, 5, 12]
    assert all(layouts.som_grid_size(n) ** 2 >= n for n in range(1, 300))


def test_threshold_graph_is_connected_and_holds_every_short_edge():
    profiles = planted_groups(n_per_group=20, seed=4)
    d = layouts.distances(profiles)
    adjacency = layouts.threshold_graph(d)
    assert (adjacency == adjacency.T).all() and not adjacency.diagonal().any()
    assert nx.is_connected(nx.from_numpy_array(adjacency.astype(np.int8)))
    threshold = np.percentile(d[~np.eye(40, dtype=bool)], layouts.GRAPH_PERCENTILE)
    short = (d < threshold) & ~np.eye(40, dtype=bool)
    assert adjacency[short].all()
    assert adjacency[:20, 20:].sum() == 1  # the two groups are joined by one edge, not one per fragment


def test_refinement_spreads_crowded_units_but_keeps_the_start_arrangement():
    rng = np.random.default_rng(5)
    start = np.vstack([rng.normal([0.2, 0.2], 0.01, size=(10, 2)), rng.normal([0.8, 0.8], 0.01, size=(10, 2))])
    profiles = np.vstack([np.tile([1.0, 0.0], (10, 1)), np.tile([0.0, 1.0], (10, 1))]) + 0.01 * rng.normal(size=(20, 2))
    refined = layouts.refine(profiles, start)
    nearest = lambda xy: np.sort(cdist(xy, xy), axis=1)[:, 1]
    assert nearest(refined).min() > nearest(topomap.scale_unit_square(start)).min()
    inside_a, inside_b, between = group_distances(refined, 10)
    assert max(inside_a, inside_b) < between


def test_layouts_are_reproducible_with_a_seed_and_unknown_names_are_refused():
    profiles = planted_groups(seed=6)
    for method in ("som", "graph", "force", "tsne"):
        np.testing.assert_allclose(layouts.layout(profiles, method, seed=3), layouts.layout(profiles, method, seed=3))
    with pytest.raises(ValueError, match="unknown layout"):
        layouts.layout(profiles, "mds")
    with pytest.raises(ValueError, match="at least 3 units"):
        layouts.layout(profiles[:2], "pca")
