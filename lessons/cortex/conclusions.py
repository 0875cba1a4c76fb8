"""The sentences the cortex lesson states, computed from its results (so they change when the numbers do).

Every function takes plain numbers (or a `chance.Verdict`) and returns markdown. The page shows the text; the tests
feed the opposite case and check that the sentence flips. No Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

from lessons.core import chance

PEAK_CONFIDENCE = 0.9  # share of bootstrap resamples that must agree before an ordering of peaks is stated
MIN_SIGNAL_CELLS = 3  # an area's peak is described only when at least this many of its cells beat chance


@dataclass(frozen=True)
class PairedDifference:
    """Mean difference between two models' scores over the same cells, with a 95 % confidence interval."""

    mean: float
    low: float
    high: float
    cells: int


def paired_difference(a: np.ndarray, b: np.ndarray) -> PairedDifference:
    """Mean of a − b over cells (each model at its own best layer) and its 95 % t-interval."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    n = d.size
    if n < 2:
        m = float(d.mean()) if n else 0.0
        return PairedDifference(m, -np.inf, np.inf, n)
    half = float(stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / np.sqrt(n))
    m = float(d.mean())
    return PairedDifference(m, m - half, m + half, n)


def model_verdict_sentence(title: str, verdict: chance.Verdict, layer: str, shuffles: int,
                           simulated: bool = False) -> str:
    """What the model score means against the shuffles that went through the same best-layer selection."""
    cells = "these simulated cells" if simulated else "these cells"
    head = (f"**{title} predicts {cells} {verdict.words}.** Its score ({verdict.observed:.3f}, at {layer}) is "
            f"compared with the same pipeline run on {shuffles} shuffles of the images against the responses, each "
            f"with its own best layer chosen: they scored {verdict.chance_level:.3f} on average and "
            f"{verdict.chance_95:.3f} at their 95th percentile.")
    if verdict.above_chance:
        return head
    return head + (" So the score is what chance alone produces after picking the best of many layers; the layer "
                   "and area patterns below are noise, not findings.")


def cells_sentence(above: int, total: int, fdr: float = chance.FDR) -> str:
    """How many cells beat chance, with the false-discovery rate the selection keeps."""
    if total == 0:
        return "No cells were scored."
    share = above / total
    if above == 0:
        return (f"**No cell** of {total:,} beats chance once the test accounts for testing {total:,} cells "
                f"(Benjamini–Hochberg, false-discovery rate {fdr:.0%}).")
    return (f"**{above:,} of {total:,} cells ({share:.0%})** beat chance (each cell's best-layer score against the "
            f"shuffled best-layer scores; Benjamini–Hochberg at a false-discovery rate of {fdr:.0%}, so about "
            f"{fdr * above:.0f} of these {above:,} may be false discoveries).")


def peaks_sentence(peaks: Mapping[str, str], depth_samples: Mapping[str, np.ndarray], signal_cells: Mapping[str, int],
                   model_above_chance: bool, simulated: bool) -> str:
    """Which layer each area peaks at, and whether VISp peaks earlier than the higher areas — only where the
    data say so (bootstrap over cells); otherwise the honest 'can't tell'."""
    if not model_above_chance:
        return ("Peak layers are not described: the model does not beat chance, so where its curves peak is "
                "where noise happened to be highest.")
    described = [a for a in peaks if signal_cells.get(a, 0) >= MIN_SIGNAL_CELLS]
    silent = [a for a in peaks if a not in described]
    if not described:
        return "No area has enough cells above chance for its peak layer to mean anything."
    text = "Peak layers: " + ", ".join(f"**{a}** → {peaks[a]}" for a in described) + "."
    if silent:
        text += (f" Not described ({', '.join(silent)}): fewer than {MIN_SIGNAL_CELLS} cells there beat chance.")
    expectation = ("In the simulation VISp cells are built from small, fine, position-specific edge detectors and "
                   "the higher areas from larger, coarser, pooled ones, so VISp is expected to peak earlier."
                   if simulated else
                   "In DeepMouseTrap the differences between areas were small and intermediate layers did best.")
    higher = [a for a in described if a != "VISp"]
    if "VISp" not in described or not higher:
        return f"{text} {expectation} Here there are not enough areas above chance to compare VISp with the others."
    visp = np.asarray(depth_samples["VISp"])
    others = np.mean([np.asarray(depth_samples[a]) for a in higher], axis=0)
    earlier = float(np.mean(visp < others))
    later = float(np.mean(visp > others))
    if earlier >= PEAK_CONFIDENCE:
        finding = (f"Here VISp peaks earlier than the higher areas on average in {earlier:.0%} of bootstrap "
                   "resamples of the cells")
    elif later >= PEAK_CONFIDENCE:
        finding = (f"Here VISp peaks *later* than the higher areas on average in {later:.0%} of bootstrap resamples "
                   "of the cells — the opposite of the expectation")
    else:
        finding = (f"Here the data can't tell: VISp peaks earlier in {earlier:.0%} and later in {later:.0%} of "
                   "bootstrap resamples of the cells")
    return f"{text} {expectation} {finding}."


