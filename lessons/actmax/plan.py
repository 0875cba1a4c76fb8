"""Which runs the lesson asks for: engine settings from a student's choices, and the comparison runs built from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from lessons.actmax.compute import Request
from lessons.optvis import render as render_mod

LR = 0.1
GRADIENT_METHODS = ("fft", "pixel")
PRIOR_NAMES = ("transforms", "tv", "l2", "blur", "centre", "mean_init")
COMPARISON_SEEDS = (1, 2, 3)
DIVERSE_BATCH = 4
DIGIT_SIZE = 28  # digit images are too small to jitter, scale and rotate


def uses_gradients(method: str) -> bool:
    """Whether a method is gradient ascent (the priors act on it; evolution and the generator bring their own)."""
    return method in GRADIENT_METHODS


def offered_methods(family: str) -> list[str]:
    """The methods offered for a network family: the generator prior is trained on digits only."""
    return [m for m in ("fft", "pixel", "evolution", "generator") if m != "generator" or family == "digits"]


def snapshot_steps(steps: int, count: int = 8) -> tuple[int, ...]:
    """The steps whose intermediate images are kept: `count` evenly spaced ones, the last step included."""
    return tuple(sorted({max(1, steps * k // count) for k in range(1, count + 1)}))


def active_priors(method: str, switched_on: Mapping[str, bool]) -> dict[str, bool]:
    """Which priors act on this run: those switched on, and only for gradient ascent."""
    gradient = uses_gradients(method)
    return {name: bool(switched_on.get(name)) and gradient for name in PRIOR_NAMES}


def engine_settings(method: str, size: int, steps: int, seed: int, switched_on: Mapping[str, bool],
                    weights: Mapping[str, float]) -> render_mod.Settings:
    """The engine's settings for a student's method, image size, steps, seed, priors and prior weights.

    `weights` holds "tv", "l2", "centre" (penalty weights) and "blur" (blur every k steps); a prior that is off
    contributes nothing, and jitter/scale/rotate is left out for images too small to move (digits).
    """
    on = active_priors(method, switched_on)
    return render_mod.Settings(
        size=size, steps=int(steps), lr=LR, param="pixel" if method == "pixel" else "fft",
        transforms=on["transforms"] and size > DIGIT_SIZE,
        tv=float(weights["tv"]) if on["tv"] else 0.0, l2=float(weights["l2"]) if on["l2"] else 0.0,
        blur_every=int(weights["blur"]) if on["blur"] else 0,
        centre=float(weights["centre"]) if on["centre"] else 0.0,
        init="mean" if on["mean_init"] else "noise", seed=int(seed), snapshots=snapshot_steps(int(steps)))


def without_snapshots(settings: render_mod.Settings) -> render_mod.Settings:
    """The same run without intermediate images (the comparison runs show only their result)."""
    return replace(settings, snapshots=())


def seed_requests(request: Request, seeds: tuple[int, ...] = COMPARISON_SEEDS) -> list[Request]:
    """The request again from other random starts (comparison a), without snapshots."""
    plain = without_snapshots(request.settings)
    return [replace(request, settings=replace(plain, seed=seed)) for seed in seeds]


def diverse_request(request: Request, diversity: float) -> Request | None:
    """A batch of four with the diversity term (comparison a); None when the weight is 0 or the method evolves."""
    if diversity <= 0 or request.method == "evolution":
        return None
    return Request(request.unit, request.method, replace(without_snapshots(request.settings), batch=DIVERSE_BATCH),
                   float(diversity))


def twin_request(request: Request) -> Request:
    """The same request for the network's twin (comparison c), without snapshots."""
    return replace(request, settings=without_snapshots(request.settings))


def prior_requests(request: Request, weights: Mapping[str, float]) -> dict[str, Request]:
    """Each prior on its own, and none at all (comparison d), with the weights the student set."""
    bare = replace(without_snapshots(request.settings), transforms=False, tv=0.0, l2=0.0, blur_every=0, centre=0.0,
                   init="noise")
    blur = int(weights["blur"])
    variants = {"no prior": bare,
                "jitter/scale/rotate": replace(bare, transforms=bare.size > DIGIT_SIZE),
                "total variation": replace(bare, tv=float(weights["tv"])),
                "L2 decay": replace(bare, l2=float(weights["l2"])),
                f"blur every {blur}": replace(bare, blur_every=blur),
                "centre bias": replace(bare, centre=float(weights["centre"])),
                "mean-image start": replace(bare, init="mean", param="pixel")}
    return {name: replace(request, settings=settings) for name, settings in variants.items()}


def digit_requests(request: Request) -> dict[str, Request]:
    """The same digit class in pixel space and through the generator prior (comparison e)."""
    settings = replace(without_snapshots(request.settings), param="pixel", transforms=False)
    return {"Pixel space": Request(request.unit, "pixel", settings),
            "Generator prior": Request(request.unit, "generator", settings)}
