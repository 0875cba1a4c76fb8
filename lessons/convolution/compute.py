"""Compute for the Convolution lesson: 1-D and 2-D convolutions in torch, one output pixel by hand, output sizes.

Pure functions (no Streamlit): arrays in, CPU numpy float arrays out. The sliding is done by
``torch.nn.functional.conv1d/conv2d`` on the shared device (``lessons.core.runtime.device()``), so this is the very
operation a CNN layer performs. Like deep-learning libraries, ``correlate*`` slides the kernel as it is
(cross-correlation); ``convolve*`` flips it first (the textbook convolution). Outputs keep the input's size
("same" alignment, kernel centred) with one of three ways of inventing the pixels beyond the border.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from lessons.convolution.kernels import (
    SOBEL_X,
    SOBEL_Y,
    KernelError,
    box_kernel_1d,
    flip,
    gaussian_kernel_1d,
    named_kernel,
    validate_kernel,
)
from lessons.core import runtime

Padding = Literal["zeros", "reflect", "replicate"]
PADDINGS: tuple[Padding, ...] = ("zeros", "reflect", "replicate")
#: The same border rule under its scipy.ndimage name (torch "reflect" leaves out the edge pixel, as scipy "mirror").
SCIPY_MODE: dict[Padding, str] = {"zeros": "constant", "reflect": "mirror", "replicate": "nearest"}
#: ...and under numpy.pad's name.
NUMPY_MODE: dict[Padding, str] = {"zeros": "constant", "reflect": "reflect", "replicate": "edge"}
#: Longest side of the grayscale teaching image: small enough that a widget change reruns quickly on a CPU.
TEACHING_SIDE = 256

Signal = Literal["step", "noisy_sine", "chirp"]
SIGNALS: tuple[Signal, ...] = ("step", "noisy_sine", "chirp")
Filter1D = Literal["box", "gaussian"]
FILTERS_1D: tuple[Filter1D, ...] = ("box", "gaussian")
#: Samples in a teaching signal (the filter-position slider runs over them).
SIGNAL_SAMPLES = 120


# ------------------------------------------------------------------------------------------------------- images
def to_gray(image: np.ndarray, max_side: int = TEACHING_SIDE) -> np.ndarray:
    """Return the image as float32 grayscale in [0, 1], shrunk (aspect kept) so its longest side ≤ max_side."""
    array = np.asarray(image)
    scale = 255.0 if array.dtype == np.uint8 else 1.0
    values = array.astype(np.float32) / scale
    if values.ndim == 3:
        values = values[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32) if values.shape[2] >= 3 \
            else values[..., 0]
    if values.ndim != 2:
        raise ValueError(f"expected a grayscale or colour image, got shape {array.shape}")
    h, w = values.shape
    factor = max_side / max(h, w)
    if factor < 1:
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        values = np.asarray(Image.fromarray(values, mode="F").resize(size, Image.Resampling.LANCZOS))
    return np.ascontiguousarray(np.clip(values, 0.0, 1.0), dtype=np.float32)


# ----------------------------------------------------------------------------------------------------- padding
def _pad_reflect(x: torch.Tensor, before_after: list[int]) -> torch.Tensor:
    """Reflect-pad the last one or two dims by any amount (torch allows less than the size per call)."""
    pads = list(before_after)  # (left, right[, top, bottom]) as F.pad takes them
    while any(pads):
        step = []
        for axis_from_end, (lo, hi) in enumerate(zip(pads[0::2], pads[1::2])):
            size = x.shape[-1 - axis_from_end]
            limit = max(size - 1, 0)
            step += [min(lo, limit), min(hi, limit)]
        if not any(step):  # a side of length 1 cannot be mirrored; its mirror image is itself
            return F.pad(x, pads, mode="replicate")
        x = F.pad(x, step, mode="reflect")
        pads = [p - s for p, s in zip(pads, step)]
    return x


def pad(x: torch.Tensor, before_after: list[int], padding: Padding) -> torch.Tensor:
    """Pad an (N, C, L) or (N, C, H, W) tensor: zeros, reflect (edge pixel not repeated) or replicate."""
    if padding == "zeros":
        return F.pad(x, before_after)
    if padding == "replicate":
        return F.pad(x, before_after, mode="replicate")
    if padding == "reflect":
        return _pad_reflect(x, before_after)
    raise ValueError(f"unknown padding {padding!r}; use one of {', '.join(PADDINGS)}")


# -------------------------------------------------------------------------------------------------------- 1-D
def correlate1d(signal: np.ndarray, kernel: np.ndarray, padding: Padding = "zeros",
                device: torch.device | str | None = None) -> np.ndarray:
    """Slide `kernel` along `signal` (odd length, centred, no flip) with torch's conv1d; same length out."""
    k = np.asarray(kernel, dtype=np.float32).ravel()
    if k.size % 2 == 0:
        raise KernelError(f"A filter needs an odd length so it has a centre; got {k.size}.")
    dev = runtime.resolve_device(device)
    x = torch.as_tensor(np.asarray(signal, dtype=np.float32).ravel(), device=dev)[None, None]
    w = torch.as_tensor(k, device=dev)[None, None]
    r = k.size // 2
    with torch.inference_mode():
        out = F.conv1d(pad(x, [r, r], padding), w)
    return out[0, 0].cpu().numpy()


