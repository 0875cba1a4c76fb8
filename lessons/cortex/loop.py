"""Closing the loop, as numbers and sentences: did the synthesised images drive the (simulated) cells harder than
their best natural images, is that more than chance, and does it depend on how well the model predicted each cell?

Pure functions on arrays (no network, no Streamlit): the page, the tests and the benchmark share them. The sentences
are computed from the numbers shown, and the tests feed the opposite case and check that they flip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from lessons.core import chance

#: The cells of an area a population run uses by default: its most reliable ones.
POPULATION = 50
#: Below this many cells in each half, the dependence on the held-out score is not stated.
MIN_HALF = 4


@dataclass(frozen=True)
class LoopOutcome:
    """What each cell did when shown its most exciting image, its best natural image and another cell's MEI."""

    cells: np.ndarray  # (C,) bundle indices
    held_out: np.ndarray  # (C,) held-out score (signed r²) of each cell's model
    mei_measured: np.ndarray  # (C,) the cell's measured response (mean of fresh noisy trials) to its own MEI
    natural_measured: np.ndarray  # (C,) ... to its best natural image (the stimulus it answered most in the data)
    other_measured: np.ndarray  # (C,) ... to the MEI made for another cell of the population (the control)
    mei_predicted: np.ndarray  # (C,) what the model predicted for the MEI
    natural_predicted: np.ndarray  # (C,) what the model predicted for the best natural image

    @property
    def wins(self) -> np.ndarray:
        """Which cells answered their MEI more than their best natural image."""
        return self.mei_measured > self.natural_measured

    @property
    def control_wins(self) -> np.ndarray:
        """Which cells answered another cell's MEI more than their best natural image (the chance level)."""
        return self.other_measured > self.natural_measured

    def win_share(self) -> float:
        """The share of cells whose MEI beat their best natural image."""
        return float(self.wins.mean()) if len(self.cells) else 0.0

    def control_share(self) -> float:
        """The share of cells for which another cell's MEI beat their best natural image."""
        return float(self.control_wins.mean()) if len(self.cells) else 0.0

    def gain(self) -> np.ndarray:
        """Each cell's measured response to its MEI as a multiple of its response to its best natural image."""
        natural = np.where(np.abs(self.natural_measured) > 1e-12, self.natural_measured, np.nan)
        return self.mei_measured / natural


def other_cell(count: int, seed: int = 0) -> np.ndarray:
    """For each of `count` cells, another cell of the population whose MEI it is shown (a derangement)."""
    if count < 2:
        return np.zeros(count, dtype=int)
    shift = 1 + np.random.default_rng(seed).integers(count - 1)
    return (np.arange(count) + shift) % count


@dataclass(frozen=True)
class Dependence:
    """How the loop's success depends on the model's held-out score."""

    better_share: float  # win share among the better-predicted half of the cells
    worse_share: float  # ... among the worse-predicted half
    rho: float  # Spearman correlation of held-out score with the MEI's gain
    p_value: float  # its two-sided p-value
    half: int  # cells per half


#: A one-cell difference counts as a win or a loss from this many standard errors of the difference on.
CALL_AT_SE = 2.0


def one_cell_sentence(cell_label: str, mei: float, natural: float, error: float, trials: int) -> str:
    """One cell's loop in words: its measured responses to its MEI and its best photo, and whether the difference is
    larger than the measurement noise (`error`: the standard error of the difference of the two means)."""
    text = (f"Cell {cell_label} answered its MEI with {mei:.3f} and its best photo with {natural:.3f} (means of "
            f"{trials} trials): ")
    z = (mei - natural) / error if error > 0 else float("inf") * np.sign(mei - natural)
    if z >= CALL_AT_SE:
        return text + f"**the MEI won**, by {z:.1f} standard errors."
    if z <= -CALL_AT_SE:
        return text + (f"**the best photo won**, by {-z:.1f} standard errors: the model's favourite image is not this "
                       "cell's.")
    return text + (f"a difference of {abs(z):.1f} standard errors, too small to call with {trials} trials. Would "
                   "more trials settle it?")