def training_sentence(trained: float, random: float, trained_verdict: chance.Verdict, random_verdict: chance.Verdict,
                      difference: PairedDifference) -> str:
    """What training bought, from the two scores, their verdicts and the paired difference over the same cells."""
    scores = (f"Best-layer score: trained **{trained:.3f}** ({trained_verdict.short}), random **{random:.3f}** "
              f"({random_verdict.short}); difference over the same {difference.cells:,} cells "
              f"{difference.mean:+.3f} (95 % interval {difference.low:+.3f} to {difference.high:+.3f}).")
    papers = "In the papers, trained networks predict visual cortex better than their random twins."
    if not trained_verdict.above_chance and not random_verdict.above_chance:
        return (f"{scores} Neither network beats chance here, so this comparison says nothing about training. "
                f"{papers}")
    if difference.low > 0:
        return (f"{scores} **The trained weights predict these cells better**, and the interval excludes zero. "
                f"{papers} Same architecture, different numbers in its filters: the difference is what learning "
                "from natural images bought.")
    if difference.high < 0:
        return (f"{scores} **Here the random twin predicts better**, and the interval excludes zero — unlike the "
                f"papers. {papers} Random filters still measure local contrast and edges; cells that need little "
                "more than that can be served as well or better by them.")
    return (f"{scores} **The data can't tell the two apart**: the interval includes zero. {papers} Would more cells "
            "(above) narrow the interval?")


def loo_trap_sentence(plain_r2: np.ndarray, r: np.ndarray) -> str:
    """The leave-one-out r² of shuffled responses, measured on this data, and what its sign shows."""
    plain_r2 = np.asarray(plain_r2, dtype=np.float64)
    r = np.asarray(r, dtype=np.float64)
    if plain_r2.size == 0:
        return ""
    med_r2, high_r2, med_r = float(np.median(plain_r2)), float(np.percentile(plain_r2, 90)), float(np.median(r))
    measured = (f"Measured on this page's cells with the images shuffled (no signal at all): plain LOO r² has a "
                f"median of {med_r2:.2f} and a 90th percentile of {high_r2:.2f}, while the median r is {med_r:+.2f}.")
    if med_r < 0 and high_r2 >= 0.1:
        return measured + " The r² looks like signal only because the predictions are anti-correlated with the truth."
    return measured + " Here the trap is small, but it grows with stronger shrinkage and fewer images."


def ceiling_sentence(reliability: np.ndarray, above: np.ndarray) -> str:
    """How the cells above chance relate to their noise ceilings (reliable cells should be the predictable ones)."""
    reliability, above = np.asarray(reliability, dtype=np.float64), np.asarray(above, dtype=bool)
    if not above.any():
        return ("No cell beats chance here, so the ceiling cannot be compared with what the model reaches: every "
                "point is drawn faint.")
    if above.all():
        return "Every scored cell beats chance (solid points)."
    hi, lo = float(np.nanmedian(reliability[above])), float(np.nanmedian(reliability[~above]))
    relation = ("more reliable" if hi > lo + 0.05 else "less reliable" if hi < lo - 0.05 else
                "about as reliable")
    return (f"Solid points beat chance ({int(above.sum()):,} cells), faint ones do not. The cells above chance are "
            f"{relation} than the rest (median ceiling {hi:.2f} against {lo:.2f})"
            + (": a noisy cell leaves a readout little to predict." if relation == "more reliable" else
               " — not what the noise ceiling would lead you to expect; what else could make a cell predictable?"))


def rsa_sentence(area: str, layer: str, match: float, shuffled: np.ndarray, ceiling: float | None) -> str:
    """Whether an area's RDM matches a layer's better than with the images relabelled at random (Mantel test)."""
    verdict = chance.verdict(match, shuffled)
    text = (f"{area} vs {layer}: Spearman r = {match:.3f}, {verdict.words} — with the images relabelled at random "
            f"{len(shuffled)} times the match was {verdict.chance_level:+.3f} on average "
            f"(95th percentile {verdict.chance_95:+.3f}).")
    if ceiling is not None and np.isfinite(ceiling):
        text += (f" The area's own ceiling is {ceiling:.2f}, so this layer reaches "
                 f"{match / ceiling:.0%} of it." if ceiling > 0.05 else
                 f" The area's own ceiling is only {ceiling:.2f}: its RDM is mostly noise.")
    return text


