"""Scoring a network against neurons: random projection, ridge regression, held-out scores, noise ceiling and RSA.

Everything runs on torch tensors on the shared device (`runtime.device()`, or the `device` argument) and hands back
CPU numpy arrays. Pure compute: no Streamlit.

* **Projection.** A layer's activations (up to ~800,000 numbers per image) are squeezed to the Johnson–Lindenstrauss
  dimension for n images at eps 0.1 (4,096 for 119 images) by a *very sparse* random projection (Achlioptas; Li,
  Hastie & Church): each entry is ±sqrt(s/k) with probability 1/(2s) each and 0 otherwise, with s = sqrt(D). The
  matrix is generated block by block (a fixed number of input features at a time) from a seed, as sparse tensors,
  so a dense D×k matrix never exists, and the same seed gives the same matrix on every device.
* **Ridge regression in its dual form.** With n images ≪ k features, everything a linear readout needs is the
  n×n Gram matrix of the (projected) features. One eigendecomposition of the centred Gram matrix gives, for every
  alpha of the grid and every neuron at once, the leave-one-out errors (generalised cross-validation, the
  shortcut scikit-learn's `RidgeCV` uses; same intercept handling, same tie-breaking), so the alpha is chosen per
  neuron without a per-neuron loop.
* **Scores.** A neuron's score is the *signed* squared Pearson r (r·|r|) between its responses and predictions for
  images the readout never saw (k-fold; alpha chosen by GCV inside each training fold). Squared LOO correlations
  are avoided on purpose: under strong shrinkage, LOO predictions anti-correlate with the held-out value, so r² of
  pure noise can look large. Shuffled targets scored in the same solves give chance level (`lessons.core.chance`).
* **Noise ceiling.** Split-half (even vs odd trials) correlation, Spearman–Brown corrected to the full data.
* **RSA.** Representational dissimilarity matrices (1 − Pearson r between the patterns evoked by two images),
  compared by the Spearman correlation of their upper triangles.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats

from lessons.core import runtime

ALPHAS: tuple[float, ...] = tuple(float(a) for a in np.logspace(-1, 5, 7))
JL_EPS = 0.1
BLOCK_FEATURES = 1 << 16  # input features per generated block of the projection matrix


# ------------------------------------------------------------------------------------------------------- devices
def float_dtype(device: torch.device) -> torch.dtype:
    """float64 wherever the device supports it (MPS does not: float32 there)."""
    return torch.float32 if device.type == "mps" else torch.float64


_THREADS_LOCK = threading.RLock()


@contextmanager
def _threads(count: int, device: torch.device) -> Iterator[None]:
    """Run the enclosed torch CPU work on `count` threads (nothing changes on a GPU); restored afterwards.

    torch's thread count is process-wide, so it is switched under a lock.
    """
    if device.type != "cpu":
        yield
        return
    with _THREADS_LOCK:
        before = torch.get_num_threads()
        if before != count:
            torch.set_num_threads(count)
        try:
            yield
        finally:
            if before != count:
                torch.set_num_threads(before)


def regression_threads() -> int:
    """Threads for the regression: all of torch's on a quiet machine, one on a busy one.

    The regression works on ~119 × 119 matrices, where threads synchronise often. Measured on 2 cores: scoring
    5,000 cells took 19 s on two threads and 34 s on one when the machine was otherwise idle, but with other
    programs keeping the cores busy, 540 cells took 35–39 s on two threads and 3–5 s on one. The load average
    tells the two situations apart.
    """
    threads = torch.get_num_threads()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not available on this system
        return threads
    from lessons.core import runtime

    return 1 if load > runtime.usable_cores() + 0.5 else threads


@contextmanager
def regression_scope(device: torch.device) -> Iterator[None]:
    """Run the enclosed regression work on the thread count `regression_threads()` picks."""
    with _threads(regression_threads(), device):
        yield


def _as_tensor(array: np.ndarray | torch.Tensor, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    if isinstance(array, torch.Tensor):
        return array.to(device=device, dtype=dtype)
    return torch.as_tensor(np.asarray(array), device=device).to(dtype)


# ---------------------------------------------------------------------------------------------------- projection
def jl_dim(n_samples: int, eps: float = JL_EPS) -> int:
    """Johnson–Lindenstrauss dimension that keeps n samples' distances within 1 ± eps (sklearn's formula)."""
    if n_samples < 2:
        raise ValueError("the Johnson–Lindenstrauss dimension needs at least 2 samples")
    return int(4 * math.log(n_samples) / (eps**2 / 2 - eps**3 / 3))


def projection_dim(n_samples: int, n_features: int, eps: float = JL_EPS) -> int:
    """Target dimension of a layer: the JL dimension, capped at the number of features."""
    return min(jl_dim(n_samples, eps), int(n_features))


class SparseProjection:
    """A seeded very sparse random projection D → k, generated in blocks of input features (never dense)."""

    def __init__(self, n_features: int, n_components: int, seed: int = 0,
                 device: torch.device | str | None = None, block: int = BLOCK_FEATURES) -> None:
        if n_features < 1 or n_components < 1:
            raise ValueError("a projection needs at least one input feature and one component")
        self.n_features = int(n_features)
        self.n_components = int(n_components)
        self.seed = int(seed)
        self.device = runtime.resolve_device(device)
        self.block = int(block)
        self.identity = self.n_components >= self.n_features
        self.density = 1.0 / math.sqrt(self.n_features)
        self._blocks: list[torch.Tensor] | None = None

    def _block_bounds(self) -> list[tuple[int, int]]:
        return [(start, min(start + self.block, self.n_features)) for start in range(0, self.n_features, self.block)]

    def _make_block(self, index: int, start: int, stop: int) -> torch.Tensor:
        """The k × (stop − start) transposed block, as a CSR tensor on the device."""
        width, k = stop - start, self.n_components
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + index)
        counts = torch.binomial(torch.full((k,), float(width), dtype=torch.float64),
                                torch.full((k,), self.density, dtype=torch.float64), generator=generator).long()
        rows = torch.repeat_interleave(torch.arange(k), counts)
        cols = torch.randint(0, width, (rows.numel(),), generator=generator)
        # Positions are drawn with replacement; the rare repeats (≈ nnz / (2·width) per row) are merged away, and
        # sorting by (row, column) gives the CSR order directly.
        keys = torch.unique(rows * width + cols)
        rows, cols = keys // width, keys % width
        scale = math.sqrt(1.0 / self.density) / math.sqrt(k)
        values = (torch.randint(0, 2, (keys.numel(),), generator=generator) * 2 - 1).to(torch.float32) * scale
        crow = torch.zeros(k + 1, dtype=torch.int64)
        crow[1:] = torch.cumsum(torch.bincount(rows, minlength=k), 0)
        index_dtype = torch.int32 if keys.numel() < 2**31 else torch.int64
        with warnings.catch_warnings():  # "sparse CSR support is in beta": the operations used here are stable
            warnings.simplefilter("ignore", UserWarning)
            csr = torch.sparse_csr_tensor(crow.to(index_dtype), cols.to(index_dtype), values, size=(k, width),
                                          check_invariants=False)
        return csr.to(self.device)

    def blocks(self) -> Iterator[tuple[int, int, torch.Tensor]]:
        """Yield (start, stop, k × width CSR block) over the input features, generating each block once."""
        if self._blocks is None:
            self._blocks = [self._make_block(i, a, b) for i, (a, b) in enumerate(self._block_bounds())]
        for (start, stop), csr in zip(self._block_bounds(), self._blocks):
            yield start, stop, csr

    @property
    def nnz(self) -> int:
        """Number of non-zero entries of the whole matrix (generates it if needed)."""
        return sum(int(csr.values().numel()) for _, _, csr in self.blocks())

    def dense(self) -> torch.Tensor:
        """The whole D × k matrix as a dense tensor (for tests on small sizes only)."""
        if self.identity:
            return torch.eye(self.n_features, device=self.device)
        return torch.cat([csr.to_dense().T for _, _, csr in self.blocks()], dim=0)

    def transform(self, features: np.ndarray | torch.Tensor) -> torch.Tensor:
        """Project N×D features (any shape N×…, flattened) to N×k float32 on the device."""
        x = _as_tensor(features, self.device, torch.float32).reshape(len(features), -1)
        if x.shape[1] != self.n_features:
            raise ValueError(f"expected {self.n_features} features per sample, got {x.shape[1]}")
        if self.identity:
            return x
        out = torch.zeros(self.n_components, x.shape[0], device=self.device, dtype=torch.float32)
        for start, stop, csr in self.blocks():
            out += csr @ x[:, start:stop].T.contiguous()
        return out.T.contiguous()

    def release(self) -> None:
        """Drop the generated blocks (they are regenerated identically on the next use)."""
        self._blocks = None


# ----------------------------------------------------------------------------------------------------- Gram matrices
@dataclass(frozen=True)
class LayerGram:
    """What a linear readout and RSA need from one layer: the n×n Gram matrix, row sums and the dimension."""

    name: str
    gram: np.ndarray  # float64 (n, n): inner products of the features, after removing their mean image
    sums: np.ndarray  # float64 (n,): each image's feature sum (after removing the mean image)
    dim: int  # number of features the Gram matrix was computed from


def gram_of(name: str, features: torch.Tensor) -> LayerGram:
    """Gram matrix and row sums of N×k features (the mean image is removed first, for numerical accuracy)."""
    dtype = float_dtype(features.device)
    x = features.reshape(len(features), -1).to(dtype)
    x = x - x.mean(dim=0, keepdim=True)
    return LayerGram(name, (x @ x.T).cpu().numpy().astype(np.float64), x.sum(dim=1).cpu().numpy().astype(np.float64),
                     int(x.shape[1]))


# ----------------------------------------------------------------------------------------------------- ridge (dual)
@dataclass(frozen=True)
class GcvFit:
    """Ridge fits on n training images for T neurons (optionally a batch of B fits), alpha chosen per neuron by GCV.

    Shapes below are for one fit; a batch adds a leading B dimension to each.
    """

    alpha_index: torch.Tensor  # (T,) index into the alpha grid
    dual: torch.Tensor  # (n, T) dual coefficients at each neuron's alpha
    y_mean: torch.Tensor  # (T,)
    loo_errors: torch.Tensor  # (A, T) mean squared LOO error per alpha
    loo_predictions: torch.Tensor  # (n, T) LOO predictions at each neuron's alpha


def _centre_gram(gram: torch.Tensor) -> torch.Tensor:
    return gram - gram.mean(dim=-2, keepdim=True) - gram.mean(dim=-1, keepdim=True) + gram.mean(dim=(-2, -1),
                                                                                                 keepdim=True)


def gcv_fit(gram: torch.Tensor, y: torch.Tensor, alphas: Sequence[float] = ALPHAS) -> GcvFit:
    """Fit ridge (with an unpenalised intercept) for every column of y, choosing alpha per column by GCV.

    `gram` is the n×n Gram matrix of the training images (it is centred here, so any common offset is harmless),
    `y` is n×T; both may carry a leading batch dimension (several fits at once). Matches scikit-learn's
    `RidgeCV(alphas, alpha_per_target=True)` in its Gram (eigen) mode: same LOO formula, same intercept correction,
    ties resolved towards the smaller alpha.
    """
    with regression_scope(gram.device):
        return _gcv_fit(gram, y, alphas)


def _gcv_fit(gram: torch.Tensor, y: torch.Tensor, alphas: Sequence[float]) -> GcvFit:
    n = gram.shape[-1]
    with _threads(1, gram.device):  # small eigendecompositions: one thread is fastest
        eigvals, q = torch.linalg.eigh(_centre_gram(gram))
    y_mean = y.mean(dim=-2)
    yc = y - y_mean.unsqueeze(-2)
    qt_y = q.mT @ yc
    grid = torch.as_tensor(list(alphas), device=y.device, dtype=eigvals.dtype)
    d_inv = 1.0 / (eigvals.unsqueeze(-2) + grid.unsqueeze(-1))  # (..., A, n)
    qt_1 = q.sum(dim=-2).unsqueeze(-2)  # Q^T 1
    diag = (q * q) @ d_inv.mT - (q @ (d_inv * qt_1).mT) / n  # (..., n, A): diagonal of G⁻¹ with the intercept
    weight = 1.0 / (diag * diag)  # looe = dual / diag, so err = Σ dual² / diag² / n
    errors = _loo_errors(q, qt_y, d_inv, weight, low_precision=q.dtype == torch.float64)
    best_idx = torch.argmin(errors, dim=-2)  # first minimum: ties keep the smaller alpha, as scikit-learn does
    index = best_idx.unsqueeze(-2).expand(*best_idx.shape[:-1], n, best_idx.shape[-1])
    best_dual = q @ (torch.gather(d_inv.mT, -1, index) * qt_y)
    best_diag = torch.gather(diag, -1, index)
    return GcvFit(best_idx, best_dual, y_mean, errors, y - best_dual / best_diag)


def _loo_errors(q: torch.Tensor, qt_y: torch.Tensor, d_inv: torch.Tensor, weight: torch.Tensor,
                low_precision: bool, tie: float = 1e-4) -> torch.Tensor:
    """Mean squared LOO error per alpha and target, (..., A, T).

    With `low_precision`, the n×n × n×T products (nearly all of the work) run in float32, which is about twice as
    fast; targets whose two best alphas come within `tie` (relative) of each other are then recomputed in full
    precision, so the chosen alpha is the one a float64 computation picks.
    """
    n = q.shape[-1]

    def errors_for(qq: torch.Tensor, z: torch.Tensor, dd: torch.Tensor, ww: torch.Tensor) -> torch.Tensor:
        out = []
        for a in range(dd.shape[-2]):
            dual = qq @ (dd[..., a, :].unsqueeze(-1) * z)
            out.append(((dual * dual) * ww[..., a].unsqueeze(-1)).sum(dim=-2) / n)
        return torch.stack(out, dim=-2)

    if not low_precision:
        return errors_for(q, qt_y, d_inv, weight)
    errors = errors_for(q.float(), qt_y.float(), d_inv.float(), weight.float()).to(q.dtype)
    if errors.shape[-2] > 1:
        two = torch.topk(errors, 2, dim=-2, largest=False).values
        close = (two[..., 1, :] - two[..., 0, :]) <= tie * two[..., 0, :].abs()
        cols = torch.nonzero(close.reshape(-1, close.shape[-1]).any(dim=0)).flatten()
        if len(cols):
            errors[..., cols] = errors_for(q, qt_y[..., cols], d_inv, weight)
    return errors


def predict_from_gram(gram: torch.Tensor, train: torch.Tensor, test: torch.Tensor, fit: GcvFit) -> torch.Tensor:
    """Predictions for the `test` images of fits made on the `train` images, from the full Gram matrix.

    `train` (n_t,) and `test` (n_s,) index the images; with batched fits they are (B, n_t) and (B, n_s).
    """
    g_tt = gram[train.unsqueeze(-1), train.unsqueeze(-2)]
    g_st = gram[test.unsqueeze(-1), train.unsqueeze(-2)]
    k_st = (g_st - g_tt.mean(dim=-2, keepdim=True) - g_st.mean(dim=-1, keepdim=True)
            + g_tt.mean(dim=(-2, -1), keepdim=True))
    return k_st @ fit.dual + fit.y_mean.unsqueeze(-2)


def kfold_indices(n: int, folds: int = 10, seed: int = 0) -> list[np.ndarray]:
    """Shuffled k-fold test sets over n samples (sizes differ by at most one, like scikit-learn's KFold)."""
    if not 2 <= folds <= n:
        raise ValueError(f"need 2 ≤ folds ≤ {n}, got {folds}")
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(part) for part in np.array_split(order, folds)]


