"""The attribution lesson's exercises: every check and answer function on a right answer, a wrong one and an edge case;
`judge` on each exercise with facts like the page's; the facts the page builds; the "What to notice" sentences, each
fed the opposite case."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from lessons.attribution import compute as attribution
from lessons.attribution import conclusions
from lessons.attribution import exercises as ex
from lessons.core import preprocess
from lessons.core.exercises import SUMMARY, MissingFacts, judge
from lessons.exercises import MODULES

#: Facts as the page builds them, with numbers measured on EfficientNet-Lite0 and the coffee photo (defaults).
METHODS_FACTS = {"ig_score": 12.46, "ig_baseline_score": 1.47, "ig_sum": 10.79, "ig_gap": -0.207, "ig_steps": 32,
                 "ig_baseline": "black"}
AREAS = {"Integrated gradients": 0.089, "Random map (reference)": 0.134, "Saliency (SmoothGrad)": 0.169,
         "Occlusion": 0.179, "Grad-CAM": 0.27}
DELETION_FACTS = {"deletion_areas": AREAS, "constant_maps": (), "cam_layer": "head", "baseline": "black"}
CORRELATIONS = {"saliency": {"random_classifier": 0.68, "random": 0.28},
                "gradcam": {"random_classifier": -0.2, "random": 0.48},
                "integrated_gradients": {"random_classifier": 0.17, "random": -0.0},
                "occlusion": {"random_classifier": -0.3, "random": -0.08}}


def _attributions(completeness: attribution.Completeness | None = None) -> list[attribution.Attribution]:
    return [attribution.Attribution(method, np.eye(4, dtype=np.float32), 0.1, "",
                                    completeness if method == "integrated_gradients" else None)
            for method in attribution.METHODS]


# ----------------------------------------------------------------------------------------------- the declaration
def test_the_lesson_declares_every_kind_in_its_sections_and_the_module_loads_no_torch():
    assert MODULES["attribution"] == "lessons.attribution.exercises"
    lesson = ex.EXERCISES
    assert lesson.lesson == "attribution" and 3 <= len(lesson.exercises) <= 6 and 3 <= len(lesson.takeaways) <= 5
    assert {e.kind for e in lesson.exercises} == {"choice", "numeric", "predict", "task"}
    assert all(e.id.startswith("attribution.") for e in lesson.exercises)
    assert {e.section for e in lesson.exercises} <= set(lesson.sections) | {SUMMARY}
    assert all(e.hints and e.explanation for e in lesson.exercises)
    code = "import sys, lessons.attribution.exercises; print(sorted({'torch', 'streamlit'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_titles_and_thresholds_are_the_ones_the_page_computes_with():
    assert (ex.SALIENCY, ex.GRADCAM, ex.IG, ex.OCCLUSION) == tuple(attribution.METHOD_TITLES.values())
    assert ex.RANDOM_MAP == attribution.RANDOM_MAP_TITLE
    assert ex.FASTEST_DROP.labels == (*attribution.METHOD_TITLES.values(), attribution.RANDOM_MAP_TITLE)
    assert (ex.CHANGED_A_LOT_BELOW, ex.BARELY_CHANGED_FROM) == (attribution.CHANGED_A_LOT_BELOW,
                                                                attribution.BARELY_CHANGED_FROM)
    words = {ex.A_LOT: "changed a lot", ex.PARTLY: "changed partly", ex.BARELY: "barely changed"}
    for rho in np.linspace(-1, 1, 401).tolist() + [0.295, 0.2999, 0.3, 0.695, 0.6999, 0.7, -0.001]:
        assert words[ex.change_label(rho)] == attribution.change_verdict(rho), rho


# ------------------------------------------------------------------------------------- the baseline (choice)
def test_the_baseline_choice_has_feedback_on_every_option_and_one_right_answer():
    exercise = ex.BASELINE_MEANING
    assert all(len(o.feedback) > 40 for o in exercise.options)
    verdicts = {label: judge(exercise, label, {}) for label in exercise.labels}
    assert [label for label, v in verdicts.items() if v.correct] == [exercise.correct]
    assert verdicts["The network before training: the map shows what training added"].feedback.startswith("No")
    assert not judge(exercise, "something else", {}).correct  # not an option: asked to pick one


# ------------------------------------------------------------------------------------ completeness (numeric)
def test_completeness_is_the_score_difference_within_the_shown_precision():
    assert ex.score_difference(METHODS_FACTS) == pytest.approx(10.99)
    assert judge(ex.COMPLETENESS, 10.99, METHODS_FACTS).correct  # right: 12.46 − 1.47
    assert judge(ex.COMPLETENESS, 11.0, METHODS_FACTS).correct  # within the tolerance of two-decimal numbers
    wrong = judge(ex.COMPLETENESS, 10.79, METHODS_FACTS)  # the map's measured sum is not the exact difference
    assert not wrong.correct and wrong.feedback == "Too low."
    assert not judge(ex.COMPLETENESS, 13.93, METHODS_FACTS).correct  # added instead of subtracted
    negative = {**METHODS_FACTS, "ig_score": -2.5, "ig_baseline_score": 0.75}  # edge: the image scores lower
    assert judge(ex.COMPLETENESS, -3.25, negative).correct and not judge(ex.COMPLETENESS, 3.25, negative).correct
    with pytest.raises(MissingFacts):
        judge(ex.COMPLETENESS, 10.99, {})


def test_the_completeness_explanation_quotes_the_numbers_and_flips_with_the_gap():
    loose = ex.completeness_explanation(METHODS_FACTS)
    assert "12.46 − 1.47 = **10.99**" in loose and "+10.79" in loose and "-0.207" in loose
    assert "Raise the steps: does the gap shrink?" in loose and "1.9%" in loose
    tight = ex.completeness_explanation({**METHODS_FACTS, "ig_sum": 10.995, "ig_gap": 0.005})
    assert "within 1 % of the score difference" in tight and "Raise the steps" not in tight


# ----------------------------------------------------------------------------------- fastest drop (predict)
def test_the_fastest_drop_is_the_smallest_area_as_shown_and_a_tie_makes_both_right():
    assert ex.fastest_drop(DELETION_FACTS) == ("Integrated gradients",)
    assert judge(ex.FASTEST_DROP, "Integrated gradients", DELETION_FACTS).correct
    wrong = judge(ex.FASTEST_DROP, "Grad-CAM", DELETION_FACTS)
    assert not wrong.correct and "**Integrated gradients**" in wrong.feedback and "coarse resolution" in wrong.feedback
    tied = {"deletion_areas": {"Integrated gradients": 0.007, "Random map (reference)": 0.007, "Occlusion": 0.01}}
    assert ex.fastest_drop(tied) == ("Integrated gradients", "Random map (reference)")
    assert judge(ex.FASTEST_DROP, "Random map (reference)", tied).correct
    assert not judge(ex.FASTEST_DROP, "Occlusion", tied).correct
    assert "tied at the shown precision with Random map (reference)" in ex.deletion_explanation(tied)
    with pytest.raises(MissingFacts):
        judge(ex.FASTEST_DROP, "Grad-CAM", {"deletion_areas": None})


def test_the_deletion_explanation_says_when_the_page_differs_from_the_expectation():
    assert "This page differs: Integrated gradients won" in ex.deletion_explanation(DELETION_FACTS)
    region = {"deletion_areas": {"Grad-CAM": 0.05, "Random map (reference)": 0.1, "Occlusion": 0.2}}
    assert "This page agrees: a region-based map won." in ex.deletion_explanation(region)
    chance = {"deletion_areas": {"Random map (reference)": 0.05, "Grad-CAM": 0.1}}
    assert "This page differs: the random order won." in ex.deletion_explanation(chance)


# -------------------------------------------------------------------------------- Grad-CAM beats random (task)
def test_gradcam_must_have_the_smaller_area_as_shown_and_a_map_of_its_own():
    losing = ex.gradcam_beats_random(DELETION_FACTS)
    assert not losing.correct and "0.270" in losing.feedback and "0.134" in losing.feedback
    winning = {**DELETION_FACTS, "cam_layer": "blocks.5", "deletion_areas": {**AREAS, "Grad-CAM": 0.11}}
    right = ex.gradcam_beats_random(winning)
    assert right.correct and "blocks.5" in right.feedback
    assert judge(ex.GRADCAM_BEATS_RANDOM, None, winning).correct
    equal = {**DELETION_FACTS, "deletion_areas": {**AREAS, "Grad-CAM": 0.134}}  # a tie is not a win
    assert not ex.gradcam_beats_random(equal).correct
    constant = {**winning, "constant_maps": ("Grad-CAM",)}  # a constant map's raster order does not count
    verdict = ex.gradcam_beats_random(constant)
    assert not verdict.correct and "constant" in verdict.feedback
    assert not ex.gradcam_beats_random({"deletion_areas": {"Grad-CAM": 0.1}}).correct  # no random row yet
    assert "0.110" in ex.beat_random_explanation(winning) and "0.134" in ex.beat_random_explanation(winning)


# ----------------------------------------------------------------------------- Grad-CAM sanity check (predict)
def test_the_sanity_prediction_is_read_from_gradcams_correlation_on_the_random_twin():
    facts = conclusions.sanity_facts(CORRELATIONS, "pretrained")
    assert facts["gradcam_rho_random"] == 0.48 and ex.gradcam_change(facts) == ex.PARTLY
    assert judge(ex.GRADCAM_SANITY, ex.PARTLY, facts).correct
    wrong = judge(ex.GRADCAM_SANITY, ex.A_LOT, facts)
    assert not wrong.correct and ex.PARTLY in wrong.feedback
    assert ex.gradcam_change({"gradcam_rho_random": -0.09}) == ex.A_LOT
    assert ex.gradcam_change({"gradcam_rho_random": 0.699}) == ex.BARELY  # shown as 0.70
    with pytest.raises(MissingFacts):
        ex.gradcam_change({"gradcam_rho_random": float("nan")})
    assert not ex.GRADCAM_SANITY.ready(conclusions.sanity_facts(None, "pretrained"))  # not run yet: waits


def test_the_sanity_explanation_compares_with_the_paper():
    assert "This page agrees" in ex.sanity_explanation({"gradcam_rho_random": 0.05})
    assert "differs somewhat" in ex.sanity_explanation({"gradcam_rho_random": 0.48})
    assert "would fail the test" in ex.sanity_explanation({"gradcam_rho_random": 0.9})


# ---------------------------------------------------------------------------------------- the page's facts
def test_the_facts_the_page_builds_are_the_ones_the_exercises_need():
    check = attribution.Completeness(12.46, 1.47, 10.79, -0.207, 32, "black")
    facts = conclusions.methods_facts(_attributions(check))
    assert facts == METHODS_FACTS
    assert ex.COMPLETENESS.ready(facts) and conclusions.methods_facts(_attributions(None)) == {}
    ranked = sorted(AREAS.items(), key=lambda pair: pair[1])
    deletion = conclusions.deletion_facts(ranked, [], "head", "black")
    assert deletion == DELETION_FACTS and list(deletion["deletion_areas"]) == [name for name, _ in ranked]
    assert ex.FASTEST_DROP.ready(deletion) and ex.GRADCAM_BEATS_RANDOM.ready(deletion)
    # a network without trained weights compares its "twin" with itself (ρ = 1): never judged
    itself = {m: {"random_classifier": 0.1, "random": 1.0} for m in CORRELATIONS}
    assert conclusions.sanity_facts(itself, "random")["gradcam_rho_random"] is None
    undefined = {**CORRELATIONS, "gradcam": {"random_classifier": 0.1, "random": float("nan")}}
    assert conclusions.sanity_facts(undefined, "pretrained")["gradcam_rho_random"] is None


def test_the_completeness_caption_shows_both_scores_and_the_digit_cnn_fills_it(digits):
    check = attribution.Completeness(12.456, 1.471, 10.79, -0.207, 32, "black")
    assert check.note() == ("32 steps from a black baseline; f(x) = 12.46, f(baseline) = 1.47; sum +10.79, "
                            "completeness gap -0.207")
    assert check.difference == pytest.approx(10.985)
    x = preprocess.prepare_batch([np.zeros((28, 28), np.uint8) + 40], digits.spec)
    settings = attribution.Settings(layer="conv2", noise_samples=1, ig_steps=16, window=7, stride=7)
    results = attribution.attribute_all(digits, x, 3, settings)
    measured = conclusions.completeness_of(results)
    assert [r.method for r in results if r.completeness is not None] == ["integrated_gradients"]
    assert measured.total - measured.gap == pytest.approx(measured.difference, abs=1e-3)
    assert results[2].note == measured.note()


# ------------------------------------------------------------------------------------ "What to notice" boxes
def test_the_deletion_notice_names_the_fastest_map_and_flips_when_no_map_beats_random():
    text = conclusions.deletion_notice(AREAS, ex.RANDOM_MAP)
    assert text.startswith("**Integrated gradients** made the probability collapse fastest: area 0.089, 1.5× smaller")
    assert "**Saliency (SmoothGrad)** (0.169), **Occlusion** (0.179), **Grad-CAM** (0.270) did no better" in text
    every = conclusions.deletion_notice({**AREAS, ex.RANDOM_MAP: 0.5}, ex.RANDOM_MAP)
    assert "Even the slowest map, **Grad-CAM** (0.270), beat the random order." in every
    none = conclusions.deletion_notice({**AREAS, ex.RANDOM_MAP: 0.05}, ex.RANDOM_MAP)
    assert none.startswith("No map made the probability fall faster than a random pixel order (area 0.050")
    assert "collapse fastest" not in none
    tie = conclusions.deletion_notice({ex.RANDOM_MAP: 0.0894, "Grad-CAM": 0.0886}, ex.RANDOM_MAP)  # both show 0.089
    assert tie.startswith("No map made")
    constant = conclusions.deletion_notice({ex.RANDOM_MAP: 0.2, "Grad-CAM": 0.1}, ex.RANDOM_MAP, ["Grad-CAM"])
    assert constant.startswith("Every map here is constant")


def test_the_sanity_notice_says_who_passes_and_flips_when_a_map_barely_changes():
    text = conclusions.sanity_notice(CORRELATIONS)
    assert text.startswith("On the random-weights twin: Saliency (SmoothGrad) (ρ = 0.28), Integrated gradients "
                           "(ρ = 0.00), Occlusion (ρ = -0.08) changed a lot (they pass); Grad-CAM (ρ = 0.48) changed "
                           "only partly.")
    assert "Is a partial change enough?" in text
    passing = {m: {"random": 0.1} for m in CORRELATIONS}
    assert conclusions.sanity_notice(passing).startswith("Every map with a defined ρ changed a lot")
    failing = {**passing, "integrated_gradients": {"random": 0.85}}
    text = conclusions.sanity_notice(failing)
    assert "Integrated gradients (ρ = 0.85) barely changed (they fail" in text and "Every map" not in text
    assert conclusions.sanity_notice({"gradcam": {"random": float("nan")}}).startswith("No map has a defined")
