"""Compute for the "Linear classifier" lesson: a line w·x + b = 0 as (rotation, offset, sharpness), training it
with plain gradient descent, momentum or Adam, the loss landscape over (rotation, offset), and what one frame of the
training animation shows.

Everything runs on CPU float32 tensors (the model has three numbers); randomness comes from local generators only.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy import ndimage
from torch import nn
from torch.nn import functional as F

OPTIMISERS: dict[str, str] = {"sgd": "Gradient descent (SGD)", "momentum": "SGD + momentum", "adam": "Adam"}
SCHEDULES: dict[str, str] = {
    "none": "constant",
    "exponential": "exponential decay",
    "step": "step decay (×0.1 at 50 % and 75 %)",
    "cosine": "cosine to zero",
}
MOMENTUM = 0.9
LEARNING_RATES: tuple[float, ...] = tuple(m * 10.0**e for e in range(-4, 1) for m in (1, 2, 5)) + (10.0,)
VERTICAL_EPS = 1e-6  # |w2| below this draws the line as vertical
SURE = math.log(9.0)  # logit where the model is 90 % sure: the dashed lines beside the boundary
STEPS_PER_FRAME = 10  # optimisation steps between two pictures of the animation (the page's default)
FIELD_CELLS = 50  # probability field: cells per side
LANDSCAPE_CELLS = (72, 49)  # loss landscape shown while training: rotations × offsets
CHUNK_ELEMENTS = 200_000  # landscape cells × points computed in one go (about 800 kB of float32)


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one intra-op thread inside the block, then restore the previous count (this thread only).

    The tensors here hold a few hundred numbers: splitting them across threads only adds waiting, and on a busy
    machine that wait grows to milliseconds per operation.
    """
    previous = torch.get_num_threads()
    if previous != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if previous != 1:
            torch.set_num_threads(previous)


# ----------------------------------------------------------------------------------------------- line parametrisation
@dataclass(frozen=True)
class LineParams:
    """A line w·x + b = 0 as rotation θ of its normal (radians), signed offset from the origin, and sharpness |w|."""

    theta: float
    offset: float
    sharpness: float


def params_from_weights(w1: float, w2: float, b: float) -> LineParams:
    """(w1, w2, b) → rotation θ = atan2(w2, w1), offset = −b/|w|, sharpness = |w|."""
    sharpness = math.hypot(w1, w2)
    if sharpness == 0.0:
        return LineParams(0.0, 0.0, 0.0)
    return LineParams(math.atan2(w2, w1), -b / sharpness, sharpness)


def weights_from_params(theta: float, offset: float, sharpness: float) -> tuple[float, float, float]:
    """(θ, offset, sharpness) → (w1, w2, b) with w = sharpness·(cos θ, sin θ) and b = −sharpness·offset."""
    return sharpness * math.cos(theta), sharpness * math.sin(theta), -sharpness * offset


def wrap_angle(theta: float) -> float:
    """Wrap an angle into [−π, π)."""
    return (theta + math.pi) % (2 * math.pi) - math.pi


@dataclass(frozen=True)
class LineForm:
    """The line solved for y (slope, intercept), or x = const when it is vertical."""

    vertical: bool
    slope: float = 0.0
    intercept: float = 0.0
    x_at: float = 0.0  # the x of a vertical line


def line_form(w1: float, w2: float, b: float) -> LineForm:
    """Solve w1·x + w2·y + b = 0: y = −(w1/w2)·x − b/w2, or x = −b/w1 when w2 ≈ 0."""
    if abs(w2) > VERTICAL_EPS * max(1.0, abs(w1)):
        return LineForm(False, slope=-w1 / w2, intercept=-b / w2)
    if w1 == 0.0:
        return LineForm(True, x_at=math.nan)
    return LineForm(True, x_at=-b / w1)


def line_segment(w1: float, w2: float, b: float, extent: float,
                 level: float = 0.0) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """End points of the part of w1·x + w2·y + b = level inside the square [−extent, extent]², or None."""
    if w1 == 0.0 and w2 == 0.0:
        return None
    found: list[tuple[float, float]] = []
    for edge in (-extent, extent):
        if w2 != 0.0:  # crossings of the vertical edges x = ±extent
            y = (level - b - w1 * edge) / w2
            if -extent <= y <= extent:
                found.append((edge, y))
        if w1 != 0.0:  # crossings of the horizontal edges y = ±extent
            x = (level - b - w2 * edge) / w1
            if -extent <= x <= extent:
                found.append((x, edge))
    unique: list[tuple[float, float]] = []
    for p in found:
        if all(math.dist(p, q) > 1e-9 for q in unique):
            unique.append(p)
    if len(unique) < 2:
        return None
    first = unique[0]
    second = max(unique[1:], key=lambda q: math.dist(first, q))
    return first, second


