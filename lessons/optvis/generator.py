"""A deep generator prior for digits: a small VAE trained here on the MNIST digits, whose latent code is optimised."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from lessons.core import data
from lessons.core.nets import mnist_cnn
from lessons.core.registry import LoadedModel
from lessons.optvis import render as render_mod
from lessons.optvis.objectives import Objective

LATENT = 8
_CACHE_VERSION = 1
_lock = threading.Lock()
_memory: dict[int, nn.Module] = {}


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


def train_vae(epochs: int = 8, seed: int = 0, batch_size: int = 200) -> DigitVAE:
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


def load_or_train(seed: int = 0) -> DigitVAE:
    """The trained VAE: from memory, else from the disk cache, else trained now and cached."""
    with _lock:
        if seed in _memory:
            return _memory[seed]
        path = mnist_cnn.cache_dir() / f"digit_vae_seed{seed}_v{_CACHE_VERSION}.pt"
        model = DigitVAE()
        try:
            model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
            model = model.eval().requires_grad_(False)
        except Exception:  # noqa: BLE001 (missing or stale file: retrain)
            model = train_vae(seed=seed)
            try:
                torch.save(model.state_dict(), path)
            except OSError:
                pass
        _memory[seed] = model
        return model


def render_latent(loaded: LoadedModel, objective: Objective, vae: DigitVAE, steps: int = 64, lr: float = 0.1,
                  batch: int = 1, seed: int = 0, latent_weight: float = 0.05,
                  progress: Callable[[int, int, float], None] | None = None, snapshots: tuple[int, ...] = (),
                  on_snapshot: render_mod.SnapshotFn | None = None) -> render_mod.Result:
    """Maximise `objective` over the VAE's latent code (kept near the prior by a ‖z‖² penalty)."""
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn(batch, vae.mu.out_features, generator=generator).mul_(0.5).requires_grad_(True)
    vae = vae.to(loaded.device)
    opt = torch.optim.Adam([z], lr=lr)
    result = render_mod.Result(np.zeros(0), np.zeros(0))
    with torch.enable_grad():
        for step in range(1, steps + 1):
            opt.zero_grad(set_to_none=True)
            image = vae.decode(z.to(loaded.device))
            value = objective(render_mod.activations(loaded, objective, image))
            (latent_weight * (z ** 2).sum(dim=1) - value).sum().backward()
            opt.step()
            result.history.append(float(value.detach().mean()))
            result.steps_done = step
            if step in snapshots:
                result.snapshots.append((step, render_mod.to_numpy(image.detach())))
                if on_snapshot is not None:
                    on_snapshot(step, result.snapshots[-1][1])
            if progress is not None:
                progress(step, steps, result.history[-1])
    final = vae.decode(z.detach().to(loaded.device))
    result.images = render_mod.to_numpy(final)
    result.scores = render_mod.score(loaded, objective, final)
    return result
