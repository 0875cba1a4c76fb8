"""Compute for the "Inside a CNN" lesson: preprocessing steps, learned filters, ranked feature maps, the layer table.

Pure functions on arrays: the page, the tests and a notebook call the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from torch import nn

from lessons.core import preprocess
from lessons.core.registry import LoadedModel, ModelSpec

TRAINING_SETS: dict[str, str] = {"imagenet": "ImageNet photos", "digits": "handwritten MNIST digits"}
FEATURE_CMAP = "magma"  # feature maps and the close-up: black = low, pale yellow = high
NEAR_UNIFORM = 2.0  # random-weights scores count as close to uniform while the top one is under this × chance


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
    resized = preprocess.resize_shorter_side(source, spec.resize)
    cropped = preprocess.center_crop(resized, spec.input_size)
    normed = preprocess.normalize(cropped, spec.mean, spec.std)
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



def first_layer_filters(module: nn.Module) -> np.ndarray:
    """The first convolution's weights as a CPU array (out channels × in channels × k × k)."""
    return first_conv(module).weight.detach().cpu().numpy()


def parameter_count(module: nn.Module) -> int:
    """How many numbers (weights and biases) the network has."""
    return sum(p.numel() for p in module.parameters())


def classifier_input_size(loaded: LoadedModel) -> int:
    """Length of the vector the last (linear) stage reads: the first dimension of the stage before it."""
    return loaded.output_shapes[loaded.layer_names[-2]][0]


