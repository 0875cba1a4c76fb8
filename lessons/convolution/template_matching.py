"""Template matching for the Convolution lesson: normalised cross-correlation with torch, peaks, and where it fails.

Pure functions (no Streamlit). The score map is a convolution of the image with the zero-mean template, divided by
the template's spread and each window's spread (window sums from an integral image): it equals
``skimage.feature.match_template`` on windows that are not flat. Rotating or scaling the image shows the limits of
a fixed template.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from skimage.transform import AffineTransform, warp

from lessons.core.runtime import resolve_device

#: A window whose pixel standard deviation is below this (about a quarter of a grey level) counts as flat: it has
#: no pattern, and its score is 0 rather than float32 noise.
FLAT_STD = 1e-3
#: Rotation angles (degrees) of the sweep that shows where a fixed template stops matching.
SWEEP_ANGLES = np.array([-60, -45, -30, -20, -10, -5, 0, 5, 10, 20, 30, 45, 60])
#: The template-size slider's low end and step; an image must offer at least `MIN_LARGEST_TEMPLATE` to cut one.
SMALLEST_TEMPLATE = 12
TEMPLATE_STEP = 4
MIN_LARGEST_TEMPLATE = 16


class TemplateError(ValueError):
    """A template that cannot be matched; str(error) says why and what to do."""


@dataclass(frozen=True)
class Match:
    """A place where the template fits: top-left corner of the window and its score in [-1, 1]."""

    row: int
    col: int
    score: float


def extract(image: np.ndarray, row: int, col: int, size: int) -> np.ndarray:
    """Return the size×size patch whose top-left corner is (row, col), clamped to lie inside the image."""
    h, w = image.shape
    size = int(min(size, h, w))
    row = int(np.clip(row, 0, h - size))
    col = int(np.clip(col, 0, w - size))
    return np.ascontiguousarray(image[row:row + size, col:col + size])


def _window_sums(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Sum of x over every h×w window (valid positions) of its last two dims, from an integral image."""
    c = F.pad(x.cumsum(-2).cumsum(-1), (1, 0, 1, 0))
    return c[..., h:, w:] - c[..., :-h, w:] - c[..., h:, :-w] + c[..., :-h, :-w]


def ncc_map(image: np.ndarray, template: np.ndarray, device: torch.device | str | None = None) -> np.ndarray:
    """Normalised cross-correlation of the template at every valid position: (H − h + 1) × (W − w + 1) in [-1, 1]."""
    return ncc_maps(np.asarray(image)[None], template, device)[0]


def ncc_maps(images: np.ndarray, template: np.ndarray, device: torch.device | str | None = None) -> np.ndarray:
    """`ncc_map` for a stack of equally sized images (N × H × W) in one conv2d call."""
    return _ncc(np.asarray(images, dtype=np.float32), np.asarray(template, dtype=np.float32)[None], device)[:, 0]


def _valid_shape(x: torch.Tensor, h: int, w: int) -> tuple[int, int]:
    """Height and width of the valid positions of an h×w window over x's last two dims."""
    return x.shape[-2] - h + 1, x.shape[-1] - w + 1


def _ncc(images: np.ndarray, templates: np.ndarray, device: torch.device | str | None) -> np.ndarray:
    """NCC of K same-size templates over N same-size images: (N, K, H − h + 1, W − w + 1)."""
    _, h, w = templates.shape
    if h > images.shape[1] or w > images.shape[2]:
        raise TemplateError(f"The template ({h}×{w}) is bigger than the image ({images.shape[1]}×{images.shape[2]}).")
    if float(templates.std(axis=(1, 2)).min()) < FLAT_STD:
        raise TemplateError("The template is flat (all pixels the same brightness), so it has no pattern to look "
                            "for. Move it onto something with edges or texture.")
    dev = resolve_device(device)
    wide = torch.float32 if dev.type == "mps" else torch.float64
    x = torch.as_tensor(images, device=dev)
    x = x - x.mean(dim=(1, 2), keepdim=True)  # NCC ignores a constant offset; centring keeps float32 sums small
    t = torch.as_tensor(templates, device=dev)
    t = t - t.mean(dim=(1, 2), keepdim=True)
    with torch.inference_mode():
        # The zero-mean templates slid over every image. The images go in as channels of one input with one group
        # each (output channel n·K + k = image n, template k): on a CPU this is several times faster than a batch.
        count, kinds = x.shape[0], t.shape[0]
        weight = t[None].expand(count, kinds, h, w).reshape(count * kinds, 1, h, w)
        numerator = F.conv2d(x[None], weight, groups=count)[0].view(count, kinds, *_valid_shape(x, h, w)).to(wide)
        xw = x.to(wide)
        n = h * w
        s1 = _window_sums(xw, h, w)[:, None]
        s2 = _window_sums(xw * xw, h, w)[:, None]
        window_ssd = (s2 - s1 * s1 / n).clamp_min(0)  # n × the variance of each window
        template_ssd = (t.to(wide) ** 2).sum(dim=(1, 2))[None, :, None, None]
        denominator = torch.sqrt(window_ssd * template_ssd)
        flat = (window_ssd <= n * FLAT_STD**2).expand_as(numerator)
        score = torch.where(flat, torch.zeros_like(numerator), numerator / denominator.clamp_min(1e-30))
    return score.clamp(-1, 1).float().cpu().numpy()


