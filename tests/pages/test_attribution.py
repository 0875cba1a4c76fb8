"""AppTest runs of the attribution page: render, change the main controls, sanity checks, the digit CNN, shared links,
downloads and the lesson's exercises."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr
from streamlit.testing.v1 import AppTest

from lessons.attribution import compute as attribution
from lessons.attribution import exercises as ex
from lessons.core import data, preprocess, registry
from tests.pages.apptest import (
    answer_exercise,
    commit_prediction,
    exercise_feedback,
    exercise_record,
    finish_jobs,
    image_captions,
    no_exception,
    open_lesson,
    show_hint,
    skip_predictions,
)
from ui.exercises import widget_key

PAGE = "pages/attribution.py"


@pytest.fixture()
def page() -> AppTest:
    return open_lesson(PAGE, timeout=240)


def sanity_rows(at: AppTest) -> list[str]:
    """The sanity checks' row titles (the page's subheaders, less the course's "Summary" that app.py may add)."""
    return [s.value for s in at.subheader if s.value != "Summary"]


def test_default_view_small_settings_and_sanity_checks(page):
    skip_predictions(page)
    assert [h.value for h in page.header] == [
        "1 · What the network says, and which class to explain", "2 · Four methods, side by side",
        "3 · Which map is faithful? The deletion curve",
        "4 · Sanity checks: does the map depend on what the network learned?"]
    captions = image_captions(page)
    for title in attribution.METHOD_TITLES.values():
        assert any(c.startswith(f"{title} · ") and c.endswith(" s") for c in captions), captions
    assert page.selectbox(key="attr_cam_layer").value == "head"
    check_deletion_comment_matches_the_table(page)
    assert page.query_params["attr_target"] in (page.selectbox(key="attr_target").value,
                                                [page.selectbox(key="attr_target").value])
    # cheaper settings, another class, another baseline and layer
    page.slider(key="attr_noise_samples").set_value(2)
    page.slider(key="attr_ig_steps").set_value(8)
    page.slider(key="attr_window").set_value(56)
    page.slider(key="attr_stride").set_value(56)
    page.radio(key="attr_baseline").set_value("blur")
    page.selectbox(key="attr_cam_layer").set_value("blocks.10")
    target = page.selectbox(key="attr_target")
    target.select_index(1).run()
    no_exception(page)
    assert "8 steps from a blur baseline" in " ".join(c.value for c in page.caption)
    page.toggle(key="attr_sanity").set_value(True).run()
    no_exception(page)
    finish_jobs(page)  # the sanity checks wait their turn in the shared queue
    skip_predictions(page)
    assert sanity_rows(page) == ["Classifier layer re-drawn at random", "Random-weights twin"]
    assert len(page.metric) == 8
    shown = [m.value for m in page.metric]
    gradcam_column = list(attribution.METHOD_TITLES).index("gradcam")
    assert [shown[gradcam_column], shown[4 + gradcam_column]] == gradcam_correlations(page), shown
    summary = next(m.value for m in page.markdown if m.value.startswith("Reading the numbers"))
    for value in shown:  # every correlation under a map is the one the summary sentence reads
        assert value == "undefined" or f"ρ = {value}" in summary, (value, summary)
    assert any("Compared with the paper" in m.value for m in page.markdown)


def gradcam_correlations(page: AppTest) -> list[str]:
    """Grad-CAM's rank correlation with the trained map on each twin (classifier re-drawn, random weights), computed
    here from the page's own choices with scipy's Spearman correlation and shown with two decimals."""
    model_key, layer = page.selectbox(key="attr_model").value, page.selectbox(key="attr_cam_layer").value
    image = data.load_photo(page.selectbox(key="attr_photo").value)
    target = int(page.selectbox(key="attr_target").value)

    def cam(weights: str, randomise_classifier: bool) -> np.ndarray:
        loaded = registry.fused_model(registry.load_model(model_key, weights))
        x = preprocess.prepare_batch([image], loaded.spec)
        return attribution.gradcam(loaded, x, target, layer, randomise_classifier).ravel()

    trained = cam(page.radio(key="attr_weights").value, False)
    twins = [cam(page.radio(key="attr_weights").value, True), cam("random", False)]
    return [f"{spearmanr(trained, twin).statistic:.2f}".replace("-0.00", "0.00") for twin in twins]


