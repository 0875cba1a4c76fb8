"""End to end, 119 images → every layer → projection → ridge → scores for 5,000 cells: project vs DeepMouseTrap style.

Both paths start from the same simulated cortex (5,000 cells, 118 images + blank) and the same shared
EfficientNet-Lite0, in this one process, after a warm-up pass:

* **project**: `cortex_pipeline` — images in batches through `capture.capture`, each batch projected at once by the
  seeded sparse projection (torch), then per layer only the Gram matrix; 10-fold held-out scores with GCV inside
  every training fold, chance from 20 shuffles that redo the best-layer choice (`lessons.core.chance`) and a GCV fit on
  all images, for all cells at once.
* **DeepMouseTrap style**: all layers' activations of all images captured at once, scikit-learn's
  `SparseRandomProjection` (same JL dimension, density 1/√D) fitted per layer, and one
  `RidgeCV(alphas, alpha_per_target=True, store_cv_results=True)` per layer, scored from its leave-one-out errors.
  That is less work than the project path does (no k-fold refits, no null), so the speed-up is conservative.

Peak memory: the largest rise of this process's resident set (sampled every 10 ms from /proc) during each path.
"""

from __future__ import annotations

import gc
import resource
import threading
import time
from typing import Self

import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.random_projection import SparseRandomProjection

from bench import report
from lessons.core import capture, preprocess, registry, runtime
from lessons.cortex import brain_score
from lessons.cortex import pipeline as cortex_pipeline
from lessons.cortex import simulated as simulated_cortex

GOAL_SPEEDUP = 3.0
N_CELLS = 5000


def rss_bytes() -> int:
    """Current resident set size of this process."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class PeakRss:
    """Context manager sampling RSS in a thread; `.rise` is the peak above the starting RSS."""

    def __enter__(self) -> Self:
        gc.collect()
        self.start = self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def rise(self) -> int:
        """Peak RSS minus the RSS at the start, in bytes."""
        return self.peak - self.start


def project_path(bundle, loaded) -> tuple[dict[str, float], np.ndarray]:
    """The app's pipeline; returns stage seconds and the best-layer score per cell."""
    grams = cortex_pipeline.extract_grams(loaded, bundle.condition_images())
    result = cortex_pipeline.score_cells(grams, bundle)
    return result.seconds, result.best_score


def deepmousetrap_path(bundle, loaded) -> tuple[dict[str, float], np.ndarray]:
    """Capture everything, sklearn SparseRandomProjection per layer, RidgeCV (LOO) per layer."""
    seconds = {}
    tick = time.perf_counter()
    layers = cortex_pipeline.brain_layers(loaded)
    inputs = preprocess.prepare_batch(list(bundle.condition_images()), loaded.spec, fit=cortex_pipeline.STIMULUS_FIT)
    acts = capture.capture(loaded, inputs, layers)
    seconds["extraction"] = time.perf_counter() - tick
    y = bundle.responses.T.astype(np.float64)
    n = len(y)
    seconds["projection"] = seconds["regression"] = 0.0
    best = np.full(y.shape[1], -np.inf)
    for i, name in enumerate(layers):
        tick = time.perf_counter()
        x = acts.pop(name).reshape(n, -1)
        k = brain_score.projection_dim(n, x.shape[1])
        if k < x.shape[1]:
            x = SparseRandomProjection(n_components=k, random_state=i).fit_transform(x)
        seconds["projection"] += time.perf_counter() - tick
        tick = time.perf_counter()
        model = RidgeCV(alphas=brain_score.ALPHAS, alpha_per_target=True, store_cv_results=True).fit(x, y)
        chosen = np.searchsorted(np.asarray(brain_score.ALPHAS), model.alpha_)
        mse = model.cv_results_[:, np.arange(y.shape[1]), chosen].mean(axis=0)
        best = np.maximum(best, 1 - mse / y.var(axis=0))
        seconds["regression"] += time.perf_counter() - tick
        del x, model
    return seconds, best


def main(argv: list[str]) -> bool:
    """Time both paths (after a warm-up), print stages, totals and peak memory, then the verdict."""
    threads = runtime.configure_threads()
    bundle = simulated_cortex.load_or_build(n_cells=N_CELLS)
    loaded = registry.load_model(registry.DEFAULT_MODEL, "pretrained")
    layers = cortex_pipeline.brain_layers(loaded)
    capture.capture(loaded, preprocess.prepare_batch(list(bundle.condition_images()[:8]), loaded.spec), layers)
    runs = {}
    for label, path in (("project", project_path), ("DeepMouseTrap style", deepmousetrap_path)):
        with PeakRss() as memory:
            tick = time.perf_counter()
            seconds, best = path(bundle, loaded)
            total = time.perf_counter() - tick
        runs[label] = (seconds, total, memory.rise, best)
        gc.collect()
    print(f"{bundle.name}: {bundle.n_cells:,} cells × {bundle.n_conditions} conditions, {len(layers)} layers of "
          f"{loaded.title}; {threads} threads on {loaded.device}")
    rows = [[label, s.get("extraction", 0.0), s.get("projection", 0.0), s.get("regression", 0.0), total,
             rise / 2**20, float(np.mean(best))] for label, (s, total, rise, best) in runs.items()]
    report.print_table(["path", "extraction s", "projection s", "regression s", "total s", "peak RSS rise MiB",
                        "mean best-layer score"], rows)
    print("(project: signed r² of 10-fold held-out predictions; DeepMouseTrap style: leave-one-out R²)")
    speedup = runs["DeepMouseTrap style"][1] / runs["project"][1]
    return report.verdict("brain_pipeline", "speedup", speedup, ">=", GOAL_SPEEDUP)
