"""The Convolution lesson's exercises: every check and answer on a right answer, a wrong one and an edge case, the
"What to notice" sentence both ways, and `judge` on each exercise with facts like the page's."""

from __future__ import annotations

import numpy as np
import pytest

from lessons.convolution import exercises as ex
from lessons.convolution import hog as hog_module
from lessons.convolution import kernels
from lessons.convolution.compute import correlate2d
from lessons.core.exercises import MissingFacts, judge

SOBEL_Y, SOBEL_X, LAPLACIAN = kernels.SOBEL_Y, kernels.SOBEL_X, kernels.LAPLACIAN


# ------------------------------------------------------------------------------------------------- the test pictures
def test_the_numpy_correlation_is_the_pages_torch_one_inside_the_image():
    picture = np.random.default_rng(0).random((12, 12))
    kernel = np.random.default_rng(1).normal(size=(3, 3))
    np.testing.assert_allclose(ex.correlate_valid(picture, kernel), correlate2d(picture, kernel)[1:-1, 1:-1],
                               atol=1e-5)


def test_probe_pictures_are_edges_and_flat_white_around_the_kernel():
    pictures = ex.probe_pictures(3)
    assert {name: p.shape for name, p in pictures.items()} == {name: (11, 11) for name in pictures}
    assert set(np.unique(pictures["horizontal"])) == {0.0, 1.0}
    np.testing.assert_array_equal(pictures["vertical"], pictures["horizontal"].T)
    assert (pictures["horizontal"][:, 0] != pictures["horizontal"][0, 0]).any()  # changes from top to bottom
    assert (pictures["flat"] == 1).all()


@pytest.mark.parametrize(("kernel", "kind"), [
    (SOBEL_Y, "horizontal"), (SOBEL_X, "vertical"), (LAPLACIAN, "both"), (kernels.box_kernel(5), "brightness"),
    (kernels.IDENTITY, "brightness"), (kernels.SHARPEN, "brightness"), (kernels.EMBOSS, "brightness"),
    (np.array([[1.0, 0, -1], [0, 0, 0], [-1, 0, 1]]), "none"),  # a saddle: silent on flat areas and straight edges
])
def test_edge_kind_names_what_a_kernel_picks_out(kernel, kind):
    assert ex.edge_kind(ex.edge_response(kernel)) == kind


def test_a_pair_of_kernels_is_combined_like_sobel_magnitude():
    assert ex.edge_response([SOBEL_X, SOBEL_Y]) == ex.EdgeResponse(4.0, 4.0, 0.0)
    assert ex.edge_kind(ex.edge_response([SOBEL_X, SOBEL_Y])) == "both"


def test_a_tenth_is_the_line_between_only_and_both():
    assert ex.edge_kind(ex.EdgeResponse(4.0, 0.4, 0.0)) == "horizontal"
    assert ex.edge_kind(ex.EdgeResponse(4.0, 0.41, 0.0)) == "both"
    assert ex.edge_kind(ex.EdgeResponse(0.4, 4.0, 0.0)) == "vertical"
    assert ex.edge_kind(ex.EdgeResponse(4.0, 0.0, 0.41)) == "brightness"


def test_the_notice_flips_with_the_kernel():
    horizontal = ex.edge_notice(ex.edge_response(SOBEL_Y))
    vertical = ex.edge_notice(ex.edge_response(SOBEL_X))
    blur = ex.edge_notice(ex.edge_response(kernels.gaussian_kernel(1.0)))
    assert "up to **4** on a horizontal edge, **0** on a vertical edge and **0** on flat white" in horizontal
    assert "horizontal edges only" in horizontal and "vertical edges only" in vertical
    assert "lets flat brightness through" in blur and "edges only" not in blur and "on flat white" in blur
    assert "both orientations" in ex.edge_notice(ex.edge_response(LAPLACIAN))
    assert "nothing anywhere" in ex.edge_notice(ex.EdgeResponse(0.0, 0.0, 0.0))


