"""Exact t-SNE and the Fruchterman–Reingold layout: perplexity calibration, cluster separation, parity with the
library versions on the same data."""

from __future__ import annotations

import networkx as nx
import numpy as np
from scipy.spatial.distance import cdist, pdist, squareform
from sklearn.manifold import TSNE, trustworthiness

from lessons.topomap import embedding


def clusters(seed: int = 0, per: int = 20, dims: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(3, dims))
    x = np.vstack([c + rng.normal(size=(per, dims)) for c in centres])
    return x, np.repeat(np.arange(3), per)


def test_affinities_are_row_stochastic_with_the_requested_perplexity():
    x, _ = clusters()
    p = embedding.conditional_affinities(squareform(pdist(x, "sqeuclidean")), perplexity=10.0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    assert np.all(np.diag(p) == 0)
    entropy = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=1)
    np.testing.assert_allclose(np.exp(entropy), 10.0, rtol=1e-3)


def test_tsne_separates_clusters_and_preserves_neighbourhoods_as_well_as_scikit_learn():
    x, labels = clusters(1)
    d = squareform(pdist(x, "sqeuclidean"))
    start = x[:, :2] - x[:, :2].mean(axis=0)
    ours = embedding.tsne(d, start, perplexity=15.0)
    assert ours.shape == (60, 2) and np.isfinite(ours).all()
    within = cdist(ours, ours)[labels[:, None] == labels[None, :]].mean()
    between = cdist(ours, ours)[labels[:, None] != labels[None, :]].mean()
    assert within < 0.5 * between
    library = TSNE(perplexity=15.0, init=start, random_state=0).fit_transform(x)
    assert trustworthiness(x, ours, n_neighbors=5) > trustworthiness(x, library, n_neighbors=5) - 0.02
    np.testing.assert_allclose(ours, embedding.tsne(d, start, perplexity=15.0))  # deterministic


def test_fruchterman_reingold_keeps_edges_short_like_networkx():
    graph = nx.connected_watts_strogatz_graph(60, 4, 0.1, seed=2)
    adjacency = nx.to_numpy_array(graph)
    ours = embedding.fruchterman_reingold(adjacency, seed=3)
    theirs = np.array(list(nx.fruchterman_reingold_layout(graph, seed=3, iterations=200).values()))

    def edge_ratio(xy: np.ndarray) -> float:
        d = cdist(xy, xy)
        return d[adjacency > 0].mean() / d[np.triu_indices(60, 1)].mean()

    assert edge_ratio(ours) < 0.5
    assert edge_ratio(ours) < 1.25 * edge_ratio(theirs)
    np.testing.assert_array_equal(ours, embedding.fruchterman_reingold(adjacency, seed=3))
