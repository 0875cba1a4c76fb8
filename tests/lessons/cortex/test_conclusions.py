"""The cortex lesson's sentences follow the numbers: each one is fed a case and its opposite."""

from __future__ import annotations

import numpy as np

from lessons.core import chance
from lessons.cortex import conclusions as cc

NULL = np.random.default_rng(0).normal(0.0, 0.005, size=20)
ABOVE = chance.verdict(0.07, NULL)
CHANCE = chance.verdict(-0.03, NULL)


def test_model_verdict_sentence_flips():
    assert "above chance" in cc.model_verdict_sentence("Net", ABOVE, "blocks.5", 20)
    text = cc.model_verdict_sentence("Net", CHANCE, "blocks.5", 20)
    assert "no better than chance" in text and "noise, not findings" in text


def test_cells_sentence_counts_and_says_none():
    assert "**No cell**" in cc.cells_sentence(0, 250)
    text = cc.cells_sentence(112, 250)
    assert "112 of 250" in text and "45%" in text


def test_training_sentence_follows_the_difference():
    better = cc.training_sentence(0.07, 0.03, ABOVE, ABOVE, cc.paired_difference(np.full(50, 0.07) +
                                  np.linspace(0, 0.01, 50), np.full(50, 0.03)))
    assert "trained weights predict these cells better" in better
    worse = cc.training_sentence(0.03, 0.07, ABOVE, ABOVE, cc.paired_difference(np.full(50, 0.03),
                                 np.full(50, 0.07) + np.linspace(0, 0.01, 50)))
    assert "random twin predicts better" in worse and "unlike the papers" in worse
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.05, 0.05, 40), rng.normal(0.05, 0.05, 40)
    tie = cc.training_sentence(0.05, 0.05, ABOVE, ABOVE, cc.paired_difference(a, b))
    assert "can't tell" in tie
    # the measured case from the report: trained −0.033 vs random −0.031, neither above chance
    none = cc.training_sentence(-0.033, -0.031, CHANCE, CHANCE, cc.paired_difference(a, b))
    assert "Neither network beats chance" in none and "predict these cells better" not in none


def test_paired_difference_interval():
    d = cc.paired_difference(np.array([1.0, 2.0, 3.0, 4.0]), np.zeros(4))
    assert d.mean == 2.5 and d.low < 2.5 < d.high and d.cells == 4


def test_peaks_sentence_needs_signal_and_states_the_bootstrap_result():
    peaks = {"VISp": "blocks.3", "VISam": "blocks.9"}
    early = {"VISp": np.full(100, 0.2), "VISam": np.full(100, 0.6)}
    late = {"VISp": np.full(100, 0.7), "VISam": np.full(100, 0.3)}
    mixed = {"VISp": np.r_[np.full(50, 0.2), np.full(50, 0.7)], "VISam": np.full(100, 0.5)}
    signal = {"VISp": 30, "VISam": 20}
    assert "peaks earlier" in cc.peaks_sentence(peaks, early, signal, True, True)
    assert "*later*" in cc.peaks_sentence(peaks, late, signal, True, True)
    assert "can't tell" in cc.peaks_sentence(peaks, mixed, signal, True, True)
    assert "not described" in cc.peaks_sentence(peaks, early, signal, False, True)
    few = cc.peaks_sentence(peaks, early, {"VISp": 30, "VISam": 1}, True, False)
    assert "Not described (VISam)" in few and "not enough areas" in few


def test_loo_trap_sentence_reports_the_measured_artefact():
    trap = cc.loo_trap_sentence(np.full(10, 0.4), np.full(10, -0.63))
    assert "0.40" in trap and "anti-correlated" in trap
    small = cc.loo_trap_sentence(np.full(10, 0.01), np.full(10, 0.1))
    assert "trap is small" in small


def test_conditions_text_reads_the_bundle():
    assert cc.conditions_text(118, True) == "118 images and a grey blank (119 conditions)"
    assert cc.conditions_text(50, False) == "50 images (50 conditions, no blank)"


def test_ceiling_sentence_compares_the_reliability_of_cells_above_chance():
    reliability = np.r_[np.full(10, 0.9), np.full(10, 0.2)]
    assert "more reliable" in cc.ceiling_sentence(reliability, np.r_[np.ones(10, bool), np.zeros(10, bool)])
    assert "less reliable" in cc.ceiling_sentence(reliability, np.r_[np.zeros(10, bool), np.ones(10, bool)])
    assert "No cell beats chance" in cc.ceiling_sentence(reliability, np.zeros(20, bool))


def test_rsa_sentence_flips_with_the_relabelled_matches():
    shuffled = np.random.default_rng(3).normal(0, 0.01, 200)
    assert "above chance" in cc.rsa_sentence("VISp", "blocks.5", 0.2, shuffled, 0.6)
    assert "33%" in cc.rsa_sentence("VISp", "blocks.5", 0.2, shuffled, 0.6)
    assert "no better than chance" in cc.rsa_sentence("VISp", "blocks.5", 0.0, shuffled, 0.02)


def test_method_notes_carry_the_numbers_of_the_run():
    text = cc.method_notes(119, 20, 50, 0.05, "TRAP SENTENCE.")
    assert "The 119 conditions are split into 10 folds" in text
    assert "the best of 20 layers" in text and "on 50 shuffles of the images" in text
    assert "at most 5% of them are expected to be false discoveries" in text
    assert "can look like signal. TRAP SENTENCE.\n* **Chance" in text
    assert text.count("\n* ") == 4  # five points
    other = cc.method_notes(60, 8, 20, 0.1, "")
    assert "The 60 conditions" in other and "the best of 8 layers" in other and "at most 10%" in other