def match_peaks(scores: np.ndarray, template_shape: tuple[int, int], count: int = 3) -> list[Match]:
    """The `count` best windows, best first, none overlapping another by more than half a template (greedy NMS)."""
    remaining = np.array(scores, dtype=np.float64, copy=True)
    th, tw = template_shape
    found: list[Match] = []
    while len(found) < count and np.isfinite(remaining).any():
        r, c = np.unravel_index(int(np.nanargmax(np.where(np.isfinite(remaining), remaining, -np.inf))),
                                remaining.shape)
        found.append(Match(int(r), int(c), float(scores[r, c])))
        remaining[max(0, r - th // 2):r + th // 2 + 1, max(0, c - tw // 2):c + tw // 2 + 1] = -np.inf
    return found


def best_match(scores: np.ndarray) -> Match:
    """The single highest-scoring window."""
    r, c = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return Match(int(r), int(c), float(scores[r, c]))


def _transform(shape: tuple[int, int], angle: float, scale: float) -> AffineTransform:
    """Rotation by `angle` degrees (counter-clockwise on screen) and scaling, both about the image centre."""
    h, w = shape
    cx, cy = (w - 1) / 2, (h - 1) / 2
    a = math.radians(angle)
    cos, sin = scale * math.cos(a), scale * math.sin(a)
    # (x, y) = (column, row); rows grow downwards, so a counter-clockwise turn uses +sin on x and -sin on y.
    matrix = np.array([[cos, sin, cx - cos * cx - sin * cy],
                       [-sin, cos, cy + sin * cx - cos * cy],
                       [0.0, 0.0, 1.0]])
    return AffineTransform(matrix=matrix)


def transform_image(image: np.ndarray, angle: float = 0.0, scale: float = 1.0) -> np.ndarray:
    """The image rotated by `angle` degrees and scaled by `scale` about its centre, same size; corners get the mean."""
    img = np.asarray(image, dtype=np.float64)
    if angle == 0 and scale == 1:
        return img.astype(np.float32)
    moved = warp(img, _transform(img.shape, angle, scale).inverse, order=1, mode="constant",
                 cval=float(img.mean()), preserve_range=True)
    return moved.astype(np.float32)


def transform_point(shape: tuple[int, int], row: float, col: float, angle: float = 0.0,
                    scale: float = 1.0) -> tuple[float, float]:
    """Where the point (row, col) lands after `transform_image(image, angle, scale)`."""
    x, y = _transform(shape, angle, scale)(np.array([[col, row]]))[0]
    return float(y), float(x)


@dataclass(frozen=True)
class RotationSweep:
    """Best score anywhere, and whether the best window is the template's true (moved) place, per angle."""

    angles: np.ndarray
    peak: np.ndarray
    found: np.ndarray  # bool: the best window lies within a quarter template of the true place


def matched_true_place(shape: tuple[int, int], row: int, col: int, size: int, match: Match, angle: float,
                       scale: float) -> bool:
    """True when `match` lies within a quarter of the template size of where the template's centre moved to."""
    centre = (size - 1) / 2
    true_r, true_c = transform_point(shape, row + centre, col + centre, angle, scale)
    return math.hypot(match.row + centre - true_r, match.col + centre - true_c) <= max(1.0, size / 4)


def rotation_sweep(image: np.ndarray, row: int, col: int, size: int, angles: np.ndarray, scale: float = 1.0,
                   device: torch.device | str | None = None) -> RotationSweep:
    """Match the template cut at (row, col) in the rotated (and scaled) image for each angle."""
    template = extract(image, row, col, size)
    moved = np.stack([transform_image(image, float(angle), scale) for angle in angles])
    peaks, found = [], []
    for angle, scores in zip(angles, ncc_maps(moved, template, device)):
        match = best_match(scores)
        peaks.append(match.score)
        found.append(matched_true_place(image.shape, row, col, template.shape[0], match, float(angle), scale))
    return RotationSweep(np.asarray(angles, dtype=np.float64), np.asarray(peaks), np.asarray(found, dtype=bool))


def largest_template(shape: tuple[int, int]) -> int:
    """The largest template side offered for an image: at most 64 and half of each side, a multiple of 4."""
    height, width = shape
    return min(64, height // 2, width // 2) // TEMPLATE_STEP * TEMPLATE_STEP


def template_fits(shape: tuple[int, int]) -> bool:
    """Whether the image is wide and tall enough to cut a template from."""
    return largest_template(shape) >= MIN_LARGEST_TEMPLATE


def default_template_size(largest: int) -> int:
    """The template side a student starts with: 32 pixels, or the largest offered when that is smaller."""
    return min(32, largest)


@dataclass(frozen=True)
class MovedSearch:
    """The template searched for in the rotated and scaled image: the best window, and where its content went."""

    image: np.ndarray  # the moved image
    best: Match
    found: bool  # the best window is the template's true (moved) place
    content_top: float  # the square the template's content covers after the move (it is not axis-aligned if
    content_left: float  # rotated: this is the scaled square around its moved centre)
    content_side: float

    @property
    def drop(self) -> float:
        """The best score minus a perfect match's 1 (how much the move cost)."""
        return self.best.score - 1.0


def search_moved(image: np.ndarray, row: int, col: int, size: int, angle: float, scale: float,
                 device: torch.device | str | None = None) -> MovedSearch:
    """Cut the template at (row, col), rotate by `angle` degrees and scale the image, and search it there."""
    template = extract(image, row, col, size)
    moved = transform_image(image, angle, scale)
    best = best_match(ncc_map(moved, template, device))
    found = matched_true_place(image.shape, row, col, size, best, angle, scale)
    centre = (size - 1) / 2
    true_r, true_c = transform_point(image.shape, row + centre, col + centre, angle, scale)
    side = size * scale
    return MovedSearch(moved, best, found, true_r - side / 2, true_c - side / 2, side)


def _spread(image: np.ndarray, size: int) -> np.ndarray:
    img = torch.as_tensor(np.asarray(image, dtype=np.float64))
    s1 = _window_sums(img, size, size)
    s2 = _window_sums(img * img, size, size)
    return (s2 - s1 * s1 / size**2).numpy()


def distinctive_spot(image: np.ndarray, size: int, candidates: int = 6,
                     device: torch.device | str | None = None) -> tuple[int, int]:
    """Top-left corner of a good default template: among the most contrasted windows (away from the border), the
    one whose best match elsewhere in the image is weakest."""
    h, w = image.shape
    size = int(min(size, h, w))
    spread = _spread(image, size)
    margin = size // 2  # keep away from the border, where rotations bring in blank corners
    allowed = np.full(spread.shape, -np.inf)
    inner = (slice(margin, max(margin + 1, spread.shape[0] - margin)),
             slice(margin, max(margin + 1, spread.shape[1] - margin)))
    allowed[inner] = spread[inner]
    spots = [spot for spot in match_peaks(allowed, (2 * size, 2 * size), candidates)
             if np.isfinite(spot.score) and spot.score > 4 * size * size * FLAT_STD**2]  # std > 2·FLAT_STD
    best: tuple[float, int, int] | None = None
    if spots:
        templates = np.stack([extract(image, spot.row, spot.col, size) for spot in spots])
        maps = _ncc(np.asarray(image, dtype=np.float32)[None], templates.astype(np.float32), device)[0]
        for spot, scores in zip(spots, maps):
            runner_up = match_peaks(scores, (size, size), 2)
            rival = runner_up[1].score if len(runner_up) > 1 else -1.0
            if best is None or rival < best[0]:
                best = (rival, spot.row, spot.col)
    if best is None:
        return (h - size) // 2, (w - size) // 2
    return best[1], best[2]


def distinctive_pixel(image: np.ndarray, size: int = 32) -> tuple[int, int]:
    """A pixel worth looking at first: the centre of the distinctive spot for a size×size template."""
    side = int(min(size, *image.shape))
    row, col = distinctive_spot(image, side)
    return row + side // 2, col + side // 2


def _degrees(angle: float) -> str:
    """An angle as the rotation slider shows it: whole degrees, signed."""
    return f"{angle:g}°"


def rotation_summary(angles: np.ndarray, found: np.ndarray, peaks: np.ndarray, scale: float) -> str:
    """The rotation sweep in words: the smallest turn whose best match lands in the wrong place, or that none does."""
    angles = np.asarray(angles, dtype=np.float64)
    found = np.asarray(found, dtype=bool)
    peaks = np.asarray(peaks, dtype=np.float64)
    if angles.size == 0 or not angles.shape == found.shape == peaks.shape:
        raise ValueError("the sweep needs one angle, one found flag and one best score per angle")
    at_scale = f"At scale {scale:g}"
    wrong = angles[~found]
    if wrong.size == 0:
        worst = int(np.argmin(peaks))
        return (f"{at_scale}, this template's best match stays in the right place at every rotation shown "
                f"({_degrees(angles.min())} to {_degrees(angles.max())}), although its best score falls to "
                f"**{peaks[worst]:.3f}** at {_degrees(angles[worst])}. Does a smaller or more detailed template hold "
                "up as well?")
    first = np.min(np.abs(wrong))
    named = " and ".join(_degrees(a) for a in np.sort(wrong[np.abs(wrong) == first]))
    count = f"wrong at {wrong.size} of the {angles.size} angles shown"
    if first == 0:
        return f"{at_scale}, this template's best match lands in the wrong place even without rotation ({count})."
    return (f"{at_scale}, this template's best match first lands in the wrong place at {named} of rotation "
            f"({count}).")
