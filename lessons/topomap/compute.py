"""Topographic activation maps (Krug et al.): unit profiles, a PCA layout, class maps on a grid, smoothness metrics.

Pure compute (no Streamlit); numpy in, numpy out.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.interpolate import LinearNDInterpolator

from lessons.core import chance

GRID = 100
SMOOTHING = 0.5  # the smoothing's Gaussian sigma, as a fraction of the units' mean spacing on the sheet


def class_mean_profiles(activations: np.ndarray, labels: np.ndarray, n_classes: int,
                        subtract_mean: bool = True) -> np.ndarray:
    """Per-unit class-mean activations (units, classes); conv maps (N, C, H, W) are averaged over positions."""
    acts = np.asarray(activations, dtype=np.float32)
    if acts.ndim == 4:
        acts = acts.mean(axis=(2, 3))
    onehot = np.eye(n_classes, dtype=np.float32)[np.asarray(labels)]
    counts = np.maximum(onehot.sum(axis=0), 1.0)
    means = (onehot.T @ acts) / counts[:, None]  # (classes, units)
    if subtract_mean:
        means = means - means.mean(axis=0, keepdims=True)
    return means.T


def scale_unit_square(points: np.ndarray) -> np.ndarray:
    """Scale points into [0, 1]² keeping their aspect ratio (the shorter axis is centred); one point goes to 0.5."""
    pts = np.asarray(points, dtype=np.float64)
    low, span = pts.min(axis=0), np.ptp(pts, axis=0)
    scale = span.max()
    if scale <= 0:
        return np.full_like(pts, 0.5)
    return np.clip((pts - low) / scale + (1.0 - span / scale) / 2.0, 0.0, 1.0)


def pca_layout(profiles: np.ndarray, metric: str = "cosine") -> np.ndarray:
    """Units placed by the first two principal components of their (cosine: unit-length) profiles, in [0, 1]²."""
    x = np.asarray(profiles, dtype=np.float64)
    if metric == "cosine":
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    x = x - x.mean(axis=0)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    coords = u[:, :2] * s[:2]
    if coords.shape[1] < 2:
        coords = np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))
    return scale_unit_square(coords)


def topomaps(coords: np.ndarray, values: np.ndarray, grid: int = GRID) -> np.ndarray:
    """Linear interpolation of unit values (units, classes) onto a grid×grid map per class; NaN outside the hull."""
    axis = np.linspace(0.0, 1.0, grid)
    gx, gy = np.meshgrid(axis, axis)
    interpolate = LinearNDInterpolator(np.asarray(coords, dtype=np.float64), np.asarray(values, dtype=np.float64))
    maps = interpolate(np.column_stack([gx.ravel(), gy.ravel()]))  # (grid², classes)
    return np.moveaxis(maps.reshape(grid, grid, -1), -1, 0)


def smoothing_sigma(units: int, grid: int = GRID) -> float:
    """The Gaussian width (grid pixels) that hides the triangulation: half the spacing of `units` spread evenly over
    the sheet, between 1 and 12 pixels. It depends on the number of units only, so every layout is smoothed alike."""
    spacing = grid / np.sqrt(max(int(units), 1))
    return float(np.clip(SMOOTHING * spacing, 1.0, 12.0))


def smooth(maps: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing of maps (…, grid, grid) inside their finite area only (normalised convolution): values
    outside never leak in, a constant map stays constant, and every pixel outside stays NaN."""
    m = np.asarray(maps, dtype=np.float64)
    inside = np.isfinite(m)
    if sigma <= 0 or not inside.any():
        return m.copy()
    spatial = (0,) * (m.ndim - 2) + (sigma, sigma)
    weight = ndimage.gaussian_filter(inside.astype(np.float64), spatial, mode="constant")
    total = ndimage.gaussian_filter(np.where(inside, m, 0.0), spatial, mode="constant")
    out = np.divide(total, weight, out=np.full_like(m, np.nan), where=inside & (weight > 1e-12))
    return out


def smooth_topomaps(coords: np.ndarray, values: np.ndarray, grid: int = GRID,
                    sigma: float | None = None) -> np.ndarray:
    """Class maps without visible triangles, as in Krug et al.'s figures: unit values (units, classes) interpolated
    linearly onto a grid×grid sheet, then Gaussian-smoothed inside the units' convex hull (NaN outside).

    `sigma` in grid pixels; by default `smoothing_sigma` of the number of units."""
    sigma = smoothing_sigma(len(coords), grid) if sigma is None else float(sigma)
    return smooth(topomaps(coords, values, grid), sigma)


