"""What a model zoo says about brains, in numbers and words: trends over networks, trained against random weights,
and training tasks — each with its honest uncertainty, so a handful of networks yields "can't tell" when it should.

The unit of evidence is a *network*, not a cell: each network contributes one score (the mean over cells at its
best layer), so six networks are six data points however many cells were scored. Trends are Spearman rank
correlations with a bootstrap interval over networks and an exact permutation p-value (all orderings up to
`EXACT_UP_TO` networks); trained against random is a sign test over pairs; tasks are compared by permuting task
labels over networks. Pure numpy/scipy; no Streamlit.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from lessons.core import chance

ALPHA = chance.ALPHA
MIN_NETWORKS = 3  # below this a rank correlation is not computed at all
MIN_INTERVAL = 5  # below this the bootstrap has too few networks to resample: no interval is given
EXACT_UP_TO = 8  # permutation tests enumerate every ordering up to this many networks (8! = 40,320)
RESAMPLES = 2000


# ------------------------------------------------------------------------------------------------------------ trends
@dataclass(frozen=True)
class Trend:
    """Spearman's ρ between a property of networks and their score, with its 95 % bootstrap interval (resampling
    networks), its two-sided permutation p-value and the number of networks; `smallest_p` is the p-value the most
    extreme ordering of these networks could reach."""

    rho: float
    low: float
    high: float
    p: float
    n: int
    smallest_p: float = 0.0

    @property
    def clear(self) -> bool:
        """Whether the data back a trend: p at most `ALPHA` and an interval that excludes zero."""
        return bool(np.isfinite(self.rho) and np.isfinite(self.low) and self.p <= ALPHA
                    and (self.low > 0 or self.high < 0))


def _rank_rows(a: np.ndarray) -> np.ndarray:
    return stats.rankdata(a, axis=-1)


def _row_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of `a` with the same row of `b` (NaN where a row is constant)."""
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    denom = np.sqrt((a * a).sum(axis=-1) * (b * b).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 1e-12, (a * b).sum(axis=-1) / np.where(denom > 1e-12, denom, 1.0), np.nan)


def _orderings(n: int, resamples: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Every permutation of n items (exact) when there are few, else `resamples` random ones."""
    if n <= EXACT_UP_TO:
        return np.array(list(itertools.permutations(range(n))), dtype=np.int64), True
    return np.stack([rng.permutation(n) for _ in range(resamples)]), False


def _permutation_p(observed: float, null: np.ndarray, exact: bool) -> tuple[float, float]:
    """Two-sided p of |observed| against |null|, and the smallest p any arrangement could reach."""
    null = np.abs(null[np.isfinite(null)])
    if null.size == 0:
        return 1.0, 1.0
    tol = 1e-9
    if exact:  # the identity ordering is among the permutations
        return float(np.mean(null >= abs(observed) - tol)), float(np.mean(null >= null.max() - tol))
    return (float((1 + np.sum(null >= abs(observed) - tol)) / (1 + null.size)), 1.0 / (1 + null.size))


def trend(x: Sequence[float], y: Sequence[float], seed: int = 0, resamples: int = RESAMPLES) -> Trend:
    """Spearman ρ of y on x over networks (pairs with a missing value dropped), a bootstrap 95 % interval that
    resamples networks, and a two-sided permutation p-value (exact over every ordering for few networks)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = int(x.size)
    if n < MIN_NETWORKS:
        return Trend(float("nan"), float("nan"), float("nan"), 1.0, n, 1.0)
    rx, ry = _rank_rows(x), _rank_rows(y)
    rho = float(_row_correlations(rx, ry))
    if not np.isfinite(rho):
        return Trend(float("nan"), float("nan"), float("nan"), 1.0, n, 1.0)
    rng = np.random.default_rng(seed)
    low = high = float("nan")
    if n >= MIN_INTERVAL:
        picks = rng.integers(0, n, size=(resamples, n))
        boot = _row_correlations(_rank_rows(x[picks]), _rank_rows(y[picks]))
        boot = boot[np.isfinite(boot)]
        low, high = (float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))) if boot.size else (-1.0, 1.0)
    orders, exact = _orderings(n, resamples, rng)
    null = _row_correlations(np.broadcast_to(rx, orders.shape), ry[orders])
    p, smallest = _permutation_p(rho, null, exact)
    return Trend(rho, low, high, p, n, smallest)


