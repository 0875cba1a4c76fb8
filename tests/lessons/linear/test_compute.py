"""Unit tests of the linear-classifier lesson's compute: data, line algebra, training, landscape, the small network."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from lessons.linear import compute as lc
from lessons.linear import data as ld
from lessons.linear import mlp as lm

# ------------------------------------------------------------------------------------------------------------ data


@pytest.mark.parametrize("preset", ld.PRESETS)
def test_datasets_have_the_promised_shape_balance_and_reproducibility(preset):
    points, labels = ld.make_dataset(preset, noise=0.3, seed=4)
    assert points.shape == (200, 2) and points.dtype == np.float32
    assert labels.shape == (200,) and labels.dtype == np.float32
    assert set(np.unique(labels)) == {0.0, 1.0} and labels.sum() == 100
    again_points, again_labels = ld.make_dataset(preset, noise=0.3, seed=4)
    np.testing.assert_array_equal(points, again_points)
    np.testing.assert_array_equal(labels, again_labels)
    assert not np.array_equal(points, ld.make_dataset(preset, noise=0.3, seed=5)[0])
    assert not np.array_equal(points, ld.make_dataset(preset, noise=0.8, seed=4)[0])
    assert np.abs(points).max() < 6


def test_noise_widens_the_classes_and_odd_sizes_stay_balanced():
    quiet, _ = ld.make_dataset("separable", noise=0.0, seed=1)
    loud, _ = ld.make_dataset("separable", noise=1.0, seed=1)
    assert loud[:100].std(axis=0).mean() > 2 * quiet[:100].std(axis=0).mean()
    _, labels = ld.make_dataset("xor", n=51)
    assert len(labels) == 51 and abs(int(labels.sum()) - 25.5) <= 0.5
    with pytest.raises(ValueError):
        ld.make_dataset("moons")


def test_hand_edits_apply_encode_and_decode():
    points, labels = ld.make_dataset("separable")
    edits = ld.add_point(ld.remove_point(ld.Edits(), "p3", 200), 1.234, -0.5, 1)
    edits = ld.remove_point(edits, "p7", 200)
    assert edits == ld.Edits((3, 7), ((1.23, -0.5, 1),))
    edited, edited_labels, ids = ld.apply_edits(points, labels, edits)
    assert edited.shape == (199, 2) and ids[-1] == "a0" and "p3" not in ids and "p7" not in ids
    np.testing.assert_array_equal(edited[-1], np.float32([1.23, -0.5]))
    assert edited_labels[-1] == 1
    text = ld.encode_edits(edits)
    assert text == "r3,7|a1.23_-0.5_B"
    assert ld.decode_edits(text, 200) == edits
    assert ld.remove_point(edits, "a0", 200) == ld.Edits((3, 7), ())
    assert ld.remove_point(edits, "zz", 200) == edits
    for bad in ("r999", "x1", "a1_2", "a1_2_C", "r1,two", "anan_1_A", "a1e9_0_A", "|"):
        assert ld.decode_edits(bad, 200) == ld.Edits(), bad
    assert ld.decode_edits(None, 200).empty


def test_a_click_adds_or_removes_exactly_one_point():
    edits = ld.Edits()
    assert ld.edit_from_click(edits, {"cell": {}, "pt": {}}, 0, 200) is None
    added = ld.edit_from_click(edits, {"cell": [{"cx": 0.3, "cy": -1.5}], "pt": []}, 1, 200)
    assert added == ld.Edits((), ((0.3, -1.5, 1),))
    removed = ld.edit_from_click(added, {"cell": [], "pt": [{"pid": "p12"}]}, 0, 200)
    assert removed == ld.Edits((12,), ((0.3, -1.5, 1),))
    # a click on a point wins over the cell under it
    both = ld.edit_from_click(edits, {"cell": [{"cx": 1, "cy": 1}], "pt": [{"pid": "p0"}]}, 0, 200)
    assert both == ld.Edits((0,), ())


def test_table_edits_are_diffed_against_the_preset():
    points, labels = ld.make_dataset("xor")
    edits = ld.Edits((5,), ((0.5, 0.5, 0),))
    table = ld.points_table(*ld.apply_edits(points, labels, edits))
    rows = [dict(zip(table, values)) for values in zip(*table.values())]
    assert ld.edits_from_table(points, labels, rows) == edits  # an untouched table changes nothing
    rows[0]["x"] = 2.5  # p0 moved: removed and re-added
    rows.pop(1)  # p1 deleted
    rows.append({"id": None, "x": -1.0, "y": 1.0, "class": "B"})
    rows.append({"id": None, "x": None, "y": 1.0, "class": "A"})  # incomplete: ignored
    changed = ld.edits_from_table(points, labels, rows)
    assert changed.removed == (0, 1, 5)
    assert changed.added == ((2.5, round(float(points[0, 1]), 2), int(labels[0])), (0.5, 0.5, 0), (-1.0, 1.0, 1))


# ----------------------------------------------------------------------------------------------------- the line
def test_conversions_round_trip():
    rng = np.random.default_rng(0)
    for w1, w2, b in rng.normal(0, 2, (50, 3)):
        line = lc.params_from_weights(w1, w2, b)
        assert -math.pi <= line.theta <= math.pi and line.sharpness > 0
        np.testing.assert_allclose(lc.weights_from_params(line.theta, line.offset, line.sharpness), (w1, w2, b),
                                   atol=1e-12)
    for theta, offset, sharpness in zip(rng.uniform(-math.pi, math.pi, 50), rng.normal(0, 2, 50),
                                        rng.uniform(0.1, 10, 50)):
        back = lc.params_from_weights(*lc.weights_from_params(theta, offset, sharpness))
        assert math.isclose(back.theta, theta, abs_tol=1e-9)
        assert math.isclose(back.offset, offset, abs_tol=1e-9)
        assert math.isclose(back.sharpness, sharpness, rel_tol=1e-12)
    assert lc.wrap_angle(3 * math.pi / 2) == pytest.approx(-math.pi / 2)
    assert lc.params_from_weights(0.0, 0.0, 1.0) == lc.LineParams(0.0, 0.0, 0.0)


def _model_logits(trainer: lc.Trainer, xy: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return trainer.model(torch.as_tensor(np.asarray(xy, dtype=np.float32))).squeeze(1).numpy()


def test_line_algebra_matches_the_model_parameters():
    points, labels = ld.make_dataset("separable")
    trainer = lc.train_to(points, labels, lc.TrainConfig(optimiser="adam", lr=0.05, max_steps=200), 120)
    w1, w2 = trainer.model.weight.detach()[0].tolist()
    b = float(trainer.model.bias.detach()[0])
    assert trainer.weights() == (w1, w2, b)
    line = trainer.line()
    assert line.theta == pytest.approx(math.atan2(w2, w1))
    assert line.sharpness == pytest.approx(math.hypot(w1, w2))
    assert line.offset == pytest.approx(-b / math.hypot(w1, w2))
    form = lc.line_form(w1, w2, b)
    assert not form.vertical
    assert form.slope == pytest.approx(-w1 / w2) and form.intercept == pytest.approx(-b / w2)
    xs = np.linspace(-3, 3, 7)
    on_line = np.stack([xs, form.slope * xs + form.intercept], axis=1)
    assert np.abs(_model_logits(trainer, on_line)).max() < 1e-4 * (1 + np.abs(on_line).max() * line.sharpness)
    segment = lc.line_segment(w1, w2, b, extent=3.0)
    assert segment is not None
    assert np.abs(_model_logits(trainer, np.array(segment))).max() < 1e-4
    assert all(abs(c) <= 3.0 + 1e-9 for p in segment for c in p)
    assert max(abs(c) for c in segment[0]) == pytest.approx(3.0)  # it ends on the square's border
    foot = [[line.offset * math.cos(line.theta), line.offset * math.sin(line.theta)]]
    assert abs(_model_logits(trainer, foot)[0]) < 1e-5
    sure = lc.line_segment(w1, w2, b, 3.0, level=lc.SURE)
    assert sure is not None
    assert np.allclose(1 / (1 + np.exp(-_model_logits(trainer, np.array(sure)))), 0.9, atol=1e-4)


def test_vertical_and_missing_lines():
    form = lc.line_form(2.0, 0.0, -1.0)
    assert form.vertical and form.x_at == pytest.approx(0.5)
    segment = lc.line_segment(2.0, 0.0, -1.0, 3.0)
    assert segment is not None and {round(p[0], 9) for p in segment} == {0.5}
    assert {p[1] for p in segment} == {-3.0, 3.0}
    assert lc.line_segment(1.0, 1.0, -10.0, 3.0) is None  # x + y = 10 misses the square
    assert lc.line_segment(0.0, 0.0, 1.0, 3.0) is None


# ------------------------------------------------------------------------------------------------------ training
@pytest.mark.parametrize(("optimiser", "lr"), [("sgd", 0.5), ("momentum", 0.1), ("adam", 0.1)])
def test_separable_preset_reaches_full_training_accuracy(optimiser, lr):
    points, labels = ld.make_dataset("separable")
    trainer = lc.train_to(points, labels, lc.TrainConfig(optimiser=optimiser, lr=lr, max_steps=500), 500)
    assert trainer.step == 500 and trainer.done
    assert trainer.history.accuracy[-1] == 1.0
    assert lc.accuracy(*trainer.weights(), points, labels) == 1.0
    assert trainer.history.loss[-1] < 0.5 * trainer.history.loss[0]
    assert len(trainer.history.loss) == 501


def test_training_stops_at_max_steps_and_leaves_the_global_generator_alone():
    points, labels = ld.make_dataset("xor")
    state = torch.random.get_rng_state()
    trainer = lc.Trainer(points, labels, lc.TrainConfig(max_steps=30, seed=3))
    assert trainer.run(100) == 30 and trainer.run(5) == 0
    assert torch.equal(state, torch.random.get_rng_state())
    lm.make_mlp(8, 2, seed=1)
    assert torch.equal(state, torch.random.get_rng_state())


def test_replay_to_a_step_count_is_deterministic():
    points, labels = ld.make_dataset("overlapping", seed=2)
    config = lc.TrainConfig(optimiser="momentum", lr=0.2, schedule="cosine", max_steps=300, seed=2)
    first = lc.train_to(points, labels, config, 137)
    second = lc.train_to(points, labels, config, 137)
    assert first.weights() == second.weights()
    assert first.history.loss == second.history.loss and first.history.theta == second.history.theta
    stepwise = lc.Trainer(points, labels, config)
    for _ in range(137):
        stepwise.run(1)
    assert stepwise.weights() == first.weights()
    other_seed = lc.train_to(points, labels, lc.TrainConfig(**{**config.__dict__, "seed": 3}), 137)
    assert other_seed.weights() != first.weights()


def test_raising_the_step_limit_continues_only_without_annealing():
    points, labels = ld.make_dataset("overlapping")
    short = lc.train_to(points, labels, lc.TrainConfig(max_steps=50), 50)
    short.set_max_steps(80)
    short.run(100)
    assert short.step == 80
    assert short.weights() == lc.train_to(points, labels, lc.TrainConfig(max_steps=300), 80).weights()
    assert lc.run_key(lc.TrainConfig(max_steps=50)) == lc.run_key(lc.TrainConfig(max_steps=300))
    annealed = lc.TrainConfig(schedule="cosine", max_steps=50)
    assert lc.run_key(annealed) != lc.run_key(lc.TrainConfig(schedule="cosine", max_steps=300))
    with pytest.raises(ValueError):
        lc.Trainer(points, labels, annealed).set_max_steps(80)


def test_manual_start_uses_the_slider_values():
    config = lc.TrainConfig(init="manual", theta=math.radians(120), offset=-0.75, sharpness=2.5)
    trainer = lc.Trainer(*ld.make_dataset("xor"), config)
    line = trainer.line()
    assert math.degrees(line.theta) == pytest.approx(120, abs=1e-4)
    assert line.offset == pytest.approx(-0.75, abs=1e-5) and line.sharpness == pytest.approx(2.5, abs=1e-5)


def test_annealing_schedules():
    base, steps = 0.8, 1000
    assert all(lc.annealed_lr(base, s, "none", steps) == base for s in (0, 500, 1000))
    assert lc.annealed_lr(base, 0, "exponential", steps) == base
    assert lc.annealed_lr(base, 200, "exponential", steps) == pytest.approx(base / 2)
    assert lc.annealed_lr(base, 1000, "exponential", steps) == pytest.approx(base / 32)
    assert [lc.annealed_lr(base, s, "step", steps) for s in (0, 499, 500, 749, 750, 999)] == pytest.approx(
        [0.8, 0.8, 0.08, 0.08, 0.008, 0.008])
    assert lc.annealed_lr(base, 0, "cosine", steps) == base
    assert lc.annealed_lr(base, 500, "cosine", steps) == pytest.approx(base / 2)
    assert lc.annealed_lr(base, 1000, "cosine", steps) == pytest.approx(0.0, abs=1e-12)
    for schedule in lc.SCHEDULES:
        values = [lc.annealed_lr(base, s, schedule, steps) for s in range(0, 1001, 50)]
        assert all(a >= b for a, b in itertools.pairwise(values))  # never grows
    with pytest.raises(ValueError):
        lc.annealed_lr(base, 1, "linear", steps)
    trainer = lc.train_to(*ld.make_dataset("separable"), lc.TrainConfig(lr=0.5, schedule="step", max_steps=100), 60)
    assert trainer.history.lr[0] == 0.5 and trainer.history.lr[60] == pytest.approx(0.05)


# ----------------------------------------------------------------------------------------------------- landscape
@pytest.mark.parametrize("sharpness", [0.3, 2.0, 9.0])
def test_vectorised_landscape_equals_the_per_cell_loop(sharpness):
    points, labels = ld.make_dataset("circles", seed=1)
    thetas, offsets = lc.landscape_axes(points, n_theta=24, n_offset=13)
    fast = lc.loss_landscape(points, labels, sharpness, thetas, offsets)
    slow = lc.loss_landscape_loop(points, labels, sharpness, thetas, offsets)
    assert fast.shape == (13, 24)
    np.testing.assert_allclose(fast, slow, atol=1e-5, rtol=1e-6)


def test_landscape_minimum_is_where_training_ends():
    points, labels = ld.make_dataset("overlapping")
    trainer = lc.train_to(points, labels, lc.TrainConfig(optimiser="adam", lr=0.05, max_steps=3000), 3000)
    final = trainer.line()
    thetas, offsets = lc.landscape_axes(points, 121, 121)
    landscape = lc.loss_landscape(points, labels, final.sharpness, thetas, offsets)
    i, j = np.unravel_index(np.argmin(landscape), landscape.shape)
    d_theta = abs(lc.wrap_angle(float(thetas[j]) - final.theta))
    assert d_theta <= 2 * (thetas[1] - thetas[0]) + 1e-6
    assert abs(float(offsets[i]) - final.offset) <= 2 * (offsets[1] - offsets[0]) + 1e-6
    assert landscape.min() == pytest.approx(trainer.history.loss[-1], abs=5e-3)
    minima = lc.local_minima(landscape)
    assert minima and minima[0] == (i, j)  # the global minimum is listed first


def test_local_minima_wrap_around_rotation_and_paths_break_at_the_wrap():
    t = np.linspace(-math.pi, math.pi, 36, endpoint=False)
    o = np.linspace(-2, 2, 21)
    tt, oo = np.meshgrid(t, o)
    bowl = lambda centre_t, centre_o: np.cos(tt - centre_t) * -1 + (oo - centre_o) ** 2
    # one valley two cells left of +π: across the wrap, column 0 is on its slope, not a minimum of its own
    landscape = np.minimum(bowl(t[34], 0.6), bowl(t[9], -1.0) + 0.2)
    minima = lc.local_minima(landscape)
    assert [(round(float(o[i]), 1), j) for i, j in minima] == [(0.6, 34), (-1.0, 9)]
    assert list(lc.path_segments([3.0, 3.1, -3.1, -3.0, 3.1, 3.0])) == [0, 0, 1, 1, 2, 2]
    assert list(lc.path_segments([])) == []


def test_a_frame_holds_consistent_pictures():
    points, labels = ld.make_dataset("xor")
    trainer = lc.train_to(points, labels, lc.TrainConfig(max_steps=50), 20)
    frame = lc.make_frame(trainer, 3.0)
    assert frame.step == 20 and frame.field.shape == (lc.FIELD_CELLS, lc.FIELD_CELLS)
    assert frame.landscape.shape == (lc.LANDSCAPE_CELLS[1], lc.LANDSCAPE_CELLS[0])
    w1, w2, b = frame.weights
    z = w1 * frame.centres[None, :] + w2 * frame.centres[:, None] + b
    np.testing.assert_allclose(frame.field, 1 / (1 + np.exp(-z)), atol=1e-6)
    assert lc.subsample(1000, 10).tolist()[0] == 0 and lc.subsample(1000, 10).tolist()[-1] == 999
    assert lc.view_extent(points) == 3.0 and lc.view_extent(points * 2) > 3.0


# ------------------------------------------------------------------------------------------------- beyond a line
@pytest.fixture(scope="module")
def xor_view() -> lm.MLPView:
    points, labels = ld.make_dataset("xor")
    return lm.mlp_view(points, labels, width=16, depth=1, steps=1000, seed=0, extent=3.0)


def test_the_network_separates_xor(xor_view):
    assert xor_view.accuracy >= 0.95
    assert xor_view.losses[-1] < 0.2 * xor_view.losses[0]
    assert xor_view.contours  # a boundary exists in the input plane
    points, labels = ld.make_dataset("xor")
    line = lc.train_to(points, labels, lc.TrainConfig(optimiser="adam", lr=0.1, max_steps=500), 500)
    assert line.history.accuracy[-1] < 0.75  # where a single line cannot


def test_the_hidden_space_is_split_by_the_output_units_line(xor_view):
    points, labels = ld.make_dataset("xor")
    assert xor_view.hidden.shape == (200, 2) and np.abs(xor_view.hidden).max() < 1
    assert xor_view.hidden_line_accuracy == xor_view.accuracy
    model, _ = lm.train_mlp(points, labels, width=16, depth=1, steps=1000, seed=0)
    hidden = lm.hidden_features(model, points)
    np.testing.assert_allclose(lc.logits(*lm.output_weights(model), hidden), lm.network_logits(model, points),
                               atol=1e-5)
    np.testing.assert_allclose(hidden, xor_view.hidden, atol=1e-6)  # training is deterministic too


def test_network_shapes_and_the_warped_grid():
    model = lm.make_mlp(width=8, depth=3, seed=0)
    widths = [m.out_features for m in model if isinstance(m, torch.nn.Linear)]
    assert widths == [8, 8, 8, 2, 1]
    grid = lm.warped_grid(model, extent=3.0, lines=5, samples=11)
    assert len(grid) == 10 and {g[0] for g in grid} == {"x", "y"}
    direction, value, xy, hidden = grid[0]
    assert np.allclose(xy[:, 0 if direction == "x" else 1], value) and hidden.shape == (11, 2)
    field = lm.network_field(model, lc.grid_centres(3.0, 20))
    assert field.shape == (20, 20) and ((field > 0) & (field < 1)).all()


# ------------------------------------------------------------------------------------ one bowl, sliced into valleys
def test_descent_in_w_and_b_from_many_starts_reaches_one_loss():
    points, labels = ld.make_dataset("overlapping")
    runs = lc.descent_from_many_starts(points, labels, starts=20)
    assert len(runs.final_losses) == 20
    assert np.ptp(runs.start_losses) > 1.0  # the starts really are far apart
    assert np.ptp(runs.final_losses) <= 1e-4  # ... and all end at the same loss: the one minimum
    np.testing.assert_allclose(runs.finals, np.broadcast_to(runs.finals[0], runs.finals.shape), atol=1e-3)
    assert runs.final_losses.max() < runs.start_losses.min()
    np.testing.assert_allclose(runs.final_losses, lc.line_losses(runs.finals, points, labels))
    assert 0.8 < runs.line_accuracy < 1.0  # overlapping: the best line gets most, not all, points right


def test_the_fixed_sharpness_slice_has_several_valleys_where_the_bowl_has_one():
    points, labels = ld.make_dataset("xor")
    runs = lc.descent_from_many_starts(points, labels)
    assert np.ptp(runs.final_losses) <= 1e-4
    thetas, offsets = lc.landscape_axes(points, *lc.LANDSCAPE_CELLS)
    valleys = lc.local_minima(lc.loss_landscape(points, labels, 2.0, thetas, offsets))
    assert len(valleys) >= 2
    summary = lc.landscape_summary(runs.start_losses, runs.final_losses, runs.steps, False, len(valleys), 2.0)
    assert "One bowl, one bottom" in summary and f"**{len(valleys)} valleys**" in summary


def test_line_losses_match_the_trainers_loss():
    points, labels = ld.make_dataset("circles", seed=3)
    trainer = lc.train_to(points, labels, lc.TrainConfig(max_steps=30), 30)
    assert lc.line_losses(np.array([trainer.weights()]), points, labels)[0] == pytest.approx(
        trainer.history.loss[-1], abs=1e-5)


def test_linear_separability_is_checked_not_assumed():
    points, labels = ld.make_dataset("separable", noise=0.2)
    assert lc.linearly_separable(points, labels)
    assert not lc.linearly_separable(*ld.make_dataset("separable", noise=1.0))  # the "separable" preset, overlapping
    assert not lc.linearly_separable(*ld.make_dataset("xor"))
    assert lc.linearly_separable(points[labels == 1], labels[labels == 1])  # one class only
    same_spot = np.array([[0.5, 0.5], [0.5, 0.5]], np.float32)
    assert not lc.linearly_separable(same_spot, np.array([0.0, 1.0], np.float32))
    assert "can be split by a straight line" in lc.separability_note(True)
    assert "No straight line splits these" in lc.separability_note(False)


def test_landscape_summary_follows_its_numbers():
    starts = [2.5, 0.9, 4.0]
    one = lc.landscape_summary(starts, [0.41230, 0.41232, 0.41235], 2000, False, 1, 1.5)
    assert "One bowl, one bottom" in one and "**0.4123**" in one and "starting losses 0.900 … 4.000" in one
    assert "**one valley**" in one and "|w| = 1.50" in one
    apart = lc.landscape_summary(starts, [0.4123, 0.4129, 0.4200], 2000, False, 1, 1.5)
    assert "Not at the bottom yet" in apart and "0.4123 … 0.4200" in apart and "One bowl" not in apart
    no_floor = lc.landscape_summary(starts, [0.0006, 0.0008, 0.0007], 2000, True, 1, 0.5)
    assert "no floor" in no_floor and "0.0006 … 0.0008" in no_floor and "One bowl" not in no_floor
    several = lc.landscape_summary(starts, [0.6929] * 3, 2000, False, 3, 2.0)
    assert "**3 valleys**" in several and "not traps" in several and "**one valley**" not in several
    none = lc.landscape_summary(starts, [0.6929] * 3, 2000, False, 0, 0.001)
    assert "No valley is marked" in none and "valleys**" not in none


# ------------------------------------------------------------------------------------ is the network's boundary bent?
def test_boundary_bend_measures_distance_from_a_straight_line():
    x = np.linspace(-2, 2, 50)
    assert lm.boundary_bend([np.stack([x, 0.5 * x + 1], axis=1)]) == pytest.approx(0, abs=1e-9)
    angle = np.linspace(0, 2 * np.pi, 200)
    assert lm.boundary_bend([np.stack([np.cos(angle), np.sin(angle)], axis=1)]) == pytest.approx(1, abs=0.02)
    assert math.isnan(lm.boundary_bend([]))


def test_network_summary_follows_its_numbers():
    weights = (1.234, -0.001, 0.5)
    curved = lm.network_summary(0.8, 0.1, 1.0, 1.0, 0.5, weights)
    assert "**curved**" in curved and "0.80" in curved and "bending bought 50.0 percentage points" in curved
    assert "the same as the whole network" in curved and "w = (1.23, 0.00), b = 0.50" in curved
    straight = lm.network_summary(0.02, 0.1, 1.0, 1.0, 1.0, weights)
    assert "**straight**" in straight and "curved" not in straight and "bending bought nothing here" in straight
    worse = lm.network_summary(0.3, 0.1, 0.85, 0.845, 0.9, weights)
    assert "the network does worse than the line" in worse and "the same as the whole network" not in worse
    assert "the whole network gets 85.0%" in worse
    nothing = lm.network_summary(math.nan, 0.1, 0.5, 0.5, 0.5, weights)
    assert "no boundary" in nothing and "curved" not in nothing and "straight**" not in nothing


def test_the_network_draws_a_straight_boundary_on_separable_points():
    points, labels = ld.make_dataset("separable")
    view = lm.mlp_view(points, labels, width=16, depth=1, steps=250, seed=0, extent=3.0)
    assert view.boundary_bend <= view.cell
    line = lc.descent_from_many_starts(points, labels).line_accuracy
    text = lm.network_summary(view.boundary_bend, view.cell, view.accuracy, view.hidden_line_accuracy, line,
                              view.weights)
    assert "**straight**" in text and "bending bought nothing here" in text


def test_the_network_bends_its_boundary_on_xor(xor_view):
    assert xor_view.boundary_bend > 5 * xor_view.cell


def test_frames_due_keep_a_playing_run_at_its_pace_on_a_busy_server():
    assert lc.frames_due(None, 0.25) == 1  # the first frame
    assert lc.frames_due(0.1, 0.25) == 1  # drawn on time
    assert lc.frames_due(0.25, 0.25) == 1
    assert lc.frames_due(0.8, 0.25) == 3  # three frames' worth of time passed: three frames' worth of steps
    assert lc.frames_due(60.0, 0.25) == lc.MOST_FRAMES_AT_ONCE  # a stalled moment does not jump to the end
    assert lc.frames_due(60.0, 0.25, most=2) == 2