def kfold_predict(gram: torch.Tensor, y: torch.Tensor, folds: Sequence[np.ndarray],
                  alphas: Sequence[float] = ALPHAS, max_targets: int = 2048) -> tuple[torch.Tensor, torch.Tensor]:
    """Held-out predictions (n×T) of ridge fits made without each fold, alpha by GCV inside each training fold.

    Folds of equal size are fitted together in one batch (one batched eigendecomposition), and the targets are
    processed `max_targets` at a time to bound memory. Also returns the chosen alpha indices (folds × T).
    """
    with regression_scope(gram.device):
        return _kfold_predict(gram, y, folds, alphas, max_targets)


def _kfold_predict(gram: torch.Tensor, y: torch.Tensor, folds: Sequence[np.ndarray], alphas: Sequence[float],
                   max_targets: int) -> tuple[torch.Tensor, torch.Tensor]:
    n = gram.shape[0]
    predictions = torch.empty_like(y)
    chosen = torch.empty(len(folds), y.shape[1], dtype=torch.long, device=y.device)
    by_size: dict[int, list[int]] = {}
    for f, test in enumerate(folds):
        by_size.setdefault(len(test), []).append(f)
    for members in by_size.values():
        tests = np.stack([folds[f] for f in members])
        trains = np.stack([np.setdiff1d(np.arange(n), folds[f]) for f in members])
        test_t = torch.as_tensor(tests, device=gram.device)
        train_t = torch.as_tensor(trains, device=gram.device)
        g_tt = gram[train_t.unsqueeze(-1), train_t.unsqueeze(-2)]
        for lo in range(0, y.shape[1], max_targets):
            cols = slice(lo, lo + max_targets)
            fit = _gcv_fit(g_tt, y[train_t][:, :, cols], alphas)
            predicted = predict_from_gram(gram, train_t, test_t, fit)  # (B, n_s, t)
            for b, f in enumerate(members):
                predictions[folds[f], cols] = predicted[b]
                chosen[f, cols] = fit.alpha_index[b]
    return predictions, chosen


