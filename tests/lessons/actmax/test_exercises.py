"""The activation-maximisation lesson's exercises and "What to notice" sentences, on constructed facts: each check and
answer on a right answer, a wrong one and an edge case, and `judge` on every exercise with realistic facts."""

from __future__ import annotations

import pytest

from lessons.actmax import compute as am
from lessons.actmax import exercises as ex
from lessons.core.exercises import MissingFacts, judge

#: What the default run of the page (EfficientNet-Lite0, blocks.8 channel 5, 64 steps) roughly shows.
CURVE = [-0.05, 3.1, 6.0, 8.2, 10.1, 11.5, 12.9, 14.0] + [14.0 + 0.05 * k for k in range(56)]
#: What the digit CNN's evolution run on pool2 channel 5 showed: above the best real digit.
EVOLVED = {"method": "evolution", "weights": "pretrained", "unit_kind": "channel", "optimised": 2.05,
           "best_real": 1.23, "best_name": "digit 0 (#3)"}
#: Comparison (d) as the page names its runs, with a tie at the top (the digit CNN cannot jitter 28 px).
PRIORS = {"no prior": 9.8, "jitter/scale/rotate": 9.8, "total variation": 7.1, "L2 decay": 8.0, "blur every 4": 6.2,
          "centre bias": 5.5, "mean-image start": 4.0}


def test_the_lesson_declares_three_to_six_exercises_of_mixed_kinds_at_its_sections():
    lesson = ex.EXERCISES
    assert lesson.lesson == "activation_maximization" and 3 <= len(lesson.exercises) <= 6
    assert {e.kind for e in lesson.exercises} == {"choice", "numeric", "task", "predict"}
    assert all(e.id.startswith("actmax.") and e.section in lesson.sections for e in lesson.exercises)
    assert 3 <= len(lesson.takeaways) <= 5 and lesson.minutes > 0
    for e in lesson.exercises:
        assert len(e.hints) >= 1 and e.explanation
        assert all(o.feedback for o in e.options)  # feedback on every option


# ------------------------------------------------------------------------------------------ half the rise
def test_half_rise_step_is_the_first_step_at_or_above_halfway():
    assert ex.half_rise_step([0.0, 1.0, 2.0, 3.0, 4.0]) == 3  # halfway 2.0 is reached at step 3
    assert ex.half_rise_step([0.0, 3.0, 1.0, 4.0]) == 2  # the first crossing counts, even if the curve dips again
    assert ex.half_rise_step(CURVE) == 5


def test_half_rise_step_of_a_curve_that_never_climbs_is_step_one():
    assert ex.half_rise_step([5.0, 4.0, 3.0]) == 1
    assert ex.half_rise_step([2.0]) == 1
    with pytest.raises(ValueError):
        ex.half_rise_step([])


def test_the_half_rise_question_accepts_three_steps_either_way():
    facts = {"history": CURVE}
    assert judge(ex.HALF_RISE, 5, facts).correct and judge(ex.HALF_RISE, 8, facts).correct
    wrong = judge(ex.HALF_RISE, 32, facts)
    assert not wrong.correct and wrong.feedback == "Too high."
    assert "step 5 of 64" in ex.HALF_RISE.explain(facts) and "first quarter" in ex.HALF_RISE.explain(facts)
    steady = [float(k) for k in range(40)]
    assert "climbed steadily" in ex.HALF_RISE.explain({"history": steady})
    assert "did not climb" in ex.HALF_RISE.explain({"history": [3.0, 2.0, 1.0]})
    with pytest.raises(MissingFacts):
        judge(ex.HALF_RISE, 5, {"history": None})  # no run yet


# ------------------------------------------------------------------------------------------ beating the real images
def test_evolution_above_the_best_real_image_is_accepted():
    verdict = ex.beats_real_images_without_gradients(EVOLVED)
    assert verdict.correct and "2.05" in verdict.feedback and "1.23" in verdict.feedback
    assert judge(ex.BEAT_REAL_IMAGES, None, EVOLVED).correct
    assert "2.05" in ex.BEAT_REAL_IMAGES.explain(EVOLVED)


def test_gradient_ascent_above_the_best_real_image_is_not_what_the_task_asks():
    verdict = ex.beats_real_images_without_gradients({**EVOLVED, "method": "fft", "optimised": 27.7})
    assert not verdict.correct and "without gradients" in verdict.feedback


def test_evolution_still_below_the_best_real_image_is_not_accepted():
    verdict = ex.beats_real_images_without_gradients({**EVOLVED, "optimised": -0.115, "best_real": 4.07})
    assert not verdict.correct and "Not yet" in verdict.feedback