def convolve1d(signal: np.ndarray, kernel: np.ndarray, padding: Padding = "zeros",
               device: torch.device | str | None = None) -> np.ndarray:
    """True 1-D convolution: flip the kernel, then slide it (equals np.convolve(..., mode='same') with zeros)."""
    return correlate1d(signal, np.asarray(kernel)[::-1].copy(), padding, device)


def make_signal(kind: Signal, n: int = SIGNAL_SAMPLES, seed: int = 0) -> np.ndarray:
    """Return a teaching signal of n samples: a step, a noisy sine, or an audio-like chirp (rising pitch)."""
    t = np.linspace(0.0, 1.0, n, endpoint=False)
    if kind == "step":
        return np.where(t < 0.5, 0.0, 1.0)
    if kind == "noisy_sine":
        rng = np.random.default_rng(seed)
        return np.sin(2 * np.pi * 3 * t) + 0.35 * rng.standard_normal(n)
    if kind == "chirp":
        phase = 2 * np.pi * (1.0 * t + 0.5 * (n / 5 - 1.0) * t**2)  # 1 cycle per length at first, n/5 at the end
        return np.sin(phase) * (0.6 + 0.4 * np.sin(np.pi * t))
    raise ValueError(f"unknown signal {kind!r}; use one of {', '.join(SIGNALS)}")


def filter_1d(kind: Filter1D, width: int = 5, sigma: float = 2.0) -> np.ndarray:
    """Return a 1-D box filter of odd `width`, or a Gaussian of standard deviation `sigma`; both sum to 1."""
    if kind == "box":
        return box_kernel_1d(width)
    if kind == "gaussian":
        return gaussian_kernel_1d(sigma)
    raise ValueError(f"unknown filter {kind!r}; use 'box' or 'gaussian'")


@dataclass(frozen=True)
class SlideStep:
    """The kernel placed at one position of a signal: what lies under it, the products and their sum."""

    position: int
    indices: np.ndarray  # signal positions under the kernel (some may lie outside the signal)
    values: np.ndarray  # signal values there (0 outside: zero padding)
    weights: np.ndarray
    products: np.ndarray
    total: float


def slide_step(signal: np.ndarray, kernel: np.ndarray, position: int) -> SlideStep:
    """The sliding dot product at `position` (zero padding, no flip), computed by hand in numpy."""
    x = np.asarray(signal, dtype=np.float64).ravel()
    w = np.asarray(kernel, dtype=np.float64).ravel()
    r = w.size // 2
    indices = np.arange(position - r, position + r + 1)
    inside = (indices >= 0) & (indices < x.size)
    values = np.where(inside, x[np.clip(indices, 0, x.size - 1)], 0.0)
    products = values * w
    return SlideStep(int(position), indices, values, w, products, float(products.sum()))


