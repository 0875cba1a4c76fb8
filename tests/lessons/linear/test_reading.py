"""Unit tests of what the linear-classifier page reads off its numbers: the point set, counts and edit notes, the
link's share of the edits, the config from the controls, the lowest valley, the foot of the normal, the algebra."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from lessons.linear import compute as lc
from lessons.linear import data as ld
from lessons.linear import mlp as lm


def test_edited_points_apply_the_edits_to_the_preset():
    edits = ld.Edits(removed=(0, 5), added=((1.5, -2.0, 0),))
    result = ld.edited_points("xor", 0.3, 4, edits)
    points, _labels = ld.make_dataset("xor", 0.3, 4)
    assert result.n_preset == 200 and np.array_equal(result.preset_points, points)
    assert len(result.points) == 199 and result.ids[-1] == "a0" and "p0" not in result.ids
    assert result.points[-1].tolist() == [1.5, -2.0] and result.labels[-1] == 0
    assert result.key == f"xor|0.3|4|{ld.encode_edits(edits)}"
    assert result.key != ld.edited_points("xor", 0.3, 4, ld.Edits()).key


def test_class_counts_and_the_edit_note():
    assert ld.class_counts(np.array([0, 1, 1, 0, 1], dtype=np.float32)) == (2, 3)
    assert ld.edit_note(ld.Edits()) == ""
    assert ld.edit_note(ld.Edits((1, 2), ((0.0, 0.0, 1),))) == " — 2 removed and 1 added by hand"


def test_a_link_carries_the_edits_only_while_they_are_short_enough():
    short = "r1,2|a0.5_0.5_B"
    assert ld.link_edits(short) == short
    long = "a" + ",".join(["1.25_-1.25_A"] * 200)
    assert len(long) > ld.MAX_EDIT_TEXT and ld.link_edits(long) == ""


def test_train_config_takes_the_rotation_in_degrees():
    config = lc.train_config("adam", 0.05, "cosine", 1000, "manual", 7, -135, 1.5, 4.0)
    assert config == lc.TrainConfig("adam", 0.05, "cosine", 1000, "manual", 7, math.radians(-135), 1.5, 4.0)
    assert lc.params_from_weights(*lc.initial_weights(config)).degrees == pytest.approx(-135)


def test_lowest_minimum_is_the_lowest_marked_cell():
    points, labels = ld.make_dataset("overlapping")
    trainer = lc.train_to(points, labels, lc.TrainConfig(), 0)
    frame = lc.make_frame(trainer, lc.view_extent(points))
    theta, offset = lc.lowest_minimum(frame)
    lowest = min(frame.landscape[ij] for ij in frame.minima)
    row = list(frame.offsets).index(offset)
    column = int(np.argmin(np.abs(np.degrees(frame.thetas) - theta)))
    assert (row, column) in frame.minima and frame.landscape[row, column] == lowest
    assert lc.lowest_minimum(lc.dataclasses.replace(frame, minima=[])) is None


def test_the_foot_of_the_normal_lies_on_the_line():
    w1, w2, b = 1.2, -0.7, 0.4
    (x, y), logit = lc.foot_on_line(w1, w2, b)
    assert w1 * x + w2 * y + b == pytest.approx(0.0, abs=1e-12) and abs(logit) < 1e-12
    line = lc.params_from_weights(w1, w2, b)
    assert math.hypot(x, y) == pytest.approx(abs(line.offset))
    assert lc.foot_on_line(0.0, 0.0, 1.0) is None


def test_numbers_are_never_minus_zero_and_sums_show_their_sign():
    assert lc.plain_number(-0.0001, 2) == "0.00" and lc.plain_number(-1.234, 2) == "-1.23"
    assert lc.signed_number(0.5) == "+0.500" and lc.signed_number(-0.5) == "-0.500"
    assert lc.signed_number(-0.0001) == "+0.000"


def test_algebra_latex_shows_the_weights_and_the_solved_line():
    numbers, solved = lc.algebra_latex(1.0, 2.0, -0.5)
    assert "1.000 & 2.000" in numbers and "b = -0.500" in numbers
    assert r"1.000\,x +2.000\,y +0.500 = 0" not in solved  # b is −0.5, so the sum subtracts it
    assert r"1.000\,x +2.000\,y -0.500 = 0" in solved and r"-0.500\,x +0.250" in solved
    _, vertical = lc.algebra_latex(2.0, 0.0, -1.0)
    assert r"x &= -\frac{b}{w_1} = 0.500" in vertical


def test_the_solved_line_puts_symbols_and_numbers_on_lines_of_their_own():
    """A phone is 430 px wide: the symbolic solution and its numbers each get a line of the aligned block."""
    _, solved = lc.algebra_latex(-1.234, 2.345, -0.567)
    body = solved.removeprefix(r"\begin{gathered}").removesuffix(r"\end{gathered}").replace(
        r"\begin{aligned}", "").replace(r"\end{aligned}", "")
    lines = [line.strip() for line in body.split(r"\\")]
    assert lines == [r"-1.234\,x +2.345\,y -0.567 = 0",  # centred on its own, not pushed right by the alignment
                     r"\Rightarrow\quad y &= -\frac{w_1}{w_2}\,x - \frac{b}{w_2}",
                     r"&= 0.526\,x +0.242"]  # −w1/w2 and −b/w2


def test_replaying_a_run_reports_its_steps_and_ends_where_one_go_ends():
    points, labels = ld.make_dataset("separable")
    config = lc.TrainConfig(optimiser="adam", lr=0.05, max_steps=500)
    reports: list[tuple[float, str]] = []
    replayed = lc.train_to(points, labels, config, 120, lambda f, m: reports.append((f, m)))
    in_one_go = lc.Trainer(points, labels, config)
    in_one_go.run(120)
    assert replayed.weights() == in_one_go.weights() and replayed.step == 120
    assert [f for f, _ in reports] == [50 / 120, 100 / 120, 1.0]
    assert reports[-1][1] == "Replaying the shared run: step 120 of 120"


def test_the_network_view_reports_training_then_drawing():
    points, labels = ld.make_dataset("xor")
    reports: list[tuple[float, str]] = []
    lm.mlp_view(points, labels, 4, 1, 40, 0, 2.0, lambda f, m: reports.append((f, m)))
    assert reports[0][1] == "2 → 4 → 2 → 1 network — Training step 2 of 40"
    assert reports[-2] == (pytest.approx(0.9), "2 → 4 → 2 → 1 network — Training step 40 of 40")
    assert reports[-1] == (pytest.approx(0.9), "Drawing the boundary, the hidden space and the warped grid…")
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(reports))


def test_architecture_lists_the_layer_sizes():
    assert lm.architecture(16, 1) == "2 → 16 → 2 → 1"
    assert lm.architecture(4, 3) == "2 → 4 → 4 → 4 → 2 → 1"
    linears = [layer for layer in lm.make_mlp(4, 3) if isinstance(layer, torch.nn.Linear)]
    sizes = [linears[0].in_features] + [layer.out_features for layer in linears]
    assert lm.architecture(4, 3) == " → ".join(str(s) for s in sizes)


def test_network_training_reports_progress_as_fractions_with_messages():
    points, labels = ld.make_dataset("xor")
    reports: list[tuple[float, str]] = []
    lm.train_mlp(points, labels, width=4, depth=1, steps=40, progress=lambda f, m: reports.append((f, m)))
    assert [f for f, _ in reports] == [i / 40 for i in range(2, 41, 2)]
    assert reports[-1] == (1.0, "Training step 40 of 40")
