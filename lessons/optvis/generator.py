"""A deep generator prior for digits: the latent code of the registry's digit VAE is optimised, not the pixels."""

from __future__ import annotations

import numpy as np
import torch

from lessons.core.nets.digit_vae import LATENT, DigitVAE
from lessons.core.progress import Progress
from lessons.core.registry import LoadedModel
from lessons.optvis import render as render_mod
from lessons.optvis.objectives import Objective

__all__ = ["LATENT", "DigitVAE", "render_latent"]


def render_latent(loaded: LoadedModel, objective: Objective, vae: DigitVAE, steps: int = 64, lr: float = 0.1,
                  batch: int = 1, seed: int = 0, latent_weight: float = 0.05,
                  progress: Progress | None = None, snapshots: tuple[int, ...] = (),
                  on_snapshot: render_mod.SnapshotFn | None = None) -> render_mod.Result:
    """Maximise `objective` over the VAE's latent code (kept near the prior by a ‖z‖² penalty); `progress` hears the
    fraction of steps done and the objective reached."""
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn(batch, vae.mu.out_features, generator=generator).mul_(0.5).requires_grad_(True)
    vae = vae.to(loaded.device)
    opt = torch.optim.Adam([z], lr=lr)
    result = render_mod.Result(np.zeros(0), np.zeros(0))
    report = render_mod.step_reporter(progress)
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
            if report is not None:
                report(step, steps, result.history[-1])
    final = vae.decode(z.detach().to(loaded.device))
    result.images = render_mod.to_numpy(final)
    result.scores = render_mod.score(loaded, objective, final)
    return result