# -------------------------------------------------------------------------------------------------------- 2-D
def correlate2d(image: np.ndarray, kernel: np.ndarray, padding: Padding = "zeros",
                device: torch.device | str | None = None) -> np.ndarray:
    """Slide `kernel` over a 2-D image with torch's conv2d (no flip, centred); same-size float32 output."""
    k = validate_kernel(kernel)
    return correlate2d_stack(image, [k], padding, device)[0]


def correlate2d_stack(image: np.ndarray, kernels: list[np.ndarray], padding: Padding = "zeros",
                      device: torch.device | str | None = None) -> np.ndarray:
    """Slide several same-size kernels over one image in a single conv2d call; returns (K, H, W) float32."""
    stack = np.stack([np.asarray(k, dtype=np.float32) for k in kernels])
    side = stack.shape[-1]
    if stack.shape[-2] != side or side % 2 == 0:
        raise KernelError(f"Kernels must be square with an odd side; got {stack.shape[-2]}×{side}.")
    dev = runtime.resolve_device(device)
    x = torch.as_tensor(np.asarray(image, dtype=np.float32), device=dev)[None, None]
    w = torch.as_tensor(stack, device=dev)[:, None]
    r = side // 2
    with torch.inference_mode():
        out = F.conv2d(pad(x, [r, r, r, r], padding), w)
    return out[0].cpu().numpy()


def convolve2d(image: np.ndarray, kernel: np.ndarray, padding: Padding = "zeros",
               device: torch.device | str | None = None) -> np.ndarray:
    """True 2-D convolution: flip the kernel by 180°, then slide it (equals scipy.ndimage.convolve)."""
    return correlate2d(image, flip(validate_kernel(kernel)), padding, device)


@dataclass(frozen=True)
class Filtered:
    """The output of a named or hand-made kernel on an image, with the kernels that were slid."""

    output: np.ndarray  # H×W float32
    kernels: tuple[np.ndarray, ...]  # as slid (flipped already for true convolution); two for Sobel magnitude
    parts: tuple[np.ndarray, ...]  # each kernel's own output (the x and y responses for Sobel magnitude)


def apply_kernel(image: np.ndarray, kernel: np.ndarray, padding: Padding = "zeros", flipped: bool = False,
                 device: torch.device | str | None = None) -> Filtered:
    """Apply one kernel (flipped first when `flipped`, i.e. true convolution) to a grayscale image."""
    k = validate_kernel(kernel)
    k = flip(k) if flipped else k
    out = correlate2d_stack(image, [k], padding, device)[0]
    return Filtered(out, (k,), (out,))


def apply_named(image: np.ndarray, key: str, size: int = 3, sigma: float = 1.0, padding: Padding = "zeros",
                flipped: bool = False, device: torch.device | str | None = None) -> Filtered:
    """Apply the named kernel `key`; "sobel" combines the x and y responses as √(x² + y²)."""
    if key != "sobel":
        return apply_kernel(image, named_kernel(key, size=size, sigma=sigma), padding, flipped, device)
    kx, ky = (flip(SOBEL_X), flip(SOBEL_Y)) if flipped else (SOBEL_X, SOBEL_Y)
    gx, gy = correlate2d_stack(image, [kx, ky], padding, device)
    return Filtered(np.hypot(gx, gy), (kx, ky), (gx, gy))


# ----------------------------------------------------------------------------------------------- one pixel by hand
@dataclass(frozen=True)
class PixelBreakdown:
    """One output pixel as patch × kernel, summed: the numbers a student can check by hand."""

    row: int
    col: int
    patch: np.ndarray  # k×k input values under the kernel, padding values included
    outside: np.ndarray  # k×k bool: True where the value was invented by the padding
    kernel: np.ndarray  # the kernel as slid
    products: np.ndarray
    total: float


