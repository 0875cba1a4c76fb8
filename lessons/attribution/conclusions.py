"""What the attribution page tells its exercises and its "What to notice" boxes: the facts each section hands to its
exercises (the numbers it shows, by name), and the boxes' sentences, computed from those numbers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lessons.attribution.compute import (
    CHANGED_A_LOT_BELOW,
    METHOD_TITLES,
    Attribution,
    Completeness,
    change_verdict,
    format_correlation,
)
from lessons.attribution.ranking import SHOWN_DECIMALS


def completeness_of(results: Sequence[Attribution]) -> Completeness | None:
    """Integrated gradients' completeness check among `results` (None when integrated gradients did not run)."""
    return next((r.completeness for r in results if r.completeness is not None), None)


def methods_facts(results: Sequence[Attribution]) -> dict[str, Any]:
    """Section 2's facts: integrated gradients' scores, sum and gap as the caption under its map shows them."""
    check = completeness_of(results)
    if check is None:
        return {}
    return {"ig_score": check.score, "ig_baseline_score": check.baseline_score, "ig_sum": check.total,
            "ig_gap": check.gap, "ig_steps": check.steps, "ig_baseline": check.baseline}


def deletion_facts(ranked: Sequence[tuple[str, float]], constant_maps: Sequence[str], layer: str,
                   baseline: str) -> dict[str, Any]:
    """Section 3's facts: the deletion areas as the table shows them (in its order, best first), the maps that are
    constant, Grad-CAM's layer and the baseline."""
    return {"deletion_areas": dict(ranked), "constant_maps": tuple(constant_maps), "cam_layer": layer,
            "baseline": baseline}


def sanity_facts(correlations: Mapping[str, Mapping[str, float]] | None, weights: str) -> dict[str, Any]:
    """Section 4's facts: each method's rank correlation with the trained map on each damaged network, and Grad-CAM's
    on the random-weights twin; None until the checks ran, and on a network without trained weights (its "twin" is
    itself)."""
    if correlations is None or weights == "random":
        return {"sanity_correlations": None, "gradcam_rho_random": None, "weights": weights}
    rho = correlations.get("gradcam", {}).get("random", float("nan"))
    return {"sanity_correlations": {m: dict(by_twin) for m, by_twin in correlations.items()},
            "gradcam_rho_random": None if np.isnan(rho) else float(rho), "weights": weights}


def _names(names: Sequence[str], shown: Mapping[str, float]) -> str:
    return ", ".join(f"**{name}** ({shown[name]:.{SHOWN_DECIMALS}f})" for name in names)


def deletion_notice(areas: Mapping[str, float], reference: str, constant_maps: Sequence[str] = ()) -> str:
    """The deletion section's key observation, from the areas as shown: which map made the class probability fall
    fastest and how it compares with the random order — or, when no map beat it, a question about why."""
    shown = {name: round(float(area), SHOWN_DECIMALS) for name, area in areas.items()}
    chance = shown[reference]
    maps = {name: area for name, area in shown.items() if name != reference and name not in constant_maps}
    if not maps:
        return (f"Every map here is constant, so none has an order of its own to compare with the random order "
                f"(area {chance:.3f}). Pick another layer, class or image.")
    best, worst = min(maps, key=maps.get), max(maps, key=maps.get)
    if maps[best] >= chance:
        return (f"No map made the probability fall faster than a random pixel order (area {chance:.3f}; the best "
                f"map, **{best}**, has {maps[best]:.3f}). Is that the maps' fault or the test's? Switch the baseline "
                "and watch whether the random order's area changes.")
    ratio = f", {chance / maps[best]:.1f}× smaller than" if maps[best] > 0 else " against"
    text = (f"**{best}** made the probability collapse fastest: area {maps[best]:.3f}{ratio} the random order's "
            f"{chance:.3f}.")
    if worst == best:
        return text
    if maps[worst] >= chance:
        slow = [name for name in maps if maps[name] >= chance]
        return text + (f" But {_names(slow, maps)} did no better than random: same image, same class, and the maps "
                       "rank the pixels so differently that one passes this test and another does not.")
    return text + f" Even the slowest map, **{worst}** ({maps[worst]:.3f}), beat the random order."


def sanity_notice(correlations: Mapping[str, Mapping[str, float]], twin: str = "random",
                  twin_title: str = "the random-weights twin") -> str:
    """The sanity section's key observation, from the rank correlations as shown: which maps changed a lot on one
    damaged network (they pass), and which barely changed (they fail) or changed only partly."""
    verdicts: dict[str, list[str]] = {}
    for method, by_twin in correlations.items():
        rho = by_twin.get(twin, float("nan"))
        label = f"{METHOD_TITLES.get(method, method)} (ρ = {format_correlation(rho)})"
        verdicts.setdefault(change_verdict(rho), []).append(label)
    a_lot, partly, barely = (verdicts.get(v, []) for v in ("changed a lot", "changed partly", "barely changed"))
    if a_lot and not partly and not barely:
        return (f"Every map with a defined ρ changed a lot on {twin_title} (ρ < {CHANGED_A_LOT_BELOW:.2f}): "
                f"{', '.join(a_lot)}. Here each method's map depends on what the network learned — they pass.")
    parts = []
    if a_lot:
        parts.append(f"{', '.join(a_lot)} changed a lot (they pass)")
    if partly:
        parts.append(f"{', '.join(partly)} changed only partly")
    if barely:
        parts.append(f"{', '.join(barely)} barely changed (they fail: a map that survives the loss of everything "
                     "the network learned cannot be showing what it learned)")
    if not parts:
        return f"No map has a defined rank correlation on {twin_title}: the maps are constant."
    text = f"On {twin_title}: " + "; ".join(parts) + "."
    if partly and not barely:
        text += (" Is a partial change enough? Compare the pictures: does the twin's map still trace the image's "
                 "outlines?")
    return text