def check_deletion_comment_matches_the_table(page: AppTest) -> None:
    """The deletion comment names as beating the random map exactly the methods whose area in the table is lower."""
    table = page.dataframe[0].value
    areas = dict(zip(table["method"], table["area (lower = better)"]))
    chance = areas.pop(attribution.RANDOM_MAP_TITLE)
    comment = next(m.value for m in page.markdown if m.value.startswith("The random map"))
    beat = comment.split("Beat the random map")[1].split(". ")[0] if "Beat the random map" in comment else ""
    no_better = comment.split("No better than the random map")[1] if "No better than" in comment else ""
    for method, area in areas.items():
        assert (f"**{method}**" in beat) == (area < chance), (method, area, chance, comment)
        assert (f"**{method}**" in no_better) == (area >= chance), (method, area, chance, comment)


def test_digit_cnn_and_offline_architecture(page):
    page.selectbox(key="attr_model").set_value("digit_cnn").run()
    no_exception(page)
    assert page.selectbox(key="attr_cam_layer").value == "conv2"
    assert len([c for c in image_captions(page) if " · " in c]) == 4
    page.selectbox(key="attr_model").set_value("alexnet")
    page.slider(key="attr_noise_samples").set_value(1)
    page.slider(key="attr_ig_steps").set_value(4)
    page.run()
    no_exception(page)
    assert page.selectbox(key="attr_cam_layer").value == "features.10"


def test_a_shared_link_restores_every_setting_and_writes_them_back():
    link = {"attr_model": "digit_cnn", "attr_weights": "pretrained", "attr_digit_class": "7",
            "attr_digit_example": "4", "attr_noise_samples": "2", "attr_noise_level": "0.3",
            "attr_cam_layer": "conv1", "attr_baseline": "grey", "attr_ig_steps": "6", "attr_window": "5",
            "attr_stride": "3"}
    at = open_lesson(PAGE, query=link)
    expected = {**link, "attr_digit_example": 4, "attr_noise_samples": 2, "attr_noise_level": 0.3,
                "attr_ig_steps": 6, "attr_window": 5, "attr_stride": 3}
    assert {key: at.session_state[key] for key in expected} == expected
    assert {key: at.query_params[key] for key in link} == link
    assert at.selectbox(key="attr_target").value == at.query_params["attr_target"]
    assert "6 steps from a grey baseline" in " ".join(c.value for c in at.caption)
    assert "Held-out MNIST digit" in " ".join(c.value for c in at.caption) + " ".join(m.value for m in at.markdown)
    at.selectbox(key="attr_model").set_value("efficientnet_lite0").run()  # another network: patches start afresh
    no_exception(at)
    assert at.session_state["attr_window"] == at.session_state["attr_stride"] == attribution.default_window(224)
    assert at.query_params["attr_window"] == str(attribution.default_window(224))


def offered_downloads(at: AppTest) -> set[str]:
    """What the page's download buttons offer, from their help texts ("the Grad-CAM map (trained) as NPY")."""
    return {b.proto.help.removeprefix("Download ") for b in at.get("download_button")}


def test_the_sanity_checks_go_into_the_link_and_come_back_with_every_download():
    link = {"attr_model": "digit_cnn", "attr_digit_class": "2", "attr_noise_samples": "2", "attr_ig_steps": "4",
            "attr_window": "7", "attr_stride": "7"}
    first = open_lesson(PAGE, query=link)
    assert not sanity_rows(first) and first.query_params.get("attr_sanity") in (None, "False")
    first.toggle(key="attr_sanity").set_value(True).run()
    assert first.query_params["attr_sanity"] == "True"  # the student's link now carries the checks
    at = skip_predictions(finish_jobs(open_lesson(PAGE, query=dict(first.query_params))))
    assert at.toggle(key="attr_sanity").value is True
    assert sanity_rows(at) == ["Classifier layer re-drawn at random", "Random-weights twin"]
    offered = offered_downloads(at)
    for row in ("trained", "classifier layer re-drawn at random", "random-weights twin"):
        for title in attribution.METHOD_TITLES.values():
            assert {f"the {title} map ({row}) as PNG", f"the {title} map ({row}) as NPY"} <= offered, (row, title)
    assert {"the deletion curves as PNG", "the deletion curves as CSV"} <= offered
    assert {"the sanity check (figure, and the rank correlations as a table) as PNG",
            "the sanity check (figure, and the rank correlations as a table) as CSV"} <= offered
    at.toggle(key="attr_sanity").set_value(False).run()
    assert at.query_params["attr_sanity"] == "False" and not sanity_rows(at)


def test_the_photo_upload_says_a_link_does_not_carry_it(page):
    captions = " ".join(c.value for c in page.caption)
    assert "A shared link carries the photo chosen from the list and every setting, not an uploaded image." in captions


