"""A one-hidden-layer MLP for MNIST digits (784 → 128 → 10, the network of Krug et al.'s topographic maps).

Pure compute (no Streamlit). Trained on the shipped digits in a few seconds on a CPU and cached on disk with the
digit CNN's cache folder and atomic writer; the cache is always read back with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from lessons.core.cache import cache_dir
from lessons.core.cache import load_or_train as load_or_train_weights
from lessons.core.cache import shipped_weights
from lessons.core.data import mnist_split
from lessons.core.nets.mnist_cnn import CLASS_NAMES, INPUT_SIZE, _accuracy, to_input
from lessons.core.progress import Progress

HIDDEN = 128
DEFAULT_EPOCHS = 10
_CACHE_VERSION = 1


class DigitMLP(nn.Module):
    """flatten → fc1 (784→128) → relu1 → fc2 (128→10), one named nn.Sequential so each stage can be read."""

    def __init__(self, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.layers = nn.Sequential(OrderedDict([
            ("flatten", nn.Flatten()),
            ("fc1", nn.Linear(INPUT_SIZE * INPUT_SIZE, hidden)),
            ("relu1", nn.ReLU()),
            ("fc2", nn.Linear(hidden, len(CLASS_NAMES))),
        ]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map a (N, 1, 28, 28) float batch to (N, 10) class logits."""
        return self.layers(x)


def random_digit_mlp(seed: int = 0) -> DigitMLP:
    """Return an untrained DigitMLP with a deterministic initialisation, in eval mode."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DigitMLP()
    return model.eval()


def train_digit_mlp(epochs: int = DEFAULT_EPOCHS, seed: int = 0, batch_size: int = 200, lr: float = 3e-3,
                    progress: Progress | None = None) -> tuple[DigitMLP, dict]:
    """Train a DigitMLP on the MNIST train split with Adam; return the eval-mode model and its accuracies."""
    if epochs < 1:
        raise ValueError("epochs must be at least 1")
    start = time.perf_counter()
    x_train, y_train, x_test, y_test = mnist_split()
    inputs, labels = to_input(x_train), torch.tensor(y_train, dtype=torch.int64)
    model = random_digit_mlp(seed).train()
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        order = torch.randperm(len(inputs), generator=generator)
        for step in range(0, len(inputs), batch_size):
            idx = order[step:step + batch_size]
            loss = F.cross_entropy(model(inputs[idx]), labels[idx])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
        if progress is not None:
            progress((epoch + 1) / epochs, f"Epoch {epoch + 1}/{epochs}: loss {float(loss):.3f}")
    meta = {
        "train_accuracy": _accuracy(model, inputs, labels),
        "test_accuracy": _accuracy(model, to_input(x_test), torch.tensor(y_test, dtype=torch.int64)),
        "epochs": int(epochs), "seed": int(seed), "seconds": time.perf_counter() - start,
    }
    return model.eval(), meta


def cache_path(seed: int = 0, cache: Path | None = None) -> Path:
    """Return the file that holds the cached MLP weights for `seed`."""
    folder = Path(cache) if cache is not None else cache_dir()
    return folder / f"digit_mlp_seed{seed}_v{_CACHE_VERSION}.pt"


def load_or_train(seed: int = 0, progress: Progress | None = None, cache: Path | None = None,
                  epochs: int = DEFAULT_EPOCHS, shipped: bool = True) -> tuple[DigitMLP, dict]:
    """Return the trained eval-mode DigitMLP and its meta, from the disk cache when possible, else from the copy that
    ships with the app (the app's own cache and epochs, with `shipped`), else by training."""
    copy = shipped_weights(cache_path(seed).name) if shipped and cache is None and epochs == DEFAULT_EPOCHS else None
    return load_or_train_weights(cache_path(seed, cache), DigitMLP,
                                 lambda: train_digit_mlp(epochs=epochs, seed=seed, progress=progress), progress, copy)
