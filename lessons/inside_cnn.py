"""Compute for the "Inside a CNN" lesson: preprocessing steps, learned filters, ranked feature maps, the layer table.

Pure functions on arrays: the page, the tests and a notebook call the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from torch import nn

from lessons import compute
from lessons.compute import LoadedModel, ModelSpec


@dataclass(frozen=True)
class PreprocessStep:
    """One step of turning a photo into the network's input, as something to look at."""

    title: str
    image: np.ndarray  # H×W×3 uint8 for display
    caption: str


def _display_normalized(chw: np.ndarray, limit: float = 2.5) -> np.ndarray:
    """Map normalised values in [-limit, limit] to 0–255 so zero is mid-grey (H×W×3 uint8)."""
    hwc = np.clip(chw.transpose(1, 2, 0) / (2 * limit) + 0.5, 0, 1)
    if hwc.shape[2] == 1:
        hwc = np.repeat(hwc, 3, axis=2)
    return (hwc * 255).round().astype(np.uint8)


def preprocessing_steps(image: np.ndarray, spec: ModelSpec) -> list[PreprocessStep]:
    """The photo as loaded, resized, cropped and normalised, each with a caption of what changed."""
    h, w = image.shape[:2]
    gray = spec.channels == 1 and image.ndim == 3
    source = image.mean(axis=2).round().astype(np.uint8) if gray else image
    resized = compute.resize_shorter_side(source, spec.resize)
    cropped = compute.center_crop(resized, spec.input_size)
    normed = compute.normalize(cropped, spec.mean, spec.std)
    means = ", ".join(f"{m:.2f}" for m in spec.mean)
    stds = ", ".join(f"{s:.2f}" for s in spec.std)
    return [
        PreprocessStep("1 · Original", image, f"{w}×{h} pixels, values 0–255"),
        PreprocessStep("2 · Resize", _rgb(resized),
                       f"shorter side → {spec.resize}: {resized.shape[1]}×{resized.shape[0]}"),
        PreprocessStep("3 · Centre crop", _rgb(cropped), f"{spec.input_size}×{spec.input_size}, the size the "
                       "network was trained on"),
        PreprocessStep("4 · Normalise", _display_normalized(normed),
                       f"(x/255 − mean) / std with mean ({means}), std ({stds}); grey = 0. "
                       f"Now ranges {normed.min():.1f} … {normed.max():.1f}"),
    ]


def _rgb(image: np.ndarray) -> np.ndarray:
    return np.repeat(image[:, :, None], 3, axis=2) if image.ndim == 2 else image


def first_conv(module: nn.Module) -> nn.Conv2d:
    """The first convolution of a network: the filters that look directly at pixels."""
    for sub in module.modules():
        if isinstance(sub, nn.Conv2d):
            return sub
    raise ValueError("this network has no convolution")


