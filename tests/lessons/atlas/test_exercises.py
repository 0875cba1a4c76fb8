"""The activation-atlas lesson's exercises and "What to notice" sentences, on constructed facts and a tiny atlas: each
check and answer on a right answer, a wrong one and an edge case, and `judge` on every exercise with realistic facts."""

from __future__ import annotations

import numpy as np
import pytest

from lessons.atlas import compute as atlas
from lessons.atlas import exercises as ex
from lessons.atlas import pipeline as atlas_pipeline
from lessons.core.exercises import MissingFacts, judge
from tests.lessons.atlas.test_views import _atlas

#: The chosen cell of a photo atlas and the task's target, as section 2 hands them over.
INSPECT = {"cell_class": 38, "cell_name": "banded gecko", "cell_probability": 0.91, "target_class": 38,
           "target_name": "banded gecko", "target_count": 3, "kept": 24}


def test_the_lesson_declares_three_to_six_exercises_of_mixed_kinds_at_its_sections():
    lesson = ex.EXERCISES
    assert lesson.lesson == "activation_atlas" and 3 <= len(lesson.exercises) <= 6
    assert {e.kind for e in lesson.exercises} == {"numeric", "task", "predict", "choice"}
    assert all(e.id.startswith("atlas.") and e.section in lesson.sections for e in lesson.exercises)
    assert 3 <= len(lesson.takeaways) <= 5 and lesson.minutes > 0
    for e in lesson.exercises:
        assert len(e.hints) >= 1 and e.explanation
        assert all(o.feedback for o in e.options)


# ------------------------------------------------------------------------------------------ blank cells
def test_the_blank_percentage_counts_the_cells_without_an_icon():
    assert ex.without_icon_percent({"grid": 10, "kept": 37}) == pytest.approx(63.0)
    assert ex.without_icon_percent({"grid": 8, "kept": 64}) == 0.0  # edge: every cell has an icon
    facts = {"grid": 8, "kept": 24}
    assert judge(ex.BLANK_CELLS, 62.5, facts).correct and judge(ex.BLANK_CELLS, 62, facts).correct
    assert judge(ex.BLANK_CELLS, 63.4, facts).correct
    wrong = judge(ex.BLANK_CELLS, 37.5, facts)  # the share WITH an icon
    assert not wrong.correct and wrong.feedback == "Too low."
    assert "40 of the 64 cells (62 %)" in ex.BLANK_CELLS.explain(facts)
    with pytest.raises(MissingFacts):
        judge(ex.BLANK_CELLS, 50, {"grid": 8})


# ------------------------------------------------------------------------------------------ find a cell
def test_a_cell_read_as_the_target_is_found():
    verdict = ex.reads_as_target(INSPECT)
    assert verdict.correct and "banded gecko (91%)" in verdict.feedback
    assert judge(ex.FIND_CELL, None, INSPECT).correct
    assert "3 of the 24 icons" in ex.FIND_CELL.explain(INSPECT)


def test_a_cell_read_as_another_class_is_not_found_and_says_how_many_are():
    other = {**INSPECT, "cell_class": 973, "cell_name": "coral reef", "cell_probability": 0.4}
    verdict = ex.reads_as_target(other)
    assert not verdict.correct and "coral reef (40%), not banded gecko" in verdict.feedback
    assert "3 of the 24 icons are read as banded gecko" in verdict.feedback


def test_a_cell_whose_name_matches_but_whose_class_differs_is_not_found():
    # ImageNet repeats some names (two classes are called "crane"): the class index decides, not the name
    twin = {**INSPECT, "cell_class": 134, "cell_name": "crane", "target_class": 517, "target_name": "crane"}
    assert not ex.reads_as_target(twin).correct
    with pytest.raises(MissingFacts):
        judge(ex.FIND_CELL, None, {**INSPECT, "target_class": None})


def test_the_target_is_the_class_most_icons_are_read_as_ties_going_to_the_surer_reading():
    readings = np.array([5, 7, 7, 2, 5, 9])
    sure = np.array([0.9, 0.3, 0.4, 0.8, 0.8, 0.99])
    assert atlas_pipeline.icon_target(readings, sure) == 5  # 5 and 7 both twice; 5 read at 85% on average
    assert atlas_pipeline.icon_target(readings, np.full(6, 0.5)) == 5  # a full tie: the lower class index
    assert atlas_pipeline.icon_target(np.array([3]), np.array([0.2])) == 3  # edge: one icon
    with pytest.raises(ValueError):
        atlas_pipeline.icon_target(np.array([], int), np.array([]))


def test_agreeing_icons_counts_readings_equal_to_the_strongest_class():
    result = _atlas(np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 0.5], [0.1, 0.0, 0.3]]))
    assert atlas_pipeline.agreeing_icons(result, np.array([0, 1, 0])) == 2
    assert atlas_pipeline.agreeing_icons(result, np.array([2, 2, 1])) == 0
    assert atlas_pipeline.agreeing_icons(result, np.array([], int)) == 0


