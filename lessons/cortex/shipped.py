"""The cortex lesson's precomputed data shipped in `assets/cortex/`, and the command that regenerates it.

The lesson's first visit would otherwise build the simulated cortex (tens of seconds) and run its 119 conditions
through the default network twice, trained and random weights (about a minute). All of it is deterministic, so the
app ships the results: the simulated cortex as a zipped neural bundle, its ground truth (every cell's generating
parameters, so a page can show a simulated cell new images) and the default network's Gram matrices of every brain
layer for both kinds of weights. `simulated.load_or_build`, `simulated.ground_truth` and `pipeline.layer_grams` read
them first.

Regenerate after changing the simulation, the projection or the default network::

    python -m lessons.cortex.shipped              # everything
    python -m lessons.cortex.shipped --truth-only # only the ground truth (one build of the cortex, no network)

Unit tests check that the shipped bundle and ground truth equal a fresh build and that the shipped Gram matrices
equal freshly extracted ones.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lessons.core import registry
from lessons.core.progress import Progress, silent, sub_range
from lessons.cortex import pipeline, simulated

#: The kinds of weights whose Gram matrices ship for the default network.
SHIPPED_WEIGHTS: tuple[registry.Weights, ...] = ("pretrained", "random")


def grams_file(weights: registry.Weights, model_key: str = registry.DEFAULT_MODEL) -> Path:
    """Where the default simulated cortex's Gram matrices of `model_key` with `weights` ship."""
    bundle = simulated.load_or_build()
    layers = pipeline.brain_layers(registry.load_model(model_key, weights))
    return pipeline.shipped_grams_file(bundle, model_key, weights, pipeline.SEED, layers)


def regenerate(progress: Progress | None = None, model_key: str = registry.DEFAULT_MODEL) -> list[Path]:
    """Rebuild the shipped simulated cortex, its ground truth and the default network's Gram matrices; returns the
    files written (older shipped Gram files are removed)."""
    report = progress or silent
    built = simulated.simulate(progress=sub_range(report, 0.0, 0.4))
    bundle_path = simulated.save_shipped(built=built)
    truth_path = simulated.save_shipped_truth(built=built)
    bundle = simulated.load_or_build()
    for old in pipeline.SHIPPED_GRAMS_DIR.glob("*.npz"):
        old.unlink()
    written = [bundle_path, truth_path]
    for j, weights in enumerate(SHIPPED_WEIGHTS):
        loaded = registry.load_model(model_key, weights)
        grams = pipeline.extract_grams(loaded, bundle.condition_images(),
                                       progress=sub_range(report, 0.4 + 0.3 * j, 0.7 + 0.3 * j, f"{weights}: "))
        path = pipeline.shipped_grams_file(bundle, model_key, weights, pipeline.SEED, grams.layers)
        pipeline.save_grams(path, grams)
        written.append(path)
    report(1.0, "done")
    return written


def regenerate_truth(progress: Progress | None = None) -> list[Path]:
    """Rebuild only the shipped ground truth of the default simulated cortex; returns the file written."""
    return [simulated.save_shipped_truth(progress=progress)]


def main(argv: list[str] | None = None) -> int:
    """Command line: regenerate the shipped data (`--truth-only`: just the ground truth), printing each stage and
    the files written."""
    args = sys.argv[1:] if argv is None else argv
    unknown = [a for a in args if a != "--truth-only"]
    if unknown:
        print(f"usage: python -m lessons.cortex.shipped [--truth-only]  (unknown: {' '.join(unknown)})")
        return 2
    last = [""]

    def show(fraction: float, message: str) -> None:
        if message != last[0]:
            print(f"[{fraction:4.0%}] {message}", flush=True)
            last[0] = message

    for path in (regenerate_truth if "--truth-only" in args else regenerate)(show):
        print(f"{path} ({path.stat().st_size / 2**20:.2f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
