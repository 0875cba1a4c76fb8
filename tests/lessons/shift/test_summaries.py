"""The sentences of the data-and-shift page, fed constructed accuracies: each conclusion flips with the numbers."""

from __future__ import annotations

import numpy as np

from lessons.shift import compute as data_shift

N = 1000
ROTATION = ((0.0, 90.0, 180.0), (0.97, 0.11, 0.29))


def test_curve_summary_says_chance_and_a_recovery_only_when_the_numbers_show_them():
    dip = data_shift.curve_summary("Rotation", "degrees", (0, 90, 180), (0.97, 0.11, 0.29), N)
    assert "no better than guessing (chance is 10%)" in dip and "lowest there, not at the largest amount" in dip
    steady = data_shift.curve_summary("Rotation", "degrees", (0, 90, 180), (0.97, 0.60, 0.40), N)
    assert "guessing" not in steady and "not at the largest amount" not in steady
    assert "Every step of the change lowers the score" in steady
    wobble = data_shift.curve_summary("Blur", "sigma", (0, 1, 2, 3), (0.97, 0.50, 0.70, 0.40), N)
    assert "does not fall steadily: it rises again at 2 sigma" in wobble
    flat = data_shift.curve_summary("Blur", "sigma", (0, 1, 2), (0.972, 0.97, 0.965), N)
    assert "barely notices" in flat and "falls" not in flat


def test_curve_summary_compares_with_rotation_in_both_directions():
    milder = data_shift.curve_summary("Blur", "sigma", (0, 3), (0.97, 0.70), N, ROTATION)
    assert "hurts less than rotation, whose worst is 11% (at 90 degrees)" in milder
    harsher = data_shift.curve_summary("Noise", "std", (0, 0.6), (0.97, 0.02), N, ROTATION)
    assert "hurts more than rotation" in harsher
    same = data_shift.curve_summary("Noise", "std", (0, 0.6), (0.97, 0.115), N, ROTATION)
    assert "hurts about as much as rotation" in same


def test_gap_cell_shows_points_and_never_a_negative_share():
    assert data_shift.gap_cell(0.97, 0.29, 0.84, N) == "+55 points: closes 81% of the 68-point gap"
    assert data_shift.gap_cell(0.97, 0.61, 0.27, N) == "−34 points: the gap widens"
    assert data_shift.gap_cell(0.97, 0.40, 0.41, N) == "+1 point: no measurable change"
    assert data_shift.gap_cell(0.97, 0.10, 0.105, N).endswith("both at chance")
    # The standard CNN hardly lost anything: no ratio that explodes, just the change.
    assert data_shift.gap_cell(0.97, 0.969, 0.90, N) == "−7 points: no gap to close"
    assert data_shift.gap_cell(0.97, 0.50, 0.99, N).startswith("+49 points: closes all of the")


def test_augmentation_summary_follows_which_gaps_closed():
    textbook = {"rotation": (0.97, 0.29, 0.84), "blur": (0.97, 0.71, 0.28), "noise": (0.97, 0.40, 0.41)}
    text = data_shift.augmentation_summary(textbook, "rotation", 180, N)
    assert "closed the gap for rotation (+55 points)" in text and "widened it for blur (−43 points)" in text
    assert "no measurable difference for noise" in text and "stays as hard or gets harder" in text
    surprise = {"rotation": (0.97, 0.29, 0.84), "blur": (0.97, 0.71, 0.90)}
    text = data_shift.augmentation_summary(surprise, "rotation", 180, N)
    assert "stays as hard" not in text and "it also helped with blur" in text
    failed = {"rotation": (0.97, 0.29, 0.30), "blur": (0.97, 0.71, 0.60)}
    text = data_shift.augmentation_summary(failed, "rotation", 30, N)
    assert "here it did not" in text and "stays as hard" not in text and "±30°" in text


def _six_nine(count: int) -> np.ndarray:
    matrix = np.zeros((10, 10), dtype=np.int64)
    matrix[6, 9] = count
    return matrix


def test_clean_cost_summary_explains_the_cost_from_the_numbers():
    cost = data_shift.clean_cost_summary(0.972, 0.806, 180, N, _six_nine(2), _six_nine(55))
    assert "cost **17 points**" in cost and "166 more of the 1,000 wrong" in cost
    assert "become ambiguous" in cost and "53 of the 166 extra errors" in cost
    elsewhere = data_shift.clean_cost_summary(0.972, 0.806, 180, N, _six_nine(5), _six_nine(3))
    assert "not where the cost went" in elsewhere and "ambiguous" not in elsewhere
    small_angles = data_shift.clean_cost_summary(0.972, 0.90, 30, N, _six_nine(2), _six_nine(2))
    assert "never turns into a 9" in small_angles
    free = data_shift.clean_cost_summary(0.972, 0.968, 180, N, _six_nine(2), _six_nine(2))
    assert "no measurable clean accuracy" in free and "capacity" not in free
    better = data_shift.clean_cost_summary(0.90, 0.97, 180, N, _six_nine(2), _six_nine(2))
    assert "even raised clean accuracy" in better


def test_chance_and_margins_are_computed():
    assert data_shift.at_chance(0.105, N) and not data_shift.at_chance(0.15, N)
    assert data_shift.at_chance(0.15, 20)  # twenty images cannot tell 15 % from 10 %
    assert 0.02 < data_shift.accuracy_margin(0.5, 0.5, N) < 0.05
    assert data_shift.percent(0.972) == "97.2%" and data_shift.percent(0.1) == "10%"
    assert data_shift.points(-0.34) == "−34 points" and data_shift.points(0.01) == "+1 point"


def test_photo_summary_says_whether_the_upright_answer_survives_turning():
    angles = (0, 90, 180)
    kept = data_shift.photo_summary("espresso", angles, ["espresso"] * 3, [0, 0, 0], [0.96, 0.34, 0.75])
    assert "keeps **espresso** as its first answer at all 2 turned angles" in kept
    assert "lowest at 90° (34%, upright 96%)" in kept
    lost = data_shift.photo_summary("espresso", angles, ["espresso", "cup", "espresso"], [0, 3, 0], [0.96, 0.1, 0.7])
    assert "drops **espresso** from first place at 1 of 2 turned angles (first at 90°, where it says cup)" in lost
    assert "keeps" not in lost
