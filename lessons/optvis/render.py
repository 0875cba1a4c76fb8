"""The optimisation loop: gradient ascent on an image parameterisation, running the model only as far as needed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from lessons.core import registry
from lessons.core.progress import Progress
from lessons.core.registry import LoadedModel
from lessons.core.stages import run_stages
from lessons.optvis import param as param_mod
from lessons.optvis import priors, transform
from lessons.optvis.objectives import Objective

StepFn = Callable[[int, int, float], None]  # (step, steps, current objective): each step of `render`
SnapshotFn = Callable[[int, np.ndarray], None]  # (step, images (B, H, W, C) in [0, 1])


class Cancelled(RuntimeError):
    """Raised inside the loop when the caller asks it to stop (caught by `render`)."""


@dataclass(frozen=True)
class Settings:
    """Every knob of one visualisation run (hashable, so it can key a cache)."""

    size: int = 128
    steps: int = 64
    lr: float = 0.05
    param: str = "fft"  # "fft" | "pixel"
    batch: int = 1
    transforms: bool = True
    l2: float = 0.0
    tv: float = 0.0
    centre: float = 0.0
    blur_every: int = 0  # 0: off
    blur_sigma: float = 0.5
    init: str = "noise"  # "noise" | "mean" (start from a mean image; forces pixels)
    seed: int = 0
    snapshots: tuple[int, ...] = ()


@dataclass
class Result:
    """Images (B, H, W, C) in [0, 1], their objective values, snapshots and the per-step objective history."""

    images: np.ndarray
    scores: np.ndarray
    snapshots: list[tuple[int, np.ndarray]] = field(default_factory=list)
    history: list[float] = field(default_factory=list)
    cancelled: bool = False
    steps_done: int = 0


def step_reporter(progress: Progress | None) -> StepFn | None:
    """A per-step callback that reports step i of n to `progress` as a fraction, with the objective reached."""
    if progress is None:
        return None

    def report(step: int, steps: int, value: float) -> None:
        progress(step / max(steps, 1), f"step {step}/{steps}, objective {value:.3g}")

    return report


def last_layer(loaded: LoadedModel, layers: frozenset[str] | set[str]) -> str:
    """The deepest of `layers` in forward order (the run stops there)."""
    names = loaded.layer_names
    return max(layers, key=names.index)


def model_input(loaded: LoadedModel, image: torch.Tensor) -> torch.Tensor:
    """Normalise a [0, 1] image batch the way the model expects (channels-last on the CPU)."""
    mean = torch.tensor(loaded.spec.mean, device=image.device).view(1, -1, 1, 1)
    std = torch.tensor(loaded.spec.std, device=image.device).view(1, -1, 1, 1)
    x = (image - mean) / std
    return x.contiguous(memory_format=torch.channels_last) if x.device.type == "cpu" else x


def activations(loaded: LoadedModel, objective: Objective, image: torch.Tensor,
                full_forward: bool = False) -> dict[str, torch.Tensor]:
    """Outputs of the stages the objective reads; stops at the deepest one unless `full_forward`."""
    stop = None if full_forward else last_layer(loaded, objective.layers)
    _, kept = run_stages(loaded.stages, model_input(loaded, image), keep=objective.layers, stop_after=stop)
    return kept


def score(loaded: LoadedModel, objective: Objective, images: np.ndarray | torch.Tensor) -> np.ndarray:
    """Objective value of each image ((B, C, H, W) tensor or (B, H, W, C) array in [0, 1]), without gradients."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)) if isinstance(images, np.ndarray) else images
    if isinstance(images, np.ndarray):
        x = x.permute(0, 3, 1, 2)
    with torch.inference_mode():
        return objective(activations(loaded, objective, x.to(loaded.device))).float().cpu().numpy()


def to_numpy(image: torch.Tensor) -> np.ndarray:
    """A (B, C, H, W) image tensor as a (B, H, W, C) float array on the CPU."""
    return image.detach().permute(0, 2, 3, 1).float().cpu().numpy()


def penalty(image: torch.Tensor, settings: Settings) -> torch.Tensor:
    """Sum of the weighted prior penalties for each image (B,)."""
    total = torch.zeros(image.shape[0], device=image.device)
    if settings.l2:
        total = total + settings.l2 * priors.l2(image)
    if settings.tv:
        total = total + settings.tv * priors.total_variation(image)
    if settings.centre:
        total = total + settings.centre * priors.centre_bias(image)
    return total


def render(loaded: LoadedModel, objective: Objective, settings: Settings = Settings(),
           progress: Progress | None = None, cancel: Callable[[], bool] | None = None,
           init_image: np.ndarray | None = None, full_forward: bool = False,
           on_snapshot: SnapshotFn | None = None) -> Result:
    """Maximise `objective` over an image; stops early (cancelled=True) when `cancel()` turns true.

    The steps run on `registry.fused_model(loaded)` (batch norm folded in; same outputs), and only as far as the
    deepest layer the objective reads unless `full_forward`. `on_snapshot` sees each snapshot as it is taken;
    `progress` hears the fraction of steps done and the objective reached.
    """
    report = step_reporter(progress)
    loaded = registry.fused_model(loaded)
    dev = loaded.device
    generator = torch.Generator().manual_seed(settings.seed)
    channels = loaded.spec.channels
    init = init_image if settings.init == "mean" else None
    image_param = param_mod.make_image(settings.param, settings.size, channels, settings.batch, generator, dev, init)
    optimiser = torch.optim.Adam(image_param.params, lr=settings.lr)
    augment = transform.compose(transform.standard(settings.size) if settings.transforms else [])
    wanted = set(settings.snapshots)
    result = Result(np.zeros(0), np.zeros(0))
    try:
        with torch.enable_grad():
            for step in range(1, settings.steps + 1):
                if cancel is not None and cancel():
                    raise Cancelled
                optimiser.zero_grad(set_to_none=True)
                image = image_param.image()
                acts = activations(loaded, objective, augment(image, generator), full_forward)
                value = objective(acts)
                loss = (penalty(image, settings) - value).sum()
                loss.backward()
                optimiser.step()
                if settings.blur_every and image_param.blur is not None and step % settings.blur_every == 0:
                    image_param.blur(settings.blur_sigma)
                result.history.append(float(value.detach().mean()))
                result.steps_done = step
                if step in wanted:
                    result.snapshots.append((step, to_numpy(image_param.image())))
                    if on_snapshot is not None:
                        on_snapshot(step, result.snapshots[-1][1])
                if report is not None:
                    report(step, settings.steps, result.history[-1])
    except Cancelled:
        result.cancelled = True
    final = image_param.image().detach()
    result.images = to_numpy(final)
    result.scores = score(loaded, objective, final)
    return result


def hook_count(module: torch.nn.Module) -> int:
    """Number of hooks of any kind registered on a module and its submodules (should always be 0 here)."""
    names = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks",
             "_state_dict_hooks", "_load_state_dict_pre_hooks")
    return sum(len(getattr(m, n, {}) or {}) for m in module.modules() for n in names)