def conditions_text(n_images: int, has_blank: bool) -> str:
    """'118 images and a blank (119 conditions)' or '50 images (50 conditions)', from the bundle."""
    if has_blank:
        return f"{n_images} images and a grey blank ({n_images + 1} conditions)"
    return f"{n_images} images ({n_images} conditions, no blank)"


def method_notes(n_conditions: int, n_layers: int, shuffles: int, fdr: float, loo_trap: str) -> str:
    """How the score and chance are computed and the traps they avoid, as a markdown list (`loo_trap` is
    `loo_trap_sentence` of the measured trap)."""
    return (
        f"* **Held out, never in-sample.** The {n_conditions} conditions are split into 10 folds; the readout is "
        "fitted on 9 and predicts the 10th, until every condition has a prediction it was not trained on. The penalty "
        "is chosen by generalised cross-validation *inside* each training fold.\n"
        "* **Signed r².** The score is the squared correlation between predicted and measured responses, with the "
        "sign of the correlation kept (r·|r|). Why the sign? With strong shrinkage the readout predicts little more "
        "than the mean of the *training* responses — and leaving out an image with a high response lowers that "
        "mean, leaving out a low one raises it. Leave-one-out predictions then **anti-correlate** with the truth, "
        "and a plain r² of them can look like signal. " + loo_trap + "\n"
        f"* **Chance, through the same selection.** A cell's best-layer score is the best of {n_layers} "
        "layers, so even pure noise gets a positive-looking best score. Chance is therefore measured by running "
        f"the whole pipeline — every layer, and the choice of the best one — on {shuffles} shuffles of the "
        "images against the responses. Each cell's p-value is its rank among all shuffled best-layer scores "
        "(pooled over cells); the cells called above chance are chosen with Benjamini–Hochberg, so at most "
        f"{fdr:.0%} of them are expected to be false discoveries. The model score is compared with the "
        "model scores of the shuffles (p = (1 + shuffles scoring at least as high) / (1 + shuffles)).\n"
        "* **Constant readouts.** Cells whose chosen penalty is the largest one (`constant_prediction` in the "
        "table) effectively predict a constant.\n"
        "* **One scale per layer.** Ridge penalties depend on the size of the features, so each layer's projected "
        "features are rescaled by one number (average variance 1) before the same alpha grid is applied.")


def chance_notice(score: float, verdict: chance.Verdict, simulated: bool = False) -> str:
    """The "What to notice" of the results: a score counts from the shuffled chance level, not from zero."""
    cells = "these simulated cells" if simulated else "these cells"
    if verdict.above_chance:
        return (f"Read the score from the dashed chance line, not from zero. Shuffled images score "
                f"{verdict.chance_level:+.3f} on average, so of the model's {score:.3f} on {cells}, "
                f"{score - verdict.chance_level:.3f} is what the readout found beyond the method's own bias.")
    return (f"The model's {score:.3f} on {cells} is within what shuffled images reach ({verdict.chance_level:+.3f} "
            f"on average, {verdict.chance_95:+.3f} at the 95th percentile): every curve above shows noise, however "
            "far from zero it is.")


def ceiling_notice(normalised: np.ndarray, simulated: bool = False) -> str:
    """The "What to notice" of the noise ceiling: how much of the explainable variance the cells' best layers reach
    (median of score ÷ ceiling over cells with a usable ceiling)."""
    values = np.asarray(normalised, dtype=np.float64)
    values = values[np.isfinite(values)]
    cells = "simulated cells" if simulated else "cells"
    if values.size == 0:
        return f"No {cells} here have a ceiling high enough to compare a score with: what could a model reach?"
    median = float(np.median(values))
    text = (f"Even at their own best layers, half of the {values.size:,} {cells} with a usable ceiling reach at most "
            f"{median:.0%} of it (median score ÷ ceiling). ")
    if median >= 0.8:
        return text + "The readout is close to the ceiling: what is left is mostly trial-to-trial noise."
    if median >= 0.5:
        return text + "More than half of what repeats is explained; the rest is room for a better model."
    return text + ("Most of what repeats in these responses is not explained yet: the gap to the ceiling is room for "
                   "a better model, not noise.")