def deletion_areas(at: AppTest) -> dict[str, float]:
    """The deletion table as the page shows it: method → area, best first."""
    table = at.dataframe[0].value
    return dict(zip(table["method"], table["area (lower = better)"]))


def test_exercises_wrong_then_right_with_hints_and_the_deletion_prediction_hides_the_result(page):
    # the deletion test's result stays hidden until a prediction is committed
    assert not page.dataframe and "What to notice" not in " ".join(i.value for i in page.info)
    assert not any(m.value.startswith("The random map") for m in page.markdown)
    # a wrong answer: its own feedback, then the hint ladder one rung at a time
    choice = ex.BASELINE_MEANING
    wrong = "A brightness threshold: pixels darker than the baseline get no credit"
    answer_exercise(page, choice.id, wrong)
    right, said = exercise_feedback(page, choice.id)
    assert not right and said == choice.option(wrong).feedback
    assert exercise_record(page, choice.id).tries == 1 and not exercise_record(page, choice.id).done
    show_hint(page, choice.id)
    captions = [c.value for c in page.caption]
    assert f"Hint 1: {choice.hints[0]}" in captions and not any(c.startswith("Hint 2") for c in captions)
    show_hint(page, choice.id)
    assert f"Hint 2: {choice.hints[1]}" in [c.value for c in page.caption]
    assert not any(m.value.startswith("**Why.**") for m in page.markdown)
    # then the right one: the explanation, and the exercise is done
    answer_exercise(page, choice.id, choice.correct)
    assert exercise_feedback(page, choice.id)[0] and exercise_record(page, choice.id).done
    assert any(m.value.startswith("**Why.** The baseline answers") for m in page.markdown)
    # the completeness check, read from the caption under the integrated-gradients map
    note = next(c.value for c in page.caption if "f(baseline) = " in c.value)
    score = float(note.split("f(x) = ")[1].split(",")[0])
    baseline_score = float(note.split("f(baseline) = ")[1].split(";")[0])
    answer_exercise(page, ex.COMPLETENESS.id, round(score - baseline_score, 2))
    assert exercise_record(page, ex.COMPLETENESS.id).correct
    # predict, then run: the table appears once the prediction is committed, and the verdict is the table's
    commit_prediction(page, ex.FASTEST_DROP.id, ex.GRADCAM)
    areas = deletion_areas(page)
    winner = next(iter(areas))
    assert min(areas.values()) == areas[winner]
    record = exercise_record(page, ex.FASTEST_DROP.id)
    assert record.done and record.correct == (winner == ex.GRADCAM)
    assert any(f"**{winner}**" in m.value for m in page.success) or any(f"**{winner}**" in w.value
                                                                          for w in page.warning)
    assert any(i.value.startswith("**What to notice.**") for i in page.info)
    # the task under the table is judged on the same table
    answer_exercise(page, ex.GRADCAM_BEATS_RANDOM.id)
    assert exercise_feedback(page, ex.GRADCAM_BEATS_RANDOM.id)[0] == (areas[ex.GRADCAM] < areas[ex.RANDOM_MAP])


def test_the_sanity_prediction_committed_before_the_checks_is_judged_when_they_are_in():
    at = open_lesson(PAGE, query={"attr_model": "digit_cnn", "attr_digit_class": "3", "attr_noise_samples": "2",
                                  "attr_ig_steps": "4", "attr_window": "7", "attr_stride": "7"})
    exercise = ex.GRADCAM_SANITY
    commit_prediction(at, exercise.id, ex.A_LOT)
    assert exercise_record(at, exercise.id).answer == ex.A_LOT and not exercise_record(at, exercise.id).done
    assert f"You predicted **{ex.A_LOT}**. Run the section to see what happens." in [c.value for c in at.caption]
    at.toggle(key="attr_sanity").set_value(True).run()
    finish_jobs(at)
    assert sanity_rows(at) == ["Classifier layer re-drawn at random", "Random-weights twin"]
    record = exercise_record(at, exercise.id)
    assert record.done and record.tries == 1
    shown = at.metric[4 + list(attribution.METHOD_TITLES).index("gradcam")].value  # the random twin's Grad-CAM ρ
    assert shown != "undefined" and record.correct == (ex.change_label(float(shown)) == ex.A_LOT)
    assert any(i.value.startswith("**What to notice.** ") and "random-weights twin" in i.value for i in at.info)
    assert f"ex_{widget_key(exercise.id)}_predict" not in [r.key for r in at.radio]