# ---------------------------------------------------------------------------------- design a horizontal-edge kernel
def test_a_horizontal_edge_kernel_is_accepted():
    verdict = ex.check_horizontal_edges({"kernel": SOBEL_Y})
    assert verdict.correct and "**4** on a horizontal edge" in verdict.feedback
    assert ex.check_horizontal_edges({"kernel": -SOBEL_Y[::-1]}).correct  # flipped by the page: still horizontal
    assert ex.check_horizontal_edges({"kernel": np.array([[-1.0, -1, -1], [2, 2, 2], [-1, -1, -1]])}).correct


def test_a_vertical_edge_kernel_is_refused_with_the_way_out():
    verdict = ex.check_horizontal_edges({"kernel": SOBEL_X})
    assert not verdict.correct and "vertical" in verdict.feedback and "90°" in verdict.feedback


def test_a_kernel_answering_both_orientations_is_not_accepted():
    verdict = ex.check_horizontal_edges({"kernel": LAPLACIAN})
    assert not verdict.correct and "both" in verdict.feedback
    leaky = SOBEL_Y + 0.15 * SOBEL_X  # mostly horizontal, but a vertical edge gets 0.6 of 4: more than a tenth
    assert not ex.check_horizontal_edges({"kernel": leaky}).correct
    assert ex.check_horizontal_edges({"kernel": SOBEL_Y + 0.05 * SOBEL_X}).correct  # 0.2 of 4: within a tenth


def test_a_kernel_that_passes_brightness_or_nothing_or_is_5x5_is_refused():
    bright = ex.check_horizontal_edges({"kernel": SOBEL_Y + kernels.IDENTITY})
    assert not bright.correct and "flat brightness" in bright.feedback and "add up to 1" in bright.feedback
    silent = ex.check_horizontal_edges({"kernel": np.array([[1.0, 0, -1], [0, 0, 0], [-1, 0, 1]])})
    assert not silent.correct and "nothing" in silent.feedback
    big = ex.check_horizontal_edges({"kernel": kernels.fit_kernel(SOBEL_Y, 5)})
    assert not big.correct and "5×5" in big.feedback and "3×3" in big.feedback


def test_judge_the_kernel_task_on_the_pages_facts():
    exercise = ex.HORIZONTAL_EDGES
    assert judge(exercise, None, {"kernel": SOBEL_Y}).correct
    assert not judge(exercise, None, {"kernel": SOBEL_X}).correct
    with pytest.raises(MissingFacts):  # not editing: the page hands no kernel
        judge(exercise, None, {"kernel": None})
    assert "column sums are (0, 0, 0)" in exercise.explain({"kernel": SOBEL_Y})
    assert "column sums" not in exercise.explain({"kernel": None})


# ------------------------------------------------------------------------------------------------ the mystery map
def test_the_mystery_kernel_is_a_named_one_and_its_option_is_right():
    exercise = ex.WHICH_KERNEL
    assert ex.MYSTERY_KERNEL in kernels.kernel_keys()
    assert exercise.correct == kernels.kernel_info(ex.MYSTERY_KERNEL).title
    assert judge(exercise, exercise.correct, {}).correct
    wrong = judge(exercise, "Sobel y (horizontal edges)", {})
    assert not wrong.correct and "which way do the coloured lines run" in wrong.feedback
    assert not judge(exercise, "Box blur", {}).correct  # not an option: asked to pick one
    assert all(kernels.kernel_info(k).title in exercise.labels or k not in ("gaussian", "sharpen", "sobel_x",
                                                                            "sobel_y", "laplacian")
               for k in kernels.kernel_keys())


# ---------------------------------------------------------------------------------------- where a template fails
ANGLES = [-60, -45, -30, -20, -10, -5, 0, 5, 10, 20, 30, 45, 60]


def _sweep(found_at_30: bool) -> dict:
    found = [abs(a) <= 10 or (a == 30 and found_at_30) for a in ANGLES]
    return ex.turn_facts(ANGLES, found, [0.5 + 0.01 * i for i in range(len(ANGLES))])


