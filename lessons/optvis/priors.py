"""Priors p(x) on images: penalties, blurring and starting images that make visualisations look natural."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def l2(image: torch.Tensor) -> torch.Tensor:
    """Per-image mean squared distance from mid-grey (Simonyan et al. 2014's L2 decay)."""
    return ((image - 0.5) ** 2).mean(dim=(1, 2, 3))


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Per-image mean absolute difference of neighbouring pixels (Mahendran & Vedaldi 2015)."""
    dy = (image[..., 1:, :] - image[..., :-1, :]).abs().mean(dim=(1, 2, 3))
    dx = (image[..., :, 1:] - image[..., :, :-1]).abs().mean(dim=(1, 2, 3))
    return dx + dy


def centre_mask(size: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Weights growing from 0 at the centre to 1 at the corners (for the centre-bias penalty)."""
    r = torch.linspace(-1, 1, size, device=device)
    d = torch.sqrt(r[None, :] ** 2 + r[:, None] ** 2) / np.sqrt(2)
    return d[None, None]


def centre_bias(image: torch.Tensor) -> torch.Tensor:
    """Per-image penalty on anything away from the centre (Nguyen et al. 2016's centre-biased images)."""
    mask = centre_mask(image.shape[-1], image.device)
    return (((image - 0.5) ** 2) * mask).mean(dim=(1, 2, 3))


def gaussian_kernel(sigma: float) -> torch.Tensor:
    """A normalised 1-D Gaussian kernel with radius 2·sigma."""
    radius = max(1, round(2 * sigma))
    xs = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-(xs ** 2) / (2 * sigma * sigma))
    return k / k.sum()


def blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of a (B, C, H, W) tensor, reflecting at the edges (Yosinski et al. 2015)."""
    if sigma <= 0:
        return image
    k = gaussian_kernel(sigma).to(image.device, image.dtype)
    c, r = image.shape[1], (len(k) - 1) // 2
    x = F.pad(image, [r, r, r, r], mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def mean_image(images: np.ndarray, size: int) -> np.ndarray:
    """Mean of uint8 images (N, H, W[, C]) resized to size×size, as (C, size, size) floats in [0, 1]."""
    arr = torch.as_tensor(np.asarray(images, dtype=np.float32) / 255.0)
    if arr.dim() == 3:
        arr = arr[:, None]
    else:
        arr = arr.permute(0, 3, 1, 2)
    arr = F.interpolate(arr, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return arr.mean(dim=0).clamp(0, 1).numpy()
