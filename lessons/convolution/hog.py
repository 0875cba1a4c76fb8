"""Histograms of oriented gradients for the Convolution lesson: scikit-image's HOG, one cell's histogram, tolerance.

Pure functions (no Streamlit). Gradient directions are unsigned (0°–180°) and measured like scikit-image does:
0° is a gradient pointing along the columns (→), so a *vertical* edge votes for the 0° bin; the picture scikit-image
draws shows each bin as a line along the edge, at 90° to its gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skimage.feature import hog

from lessons.convolution.compute import Padding, correlate2d_stack
from lessons.convolution.kernels import SOBEL_X, SOBEL_Y
from lessons.convolution.template_matching import extract, transform_image

#: Cell sides (pixels) a student may choose.
CELL_SIZES: tuple[int, ...] = (4, 6, 8, 10, 12, 16)
#: The tolerance summary reports the similarities after this many steps: 2 pixels of shift, or 10° of rotation.
PROBE_STEP = 2


@dataclass(frozen=True)
class HogResult:
    """A HOG descriptor, its drawing, and the unnormalised histogram of every cell."""

    features: np.ndarray  # (blocks_r, blocks_c, cells_per_block, cells_per_block, orientations), block-normalised
    drawing: np.ndarray  # H×W float: one line per bin and cell, brightness = that bin's strength
    cells: np.ndarray  # (cells_r, cells_c, orientations): mean gradient magnitude per bin
    orientations: int
    pixels_per_cell: int
    cells_per_block: int


def hog_descriptor(image: np.ndarray, orientations: int = 9, pixels_per_cell: int = 8,
                   cells_per_block: int = 2) -> HogResult:
    """Run scikit-image's HOG (L2-Hys blocks, drawing included) on a grayscale image."""
    img = np.asarray(image, dtype=np.float64)
    need = pixels_per_cell * cells_per_block
    if min(img.shape) < need:
        raise ValueError(f"the image ({img.shape[0]}×{img.shape[1]}) must hold at least one block of "
                         f"{cells_per_block}×{cells_per_block} cells of {pixels_per_cell} px ({need} px)")
    features, drawing = hog(img, orientations=orientations, pixels_per_cell=(pixels_per_cell, pixels_per_cell),
                            cells_per_block=(cells_per_block, cells_per_block), block_norm="L2-Hys",
                            visualize=True, feature_vector=False)
    cells = cell_histograms(img, orientations, pixels_per_cell)
    return HogResult(features, drawing, cells, orientations, pixels_per_cell, cells_per_block)


def blocks_fit(shape: tuple[int, int], pixels_per_cell: int, cells_per_block: int) -> bool:
    """Whether an image of this shape holds at least one block of cells_per_block² cells of pixels_per_cell px."""
    return min(shape) >= pixels_per_cell * cells_per_block


def cell_patch(image: np.ndarray, row: int, col: int, pixels_per_cell: int) -> np.ndarray:
    """The pixels of cell (row, col)."""
    top, left = row * pixels_per_cell, col * pixels_per_cell
    return np.asarray(image)[top:top + pixels_per_cell, left:left + pixels_per_cell]


