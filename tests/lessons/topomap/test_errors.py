"""The error view's numbers: wrong counts per class, the class shown first, the two groups and their patterns."""

from __future__ import annotations

import numpy as np

from lessons.topomap import data as sources
from lessons.topomap import errors


def _source() -> sources.UnitActivations:
    """Three classes, two units; class 1 has two misclassified images (read as 2 and 0), class 2 one (read as 0)."""
    labels = np.array([0, 0, 1, 1, 1, 1, 2, 2])
    predictions = np.array([0, 0, 1, 2, 0, 1, 2, 0])
    acts = np.array([[1, 0], [3, 0], [0, 2], [4, 6], [2, 2], [0, 4], [5, 5], [1, 1]], np.float32)
    return sources.UnitActivations(acts, labels, predictions, ("0", "1", "2"), np.zeros((8, 28, 28), np.uint8),
                                   has_truth=True)


def test_wrong_counts_and_the_class_shown_first():
    source = _source()
    np.testing.assert_array_equal(errors.wrong_counts(source), [0, 2, 1])
    assert errors.most_wrong_class(source) == 1


def test_without_ground_truth_nothing_is_wrong():
    source = _source()
    photos = sources.UnitActivations(source.activations, source.labels, source.predictions, source.class_names,
                                     source.images, has_truth=False)
    np.testing.assert_array_equal(errors.wrong_counts(photos), [0, 0, 0])
    assert errors.most_wrong_class(photos) == 0


def test_error_groups_split_one_class_and_subtract_each_units_average_over_class_means():
    groups = errors.error_groups(_source(), 1)
    np.testing.assert_array_equal(groups.correct, [2, 5])
    np.testing.assert_array_equal(groups.wrong, [3, 4])
    # class means: class 0 (2, 0), class 1 (1.5, 3.5), class 2 (3, 3) → average per unit (6.5/3, 6.5/3)
    reference = np.array([6.5 / 3, 6.5 / 3])
    np.testing.assert_allclose(groups.profiles[:, 0], np.array([0.0, 3.0]) - reference, rtol=1e-6)
    np.testing.assert_allclose(groups.profiles[:, 1], np.array([3.0, 4.0]) - reference, rtol=1e-6)
    np.testing.assert_array_equal(groups.mistaken_as, [1, 0, 1])


def test_a_class_without_errors_has_an_empty_wrong_group_with_a_blank_pattern():
    groups = errors.error_groups(_source(), 0)
    assert len(groups.wrong) == 0 and len(groups.correct) == 2
    assert np.isnan(groups.profiles[:, 1]).all() and np.isfinite(groups.profiles[:, 0]).all()
    assert groups.mistaken_as.sum() == 0


def test_mistaken_summary_lists_the_most_frequent_first_and_skips_zeros():
    names = ("digit 0", "digit 1", "digit 2")
    assert errors.mistaken_summary(names, np.array([1, 0, 3])) == "**digit 2** ×3, **digit 0** ×1"
    assert errors.mistaken_summary(names, np.zeros(3, int)) == ""