def layer_limit(maps: np.ndarray) -> float:
    """The one symmetric colour limit of a layer's class maps: their largest absolute finite value (1 if none)."""
    values = np.abs(np.asarray(maps, dtype=np.float64))
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size and finite.max() > 0 else 1.0


def rendered(maps: np.ndarray, limit: float | None = None) -> np.ndarray:
    """The maps as drawn, in float on [0, 1]: one symmetric scale [−limit, limit] for all of them (by default the
    layer's `layer_limit`, as in Krug et al. and on the page), 0.5 = zero; outside the hull is the neutral 0.5."""
    limit = layer_limit(maps) if limit is None else float(limit)
    m = np.nan_to_num(np.asarray(maps, dtype=np.float64), nan=0.0)
    return np.clip(0.5 + 0.5 * m / limit, 0.0, 1.0)


def blur_errors(maps: np.ndarray, levels: int = 10) -> np.ndarray:
    """Mean squared error (float, no wrap-around) of the rendered maps (one scale for all, see `rendered`) after
    Gaussian blur of sigma 2k+2, k = 0…levels-1."""
    m = rendered(maps)
    return np.array([np.mean((ndimage.gaussian_filter(m, sigma=(0, 2 * k + 2, 2 * k + 2)) - m) ** 2)
                     for k in range(levels)])


def auc(errors: np.ndarray) -> float:
    """Area under an error curve over its levels (trapezoids, unit spacing); lower means smoother maps."""
    e = np.asarray(errors, dtype=np.float64)
    return float(np.sum((e[1:] + e[:-1]) / 2.0))


def resample_errors(maps: np.ndarray, levels: int = 10) -> np.ndarray:
    """Mean squared error (float) of the rendered maps (one scale for all, see `rendered`) after shrinking each map
    to 55−5k pixels and scaling it back, k = 0…levels-1."""
    m = rendered(maps)
    size = m.shape[-1]
    errors = []
    for k in range(levels):
        factor = (55 - 5 * k) / size
        small = ndimage.zoom(m, (1, factor, factor), order=1)
        back = ndimage.zoom(small, (1, size / small.shape[1], size / small.shape[2]), order=1)
        errors.append(np.mean((back[:, :size, :size] - m) ** 2))
    return np.array(errors)


def components(maps: np.ndarray, level: float = 0.1, min_size: int = 10) -> tuple[float, float]:
    """Krug et al.'s blob count: connected regions of each map above +level or below −level (as a fraction of the
    layer's one symmetric limit, i.e. visibly red or blue as drawn), at least `min_size` pixels; (mean count, mean
    size in px)."""
    m = rendered(maps) - 0.5
    counts, sizes = [], []
    for one in m.reshape(-1, *m.shape[-2:]):
        total_count, total_size = 0, 0
        for mask in (one > level / 2, one < -level / 2):
            labels, found = ndimage.label(mask)
            if found:
                area = np.bincount(labels.ravel())[1:]
                big = area[area >= min_size]
                total_count += len(big)
                total_size += int(big.sum())
        counts.append(total_count)
        sizes.append(total_size / total_count if total_count else 0.0)
    return float(np.mean(counts)), float(np.mean(sizes))


def quality(maps: np.ndarray) -> dict[str, float]:
    """The paper's layout-quality numbers for a set of class maps: both error AUCs (lower = smoother) and blobs."""
    count, size = components(maps)
    return {"resample_auc": auc(resample_errors(maps)), "blur_auc": auc(blur_errors(maps)),
            "components": count, "component_px": size}


def class_order(profiles: np.ndarray) -> np.ndarray:
    """Classes ordered by a dendrogram (average linkage, cosine) of their unit patterns, so similar maps sit together."""
    from scipy.cluster.hierarchy import leaves_list, linkage

    patterns = np.asarray(profiles, dtype=np.float64).T  # (classes, units)
    if len(patterns) < 3:
        return np.arange(len(patterns))
    norms = np.linalg.norm(patterns, axis=1, keepdims=True)
    patterns = np.divide(patterns, norms, out=np.zeros_like(patterns), where=norms > 1e-12)
    return leaves_list(linkage(patterns, method="average", metric="euclidean"))


def group_profiles(activations: np.ndarray, groups: list[np.ndarray], reference: np.ndarray | None = None) -> np.ndarray:
    """Mean activation of each group of images (units, groups), minus a reference pattern per unit (e.g. the mean
    over classes); the error view compares the correct and the wrong images of one class this way."""
    acts = np.asarray(activations, dtype=np.float32)
    if acts.ndim == 4:
        acts = acts.mean(axis=(2, 3))
    columns = [acts[g].mean(axis=0) if len(g) else np.full(acts.shape[1], np.nan, np.float32) for g in groups]
    out = np.stack(columns, axis=1)
    return out - reference[:, None] if reference is not None else out