def _networks(n: int) -> str:
    return f"{n} network" if n == 1 else f"{n} networks"


def trend_sentence(result: Trend, x_label: str, cortex: str = "the simulated cortex", more: str = "") -> str:
    """The verdict on one trend in words: better, worse, or can't tell — with ρ, its interval, p and the count.
    `more` names the networks at the high end ("more brain layers"; default "higher " + `x_label`)."""
    if result.n < MIN_NETWORKS:
        return (f"With {_networks(result.n)} with a known {x_label} no trend can be measured: a rank correlation "
                f"needs at least {MIN_NETWORKS}.")
    if not np.isfinite(result.rho):
        return (f"The {result.n} networks do not differ in {x_label} (or all score the same), so there is no trend "
                "to measure.")
    interval = (f"95 % CI {result.low:+.2f} to {result.high:+.2f}" if np.isfinite(result.low) else
                "no interval: too few networks to resample")
    numbers = f"ρ = {result.rho:+.2f}, {interval}, {chance.format_p(result.p)}, {_networks(result.n)}"
    if result.clear:
        direction = "better" if result.rho > 0 else "worse"
        return f"**Networks with {more or 'higher ' + x_label} predict {cortex} {direction} here** ({numbers})."
    text = f"**With {_networks(result.n)} the trend cannot be told apart from none** ({numbers})."
    if result.smallest_p > ALPHA:
        text += (f" Even a perfect ranking of {result.n} networks could not reach p ≤ {ALPHA:g} (the best "
                 f"possible is {result.smallest_p:.2f}): more networks are needed before any trend could show.")
    return text


# ------------------------------------------------------------------------------------------- trained against random
@dataclass(frozen=True)
class PairedVerdict:
    """Trained against random weights of the same architectures: how many pairs each side wins, a two-sided sign
    test over the pairs that differ, and the mean difference (trained − random)."""

    pairs: int
    trained_better: int
    random_better: int
    p: float
    mean_difference: float

    @property
    def smallest_p(self) -> float:
        """The sign-test p-value of a clean sweep of these pairs (the most any result could show)."""
        return min(1.0, 2.0 * 0.5 ** self.pairs) if self.pairs else 1.0


