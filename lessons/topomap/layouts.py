"""Where to put each unit on the sheet: layouts of units from their profiles, for topographic activation maps.

Every layout takes the unit profiles (units, features) and returns one point per unit in [0, 1]², so any layout can be
drawn as a class map, scored with `lessons.topomap.compute`'s smoothness metrics, or refined by the force-directed step.
The methods follow Krug et al.: PCA, t-SNE (PCA start; exact, see `lessons.topomap.embedding`), UMAP, a self-organising map (MiniSom: a ⌊√n⌋+1 square grid,
sigma 1, learning rate 0.5, 10·n iterations), a graph layout (Fruchterman–Reingold on the edges under the 7.5th
distance percentile, small components linked to the largest), and their force-directed particle layout.

Pure compute (no Streamlit); numpy in, numpy out; every random choice takes a seed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.spatial.distance import pdist, squareform

from lessons.topomap import embedding
from lessons.topomap.compute import pca_layout, scale_unit_square

METRICS: tuple[str, ...] = ("cosine", "euclidean")
LAYOUTS: dict[str, str] = {
    "pca": "PCA",
    "tsne": "t-SNE",
    "umap": "UMAP",
    "som": "Self-organising map",
    "graph": "Graph (Fruchterman–Reingold)",
    "force": "Force-directed (particles)",
}
GRAPH_PERCENTILE = 7.5
FORCE_STEPS = 1000


def distances(profiles: np.ndarray, metric: str = "cosine") -> np.ndarray:
    """Square matrix (units, units) of pairwise cosine or euclidean distances between unit profiles.

    A unit that never varies (all-zero profile) has no direction; its cosine distance to every other unit is 1.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of {METRICS}")
    x = np.asarray(profiles, dtype=np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        unit = np.divide(x, norms, out=np.zeros_like(x), where=norms > 1e-12)
        d = 1.0 - unit @ unit.T
        dead = norms[:, 0] <= 1e-12
        d[dead, :] = d[:, dead] = 1.0
        np.fill_diagonal(d, 0.0)
        return np.clip(d, 0.0, 2.0)
    return squareform(pdist(x, "euclidean"))


def tsne_layout(profiles: np.ndarray, metric: str = "cosine", seed: int = 0) -> np.ndarray:
    """Exact t-SNE of the units, started from PCA (so no randomness), perplexity ≤ 30 and below a third of the
    units; euclidean distances are squared, as t-SNE's Gaussian kernel expects. In [0, 1]²."""
    x = np.asarray(profiles, dtype=np.float64)
    if len(x) < 5:
        return pca_layout(x, metric)
    d = distances(x, metric)
    return scale_unit_square(embedding.tsne(d**2 if metric == "euclidean" else d, start=pca_layout(x, metric)))


def umap_layout(profiles: np.ndarray, metric: str = "cosine", seed: int = 0, n_neighbors: int = 15,
                min_dist: float = 0.1) -> np.ndarray:
    """UMAP of the units on the chosen metric (spectral start), in [0, 1]²."""
    import umap

    x = np.asarray(profiles, dtype=np.float32)
    n = len(x)
    if n < 5:
        return pca_layout(x, metric)
    reducer = umap.UMAP(n_components=2, n_neighbors=int(min(n_neighbors, n - 1)), min_dist=float(min_dist),
                        metric=metric, random_state=int(seed), init="spectral", n_jobs=1)
    return scale_unit_square(reducer.fit_transform(x))


def som_grid_size(n_units: int) -> int:
    """Side of the square SOM: ⌊√n⌋ + 1, so there is a node for every unit (at least 2)."""
    return max(2, int(np.sqrt(n_units)) + 1)


def som_layout(profiles: np.ndarray, metric: str = "cosine", seed: int = 0, epochs: int = 10) -> np.ndarray:
    """Each unit at its best-matching node of a trained square SOM; units sharing a node sit on a small circle."""
    from minisom import MiniSom

    x = np.asarray(profiles, dtype=np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x = np.divide(x, norms, out=np.zeros_like(x), where=norms > 1e-12)
    n, features = x.shape
    side = som_grid_size(n)
    som = MiniSom(side, side, features, sigma=1.0, learning_rate=0.5, random_seed=int(seed),
                  activation_distance="cosine" if metric == "cosine" else "euclidean")
    som.random_weights_init(x)
    som.train(x, int(epochs * n), random_order=True)
    nodes = np.array([som.winner(row) for row in x], dtype=np.float64)
    coords = nodes.copy()
    rng = np.random.default_rng(seed)
    for node in np.unique(nodes, axis=0):
        members = np.flatnonzero((nodes == node).all(axis=1))
        if len(members) > 1:
            angles = rng.uniform(0, 2 * np.pi / len(members)) + 2 * np.pi * np.arange(len(members)) / len(members)
            coords[members] += 0.2 * np.column_stack([np.sin(angles), np.cos(angles)])
    return scale_unit_square(coords)


def threshold_graph(dist: np.ndarray, percentile: float = GRAPH_PERCENTILE) -> np.ndarray:
    """Adjacency (units, units) of the pairs closer than the distance percentile, made connected.

    The paper joins every small component straight to the largest one, which tears a group of similar units apart
    when it falls into several components. Here the component holding the largest one grows by its shortest edge to
    any unit outside it, again and again (Prim's rule over components), so the pieces of one group join each other
    through their own short edges before the first long edge crosses to another group.
    """
    import networkx as nx

    d = np.asarray(dist, dtype=np.float64)
    n = len(d)
    eye = np.eye(n, dtype=bool)
    threshold = np.percentile(d[~eye], percentile) if n > 1 else 0.0
    adjacency = (d < threshold) & ~eye
    components = sorted(nx.connected_components(nx.from_numpy_array(adjacency.astype(np.int8))), key=len,
                        reverse=True)
    label = np.empty(n, dtype=np.int64)
    for index, component in enumerate(components):
        label[list(component)] = index
    joined = label == 0
    while not joined.all():
        inside, outside = np.flatnonzero(joined), np.flatnonzero(~joined)
        block = d[np.ix_(inside, outside)]
        i, j = np.unravel_index(np.argmin(block), block.shape)
        a, b = inside[i], outside[j]
        adjacency[a, b] = adjacency[b, a] = True
        joined |= label == label[b]
    return adjacency


def graph_layout(profiles: np.ndarray, metric: str = "cosine", seed: int = 0,
                 percentile: float = GRAPH_PERCENTILE) -> np.ndarray:
    """Fruchterman–Reingold layout of the threshold graph of unit distances, in [0, 1]²."""
    adjacency = threshold_graph(distances(profiles, metric), percentile)
    return scale_unit_square(embedding.fruchterman_reingold(adjacency, iterations=200, seed=seed))


def _ramp(steps: int, rising: bool) -> np.ndarray:
    """The paper's schedule: (tanh(t) + 1)/2 for t from −3 to 6, or its mirror image."""
    t = np.tanh(np.linspace(-3.0, 6.0, steps))
    return (t + 1.0) / 2.0 if rising else (1.0 - t) / 2.0


def force_layout(dist: np.ndarray, start: np.ndarray | None = None, steps: int = FORCE_STEPS,
                 seed: int = 0) -> np.ndarray:
    """Krug et al.'s particle layout on a distance matrix, in [0, 1]².

    From a random start, a global force pulls units with similar profiles together and pushes dissimilar ones apart;
    it fades out while a local force (short-range repulsion, weak attraction) fades in and spreads crowded units.
    Given a `start` layout, only the local force acts: that is the refinement applied on top of another layout.
    """
    d = np.maximum(np.asarray(dist, dtype=np.float64), 0.01)
    n = len(d)
    if start is None:
        positions = np.random.default_rng(seed).uniform(size=(n, 2))
        attract, repulse = 1.5 * (1.0 - (d / d.max()) ** 3), 0.5 * np.exp(-d / 2.0)
        global_force = attract - repulse
    else:
        # The local forces act within about two length units: spread the start over 2·√n units, so that only
        # near neighbours push each other apart and the start layout's global arrangement survives.
        positions = scale_unit_square(start) * 2.0 * np.sqrt(n)
        global_force = np.zeros_like(d)
    global_weight, local_weight = _ramp(steps, rising=False), _ramp(steps, rising=True)
    x, y = positions[:, 0].astype(np.float32), positions[:, 1].astype(np.float32)
    global_force = global_force.astype(np.float32)
    for step in range(steps):
        dx, dy = x[None, :] - x[:, None], y[None, :] - y[:, None]  # d[i, j] = p_j − p_i
        gap = np.maximum(np.sqrt(dx * dx + dy * dy), np.float32(0.01))
        force = np.float32(1.5) / (gap + np.float32(1.0)) ** 3 - np.float32(15.0) * np.exp(-gap / np.float32(2.0))
        force = force * np.float32(local_weight[step] / 2.0)
        if start is None:
            force += global_force * np.float32(global_weight[step] / 2.0)
        x = x + (dx * force).mean(axis=1)
        y = y + (dy * force).mean(axis=1)
    positions = np.column_stack([x, y]).astype(np.float64)
    return scale_unit_square(positions)


def refine(profiles: np.ndarray, start: np.ndarray, metric: str = "cosine", steps: int = FORCE_STEPS) -> np.ndarray:
    """The force-directed refinement on top of any layout: spreads crowded units while keeping their neighbours."""
    return force_layout(distances(profiles, metric), start=start, steps=steps)


def _force_from_profiles(profiles: np.ndarray, metric: str = "cosine", seed: int = 0) -> np.ndarray:
    return force_layout(distances(profiles, metric), seed=seed)


def _pca(profiles: np.ndarray, metric: str = "cosine", seed: int = 0) -> np.ndarray:
    return pca_layout(profiles, metric)


LAYOUT_FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "pca": _pca,
    "tsne": tsne_layout,
    "umap": umap_layout,
    "som": som_layout,
    "graph": graph_layout,
    "force": _force_from_profiles,
}


def layout(profiles: np.ndarray, method: str = "pca", metric: str = "cosine", seed: int = 0,
           refined: bool = False) -> np.ndarray:
    """One point per unit in [0, 1]² by the named method, optionally followed by the force-directed refinement."""
    if method not in LAYOUT_FUNCTIONS:
        raise ValueError(f"unknown layout {method!r}; use one of {tuple(LAYOUT_FUNCTIONS)}")
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of {METRICS}")
    x = np.asarray(profiles, dtype=np.float64)
    if len(x) < 3:
        raise ValueError(f"a layout needs at least 3 units, got {len(x)}")
    coords = LAYOUT_FUNCTIONS[method](x, metric=metric, seed=seed)
    if refined:
        coords = refine(x, coords, metric)
    return coords
