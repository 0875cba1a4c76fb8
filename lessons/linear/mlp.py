"""Beyond a line: a small tanh network whose last hidden layer has exactly two units.

The network is 2 → [width tanh] × depth → 2 tanh → 1. Its last hidden layer is a 2-D space, so what the output unit
does there can be drawn exactly: a straight line, as in the linear lesson, in a space the earlier layers have warped
so that the classes fall on different sides of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lessons.core.progress import Progress, sub_range
from lessons.core.progress import steps as progress_steps
from lessons.linear import compute as lc
from lessons.linear import conclusions

MLP_LR = 0.02


def _linear(fan_in: int, fan_out: int, generator: torch.Generator) -> nn.Linear:
    """nn.Linear with PyTorch's default U(±1/√fan_in) draw, taken from a local generator."""
    layer = nn.utils.skip_init(nn.Linear, fan_in, fan_out)
    bound = 1.0 / math.sqrt(fan_in)
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=generator)
        layer.bias.uniform_(-bound, bound, generator=generator)
    return layer


def make_mlp(width: int, depth: int, seed: int = 0) -> nn.Sequential:
    """2 → [width, tanh] × depth → 2, tanh → 1 (a logit), seeded by a local generator."""
    generator = torch.Generator().manual_seed(int(seed))
    layers: list[nn.Module] = []
    fan_in = 2
    for _ in range(depth):
        layers += [_linear(fan_in, width, generator), nn.Tanh()]
        fan_in = width
    layers += [_linear(fan_in, 2, generator), nn.Tanh(), _linear(2, 1, generator)]
    return nn.Sequential(*layers)


def train_mlp(points: np.ndarray, labels: np.ndarray, width: int = 16, depth: int = 1, steps: int = 1000,
              seed: int = 0, lr: float = MLP_LR,
              progress: Progress | None = None) -> tuple[nn.Sequential, list[float]]:
    """Full-batch Adam on binary cross-entropy; returns the network (eval mode) and the loss of every step."""
    with lc.single_thread():
        return _train(points, labels, width, depth, steps, seed, lr, progress)


def _train(points: np.ndarray, labels: np.ndarray, width: int, depth: int, steps: int, seed: int, lr: float,
           progress: Progress | None) -> tuple[nn.Sequential, list[float]]:
    model = make_mlp(width, depth, seed)
    x = torch.as_tensor(np.asarray(points, dtype=np.float32))
    y = torch.as_tensor(np.asarray(labels, dtype=np.float32))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    losses: list[float] = []
    report_every = max(1, steps // 20)
    tick = progress_steps(progress, steps, "Training step {i} of {total}")
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x).squeeze(1), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if (step + 1) % report_every == 0:
            tick(step + 1)
    return model.eval(), losses


def architecture(width: int, depth: int) -> str:
    """The layer sizes of `make_mlp(width, depth)` as "2 → 16 → 2 → 1"."""
    return conclusions.architecture(width, depth)


def hidden_features(model: nn.Sequential, points: np.ndarray) -> np.ndarray:
    """Coordinates of points in the last hidden layer's 2-D space (after its tanh)."""
    with torch.no_grad():
        return model[:-1](torch.as_tensor(np.asarray(points, dtype=np.float32))).numpy()


def output_weights(model: nn.Sequential) -> tuple[float, float, float]:
    """(w1, w2, b) of the output unit: its line w1·h1 + w2·h2 + b = 0 in the hidden space."""
    last = model[-1]
    w1, w2 = last.weight.detach()[0].tolist()
    return w1, w2, float(last.bias.detach()[0])


def network_logits(model: nn.Sequential, points: np.ndarray) -> np.ndarray:
    """The network's output logit for each point."""
    with torch.no_grad():
        return model(torch.as_tensor(np.asarray(points, dtype=np.float32))).squeeze(1).numpy()


def network_field(model: nn.Sequential, centres: np.ndarray) -> np.ndarray:
    """P(class 1) on the grid centres × centres, [y index, x index]."""
    gx, gy = np.meshgrid(centres, centres)
    z = network_logits(model, np.stack([gx.ravel(), gy.ravel()], axis=1))
    return (0.5 * (1.0 + np.tanh(0.5 * z))).reshape(gx.shape).astype(np.float32)


def boundary_contours(field: np.ndarray, centres: np.ndarray, level: float = 0.5) -> list[np.ndarray]:
    """The curves where the field crosses `level`, each a k×2 array of (x, y)."""
    from skimage.measure import find_contours  # only needed here

    step = float(centres[1] - centres[0]) if len(centres) > 1 else 1.0
    return [np.stack([centres[0] + c[:, 1] * step, centres[0] + c[:, 0] * step], axis=1)
            for c in find_contours(field, level)]


def warped_grid(model: nn.Sequential, extent: float, lines: int = 13,
                samples: int = 81) -> list[tuple[str, float, np.ndarray, np.ndarray]]:
    """Straight grid lines of the input square and their images in the hidden space.

    Returns (direction "x = c" or "y = c", c, input polyline samples×2, hidden polyline samples×2) per line.
    """
    values = np.linspace(-extent, extent, lines, dtype=np.float32)
    along = np.linspace(-extent, extent, samples, dtype=np.float32)
    out = []
    for c in values:
        for direction in ("x", "y"):
            xy = np.stack([np.full_like(along, c), along] if direction == "x" else [along, np.full_like(along, c)],
                          axis=1)
            out.append((direction, float(c), xy, hidden_features(model, xy)))
    return out