def test_a_tie_a_class_score_or_a_random_network_is_not_accepted():
    assert not ex.beats_real_images_without_gradients({**EVOLVED, "optimised": 1.23}).correct  # a tie is not above
    class_score = ex.beats_real_images_without_gradients({**EVOLVED, "unit_kind": "class"})
    assert not class_score.correct and "a channel" in class_score.feedback
    random = ex.beats_real_images_without_gradients({**EVOLVED, "weights": "random"})
    assert not random.correct and "trained" in random.feedback
    with pytest.raises(MissingFacts):
        judge(ex.BEAT_REAL_IMAGES, None, {**EVOLVED, "optimised": None})


# ------------------------------------------------------------------------------------------ which prior scores highest
def test_prior_groups_follow_the_page_names_of_the_runs():
    assert ex.prior_group("no prior") == ex.GROUP_NONE
    assert ex.prior_group("jitter/scale/rotate") == ex.prior_group("blur every 9") == ex.GROUP_TRANSFORM
    assert {ex.prior_group(n) for n in ("total variation", "L2 decay", "centre bias", "mean-image start")} == {
        ex.GROUP_PENALTY}


def test_the_highest_prior_breaks_ties_in_page_order_as_the_page_sentence_does():
    assert ex.highest_prior(PRIORS) == "no prior"  # jitter ties with it (the same run on 28-px digits)
    assert am.prior_summary(PRIORS).startswith(f"Highest activation: **{ex.highest_prior(PRIORS)}**")
    with pytest.raises(ValueError):
        ex.highest_prior({})


def test_the_prior_prediction_is_judged_on_the_measured_scores():
    right = judge(ex.PRIOR_HIGHEST, ex.GROUP_NONE, {"prior_scores": PRIORS})
    assert right.correct and "matches what the page measured" in right.feedback
    assert "As the textbook expects" in ex.PRIOR_HIGHEST.explain({"prior_scores": PRIORS})
    helped = {**PRIORS, "mean-image start": 12.5}
    wrong = judge(ex.PRIOR_HIGHEST, ex.GROUP_NONE, {"prior_scores": helped})
    assert not wrong.correct and ex.GROUP_PENALTY in wrong.feedback
    assert judge(ex.PRIOR_HIGHEST, ex.GROUP_PENALTY, {"prior_scores": helped}).correct
    explained = ex.PRIOR_HIGHEST.explain({"prior_scores": helped})
    assert "The textbook expects no prior to score highest" in explained and "beat it by 2.7" in explained
    blurred = {**PRIORS, "blur every 4": 10.0}
    assert ex.PRIOR_HIGHEST.right_option({"prior_scores": blurred}) == ex.GROUP_TRANSFORM
    assert not ex.PRIOR_HIGHEST.ready({"prior_scores": None})  # committed before the runs: judged once they are in


# ------------------------------------------------------------------------------------------ the two choices
@pytest.mark.parametrize("exercise", [ex.JITTER_AND_BLUR, ex.TWIN_CONTROL], ids=lambda e: e.id)
def test_each_choice_has_one_right_option_and_feedback_on_every_option(exercise):
    verdicts = {label: judge(exercise, label, {}) for label in exercise.labels}
    assert [label for label, v in verdicts.items() if v.correct] == [exercise.correct]
    assert all(v.feedback == exercise.option(label).feedback for label, v in verdicts.items())
    assert not judge(exercise, "something else", {}).correct  # not an option: asked to pick one


# ------------------------------------------------------------------------------------------ what to notice
def test_the_curve_notice_flips_between_an_early_climb_and_one_still_going():
    early = am.curve_notice(CURVE)
    assert early.startswith("Most of the climb came early") and "step 32" in early
    going = am.curve_notice([float(k) ** 2 for k in range(1, 21)])
    assert going.startswith("The objective was still climbing") and "Would more steps" in going
    assert "Most of the climb" not in going


def test_the_curve_notice_says_when_nothing_climbed_or_the_level_came_by_half_time():
    assert am.curve_notice([3.0, 2.0, 1.0, 0.5]).startswith("The objective did not climb")
    peaked = am.curve_notice([0.0, 5.0, 4.0, 4.5])
    assert "already reached that level" in peaked and "added nothing" in peaked
    assert am.curve_notice([1.0]).startswith("A single step")


def test_the_prior_notice_flips_when_no_prior_scores_lowest():
    costly = am.prior_range_notice(PRIORS)
    assert "from **4** (mean-image start) to **9.8** (no prior)" in costly
    assert "mean-image start, kept 41% of no prior's activation" in costly
    helped = am.prior_range_notice({**PRIORS, "no prior": 3.0, "jitter/scale/rotate": 3.5})
    assert "No prior scored lowest of all" in helped and "kept" not in helped
    negative = am.prior_range_notice({**PRIORS, "no prior": -1.0, "mean-image start": -2.0})
    assert "The costliest prior was mean-image start." in negative
