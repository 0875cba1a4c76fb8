"""Activation maximisation: steps/s at 128 px on the default model, project engine vs a straightforward loop."""

from __future__ import annotations

import time

import torch

from bench.report import print_table, verdict
from lessons.core import registry
from lessons.optvis import objectives, param, transform
from lessons.optvis import render as R

LAYER, CHANNEL, SIZE = "blocks.8", 5, 128  # a mid-level layer: block 9 of 16, 112 channels at 14×14 for 224 px


def straightforward_loop(loaded: registry.LoadedModel, steps: int) -> float:
    """The textbook loop, as lucent writes it: a forward hook catches the layer, the whole model runs every step,
    the transforms run one after another. (On a private copy: the shared model never gets a hook.)"""
    model = registry.trainable_copy(loaded).eval().requires_grad_(False).to(memory_format=torch.contiguous_format)
    caught: dict[str, torch.Tensor] = {}
    target = dict(zip(loaded.layer_names, (s.module for s in loaded.spec.stages(model))))[LAYER]
    handle = target.register_forward_hook(lambda module, inputs, output: caught.__setitem__("out", output))
    try:
        generator = torch.Generator().manual_seed(0)
        image = param.fft_image(SIZE, 3, 1, generator=generator, device=loaded.device)
        optimiser = torch.optim.Adam(image.params, lr=0.05)
        augment = transform.compose(transform.lucent_chain(SIZE))
        mean = torch.tensor(loaded.spec.mean, device=loaded.device).view(1, -1, 1, 1)
        std = torch.tensor(loaded.spec.std, device=loaded.device).view(1, -1, 1, 1)
        start = time.perf_counter()
        with torch.enable_grad():
            for _ in range(steps):
                optimiser.zero_grad()
                model((augment(image.image(), generator) - mean) / std)
                (-caught["out"][:, CHANNEL].mean()).backward()
                optimiser.step()
        _sync(loaded.device)
        return steps / (time.perf_counter() - start)
    finally:
        handle.remove()


def engine_loop(loaded: registry.LoadedModel, steps: int, full_forward: bool = False) -> float:
    """The project's engine (`optvis.render`): folded batch norm, one resampling per step, stop at the layer."""
    start = time.perf_counter()
    R.render(loaded, objectives.channel(LAYER, CHANNEL), R.Settings(size=SIZE, steps=steps), full_forward=full_forward)
    _sync(loaded.device)
    return steps / (time.perf_counter() - start)


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def main(argv: list[str]) -> bool:
    """Run the loops side by side and print the speed-up of the engine over the straightforward loop."""
    steps = int(argv[0]) if argv else 20
    loaded = registry.load_model(registry.DEFAULT_MODEL, "pretrained")
    loops = {"straightforward: hook, full forward, chained transforms": lambda: straightforward_loop(loaded, steps),
             "engine, full forward": lambda: engine_loop(loaded, steps, full_forward=True),
             f"engine, stop after {LAYER}": lambda: engine_loop(loaded, steps)}
    for run in loops.values():  # warm-up (allocations, oneDNN primitive caches)
        run()
    # Alternate the loops and keep each one's best round, so all see the same machine load.
    best = dict.fromkeys(loops, 0.0)
    for _ in range(5):
        for name, run in loops.items():
            best[name] = max(best[name], run())
    anchor, engine = best[next(iter(loops))], best[f"engine, stop after {LAYER}"]
    threads = str(torch.get_num_threads())
    print_table(["loop", "device", "threads", "steps/s", "× straightforward"],
                [[name, str(loaded.device), threads, rate, rate / anchor] for name, rate in best.items()])
    fast_enough = verdict("actmax-rate", "steps_per_s", engine, ">=", 15.0)
    return verdict("actmax", "speedup", engine / anchor, ">=", 2.0) and fast_enough
