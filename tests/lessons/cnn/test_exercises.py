"""The Inside-a-CNN lesson's exercises: every check and answer on a right answer, a wrong one and an edge case, the
"What to notice" sentence both ways, and `judge` on each exercise with facts like the page's."""

from __future__ import annotations

import pytest

from lessons.cnn import compute as inside_cnn
from lessons.cnn import exercises as ex
from lessons.convolution.compute import output_size
from lessons.core.exercises import MissingFacts, judge

LITE = {"first_maps": "stem", "first_maps_shape": (32, 112, 112), "last_maps": "head", "last_maps_shape": (1280, 7, 7)}


# --------------------------------------------------------------------------------------- make the network unsure
def _prediction(p: float, trained: bool = True, name: str = "espresso") -> dict:
    return {"trained": trained, "top1_name": name, "top1_prob": p, "n_classes": 1000}


def test_an_unsure_trained_network_passes():
    verdict = ex.check_unsure(_prediction(0.13, name="bobsled"))
    assert verdict.correct and "**bobsled**" in verdict.feedback and "13%" in verdict.feedback


def test_a_confident_network_does_not():
    verdict = ex.check_unsure(_prediction(0.957))
    assert not verdict.correct and "96%" in verdict.feedback


def test_exactly_a_quarter_is_not_below_a_quarter_and_random_weights_never_count():
    assert not ex.check_unsure(_prediction(ex.UNSURE)).correct
    random = ex.check_unsure(_prediction(0.001, trained=False))
    assert not random.correct and "random weights" in random.feedback


def test_judge_the_unsure_task():
    assert judge(ex.UNSURE_TASK, None, _prediction(0.2)).correct
    with pytest.raises(MissingFacts):
        judge(ex.UNSURE_TASK, None, {})
    assert "1,000 classes" in ex.UNSURE_TASK.explain(_prediction(0.2, name="maze"))
    assert "**maze**" in ex.UNSURE_TASK.explain(_prediction(0.2, name="maze"))


# --------------------------------------------------------------------------------------- do deeper maps shrink?
def _maps(first: tuple, last: tuple) -> dict:
    return {"first_maps": "a", "first_maps_shape": first, "last_maps": "b", "last_maps_shape": last}


def test_the_maps_prediction_reads_the_shapes():
    assert ex.maps_change(LITE) == ex.SMALLER_MORE
    assert ex.maps_change(_maps((8, 28, 28), (8, 7, 7))) == ex.SMALLER_FEWER  # as many channels counts as no more
    assert ex.maps_change(_maps((8, 28, 28), (16, 28, 28))) == ex.SAME
    assert ex.maps_change(_maps((8, 14, 14), (4, 28, 28))) == ex.LARGER
    assert ex.maps_change(_maps((8, 28, 7), (8, 7, 28))) == ex.SAME  # as many positions, another shape
    assert judge(ex.MAPS_SHRINK, ex.SMALLER_MORE, LITE).correct
    wrong = judge(ex.MAPS_SHRINK, ex.SAME, LITE)
    assert not wrong.correct and f"**{ex.SMALLER_MORE}**" in wrong.feedback


def test_the_shrink_notice_flips_with_the_shapes():
    shrink = ex.shrink_notice("stem", (32, 112, 112), "head", (1280, 7, 7))
    assert shrink == ("From **stem** to **head** the maps **shrink** from 112×112 to 7×7 — 256× fewer positions — "
                      "while the channels **multiply** from 32 to 1,280.")
    grow = ex.shrink_notice("a", (64, 7, 7), "b", (16, 14, 14))
    assert "**grow** from 7×7 to 14×14 — 4× more positions" in grow and "channels **drop** from 64 to 16" in grow
    same = ex.shrink_notice("a", (8, 28, 28), "b", (8, 28, 28))
    assert "**keep their size** (28×28)" in same and "with 8 channels throughout" in same
    assert "shrink" not in same and "grow" not in same


def test_the_maps_explanation_says_when_a_network_differs_from_the_textbook():
    assert "That is the textbook picture." in ex.MAPS_SHRINK.explain(LITE)
    assert "this network differs" in ex.MAPS_SHRINK.explain(_maps((8, 28, 28), (16, 28, 28)))


