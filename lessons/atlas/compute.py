"""The activation atlas's compute: sampled activations, cell directions, batched feature inversion, attribution.

After Carter et al. 2019 ("Exploring Neural Networks with Activation Atlases"): one activation vector per image at a
random spatial position, a 2-D layout (lessons/atlas_layout.py), a grid of cell averages, an icon per cell grown by
feature inversion with the shared engine (lessons/optvis), every cell of a chunk in one batch, and each cell's class
attribution (activation × gradient averaged per cell, or this app's filled-map evidence).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from lessons.atlas.layout import whitening_matrix
from lessons.core import capture
from lessons.core.progress import Progress, sub_range
from lessons.core.registry import LoadedModel
from lessons.core.stages import run_stages
from lessons.optvis import render as R
from lessons.optvis.objectives import Objective

DEFAULT_LAYER = {"efficientnet_lite0": "blocks.10", "digit_cnn": "relu2"}
CROP_SIZE = 128  # crops are fed at this size (the network is fully convolutional; 3× cheaper than 224 px)
ICON_SETTINGS = R.Settings(size=64, steps=64, lr=0.08, param="fft", transforms=True)
CHUNK = 64  # cells optimised together in one batch


def layer_maps(loaded: LoadedModel, images: np.ndarray, layer: str, progress: Progress | None = None) -> np.ndarray:
    """Feature maps (N, C, H, W) of `layer` for images (N, S, S, C) uint8 already at the size they are fed at."""
    x = torch.from_numpy(np.asarray(images, np.float32) / 255.0).permute(0, 3, 1, 2)
    mean = torch.tensor(loaded.spec.mean).view(1, -1, 1, 1)
    std = torch.tensor(loaded.spec.std).view(1, -1, 1, 1)
    x = ((x - mean) / std).contiguous()
    return capture.capture(loaded, x, [layer], progress=progress)[layer]


def sample_positions(maps: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One random spatial position per feature map: (vectors at those positions (N, C), positions (N, 2))."""
    rng = np.random.default_rng(seed)
    n, _, h, w = maps.shape
    pos = np.stack([rng.integers(h, size=n), rng.integers(w, size=n)], axis=1)
    vectors = maps[np.arange(n), :, pos[:, 0], pos[:, 1]]
    return vectors.astype(np.float32), pos


def sampled_activations(loaded: LoadedModel, images: np.ndarray, layer: str, seed: int = 0,
                        progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One activation vector per image at a random spatial position of `layer`: (vectors (N, C), positions (N, 2)).

    `images` are (N, S, S, C) uint8 already at the size they are fed at (no resizing or centre-cropping here).
    """
    return sample_positions(layer_maps(loaded, images, layer, progress), seed)


def _rest_of_network(loaded: LoadedModel, layer: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The stages after `layer`, as one function from its feature maps to the logits."""
    rest = loaded.stages[loaded.layer_names.index(layer) + 1:]

    def run(x: torch.Tensor) -> torch.Tensor:
        for stage in rest:
            x = stage.run(x)
        return x
    return run


_FORWARD_AD_LOCK = threading.Lock()


def gradient_attribution(loaded: LoadedModel, layer: str, maps: np.ndarray, positions: np.ndarray,
                         batch: int = 64, progress: Progress | None = None) -> np.ndarray:
    """Carter et al.'s attribution (N, classes): activation × gradient of every class logit with respect to the
    activation vector at each image's sampled position, in the image's own feature map.

    a·∇s is the derivative of the logits along a (placed at the sampled position only), so all classes come from
    one forward pass with forward-mode differentiation (`torch.func.jvp`) instead of one backward pass per class.
    Exact, unlike a finite difference (which the network's ReLU kinks and float32 rounding would spoil).
    """
    run = _rest_of_network(loaded, layer)
    n = len(maps)
    parts = []
    for start in range(0, n, batch):
        h = torch.from_numpy(np.ascontiguousarray(maps[start:start + batch], np.float32))
        rows = torch.arange(len(h))
        pos = torch.from_numpy(np.asarray(positions[start:start + batch]))
        along = torch.zeros_like(h)
        along[rows, :, pos[:, 0], pos[:, 1]] = h[rows, :, pos[:, 0], pos[:, 1]]
        with _FORWARD_AD_LOCK, torch.no_grad():  # forward-mode levels are process-wide: one user at a time
            _, derivative = torch.func.jvp(run, (h.to(loaded.device),), (along.to(loaded.device),))
        parts.append(derivative.float().cpu().numpy())
        if progress is not None:
            progress(min(start + batch, n) / n, f"{min(start + batch, n):,} of {n:,} points")
    return np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)