def preferred_classes(profiles: np.ndarray) -> np.ndarray:
    """Each unit's preferred class: the column of its profile (units, classes) with the highest value."""
    return np.asarray(profiles).argmax(axis=1)


def top_images(activations: np.ndarray, unit: int, k: int = 6) -> np.ndarray:
    """Indices of the k images that drive a unit hardest (conv maps are averaged over positions), strongest first."""
    acts = np.asarray(activations)
    values = acts[:, unit].reshape(len(acts), -1).mean(axis=1)
    k = min(k, len(values))
    best = np.argpartition(-values, k - 1)[:k]
    return best[np.argsort(-values[best], kind="stable")]


def _cosine_similarities(profiles: np.ndarray, unit: int) -> np.ndarray:
    """Cosine similarity of every unit's profile with one unit's profile (0 for an all-zero profile)."""
    x = np.asarray(profiles, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1)
    unit_vectors = np.divide(x, norms[:, None], out=np.zeros_like(x), where=norms[:, None] > 1e-12)
    return unit_vectors @ unit_vectors[unit]


def nearest_neighbour(coords: np.ndarray, profiles: np.ndarray, unit: int) -> tuple[int, float, float]:
    """The unit closest to `unit` on the sheet, its profile's cosine similarity with `unit`, and the mean similarity
    of `unit` with all other units (what a neighbour picked at random would give)."""
    xy = np.asarray(coords, dtype=np.float64)
    gaps = np.linalg.norm(xy - xy[unit], axis=1)
    gaps[unit] = np.inf
    neighbour = int(np.argmin(gaps))
    similarity = _cosine_similarities(profiles, unit)
    others = np.delete(similarity, unit)
    return neighbour, float(similarity[neighbour]), float(others.mean())


def neighbour_summary(unit: int, neighbour: int, similarity: float, mean_similarity: float) -> str:
    """A sentence comparing a unit's nearest neighbour on the sheet with an average unit, by profile similarity."""
    numbers = (f"Its nearest neighbour on the sheet, unit {neighbour}, has a profile cosine similarity of "
               f"**{similarity:.2f}** with unit {unit}; the other units have **{mean_similarity:.2f}** on average")
    if round(similarity, 2) > round(mean_similarity, 2):
        verdict = "here the neighbour is more alike than an average unit, as a topographic map should make it."
    else:
        verdict = ("here the neighbour is *not* more alike than an average unit: at this spot the layout did not "
                   "put similar units side by side.")
    return f"{numbers}: {verdict}"


def _rms_gap(pooled: np.ndarray, first: np.ndarray, second: np.ndarray) -> float:
    """Root mean square over units of the difference between two groups' mean activations."""
    return float(np.sqrt(np.mean((pooled[first].mean(axis=0) - pooled[second].mean(axis=0)) ** 2)))


def group_gap(activations: np.ndarray, first: np.ndarray, second: np.ndarray, shuffles: int = 200,
              seed: int = 0) -> tuple[float, np.ndarray]:
    """How far apart two groups' mean unit patterns are (RMS over units), and the same for `shuffles` random splits
    of their images into groups of the same sizes (chance)."""
    acts = np.asarray(activations, dtype=np.float64)
    pooled = acts.mean(axis=(2, 3)) if acts.ndim == 4 else acts
    first, second = np.asarray(first), np.asarray(second)
    observed = _rms_gap(pooled, first, second)
    together = np.concatenate([first, second])
    rng = np.random.default_rng(seed)
    shuffled = np.empty(shuffles)
    for i in range(shuffles):
        mixed = rng.permutation(together)
        shuffled[i] = _rms_gap(pooled, mixed[:len(first)], mixed[len(first):])
    return observed, shuffled


def group_gap_summary(observed: float, shuffled: np.ndarray, n_wrong: int) -> str:
    """A sentence: is the gap between the correct and the misclassified images' unit patterns beyond chance?"""
    verdict = chance.verdict(observed, shuffled)
    numbers = (f"The correct and the {n_wrong} misclassified images differ by **{observed:.3f}** per unit (RMS of "
               f"the mean activations); random splits of the same images into groups of the same sizes differ by "
               f"{verdict.chance_level:.3f} on average, and by {verdict.chance_95:.3f} or less in 95 % of "
               f"{len(shuffled)} splits (chance)")
    if verdict.above_chance:
        return (f"{numbers} — the gap is {verdict.words}: the layer already responded differently to the images "
                "the network gets wrong.")
    return (f"{numbers} — the gap is {verdict.words}: with these images the maps cannot show that the layer "
            "responds differently to the wrong ones.")