def pixel_breakdown(image: np.ndarray, kernel: np.ndarray, row: int, col: int,
                    padding: Padding = "zeros") -> PixelBreakdown:
    """The patch under the (already flipped, if convolving) kernel centred on (row, col), and patch·kernel."""
    k = validate_kernel(kernel)
    img = np.asarray(image, dtype=np.float64)
    h, w = img.shape
    if not (0 <= row < h and 0 <= col < w):
        raise IndexError(f"pixel ({row}, {col}) lies outside the {h}×{w} image")
    r = k.shape[0] // 2
    padded = np.pad(img, r, mode=NUMPY_MODE[padding])
    patch = padded[row:row + 2 * r + 1, col:col + 2 * r + 1]
    rows = np.arange(row - r, row + r + 1)[:, None]
    cols = np.arange(col - r, col + r + 1)[None, :]
    outside = (rows < 0) | (rows >= h) | (cols < 0) | (cols >= w)
    products = patch * k
    return PixelBreakdown(int(row), int(col), patch.copy(), outside, k, products, float(products.sum()))


# ------------------------------------------------------------------------------------------------- output sizes
@dataclass(frozen=True)
class ConvGeometry:
    """Sizes of one convolution along one axis: input n, kernel k, padding p, stride s, dilation d."""

    n: int
    k: int
    padding: int
    stride: int
    dilation: int

    @property
    def span(self) -> int:
        """How many input cells the kernel covers, gaps included: d·(k − 1) + 1."""
        return self.dilation * (self.k - 1) + 1

    @property
    def padded(self) -> int:
        """Input size after padding on both sides: n + 2p."""
        return self.n + 2 * self.padding

    @property
    def valid(self) -> bool:
        """True when the kernel fits inside the padded input at least once."""
        return self.span <= self.padded

    @property
    def out(self) -> int:
        """Output size ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1 (0 when the kernel does not fit)."""
        return (self.padded - self.span) // self.stride + 1 if self.valid else 0

    @property
    def leftover(self) -> int:
        """Padded cells at the far end that no kernel position reaches (the floor in the formula drops them)."""
        return (self.padded - self.span) % self.stride if self.valid else 0

    def start(self, index: int) -> int:
        """First padded-input cell under the kernel for output cell `index`."""
        return index * self.stride

    def taps(self, index: int) -> list[int]:
        """Padded-input cells read by output cell `index` (spaced by the dilation)."""
        return [self.start(index) + j * self.dilation for j in range(self.k)]


def conv_geometry(n: int, k: int, padding: int = 0, stride: int = 1, dilation: int = 1) -> ConvGeometry:
    """Return the geometry of a convolution along one axis; ValueError on a non-positive size or stride."""
    if min(n, k, stride, dilation) < 1 or padding < 0:
        raise ValueError("input size, kernel size, stride and dilation must be ≥ 1 and padding ≥ 0")
    return ConvGeometry(int(n), int(k), int(padding), int(stride), int(dilation))


def output_size(n: int, k: int, padding: int = 0, stride: int = 1, dilation: int = 1) -> int:
    """Return ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1, or 0 when the kernel is bigger than the padded input."""
    return conv_geometry(n, k, padding, stride, dilation).out


def geometry_problem(geometry: ConvGeometry) -> str:
    """Plain-language reason why a geometry is invalid ("" when it is fine)."""
    if geometry.valid:
        return ""
    g = geometry
    spans = f"spans {g.span} cells" + (f" (k = {g.k} taps, {g.dilation - 1} gap(s) between them)"
                                         if g.dilation > 1 else "")
    need = (g.span - g.n + 1) // 2
    return (f"The kernel {spans} but the padded input has only {g.padded} (n + 2p = {g.n} + 2·{g.padding}), so "
            f"there is no position where it fits and the output would be empty. Use a smaller kernel, less "
            f"dilation, or padding of at least {need}.")


def torch_output_shape(n: int, k: int, padding: int = 0, stride: int = 1, dilation: int = 1) -> tuple[int, ...] | None:
    """The output shape PyTorch's conv2d really gives for an n×n input and k×k kernel (None if it refuses)."""
    x = torch.zeros(1, 1, n, n)
    w = torch.zeros(1, 1, k, k)
    try:
        with torch.inference_mode():
            return tuple(F.conv2d(x, w, padding=padding, stride=stride, dilation=dilation).shape)
    except RuntimeError:
        return None