def boundary_bend(contours: list[np.ndarray]) -> float:
    """How far the boundary strays from one straight line: the largest distance of any boundary point from the
    line that fits all of them best (least squares across the line); NaN when there is no boundary."""
    if not contours:
        return math.nan
    along = np.concatenate(contours).astype(np.float64)
    centred = along - along.mean(axis=0)
    across = np.linalg.svd(centred, full_matrices=False)[2][-1]  # the direction the points spread least in
    return float(np.abs(centred @ across).max())


def network_summary(bend: float, cell: float, network_accuracy: float, hidden_line_accuracy: float,
                    line_accuracy: float, weights: tuple[float, float, float]) -> str:
    """What the trained network's two pictures show, as markdown computed from their numbers.

    `bend` is boundary_bend of the input-plane boundary, `cell` one background cell's width (the straightness
    tolerance), `line_accuracy` the accuracy of the lowest-loss line of the many-start descent in (w1, w2, b).
    """
    if math.isnan(bend):
        shape = ("**Left:** inside this view the network gives every spot the same class, so there is no boundary "
                 "to draw.")
    elif bend > cell:
        shape = (f"**Left:** in the input plane the boundary (black) is **curved**: parts of it lie {bend:.2f} away "
                 f"from the straight line that fits it best (one background cell is {cell:.2f} wide).")
    else:
        shape = (f"**Left:** in the input plane the boundary (black) is **straight**: no part of it is more than "
                 f"{bend:.2f} from one straight line, less than a background cell ({cell:.2f}). On these points the "
                 "network has, in effect, drawn a line.")
    gain = network_accuracy - line_accuracy
    verdict = (f"bending bought {100 * gain:.1f} percentage points" if gain > 0 else
               "bending bought nothing here" if gain == 0 else "the network does worse than the line")
    compare = (f"The network gets {network_accuracy:.1%} of the points right, the best straight line of section 4's "
               f"many-start descent {line_accuracy:.1%}: {verdict}.")
    w1, w2, b = (_plain(v) for v in weights)
    same = (" — the same as the whole network, because it *is* the network's last step." if
            hidden_line_accuracy == network_accuracy else
            f" — the whole network gets {network_accuracy:.1%}; they differ only for points lying right on the line.")
    hidden = (f"**Right:** the same points and grid lines after the hidden layers, where the output unit only draws "
              f"a **straight line** (w = ({w1}, {w2}), b = {b}). Judged there, that line gets "
              f"{hidden_line_accuracy:.1%} right{same}")
    return f"{shape} {compare}\n\n{hidden}"


def _plain(value: float) -> str:
    """A number to two decimals, never shown as "-0.00"."""
    text = f"{value:.2f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


@dataclass(frozen=True)
class MLPView:
    """Everything the "beyond a line" section shows, as arrays."""

    accuracy: float
    hidden_line_accuracy: float  # the output unit's line, judged in the hidden space
    losses: np.ndarray
    centres: np.ndarray
    field: np.ndarray
    contours: list[np.ndarray]
    boundary_bend: float  # largest distance of the boundary from its best-fitting straight line (NaN: none)
    cell: float  # width of one field cell, the tolerance for calling the boundary straight
    hidden: np.ndarray  # n×2
    weights: tuple[float, float, float]  # output unit
    grid: list[tuple[str, float, np.ndarray, np.ndarray]]
    hidden_centres: np.ndarray
    hidden_field: np.ndarray  # P(class 1) over the hidden square, from the output unit alone
    parameters: int


def mlp_view(points: np.ndarray, labels: np.ndarray, width: int, depth: int, steps: int, seed: int,
             extent: float, progress: Progress | None = None, field_cells: int = 60) -> MLPView:
    """Train the network and compute its views: input-space field and boundary, hidden space, warped grid.

    Reports two stages: the training steps (90 %), then drawing the views."""
    training = sub_range(progress, 0.0, 0.9, prefix=f"{architecture(width, depth)} network — ")
    model, losses = train_mlp(points, labels, width, depth, steps, seed, progress=training)
    sub_range(progress, 0.9, 1.0)(0.0, "Drawing the boundary, the hidden space and the warped grid…")
    with lc.single_thread():
        return _view(model, losses, points, labels, extent, field_cells)


def _view(model: nn.Sequential, losses: list[float], points: np.ndarray, labels: np.ndarray, extent: float,
          field_cells: int) -> MLPView:
    centres = lc.grid_centres(extent, field_cells)
    field = network_field(model, centres)
    hidden = hidden_features(model, points)
    w1, w2, b = output_weights(model)
    predicted = network_logits(model, points) > 0
    truth = np.asarray(labels) > 0.5
    hidden_centres = lc.grid_centres(1.05, 42)
    contours = boundary_contours(field, centres)
    return MLPView(
        accuracy=float(np.mean(predicted == truth)) if len(truth) else 0.0,
        hidden_line_accuracy=lc.accuracy(w1, w2, b, hidden.astype(np.float64), np.asarray(labels)),
        losses=np.asarray(losses, dtype=np.float32),
        centres=centres, field=field, contours=contours, boundary_bend=boundary_bend(contours),
        cell=2.0 * extent / field_cells, hidden=hidden,
        weights=(w1, w2, b), grid=warped_grid(model, extent),
        hidden_centres=hidden_centres, hidden_field=lc.probability_field(w1, w2, b, hidden_centres),
        parameters=sum(p.numel() for p in model.parameters()),
    )
