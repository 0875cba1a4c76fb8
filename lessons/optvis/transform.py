"""Random, differentiable image transforms applied before every step (robustness makes images less adversarial)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _pick(values: Sequence, generator: torch.Generator) -> object:
    return values[int(torch.randint(len(values), (1,), generator=generator))]


def pad(width: int, value: float = 0.5) -> Transform:
    """Pad every side by `width` pixels with a constant grey."""
    def apply(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return F.pad(x, [width] * 4, mode="constant", value=value)
    return apply


def jitter(d: int) -> Transform:
    """Crop a random window that is `d` pixels smaller (shifts the image by up to d)."""
    def apply(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if d <= 0:
            return x
        dx, dy = (int(v) for v in torch.randint(d + 1, (2,), generator=generator))
        return x[..., dy:x.shape[-2] - d + dy, dx:x.shape[-1] - d + dx]
    return apply


def _affine(x: torch.Tensor, scale: float, degrees: float, shift: tuple[float, float] = (0.0, 0.0)) -> torch.Tensor:
    theta = math.radians(degrees)
    c, s = math.cos(theta) / scale, math.sin(theta) / scale
    # The grid says where each output pixel reads from, so moving content by +shift reads from -shift (in grid
    # units, where [-1, 1] spans the image).
    tx, ty = -2.0 * shift[0] / x.shape[-1], -2.0 * shift[1] / x.shape[-2]
    mat = torch.tensor([[c, -s, tx], [s, c, ty]], dtype=x.dtype, device=x.device).expand(x.shape[0], 2, 3)
    grid = F.affine_grid(mat, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def random_scale(scales: Sequence[float]) -> Transform:
    """Zoom by a factor drawn from `scales` (keeps the size)."""
    def apply(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return _affine(x, float(_pick(scales, generator)), 0.0)
    return apply


def random_rotate(angles: Sequence[float]) -> Transform:
    """Rotate by an angle (degrees) drawn from `angles`."""
    def apply(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return _affine(x, 1.0, float(_pick(angles, generator)))
    return apply


def compose(transforms: Sequence[Transform]) -> Transform:
    """Apply transforms in order."""
    def apply(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        for t in transforms:
            x = t(x, generator)
        return x
    return apply


def random_view(shift: int, scales: Sequence[float], angles: Sequence[float]) -> Transform:
    """Shift (up to `shift` pixels each way), zoom and rotate in a single resampling, keeping the size.

    Equivalent to lucent's pad → jitter → scale → rotate → jitter chain, but one bilinear resampling instead of
    several copies, and the network sees the image at its own size rather than a padded, larger one.
    """
    def apply(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        scale = float(_pick(scales, generator))
        angle = float(_pick(angles, generator))
        dx, dy = (float(v) for v in torch.randint(-shift, shift + 1, (2,), generator=generator))
        return _affine(x, scale, angle, (dx, dy))
    return apply


SCALES = tuple(1 + (i - 5) / 50 for i in range(11))  # 0.9 … 1.1
ANGLES = tuple(range(-10, 11))  # degrees


def standard(size: int) -> list[Transform]:
    """The usual robustness set (shift by up to size/16, zoom 0.9–1.1, rotate ±10°) as one resampling."""
    return [random_view(max(1, size // 16), SCALES, ANGLES)]


def lucent_chain(size: int) -> list[Transform]:
    """The same robustness set as separate steps, lucent-style (pad, jitter, scale, rotate, jitter): the reference."""
    unit = max(1, size // 32)
    return [pad(3 * unit), jitter(2 * unit), random_scale(SCALES), random_rotate(ANGLES), jitter(unit)]
