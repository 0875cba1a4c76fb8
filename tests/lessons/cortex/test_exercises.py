"""The mouse-cortex lesson's exercises: every answer and check function on a right answer, a wrong one and an edge
case; the facts the page builds from a real run; `judge` on each exercise with those facts; the notices flip."""

from __future__ import annotations

import numpy as np
import pytest

from lessons.core import chance
from lessons.core.exercises import MissingFacts, judge
from lessons.cortex import conclusions, facts, pipeline, simulated
from lessons.cortex import exercises as ex


# ------------------------------------------------------------------------------------------------- facts by hand
def _results(index: int = 6, n: int = 20, depths=(0.3,) * 9 + (0.4,), above: bool = True) -> dict:
    return {"simulated": True, "network": "EfficientNet-Lite0 (ImageNet) (simulated)", "n_layers": n,
            "model_layer": "blocks.7", "model_score": 0.07, "chance": -0.031, "chance_95": -0.01, "p_value": 0.048,
            "above_chance": above, "shuffles": 20, "visp_peak_layer": f"layer{index}", "visp_peak_index": index,
            "visp_peak_score": 0.042, "visp_peak_depths": np.asarray(depths)}


def _training(low: float, high: float, trained_above: bool = True, random_above: bool = True) -> dict:
    return {"trained_score": 0.07, "random_score": 0.035, "trained_above_chance": trained_above,
            "random_above_chance": random_above, "difference_mean": (low + high) / 2, "difference_low": low,
            "difference_high": high, "difference_cells": 250}


def _neuron(area: str = "VISp", score: float = 0.3, best: float | None = 0.49) -> dict:
    found = {"view_cell": "700000584", "view_area": area, "view_layer": "blocks.5", "view_score": score,
             "view_reliability": 0.98}
    if best is not None:
        found.update(visp_best_score=best, visp_best_cell="700000839", visp_best_layer="blocks.14")
    return found


# -------------------------------------------------------------------------------------------- which layer?
@pytest.mark.parametrize(("index", "n", "third"), [
    (0, 20, ex.EARLY), (6, 20, ex.EARLY), (7, 20, ex.MIDDLE), (12, 20, ex.MIDDLE), (13, 20, ex.LATE),
    (19, 20, ex.LATE), (0, 1, ex.EARLY), (1, 3, ex.MIDDLE)])
def test_a_layer_falls_in_the_third_of_its_relative_depth(index, n, third):
    assert ex.third_of_layer(index, n) == third


def test_the_visp_prediction_is_the_third_where_its_curve_peaks():
    assert ex.visp_third(_results(6)) == ex.EARLY  # 6 / 19 = 0.32: the last early layer
    assert ex.visp_third(_results(7)) == ex.MIDDLE
    assert judge(ex.VISP_LAYER, ex.EARLY, _results(6)).correct
    wrong = judge(ex.VISP_LAYER, ex.MIDDLE, _results(6))
    assert not wrong.correct and "Early layers" in wrong.feedback
    assert judge(ex.VISP_LAYER, ex.LATE, _results(17)).correct


def test_the_visp_explanation_says_how_sure_and_when_it_differs_from_the_textbook():
    settled = ex.visp_explanation(_results(6, depths=[0.3] * 10))
    assert "settled" in settled and "not settled" not in settled and "agrees" in settled
    unsettled = ex.visp_explanation(_results(6, depths=[0.3] * 5 + [0.4] * 5))
    assert "only 50%" in unsettled and "not settled" in unsettled
    assert "differs from that textbook" in ex.visp_explanation(_results(9, depths=[0.5]))
    assert "differs from both" in ex.visp_explanation(_results(18, depths=[0.9]))
    assert "does not beat chance" in ex.visp_explanation(_results(6, above=False))
    assert "simulated" in settled
    assert ex.share_in_third([], ex.EARLY) == 0.0  # no bootstrap: never called settled


def test_the_visp_prediction_waits_for_the_scores():
    assert not ex.VISP_LAYER.ready({})
    with pytest.raises(MissingFacts):
        judge(ex.VISP_LAYER, ex.EARLY, {"n_layers": 20})