def mei_notice(mei_predicted: float, best_photo_predicted: float) -> str:
    """What the model's own predictions say about an MEI: does it beat every photo in the model's eyes?"""
    text = (f"The model predicts {mei_predicted:.3f} for the MEI and at most {best_photo_predicted:.3f} for any "
            "photo: ")
    if mei_predicted > best_photo_predicted:
        return text + "the MEI is the model's favourite by construction — whether the cell agrees is the next " \
                      "section's question."
    return text + "the optimisation did not even beat the photos in the model's own eyes: more steps?"


def dependence(outcome: LoopOutcome) -> Dependence:
    """Win shares of the better- and worse-predicted halves, and the rank correlation of score with gain."""
    order = np.argsort(outcome.held_out, kind="stable")
    half = len(order) // 2
    worse, better = order[:half], order[len(order) - half:]
    wins = outcome.wins
    gain = outcome.gain()
    ok = np.isfinite(gain)
    if ok.sum() >= 3 and np.ptp(outcome.held_out[ok]) > 0 and np.ptp(gain[ok]) > 0:
        rho, p = stats.spearmanr(outcome.held_out[ok], gain[ok])
    else:
        rho, p = 0.0, 1.0
    return Dependence(float(wins[better].mean()) if half else 0.0, float(wins[worse].mean()) if half else 0.0,
                      float(rho), float(p), half)


def loop_sentence(outcome: LoopOutcome, area: str) -> str:
    """The loop's result for a population: MEI wins against chance (another cell's MEI), in words."""
    n = len(outcome.cells)
    if n == 0:
        return "No cell was tested."
    wins, share, control = int(outcome.wins.sum()), outcome.win_share(), outcome.control_share()
    head = (f"**Shown to the simulated {area} cells themselves, the most exciting images beat each cell's best natural "
            f"image for {wins} of {n} cells ({share:.0%}).**" if wins else
            f"**Shown to the simulated {area} cells themselves, no most exciting image beat its cell's best natural "
            f"image ({n} cells).**")
    versus = (f" Chance, measured: shown *another* cell's MEI, {outcome.control_share():.0%} of the cells answered "
              "more than to their own best natural image.")
    p = sign_test_p(outcome)
    if share > control and p < chance.ALPHA:
        return head + versus + (f" A cell's own MEI does better than that (paired sign test, p = {p:.2g}): the "
                                "images carry what the model learned about *that* cell.")
    return head + versus + (f" A cell's own MEI does not do clearly better (paired sign test, p = {p:.2g}): what could "
                            "make the model's favourite image no better for its cell than for the others?")


def sign_test_p(outcome: LoopOutcome) -> float:
    """One-sided sign test: does a cell answer its own MEI more than another cell's MEI?"""
    diff = outcome.mei_measured - outcome.other_measured
    ups, downs = int((diff > 0).sum()), int((diff < 0).sum())
    if ups + downs == 0:
        return 1.0
    return float(stats.binomtest(ups, ups + downs, 0.5, alternative="greater").pvalue)


def dependence_sentence(found: Dependence) -> str:
    """Whether the loop worked better for the cells the model predicted better — stated only when the numbers say so."""
    if found.half < MIN_HALF:
        return "Too few cells to tell whether the loop works better for the cells the model predicts better."
    shares = (f"The MEI won for {found.better_share:.0%} of the better-predicted half of the cells and "
              f"{found.worse_share:.0%} of the worse-predicted half; the held-out score and the MEI's gain have a "
              f"rank correlation of {found.rho:+.2f} (p = {found.p_value:.2g}).")
    if found.rho > 0 and found.p_value < chance.ALPHA and found.better_share >= found.worse_share:
        return shares + (" **The closer the model, the better the loop works**, as Walker et al. found: an image "
                         "synthesised from a poor model of a cell is a guess about that cell.")
    if found.rho < 0 and found.p_value < chance.ALPHA:
        return shares + (" Here the loop worked *better* for the worse-predicted cells — an unexpected result: "
                         "what about those cells could make their images work anyway?")
    return shares + (" The two are not clearly related in these cells. Would a wider range of model quality (more "
                     "cells, or another layer) show the dependence the papers report?")