def logits(w1: float, w2: float, b: float, points: np.ndarray) -> np.ndarray:
    """The model's logit w·x + b for each row of `points` (n×2)."""
    return points @ np.array([w1, w2], dtype=np.float64) + b


# --------------------------------------------------------------------------------------------------------- training
def annealed_lr(base: float, step: int, schedule: str, max_steps: int) -> float:
    """Learning rate for optimisation step `step` (0-based) under a schedule spanning `max_steps` steps."""
    progress = min(max(step / max(max_steps, 1), 0.0), 1.0)
    if schedule == "none":
        return base
    if schedule == "exponential":  # halves every fifth of the run: 1/32 of the start at the end
        return base * 0.5 ** (5.0 * progress)
    if schedule == "step":
        return base * (1.0 if progress < 0.5 else 0.1 if progress < 0.75 else 0.01)
    if schedule == "cosine":
        return base * 0.5 * (1.0 + math.cos(math.pi * progress))
    raise ValueError(f"unknown schedule {schedule!r}")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run: optimiser, learning rate and its schedule, the starting line."""

    optimiser: str = "sgd"
    lr: float = 0.5
    schedule: str = "none"
    max_steps: int = 500
    init: str = "random"  # "random" (seeded) or "manual" (theta, offset, sharpness below)
    seed: int = 0
    theta: float = 0.0  # radians
    offset: float = 0.0
    sharpness: float = 1.0


def initial_weights(config: TrainConfig) -> tuple[float, float, float]:
    """The starting (w1, w2, b): PyTorch's default nn.Linear(2, 1) draw from a local seeded generator, or the
    hand-set line."""
    if config.init == "manual":
        return weights_from_params(config.theta, config.offset, config.sharpness)
    generator = torch.Generator().manual_seed(int(config.seed) + 1)
    bound = 1.0 / math.sqrt(2.0)  # nn.Linear's default: U(−1/√fan_in, 1/√fan_in) for weight and bias
    w1, w2, b = ((torch.rand(3, generator=generator) * 2.0 - 1.0) * bound).tolist()
    return w1, w2, b


def make_optimizer(name: str, parameters: Sequence[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    """The torch optimiser for one of OPTIMISERS."""
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(parameters, lr=lr, momentum=MOMENTUM)
    if name == "adam":
        return torch.optim.Adam(parameters, lr=lr)
    raise ValueError(f"unknown optimiser {name!r}")


@dataclass
class History:
    """Per-step record: entry t describes the model after t optimisation steps."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    theta: list[float] = field(default_factory=list)
    offset: list[float] = field(default_factory=list)
    sharpness: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)  # entry t: the rate used for step t+1 (the next one)


class Trainer:
    """Full-batch training of nn.Linear(2, 1) + sigmoid with BCEWithLogitsLoss; deterministic given its inputs."""

    def __init__(self, points: np.ndarray, labels: np.ndarray, config: TrainConfig) -> None:
        self.config = config
        self.x = torch.as_tensor(np.asarray(points, dtype=np.float32))
        self.y = torch.as_tensor(np.asarray(labels, dtype=np.float32))
        self.model = nn.utils.skip_init(nn.Linear, 2, 1)  # filled below; the global generator stays untouched
        w1, w2, b = initial_weights(config)
        with torch.no_grad():
            self.model.weight.copy_(torch.tensor([[w1, w2]], dtype=torch.float32))
            self.model.bias.copy_(torch.tensor([b], dtype=torch.float32))
        self.loss_fn = nn.BCEWithLogitsLoss()
        self.optimizer = make_optimizer(config.optimiser, list(self.model.parameters()), config.lr)
        self.step = 0
        self.history = History()
        with single_thread():
            self._record()

    @property
    def done(self) -> bool:
        """True once max_steps steps were taken."""
        return self.step >= self.config.max_steps

    def set_max_steps(self, max_steps: int) -> None:
        """Move the step limit. Only without annealing: a schedule spans max_steps, so it would change the past."""
        if self.config.schedule != "none":
            raise ValueError("the annealing schedule depends on max_steps; start a new run instead")
        self.config = dataclasses.replace(self.config, max_steps=max_steps)

    def weights(self) -> tuple[float, float, float]:
        """Current (w1, w2, b) as Python floats."""
        w1, w2 = self.model.weight.detach()[0].tolist()
        return w1, w2, float(self.model.bias.detach()[0])

    def line(self) -> LineParams:
        """Current line as rotation, offset and sharpness."""
        return params_from_weights(*self.weights())

    def current_lr(self) -> float:
        """The learning rate the next step will use."""
        return annealed_lr(self.config.lr, self.step, self.config.schedule, self.config.max_steps)

    def _record(self) -> None:
        with torch.no_grad():
            z = self.model(self.x).squeeze(1)
            loss = float(self.loss_fn(z, self.y))
            accuracy = float(((z > 0).float() == self.y).float().mean()) if len(self.y) else 0.0
        line = self.line()
        h = self.history
        h.loss.append(loss)
        h.accuracy.append(accuracy)
        h.theta.append(line.theta)
        h.offset.append(line.offset)
        h.sharpness.append(line.sharpness)
        h.lr.append(self.current_lr())

    def run(self, steps: int) -> int:
        """Take up to `steps` optimisation steps (never past max_steps); return how many were taken."""
        taken = 0
        with single_thread():
            while taken < steps and not self.done and len(self.y):
                lr = self.current_lr()
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
                self.optimizer.zero_grad(set_to_none=True)
                loss = self.loss_fn(self.model(self.x).squeeze(1), self.y)
                loss.backward()
                self.optimizer.step()
                self.step += 1
                taken += 1
                self._record()
        return taken