def paired_verdict(trained: Sequence[float], random: Sequence[float]) -> PairedVerdict:
    """Sign test of trained > random over aligned pairs of networks (pairs with a missing score dropped)."""
    a, b = np.asarray(trained, dtype=np.float64), np.asarray(random, dtype=np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    d = a[keep] - b[keep]
    wins, losses = int(np.sum(d > 0)), int(np.sum(d < 0))
    p = float(stats.binomtest(wins, wins + losses, 0.5).pvalue) if wins + losses else 1.0
    return PairedVerdict(int(d.size), wins, losses, p, float(d.mean()) if d.size else float("nan"))


def pairs_sentence(verdict: PairedVerdict, cortex: str = "the simulated cortex") -> str:
    """Trained against random in words, from the pair counts, the sign test and the papers' finding."""
    if verdict.pairs == 0:
        return "No network has both its trained and its random weights scored yet: there is nothing to pair."
    numbers = (f"trained ahead in {verdict.trained_better} of {verdict.pairs} pairs, random ahead in "
               f"{verdict.random_better}; sign test {chance.format_p(verdict.p)}; mean difference "
               f"{verdict.mean_difference:+.3f}")
    papers = "Conwell et al. found trained networks more predictive of mouse visual cortex than random ones."
    if verdict.p <= ALPHA and verdict.trained_better > verdict.random_better:
        return f"**Trained weights predict {cortex} better than their random twins** ({numbers}). {papers}"
    if verdict.p <= ALPHA:
        return (f"**Here the random twins predict {cortex} better** ({numbers}) — the opposite of the papers. "
                f"{papers}")
    text = f"**Trained and random weights cannot be told apart here** ({numbers})."
    if verdict.smallest_p > ALPHA:
        text += (f" With {verdict.pairs} pairs even a clean sweep gives p = {verdict.smallest_p:.2f}: a coin "
                 "would do that often enough.")
    return f"{text} {papers}"


# ---------------------------------------------------------------------------------------------------- by task
@dataclass(frozen=True)
class TaskComparison:
    """Mean score per training task (with its number of networks), and a permutation p-value of the spread
    between the tasks' means (task labels shuffled over networks); `smallest_p`: the most any split could show."""

    means: dict[str, float]
    counts: dict[str, int]
    p: float
    smallest_p: float

    @property
    def best(self) -> str:
        """The task whose networks score highest on average."""
        return max(self.means, key=self.means.get)


def _between_spread(scores: np.ndarray, labels: np.ndarray, n_groups: int) -> np.ndarray:
    """The between-task sum of squares Σ n_g (mean_g − mean)² for each row of labels."""
    total = scores.mean()
    spread = np.zeros(labels.shape[0])
    for g in range(n_groups):
        member = labels == g
        count = member.sum(axis=-1)
        sums = (member * scores).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            spread += np.where(count > 0, count * (sums / np.maximum(count, 1) - total) ** 2, 0.0)
    return spread


def task_comparison(tasks: Sequence[str], scores: Sequence[float], seed: int = 0,
                    resamples: int = RESAMPLES) -> TaskComparison:
    """Each task's mean score over its networks, and whether the tasks differ by more than shuffled task labels
    make them differ (exact over every relabelling for few networks)."""
    scores_arr = np.asarray(scores, dtype=np.float64)
    keep = np.isfinite(scores_arr)
    task_arr = np.asarray(list(tasks), dtype=object)[keep]
    scores_arr = scores_arr[keep]
    names = list(dict.fromkeys(task_arr.tolist()))
    means = {t: float(scores_arr[task_arr == t].mean()) for t in names}
    counts = {t: int(np.sum(task_arr == t)) for t in names}
    if len(names) < 2:
        return TaskComparison(means, counts, 1.0, 1.0)
    labels = np.array([names.index(t) for t in task_arr])
    observed = float(_between_spread(scores_arr, labels[None, :], len(names))[0])
    orders, exact = _orderings(len(labels), resamples, np.random.default_rng(seed))
    null = _between_spread(scores_arr, labels[orders], len(names))
    p, smallest = _permutation_p(observed, null, exact)
    return TaskComparison(means, counts, p, smallest)


def task_sentence(comparison: TaskComparison, cortex: str = "the simulated cortex") -> str:
    """The by-task comparison in words: the means, and whether the tasks differ beyond chance."""
    if not comparison.means:
        return "No trained network has been scored yet."
    listing = "; ".join(f"{t}: {m:.3f} ({_networks(comparison.counts[t])})" for t, m in comparison.means.items())
    if len(comparison.means) < 2:
        return f"Every scored trained network shares one task ({listing}): there is nothing to compare."
    head = f"Mean best-layer score by training task — {listing}."
    caveat = (" Each network here was trained on one task only, so the task changes together with the architecture "
              "and the kind of input: a difference would not isolate the task.")
    if comparison.p <= ALPHA:
        return (f"{head} **The tasks differ beyond chance here** (task labels shuffled over networks, "
                f"{chance.format_p(comparison.p)}): {comparison.best} scores highest on {cortex}.{caveat}")
    text = (f"{head} **The difference between tasks cannot be told apart from chance** (task labels shuffled over "
            f"networks, {chance.format_p(comparison.p)}).")
    if comparison.smallest_p > ALPHA:
        text += (f" With these few networks even a perfect split could not reach p ≤ {ALPHA:g} (the best possible "
                 f"is {comparison.smallest_p:.2f}).")
    return text + caveat


# ---------------------------------------------------------------------------------------------------- chance
def chance_sentence(scores: Sequence[float], chances: Sequence[float]) -> str:
    """How each network's best-layer score compares with its chance level (the mean score of shuffled images at
    that layer), from the numbers in the table."""
    s, c = np.asarray(scores, dtype=np.float64), np.asarray(chances, dtype=np.float64)
    keep = np.isfinite(s) & np.isfinite(c)
    s, c = s[keep], c[keep]
    if s.size == 0:
        return "No network has been scored yet."
    above = int(np.sum(s > c))
    span = f"chance levels from {c.min():.3f} to {c.max():.3f}, scores from {s.min():.3f} to {s.max():.3f}"
    picked = (" Each best layer was picked for its score, which flatters it a little, so this compares two means; "
              "it is not a test.")
    if above == s.size:
        return (f"Every one of the {_networks(s.size)} has a best-layer score above its chance level — the mean "
                f"score of shuffled images at that layer ({span}).{picked}")
    return (f"**{s.size - above} of {_networks(s.size)} score no higher than their chance level** — the mean score "
            f"of shuffled images at their best layer ({span}); their points say nothing about the cortex.{picked}")


# ---------------------------------------------------------------------------------------------------- the papers
PAPER_FINDINGS = (
    "Conwell et al. compared many networks with mouse visual cortex (\"Neural regression, representational "
    "similarity, model zoology & neural taskonomy at scale in rodent visual cortex\", NeurIPS 2021: dozens of "
    "networks against thousands of reliable neurons of the Allen Brain Observatory). In mouse cortex, a network's "
    "ImageNet accuracy was only **weakly** related to how well its features predicted the neurons, and trained "
    "networks predicted them **better than the same architectures with random weights**. Their later sweep of "
    "human visual cortex (\"What can 1.8 billion regressions tell us about the pressures shaping high-level visual "
    "representation in brains and machines\", 224 networks against fMRI) found that networks of very different "
    "architectures and training objectives predicted the cortex about equally well when other factors were held "
    "constant, while the **training diet** — the images a network learned from — had the largest effect."
)


def differences_text(n_networks: int, simulated: bool) -> str:
    """Where this page's sweep differs from the papers': the data and the number of networks."""
    data = ("**simulated cells** whose tuning is a known model (sums of Gabor edge detectors, an oriented "
            "edge-energy model, with a threshold; no network involved)" if simulated else
            "the neural data loaded on this page")
    return (f"Here the networks are compared with {data}, and the zoo holds **{_networks(n_networks)}** instead of "
            "the papers' dozens to hundreds. A trend over so few points needs to be very clean before it shows "
            "beyond chance; when it is not, the page says it can't tell. A trend found here says what predicts "
            "this data, not what predicts a mouse.")


def trained_only(summary: pd.DataFrame) -> pd.DataFrame:
    """The trained networks of a zoo summary (one row each): the points of the trend plots."""
    return summary[summary["trained"].astype(bool)].reset_index(drop=True)


def pair_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per network scored with both weights: model, title, trained score, random score."""
    trained = summary[summary["weights"] == "pretrained"].set_index("model")
    random = summary[summary["weights"] == "random"].set_index("model")
    both = [m for m in trained.index if m in random.index]
    return pd.DataFrame({"model": both, "title": [trained.loc[m, "title"] for m in both],
                         "trained": [float(trained.loc[m, "score"]) for m in both],
                         "random": [float(random.loc[m, "score"]) for m in both]})



# ------------------------------------------------------------------------------------------- what to notice
def trend_power_notice(result: Trend, x_label: str = "ImageNet top-1") -> str:
    """The "What to notice" of a trend plot: how strong a trend these few networks could show at all."""
    if result.n < MIN_NETWORKS:
        return (f"Only {_networks(result.n)} with a known {x_label}: no ranking can be tested. What would a trend "
                "need?")
    if result.smallest_p > ALPHA:
        return (f"Each point is one network, so this plot rests on {_networks(result.n)}, not on the cells behind "
                f"them. Even a perfect ranking of {_networks(result.n)} would have p = {result.smallest_p:.2f}: this "
                "plot cannot show a trend, whatever the scores.")
    return (f"Each point is one network: {_networks(result.n)}. A perfect ranking of that many would reach "
            f"p = {result.smallest_p:.3f}, so a trend could show here; this one has {chance.format_p(result.p)}.")


def pairs_notice(verdict: PairedVerdict, cells: int) -> str:
    """The "What to notice" of trained against random: does every trained network beat its random twin?"""
    if verdict.pairs == 0:
        return "No network has both weights scored: what would a fair test of training need?"
    if verdict.random_better == 0:
        ties = verdict.pairs - verdict.trained_better
        tied = f" or ties with it ({ties} {'tie' if ties == 1 else 'ties'})" if ties else ""
        return (f"Every one of the {verdict.pairs} trained networks beats its own random twin{tied}, each scored on "
                f"{cells:,} cells: same architecture, different weights.")
    return (f"In {verdict.random_better} of {verdict.pairs} pairs the random twin scores higher than the trained "
            f"network ({cells:,} cells each). Is that gap larger than what scoring other cells would change? A build "
            "with another number of cells per network scores other cells.")