# ------------------------------------------------------------------------------------------------- chance
def test_the_shuffled_null_is_the_same_pipeline_on_shuffled_images():
    right = ex.SHUFFLED_NULL.correct
    assert judge(ex.SHUFFLED_NULL, right, _results()).correct
    for label in ex.SHUFFLED_NULL.labels:
        if label != right:
            verdict = judge(ex.SHUFFLED_NULL, label, _results())
            assert not verdict.correct and verdict.feedback.startswith("No")
    text = ex.chance_explanation(_results())
    assert "-0.031" in text and "above chance" in text and "+0.101" in text
    assert "no better than chance" in ex.chance_explanation(_results(above=False))


# ------------------------------------------------------------------------------------ trained against random
def test_trained_against_random_reads_the_interval_of_the_difference():
    assert ex.training_answer(_training(0.025, 0.046)) == ex.TRAINED
    assert ex.training_answer(_training(-0.04, -0.01)) == ex.RANDOM
    assert ex.training_answer(_training(-0.01, 0.02)) == ex.CANT_TELL
    # neither beats chance: the comparison says nothing, whatever the interval
    assert ex.training_answer(_training(0.025, 0.046, False, False)) == ex.CANT_TELL
    assert ex.training_answer(_training(0.0, 0.02)) == ex.CANT_TELL  # an interval touching zero
    assert judge(ex.TRAINED_VS_RANDOM, ex.TRAINED, _training(0.025, 0.046)).correct
    assert not judge(ex.TRAINED_VS_RANDOM, ex.CANT_TELL, _training(0.025, 0.046)).correct
    assert "agrees" in ex.training_explanation(_training(0.025, 0.046))
    assert "unlike the papers" in ex.training_explanation(_training(-0.04, -0.01))
    assert "can't tell" in ex.training_explanation(_training(-0.01, 0.02))
    assert "Neither beats chance" in ex.training_explanation(_training(0.02, 0.04, False, False))


def test_the_training_prediction_can_be_committed_before_the_twin_is_scored():
    assert not ex.TRAINED_VS_RANDOM.ready({})
    assert ex.TRAINED_VS_RANDOM.ready(_training(0.01, 0.02))


# ------------------------------------------------------------------------------------------------- ceiling
def test_the_ceiling_is_visp_s_mean_reliability_within_a_hundredth():
    found = {"visp_ceiling": 0.561, "visp_own_best": 0.087}
    assert ex.ceiling_answer(found) == pytest.approx(0.561)
    assert judge(ex.VISP_CEILING, 0.56, found).correct
    assert judge(ex.VISP_CEILING, 0.571, found).correct  # the edge of the tolerance
    assert judge(ex.VISP_CEILING, 0.087, found).feedback == "Too low."
    assert judge(ex.VISP_CEILING, 1.0, found).feedback == "Too high."
    assert "16%" in ex.ceiling_explanation(found) and "simulated VISp cells" in ex.ceiling_explanation(found)
    assert "simulated" not in ex.ceiling_explanation({**found, "simulated": False})
    assert "%" not in ex.ceiling_explanation({"visp_ceiling": 0.0, "visp_own_best": 0.01})


# ----------------------------------------------------------------------------------------------- the task
def test_a_visp_cell_at_or_above_the_target_is_accepted():
    assert ex.visp_cell_check(_neuron(score=0.3)).correct
    assert ex.visp_cell_check(_neuron(score=ex.CELL_TARGET)).correct  # exactly the target counts


def test_a_cell_below_the_target_or_of_another_area_is_not():
    low = ex.visp_cell_check(_neuron(score=0.1))
    assert not low.correct and "does reach it" in low.feedback
    other = ex.visp_cell_check(_neuron(area="VISam", score=0.7))
    assert not other.correct and "VISam" in other.feedback
    # data where no VISp cell can reach the target says so, instead of sending the student searching
    hopeless = ex.visp_cell_check(_neuron(score=0.1, best=0.2))
    assert not hopeless.correct and "No scored VISp cell reaches" in hopeless.feedback
    assert "No scored VISp cell" in ex.visp_cell_check(_neuron(score=0.1, best=None)).feedback
    assert "700000839" in ex.visp_cell_explanation(_neuron())


