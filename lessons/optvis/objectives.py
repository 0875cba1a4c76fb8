"""What to maximise: functions of a model's stage outputs, composable with +, - and scalar ×."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

ActFn = Callable[[dict[str, torch.Tensor]], torch.Tensor]


class Objective:
    """A per-image score (shape (B,)) computed from named stage outputs; `layers` lists the stages it reads."""

    def __init__(self, fn: ActFn, layers: frozenset[str], name: str) -> None:
        self.fn, self.layers, self.name = fn, frozenset(layers), name

    def __call__(self, acts: dict[str, torch.Tensor]) -> torch.Tensor:
        """Score every image of the batch."""
        return self.fn(acts)

    def __add__(self, other: Objective) -> Objective:
        return Objective(lambda a: self(a) + other(a), self.layers | other.layers, f"{self.name} + {other.name}")

    def __sub__(self, other: Objective) -> Objective:
        return Objective(lambda a: self(a) - other(a), self.layers | other.layers, f"{self.name} − {other.name}")

    def __mul__(self, k: float) -> Objective:
        return Objective(lambda a: float(k) * self(a), self.layers, f"{k:g}·{self.name}")

    __rmul__ = __mul__

    def __neg__(self) -> Objective:
        return self * -1.0


def _spatial(t: torch.Tensor) -> torch.Tensor:
    return t if t.dim() == 4 else t[:, :, None, None]


def channel(layer: str, n: int) -> Objective:
    """Mean of channel n's feature map (a whole 'feature detector')."""
    return Objective(lambda a: _spatial(a[layer])[:, n].mean(dim=(-2, -1)), frozenset({layer}), f"{layer}:{n}")


def neuron(layer: str, n: int, x: int | None = None, y: int | None = None) -> Objective:
    """Channel n at one spatial position (default: the centre) — a single unit with one receptive field."""
    def fn(a: dict[str, torch.Tensor]) -> torch.Tensor:
        t = _spatial(a[layer])
        yy = t.shape[-2] // 2 if y is None else y
        xx = t.shape[-1] // 2 if x is None else x
        return t[:, n, yy, xx]
    return Objective(fn, frozenset({layer}), f"{layer}:{n}@centre" if x is None else f"{layer}:{n}@({x},{y})")


def class_logit(layer: str, n: int) -> Objective:
    """The (pre-softmax) score of class n read at the classifier layer."""
    return Objective(lambda a: a[layer][:, n], frozenset({layer}), f"logit {n}")


def direction(layer: str, vector: np.ndarray | torch.Tensor) -> Objective:
    """Dot product of the spatially averaged layer output with a direction (one weight per channel)."""
    v = torch.as_tensor(np.asarray(vector), dtype=torch.float32)

    def fn(a: dict[str, torch.Tensor]) -> torch.Tensor:
        t = _spatial(a[layer]).mean(dim=(-2, -1))
        return t @ v.to(t.device)
    return Objective(fn, frozenset({layer}), f"{layer}·direction")


def diversity(layer: str) -> Objective:
    """Minus the mean cosine similarity of the batch's Gram matrices (pushes a batch towards different facets)."""
    def fn(a: dict[str, torch.Tensor]) -> torch.Tensor:
        t = _spatial(a[layer])
        b, c = t.shape[:2]
        flat = t.reshape(b, c, -1)
        gram = torch.nn.functional.normalize((flat @ flat.transpose(1, 2)).reshape(b, -1), dim=1)
        sim = gram @ gram.T
        if b < 2:
            return torch.zeros(b, device=t.device)
        off = (sim.sum(dim=1) - sim.diagonal()) / (b - 1)
        return -off
    return Objective(fn, frozenset({layer}), f"diversity({layer})")
