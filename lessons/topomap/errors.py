"""The error view of a topographic map: the correct and the misclassified images of one class, on the same layout.

Pure compute (no Streamlit): which class to show first, the two groups, their unit patterns, and what the
misclassified images were read as.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lessons.topomap import compute as topomap
from lessons.topomap.data import UnitActivations


@dataclass(frozen=True)
class ErrorGroups:
    """The images of one class split by whether the network got them right, with each group's unit pattern."""

    correct: np.ndarray  # indices of the class's correctly classified images
    wrong: np.ndarray  # indices of its misclassified images
    profiles: np.ndarray  # (units, 2): each group's mean activation minus the unit's average over the class means
    mistaken_as: np.ndarray  # (classes,) how many of the wrong ones the network read as each class


def wrong_counts(source: UnitActivations) -> np.ndarray:
    """How many images of each class the network misclassifies (classes,); all zero without ground truth."""
    return np.bincount(source.labels[~source.correct], minlength=len(source.class_names))


def most_wrong_class(source: UnitActivations) -> int:
    """The class with the most misclassified images (the first one on a tie), where the error view starts."""
    return int(np.argmax(wrong_counts(source)))


def error_groups(source: UnitActivations, class_index: int) -> ErrorGroups:
    """The correct and the misclassified images of `class_index`, their unit patterns relative to each unit's
    average over the class means (NaN for an empty group), and what the misclassified ones were read as."""
    n_classes = len(source.class_names)
    in_class = source.labels == class_index
    correct = np.flatnonzero(in_class & source.correct)
    wrong = np.flatnonzero(in_class & ~source.correct)
    reference = topomap.class_mean_profiles(source.activations, source.labels, n_classes,
                                            subtract_mean=False).mean(axis=1)
    profiles = topomap.group_profiles(source.activations, [correct, wrong], reference)
    mistaken_as = np.bincount(source.predictions[wrong], minlength=n_classes)
    return ErrorGroups(correct, wrong, profiles, mistaken_as)


def mistaken_summary(names: tuple[str, ...] | list[str], mistaken_as: np.ndarray) -> str:
    """The classes the misclassified images were read as, most often first: '**digit 7** ×3, **digit 2** ×1'."""
    counts = np.asarray(mistaken_as)
    return ", ".join(f"**{names[c]}** ×{counts[c]}" for c in np.argsort(-counts) if counts[c])