def test_the_turn_prediction_follows_the_sweep():
    lost, kept = _sweep(False), _sweep(True)
    assert lost == {"found_after_turn": False, "score_after_turn": pytest.approx(0.6)}
    assert ex.template_after_turn(lost) == ex.LOST and ex.template_after_turn(kept) == ex.FOUND
    exercise = ex.TEMPLATE_TURN
    assert judge(exercise, ex.LOST, lost).correct and not judge(exercise, ex.FOUND, lost).correct
    assert judge(exercise, ex.FOUND, kept).correct  # against the textbook, and the page says so
    assert "against the textbook expectation" in exercise.explain(kept)
    assert "as the textbook expects" in exercise.explain(lost) and "0.600" in exercise.explain(lost)


def test_a_sweep_without_the_angle_gives_no_verdict():
    facts = ex.turn_facts([0, 10, 20], [True, True, False], [1.0, 0.9, 0.8])
    assert facts == {"found_after_turn": None, "score_after_turn": None}
    assert not ex.TEMPLATE_TURN.ready(facts)
    with pytest.raises(MissingFacts):
        judge(ex.TEMPLATE_TURN, ex.LOST, facts)


# --------------------------------------------------------------------------------------- why binning helps (HOG)
def _tolerance(pixels: float, edges: float, hog: float, kind: str = "shift") -> dict:
    amounts = [0, 1, 2, 3] if kind == "shift" else [0, 5, 10, 15]
    return ex.tolerance_facts(kind, amounts, [1, 1, pixels, 0], [1, 1, edges, 0], [1, 1, hog, 0], 2)


def test_the_most_fragile_description_is_the_lowest_as_shown():
    assert ex.most_fragile(_tolerance(0.72, 0.47, 0.88)) == ex.EDGES  # the camera's default template
    assert ex.most_fragile(_tolerance(0.45, 0.55, 0.85)) == ex.PIXELS  # the rocket's: against the textbook
    assert ex.most_fragile(_tolerance(0.97, 0.94, 0.92)) == ex.HOG
    assert ex.most_fragile(_tolerance(0.471, 0.474, 0.9)) == ex.EDGES  # equal as shown (0.47): the edge map
    exercise = ex.MOST_FRAGILE
    assert judge(exercise, ex.EDGES, _tolerance(0.72, 0.47, 0.88)).correct
    assert not judge(exercise, ex.EDGES, _tolerance(0.45, 0.55, 0.85)).correct


def test_the_fragility_explanation_quotes_the_numbers_and_the_textbook():
    expected = ex.MOST_FRAGILE.explain(_tolerance(0.72, 0.47, 0.88))
    assert "After 2 pixels of shift: raw pixels **0.72**, edge map **0.47**, HOG **0.88**" in expected
    assert "as the textbook expects" in expected
    against = ex.MOST_FRAGILE.explain(_tolerance(0.45, 0.55, 0.85, kind="rotation"))
    assert "After 10° of rotation" in against and "Raw pixels dropped most" in against
    assert "against the textbook expectation" in against


def test_the_lesson_declares_its_sections_in_page_order():
    declared = ex.EXERCISES
    assert declared.lesson == "convolution"
    assert [e.section for e in declared.exercises] == ["kernels", "mystery", "failure", "hog"]
    assert list(declared.sections).index("kernels") < list(declared.sections).index("failure")


def test_the_prompts_name_the_moves_the_page_really_makes():
    from lessons.convolution.template_matching import SWEEP_ANGLES

    assert ex.PREDICTED_TURN in SWEEP_ANGLES
    assert f"**{ex.PREDICTED_TURN}°**" in ex.TEMPLATE_TURN.prompt
    shift, turn = (hog_module.tolerance_amounts(kind)[hog_module.PROBE_STEP] for kind in ("shift", "rotation"))
    assert f"{shift} pixels, or a {turn}° turn" in ex.MOST_FRAGILE.prompt
