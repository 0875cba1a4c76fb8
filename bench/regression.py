"""GCV ridge for every cell × layer × 7 alphas: the project's dual solver vs scikit-learn's RidgeCV, same features.

Both paths get the same projected features of every EfficientNet-Lite0 layer for the 119 conditions of the simulated
cortex (each layer scaled by the one number the app uses) and fit one ridge per layer for all cells at once, alpha
per cell chosen by generalised (leave-one-out) cross-validation over logspace(-1, 5, 7). The timed scikit-learn pass
uses `RidgeCV(alphas, alpha_per_target=True)` in its default (fastest) mode; a second, untimed pass with
`store_cv_results` supplies its leave-one-out predictions, from which the signed r² of every cell and layer is
compared with the project's. The verdict needs both: at least 2× faster and max |Δr²| ≤ 1e-4.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from sklearn.linear_model import RidgeCV

from bench import report
from lessons.core import registry, runtime
from lessons.cortex import brain_score
from lessons.cortex import pipeline as cortex_pipeline
from lessons.cortex import simulated as simulated_cortex

GOAL_SPEEDUP = 2.0
MAX_DELTA_R2 = 1e-4


def signed_r2(predictions: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Signed squared Pearson r per column."""
    r = brain_score.pearson_columns(torch.from_numpy(predictions), torch.from_numpy(actual)).numpy()
    return r * np.abs(r)


def main(argv: list[str]) -> bool:
    """Run both solvers on every layer; print a table per layer and the verdict."""
    threads = runtime.configure_threads()
    bundle = simulated_cortex.load_or_build()
    loaded = registry.load_model(registry.DEFAULT_MODEL, "pretrained")
    names, projected, _, _ = cortex_pipeline.project_layers(loaded, bundle.condition_images())
    y = bundle.responses.T.astype(np.float64)  # conditions × cells
    alphas = np.asarray(brain_score.ALPHAS)
    rows, ours_total, sk_total, worst, agree = [], 0.0, 0.0, 0.0, []
    for name, x in zip(names, projected):
        features = x.cpu().numpy()
        tick = time.perf_counter()
        layer = brain_score.gram_of(name, x)
        gram = brain_score.scaled_gram(layer)
        fit = brain_score.gcv_fit(torch.from_numpy(gram), torch.from_numpy(y))
        ours_r2 = signed_r2(fit.loo_predictions.numpy(), y)
        ours_s = time.perf_counter() - tick
        scaled = (features * np.sqrt(gram[0, 0] / layer.gram[0, 0])).astype(np.float32)
        tick = time.perf_counter()
        model = RidgeCV(alphas=alphas, alpha_per_target=True).fit(scaled, y)
        sk_s = time.perf_counter() - tick
        loo = RidgeCV(alphas=alphas, alpha_per_target=True, scoring="neg_mean_squared_error",
                      store_cv_results=True).fit(scaled.astype(np.float64), y)
        chosen = np.searchsorted(alphas, model.alpha_)
        sk_r2 = signed_r2(loo.cv_results_[:, np.arange(y.shape[1]), chosen], y)
        delta = float(np.max(np.abs(ours_r2 - sk_r2)))
        same_alpha = float(np.mean(alphas[fit.alpha_index.numpy()] == model.alpha_))
        ours_total += ours_s
        sk_total += sk_s
        worst = max(worst, delta)
        agree.append(same_alpha)
        rows.append([name, features.shape[1], ours_s, sk_s, sk_s / ours_s, same_alpha, delta])
    print(f"{bundle.name}: {bundle.n_cells:,} cells × {len(names)} layers × {len(alphas)} alphas, "
          f"{y.shape[0]} conditions; {threads} threads on {loaded.device}")
    report.print_table(["layer", "features", "ours s", "sklearn s", "speed-up", "same alpha", "max |Δr²|"], rows)
    speedup = sk_total / ours_total
    print(f"total: ours {ours_total:.2f} s, scikit-learn RidgeCV {sk_total:.2f} s, speed-up {speedup:.1f}×; "
          f"alphas agree for {np.mean(agree):.2%} of cell-layer pairs; max |Δr²| = {worst:.2e} "
          f"(goal ≤ {MAX_DELTA_R2:g})")
    if worst > MAX_DELTA_R2:
        print(f"regression: max |Δr²|={worst:.3g} exceeds {MAX_DELTA_R2:g}: FAIL")
        return report.verdict("regression", "speedup", 0.0, ">=", GOAL_SPEEDUP)
    return report.verdict("regression", "speedup", speedup, ">=", GOAL_SPEEDUP)
