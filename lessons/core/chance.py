"""Chance levels by permutation: is a result better than the same analysis run on shuffled data?

The rule the cortex lesson states on its page:

* **Shuffle, then redo the selection.** The images are shuffled against the responses *K* times, and each shuffle
  goes through the whole analysis, including the choice of each cell's best layer. A best-layer score is a maximum
  over many layers, so it is biased upwards even for noise; comparing it with the shuffled score of one layer
  reports noise as signal. Comparing it with shuffled *best-layer* scores does not.
* **Pooled null for cells.** With K = 20 shuffles, one cell's own null has 20 values and no p-value can go below
  1/21. The shuffled best-layer scores of many cells are therefore pooled into one null distribution (the score is
  invariant to each cell's scale and offset, so under shuffling the cells' nulls are close to exchangeable), and
  every cell's p-value is its rank in that pool: (1 + #null ≥ score) / (1 + #null).
* **False-discovery rate.** Testing thousands of cells at p < 0.05 would call 5 % of pure-noise cells "above
  chance". The Benjamini–Hochberg procedure picks the cells so that, on average, at most `q` (5 %) of the cells
  called above chance are false discoveries.
* **The model score** (the best layer's mean over cells) is compared with the same statistic of every shuffle:
  p = (1 + #shuffles ≥ observed) / (1 + K), an exact permutation test.

Each shuffle scores a random subset of the cells (with the default K, twice as many shuffled cells as real ones in
all), so the K shuffles cost a small multiple of the unshuffled run. A shuffle's model score is then a mean over fewer cells than the real one: it
varies more, which makes the model-level test conservative (it can only miss a real effect, never invent one).
Pure numpy; no Streamlit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SHUFFLES = 20  # the page's default number of shuffles
FDR = 0.05  # the false-discovery rate the cells are selected at
ALPHA = 0.05  # the significance level of the model-level verdict
NULL_BUDGET = 2.0  # shuffled cells scored in all, as a multiple of the real cells
MIN_NULL_CELLS = 8  # each shuffle scores at least this many cells (or all of them)


@dataclass(frozen=True)
class ShufflePlan:
    """Which conditions go where, and which cells are scored, in each of K shuffles."""

    orders: np.ndarray  # (K, n) each row a permutation of the n conditions
    cells: np.ndarray  # (K, M) indices (into the scored cells) of the cells each shuffle scores

    @property
    def shuffles(self) -> int:
        """Number of shuffles K."""
        return int(self.orders.shape[0])

    @property
    def cells_per_shuffle(self) -> int:
        """Number of cells M each shuffle scores."""
        return int(self.cells.shape[1])

    def shuffled_responses(self, responses: np.ndarray) -> np.ndarray:
        """The shuffled targets, conditions × (K·M): shuffle k's columns are its cells with the rows permuted."""
        if self.shuffles == 0:
            return np.empty((responses.shape[0], 0), dtype=responses.dtype)
        return np.concatenate([responses[order][:, cells] for order, cells in zip(self.orders, self.cells)], axis=1)


def cells_per_shuffle(n_cells: int, shuffles: int, budget: float = NULL_BUDGET,
                      min_cells: int = MIN_NULL_CELLS) -> int:
    """How many cells each shuffle scores: `budget` × the cells, spread over the default number of shuffles (or
    over fewer, when fewer are asked for). More shuffles than the default cost proportionally more."""
    if shuffles <= 0 or n_cells <= 0:
        return 0
    return int(min(n_cells, max(min_cells, math.ceil(budget * n_cells / min(shuffles, SHUFFLES)))))


