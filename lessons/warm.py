"""Prepare for class: build every cache a lesson's first visitor would otherwise wait for.

`python -m lessons.warm` (or `make warm`, or the home page's "Prepare for class" button) loads every network
available offline, trains the digit networks, builds the simulated cortex and its default Gram matrices and the
default activation atlas, so the first student in a room never waits. Everything it makes lives in the disk cache
(`lessons.core.cache.cache_dir()`), which the app reads; running it again reuses what is there.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from lessons.core import records, registry
from lessons.core.progress import Progress, silent, sub_range

#: The shared result store group the activation-atlas page keeps its finished atlases in.
ATLAS_RECORDS = "activation_atlas"


@dataclass(frozen=True)
class WarmStep:
    """One thing made ready: what, how long it took, and a note (e.g. why it was skipped)."""

    name: str
    seconds: float
    note: str = ""


def _networks(progress: Progress) -> str:
    """Every network whose weights are on this machine, with its random twin; online-only ones are listed."""
    keys = registry.model_keys(listed_only=False)
    skipped = []
    for i, key in enumerate(keys):
        progress(i / len(keys), f"Loading {registry.spec_for(key).title}…")
        if not registry.availability(key).ok:
            skipped.append(registry.spec_for(key).title)
            continue
        registry.load_model(key, "pretrained", progress=sub_range(progress, i / len(keys), (i + 1) / len(keys)))
        if registry.spec_for(key).family == "imagenet":
            registry.load_model(key, "random")
    loaded = len(keys) - len(skipped)
    note = f"{loaded} networks ready"
    return note + (f"; not on this machine (fetched from their lesson when online): {', '.join(skipped)}"
                   if skipped else "")


def _augmented_digits(progress: Progress) -> str:
    """The rotation-augmented digit CNN of the data-and-shift lesson (its default ±180°)."""
    from lessons.shift import pipeline as shift_pipeline

    shift_pipeline.augmented_cnn(180, progress=progress)
    return "digit CNN trained on rotations up to ±180°"


def _cortex(progress: Progress) -> str:
    """The simulated cortex and the default network's Gram matrices, trained and random weights."""
    from lessons.cortex import pipeline as cortex_pipeline
    from lessons.cortex import simulated

    bundle = simulated.load_or_build(progress=sub_range(progress, 0.0, 0.2, "building the simulated cortex: "))
    for j, weights in enumerate(("pretrained", "random")):
        cortex_pipeline.layer_grams(bundle, registry.DEFAULT_MODEL, weights,
                                    progress=sub_range(progress, 0.2 + 0.4 * j, 0.6 + 0.4 * j, f"{weights}: "))
    return f"simulated cortex ({bundle.n_cells:,} cells) and {registry.spec_for(registry.DEFAULT_MODEL).title} features"


def _atlas(progress: Progress) -> str:
    """The default activation atlas, kept where the atlas page's shared store finds it."""
    from lessons.atlas import pipeline as atlas_pipeline

    settings = atlas_pipeline.AtlasSettings()
    if records.load_record(ATLAS_RECORDS, settings) is not None:
        return "default atlas already built"
    loaded = registry.load_model(settings.model_key, settings.weights)
    result = atlas_pipeline.build(loaded, settings, progress=progress)
    records.save_record(ATLAS_RECORDS, settings, result)
    return f"default atlas built in {result.total_seconds:.0f} s"


#: (name, share of the total time, job) in the order they run.
STEPS: tuple[tuple[str, float, Callable[[Progress], str]], ...] = (
    ("Networks", 0.10, _networks),
    ("Rotation-augmented digit CNN", 0.15, _augmented_digits),
    ("Simulated cortex and its features", 0.30, _cortex),
    ("Default activation atlas", 0.45, _atlas),
)


def prepare_for_class(progress: Progress | None = None, only: tuple[str, ...] = ()) -> list[WarmStep]:
    """Run every warm-up step (or those named in `only`), reporting staged progress; returns what each did."""
    report = progress or silent
    done: list[WarmStep] = []
    start_share = 0.0
    chosen = [step for step in STEPS if not only or step[0] in only]
    total = sum(share for _, share, _ in chosen)
    for name, share, job in chosen:
        stage = sub_range(report, start_share / total, (start_share + share) / total, f"{name}: ")
        start = time.perf_counter()
        try:
            note = job(stage)
        except Exception as error:  # noqa: BLE001  (one failed step must not stop the others; it is reported)
            note = f"failed: {error}"
        done.append(WarmStep(name, time.perf_counter() - start, note))
        start_share += share
    report(1.0, "Ready for class")
    return done


def main(argv: list[str] | None = None) -> int:
    """Command line: warm every cache, printing each stage; exit status 1 if a step failed."""
    parser = argparse.ArgumentParser(prog="python -m lessons.warm", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], choices=[name for name, _, _ in STEPS],
                        help="run only these steps")
    options = parser.parse_args(argv)
    last = ["", -1.0]

    def show(fraction: float, message: str) -> None:
        stage = message.split(":")[0]
        if stage != last[0] or fraction - last[1] >= 0.05:  # each new stage, then every 5 %
            print(f"[{fraction:4.0%}] {message}", flush=True)
            last[:] = [stage, fraction]

    steps = prepare_for_class(show, tuple(options.only))
    print()
    for step in steps:
        print(f"{step.name:<36} {step.seconds:7.1f} s  {step.note}")
    return 1 if any(step.note.startswith("failed") for step in steps) else 0


if __name__ == "__main__":
    sys.exit(main())