def montage(tiles: np.ndarray, columns: int, pad: int = 1, fill: int = 255) -> np.ndarray:
    """Arrange N×h×w×3 uint8 tiles in a grid with `pad` pixels of `fill` between them."""
    n, h, w = tiles.shape[:3]
    rows = max(1, -(-n // columns))
    grid = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad, 3), fill, dtype=np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = tile
    return grid


def _enlarge(tiles: np.ndarray, factor: int) -> np.ndarray:
    return tiles.repeat(factor, axis=1).repeat(factor, axis=2) if factor > 1 else tiles


def filter_tiles(weight: np.ndarray, size: int = 48) -> np.ndarray:
    """First-layer filters (out, in, k, k) as N×size×size×3 uint8 pictures, zero weight = mid-grey.

    Colour filters (in = 3) are shown as the colour pattern they respond to most; single-channel filters use a
    blue–white–red map (blue negative, red positive). Each filter is scaled by its own largest |weight|.
    """
    w = np.asarray(weight, dtype=np.float32)
    scale = np.abs(w).reshape(len(w), -1).max(axis=1)[:, None, None, None]
    unit = w / np.where(scale > 0, scale, 1.0)  # in [-1, 1]
    if w.shape[1] == 3:
        tiles = ((unit.transpose(0, 2, 3, 1) * 0.5 + 0.5) * 255).round().astype(np.uint8)
    else:
        tiles = (colormaps["bwr"](unit[:, 0] * 0.5 + 0.5)[..., :3] * 255).round().astype(np.uint8)
    return _enlarge(tiles, max(1, size // w.shape[-1]))


def channel_strength(activation: np.ndarray) -> np.ndarray:
    """Mean activation of each channel of one C×H×W activation (what "strongest channel" means here)."""
    return np.asarray(activation, dtype=np.float64).reshape(activation.shape[0], -1).mean(axis=1)


def strongest_channels(activation: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n channels with the largest mean activation, strongest first (ties by index)."""
    strength = channel_strength(activation)
    return np.lexsort((np.arange(len(strength)), -strength))[:n]


def feature_map_tiles(activation: np.ndarray, channels: np.ndarray, size: int = 96, shared_scale: bool = True,
                      cmap: str = "magma") -> np.ndarray:
    """Chosen channels of a C×H×W activation as N×size'×size'×3 uint8 heat maps.

    With `shared_scale` every map uses the same colour limits (so brightness compares across channels);
    otherwise each map is stretched to its own range.
    """
    maps = np.asarray(activation, dtype=np.float32)[np.asarray(channels)]
    if shared_scale:
        lo, hi = float(maps.min()), float(maps.max())
        scaled = (maps - lo) / (hi - lo) if hi > lo else np.zeros_like(maps)
    else:
        lo = maps.reshape(len(maps), -1).min(axis=1)[:, None, None]
        hi = maps.reshape(len(maps), -1).max(axis=1)[:, None, None]
        scaled = np.where(hi > lo, (maps - lo) / np.where(hi > lo, hi - lo, 1), 0.0)
    tiles = (colormaps[cmap](scaled)[..., :3] * 255).round().astype(np.uint8)
    return _enlarge(tiles, max(1, size // maps.shape[-1]))


@dataclass(frozen=True)
class LayerRow:
    """One row of the network's layer table, read from the live model."""

    name: str
    kind: str
    description: str
    output_shape: tuple[int, ...]
    parameters: int


def layer_table(loaded: LoadedModel) -> list[LayerRow]:
    """Every stage of the model with its output shape (per image) and parameter count."""
    shapes = loaded.output_shapes
    rows = []
    for stage in loaded.stages:
        params = sum(p.numel() for p in stage.module.parameters()) if stage.module is not None else 0
        rows.append(LayerRow(stage.name, stage.kind, stage.description, shapes[stage.name], params))
    return rows


def format_shape(shape: tuple[int, ...]) -> str:
    """C×H×W or a vector length, as people write it."""
    return "×".join(str(s) for s in shape)


def spatial_layers(loaded: LoadedModel) -> list[str]:
    """Layers whose output is a stack of 2-D feature maps (C×H×W), the ones worth drawing as images."""
    return [name for name, shape in loaded.output_shapes.items() if len(shape) == 3]


def overlay_map(image: np.ndarray, activation_map: np.ndarray, alpha: float = 0.6, cmap: str = "magma") -> np.ndarray:
    """One feature map stretched over the image it came from: H×W×3 uint8, hot where the channel fires.

    The map is scaled to its own [min, max], upsampled smoothly to the image size and blended over a dimmed copy.
    """
    from PIL import Image  # noqa: PLC0415

    h, w = image.shape[:2]
    values = np.asarray(activation_map, dtype=np.float32)
    lo, hi = float(values.min()), float(values.max())
    unit = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
    big = np.asarray(Image.fromarray(unit).resize((w, h), Image.Resampling.BILINEAR))
    heat = colormaps[cmap](np.clip(big, 0, 1))[..., :3]
    base = (image[..., :3] if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)).astype(np.float32) / 255
    blended = (1 - alpha) * base * 0.6 + alpha * heat
    return (np.clip(blended, 0, 1) * 255).round().astype(np.uint8)
