"""Reading accuracies for the data-and-shift lesson: chance levels, standard errors, and the words for them.

Pure math (no torch, no Streamlit), so the lesson's exercises, which the home page imports, can judge with the same
rules the page's sentences use. `lessons.shift.compute` re-exports these names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Chance top-1 on ten digit classes.
CHANCE = 0.1


def chance_level(n_classes: int, k: int = 1) -> float:
    """Top-k accuracy of a guesser that names k different classes at random out of `n_classes`: k / n_classes."""
    return min(1.0, k / max(int(n_classes), 1))


def percent(value: float) -> str:
    """An accuracy as on screen: one decimal, e.g. 97.2% (none for a whole number, e.g. 10%)."""
    return f"{value:.1%}".replace(".0%", "%")


def points(difference: float, signed: bool = True) -> str:
    """A difference of two accuracies in percentage points, e.g. +55 points."""
    number = f"{difference * 100:{'+' if signed else ''}.0f}".replace("-", "−")
    return f"{number} {'point' if number.lstrip('+−') == '1' else 'points'}"


def accuracy_margin(first: float, second: float, n: int) -> float:
    """Two standard errors of the difference of two accuracies measured on n images each: smaller is not measurable."""
    variance = (first * (1 - first) + second * (1 - second)) / max(n, 1)
    return 2 * math.sqrt(variance)


def at_chance(accuracy: float, n: int, chance: float = CHANCE) -> bool:
    """Whether an accuracy on n images is within two standard errors of chance."""
    return abs(accuracy - chance) <= 2 * math.sqrt(chance * (1 - chance) / max(n, 1))


def compare(first: float, second: float, n: int) -> int:
    """+1 when `first` is measurably above `second`, −1 when measurably below, 0 when within the margin."""
    difference = first - second
    if abs(difference) <= accuracy_margin(first, second, n):
        return 0
    return 1 if difference > 0 else -1


def value_at(amounts: Sequence[float], values: Sequence[float], amount: float) -> float:
    """The value a sweep measured at `amount` (the nearest amount it visited)."""
    grid = np.asarray(amounts, dtype=float)
    return float(np.asarray(values, dtype=float)[int(np.argmin(np.abs(grid - amount)))])


def accuracy_notice(top1: float, matrix: np.ndarray, names: Sequence[str]) -> str:
    """The "what to notice" of held-out accuracy: the score against chance, and whether one number hides that some
    classes are measurably harder than others (from the confusion matrix: row = true class)."""
    counts = np.asarray(matrix).sum(axis=1)
    accuracy = np.diag(np.asarray(matrix)) / np.maximum(counts, 1)
    best, worst = int(np.argmax(accuracy)), int(np.argmin(accuracy))
    chance = chance_level(len(names))
    text = (f"Top-1 is **{percent(top1)}**, where guessing would score {percent(chance)} (chance: one class in "
            f"{len(names)}). ")
    if compare(accuracy[best], accuracy[worst], int(min(counts[best], counts[worst]))) > 0:
        return text + (f"One number hides a spread: digit {names[worst]} is right only **{percent(accuracy[worst])}** "
                       f"of the time, digit {names[best]} **{percent(accuracy[best])}**. Which digits does the "
                       "confusion matrix say it takes them for?")
    return text + (f"Every class scores about the same (from {percent(accuracy[worst])} to {percent(accuracy[best])}, "
                   f"within the noise of {int(counts.min())} or more images per class): here one number tells the "
                   "whole story.")


def rotation_notice(amounts: Sequence[float], top1: Sequence[float], top5: Sequence[float], n: int,
                    n_classes: int = 10, angle: float = 90.0) -> str:
    """The "what to notice" of the rotation sweep: what a quarter turn does to top-1 and top-5, each against its
    own chance level (1 and 5 classes in `n_classes`)."""
    clean, turned = float(top1[0]), value_at(amounts, top1, angle)
    turned5 = value_at(amounts, top5, angle)
    chance1, chance5 = chance_level(n_classes, 1), chance_level(n_classes, 5)
    start = (f"Turned by {angle:g}°, the same held-out digits score **{percent(turned)}** top-1 "
             f"(upright {percent(clean)})")
    if compare(clean, turned, n) <= 0:
        return (start + ": no measurable loss. This network reads digits whichever way up they are — was it trained "
                "on turned digits?")
    if at_chance(turned, n, chance1):
        text = start + f", no better than guessing (chance: {percent(chance1)})."
    else:
        text = start + (f", {points(abs(turned - chance1), signed=False)} from chance ({percent(chance1)}): measurably "
                        f"{'above' if turned > chance1 else 'below'} it on {n:,} digits.")
    five = f" Top-5 is {percent(turned5)}, and five random guesses would score {percent(chance5)}"
    text += five + (": no better than chance." if at_chance(turned5, n, chance5) else ".")
    return text + " Nothing about *which* digit it is changed — only an angle the network never saw in training."
