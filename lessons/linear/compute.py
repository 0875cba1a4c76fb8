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
from scipy import ndimage, optimize
from torch import nn
from torch.nn import functional as F

from lessons.core.progress import Progress
from lessons.core.progress import steps as progress_steps

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
DESCENT_STARTS = 20  # random starting lines of the many-starts descent
DESCENT_STEPS = 2000  # its gradient-descent steps (the safe step size gets there in a few hundred)
START_SPREAD = 5.0  # each of w1, w2, b starts uniformly in [−START_SPREAD, START_SPREAD]
SAME_LOSS = 1e-4  # final losses closer than this count as the same
REPLAY_CHUNK = 50  # steps between two progress reports while a shared link's run is replayed


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

    @property
    def degrees(self) -> float:
        """The rotation θ in degrees."""
        return math.degrees(self.theta)


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


def train_config(optimiser: str, lr: float, schedule: str, max_steps: int, init: str, seed: int,
                 theta_degrees: float, offset: float, sharpness: float) -> TrainConfig:
    """The TrainConfig of a page's controls, whose starting rotation is given in degrees."""
    return TrainConfig(optimiser=optimiser, lr=float(lr), schedule=schedule, max_steps=int(max_steps), init=init,
                       seed=int(seed), theta=math.radians(theta_degrees), offset=float(offset),
                       sharpness=float(sharpness))


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


MOST_FRAMES_AT_ONCE = 8  # a slow moment may catch up this many frames' worth of steps, no more


def frames_due(elapsed_s: float | None, frame_s: float, most: int = MOST_FRAMES_AT_ONCE) -> int:
    """Frames of training due after `elapsed_s` seconds since the last frame drawn (1 for the first): on a busy server
    a frame takes longer than `frame_s` to draw, and training catches up so the run keeps its pace with fewer
    pictures."""
    if elapsed_s is None or elapsed_s <= frame_s:
        return 1
    return int(min(most, max(1, round(elapsed_s / frame_s))))


def run_key(config: TrainConfig) -> TrainConfig:
    """The part of a config that decides the trajectory: max_steps only matters when a schedule spans it."""
    return config if config.schedule != "none" else dataclasses.replace(config, max_steps=0)


def train_to(points: np.ndarray, labels: np.ndarray, config: TrainConfig, steps: int,
             progress: Progress | None = None) -> Trainer:
    """A fresh Trainer replayed to `steps` steps (what a shared link with a step count reproduces), reporting its
    progress every REPLAY_CHUNK steps."""
    trainer = Trainer(points, labels, config)
    tick = progress_steps(progress, steps, "Replaying the shared run: step {i} of {total}")
    while trainer.step < steps and trainer.run(min(REPLAY_CHUNK, steps - trainer.step)):
        tick(trainer.step)
    return trainer


def trajectory_columns(history: History) -> dict[str, np.ndarray]:
    """The run so far, one row per step: loss, accuracy, learning rate, the line as (rotation °, offset,
    sharpness) and as the model's numbers (w1, w2, b)."""
    theta = np.asarray(history.theta, dtype=np.float64)
    offset = np.asarray(history.offset, dtype=np.float64)
    sharpness = np.asarray(history.sharpness, dtype=np.float64)
    return {"step": np.arange(len(theta)), "loss": np.asarray(history.loss), "accuracy": np.asarray(history.accuracy),
            "learning_rate": np.asarray(history.lr), "rotation_degrees": np.degrees(theta), "offset": offset,
            "sharpness": sharpness, "w1": sharpness * np.cos(theta), "w2": sharpness * np.sin(theta),
            "b": -offset * sharpness}


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


def linearly_separable(points: np.ndarray, labels: np.ndarray) -> bool:
    """True if some line puts every point strictly on its own class's side (a linear-programming feasibility check)."""
    sign = np.asarray(labels, dtype=np.float64) * 2.0 - 1.0
    if len(sign) == 0 or np.all(sign == sign[0]):
        return True
    with_bias = np.hstack([np.asarray(points, dtype=np.float64), np.ones((len(sign), 1))])
    # find (w1, w2, b) with sign·(w·x + b) ≥ 1 for every point; any positive margin can be scaled up to 1
    found = optimize.linprog(np.zeros(3), A_ub=-sign[:, None] * with_bias, b_ub=-np.ones(len(sign)),
                             bounds=[(None, None)] * 3, method="highs")
    return bool(found.status == 0)


