"""Activation atlas: 2,000 crops → activations → UMAP → a 10×10 atlas with 64-step icons; stage times, batched vs
one-cell-at-a-time inversion in the same run (goal ≥ 3×), and the whole default atlas (goal ≤ 60 s)."""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np

from bench.report import print_table, verdict
from lessons.atlas import compute as atlas
from lessons.atlas import pipeline as atlas_pipeline
from lessons.core import registry


def build_in_worker_thread(loaded: registry.LoadedModel, settings: atlas_pipeline.AtlasSettings
                           ) -> tuple[atlas_pipeline.Atlas, float]:
    """Build the atlas the way the app does: in a worker thread, not the main thread (Streamlit runs pages there)."""
    box: dict[str, object] = {}

    def work() -> None:
        start = time.perf_counter()
        box["atlas"] = atlas_pipeline.build(loaded, settings)
        box["seconds"] = time.perf_counter() - start

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    return box["atlas"], box["seconds"]  # type: ignore[return-value]


def main(argv: list[str]) -> bool:
    """Build the default atlas cold, then invert its cells one at a time for the comparison."""
    parser = argparse.ArgumentParser(prog="python -m bench atlas", description=__doc__)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--grid", type=int, default=10)
    parser.add_argument("--steps", type=int, default=64)
    args = parser.parse_args(argv)
    loaded = registry.load_model("efficientnet_lite0")
    settings = atlas_pipeline.AtlasSettings(n_images=args.images, grid=args.grid, steps=args.steps)

    result, app_seconds = build_in_worker_thread(loaded, settings)  # cold: includes UMAP's first compilation
    directions = atlas.cell_directions(result.activations, result.cells.means)
    icon_settings = atlas_pipeline.icon_settings(loaded, settings.steps, settings.seed)
    start = time.perf_counter()
    batched = atlas.invert_cells(loaded, settings.layer, directions, icon_settings)
    batched_s = time.perf_counter() - start
    start = time.perf_counter()
    single = atlas.invert_cells(loaded, settings.layer, directions, icon_settings, chunk=1)
    single_s = time.perf_counter() - start

    k = len(result.cells.kept)
    print(f"{args.images:,} crops of {atlas.CROP_SIZE} px, EfficientNet-Lite0 {settings.layer}, "
          f"{args.grid}×{args.grid} grid → {k} cells with ≥ {settings.min_count} points, {settings.steps}-step "
          f"{icon_settings.size}-px icons, on {loaded.device}")
    print("\nThe default atlas, built as the app builds it (worker thread, UMAP compiled on first use):")
    print_table(["stage", "seconds"], [[stage, result.seconds[stage]] for stage in atlas_pipeline.STAGES]
                + [["whole atlas", app_seconds]])
    print("\nFeature inversion of the same cells:")
    print_table(["method", "seconds", "seconds per cell", "mean objective"], [
        [f"batched ({min(k, settings.chunk)} cells per batch)", batched_s, batched_s / k,
         float(np.mean(batched.scores))],
        ["one cell at a time", single_s, single_s / k, float(np.mean(single.scores))],
    ])
    time_ok = verdict("atlas-seconds", "seconds", round(app_seconds, 1), "<=", 60.0)
    return verdict("atlas", "speedup", round(single_s / batched_s, 3), ">=", 3.0) and time_ok
