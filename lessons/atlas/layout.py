"""The activation atlas's geometry: whitening, a 2-D layout (UMAP or t-SNE), percentile clipping and the grid of cells.

Pure numpy (UMAP and scikit-learn only inside `layout`), so every step can be checked on planted data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LAYOUTS = ("umap", "tsne")
DEFAULT_NEIGHBORS = 20
DEFAULT_MIN_DIST = 0.01
DEFAULT_PERPLEXITY = 30.0
DEFAULT_UMAP_EPOCHS = 200


def whiten(acts: np.ndarray, shrink: float = 0.01) -> np.ndarray:
    """ZCA-whitened activations (N, C): centred, covariance ≈ identity; `shrink` × the mean variance is added to
    every eigenvalue so that near-empty directions are not blown up into noise."""
    x = np.asarray(acts, dtype=np.float64)
    centred = x - x.mean(axis=0, keepdims=True)
    cov = centred.T @ centred / max(len(x) - 1, 1)
    values, vectors = np.linalg.eigh(cov)
    values = np.clip(values, 0.0, None) + shrink * max(float(values.mean()), 1e-12)
    zca = (vectors / np.sqrt(values)) @ vectors.T
    return (centred @ zca).astype(np.float32)


def whitening_matrix(acts: np.ndarray, shrink: float = 0.01) -> np.ndarray:
    """S = (M + shrink·mean(diag M)·I)⁻¹ for the second-moment matrix M of the activations (C, C).

    Multiplying a direction by S before optimising (Carter et al.'s recipe) stops the image from simply chasing the
    channels that are large everywhere, so each cell's icon shows what sets that cell apart.
    """
    x = np.asarray(acts, dtype=np.float64)
    moment = x.T @ x / max(len(x), 1)
    ridge = shrink * max(float(np.trace(moment)) / len(moment), 1e-12)
    return np.linalg.inv(moment + ridge * np.eye(len(moment))).astype(np.float32)


def layout(acts: np.ndarray, method: str = "umap", n_neighbors: int = DEFAULT_NEIGHBORS,
           min_dist: float = DEFAULT_MIN_DIST, perplexity: float = DEFAULT_PERPLEXITY, seed: int = 0,
           whitened: bool = True, n_epochs: int = DEFAULT_UMAP_EPOCHS) -> np.ndarray:
    """2-D positions (N, 2) of activation vectors by cosine distance (of the whitened vectors when `whitened`, this
    app's variant; of the raw ones otherwise, as Carter et al.): UMAP or t-SNE (init PCA)."""
    x = whiten(acts) if whitened else np.asarray(acts, dtype=np.float32)
    n = len(x)
    if n < 4:
        raise ValueError(f"a layout needs at least 4 points, got {n}")
    if method == "umap":
        import umap  # noqa: PLC0415  (a few seconds to import, and its first fit compiles code)

        reducer = umap.UMAP(n_components=2, n_neighbors=int(min(n_neighbors, n - 1)), min_dist=float(min_dist),
                            metric="cosine", random_state=int(seed), n_epochs=int(n_epochs), init="spectral")
        return np.asarray(reducer.fit_transform(x), dtype=np.float32)
    if method == "tsne":
        from sklearn.manifold import TSNE  # noqa: PLC0415

        tsne = TSNE(n_components=2, perplexity=float(min(perplexity, (n - 1) / 3)), metric="cosine", init="pca",
                    random_state=int(seed))
        return np.asarray(tsne.fit_transform(x), dtype=np.float32)
    raise ValueError(f"unknown layout {method!r}; use one of {LAYOUTS}")


def normalise(xy: np.ndarray, low: float = 1.0, high: float = 99.0) -> np.ndarray:
    """Clip each axis to its [low, high] percentiles and scale it to [0, 1] (outliers land on the border)."""
    xy = np.asarray(xy, dtype=np.float64)
    lo = np.percentile(xy, low, axis=0)
    hi = np.percentile(xy, high, axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return np.clip((xy - lo) / span, 0.0, 1.0).astype(np.float32)


@dataclass(frozen=True)
class Cells:
    """The atlas's grid: which cell every point fell in, and the kept cells' counts and mean activations."""

    grid: int
    assignment: np.ndarray  # (N,) flat cell index row * grid + col of each point
    counts: np.ndarray  # (grid, grid) points per cell, kept or not
    kept: np.ndarray  # (K, 2) (row, col) of the cells with at least min_count points, row-major order
    means: np.ndarray  # (K, C) mean activation of each kept cell
    min_count: int

    def members(self, k: int) -> np.ndarray:
        """Indices of the points that fell in kept cell k."""
        row, col = self.kept[k]
        return np.flatnonzero(self.assignment == row * self.grid + col)

    def index_of(self, row: int, col: int) -> int | None:
        """Position of cell (row, col) among the kept cells, or None when it was dropped or empty."""
        hits = np.flatnonzero((self.kept[:, 0] == row) & (self.kept[:, 1] == col))
        return int(hits[0]) if len(hits) else None


def cell_of(xy01: np.ndarray, grid: int) -> np.ndarray:
    """(row, col) of each point of a [0, 1]² layout on a grid×grid lattice; row 0 is the top (largest y)."""
    xy01 = np.asarray(xy01, dtype=np.float64)
    col = np.minimum((xy01[:, 0] * grid).astype(int), grid - 1)
    row = np.minimum(((1.0 - xy01[:, 1]) * grid).astype(int), grid - 1)
    return np.stack([row, col], axis=1)


def grid_cells(xy01: np.ndarray, acts: np.ndarray, grid: int, min_count: int = 5) -> Cells:
    """Bin a [0, 1]² layout into grid×grid cells, drop cells with fewer than `min_count` points, average the rest."""
    if not 1 <= grid <= 256:
        raise ValueError(f"grid must be between 1 and 256, got {grid}")
    acts = np.asarray(acts, dtype=np.float64)
    rc = cell_of(xy01, grid)
    flat = rc[:, 0] * grid + rc[:, 1]
    counts = np.bincount(flat, minlength=grid * grid)
    sums = np.zeros((grid * grid, acts.shape[1]))
    np.add.at(sums, flat, acts)
    keep = np.flatnonzero(counts >= max(min_count, 1))
    means = sums[keep] / counts[keep, None]
    kept = np.stack([keep // grid, keep % grid], axis=1) if len(keep) else np.zeros((0, 2), int)
    return Cells(grid, flat, counts.reshape(grid, grid), kept.astype(int), means.astype(np.float32), int(min_count))


def cell_average(cells: Cells, values: np.ndarray) -> np.ndarray:
    """Mean of per-point values (N, D) over the points of each kept cell: (K, D)."""
    values = np.asarray(values, dtype=np.float64)
    sums = np.zeros((cells.grid * cells.grid, values.shape[1]))
    np.add.at(sums, cells.assignment, values)
    flat = cells.kept[:, 0] * cells.grid + cells.kept[:, 1]
    counts = cells.counts.ravel()[flat]
    return (sums[flat] / np.maximum(counts, 1)[:, None]).astype(np.float32)


def trustworthiness(acts: np.ndarray, xy: np.ndarray, n_neighbors: int = 10, whitened: bool = True) -> float:
    """How well the layout keeps each point's nearest neighbours (cosine, in the space the layout was made from:
    whitened or raw) in 2-D: 1 = perfectly."""
    from sklearn.manifold import trustworthiness as sk_trust  # noqa: PLC0415

    k = int(min(n_neighbors, (len(xy) - 1) // 2))
    space = whiten(acts) if whitened else np.asarray(acts, dtype=np.float32)
    return float(sk_trust(space, np.asarray(xy), n_neighbors=max(k, 1), metric="cosine"))