def line_losses(weights: np.ndarray, points: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean binary cross-entropy of each line (w1, w2, b), one per row of `weights` (k×3), in float64."""
    sign = np.asarray(labels, dtype=np.float64) * 2.0 - 1.0
    if len(sign) == 0:
        return np.zeros(len(weights))
    with_bias = np.hstack([np.asarray(points, dtype=np.float64), np.ones((len(sign), 1))])
    return np.logaddexp(0.0, -sign[:, None] * (with_bias @ np.asarray(weights, dtype=np.float64).T)).mean(axis=0)


@dataclass(frozen=True)
class ManyStarts:
    """Plain gradient descent on the model's own numbers (w1, w2, b) from many random starting lines."""

    starts: np.ndarray  # k×3 starting (w1, w2, b)
    finals: np.ndarray  # k×3 after `steps` steps
    start_losses: np.ndarray  # k
    final_losses: np.ndarray  # k
    steps: int
    step_size: float
    line_accuracy: float  # accuracy of the final line with the lowest loss


def descent_from_many_starts(points: np.ndarray, labels: np.ndarray, starts: int = DESCENT_STARTS,
                             steps: int = DESCENT_STEPS, seed: int = 0,
                             spread: float = START_SPREAD) -> ManyStarts:
    """Gradient descent in (w1, w2, b) from `starts` random lines at once, with the safe step size 1/L.

    L = ¼·(largest eigenvalue of the mean of [x, y, 1]ᵀ[x, y, 1]) bounds how fast the loss's slope can change, so
    a step of 1/L always goes downhill. Everything is float64 numpy: a few milliseconds per hundred steps.
    """
    rng = np.random.default_rng(seed)
    first = rng.uniform(-spread, spread, (starts, 3))
    sign = np.asarray(labels, dtype=np.float64) * 2.0 - 1.0
    with_bias = np.hstack([np.asarray(points, dtype=np.float64).reshape(-1, 2), np.ones((len(sign), 1))])
    n = max(len(sign), 1)
    step_size = 1.0 / max(0.25 * float(np.linalg.eigvalsh(with_bias.T @ with_bias / n).max()), 1e-12)
    weights = first.copy()
    for _ in range(steps if len(sign) else 0):
        margins = sign[:, None] * (with_bias @ weights.T)  # n×k
        slope = -(with_bias.T @ (sign[:, None] * 0.5 * (1.0 - np.tanh(0.5 * margins)))) / n  # 3×k
        weights -= step_size * slope.T
    final_losses = line_losses(weights, points, labels)
    best = weights[int(np.argmin(final_losses))]
    return ManyStarts(starts=first, finals=weights, start_losses=line_losses(first, points, labels),
                      final_losses=final_losses, steps=steps, step_size=step_size,
                      line_accuracy=accuracy(*best.tolist(), np.asarray(points, dtype=np.float64), labels))


def separability_note(separable: bool) -> str:
    """Whether these points can be split by a line, as one sentence for the data section."""
    if separable:
        return "These two clouds can be split by a straight line: one exists with every point on its own side."
    return ("No straight line splits these perfectly (not one line puts every point on its own side) — watch "
            "what the line does anyway, then see section 6.")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def landscape_summary(start_losses: Sequence[float], final_losses: Sequence[float], steps: int, separable: bool,
                      slice_minima: int, sharpness: float, same: float = SAME_LOSS) -> str:
    """What the many-starts descent in (w1, w2, b) and the valleys of the fixed-sharpness slice say, as markdown.

    The loss is convex in (w1, w2, b): one bowl. The map is a slice through it at one sharpness, and a slice of a
    bowl over rotation (a circle) can have several valleys.
    """
    start, final = np.asarray(start_losses, dtype=np.float64), np.asarray(final_losses, dtype=np.float64)
    runs = f"from {len(final)} random starting lines (starting losses {start.min():.3f} … {start.max():.3f})"
    spread = float(final.max() - final.min())
    if separable:
        bowl = (f"**A bowl with no floor.** Plain gradient descent on the model's own three numbers (w₁, w₂, b), "
                f"{runs}, is at losses {final.min():.4f} … {final.max():.4f} after {steps} steps and still going "
                "down: these points can be split perfectly, so a sharper line always scores a little better. "
                "There is no minimum to reach — and no second valley either: the loss is *convex* in (w₁, w₂, b).")
    elif spread <= same:
        bowl = (f"**One bowl, one bottom.** Plain gradient descent on the model's own three numbers (w₁, w₂, b), "
                f"{runs}, ends every time at loss **{final.min():.4f}** (all within {same:g} of each other, after "
                f"{steps} steps). The loss is *convex* in (w₁, w₂, b): a single valley, and every downhill walk "
                "reaches it.")
    else:
        bowl = (f"**Not at the bottom yet.** Plain gradient descent on the model's own three numbers (w₁, w₂, b), "
                f"{runs}, ends at losses {final.min():.4f} … {final.max():.4f} after {steps} steps: they differ by "
                f"more than {same:g}, so not every run has arrived. The loss is *convex* in (w₁, w₂, b), so the "
                "textbook says they all head for the same single bottom.")
    where = (f"The map is a **slice** through that bowl: sharpness fixed at |w| = {sharpness:.2f}, only rotation "
             "and offset vary.")
    if slice_minima >= 2:
        slice_text = (f"{where} On this slice there are **{_count(slice_minima, 'valley', 'valleys')}** (white "
                      "diamonds): a walker kept on the slice could settle in the wrong one. Gradient descent is not "
                      "kept there — it changes |w| too — and in (w₁, w₂, b) only one valley exists, so these are "
                      "not traps for it.")
    elif slice_minima == 1:
        slice_text = (f"{where} This slice has **one valley** (the white diamond), like the bowl. Slices can have "
                      "more: try XOR with a starting line set by hand at a sharpness of 2 or more.")
    else:
        slice_text = (f"{where} No valley is marked on this slice: its lowest lines lie at the map's top or bottom "
                      "edge, or the map is flat.")
    return f"{bowl}\n\n{slice_text}"


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


def landscape_columns(frame: Frame) -> dict[str, np.ndarray]:
    """The frame's loss landscape as one row per cell: rotation (degrees), offset, loss (at the frame's sharpness)."""
    rotation, offset = np.meshgrid(np.degrees(frame.thetas.astype(np.float64)), frame.offsets.astype(np.float64))
    return {"rotation_degrees": rotation.ravel(), "offset": offset.ravel(),
            "loss": np.asarray(frame.landscape, dtype=np.float64).ravel()}


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


# ----------------------------------------------------------------------------------------- reading the line in words
def lowest_minimum(frame: Frame) -> tuple[float, float] | None:
    """(rotation in degrees, offset) of the lowest marked local minimum of the frame's landscape, or None."""
    if not frame.minima:
        return None
    row, column = min(frame.minima, key=lambda ij: frame.landscape[ij])
    return math.degrees(float(frame.thetas[column])), float(frame.offsets[row])


def foot_on_line(w1: float, w2: float, b: float) -> tuple[tuple[float, float], float] | None:
    """The point offset·(cos θ, sin θ) where the normal meets the line, and the model's logit there (≈ 0);
    None when |w| = 0 and there is no line."""
    line = params_from_weights(w1, w2, b)
    if line.sharpness <= 0:
        return None
    foot = (line.offset * math.cos(line.theta), line.offset * math.sin(line.theta))
    return foot, float(logits(w1, w2, b, np.array([foot]))[0])


def plain_number(value: float, decimals: int = 2) -> str:
    """A number for the narrative, never shown as "-0.00"."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def signed_number(value: float, decimals: int = 3) -> str:
    """A number with its sign always written, for sums like "2.1 x + 0.5 y − 1.0"."""
    text = plain_number(value, decimals)
    return text if text.startswith("-") else "+" + text


def algebra_latex(w1: float, w2: float, b: float) -> tuple[str, str]:
    """LaTeX of the model's numbers (W and b) and of its line solved for y (or for x when it is vertical)."""
    numbers = (rf"W = \begin{{bmatrix}} {plain_number(w1, 3)} & {plain_number(w2, 3)} \end{{bmatrix}},\qquad "
               rf"b = {plain_number(b, 3)}")
    form = line_form(w1, w2, b)
    equation = rf"{plain_number(w1, 3)}\,x {signed_number(w2)}\,y {signed_number(b)} = 0"
    if form.vertical:
        solved = rf"\Rightarrow\quad x &= -\frac{{b}}{{w_1}} = {plain_number(form.x_at, 3)}"
    else:  # the symbols and the numbers on lines of their own, so the whole fits a phone's width
        solved = (rf"\Rightarrow\quad y &= -\frac{{w_1}}{{w_2}}\,x - \frac{{b}}{{w_2}} \\ "
                  rf"&= {plain_number(form.slope, 3)}\,x {signed_number(form.intercept)}")
    # the equation centred above the solution, whose lines align on "=": no line is wider than it must be
    return numbers, (rf"\begin{{gathered}} {equation} \\ \begin{{aligned}} {solved} \end{{aligned}} "
                     rf"\end{{gathered}}")
