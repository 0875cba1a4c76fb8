"""Most exciting images (MEIs): gradient ascent on a grayscale image through a model of neurons.

Walker et al. 2019's recipe with the feature-visualisation lesson's priors (`lessons.optvis`):

* **Parameterisation.** Each image is a grayscale Fourier spectrum at the stimulus size (H × W, the Allen aspect
  ratio), scaled by 1/f (`optvis.param.rfft2d_freqs`) and turned into pixels by an inverse FFT, so the optimiser
  works on a decorrelated, natural-image-like basis.
* **Contrast budget (the norm constraint).** The pattern z from the spectrum is centred (mean subtracted) and mapped
  to ``clip(0.5 + s·z, 0, 1)``, with the gain s solved at every step so that the image's RMS deviation from mid-grey,
  sqrt(mean((x − 0.5)²)), equals the budget exactly. Clipped pixels count with their clipped value, so the
  constraint holds after clipping too; the gain is differentiable (for the pixels that clip), so the gradient does
  not try to grow the pattern. No image can win by being brighter or by having more contrast than any other.
  This replaces optvis's sigmoid.
* **Jitter.** Every step each image is shifted by up to `jitter` pixels each way (optvis's grey `pad` then a random
  `jitter` crop, back to H × W), drawn from the image's own generator.
* **Blur.** Every `blur_every` steps the spectrum is multiplied by a Gaussian's transfer function (a Gaussian blur
  of the image, sigma `blur_sigma` pixels), as optvis does in the frequency domain.

A batch of N images (image i for cell ``cells[i]``) costs one model pass per step; a CPU runs a long list a few
images at a time (`chunk_size`). Image i draws its starting spectrum and its jitter from a generator seeded by
(seed, i), so a batched run, a chunked one and one run per cell give the same images up to float rounding.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lessons.core.progress import Progress, silent, sub_range
from lessons.optvis import param, transform

VERSION = 1  # the recipe of an MEI: bump it when the same settings would make a different image
IMAGE_SHAPE = (144, 184)  # the simulated cortex's stimulus size (height × width, the Allen aspect ratio)
CONTRAST = 0.18  # mean RMS contrast of the simulated cortex's 118 stimuli (`stimulus_contrast`), rounded
CPU_CHUNK = 6  # images per optimisation on a CPU (`chunk_size`)

Cancel = Callable[[], bool]


@dataclass(frozen=True)
class MeiSettings:
    """Every knob of an MEI run (hashable, so it can key a cache)."""

    shape: tuple[int, int] = IMAGE_SHAPE  # height, width
    steps: int = 128
    lr: float = 0.05
    jitter: int = 4  # pixels each way, every step; 0: off
    blur_sigma: float = 1.0  # pixels
    blur_every: int = 4  # steps; 0: off
    contrast: float = CONTRAST  # RMS deviation from mid-grey of every image, in [0, 1] intensity units
    seed: int = 0
    diverse: int = 4  # how many diverse MEIs `diverse` makes by default
    diversity: float = 1.0  # weight of the diversity term, relative to the batch's mean response
    decay_power: float = 1.0  # the spectrum's 1/f^decay_power scaling
    init_sd: float = 0.01  # spread of the random starting spectrum

    def __post_init__(self) -> None:
        if len(self.shape) != 2 or min(self.shape) < 2:
            raise ValueError(f"shape must be (height, width), each at least 2, not {self.shape}")
        if not 0.0 < self.contrast < 0.5:
            raise ValueError(f"contrast must lie in (0, 0.5) (0.5 is a black-and-white image), not {self.contrast}")
        if self.steps < 0 or self.jitter < 0 or self.blur_every < 0 or self.diverse < 1:
            raise ValueError("steps, jitter and blur_every must be ≥ 0 and diverse ≥ 1")


@dataclass
class MeiResult:
    """Images for `cells` (image i for cell i), their responses, the objective per step, and how the run ended."""

    cells: np.ndarray  # (N,) the model output column each image maximises
    images: np.ndarray  # (N, H, W) float32 in [0, 1]
    images_uint8: np.ndarray  # (N, H, W) uint8
    responses: np.ndarray  # (N,) each final image's predicted response for its own cell (no jitter)
    history: np.ndarray  # (steps done, N) each image's objective at each step (shifted image; in `diverse`
    # the response minus the diversity term)
    similarity: np.ndarray  # (N, N) cosine similarity of the images' centred pixels (`similarity`)
    steps_done: int
    seconds: float
    cancelled: bool = False


# --------------------------------------------------------------------------------------------------- contrast
def rms_contrast(images: np.ndarray | torch.Tensor) -> np.ndarray:
    """RMS deviation from mid-grey of each image (N, H, W) or (N, 1, H, W) in [0, 1]: the constrained quantity."""
    x = torch.as_tensor(np.asarray(images) if isinstance(images, np.ndarray) else images.detach()).float()
    return torch.sqrt(((x.reshape(x.shape[0], -1) - 0.5) ** 2).mean(dim=1)).cpu().numpy()


def stimulus_contrast(images: np.ndarray) -> float:
    """Mean RMS contrast (standard deviation of intensity in [0, 1]) of uint8 images (N, H, W): a natural budget.

    The mean luminance is left out because an MEI's pattern is centred on mid-grey.
    """
    x = np.asarray(images, dtype=np.float64) / 255.0
    return float(x.reshape(x.shape[0], -1).std(axis=1).mean())


def _clipped(z: torch.Tensor, target: float, max_rounds: int = 200) -> torch.Tensor:
    """Which pixels of each centred pattern (N, n) clip at the gain that puts it at RMS² `target`.

    With the pixels of set K clipped, the gain solves s² = (n·target − |K|/4) / Σ_{not K} z². Starting from no
    clipping (a gain too low) and re-solving with the pixels that clip at the last gain raises the gain monotonically
    to the answer; it stops when the clipped set no longer changes (exact, a few rounds in practice).
    """
    a2 = z.pow(2)
    n = z.shape[1]
    clipped = torch.zeros_like(z, dtype=torch.bool)
    for _ in range(max_rounds):
        free = torch.where(clipped, torch.zeros_like(a2), a2).sum(dim=1)
        k = clipped.sum(dim=1).to(z.dtype)
        gain_sq = (n * target - 0.25 * k).clamp_min(0.0) / free.clamp_min(1e-30)
        now = a2 * gain_sq[:, None] > 0.25
        if torch.equal(now, clipped):
            break
        clipped = now
    return clipped


def to_budget(patterns: torch.Tensor, contrast: float) -> torch.Tensor:
    """Map patterns (N, ...) to images clip(0.5 + s·(z − mean z), 0, 1) whose RMS deviation from 0.5 is `contrast`.

    The deviation grows with the gain s, so one s fits; which pixels clip at it is found exactly (`_clipped`), then
    s² = (n·c² − k/4) / Σ unclipped z² (k clipped pixels) is computed with gradients, so that the optimiser never
    tries to grow the pattern. Patterns that are flat everywhere stay mid-grey.
    """
    if not 0.0 < contrast < 0.5:
        raise ValueError(f"contrast must lie in (0, 0.5), not {contrast}")
    shape = patterns.shape
    z = patterns.reshape(shape[0], -1)
    z = z - z.mean(dim=1, keepdim=True)
    n = z.shape[1]
    target = contrast * contrast
    with torch.no_grad():
        clipped = _clipped(z.detach(), target)
        k = clipped.sum(dim=1)
    free = torch.where(clipped, torch.zeros_like(z), z).pow(2).sum(dim=1)
    flat = free.detach() <= 1e-20
    gain = ((n * target - 0.25 * k.to(z.dtype)).clamp_min(0.0) / free.clamp_min(1e-20)).sqrt()
    gain = torch.where(flat, torch.zeros_like(gain), gain)
    return torch.clamp(0.5 + gain[:, None] * z, 0.0, 1.0).reshape(shape)


def similarity(images: np.ndarray | torch.Tensor) -> np.ndarray:
    """Pairwise cosine similarity (N, N) of images' pixels, each centred on its own mean (a correlation)."""
    x = torch.as_tensor(np.asarray(images) if isinstance(images, np.ndarray) else images.detach()).double()
    return _cosine(x.reshape(x.shape[0], -1)).cpu().numpy()