def shuffle_plan(n_conditions: int, n_cells: int, shuffles: int = SHUFFLES, seed: int = 0,
                 budget: float = NULL_BUDGET) -> ShufflePlan:
    """K random permutations of the conditions, each with its own random subset of the cells (reproducible)."""
    if shuffles < 0:
        raise ValueError("the number of shuffles cannot be negative")
    rng = np.random.default_rng(seed)
    m = cells_per_shuffle(n_cells, shuffles, budget)
    orders = np.stack([rng.permutation(n_conditions) for _ in range(shuffles)]) if shuffles else np.empty(
        (0, n_conditions), dtype=np.int64)
    cells = np.stack([np.sort(rng.choice(n_cells, size=m, replace=False)) for _ in range(shuffles)]) if shuffles \
        else np.empty((0, 0), dtype=np.int64)
    return ShufflePlan(orders.astype(np.int64), cells.astype(np.int64))


def pooled_p_values(observed: np.ndarray, null: np.ndarray) -> np.ndarray:
    """One-sided permutation p-value of each observed value against one pooled null: (1 + #null ≥ x) / (1 + N)."""
    observed = np.asarray(observed, dtype=np.float64)
    pool = np.sort(np.asarray(null, dtype=np.float64).ravel())
    pool = pool[np.isfinite(pool)]
    at_least = len(pool) - np.searchsorted(pool, observed, side="left")
    return (1.0 + at_least) / (1.0 + len(pool))


def permutation_p(observed: float, null: np.ndarray) -> float:
    """One-sided p-value of one observed statistic against its K shuffled values: (1 + #null ≥ x) / (1 + K)."""
    return float(pooled_p_values(np.array([observed]), null)[0])


def benjamini_hochberg(p_values: np.ndarray, q: float = FDR) -> np.ndarray:
    """Which hypotheses are rejected (bool per p-value) with the false-discovery rate controlled at q."""
    p = np.asarray(p_values, dtype=np.float64)
    if p.size == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    passing = np.flatnonzero(ranked <= q * np.arange(1, p.size + 1) / p.size)
    rejected = np.zeros(p.size, dtype=bool)
    if passing.size:
        rejected[order[: passing[-1] + 1]] = True
    return rejected


def format_p(p: float, shuffles: int | None = None) -> str:
    """A p-value as a student reads it: 'p = 0.03', or 'p < 0.001' at the resolution limit."""
    if p < 0.001:
        return "p < 0.001"
    if shuffles is not None and p <= 1.0 / (shuffles + 1) + 1e-12:
        return f"p = {p:.3f}, the smallest {shuffles} shuffles can give"
    return f"p = {p:.3f}" if p < 0.1 else f"p = {p:.2f}"


@dataclass(frozen=True)
class Verdict:
    """A statistic against its shuffled distribution, and what a student should conclude."""

    observed: float
    null: np.ndarray  # the statistic on each shuffle
    p: float
    alpha: float = ALPHA

    @property
    def above_chance(self) -> bool:
        """Whether the observed value beats the shuffles at the significance level."""
        return self.p <= self.alpha

    @property
    def chance_level(self) -> float:
        """The mean of the shuffled statistic: what chance alone scores."""
        return float(np.mean(self.null)) if len(self.null) else float("nan")

    @property
    def chance_95(self) -> float:
        """The 95th percentile of the shuffled statistic."""
        return float(np.percentile(self.null, 95)) if len(self.null) else float("nan")

    @property
    def short(self) -> str:
        """'above chance, p = …' or 'chance level, p = …' (for use inside a sentence's parentheses)."""
        return f"{'above chance' if self.above_chance else 'chance level'}, {format_p(self.p)}"

    @property
    def words(self) -> str:
        """'above chance (p = …)' or 'no better than chance (p = …)'."""
        p_text = format_p(self.p, len(self.null))
        return f"above chance ({p_text})" if self.above_chance else f"no better than chance ({p_text})"


def verdict(observed: float, null: np.ndarray, alpha: float = ALPHA) -> Verdict:
    """The verdict on one statistic given its shuffled values (exact permutation test)."""
    null = np.asarray(null, dtype=np.float64)
    return Verdict(float(observed), null, permutation_p(observed, null) if len(null) else 1.0, alpha)
