"""Image parameterisations: what the optimiser actually changes (raw pixels or a decorrelated spectrum)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

# Square root of the colour covariance of natural images (the values lucid/lucent use): decorrelated → RGB.
_COLOR_SQRT = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], dtype=np.float32)
_COLOR_SQRT_NORMED = _COLOR_SQRT / np.max(np.linalg.norm(_COLOR_SQRT, axis=0))


@dataclass
class ImageParam:
    """Trainable tensors plus the function that turns them into images in [0, 1], shaped (B, C, H, W)."""

    params: list[torch.Tensor]
    image: Callable[[], torch.Tensor]
    kind: str
    blur: Callable[[float], None] | None = None  # blur the current image in place (Gaussian, sigma in pixels)


def _logit(x: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    x = x.clamp(eps, 1 - eps)
    return torch.log(x / (1 - x))


def pixel_image(size: int, channels: int = 3, batch: int = 1, sd: float = 0.01,
                generator: torch.Generator | None = None, device: torch.device | str = "cpu",
                init: np.ndarray | torch.Tensor | None = None) -> ImageParam:
    """Raw pixels behind a sigmoid; `init` (C,H,W or B,C,H,W in [0,1]) starts from a given image, e.g. a mean image."""
    if init is not None:
        start = torch.as_tensor(np.asarray(init), dtype=torch.float32)
        start = start.expand(batch, channels, size, size) if start.dim() == 4 else start.unsqueeze(0).expand(
            batch, channels, size, size)
        noise = torch.randn(batch, channels, size, size, generator=generator) * sd
        raw = (_logit(start) + noise).to(device)
    else:
        raw = (torch.randn(batch, channels, size, size, generator=generator) * sd).to(device)
    raw.requires_grad_(True)

    def blur(sigma: float) -> None:
        from lessons.optvis.priors import blur as gaussian_blur
        with torch.no_grad():
            raw.copy_(_logit(gaussian_blur(torch.sigmoid(raw), sigma)))

    return ImageParam([raw], lambda: torch.sigmoid(raw), "pixel", blur)


def rfft2d_freqs(h: int, w: int) -> np.ndarray:
    """Spatial frequency magnitude of every rfft2 coefficient of an h×w image."""
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    return np.sqrt(fx * fx + fy * fy)


def _decorrelate(image: torch.Tensor) -> torch.Tensor:
    matrix = torch.as_tensor(_COLOR_SQRT_NORMED, device=image.device)
    return torch.einsum("bchw,dc->bdhw", image, matrix)


def fft_image(size: int, channels: int = 3, batch: int = 1, sd: float = 0.01, decay_power: float = 1.0,
              generator: torch.Generator | None = None, device: torch.device | str = "cpu") -> ImageParam:
    """Fourier coefficients scaled by 1/f, colour-decorrelated (RGB only), then a sigmoid into [0, 1]."""
    freqs = rfft2d_freqs(size, size)
    spectrum = (torch.randn(batch, channels, *freqs.shape, 2, generator=generator) * sd).to(device)
    spectrum.requires_grad_(True)
    scale = 1.0 / np.maximum(freqs, 1.0 / size) ** decay_power
    scale = torch.as_tensor(scale, dtype=torch.float32, device=device)[None, None, :, :]

    def image() -> torch.Tensor:
        coeffs = torch.view_as_complex(spectrum) * scale
        img = torch.fft.irfft2(coeffs, s=(size, size), norm="ortho") / 4.0
        if channels == 3:
            img = _decorrelate(img)
        return torch.sigmoid(img)

    freqs_t = torch.as_tensor(freqs, dtype=torch.float32, device=device)[None, None, :, :, None]

    def blur(sigma: float) -> None:
        # A Gaussian blur is a product in the frequency domain; it commutes with the colour mixing.
        with torch.no_grad():
            spectrum.mul_(torch.exp(-2 * (np.pi * sigma * freqs_t) ** 2))

    return ImageParam([spectrum], image, "fft", blur)


def make_image(kind: str, size: int, channels: int = 3, batch: int = 1, generator: torch.Generator | None = None,
               device: torch.device | str = "cpu", init: np.ndarray | None = None) -> ImageParam:
    """Build a parameterisation by name: "pixel" or "fft" (an `init` image forces pixels)."""
    if kind == "fft" and init is None:
        return fft_image(size, channels, batch, generator=generator, device=device)
    if kind in ("pixel", "fft"):
        return pixel_image(size, channels, batch, generator=generator, device=device, init=init)
    raise ValueError(f"unknown parameterisation {kind!r}; use 'pixel' or 'fft'")