def scaled_gram(layer: LayerGram) -> np.ndarray:
    """The layer's Gram matrix scaled by one number so its features' average variance over the images is 1.

    Ridge is not scale-invariant: without this, the same alpha grid would mean weak shrinkage for one layer and
    total shrinkage for another (random networks' activations often shrink layer after layer). One global factor
    keeps the geometry of the features (unlike standardising each feature) and makes the grid comparable.
    """
    n = layer.gram.shape[0]
    centred_trace = np.trace(layer.gram) - layer.gram.sum() / n
    if centred_trace <= 0:
        return layer.gram
    return layer.gram * (n * layer.dim / centred_trace)


# --------------------------------------------------------------------------------------------------------- scores
def pearson_columns(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pearson r between matching columns of two n×T tensors (0 where a column is constant)."""
    ac = a - a.mean(dim=0)
    bc = b - b.mean(dim=0)
    den = torch.sqrt((ac * ac).sum(dim=0) * (bc * bc).sum(dim=0))
    num = (ac * bc).sum(dim=0)
    return torch.where(den > 0, num / torch.where(den > 0, den, torch.ones_like(den)), torch.zeros_like(den))


def signed_r2(r: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """Squared correlation that keeps the sign of r: r·|r| (anti-correlated predictions score below zero)."""
    return r * abs(r)


@dataclass(frozen=True)
class LayerScores:
    """Per-neuron results of one layer."""

    name: str
    score: np.ndarray  # (T,) signed r² of k-fold held-out predictions
    null: np.ndarray  # (N,) the same for the shuffled targets (empty without them)
    alpha: np.ndarray  # (T,) alpha chosen by GCV on all images
    at_max_alpha: np.ndarray  # (T,) bool: the largest alpha won (the readout is close to a constant)
    predictions: np.ndarray  # (n, T) held-out predictions, float32


def score_layer(layer: LayerGram, responses: np.ndarray, folds: Sequence[np.ndarray],
                null_responses: np.ndarray | None = None, alphas: Sequence[float] = ALPHAS,
                device: torch.device | str | None = None) -> LayerScores:
    """Score one layer against responses (n images × T neurons): held-out score, GCV alpha, predictions.

    `null_responses` (n × N) are shuffled targets scored in the same batched solves (their scores are the null).
    """
    dev = runtime.resolve_device(device)
    with regression_scope(dev):
        return _score_layer(layer, responses, folds, null_responses, alphas, dev)


def _score_layer(layer: LayerGram, responses: np.ndarray, folds: Sequence[np.ndarray],
                 null_responses: np.ndarray | None, alphas: Sequence[float], dev: torch.device) -> LayerScores:
    dtype = float_dtype(dev)
    gram = _as_tensor(scaled_gram(layer), dev, dtype)
    y = _as_tensor(responses, dev, dtype)
    t = y.shape[1]
    targets = y if null_responses is None else torch.cat([y, _as_tensor(null_responses, dev, dtype)], dim=1)
    held_out, _ = kfold_predict(gram, targets, folds, alphas)
    scores = signed_r2(pearson_columns(held_out, targets))
    full = gcv_fit(gram, y, alphas)
    alpha_grid = torch.as_tensor(list(alphas), device=dev, dtype=dtype)
    return LayerScores(
        name=layer.name,
        score=scores[:t].cpu().numpy(),
        null=scores[t:].cpu().numpy(),
        alpha=alpha_grid[full.alpha_index].cpu().numpy(),
        at_max_alpha=(full.alpha_index == len(alphas) - 1).cpu().numpy(),
        predictions=held_out[:, :t].to(torch.float32).cpu().numpy(),
    )


# --------------------------------------------------------------------------------------------------- noise ceiling
def spearman_brown(r: np.ndarray | float, factor: float = 2.0) -> np.ndarray | float:
    """Reliability of data `factor` times as long as the halves that correlate at r: f·r / (1 + (f−1)·r)."""
    r = np.asarray(r, dtype=np.float64)
    out = factor * r / (1 + (factor - 1) * r)
    return out if out.ndim else float(out)


def split_half_reliability(even: np.ndarray, odd: np.ndarray) -> np.ndarray:
    """Spearman–Brown-corrected correlation between even- and odd-trial means of each cell (cells × conditions)."""
    even = np.asarray(even, dtype=np.float64)
    odd = np.asarray(odd, dtype=np.float64)
    ec = even - even.mean(axis=1, keepdims=True)
    oc = odd - odd.mean(axis=1, keepdims=True)
    den = np.sqrt((ec**2).sum(axis=1) * (oc**2).sum(axis=1))
    r = np.divide((ec * oc).sum(axis=1), den, out=np.zeros(len(even)), where=den > 0)
    return spearman_brown(np.clip(r, -0.999999, 1.0))


def ceiling_normalised(score: np.ndarray, ceiling: np.ndarray, min_ceiling: float = 0.1) -> np.ndarray:
    """score / ceiling where the ceiling is at least `min_ceiling`, NaN elsewhere (unreliable cells)."""
    score = np.asarray(score, dtype=np.float64)
    ceiling = np.broadcast_to(np.asarray(ceiling, dtype=np.float64), score.shape)
    return np.divide(score, ceiling, out=np.full(score.shape, np.nan), where=ceiling >= min_ceiling)


# ------------------------------------------------------------------------------------------------------------- RSA
def rdm(patterns: np.ndarray, device: torch.device | str | None = None, centre_units: bool = True) -> np.ndarray:
    """RDM of the rows of `patterns` (conditions × units): 1 − Pearson r between every pair of conditions.

    With `centre_units`, each unit's mean over the conditions is removed first, so units that respond more to
    everything do not make all conditions look alike (layer RDMs here are built the same way).
    """
    dev = runtime.resolve_device(device)
    x = _as_tensor(patterns, dev, float_dtype(dev))
    if centre_units:
        x = x - x.mean(dim=0, keepdim=True)
    x = x - x.mean(dim=1, keepdim=True)
    norms = torch.sqrt((x * x).sum(dim=1))
    norms = torch.where(norms > 0, norms, torch.ones_like(norms))
    x = x / norms[:, None]
    return (1.0 - x @ x.T).cpu().numpy()


def rdm_from_gram(layer: LayerGram) -> np.ndarray:
    """RDM (1 − Pearson r between images' feature vectors) computed from a layer's Gram matrix and row sums."""
    cov = layer.gram - np.outer(layer.sums, layer.sums) / layer.dim
    var = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    return 1.0 - cov / np.outer(var, var)


def upper_triangle(matrix: np.ndarray) -> np.ndarray:
    """The entries above the diagonal, row by row."""
    rows, cols = np.triu_indices(len(matrix), k=1)
    return np.asarray(matrix)[rows, cols]


def compare_rdms(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman correlation between the upper triangles of two RDMs."""
    rho = stats.spearmanr(upper_triangle(a), upper_triangle(b)).statistic
    return float(rho) if np.isfinite(rho) else 0.0


def shuffled_rdm_matches(a: np.ndarray, b: np.ndarray, shuffles: int = 200, seed: int = 0) -> np.ndarray:
    """`compare_rdms(a, b)` with the images of `a` relabelled at random, `shuffles` times (a Mantel test's null).

    The entries are ranked once; relabelling the images permutes rows and columns of the rank matrix together, so
    each shuffle is one Pearson correlation of ranks (ties keep their average rank).
    """
    n = len(a)
    rows, cols = np.triu_indices(n, k=1)
    ranks_a = np.zeros((n, n))
    ranks_a[rows, cols] = stats.rankdata(upper_triangle(a))
    ranks_a = ranks_a + ranks_a.T
    rb = stats.rankdata(upper_triangle(b))
    rb = (rb - rb.mean()) / (np.linalg.norm(rb - rb.mean()) or 1.0)
    rng = np.random.default_rng(seed)
    out = np.empty(shuffles)
    for i in range(shuffles):
        order = rng.permutation(n)
        ra = ranks_a[order[rows], order[cols]]
        ra = ra - ra.mean()
        norm = np.linalg.norm(ra)
        out[i] = float(ra @ rb / norm) if norm > 0 else 0.0
    return out