# ------------------------------------------------------------------------------------------ where a class lives
def test_the_region_option_follows_the_sizes_the_page_computes():
    assert ex.region_option([]) == ex.NOWHERE
    assert ex.region_option([6]) == ex.ONE_REGION
    assert ex.region_option([4, 1, 1]) == ex.SEVERAL_REGIONS
    kept = np.array([[0, 0], [0, 1], [2, 2], [3, 3]])
    sizes = atlas.class_regions(np.array([1.0, 0.9, 0.8, 0.1]), kept, 4)
    assert sizes == [2, 1] and ex.region_option(sizes) == ex.SEVERAL_REGIONS


def test_the_region_prediction_is_judged_on_the_highlighted_class():
    several = {"class_name": "digit 1", "regions": [5, 2]}
    assert judge(ex.CLASS_REGIONS, ex.SEVERAL_REGIONS, several).correct
    wrong = judge(ex.CLASS_REGIONS, ex.ONE_REGION, several)
    assert not wrong.correct and ex.SEVERAL_REGIONS in wrong.feedback
    assert "form 2 separate regions (5, 2 cells), as the usual expectation goes" in ex.CLASS_REGIONS.explain(several)
    one = {"class_name": "digit 1", "regions": [7]}
    assert judge(ex.CLASS_REGIONS, ex.ONE_REGION, one).correct
    assert "does not hold for this class here" in ex.CLASS_REGIONS.explain(one)
    assert "No cell of this atlas raises" in ex.CLASS_REGIONS.explain({"class_name": "tench", "regions": []})
    assert not ex.CLASS_REGIONS.ready({"class_name": "tench"})


# ------------------------------------------------------------------------------------------ what the atlas hides
def test_the_hides_question_has_one_right_option_and_feedback_on_every_option():
    verdicts = {label: judge(ex.WHAT_IT_HIDES, label, {}) for label in ex.WHAT_IT_HIDES.labels}
    assert [label for label, v in verdicts.items() if v.correct] == [ex.COMPOSITION]
    assert all(v.feedback == ex.WHAT_IT_HIDES.option(label).feedback for label, v in verdicts.items())


# ------------------------------------------------------------------------------------------ what to notice
def test_the_spread_notice_flips_between_clumps_and_an_even_spread():
    clumped = np.zeros((4, 4), int)
    clumped[0, 0], clumped[0, 1], clumped[3, 3] = 30, 8, 2
    text = atlas.spread_notice(clumped, kept=2, min_count=5)
    assert "holds **30** points, 12.0× the 2.5" in text and "14 cells hold fewer than 5 points and get no icon (13 of them hold none at all)" in text
    assert "gathers similar activations into clumps" in text
    even = np.full((4, 4), 5)
    even[0, 0] = 9
    text = atlas.spread_notice(even, kept=16, min_count=5)
    assert "spread fairly evenly" in text and "clumps" not in text and "0 cells hold fewer than 5 points" in text


def test_the_icon_notice_flips_between_agreement_and_difference():
    names = ["tench", "goldfish", "shark"]
    agree = atlas.icon_notice(names, 1, 0.8, 1, 5, 12)
    assert "read by the network as **goldfish** (80%)" in agree and "Here the two agree." in agree
    assert "5 of 12 icons" in agree and "They differ" not in agree
    differ = atlas.icon_notice(names, 2, 0.35, 0, 0, 12)
    assert "They differ" in differ and "agree." not in differ and "0 of 12 icons" in differ


def test_icon_readings_read_pictures_as_the_whole_network_does(digits):
    from lessons.core import data

    images, labels = data.mnist_digits()
    pictures = images[:40].reshape(-1, 28, 28, 1).astype(np.float32) / 255.0
    classes, probabilities = atlas.icon_readings(digits, pictures, batch=16)  # three batches
    assert classes.shape == probabilities.shape == (40,) and classes.dtype == np.int64
    assert (classes == labels[:40]).mean() >= 0.9 and np.all((probabilities > 0.1) & (probabilities <= 1.0))
    empty = atlas.icon_readings(digits, pictures[:0])
    assert empty[0].shape == (0,) and empty[1].shape == (0,)


def test_the_inspect_facts_judge_the_find_cell_task_on_the_chosen_cell():
    result = _atlas(np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 0.5], [0.1, 0.0, 0.3]]))
    readings, sure = np.array([0, 1, 1]), np.array([0.9, 0.6, 0.7])
    names = ["coffee mug", "rocket", "gravel"]
    missed = atlas_pipeline.inspect_facts(result, 0, readings, sure, names)
    assert missed == {"cell_class": 0, "cell_name": "coffee mug", "cell_probability": pytest.approx(0.9),
                      "target_class": 1, "target_name": "rocket", "target_count": 2, "kept": 3}
    assert not judge(ex.FIND_CELL, None, missed).correct
    assert judge(ex.FIND_CELL, None, atlas_pipeline.inspect_facts(result, 2, readings, sure, names)).correct