def cell_directions(acts: np.ndarray, means: np.ndarray, whitened: bool = True) -> np.ndarray:
    """Unit-length directions (K, C) to optimise for each cell's mean; whitened by the activations' second moment."""
    d = np.asarray(means, np.float64)
    if whitened:
        d = d @ whitening_matrix(acts).astype(np.float64)
    return (d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def per_image_direction(layer: str, directions: np.ndarray | torch.Tensor, cos_power: float = 1.0) -> Objective:
    """Image b maximises its spatially averaged activation · directions[b], weighted by cosine^cos_power (>0)."""
    v = torch.as_tensor(np.asarray(directions), dtype=torch.float32)

    def fn(a: dict[str, torch.Tensor]) -> torch.Tensor:
        t = a[layer]
        t = t.mean(dim=(-2, -1)) if t.dim() == 4 else t
        vv = v.to(t.device)
        dot = (t * vv).sum(dim=1)
        if not cos_power:
            return dot
        cos = torch.nn.functional.cosine_similarity(t, vv, dim=1).clamp(min=0.1)
        return dot * cos**cos_power
    return Objective(fn, frozenset({layer}), f"{layer}·direction per image")


def direction_scores(loaded: LoadedModel, layer: str, images: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Matrix (B, K): spatially averaged activation of each image (B, H, W, C in [0, 1]) · each direction."""
    x = torch.as_tensor(np.asarray(images, np.float32)).permute(0, 3, 1, 2).to(loaded.device)
    with torch.inference_mode():
        acts = R.activations(loaded, per_image_direction(layer, directions[:1]), x)[layer]
        pooled = acts.mean(dim=(-2, -1)).float().cpu().numpy()
    return pooled @ np.asarray(directions, np.float32).T


@dataclass(frozen=True)
class Icons:
    """One feature-inverted image per cell (K, H, W, C) in [0, 1], with each one's final objective value."""

    images: np.ndarray
    scores: np.ndarray


def invert_cells(loaded: LoadedModel, layer: str, directions: np.ndarray, settings: R.Settings = ICON_SETTINGS,
                 chunk: int = CHUNK, progress: Progress | None = None) -> Icons:
    """Feature inversion of every direction; `chunk` cells share one optimisation batch (1 = one at a time)."""
    k = len(directions)
    images, scores = [], []
    for start in range(0, k, max(chunk, 1)):
        part = directions[start:start + chunk]

        cells = sub_range(progress, start / k, (start + len(part)) / k,
                          prefix=f"cells {start + 1}–{start + len(part)} of {k}: ")
        result = R.render(loaded, per_image_direction(layer, part),
                          R.Settings(**{**settings.__dict__, "batch": len(part)}), progress=cells)
        images.append(result.images)
        scores.append(result.scores)
    if not images:
        c = loaded.spec.channels
        return Icons(np.zeros((0, settings.size, settings.size, c), np.float32), np.zeros(0, np.float32))
    return Icons(np.concatenate(images), np.concatenate(scores))


def cell_logit_attribution(loaded: LoadedModel, layer: str, means: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """This app's class evidence (K, classes) of each cell's mean activation: the rest of the network's logits for a
    feature map filled with that vector, minus its logits for a map filled with `baseline` (the mean of all points)."""
    shape = loaded.output_shapes[layer]
    vectors = np.concatenate([np.asarray(means, np.float32), np.asarray(baseline, np.float32)[None]])
    x = torch.from_numpy(vectors)[:, :, None, None].expand(-1, -1, shape[1], shape[2]).contiguous().to(loaded.device)
    with torch.inference_mode():
        out = _rest_of_network(loaded, layer)(x).float().cpu().numpy()
    return out[:-1] - out[-1:]


def top_classes(attribution: np.ndarray, names: tuple[str, ...] | list[str], k: int = 3) -> list[list[tuple[str, float]]]:
    """The k classes with the most evidence in each row of an attribution matrix, with their values."""
    order = np.argsort(-attribution, axis=1)[:, :k]
    return [[(names[j], float(attribution[i, j])) for j in row] for i, row in enumerate(order)]


def mosaic(icons: np.ndarray, kept: np.ndarray, grid: int, highlight: np.ndarray | None = None,
           background: float = 1.0) -> np.ndarray:
    """The atlas picture: each kept cell's icon at its (row, col), blank elsewhere (grid·H, grid·W, C).

    With `highlight` (one weight in [0, 1] per kept cell), icons are faded towards white where the weight is low.
    """
    if len(icons) == 0:
        return np.full((grid * 8, grid * 8, 3), background, np.float32)
    _, h, w, c = icons.shape
    canvas = np.full((grid * h, grid * w, c), background, np.float32)
    for i, (row, col) in enumerate(np.asarray(kept)):
        tile = icons[i]
        if highlight is not None:
            a = float(np.clip(highlight[i], 0.0, 1.0))
            tile = a * tile + (1 - a) * background * 0.85 + (1 - a) * 0.15 * tile
        canvas[row * h:(row + 1) * h, col * w:(col + 1) * w] = tile
    return canvas


def icon_grid(icons: np.ndarray, kept: np.ndarray, grid: int) -> np.ndarray:
    """The atlas as an array (grid, grid, H, W, C): each kept cell's icon at [row, col], NaN in the dropped cells."""
    icons = np.asarray(icons, dtype=np.float32)
    _, h, w, c = icons.shape if len(icons) else (0, 1, 1, 3)
    out = np.full((grid, grid, h, w, c), np.nan, np.float32)
    for icon, (row, col) in zip(icons, np.asarray(kept)):
        out[row, col] = icon
    return out


def class_share(attribution: np.ndarray, class_index: int) -> np.ndarray:
    """How strongly each cell speaks for one class, scaled to [0, 1] over the cells (0 = least, 1 = most)."""
    col = attribution[:, class_index]
    lo, hi = float(col.min()), float(col.max())
    return (col - lo) / (hi - lo) if hi > lo else np.ones_like(col)


def class_regions(evidence: np.ndarray, kept: np.ndarray, grid: int, fraction: float = 0.5) -> list[int]:
    """Sizes (in cells, largest first) of the connected groups of kept cells whose evidence for a class is at least
    `fraction` of its largest positive value; side-by-side cells (not diagonal) connect. Empty if none is positive."""
    from scipy import ndimage

    evidence = np.asarray(evidence, dtype=np.float64)
    if len(evidence) == 0 or evidence.max() <= 0:
        return []
    strong = np.zeros((grid, grid), bool)
    picked = np.asarray(kept)[evidence >= fraction * evidence.max()]
    strong[picked[:, 0], picked[:, 1]] = True
    labels, found = ndimage.label(strong)
    return sorted(np.bincount(labels.ravel())[1:].tolist(), reverse=True) if found else []


def class_region_summary(label: str, sizes: list[int]) -> str:
    """A sentence: does the class live in one place of the atlas, several, or nowhere?"""
    if not sizes:
        return f"No cell raises the logit of **{label}** here: this atlas holds no positive evidence for it."
    cells = sum(sizes)
    strong = f"The {cells} cell{'s' if cells > 1 else ''} with at least half of the strongest evidence for **{label}**"
    if len(sizes) == 1:
        return (f"{strong} form one connected region: in this atlas the class lives in one place (the usual expectation, "
                "several visual routes to one class, does not hold here).")
    return (f"{strong} form **{len(sizes)} separate regions** ({', '.join(map(str, sizes))} cells): several "
            "visual routes (parts, textures, contexts) lead to the same answer. Do their icons look different?")


def shared_cells(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Kept cells whose evidence is positive for both classes, strongest shared evidence (the smaller one) first."""
    both = np.minimum(np.asarray(first, np.float64), np.asarray(second, np.float64))
    hits = np.flatnonzero(both > 0)
    return hits[np.argsort(-both[hits], kind="stable")]


def shared_cells_summary(first_label: str, second_label: str, shared: np.ndarray, kept: np.ndarray) -> str:
    """A sentence: how many cells raise both classes' logits, and where the strongest one is."""
    if first_label == second_label:
        return "Pick two different classes to compare."
    if len(shared) == 0:
        return (f"No cell raises both **{first_label}** and **{second_label}**: in this atlas the two classes use "
                "separate cells, so the middle strip shows the cells that come closest.")
    row, col = np.asarray(kept)[shared[0]]
    return (f"**{len(shared)} of {len(kept)} cells** raise both **{first_label}** and **{second_label}**; the "
            f"strongest shared cell is row {row + 1}, column {col + 1}. Is that where the two could be confused?")


# ------------------------------------------------------------------------------------------ what the network reads
def icon_readings(loaded: LoadedModel, icons: np.ndarray, batch: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """What the whole network calls each icon (K, H, W, C in [0, 1]), read at the size it was grown at: the top
    class of each (K,) and its softmax probability (K,)."""
    classes, probabilities = [np.zeros(0, np.int64)], [np.zeros(0, np.float32)]
    for start in range(0, len(icons), batch):
        x = torch.as_tensor(np.asarray(icons[start:start + batch], np.float32)).permute(0, 3, 1, 2).to(loaded.device)
        with torch.inference_mode():
            logits, _ = run_stages(loaded.stages, R.model_input(loaded, x))
        p = torch.softmax(logits.float(), dim=1).cpu().numpy()
        classes.append(p.argmax(axis=1).astype(np.int64))
        probabilities.append(p.max(axis=1).astype(np.float32))
    return np.concatenate(classes), np.concatenate(probabilities)


# ------------------------------------------------------------------------------------------ "What to notice"
#: The layout "gathers points into clumps" when its fullest cell holds at least this many times an even share.
CLUMP_FACTOR = 2.0


def spread_notice(counts: np.ndarray, kept: int, min_count: int) -> str:
    """What to notice on the atlas: how unevenly the layout spreads the points over the grid's cells."""
    counts = np.asarray(counts)
    cells, points = counts.size, int(counts.sum())
    even, fullest = points / cells, int(counts.max())
    empty = int((counts == 0).sum())
    text = (f"The fullest cell holds **{fullest}** points, {fullest / even:.1f}× the {even:.1f} an even spread would "
            f"give each of the {cells} cells; {cells - kept} cells hold fewer than {min_count} points and get no "
            f"icon ({empty} of them hold none at all). ")
    if fullest >= CLUMP_FACTOR * even:
        return text + ("The layout gathers similar activations into clumps with gaps between them: the empty cells "
                       "are places where no real image's activation landed.")
    return text + ("The points are spread fairly evenly over the grid: no cell holds even "
                   f"{CLUMP_FACTOR:g}× its share.")


def icon_notice(names: list[str] | tuple[str, ...], icon_class: int, probability: float, evidence_class: int,
                agreeing: int, total: int) -> str:
    """What to notice about one cell: does the network read its icon as the class its evidence speaks for most?"""
    text = (f"Shown on its own, this cell's icon is read by the network as **{names[icon_class]}** "
            f"({probability:.0%}); the cell's points speak most for **{names[evidence_class]}**. ")
    if icon_class == evidence_class:
        text += "Here the two agree. "
    else:
        text += ("They differ: the icon is one image grown to produce the cell's average activation at this layer, "
                 "the evidence averages what the cell's real points do to the logits. ")
    return text + f"Across the atlas, {agreeing} of {total} icons are read as their cell's strongest class."