def gradients(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference gradients (row, column) as HOG takes them: next pixel minus previous, 0 at the border."""
    img = np.asarray(image, dtype=np.float64)
    g_row = np.zeros_like(img)
    g_col = np.zeros_like(img)
    g_row[1:-1, :] = img[2:, :] - img[:-2, :]
    g_col[:, 1:-1] = img[:, 2:] - img[:, :-2]
    return g_row, g_col


def bin_edges(orientations: int) -> np.ndarray:
    """Edges in degrees of the unsigned orientation bins: 0, 180/n, …, 180."""
    return np.linspace(0.0, 180.0, orientations + 1)


def cell_histograms(image: np.ndarray, orientations: int = 9, pixels_per_cell: int = 8) -> np.ndarray:
    """Per cell and bin, the gradient magnitude summed over the cell's pixels divided by the cell's area."""
    g_row, g_col = gradients(image)
    magnitude = np.hypot(g_row, g_col)
    angle = np.rad2deg(np.arctan2(g_row, g_col)) % 180.0
    # Bin i holds angles in [edge_i, edge_i+1), with the edges rounded to float32 as scikit-image computes them.
    step = np.float32(180.0 / orientations)
    edges = (step * np.arange(orientations + 1, dtype=np.float32)).astype(np.float64)
    bins = np.searchsorted(edges, angle, side="right") - 1
    magnitude = np.where(bins < orientations, magnitude, 0.0)
    bins = np.minimum(bins, orientations - 1)
    n_r, n_c = image.shape[0] // pixels_per_cell, image.shape[1] // pixels_per_cell
    crop = (slice(0, n_r * pixels_per_cell), slice(0, n_c * pixels_per_cell))
    cell_r = (np.arange(n_r * pixels_per_cell) // pixels_per_cell)[:, None]
    cell_c = (np.arange(n_c * pixels_per_cell) // pixels_per_cell)[None, :]
    flat_index = (cell_r * n_c + cell_c) * orientations + bins[crop]
    sums = np.bincount(flat_index.ravel(), weights=magnitude[crop].ravel(), minlength=n_r * n_c * orientations)
    return sums.reshape(n_r, n_c, orientations) / pixels_per_cell**2


def strongest_cell(cells: np.ndarray) -> tuple[int, int]:
    """(row, column) of the cell with the most gradient strength in all directions together."""
    r, c = np.unravel_index(int(np.argmax(cells.sum(axis=-1))), cells.shape[:2])
    return int(r), int(c)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two equally shaped arrays (1 = same pattern, 0 = unrelated); 0 if one is flat."""
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    x = x - x.mean()
    y = y - y.mean()
    norm = np.sqrt((x @ x) * (y @ y))
    return float(x @ y / norm) if norm > 1e-12 else 0.0


def fit_cells(size: int, pixels_per_cell: int, cells_per_block: int) -> tuple[int, int]:
    """HOG settings that fit a size×size patch: the given ones if at least one block fits, else smaller ones."""
    if size // pixels_per_cell >= cells_per_block:
        return pixels_per_cell, cells_per_block
    cells_per_block = max(1, min(cells_per_block, size // 4))
    return max(2, size // max(2, cells_per_block)), cells_per_block


@dataclass(frozen=True)
class Tolerance:
    """How similar a patch stays to itself when moved, as raw pixels, as an edge map, and as HOG."""

    amounts: np.ndarray  # pixels of shift, or degrees of rotation
    pixels: np.ndarray
    edges: np.ndarray
    hog: np.ndarray


def tolerance_amounts(kind: str) -> np.ndarray:
    """The moves the tolerance curves try: 0…8 pixels of shift, or 0°…45° of rotation in steps of 5°."""
    if kind == "shift":
        return np.arange(0, 9)
    if kind == "rotation":
        return np.arange(0, 46, 5)
    raise ValueError("kind must be 'shift' or 'rotation'")


def _descriptors(patch: np.ndarray, orientations: int, ppc: int, cpb: int,
                 padding: Padding = "replicate") -> tuple[np.ndarray, np.ndarray]:
    gx, gy = correlate2d_stack(patch, [SOBEL_X, SOBEL_Y], padding)
    features = hog(np.asarray(patch, dtype=np.float64), orientations=orientations, pixels_per_cell=(ppc, ppc),
                   cells_per_block=(cpb, cpb), block_norm="L2-Hys")
    return np.hypot(gx, gy)[1:-1, 1:-1], features


def tolerance(image: np.ndarray, row: int, col: int, size: int, kind: str, amounts: np.ndarray,
              orientations: int = 9, pixels_per_cell: int = 8, cells_per_block: int = 2) -> Tolerance:
    """Similarity of the patch at (row, col) to itself shifted right or rotated by each amount, three ways."""
    if kind not in ("shift", "rotation"):
        raise ValueError("kind must be 'shift' or 'rotation'")
    ppc, cpb = fit_cells(size, pixels_per_cell, cells_per_block)
    margin = size
    padded = np.pad(np.asarray(image, dtype=np.float32), margin, mode="reflect")
    base = extract(padded, row + margin, col + margin, size)
    base_edges, base_hog = _descriptors(base, orientations, ppc, cpb)
    around = extract(padded, row, col, 3 * size)  # the patch with one patch-width of context on each side
    pixels, edges, hogs = [], [], []
    for amount in amounts:
        if kind == "shift":
            moved = extract(padded, row + margin, col + margin + int(amount), size)
        else:
            moved = extract(transform_image(around, float(amount)), size, size, size)
        moved_edges, moved_hog = _descriptors(moved, orientations, ppc, cpb)
        pixels.append(correlation(base, moved))
        edges.append(correlation(base_edges, moved_edges))
        hogs.append(correlation(base_hog, moved_hog))
    return Tolerance(np.asarray(amounts, dtype=np.float64), np.asarray(pixels), np.asarray(edges), np.asarray(hogs))


def _move(kind: str, amount: float) -> tuple[str, str]:
    """The move in words, with and without its size: ("a 2-pixel shift", "shift") or ("a 10° turn", "turn")."""
    if kind == "shift":
        return f"a {amount:g}-pixel shift", "shift"
    if kind == "rotation":
        return f"a {amount:g}° turn", "turn"
    raise ValueError("kind must be 'shift' or 'rotation'")


def _as_shown(value: float) -> float:
    """A similarity rounded as the page prints it (two decimals), so comparisons agree with what is read."""
    return float(f"{value:.2f}") + 0.0  # + 0.0 turns −0.00 into 0.00


def _hog_against_pixels(noun: str, hog_value: float, pixels: float) -> str:
    """HOG against the raw pixels that template matching compares."""
    if hog_value > pixels:
        return (f"**HOG tolerated the {noun} better than raw pixels** (what template matching compares): it kept "
                f"**{hog_value - pixels:.2f}** more correlation ({hog_value:.2f} vs {pixels:.2f}), as the textbook "
                "expects on detailed patches.")
    if hog_value < pixels:
        return (f"**HOG did not tolerate the {noun} better than raw pixels** (what template matching compares): "
                f"the raw pixels kept **{pixels - hog_value:.2f}** more correlation ({pixels:.2f} vs "
                f"{hog_value:.2f}). The textbook expects HOG to win on detailed patches, raw pixels on smooth ones: "
                "is this template smooth or detailed?")
    return (f"**HOG and raw pixels tolerated the {noun} equally** (both {hog_value:.2f}): neither won, although "
            "the textbook expects HOG to win on detailed patches.")


def _hog_against_edges(hog_value: float, edges: float) -> str:
    """HOG against the edge map it is built from."""
    if hog_value > edges:
        return (f"HOG kept **{hog_value - edges:.2f}** more than the edge map it is built from ({hog_value:.2f} vs "
                f"{edges:.2f}): pooling the edges into cells and direction bins won tolerance back, as expected.")
    if hog_value < edges:
        return (f"HOG kept **{edges - hog_value:.2f}** less than the edge map it is built from ({hog_value:.2f} vs "
                f"{edges:.2f}): pooling into cells and direction bins did not win tolerance back here, against the "
                "textbook expectation.")
    return (f"HOG kept exactly as much as the edge map it is built from (both {hog_value:.2f}): pooling won no "
            "tolerance back here, against the textbook expectation.")


def _most_fragile(shown: dict[str, float]) -> str:
    """Which representation dropped most, against the expectation that it is the edge map."""
    lowest = min(shown.values())
    names = [name for name, value in shown.items() if value == lowest]
    others = [name for name in names if name != "edge map"]
    if "edge map" in names:
        tied = f", tied with {' and '.join(others)}" if others else ""
        return f"The edge map dropped most{tied} ({lowest:.2f}), as the textbook expects."
    return (f"The edge map was not the most fragile here, against the textbook expectation: "
            f"{' and '.join(names)} dropped most ({lowest:.2f}).")


def tolerance_summary(kind: str, amount: float, pixels: float, edges: float, hog_similarity: float) -> str:
    """The similarities after one move, and what they say: HOG against raw pixels and against its edge map, and
    which dropped most, each next to the textbook expectation (markdown)."""
    move, noun = _move(kind, amount)
    shown = {"raw pixels": _as_shown(pixels), "edge map": _as_shown(edges), "HOG": _as_shown(hog_similarity)}
    p, e, h = shown["raw pixels"], shown["edge map"], shown["HOG"]
    return "\n\n".join([
        f"After {move}: raw pixels **{p:.2f}**, edge map **{e:.2f}**, HOG **{h:.2f}** (1 = unchanged).",
        _hog_against_pixels(noun, h, p),
        _hog_against_edges(h, e),
        _most_fragile(shown),
    ])


def tolerance_verdict(measured: Tolerance, kind: str) -> str:
    """`tolerance_summary` at the probe move (2 pixels of shift, or 10° of rotation) of measured curves."""
    i = PROBE_STEP
    return tolerance_summary(kind, float(measured.amounts[i]), float(measured.pixels[i]), float(measured.edges[i]),
                             float(measured.hog[i]))
