"""The kernel bank of the Convolution lesson: named 2-D kernels, 1-D filters, and checks on hand-made kernels.

Pure numpy (no Streamlit, no torch). Kernels are float64 arrays with odd side lengths, so every kernel has a centre
pixel. A hand-made kernel that cannot be used raises ``KernelError``, whose text says what is wrong and how to fix it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Display = Literal["gray", "signed", "magnitude"]

#: Largest side a kernel may have (a σ = 8 Gaussian needs 49).
MAX_KERNEL_SIDE = 49
#: A kernel sum closer to 0 than this counts as "sums to zero" (an edge or change detector).
ZERO_SUM_TOLERANCE = 1e-9


class KernelError(ValueError):
    """A kernel that cannot be used; str(error) says what is wrong and how to fix it."""


@dataclass(frozen=True)
class KernelInfo:
    """A named kernel: its label, what it does, how to show its output, and which parameter it takes."""

    key: str
    title: str
    about: str
    display: Display
    parameter: Literal["size", "sigma", "none"] = "none"


SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
SOBEL_Y = SOBEL_X.T.copy()
LAPLACIAN = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
SHARPEN = np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])
EMBOSS = np.array([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])
IDENTITY = np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])

KERNELS: tuple[KernelInfo, ...] = (
    KernelInfo("identity", "Identity", "A single 1 in the middle: every output pixel is its input pixel.", "gray"),
    KernelInfo("box", "Box blur", "Every weight equal: each output pixel is the plain average of its neighbourhood.",
               "gray", "size"),
    KernelInfo("gaussian", "Gaussian blur", "Most weight in the middle, tapering off like a bell: a smooth blur "
               "without the boxy artefacts of the box filter.", "gray", "sigma"),
    KernelInfo("sharpen", "Sharpen", "Five times the centre minus its four neighbours: the picture plus a dose of "
               "its own edges.", "gray"),
    KernelInfo("sobel_x", "Sobel x (vertical edges)", "Right column minus left column (the middle row counts "
               "double): positive where the image gets brighter to the right.", "signed"),
    KernelInfo("sobel_y", "Sobel y (horizontal edges)", "Bottom row minus top row: positive where the image gets "
               "brighter downwards.", "signed"),
    KernelInfo("sobel", "Sobel magnitude (all edges)", "Both Sobel kernels, combined as √(x² + y²): edge strength "
               "in any direction.", "magnitude"),
    KernelInfo("laplacian", "Laplacian", "Four neighbours minus four times the centre: responds to spots and thin "
               "lines, zero on flat areas and smooth ramps.", "signed"),
    KernelInfo("emboss", "Emboss", "Bottom-right minus top-left on top of the image itself: a relief, as if lit "
               "from one side.", "gray"),
)


def kernel_keys() -> list[str]:
    """Return the keys of every named kernel, in display order."""
    return [info.key for info in KERNELS]


def kernel_info(key: str) -> KernelInfo:
    """Return the description of the named kernel `key`."""
    for info in KERNELS:
        if info.key == key:
            return info
    raise KeyError(f"unknown kernel {key!r}; known: {', '.join(kernel_keys())}")


# ------------------------------------------------------------------------------------------------------------ 1-D
def box_kernel_1d(width: int) -> np.ndarray:
    """Return a 1-D box filter of odd `width` whose weights are all 1/width."""
    _check_odd_width(width)
    return np.full(width, 1.0 / width)


def gaussian_radius(sigma: float) -> int:
    """Return the half-width that keeps a Gaussian of this σ to within 0.3 % of its mass: ⌈3σ⌉ (at least 1)."""
    if not math.isfinite(sigma) or sigma <= 0:
        raise KernelError(f"σ must be a positive number, got {sigma!r}.")
    return max(1, math.ceil(3 * sigma))


def gaussian_kernel_1d(sigma: float, radius: int | None = None) -> np.ndarray:
    """Return a 1-D Gaussian of standard deviation `sigma`, 2·radius + 1 taps long, normalised to sum 1."""
    r = gaussian_radius(sigma) if radius is None else int(radius)
    x = np.arange(-r, r + 1, dtype=np.float64)
    weights = np.exp(-0.5 * (x / sigma) ** 2)
    return weights / weights.sum()


def _check_odd_width(width: int) -> None:
    if int(width) != width or width < 1 or width % 2 == 0:
        raise KernelError(f"A filter needs an odd width (1, 3, 5, …) so it has a centre; got {width!r}.")


# ------------------------------------------------------------------------------------------------------------ 2-D
def box_kernel(size: int) -> np.ndarray:
    """Return a size×size box blur (odd size), every weight 1/size²."""
    _check_odd_width(size)
    return np.full((size, size), 1.0 / size**2)


def gaussian_kernel(sigma: float, size: int | None = None) -> np.ndarray:
    """Return a 2-D Gaussian blur kernel (side 2⌈3σ⌉ + 1 unless `size` is given), normalised to sum 1."""
    radius = gaussian_radius(sigma) if size is None else _radius_of(size)
    line = gaussian_kernel_1d(sigma, radius)
    kernel = np.outer(line, line)
    return kernel / kernel.sum()


def _radius_of(size: int) -> int:
    _check_odd_width(size)
    return size // 2


def named_kernel(key: str, size: int = 3, sigma: float = 1.0) -> np.ndarray:
    """Return the kernel called `key` (for "sobel", the x kernel; the magnitude combines x and y)."""
    fixed = {"identity": IDENTITY, "sharpen": SHARPEN, "sobel_x": SOBEL_X, "sobel_y": SOBEL_Y, "sobel": SOBEL_X,
             "laplacian": LAPLACIAN, "emboss": EMBOSS}
    if key in fixed:
        return fixed[key].copy()
    if key == "box":
        return box_kernel(size)
    if key == "gaussian":
        return gaussian_kernel(sigma)
    raise KeyError(f"unknown kernel {key!r}; known: {', '.join(kernel_keys())}")


def fit_kernel(kernel: np.ndarray, size: int) -> np.ndarray:
    """Return `kernel` as a size×size kernel: centre-cropped or zero-padded; a blur that sums to 1 keeps sum 1."""
    _check_odd_width(size)
    k = np.asarray(kernel, dtype=np.float64)
    side = k.shape[0]
    if side > size:
        start = (side - size) // 2
        out = k[start:start + size, start:start + size].copy()
        total = float(k.sum())
        if abs(total - 1.0) < 1e-9 and out.sum() != 0:
            out /= out.sum()
        return out
    out = np.zeros((size, size))
    start = (size - side) // 2
    out[start:start + side, start:start + side] = k
    return out


def flip(kernel: np.ndarray) -> np.ndarray:
    """Return the kernel rotated by 180° — what true convolution does to it before sliding."""
    return np.ascontiguousarray(np.asarray(kernel)[::-1, ::-1])


# ------------------------------------------------------------------------------------------------------- checking
def validate_kernel(values: object, allowed_sides: Sequence[int] | None = None) -> np.ndarray:
    """Return `values` as a float64 kernel, or raise KernelError saying what is wrong and how to fix it."""
    try:
        kernel = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise KernelError("Some entries are not numbers. Type a number (like 1, -2 or 0.25) in every cell.") from None
    if kernel.ndim != 2:
        raise KernelError(f"A kernel is a 2-D grid of numbers; this one has {kernel.ndim} dimension(s).")
    rows, cols = kernel.shape
    if rows != cols or rows % 2 == 0:
        raise KernelError(f"The kernel is {rows}×{cols}; it must be square with an odd side (3×3, 5×5, …) so "
                          "that it has a centre pixel.")
    if allowed_sides is not None and rows not in allowed_sides:
        sides = " or ".join(f"{s}×{s}" for s in allowed_sides)
        raise KernelError(f"The kernel is {rows}×{cols}; use {sides}.")
    if rows > MAX_KERNEL_SIDE:
        raise KernelError(f"The kernel is {rows}×{cols}; the largest allowed is {MAX_KERNEL_SIDE}×{MAX_KERNEL_SIDE}.")
    missing = np.argwhere(np.isnan(kernel))
    if len(missing):
        raise KernelError(f"{_cells(missing)} {'is' if len(missing) == 1 else 'are'} empty or not a number. "
                          "Type a number in every cell (0 if the cell should not count).")
    infinite = np.argwhere(np.isinf(kernel))
    if len(infinite):
        raise KernelError(f"{_cells(infinite)} {'is' if len(infinite) == 1 else 'are'} infinite. Use ordinary "
                          "numbers — a few units at most is plenty.")
    if not np.any(kernel):
        raise KernelError("Every entry is 0, so every output pixel would be 0 — a black picture. Put at least one "
                          "non-zero number in the kernel (a 1 in the middle gives back the image).")
    return kernel


def kernel_text(kernel: np.ndarray) -> str:
    """A kernel as short text for a shared link: rows joined by ";", numbers by "," (6 significant digits)."""
    return ";".join(",".join(f"{float(value):.6g}" for value in row) for row in np.asarray(kernel, dtype=np.float64))


def kernel_from_text(text: str, side: int) -> np.ndarray | None:
    """The side×side kernel that `kernel_text` wrote, or None when the text is empty, garbled, of another size or
    no usable kernel (a link's bad value is ignored, never an error)."""
    if not text:
        return None
    try:
        rows = [[float(value) for value in row.split(",")] for row in text.split(";")]
        return validate_kernel(rows, allowed_sides=[side])
    except (ValueError, KernelError):
        return None


def _cells(positions: np.ndarray) -> str:
    names = [f"row {r + 1}, column {c + 1}" for r, c in positions[:3]]
    more = f" and {len(positions) - 3} more" if len(positions) > 3 else ""
    return ("Cell " if len(positions) == 1 else "Cells ") + "; ".join(names) + more


def kernel_sum(kernel: np.ndarray) -> float:
    """Return the sum of the kernel's entries: the factor by which it scales a flat area's brightness."""
    return float(np.sum(kernel))


def sums_to_zero(kernel: np.ndarray) -> bool:
    """True when the entries cancel out (the kernel measures change and answers 0 on flat areas)."""
    return abs(kernel_sum(kernel)) <= ZERO_SUM_TOLERANCE * max(1.0, float(np.abs(kernel).sum()))


def normalise(kernel: np.ndarray) -> np.ndarray:
    """Return the kernel divided by its sum (so flat areas keep their brightness); KernelError if it sums to 0."""
    if sums_to_zero(kernel):
        raise KernelError("The entries add up to 0, so there is nothing to divide by: such a kernel measures "
                          "change (edges), and flat areas come out as 0 whatever you scale it by.")
    return np.asarray(kernel, dtype=np.float64) / kernel_sum(kernel)


def brightness_note(kernel: np.ndarray) -> str:
    """One sentence on what the kernel's sum does to the brightness of flat areas."""
    total = kernel_sum(kernel)
    if sums_to_zero(kernel):
        return ("The numbers add up to **0**: on a flat area the output is 0, so only changes (edges, texture) "
                "show up — positive on one side of an edge, negative on the other.")
    if abs(total - 1.0) < 1e-6:
        return "The numbers add up to **1**: flat areas keep exactly their brightness."
    effect = "brighter" if total > 1 else "darker"
    if total < 0:
        effect = "inverted (negative)"
    return (f"The numbers add up to **{total:.3g}**, not 1: a flat area comes out {total:.3g}× as bright, so the "
            f"picture turns {effect}. Tick *Normalise* to divide by the sum.")


def display_for(kernel: np.ndarray) -> Display:
    """How to show the output of a hand-made kernel: signed colours when it sums to 0, else grey."""
    return "signed" if sums_to_zero(kernel) else "gray"