#: Below this median correlation (better-predicted half) an estimate does not match its receptive field at all.
WEAK_MATCH = 0.2


def receptive_field_sentence(correlations: np.ndarray, held_out: np.ndarray, threshold: float = 0.5) -> str:
    """How well the linear receptive-field estimates match the true ones, for well- and poorly-predicted cells."""
    correlations, held_out = np.asarray(correlations, float), np.asarray(held_out, float)
    if correlations.size == 0:
        return "No receptive field was estimated."
    good = held_out >= np.median(held_out)
    median_good = float(np.median(correlations[good]))
    median_poor = float(np.median(correlations[~good])) if (~good).any() else float("nan")
    text = (f"Over {correlations.size} cells the estimate correlates with the true receptive field at "
            f"r = {np.median(correlations):.2f} (median); {median_good:.2f} for the better-predicted half")
    text += f" and {median_poor:.2f} for the rest." if np.isfinite(median_poor) else "."
    if median_good >= threshold:
        return text + " **The model has found where, and at what, these cells look.**"
    if median_good >= WEAK_MATCH:
        return text + (" The estimates are weak: is a linear estimate at a grey screen the right question for cells "
                       "that pool over phase (complex cells)?")
    return text + (" **The estimates do not match the true receptive fields**, not even for the better-predicted "
                   "cells. Walker et al. read receptive fields off their models, which were fitted to thousands of "
                   "images with a readout that has a spatial mask for where its cell looks. Here each readout is a "
                   "ridge fit of a whole layer to 118 photos: can 118 photos tell a model where a small receptive "
                   "field sits?")


#: An image whose spectral energy has at least this orientation concentration reads as "a grating".
GRATING_ORIENTEDNESS = 0.5


def orientedness(image: np.ndarray) -> float:
    """How much of an image's contrast energy shares one orientation: 1 for a pure grating, near 0 for an image
    with every orientation (the length of the energy-weighted mean of doubled spectral angles)."""
    x = np.asarray(image, dtype=np.float64)
    x = x - x.mean()
    power = np.abs(np.fft.fft2(x)) ** 2
    fy = np.fft.fftfreq(x.shape[0])[:, None]
    fx = np.fft.fftfreq(x.shape[1])[None, :]
    angle = np.arctan2(fy, fx)
    power[0, 0] = 0.0
    total = power.sum()
    if total <= 0:
        return 0.0
    return float(np.abs((power * np.exp(2j * angle)).sum()) / total)


#: An image that needs at least this share of its pixels to hold half its contrast energy fills the screen.
FILLS_SCREEN = 0.1


def contrast_spread(image: np.ndarray) -> float:
    """The share of pixels that hold half of the image's contrast energy, over 0.5: near 1 when the contrast fills
    the image evenly (a texture), small when it sits in one place (a small object, a receptive field)."""
    x = np.asarray(image, dtype=np.float64)
    energy = np.sort(((x - x.mean()) ** 2).ravel())[::-1]
    total = energy.sum()
    if total <= 0:
        return 0.0
    needed = int(np.searchsorted(np.cumsum(energy), 0.5 * total)) + 1
    return float(needed / energy.size / 0.5)


def looks_like(image: np.ndarray) -> str:
    """"a grating" when most of the image's energy shares one orientation; else "a texture" when its contrast fills
    the screen; else "a localised pattern"."""
    if orientedness(image) >= GRATING_ORIENTEDNESS:
        return "a grating"
    return "a texture" if contrast_spread(image) >= FILLS_SCREEN else "a localised pattern"