def run_key(config: TrainConfig) -> TrainConfig:
    """The part of a config that decides the trajectory: max_steps only matters when a schedule spans it."""
    return config if config.schedule != "none" else dataclasses.replace(config, max_steps=0)


def train_to(points: np.ndarray, labels: np.ndarray, config: TrainConfig, steps: int) -> Trainer:
    """A fresh Trainer replayed to `steps` steps (what a shared link with a step count reproduces)."""
    trainer = Trainer(points, labels, config)
    trainer.run(steps)
    return trainer


def accuracy(w1: float, w2: float, b: float, points: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of points on their own class's side of the line (logit > 0 means class 1)."""
    if len(labels) == 0:
        return 0.0
    return float(np.mean((logits(w1, w2, b, points) > 0) == (labels > 0.5)))


# ------------------------------------------------------------------------------------------------- loss landscape
def landscape_axes(points: np.ndarray, n_theta: int = 72, n_offset: int = 49) -> tuple[np.ndarray, np.ndarray]:
    """Grid of rotations θ in [−π, π) and offsets spanning the data (±1.1 × the farthest point, at least ±1)."""
    reach = float(np.max(np.linalg.norm(points, axis=1))) if len(points) else 1.0
    limit = max(1.0, math.ceil(1.1 * reach * 4) / 4)
    thetas = -math.pi + 2 * math.pi * np.arange(n_theta) / n_theta
    return thetas.astype(np.float32), np.linspace(-limit, limit, n_offset, dtype=np.float32)


def loss_landscape(points: np.ndarray, labels: np.ndarray, sharpness: float, thetas: np.ndarray,
                   offsets: np.ndarray) -> np.ndarray:
    """Mean binary cross-entropy of every line (θ, offset) at this sharpness: array n_offset × n_theta.

    For a point x with label y the logit is z = s·(x·(cos θ, sin θ) − offset), and its loss is softplus(−z) if y = 1,
    softplus(z) if y = 0, i.e. softplus(−(2y − 1)·z). All cells at once, in float32.
    """
    x = torch.as_tensor(np.asarray(points, dtype=np.float32))
    sign = torch.as_tensor(np.asarray(labels, dtype=np.float32)) * 2.0 - 1.0
    t = torch.as_tensor(np.asarray(thetas, dtype=np.float32))
    o = torch.as_tensor(np.asarray(offsets, dtype=np.float32))
    if len(x) == 0:
        return np.zeros((len(o), len(t)), np.float32)
    s = float(sharpness)
    out = torch.empty(len(o), len(t))
    with single_thread():
        along = x @ torch.stack([torch.cos(t), torch.sin(t)])  # n × T: each point's coordinate along each normal
        slope = (-s * sign)[:, None] * along  # n × T
        step = s * sign  # n
        rows = max(1, CHUNK_ELEMENTS // (len(x) * len(t)))  # a few offsets at a time: the work stays in cache
        buffer = torch.empty(rows, len(x), len(t))
        for first in range(0, len(o), rows):
            chunk = o[first:first + rows]
            u = buffer[:len(chunk)]
            torch.add(slope[None], step[None, :, None] * chunk[:, None, None], out=u)
            out[first:first + len(chunk)] = F.softplus(u).mean(dim=1)
    return out.numpy()


def loss_landscape_loop(points: np.ndarray, labels: np.ndarray, sharpness: float, thetas: np.ndarray,
                        offsets: np.ndarray) -> np.ndarray:
    """The same landscape one cell at a time: set nn.Linear's parameters to each line, evaluate BCEWithLogitsLoss."""
    x = torch.as_tensor(np.asarray(points, dtype=np.float32))
    y = torch.as_tensor(np.asarray(labels, dtype=np.float32))
    model, loss_fn = nn.Linear(2, 1), nn.BCEWithLogitsLoss()
    out = np.zeros((len(offsets), len(thetas)), np.float32)
    with torch.no_grad(), single_thread():
        for i, offset in enumerate(offsets):
            for j, theta in enumerate(thetas):
                w1, w2, b = weights_from_params(float(theta), float(offset), float(sharpness))
                model.weight.copy_(torch.tensor([[w1, w2]]))
                model.bias.fill_(b)
                out[i, j] = loss_fn(model(x).squeeze(1), y).item()
    return out


def local_minima(landscape: np.ndarray, size: int = 5) -> list[tuple[int, int]]:
    """(offset index, θ index) of the landscape's local minima: cells lowest in their size×size neighbourhood
    (θ wraps around, offset does not), excluding flat patches and the offset range's edges."""
    lowest = ndimage.minimum_filter(landscape, size=size, mode=("nearest", "wrap"))
    highest = ndimage.maximum_filter(landscape, size=size, mode=("nearest", "wrap"))
    found = np.argwhere((landscape <= lowest) & (highest - lowest > 1e-6))
    edge = landscape.shape[0] - 1
    kept = [(int(i), int(j)) for i, j in found if 0 < i < edge]
    kept.sort(key=lambda ij: float(landscape[ij]))
    unique: list[tuple[int, int]] = []  # one mark per flat-bottomed basin
    for i, j in kept:
        if all(abs(i - a) > 1 or min(abs(j - b), landscape.shape[1] - abs(j - b)) > 1 for a, b in unique):
            unique.append((i, j))
    return unique


def path_segments(thetas: Sequence[float] | np.ndarray) -> np.ndarray:
    """Segment number for each point of a θ path: a new segment starts where θ wraps across ±π."""
    t = np.asarray(thetas, dtype=np.float64)
    if len(t) == 0:
        return np.zeros(0, dtype=np.int64)
    jumps = np.abs(np.diff(t)) > math.pi
    return np.concatenate([[0], np.cumsum(jumps)]).astype(np.int64)


# ----------------------------------------------------------------------------------------------- one rendered frame
def grid_centres(extent: float, n: int) -> np.ndarray:
    """Centres of n equal cells spanning [−extent, extent]."""
    step = 2 * extent / n
    return (-extent + step * (np.arange(n) + 0.5)).astype(np.float32)


def probability_field(w1: float, w2: float, b: float, centres: np.ndarray) -> np.ndarray:
    """σ(w·x + b) on the grid centres × centres: array [row = y index, column = x index]."""
    gx, gy = np.meshgrid(centres, centres)
    z = w1 * gx + w2 * gy + b
    return (0.5 * (1.0 + np.tanh(0.5 * z))).astype(np.float32)  # the sigmoid, without overflow warnings


def view_extent(points: np.ndarray) -> float:
    """Half-width of the square view: at least 3, grown in steps of 0.5 to hold every point."""
    if len(points) == 0:
        return 3.0
    return max(3.0, math.ceil(float(np.max(np.abs(points))) * 1.05 * 2) / 2)


@dataclass(frozen=True)
class Frame:
    """Everything one picture of the training shows, as arrays (no drawing)."""

    step: int
    weights: tuple[float, float, float]
    line: LineParams
    extent: float
    centres: np.ndarray  # field cell centres (both axes)
    field: np.ndarray  # probability of class 1, [y index, x index]
    boundary: tuple[tuple[float, float], tuple[float, float]] | None
    sure_lines: tuple[tuple[tuple[float, float], tuple[float, float]] | None, ...]  # logit −SURE and +SURE
    thetas: np.ndarray
    offsets: np.ndarray
    landscape: np.ndarray  # n_offset × n_theta at the current sharpness
    minima: list[tuple[int, int]]


def make_frame(trainer: Trainer, extent: float, field_cells: int = FIELD_CELLS, n_theta: int = LANDSCAPE_CELLS[0],
               n_offset: int = LANDSCAPE_CELLS[1]) -> Frame:
    """Compute the probability field, boundary, landscape and its minima for the trainer's current state."""
    w1, w2, b = trainer.weights()
    line = params_from_weights(w1, w2, b)
    centres = grid_centres(extent, field_cells)
    points, labels = trainer.x.numpy(), trainer.y.numpy()
    thetas, offsets = landscape_axes(points, n_theta, n_offset)
    landscape = loss_landscape(points, labels, max(line.sharpness, 1e-3), thetas, offsets)
    return Frame(
        step=trainer.step, weights=(w1, w2, b), line=line, extent=extent, centres=centres,
        field=probability_field(w1, w2, b, centres),
        boundary=line_segment(w1, w2, b, extent),
        sure_lines=(line_segment(w1, w2, b, extent, -SURE), line_segment(w1, w2, b, extent, SURE)),
        thetas=thetas, offsets=offsets, landscape=landscape, minima=local_minima(landscape),
    )


def subsample(n: int, limit: int) -> np.ndarray:
    """At most `limit` indices spread evenly over range(n), always including the first and the last."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))
