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


def _affine(x: torch.Tensor, scale: float, degrees: float) -> torch.Tensor:
    theta = math.radians(degrees)
    c, s = math.cos(theta) / scale, math.sin(theta) / scale
    mat = torch.tensor([[c, -s, 0.0], [s, c, 0.0]], dtype=x.dtype, device=x.device).expand(x.shape[0], 2, 3)
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


def random_affine(scales: Sequence[float], angles: Sequence[float]) -> Transform:
    """Zoom and rotate in one resampling (cheaper and less blurring than two)."""
    def apply(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        scale = float(_pick(scales, generator))
        return _affine(x, scale, float(_pick(angles, generator)))
    return apply


def compose(transforms: Sequence[Transform]) -> Transform:
    """Apply transforms in order."""
    def apply(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        for t in transforms:
            x = t(x, generator)
        return x
    return apply


def standard(size: int) -> list[Transform]:
    """The usual robustness set (pad, jitter, scale, rotate, jitter), scaled to the image size."""
    unit = max(1, size // 32)
    return [pad(3 * unit), jitter(2 * unit),
            random_affine([1 + (i - 5) / 50 for i in range(11)], list(range(-10, 11))), jitter(unit)]