# ----------------------------------------------------------------------------------------------- the lesson
def test_the_lesson_mixes_kinds_and_places_every_exercise_at_a_declared_section():
    declared = ex.EXERCISES
    assert declared.lesson == "mouse_cortex"
    assert {e.kind for e in declared.exercises} == {"predict", "choice", "numeric", "task"}
    assert all(e.id.startswith("cortex.") and e.section in declared.sections for e in declared.exercises)
    assert all(o.feedback for e in declared.exercises for o in e.options)


# ------------------------------------------------------------------------------- realistic facts, from a real run
@pytest.fixture(scope="module")
def run():
    bundle = simulated.load_or_build()
    scored = {w: pipeline.score_subset(bundle, "efficientnet_lite0", w, 250)[1] for w in ("pretrained", "random")}
    return bundle, scored


def test_every_exercise_is_judged_on_the_facts_the_page_builds(run):
    bundle, scored = run
    pre, rnd = scored["pretrained"], scored["random"]
    results = facts.results_facts(pre, "EfficientNet-Lite0 (simulated)", bundle.simulated)
    assert results["visp_peak_layer"] == pre.best_layer_by_area()["VISp"]
    assert results["model_score"] == pre.model_score()[1] and results["above_chance"]
    peak = ex.visp_third(results)
    assert judge(ex.VISP_LAYER, peak, results).correct
    assert judge(ex.SHUFFLED_NULL, ex.SHUFFLED_NULL.correct, results).correct
    assert "simulated" in ex.visp_explanation(results)

    difference = conclusions.paired_difference(pre.score[pre.model_layer_index()], rnd.score[rnd.model_layer_index()])
    training = facts.training_facts(pre, rnd, difference)
    assert judge(ex.TRAINED_VS_RANDOM, ex.training_answer(training), training).correct

    ceiling = facts.ceiling_facts(pre.area_summary(), bundle.simulated)
    assert judge(ex.VISP_CEILING, round(ceiling["visp_ceiling"], 2), ceiling).correct

    table = pre.cell_table()
    visp = table[table["cortical_area"] == "VISp"]
    best_cell = str(visp["cell_specimen_id"].iloc[int(np.argmax(visp["score"]))])
    best_layer = visp["best_layer"].iloc[int(np.argmax(visp["score"]))]
    neuron = facts.neuron_facts(pre, table, best_cell, best_layer, True)
    assert neuron["visp_best_cell"] == best_cell and neuron["view_score"] == neuron["visp_best_score"]
    assert judge(ex.VISP_CELL, None, neuron).correct
    other = str(table["cell_specimen_id"][table["cortical_area"] != "VISp"].iloc[0])
    assert not judge(ex.VISP_CELL, None, facts.neuron_facts(pre, table, other, best_layer, True)).correct


def test_without_visp_cells_the_visp_facts_are_missing(run):
    _, scored = run
    summary = scored["pretrained"].area_summary()
    assert facts.ceiling_facts(summary[summary["area"] != "VISp"], True) == {"simulated": True}


# -------------------------------------------------------------------------------------------------- notices
def test_the_chance_notice_flips_with_the_verdict():
    above = chance.verdict(0.07, np.full(20, -0.03) + np.linspace(0, 0.01, 20))
    text = conclusions.chance_notice(0.07, above, simulated=True)
    assert "not from zero" in text and "simulated" in text and "0.095" in text
    below = chance.verdict(-0.02, np.linspace(-0.05, 0.0, 20))
    assert "shows noise" in conclusions.chance_notice(-0.02, below)


def test_the_ceiling_notice_flips_with_the_share_of_the_ceiling_reached():
    low = conclusions.ceiling_notice(np.array([0.1, 0.2, np.nan, 0.15]), simulated=True)
    assert "at most 15%" in low and "3 simulated cells" in low and "not explained yet" in low
    assert "close to the ceiling" in conclusions.ceiling_notice(np.array([0.9, 0.85, 0.95]))
    assert "More than half" in conclusions.ceiling_notice(np.array([0.6, 0.55]))
    assert "No cells" in conclusions.ceiling_notice(np.array([np.nan]))
