"""Small-n 2-D embeddings written for a few hundred points: exact t-SNE and a Fruchterman–Reingold graph layout.

A layer has at most a few hundred units, where the general-purpose library versions spend most of their time on
per-iteration overhead (Barnes–Hut trees, Python loops over nodes). These are the same algorithms written as dense
float32 array operations; for such n they are exact and several times faster.

Pure numpy; every random choice takes a seed.
"""

from __future__ import annotations

import numpy as np

TSNE_ITERATIONS = 1000
EXAGGERATION = 12.0
EXAGGERATED_ITERATIONS = 250


def conditional_affinities(dist: np.ndarray, perplexity: float, steps: int = 64) -> np.ndarray:
    """Row-stochastic P(j|i) = exp(−β_i d_ij) / Σ, each β_i found by bisection so that the row's perplexity (2^H)
    equals `perplexity`; all rows are searched at once."""
    d = np.asarray(dist, dtype=np.float64)
    n = len(d)
    target = np.log(perplexity)
    off = ~np.eye(n, dtype=bool)
    low, high = np.zeros(n), np.full(n, np.inf)
    beta = np.ones(n)
    for _ in range(steps):
        logits = -d * beta[:, None]
        logits[~off] = -np.inf
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        entropy = -np.sum(np.where(p > 0, p * np.log(np.maximum(p, 1e-300)), 0.0), axis=1)
        too_flat = entropy > target  # spread too wide: sharpen
        low = np.where(too_flat, beta, low)
        high = np.where(too_flat, high, beta)
        beta = np.where(np.isinf(high), beta * 2.0, (low + high) / 2.0)
    return p


def tsne(dist: np.ndarray, start: np.ndarray, perplexity: float = 30.0, iterations: int = TSNE_ITERATIONS) -> np.ndarray:
    """Exact t-SNE (van der Maaten & Hinton 2008) of a distance matrix, from a start layout (e.g. PCA).

    The optimiser follows the common recipe (as in scikit-learn): the start scaled to a standard deviation of 1e-4,
    early exaggeration 12 for 250 steps with momentum 0.5, then momentum 0.8; learning rate max(n / 48, 50); per-
    coordinate gains.
    """
    n = len(dist)
    perplexity = float(min(perplexity, (n - 1) / 3.0))
    p = conditional_affinities(dist, perplexity)
    p = np.maximum((p + p.T) / (2.0 * n), 1e-12).astype(np.float32)
    np.fill_diagonal(p, 0.0)
    y = np.asarray(start, dtype=np.float64)
    y = (y / max(float(np.std(y[:, 0])), 1e-12) * 1e-4).astype(np.float32)
    rate = np.float32(max(n / EXAGGERATION / 4.0, 50.0))
    update = np.zeros_like(y)
    gains = np.ones_like(y)
    for step in range(iterations):
        exaggeration = np.float32(EXAGGERATION if step < EXAGGERATED_ITERATIONS else 1.0)
        momentum = np.float32(0.5 if step < EXAGGERATED_ITERATIONS else 0.8)
        squared = (y * y).sum(axis=1)
        kernel = 1.0 / (1.0 + squared[:, None] + squared[None, :] - 2.0 * (y @ y.T))
        np.fill_diagonal(kernel, 0.0)
        q = np.maximum(kernel / kernel.sum(), np.float32(1e-12))
        weights = (exaggeration * p - q) * kernel
        grad = 4.0 * (weights.sum(axis=1)[:, None] * y - weights @ y)
        same_sign = update * grad > 0
        gains = np.maximum(np.where(same_sign, gains * np.float32(0.8), gains + np.float32(0.2)), np.float32(0.01))
        update = momentum * update - rate * gains * grad
        y = y + update
    return y.astype(np.float64)


def fruchterman_reingold(adjacency: np.ndarray, iterations: int = 200, seed: int = 0,
                         threshold: float = 1e-4) -> np.ndarray:
    """Fruchterman–Reingold force layout of an unweighted graph (as networkx computes it): attraction d²/k along
    edges, repulsion k²/d between all pairs, k = √(1/n), a step size cooling linearly from a tenth of the span."""
    a = np.asarray(adjacency, dtype=np.float32)
    n = len(a)
    positions = np.random.default_rng(seed).uniform(size=(n, 2)).astype(np.float32)
    if n < 2:
        return positions.astype(np.float64)
    k = np.float32(np.sqrt(1.0 / n))
    temperature = np.float32(0.1 * max(np.ptp(positions[:, 0]), np.ptp(positions[:, 1])))
    cooling = temperature / np.float32(iterations + 1)
    x, y = positions[:, 0].copy(), positions[:, 1].copy()
    for _ in range(iterations):
        dx, dy = x[:, None] - x[None, :], y[:, None] - y[None, :]
        distance = np.maximum(np.sqrt(dx * dx + dy * dy), np.float32(0.01))
        strength = k * k / (distance * distance) - a * distance / k
        move_x, move_y = (dx * strength).sum(axis=1), (dy * strength).sum(axis=1)
        length = np.maximum(np.sqrt(move_x * move_x + move_y * move_y), np.float32(0.01))
        step_x, step_y = move_x * (temperature / length), move_y * (temperature / length)
        x, y = x + step_x, y + step_y
        temperature -= cooling
        if np.sqrt((step_x * step_x + step_y * step_y).sum()) / n < threshold:
            break
    return np.column_stack([x, y]).astype(np.float64)
