"""Unit tests of the linear-classifier lesson's exercises and "What to notice" sentences: every check and answer on a
right answer, a wrong one and an edge case, each exercise judged on facts from real runs, and each sentence fed the
opposite case."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lessons.core.exercises import MissingFacts, judge
from lessons.linear import compute as lc
from lessons.linear import conclusions as cn
from lessons.linear import data as ld
from lessons.linear import exercises as ex
from lessons.linear import mlp as lm

DOWNHILL = [0.70, 0.60, 0.50, 0.45]
SAWTOOTH = [0.70, 0.40, 0.55, 0.35, 0.50, 0.34]  # goes up, never above the start
LATE_CLIMB = [0.7 - 0.001 * t for t in range(301)] + [0.45, 0.6, 0.75, 0.9]  # downhill for 300 steps, then climbs


def _run(preset: str, optimiser: str, lr: float, steps: int) -> dict:
    """The landscape section's facts after a real run on one of the page's data sets (default seed and start)."""
    points, labels = ld.make_dataset(preset)
    trainer = lc.train_to(points, labels, lc.TrainConfig(optimiser=optimiser, lr=lr, max_steps=2000), steps)
    return {"losses": tuple(trainer.history.loss), "optimiser": lc.OPTIMISERS[optimiser], "learning_rate": lr,
            "data_set": ld.PRESET_TITLES[preset]}


# --------------------------------------------------------------------------------------------------- the sigmoid
def test_the_sigmoid_is_exact_and_never_overflows():
    assert cn.sigmoid(0.0) == 0.5 and cn.sigmoid(2.0) == pytest.approx(1 / (1 + math.exp(-2)))
    assert cn.sigmoid(-800.0) == 0.0 and cn.sigmoid(800.0) == 1.0


def test_the_point_on_the_line_gets_fifty_percent():
    assert judge(ex.SIGMOID_ON_THE_LINE, "50 %", {}).correct
    wrong = judge(ex.SIGMOID_ON_THE_LINE, "100 %", {})
    assert not wrong.correct and "arrow's side" in wrong.feedback
    assert not judge(ex.SIGMOID_ON_THE_LINE, "75 %", {}).correct  # not an option


def test_the_probability_at_distance_one_is_read_from_the_starting_line():
    facts = {"start_sharpness": round(lc.params_from_weights(*lc.initial_weights(lc.TrainConfig())).sharpness, 2)}
    assert facts["start_sharpness"] == 0.48  # the default seed's starting line
    assert ex.sigmoid_at_distance(facts) == pytest.approx(1 / (1 + math.exp(-0.48)))
    assert judge(ex.SIGMOID_AT_DISTANCE, 0.618, facts).correct  # right
    assert judge(ex.SIGMOID_AT_DISTANCE, 0.5, facts).feedback == "Too low."  # wrong: that is a point on the line
    assert judge(ex.SIGMOID_AT_DISTANCE, 61.8, facts).feedback == "Too high."  # edge: a percentage, not a fraction
    assert judge(ex.SIGMOID_AT_DISTANCE, 0.6083, facts).correct  # edge: just inside the tolerance
    assert not judge(ex.SIGMOID_AT_DISTANCE, 0.6077, facts).correct  # just outside
    sharper = {"start_sharpness": 4.0}  # another page: the answer follows the page
    assert judge(ex.SIGMOID_AT_DISTANCE, 0.982, sharper).correct and not judge(ex.SIGMOID_AT_DISTANCE, 0.618,
                                                                                 sharper).correct
    with pytest.raises(MissingFacts):
        judge(ex.SIGMOID_AT_DISTANCE, 0.6, {})


def test_the_sigmoid_explanation_quotes_the_sharpness_and_compares_it_with_one():
    assert "σ(0.48)" in ex.explain_sigmoid_at_distance({"start_sharpness": 0.48}) and "blunter" in \
        ex.explain_sigmoid_at_distance({"start_sharpness": 0.48})
    assert "sharper line is surer" in ex.explain_sigmoid_at_distance({"start_sharpness": 3.0})
    assert "σ(1) =" not in ex.explain_sigmoid_at_distance({"start_sharpness": 1.0})


# ----------------------------------------------------------------------------------------- reading a run's loss
def test_a_run_is_read_whole():
    assert cn.read_descent([0.7]).steps == 0 and not cn.read_descent([0.7]).above_start
    down = cn.read_descent(DOWNHILL)
    assert (down.steps, down.rises, down.first_rise, down.above_start, down.end) == (3, 0, None, False, 0.45)
    saw = cn.read_descent(SAWTOOTH)
    assert (saw.rises, saw.first_rise, saw.above_start, saw.highest, saw.highest_step) == (2, 2, False, 0.55, 2)
    late = cn.read_descent(LATE_CLIMB)
    assert late.first_above == 303 and late.highest_step == 304 and late.above_start
    rounding = cn.read_descent([0.5, 0.4, 0.4 + 1e-7, 0.4, 0.4 + 2e-7])  # float32 rounding is no rise
    assert rounding.rises == 0 and not rounding.above_start
    assert cn.read_descent([0.5, 0.5 + 5e-4]).rises == 1 and not cn.read_descent([0.5, 0.5 + 5e-4]).above_start
    blown = cn.read_descent([0.5, 0.4, float("nan")])
    assert blown.above_start and blown.highest == math.inf and blown.first_above == 2
    with pytest.raises(ValueError):
        cn.read_descent([])


def test_the_climb_task_takes_any_step_of_the_whole_run():
    climb = ex.check_climbed_above_start({"losses": (0.7, 0.9, 0.8), "optimiser": "Adam", "learning_rate": 2.0})
    assert climb.correct and "step 1" in climb.feedback and "Adam, learning rate 2" in climb.feedback
    late = ex.check_climbed_above_start({"losses": LATE_CLIMB})  # edge: it climbs only after 300 steps
    assert late.correct and "step 303" in late.feedback
    saw = ex.check_climbed_above_start({"losses": SAWTOOTH})
    assert not saw.correct and "went up at 2 of the 5 steps" in saw.feedback and "never climbed above" in saw.feedback
    down = ex.check_climbed_above_start({"losses": DOWNHILL})
    assert not down.correct and "All 3 steps went downhill" in down.feedback
    none = ex.check_climbed_above_start({"losses": (0.7,)})
    assert not none.correct and "No step taken yet" in none.feedback
    assert ex.check_climbed_above_start({"losses": (0.7, 0.6, math.inf)}).correct  # an overflow is a climb


def test_the_climb_task_on_real_runs():
    """XOR with plain SGD at 10 climbs at once; the page's own "Try lr = 10" run saw-tooths below its start; the
    default settings only go downhill."""
    xor = _run("xor", "sgd", 10.0, 1)
    assert judge(ex.CLIMB_ABOVE_START, None, xor).correct
    big_step = judge(ex.CLIMB_ABOVE_START, None, _run("overlapping", "momentum", 10.0, 300))
    assert not big_step.correct and "went up at" in big_step.feedback
    default = judge(ex.CLIMB_ABOVE_START, None, _run("separable", "sgd", 0.5, 100))
    assert not default.correct and "All 100 steps went downhill" in default.feedback
    with pytest.raises(MissingFacts):
        judge(ex.CLIMB_ABOVE_START, None, {})


@pytest.mark.parametrize("optimiser", list(lc.OPTIMISERS))
def test_at_the_largest_learning_rate_each_step_moves_the_line_a_bounded_distance(optimiser):
    """What the explanation says instead of the textbook's divergence: the loss climbs, the steps stay bounded
    (SGD: at most lr × (mean |x| + 1); momentum: ten times that; Adam: about lr in each number), so it cannot
    explode."""
    points, labels = ld.make_dataset("xor")
    trainer = lc.train_to(points, labels, lc.TrainConfig(optimiser=optimiser, lr=10.0, max_steps=500), 500)
    run = lc.trajectory_columns(trainer.history)
    moves = np.linalg.norm(np.diff(np.stack([run["w1"], run["w2"], run["b"]], axis=1), axis=0), axis=1)
    slope_bound = float(np.linalg.norm(points, axis=1).mean()) + 1.0
    bound = {"sgd": 10.0 * slope_bound, "momentum": 10.0 * slope_bound / (1 - lc.MOMENTUM), "adam": 10.0 * 3 ** 0.5}
    assert moves.max() <= bound[optimiser] * 1.01
    assert np.all(np.isfinite(run["loss"])) and cn.read_descent(run["loss"]).above_start


def test_the_climb_explanation_says_how_it_differs_from_the_textbook_and_quotes_the_run():
    text = ex.explain_climb({"losses": (0.7, 0.9, 0.8)})
    assert "milder than the textbook" in text and "started at 0.7000, was highest at 0.9000 (step 1)" in text
    assert "In the run on the page now" not in ex.explain_climb({"losses": (0.7,)})


def test_the_descent_notice_follows_the_run():
    assert "No step taken yet" in cn.descent_notice([0.7])
    assert "went **downhill**" in cn.descent_notice(DOWNHILL) and "went **up**" not in cn.descent_notice(DOWNHILL)
    assert "The only step so far went **downhill**" in cn.descent_notice([0.7, 0.6])
    saw = cn.descent_notice(SAWTOOTH)
    assert "went **up** at 2 of the 5 steps" in saw and "never climbed above its start" in saw
    assert "that step overshot" in cn.descent_notice([0.7, 0.5, 0.6])
    late = cn.descent_notice(LATE_CLIMB)
    assert "climbed **above where it started**" in late and "0.9000 at step 304" in late
    assert "overflowed" in cn.descent_notice([0.7, math.inf])


# ------------------------------------------------------------------------------------------- the small network
def _network(preset: str = "spiral", edited: bool = False, width: int = 2, depth: int = 1, accuracy: float = 0.73,
             line: float = 0.68) -> dict:
    return cn.network_facts(preset, edited, width, depth, 1000, 21, accuracy, line, accuracy)


def test_the_experiment_is_the_unedited_spirals_at_width_two():
    assert _network()["narrow_spirals"] == 0.73
    assert _network(width=4)["narrow_spirals"] is None
    assert _network(preset="xor")["narrow_spirals"] is None
    assert _network(edited=True)["narrow_spirals"] is None
    assert cn.architecture(2, 3) == lm.architecture(2, 3) == "2 → 2 → 2 → 2 → 2 → 1"


def test_the_prediction_is_judged_on_the_measured_accuracy():
    assert ex.narrow_spirals_outcome(_network(accuracy=0.73, line=0.68)) == ex.BETTER_THAN_A_LINE
    assert ex.narrow_spirals_outcome(_network(accuracy=0.99)) == ex.SEPARATES  # edge: exactly 99 %
    assert ex.narrow_spirals_outcome(_network(accuracy=0.68, line=0.68)) == ex.NO_BETTER  # edge: a tie is no gain
    right = judge(ex.NARROW_SPIRALS, ex.BETTER_THAN_A_LINE, _network())
    assert right.correct and "matches what the page measured" in right.feedback
    wrong = judge(ex.NARROW_SPIRALS, ex.SEPARATES, _network())
    assert not wrong.correct and ex.BETTER_THAN_A_LINE in wrong.feedback
    with pytest.raises(MissingFacts):  # the page does not show the experiment: not judged yet
        judge(ex.NARROW_SPIRALS, ex.SEPARATES, _network(width=16))


def test_the_prediction_on_a_real_width_two_network():
    points, labels = ld.make_dataset("spiral")
    view = lm.mlp_view(points, labels, 2, 1, 250, 0, lc.view_extent(points))
    line = lc.descent_from_many_starts(points, labels).line_accuracy
    facts = cn.network_facts("spiral", False, 2, 1, 250, view.parameters, view.accuracy, line,
                             view.hidden_line_accuracy)
    assert facts["narrow_spirals"] < cn.SEPARATED  # measured: about 70 % against the line's 68 %
    verdict = judge(ex.NARROW_SPIRALS, ex.narrow_spirals_outcome(facts), facts)
    assert verdict.correct and f"{view.accuracy:.1%}" in ex.explain_narrow_spirals(facts)


def test_the_prediction_explanation_follows_the_outcome():
    assert "beats the line" in ex.explain_narrow_spirals(_network(accuracy=0.73, line=0.68))
    assert "Even so" in ex.explain_narrow_spirals(_network(accuracy=1.0))
    assert "bought nothing" in ex.explain_narrow_spirals(_network(accuracy=0.6, line=0.68))
    assert "**73.0%**" in ex.explain_narrow_spirals(_network()) and "cannot fold" in ex.explain_narrow_spirals(
        _network())


def test_the_untangling_task_needs_the_spirals_as_generated_at_ninety_nine_percent():
    right = ex.check_untangled_spirals(_network(width=16, accuracy=1.0))
    assert right.correct and "2 → 16 → 2 → 1" in right.feedback and "100.0%" in right.feedback
    wrong = ex.check_untangled_spirals(_network(width=2, accuracy=0.73))
    assert not wrong.correct and "not yet 99%" in wrong.feedback
    assert ex.check_untangled_spirals(_network(width=4, accuracy=0.99)).correct  # edge: exactly 99 %
    other = ex.check_untangled_spirals(_network(preset="circles", width=16, accuracy=1.0))
    assert not other.correct and "Two spirals" in other.feedback  # edge: 100 % on easier data does not count
    edited = ex.check_untangled_spirals(_network(edited=True, width=16, accuracy=1.0))
    assert not edited.correct and "Reset points" in edited.feedback
    assert judge(ex.UNTANGLE_SPIRALS, None, _network(width=16, accuracy=1.0)).correct
    assert "gets 100.0% of the spiral points" in ex.explain_untangled(_network(width=16, accuracy=1.0))
    assert "On the page now" not in ex.explain_untangled(_network(preset="xor"))


def test_the_warp_notice_follows_the_accuracies():
    better = cn.warp_notice(0.95, 0.68)
    assert "**95.0%**" in better and "68.0%" in better and "a line does better" in better
    solved = cn.warp_notice(1.0, 1.0)
    assert "already got every point right" in solved and "does better" not in solved
    worse = cn.warp_notice(0.6, 0.68)
    assert "did not help a line" in worse and "does better" not in worse


# ------------------------------------------------------------------------------------------------ the declaration
def test_the_lesson_declares_every_kind_at_its_sections():
    declared = ex.EXERCISES
    assert declared.lesson == "linear_classifier" and 3 <= len(declared.exercises) <= 6
    assert {e.kind for e in declared.exercises} == {"choice", "numeric", "task", "predict"}
    assert [e.id for e in declared.at("network")] == ["linear.narrow_spirals", "linear.untangle_spirals"]
    assert declared.by_id("linear.diverge").section == "landscape"
    assert all(e.id.startswith("linear.") and e.explanation and e.hints for e in declared.exercises)
    assert all(o.feedback for e in declared.exercises for o in e.options)


@pytest.mark.parametrize("exercise_id, response, facts", [
    ("linear.sigmoid_on_line", "50 %", {}),
    ("linear.sigmoid_at_distance", 0.618, {"start_sharpness": 0.48}),
    ("linear.diverge", None, {"losses": (0.73, 0.83, 1.04), "optimiser": "Gradient descent (SGD)",
                              "learning_rate": 10.0, "data_set": "XOR (four corners)"}),
    ("linear.narrow_spirals", ex.BETTER_THAN_A_LINE, _network()),
    ("linear.untangle_spirals", None, _network(width=16, accuracy=1.0)),
])
def test_each_exercise_is_judged_right_and_explained_on_realistic_facts(exercise_id, response, facts):
    exercise = ex.EXERCISES.by_id(exercise_id)
    assert judge(exercise, response, facts).correct
    assert exercise.explain(facts)
    assert exercise.prompt
