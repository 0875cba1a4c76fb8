"""A small VAE for MNIST digits, whose decoder is the deep generator prior of the activation-maximisation lesson."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from lessons.core import data
from lessons.core.cache import cache_dir
from lessons.core.cache import load_or_train as load_or_train_weights
from lessons.core.cache import shipped_weights
from lessons.core.progress import Progress

LATENT = 8
EPOCHS = 8
_CACHE_VERSION = 2


class DigitVAE(nn.Module):
    """Encoder 784→256→(μ, log σ²) and decoder latent→256→784 with a sigmoid."""

    def __init__(self, latent: int = LATENT) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU())
        self.mu, self.logvar = nn.Linear(256, latent), nn.Linear(256, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latent codes (B, latent) → images (B, 1, 28, 28) in [0, 1]."""
        return self.decoder(z).view(-1, 1, 28, 28)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Reconstruction, μ and log σ² of a batch."""
        h = self.encoder(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar


def train_vae(epochs: int = EPOCHS, seed: int = 0, batch_size: int = 200) -> DigitVAE:
    """Train the VAE on the 5,000 MNIST digits (a few seconds on a CPU)."""
    images, _ = data.mnist_digits()
    x = torch.as_tensor(np.asarray(images, dtype=np.float32).reshape(-1, 1, 28, 28) / 255.0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = DigitVAE()
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
        for _ in range(epochs):
            for idx in torch.randperm(len(x)).split(batch_size):
                recon, mu, logvar = model(x[idx])
                rec = nn.functional.binary_cross_entropy(recon, x[idx], reduction="sum")
                kl = -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp())
                opt.zero_grad()
                ((rec + kl) / len(idx)).backward()
                opt.step()
    return model.eval().requires_grad_(False)


def cache_path(seed: int = 0, cache: Path | None = None) -> Path:
    """Return the file that holds the cached VAE weights for `seed`."""
    folder = Path(cache) if cache is not None else cache_dir()
    return folder / f"digit_vae_seed{seed}_v{_CACHE_VERSION}.pt"


def load_or_train(seed: int = 0, progress: Progress | None = None, cache: Path | None = None,
                  shipped: bool = True) -> tuple[DigitVAE, dict]:
    """The trained VAE and a note of how it was trained: from the disk cache, else from the copy that ships with the
    app (for the app's own cache, with `shipped`), else trained now (seconds) and cached."""

    def train() -> tuple[DigitVAE, dict]:
        if progress is not None:
            progress(0.0, "Training the digit generator (a small VAE) on 5,000 digits…")
        return train_vae(seed=seed), {"epochs": EPOCHS, "seed": seed}

    copy = shipped_weights(cache_path(seed).name) if shipped and cache is None else None
    return load_or_train_weights(cache_path(seed, cache), DigitVAE, train, progress, copy)