def _cosine(flat: torch.Tensor) -> torch.Tensor:
    centred = flat - flat.mean(dim=1, keepdim=True)
    unit = torch.nn.functional.normalize(centred, dim=1)
    return unit @ unit.T


# ------------------------------------------------------------------------------------------------ the images
def image_generator(seed: int, index: int) -> torch.Generator:
    """The generator of image `index` of a run with `seed` (its starting spectrum and its jitter)."""
    state = np.random.SeedSequence([int(seed), int(index)]).generate_state(2, dtype=np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


class _FourierImages:
    """N grayscale images of shape (H, W) as 1/f-scaled rfft2 spectra, mapped to the contrast budget."""

    def __init__(self, settings: MeiSettings, generators: Sequence[torch.Generator], device: torch.device) -> None:
        h, w = settings.shape
        freqs = param.rfft2d_freqs(h, w)
        start = [torch.randn(1, 1, *freqs.shape, 2, generator=g) * settings.init_sd for g in generators]
        self.spectrum = torch.cat(start).to(device).requires_grad_(True)
        scale = 1.0 / np.maximum(freqs, 1.0 / max(h, w)) ** settings.decay_power
        self.scale = torch.as_tensor(scale, dtype=torch.float32, device=device)[None, None]
        self.freqs = torch.as_tensor(freqs, dtype=torch.float32, device=device)[None, None, :, :, None]
        self.settings = settings

    def image(self) -> torch.Tensor:
        """The current images (N, 1, H, W) in [0, 1], each exactly at the contrast budget."""
        pattern = torch.fft.irfft2(torch.view_as_complex(self.spectrum) * self.scale, s=self.settings.shape,
                                   norm="ortho")
        return to_budget(pattern, self.settings.contrast)

    def blur(self, sigma: float) -> None:
        """Gaussian blur of every image in place: the spectrum times the Gaussian's transfer function."""
        with torch.no_grad():
            self.spectrum.mul_(torch.exp(-2 * (math.pi * sigma * self.freqs) ** 2))


def _jitter(images: torch.Tensor, d: int, generators: Sequence[torch.Generator]) -> torch.Tensor:
    """Shift each image by up to d pixels each way (its own draw), filling with mid-grey; the size is kept."""
    if d <= 0:
        return images
    padded = transform.pad(d, 0.5)(images, generators[0])
    crop = transform.jitter(2 * d)
    return torch.cat([crop(padded[i:i + 1], g) for i, g in enumerate(generators)])


def _device(model: torch.nn.Module) -> torch.device:
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def _cells(cells: Sequence[int] | np.ndarray) -> np.ndarray:
    out = np.asarray(cells, dtype=np.int64).reshape(-1)
    if out.size == 0 or (out < 0).any():
        raise ValueError("cells must be a non-empty list of output columns (≥ 0)")
    return out


def _optimise(model: torch.nn.Module, cells: np.ndarray, settings: MeiSettings, indices: Sequence[int],
              diversity: float, progress: Progress | None, cancel: Cancel | None) -> MeiResult:
    """Gradient ascent on len(cells) images at once: one model pass per step, plus one to score the results."""
    start = time.perf_counter()
    report = progress or silent
    device = _device(model)
    generators = [image_generator(settings.seed, i) for i in indices]
    images = _FourierImages(settings, generators, device)
    optimiser = torch.optim.Adam([images.spectrum], lr=settings.lr)
    rows = torch.arange(len(cells), device=device)
    columns = torch.as_tensor(cells, device=device)
    history: list[np.ndarray] = []
    cancelled = False
    with torch.enable_grad():
        for step in range(1, settings.steps + 1):
            if cancel is not None and cancel():
                cancelled = True
                break
            image = images.image()
            response = model(_jitter(image, settings.jitter, generators))[rows, columns]
            objective = response
            if diversity and len(cells) > 1:
                sim = _cosine(image.reshape(len(cells), -1))
                mean_other = (sim.sum(dim=1) - sim.diagonal()) / (len(cells) - 1)
                objective = response - diversity * response.detach().abs().mean() * mean_other
            # only the spectrum's gradient: the model's parameters (and their .grad) are left alone
            (grad,) = torch.autograd.grad(-objective.sum(), [images.spectrum])
            images.spectrum.grad = grad
            optimiser.step()
            images.spectrum.grad = None
            if settings.blur_every and settings.blur_sigma > 0 and step % settings.blur_every == 0:
                images.blur(settings.blur_sigma)
            history.append(objective.detach().float().cpu().numpy())
            report(step / max(settings.steps, 1),
                   f"step {step}/{settings.steps}, mean objective {float(history[-1].mean()):.3g}")
    with torch.no_grad():
        final = images.image()
        responses = model(final)[rows, columns].float().cpu().numpy()
    pixels = final[:, 0].float().cpu().numpy()
    return MeiResult(
        cells=cells.copy(), images=pixels, images_uint8=np.round(pixels * 255).astype(np.uint8),
        responses=responses, history=np.array(history, dtype=np.float32).reshape(len(history), len(cells)),
        similarity=similarity(pixels), steps_done=len(history), seconds=time.perf_counter() - start,
        cancelled=cancelled)


# ------------------------------------------------------------------------------------------------ public API
def chunk_size(device: torch.device) -> int:
    """How many images one optimisation holds on a device: all of them on a GPU; on a CPU a few at a time.

    Measured on 2 CPU cores (efficientnet_lite0 up to blocks.5, 144 × 184 stimuli), per image and step: 23 ms one
    image at a time, 14–16 ms in batches of 4–6, 30 ms for 30 images in one batch (the activations outgrow the
    cache), so a CPU gains from a small batch and loses from a large one.
    """
    return 1 << 30 if device.type == "cuda" else CPU_CHUNK


def _in_chunks(model: torch.nn.Module, cells: np.ndarray, settings: MeiSettings, chunk: int,
               progress: Progress | None, cancel: Cancel | None) -> MeiResult:
    """Optimise the images `chunk` at a time (image i always with generator i) and join the parts."""
    start = time.perf_counter()
    parts: list[MeiResult] = []
    bounds = [(i, min(i + chunk, len(cells))) for i in range(0, len(cells), chunk)]
    for first, stop in bounds:
        if cancel is not None and cancel():
            break
        what = f"cell {first + 1} of {len(cells)}: " if stop - first == 1 else \
            f"cells {first + 1}–{stop} of {len(cells)}: "
        part = sub_range(progress, first / len(cells), stop / len(cells), what) if len(bounds) > 1 else progress
        parts.append(_optimise(model, cells[first:stop], settings, range(first, stop), 0.0, part, cancel))
        if parts[-1].cancelled:
            break
    if len(parts) == 1 and not parts[0].cancelled:
        return parts[0]
    done = sum(len(p.cells) for p in parts)
    h, w = settings.shape
    images = np.concatenate([p.images for p in parts]) if parts else np.zeros((0, h, w), np.float32)
    steps = min((p.steps_done for p in parts), default=0)
    return MeiResult(
        cells=cells[:done].copy(), images=images, images_uint8=np.round(images * 255).astype(np.uint8),
        responses=np.concatenate([p.responses for p in parts]) if parts else np.zeros(0, np.float32),
        history=np.concatenate([p.history[:steps] for p in parts], axis=1) if parts else np.zeros((0, 0)),
        similarity=similarity(images) if parts else np.zeros((0, 0)), steps_done=steps,
        seconds=time.perf_counter() - start, cancelled=done < len(cells) or any(p.cancelled for p in parts))


def most_exciting(model: torch.nn.Module, cells_per_image: Sequence[int] | np.ndarray,
                  settings: MeiSettings = MeiSettings(), progress: Progress | None = None,
                  cancel: Cancel | None = None, chunk: int | None = None) -> MeiResult:
    """MEIs for many cells, batched: image i maximises output column cells_per_image[i].

    `model(images)` takes (B, 1, H, W) in [0, 1] and returns (B, cells); it is used as it is (no `.train()` or
    `.eval()`, no gradients stored on its parameters). Each step is one model pass for a batch of `chunk` images
    (default `chunk_size` of the model's device: all of them on a GPU); the returned responses come from one more
    pass on the final, unshifted images. Stops early (cancelled=True) when `cancel()` turns true; the result then
    holds the cells reached so far.
    """
    cells = _cells(cells_per_image)
    size = chunk_size(_device(model)) if chunk is None else int(chunk)
    if size < 1:
        raise ValueError("chunk must be at least 1")
    return _in_chunks(model, cells, settings, size, progress, cancel)


def one_at_a_time(model: torch.nn.Module, cells_per_image: Sequence[int] | np.ndarray,
                  settings: MeiSettings = MeiSettings(), progress: Progress | None = None,
                  cancel: Cancel | None = None) -> MeiResult:
    """The same MEIs as `most_exciting`, one optimisation per cell (the baseline for the batched run).

    Image i uses the generator of index i, as in the batched run, so the images agree up to float rounding.
    """
    return most_exciting(model, cells_per_image, settings, progress, cancel, chunk=1)


def diverse(model: torch.nn.Module, cell: int, settings: MeiSettings = MeiSettings(), n: int | None = None,
            progress: Progress | None = None, cancel: Cancel | None = None,
            diversity: float | None = None) -> MeiResult:
    """n different MEIs for one cell: each maximises the cell's response minus a diversity term.

    The term is the image's mean cosine similarity to the others (centred pixels), weighted by `diversity`
    (default `settings.diversity`) times the batch's mean |response|, so the weight means the same for any cell or
    model; 0 gives n independent MEIs from different starts. The result's `similarity` is their pairwise
    similarity.
    """
    count = settings.diverse if n is None else int(n)
    if count < 1:
        raise ValueError("n must be at least 1")
    weight = settings.diversity if diversity is None else float(diversity)
    cells = np.full(count, int(cell), dtype=np.int64)
    return _optimise(model, cells, settings, range(count), weight, progress, cancel)
