"""The facts the cortex lessons hand to their exercises: plain numbers and names read from the scores the pages show
(`lessons.cortex.exercises` and `lessons.cortex.zoo_exercises` judge answers on them). Pure compute; no Streamlit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lessons.cortex import zoo_conclusions
from lessons.cortex.conclusions import PairedDifference
from lessons.cortex.pipeline import BrainScores

Facts = dict[str, Any]
VISP = "VISp"


# ------------------------------------------------------------------------------------------------ mouse cortex
def results_facts(result: BrainScores, network: str, simulated: bool) -> Facts:
    """Section 3's facts: the model score against chance, and where VISp's mean-score curve peaks (with the peak's
    depth in bootstrap resamples of the VISp cells); no VISp facts when no VISp cell was scored."""
    layer, score = result.model_score()
    verdict = result.model_verdict()
    facts: Facts = {"simulated": simulated, "network": network, "n_layers": len(result.layers), "model_layer": layer,
                    "model_score": score, "chance": verdict.chance_level, "chance_95": verdict.chance_95,
                    "p_value": verdict.p, "above_chance": verdict.above_chance, "shuffles": result.shuffles}
    table = result.area_layer_table()
    visp = table[table["area"] == VISP]
    if not visp.empty:
        peak = visp.loc[visp["score"].idxmax()]
        facts.update(visp_peak_layer=str(peak["layer"]), visp_peak_index=int(peak["layer_index"]),
                     visp_peak_score=float(peak["score"]), visp_peak_depths=result.peak_depth_samples(VISP))
    return facts


def training_facts(trained: BrainScores, random: BrainScores, difference: PairedDifference) -> Facts:
    """Section 4's facts: each weights' best-layer score and verdict, and their paired difference over the cells."""
    return {"trained_score": trained.model_score()[1], "random_score": random.model_score()[1],
            "trained_above_chance": trained.model_verdict().above_chance,
            "random_above_chance": random.model_verdict().above_chance,
            "difference_mean": difference.mean, "difference_low": difference.low, "difference_high": difference.high,
            "difference_cells": difference.cells}


def ceiling_facts(area_summary: pd.DataFrame, simulated: bool) -> Facts:
    """Section 5's facts: VISp's mean noise ceiling and mean score at each cell's own best layer (no VISp facts
    without VISp cells)."""
    row = area_summary[area_summary["area"] == VISP]
    if row.empty:
        return {"simulated": simulated}
    return {"simulated": simulated, "visp_ceiling": float(row["ceiling"].iloc[0]),
            "visp_own_best": float(row["score_at_own_best_layer"].iloc[0])}


def neuron_facts(result: BrainScores, cell_table: pd.DataFrame, view_cell: str, layer: str,
                 simulated: bool) -> Facts:
    """Section 6's facts: the close-up cell, its area, its score at the close-up layer and its ceiling, and the best
    score any scored VISp cell reaches at any layer (with that cell and layer)."""
    ids = [str(c) for c in cell_table["cell_specimen_id"]]
    col, li = ids.index(str(view_cell)), result.layers.index(layer)
    facts: Facts = {"simulated": simulated, "view_cell": str(view_cell),
                    "view_area": str(cell_table["cortical_area"].iloc[col]), "view_layer": layer,
                    "view_score": float(result.score[li, col]),
                    "view_reliability": float(cell_table["reliability"].iloc[col])}
    visp = np.flatnonzero(cell_table["cortical_area"].to_numpy() == VISP)
    if visp.size:
        scores = result.score[:, visp]
        best_layer, best_col = np.unravel_index(int(np.argmax(scores)), scores.shape)
        facts.update(visp_best_score=float(scores[best_layer, best_col]), visp_best_cell=ids[visp[best_col]],
                     visp_best_layer=result.layers[int(best_layer)])
    return facts


# ------------------------------------------------------------------------------------------------- model zoo
def trend_facts(prefix: str, trend: zoo_conclusions.Trend) -> Facts:
    """A trend's numbers under `prefix` ("top1_rho", "top1_p", …) and whether the page calls it clear."""
    return {f"{prefix}_rho": trend.rho, f"{prefix}_low": trend.low, f"{prefix}_high": trend.high,
            f"{prefix}_p": trend.p, f"{prefix}_n": trend.n, f"{prefix}_smallest_p": trend.smallest_p,
            f"{prefix}_clear": trend.clear}


def pairs_facts(verdict: zoo_conclusions.PairedVerdict) -> Facts:
    """The trained-against-random sign test's numbers."""
    return {"pairs": verdict.pairs, "trained_wins": verdict.trained_better, "random_wins": verdict.random_better,
            "pairs_p": verdict.p, "pairs_mean_difference": verdict.mean_difference}