def default_layer(spatial_layers: Sequence[str]) -> str:
    """The feature-map layer shown first: the third one (an early layer), or the last when there are fewer."""
    return spatial_layers[min(2, len(spatial_layers) - 1)]


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
    if _drawn_in_colour(w.shape[1]):
        tiles = ((unit.transpose(0, 2, 3, 1) * 0.5 + 0.5) * 255).round().astype(np.uint8)
    else:
        tiles = (colormaps["bwr"](unit[:, 0] * 0.5 + 0.5)[..., :3] * 255).round().astype(np.uint8)
    return _enlarge(tiles, max(1, size // w.shape[-1]))


def _drawn_in_colour(in_channels: int) -> bool:
    """filter_tiles draws three-channel filters as colours, any other as one signed map."""
    return in_channels == 3


def filter_colour_note(in_channels: int) -> str:
    """How filter_tiles colours a filter with this many input channels, for the reader."""
    scaled = "Each filter is scaled by its own largest |weight|."
    if _drawn_in_colour(in_channels):
        return (f"Mid-grey is a weight of 0; where a filter is coloured, it responds to that colour there — "
                f"lighter means positive weights, darker negative. {scaled}")
    first = "" if in_channels == 1 else f" Only the first of its {in_channels} input channels is drawn."
    return f"White is a weight of 0, red positive, blue negative. {scaled}{first}"


def filters_text(count: int, in_channels: int, side: int, trained: bool) -> str:
    """What the first-layer filter montage shows, as markdown: its size, its colours and what to look for."""
    expectation = ("Trained first layers are expected to become edge, colour-blob and stripe detectors — the same "
                   "things found in the primary visual cortex." if in_channels == 3 else
                   "Trained first layers are expected to become edge and stroke detectors — like the simple cells of "
                   "the primary visual cortex.")
    look = ("Do these trained filters look like that, or like noise?" if trained else
            "These are random weights: expect noise, and compare with the trained ones.")
    small = (" At 3×3 pixels there is little room for a pattern; AlexNet's 11×11 first-layer filters show the "
             "famous oriented stripes and colour blobs." if side <= 3 else "")
    return (f"The first layer has **{count} filters** of {side}×{side} pixels. Each is slid over the image and "
            f"answers *how much does this patch look like me?* {expectation} {look}{small} "
            f"({filter_colour_note(in_channels)})")


def classifier_sentence(family: str, names: Sequence[str]) -> str:
    """What the network's last layer scores: how many classes, of what, with a few of their names."""
    shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
    return f"the {len(names):,} classes of {TRAINING_SETS.get(family, 'its training set')} ({shown})"


def prediction_note(best: Sequence[tuple[str, float]], n_classes: int, trained: bool,
                    true_label: str | None = None) -> str:
    """What the top-5 bars say, as markdown: chance computed, random weights compared with it, top-1/top-5 judged
    against the true label when one is known."""
    chance = 1.0 / n_classes
    name, top = best[0]
    if not trained:
        near = top < NEAR_UNIFORM * chance
        verdict = ("close to uniform: the architecture alone knows nothing" if near else
                   f"far from uniform ({top / chance:.0f}× chance), yet just as meaningless: random weights favour "
                   "some classes whatever the image")
        return (f"With random weights the top class, **{name}**, gets {_percent(top)}; a uniform guess gives every "
                f"class 1/{n_classes:,} = {_percent(chance)}. That is {verdict}. Switch to trained weights to see "
                "what learning bought.")
    top5 = min(5, n_classes) * chance
    text = (f"Best guess: **{name}**, with **{top:.0%}** of the probability (chance: {_percent(chance)}). Field "
            "convention: a prediction counts as *top-1 correct* if the first class is right and *top-5 correct* if the "
            f"right class is anywhere in these five — a blind guess is top-5 correct {_percent(top5)} of the time "
            "here.")
    if true_label is not None:
        names = [n for n, _ in best]
        rank = names.index(true_label) + 1 if true_label in names else None
        text += (f" The true label is **{true_label}**: " + ("top-1 correct." if rank == 1 else
                 f"top-5 correct (rank {rank}), not top-1." if rank else "not even in the top five."))
    return text


def _percent(fraction: float) -> str:
    """A probability as a percentage with three significant digits: 0.102%, 12.2%, 10%."""
    return f"{100 * fraction:.3g}%"


def why_it_works(feature_size: int, parameters: int, trained: bool) -> str:
    """The closing paragraph: what training did to these numbers, or that with random weights it did nothing."""
    if not trained:
        return (f"**Random weights.** All {parameters:,} numbers of this network are a fixed-seed random draw: "
                "nothing here was learned, so the maps describe the image only by accident and the scores above "
                "are meaningless. Switch to trained weights and look at the same layers again.")
    return (f"**Why it works.** Stage by stage the network re-describes the image, and at the top a single linear "
            f"step scores the classes from a {feature_size}-dimensional vector. Training aims to put the classes on "
            "different sides of simple lines there. Nobody wrote these detectors by hand: gradient descent shaped "
            f"all {parameters:,} numbers to make that last linear step easy.")


def channel_strength(activation: np.ndarray) -> np.ndarray:
    """Mean activation of each channel of one C×H×W activation (what "strongest channel" means here)."""
    return np.asarray(activation, dtype=np.float64).reshape(activation.shape[0], -1).mean(axis=1)


def strongest_channels(activation: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n channels with the largest mean activation, strongest first (ties by index)."""
    strength = channel_strength(activation)
    return np.lexsort((np.arange(len(strength)), -strength))[:n]


def feature_map_limits(activation: np.ndarray, channels: np.ndarray, shared_scale: bool = True) -> np.ndarray:
    """The value drawn darkest and the value drawn brightest for each chosen channel: N×2 (low, high).

    With `shared_scale` every map gets the limits of all of them together; otherwise each its own min and max.
    """
    maps = np.asarray(activation, dtype=np.float32)[np.asarray(channels)].reshape(len(channels), -1)
    if shared_scale:
        return np.tile([maps.min(), maps.max()], (len(maps), 1)).astype(np.float32)
    return np.stack([maps.min(axis=1), maps.max(axis=1)], axis=1)


def normalized_maps(activation: np.ndarray, channels: np.ndarray, shared_scale: bool = True) -> np.ndarray:
    """The chosen channels mapped onto [0, 1] between feature_map_limits (0 = darkest, 1 = brightest): N×H×W.

    A map that is one value everywhere (its low equals its high) becomes 0 everywhere."""
    maps = np.asarray(activation, dtype=np.float32)[np.asarray(channels)]
    limits = feature_map_limits(activation, channels, shared_scale)
    lo, hi = limits[:, 0, None, None], limits[:, 1, None, None]
    return np.where(hi > lo, (maps - lo) / np.where(hi > lo, hi - lo, 1), 0.0).astype(np.float32)


def feature_map_tiles(activation: np.ndarray, channels: np.ndarray, size: int = 96, shared_scale: bool = True,
                      cmap: str = FEATURE_CMAP) -> np.ndarray:
    """Chosen channels of a C×H×W activation as N×size'×size'×3 uint8 heat maps, coloured between
    feature_map_limits (so with `shared_scale` brightness compares across channels)."""
    scaled = normalized_maps(activation, channels, shared_scale)
    tiles = (colormaps[cmap](scaled)[..., :3] * 255).round().astype(np.uint8)
    return _enlarge(tiles, max(1, size // scaled.shape[-1]))


@dataclass(frozen=True)
class ColourScale:
    """How the feature-map grid turns values into colours, for its colour bar.

    With a shared scale `low` is drawn black and `high` pale yellow in every map. Per map, each map runs from its
    own lowest (black) to its own highest (pale yellow); `low`/`high` are then the extremes over all maps shown."""

    low: float
    high: float
    shared: bool
    zero_at: float | None  # fraction of the way from black to pale yellow where a value of 0 is drawn; None when
                           # 0 is outside the range (or, per map, falls at different places in different maps)


def _zero_fraction(low: float, high: float) -> float | None:
    """Where 0 falls between low (0.0) and high (1.0), or None when it is outside or the range is empty."""
    if not (high > low and low <= 0.0 <= high):
        return None
    return max(0.0, float(-low / (high - low)))  # max: never -0.0


def feature_map_colour_scale(limits: np.ndarray, shared_scale: bool) -> ColourScale:
    """The colour bar of the maps drawn with `limits` (feature_map_limits): the value range and where 0 is."""
    values = np.asarray(limits, dtype=np.float64).reshape(-1, 2)
    lows, highs = values[:, 0], values[:, 1]
    low, high = float(lows.min()), float(highs.max())
    if shared_scale:
        return ColourScale(low, high, True, _zero_fraction(low, high))
    places = [_zero_fraction(lo, hi) for lo, hi in zip(lows, highs) if hi > lo]
    same = bool(places) and all(p is not None and abs(p - places[0]) < 1e-6 for p in places)
    return ColourScale(low, high, False, places[0] if same else None)


def colour_bar_colours(steps: int = 64, cmap: str = FEATURE_CMAP) -> list[str]:
    """`steps` colours from darkest to brightest as #rrggbb, exactly as feature_map_tiles draws them."""
    rgb = (colormaps[cmap](np.linspace(0.0, 1.0, steps))[:, :3] * 255).round().astype(int)
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb]


def feature_map_scale_note(limits: np.ndarray, shared_scale: bool) -> str:
    """What the feature maps' colours mean, from the limits they were drawn with (feature_map_limits)."""
    lows, highs = np.asarray(limits, dtype=np.float64)[:, 0], np.asarray(limits, dtype=np.float64)[:, 1]
    if shared_scale:
        scale = (f"Colour: black = {lows[0]:.2f}, pale yellow = {highs[0]:.2f}, the same scale for every map, so a "
                 "brighter map responds more strongly.")
        if lows[0] < 0 < highs[0]:
            scale += f" A value of 0 is drawn {-lows[0] / (highs[0] - lows[0]):.0%} of the way from black to pale yellow."
    else:
        scale = (f"Colour: each map is stretched to its own range (black = its lowest value, pale yellow = its "
                 f"highest; highs from {highs.min():.2f} to {highs.max():.2f}), so brightness does not compare "
                 "between maps.")
    flat = int(np.sum(highs <= lows))
    sign = (" Values below 0 occur, so this stage does not end in a ReLU (which would set them to 0)."
            if lows.min() < 0 else " No value is below 0.")
    return scale + sign + (f" {flat} of these maps are the same value everywhere (drawn black)." if flat else "")


def overlay_note(activation_map: np.ndarray) -> str:
    """What the close-up's colours mean: overlay_map stretches the map to its own [min, max]."""
    values = np.asarray(activation_map, dtype=np.float64)
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        return (f"This channel is {lo:.2f} everywhere in this image: no place responds more than another, so the "
                "close-up shows no heat. Pick another channel.")
    return (f"The map is stretched back over the crop the network saw and to its own range: dark = {lo:.2f}, "
            f"bright = {hi:.2f}, the places where this channel responds most.")


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


def first_stage(loaded: LoadedModel) -> tuple[str, tuple[int, ...]]:
    """The network's first stage, with its output shape."""
    name = loaded.layer_names[0]
    return name, loaded.output_shapes[name]


def feature_map_ends(loaded: LoadedModel) -> tuple[tuple[str, tuple[int, ...]], tuple[str, tuple[int, ...]]]:
    """The first and the last stage that output feature maps (C×H×W), each with its output shape."""
    first, last = loaded.spatial_layers[0], loaded.spatial_layers[-1]
    return (first, loaded.output_shapes[first]), (last, loaded.output_shapes[last])


def parameter_split(rows: Sequence[LayerRow], spatial_layers: Sequence[str]) -> tuple[int, int]:
    """(parameters of the stages after the feature maps — those that read a vector —, all parameters) of a network's
    layer table."""
    maps = set(spatial_layers)
    return sum(r.parameters for r in rows if r.name not in maps), sum(r.parameters for r in rows)


def format_shape(shape: tuple[int, ...]) -> str:
    """C×H×W or a vector length, as people write it."""
    return "×".join(str(s) for s in shape)



def overlay_map(image: np.ndarray, activation_map: np.ndarray, alpha: float = 0.6,
                cmap: str = FEATURE_CMAP) -> np.ndarray:
    """One feature map stretched over the image it came from: H×W×3 uint8, hot where the channel fires.

    The map is scaled to its own [min, max], upsampled smoothly to the image size and blended over a dimmed copy.
    """
    from PIL import Image

    h, w = image.shape[:2]
    values = np.asarray(activation_map, dtype=np.float32)
    lo, hi = float(values.min()), float(values.max())
    unit = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
    big = np.asarray(Image.fromarray(unit).resize((w, h), Image.Resampling.BILINEAR))
    heat = colormaps[cmap](np.clip(big, 0, 1))[..., :3]
    base = (image[..., :3] if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)).astype(np.float32) / 255
    blended = (1 - alpha) * base * 0.6 + alpha * heat
    return (np.clip(blended, 0, 1) * 255).round().astype(np.uint8)
