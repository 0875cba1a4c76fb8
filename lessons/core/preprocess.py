"""Turning an H×W×C uint8 image into a model's input: resize, crop or stretch, normalise, batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
from PIL import Image

from lessons.core.registry import ModelSpec

Fit = Literal["crop", "stretch"]  # how an image is fitted to the input square (see `fit_image`)


def resize_shorter_side(image: np.ndarray, size: int) -> np.ndarray:
    """Resize an H×W×C uint8 image so its shorter side is `size` (antialiased bilinear), keeping the aspect."""
    h, w = image.shape[:2]
    scale = size / min(h, w)
    new_w, new_h = max(size, round(w * scale)), max(size, round(h * scale))
    if (new_h, new_w) == (h, w):
        return image
    pil = Image.fromarray(image.squeeze(-1) if image.ndim == 3 and image.shape[2] == 1 else image)
    out = np.asarray(pil.resize((new_w, new_h), Image.Resampling.BILINEAR, reducing_gap=None))
    return out[:, :, None] if image.ndim == 3 and out.ndim == 2 else out


def center_crop(image: np.ndarray, size: int) -> np.ndarray:
    """Cut the central size×size square out of an H×W(×C) image."""
    h, w = image.shape[:2]
    if h < size or w < size:
        raise ValueError(f"image {h}×{w} is smaller than the crop {size}")
    top, left = (h - size) // 2, (w - size) // 2
    return image[top:top + size, left:left + size]


def normalize(image: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """Scale uint8 pixels to [0, 1], subtract the per-channel mean and divide by the std; returns C×H×W float32."""
    pixels = image.astype(np.float32) / 255.0
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    chw = pixels.transpose(2, 0, 1)
    mean_arr = np.asarray(mean, dtype=np.float32)[:, None, None]
    std_arr = np.asarray(std, dtype=np.float32)[:, None, None]
    return (chw - mean_arr) / std_arr


def resize_to(image: np.ndarray, size: int) -> np.ndarray:
    """Resize an H×W(×C) uint8 image to size×size as a whole (antialiased bilinear; the aspect ratio changes)."""
    if image.shape[:2] == (size, size):
        return image
    pil = Image.fromarray(image.squeeze(-1) if image.ndim == 3 and image.shape[2] == 1 else image)
    out = np.asarray(pil.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=None))
    return out[:, :, None] if image.ndim == 3 and out.ndim == 2 else out


def fit_image(image: np.ndarray, spec: ModelSpec, fit: Fit = "crop") -> np.ndarray:
    """The uint8 picture the network sees: "crop" resizes the shorter side and cuts the centre square (ImageNet
    evaluation); "stretch" resizes the whole image to the input size (nothing is cut off; the aspect changes)."""
    image = np.asarray(image)
    if spec.channels == 1 and image.ndim == 3:
        image = np.asarray(Image.fromarray(image[:, :, :3]).convert("L"))
    if spec.channels == 3 and image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if fit == "stretch":
        return resize_to(image, spec.input_size)
    return center_crop(resize_shorter_side(image, spec.resize), spec.input_size)


def prepare_image(image: np.ndarray, spec: ModelSpec, fit: Fit = "crop") -> np.ndarray:
    """Resize (and, with fit="crop", centre-crop) and normalise one image for `spec`; returns C×H×W float32."""
    return normalize(fit_image(image, spec, fit), spec.mean, spec.std)


def prepare_batch(images: Sequence[np.ndarray] | np.ndarray, spec: ModelSpec, fit: Fit = "crop") -> torch.Tensor:
    """Preprocess several images into one N×C×H×W float32 CPU tensor."""
    return torch.from_numpy(np.stack([prepare_image(img, spec, fit) for img in images]))