# ------------------------------------------------------------------------------------------- output size, by hand
def test_the_stem_answer_is_the_formula_and_pytorchs():
    assert ex.STEM_OUTPUT == 112 == output_size(ex.STEM_INPUT, ex.STEM_KERNEL, ex.STEM_PADDING, ex.STEM_STRIDE)
    assert ex.conv_output_size(7, 3, 0, 1) == output_size(7, 3, 0, 1) == 5
    assert ex.conv_output_size(7, 3, 1, 2) == output_size(7, 3, 1, 2) == 4
    assert judge(ex.STEM_SIZE, 112, {}).correct
    assert judge(ex.STEM_SIZE, 111, {}).feedback == "Too low."
    assert not judge(ex.STEM_SIZE, 112.5, {}).correct  # tolerance 0: whole pixels only
    assert judge(ex.STEM_SIZE, 113, {}).feedback == "Too high."


def test_the_stem_explanation_compares_with_this_networks_first_stage():
    lite = {"first_stage": "stem", "first_stage_shape": (32, 112, 112), "input_size": 224}
    assert "**stem**, turns its 224×224 input into 32×112×112 maps: halved" in ex.STEM_SIZE.explain(lite)
    digits = {"first_stage": "conv1", "first_stage_shape": (8, 28, 28), "input_size": 28}
    assert "28×28 input into 8×28×28 maps: the same size" in ex.STEM_SIZE.explain(digits)
    alexnet = {"first_stage": "features.0", "first_stage_shape": (64, 55, 55), "input_size": 224}
    assert "4.07× smaller" in ex.STEM_SIZE.explain(alexnet)
    assert "⌊(224 + 2·1 − 3)/2⌋ + 1" in ex.STEM_SIZE.explain({}) and "network's first stage" not in \
        ex.STEM_SIZE.explain({})


# ------------------------------------------------------------------------------------ where are the parameters?
def _split(top: int, total: int) -> dict:
    return {"top_parameters": top, "total_parameters": total}


def test_where_the_parameters_are_follows_the_table():
    assert ex.where_parameters(_split(1_281_000, 4_652_008)) == ex.IN_MAPS  # EfficientNet-Lite0
    assert ex.where_parameters(_split(58_631_144, 61_100_840)) == ex.AT_TOP  # AlexNet
    assert ex.where_parameters(_split(50, 100)) == ex.HALF
    assert ex.where_parameters(_split(60, 100)) == ex.HALF and ex.where_parameters(_split(40, 100)) == ex.HALF
    assert ex.where_parameters(_split(0, 0)) == ex.IN_MAPS  # nothing to count: no top either
    assert judge(ex.WHERE_PARAMETERS, ex.AT_TOP, _split(7850, 11274)).correct  # the digit CNN
    assert not judge(ex.WHERE_PARAMETERS, ex.IN_MAPS, _split(7850, 11274)).correct
    explained = ex.WHERE_PARAMETERS.explain(_split(7850, 11274))
    assert "7,850 of this network's 11,274 parameters (70%)" in explained and "other 3,424 (30%)" in explained


def test_every_option_of_every_choice_has_feedback_and_ids_name_the_package():
    for exercise in ex.EXERCISES.exercises:
        assert exercise.id.startswith("cnn.")
        assert all(option.feedback for option in exercise.options)


# ------------------------------------------------------------------------------------- the page's facts, for real
def test_the_facts_the_page_computes_for_the_digit_cnn(digits):
    (first, first_shape), (last, last_shape) = inside_cnn.feature_map_ends(digits)
    assert (first, first_shape, last, last_shape) == ("conv1", (8, 28, 28), "pool2", (16, 7, 7))
    rows = inside_cnn.layer_table(digits)
    top, total = inside_cnn.parameter_split(rows, digits.spatial_layers)
    assert total == inside_cnn.parameter_count(digits.module)
    assert top == sum(r.parameters for r in rows if r.name in ("flatten", "fc"))
    facts = {"first_maps": first, "first_maps_shape": first_shape, "last_maps": last, "last_maps_shape": last_shape,
             **_split(top, total)}
    assert ex.maps_change(facts) == ex.SMALLER_MORE
    assert ex.where_parameters(facts) == ex.AT_TOP
    stage, shape = inside_cnn.first_stage(digits)
    assert (stage, shape) == ("conv1", (8, 28, 28))
    explained = ex.STEM_SIZE.explain({"input_size": digits.spec.input_size, "first_stage": stage,
                                      "first_stage_shape": shape})
    assert "**conv1**, turns its 28×28 input into 8×28×28 maps: the same size" in explained
