"""AppTest runs of the data-and-shift page: render, change the main controls, offline fetch, augmentation, and the
lesson's exercises (a wrong answer and its hints, a prediction that hides the curves, a task checked on the page)."""

from __future__ import annotations

import json
import socket
import time

import numpy as np
import pytest
import vl_convert
from streamlit.testing.v1 import AppTest

from lessons.core import data, registry
from lessons.shift import compute as data_shift
from lessons.shift import exercises as shift_exercises
from tests.pages.apptest import (
    APP,
    answer_exercise,
    commit_prediction,
    exercise_feedback,
    exercise_record,
    finish_jobs,
    no_exception,
    open_lesson,
    show_hint,
    skip_predictions,
)
from tests.pages.test_linear_classifier import widgets_outside_their_declaration
from ui import shift_widgets as widgets
from ui.settings.data_shift import STATE
from ui.shift_charts import accuracy_curves, class_bars
from ui.state import bound_key

PAGE = "pages/data_shift.py"


@pytest.fixture()
def page() -> AppTest:
    return open_lesson(PAGE, timeout=180)


def section_five_text(at: AppTest) -> str:
    """The paragraph under the augmentation table (section 5)."""
    return next(m.value for m in at.markdown if m.value.startswith("The augmented network was trained"))


def test_default_view_and_main_controls(page, monkeypatch):
    assert [h.value for h in page.header] == [
        "1 · From file to tensor", "2 · Data sets: samples, labels, statistics",
        "3 · Accuracy the way papers report it", "4 · The controlled shift experiment",
        "5 · Which part of the gap does augmentation close?"]
    top1 = next(m for m in page.metric if m.label == "Top-1 (held out)")
    assert float(top1.value.rstrip("%")) >= 95
    assert any("(16, 1, 28, 28)" in c.value for c in page.code)
    for dataset in ("sklearn", "photos", "mnist"):
        page.radio(key="shift_dataset").set_value(dataset).run()
        no_exception(page)
    skip_predictions(page)
    for kind in ("background", "viewpoint", "rotation"):
        page.selectbox(key="shift_shift").set_value(kind).run()
        no_exception(page)
    page.select_slider(key="shift_step").set_value(6).run()  # 90° of rotation
    no_exception(page)
    assert any(" → " in (i.caption or "") for img in page.get("image") for i in img.proto.imgs)
    assert page.query_params["shift_shift"] in ("rotation", ["rotation"])
    assert any(c.startswith("180°:") for img in page.get("image") for c in [i.caption for i in img.proto.imgs])

    monkeypatch.setattr(data_shift, "AUGMENT_EPOCHS", 1)
    skip_predictions(finish_jobs(page.checkbox(key="shift_augment").check().run()))
    assert page.dataframe and "augmented" in section_five_text(page)
    assert "Augmentation" in section_five_text(page) and "textbook" in section_five_text(page)
    gap_column = page.dataframe[0].value["augmented vs standard on changed digits"]
    assert all(cell.split(" point")[0][0] in "+−" for cell in gap_column)  # points, never a negative "gap closed"
    assert not any("closes −" in cell for cell in gap_column)
    assert any(m.value.startswith("**Standard CNN.** Rotation: top-1") for m in page.markdown)


def test_every_widget_takes_exactly_its_declared_range(page):
    assert widgets_outside_their_declaration(page, STATE) == {}
    assert page.session_state[bound_key("shift_step")].high == len(data_shift.SHIFTS["rotation"].amounts) - 1
    page.radio(key="shift_dataset").set_value("online").run()
    page.selectbox(key="shift_shift").set_value("position").run()
    no_exception(page)
    assert widgets_outside_their_declaration(page, STATE) == {}
    assert page.session_state[bound_key("shift_step")].high == len(data_shift.SHIFTS["position"].amounts) - 1


def test_cifar10_offline_says_so_quickly(page, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(socket, "create_connection", refuse)
    page.radio(key="shift_dataset").set_value("online").run()
    start = time.monotonic()
    page.button(key="shift_fetch_online").click().run()
    assert time.monotonic() - start < 10
    no_exception(page)
    assert any("cannot be reached" in e.value for e in page.error)


def test_view_is_restored_from_the_url():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["shift_shift"] = "blur"
    at.query_params["shift_dataset"] = "sklearn"
    at.query_params["shift_step"] = "2"
    at.run()
    at.switch_page(PAGE).run()
    no_exception(at)
    assert at.selectbox(key="shift_shift").value == "blur"
    assert at.radio(key="shift_dataset").value == "sklearn"
    assert at.select_slider(key="shift_step").value == 2


def test_a_shared_link_is_held_in_declared_state_and_written_back():
    query = {"shift_photo": "rocket", "shift_dataset": "sklearn", "shift_online_set": "SVHN", "shift_shift": "rotation",
             "shift_step": "12", "shift_augment_degrees": "90"}
    at = open_lesson(PAGE, timeout=180, query=query)
    assert at.selectbox(key="shift_photo").value == "rocket"
    assert at.radio(key="shift_dataset").value == "sklearn"
    assert at.select_slider(key="shift_step").value == 12
    assert at.slider(key="shift_augment_degrees").value == 90 and at.checkbox(key="shift_augment").value is False
    assert at.session_state["shift_online_set"] == "SVHN"
    for key, value in query.items():
        assert at.query_params[key] in (value, [value]), key
    at.selectbox(key="shift_shift").set_value("position").run()  # six amounts: the step moves to the last one
    no_exception(at)
    assert at.select_slider(key="shift_step").value == 5 and at.query_params["shift_step"] in ("5", ["5"])


def _download_keys(at: AppTest) -> set[str]:
    return {b.proto.id.rsplit("-", 1)[-1] for b in at.get("download_button")}


def test_every_figure_offers_its_downloads_and_no_install_notes(page):
    skip_predictions(page)
    assert {"shift_samples_png", "shift_counts_png", "shift_counts_csv", "shift_confusion_png", "shift_confusion_csv",
            "shift_per_class_png", "shift_per_class_csv", "shift_curves_png", "shift_curves_csv"} <= _download_keys(page)
    shown = [c.value for c in page.caption] + list(page.radio(key="shift_dataset").options)
    assert not any("Debian" in text or "package" in text for text in shown), shown
    assert "A shared link carries the photo chosen from the list, not an uploaded file." in [c.value for c in
                                                                                           page.caption]


def _augmented_status(at: AppTest):
    found = [s for s in at.status if s.label.startswith(("Augmented CNN", "Training", "Loading the digit CNN"))]
    assert len(found) == 1, [s.label for s in at.status]
    return found[0]


def test_the_augmented_cnn_status_ends_complete_when_it_comes_from_the_cache(page, monkeypatch):
    monkeypatch.setattr(data_shift, "AUGMENT_EPOCHS", 1)
    skip_predictions(finish_jobs(page.checkbox(key="shift_augment").check().run()))
    first = _augmented_status(page)
    assert first.state == "complete" and first.label.startswith("Augmented CNN"), first.label
    page.run()  # the same network again: now from the cache, never "Training…" with a spinner
    no_exception(page)
    again = _augmented_status(page)
    assert again.state == "complete" and again.label.startswith("Augmented CNN (±180°) ready: trained earlier in")
    assert all(s.state == "complete" for s in page.status)
    assert page.dataframe


def test_a_link_with_augmentation_shows_the_stored_result_without_a_click(monkeypatch):
    monkeypatch.setattr(data_shift, "AUGMENT_EPOCHS", 1)
    at = finish_jobs(open_lesson(PAGE, timeout=300, query={"shift_augment": "True", "shift_augment_degrees": "180",
                                                           "shift_shift": "blur"}))
    assert at.checkbox(key="shift_augment").value is True
    assert _augmented_status(at).state == "complete"
    skip_predictions(at)  # the only clicks: past the predictions, which hide the results until answered
    assert not any(b.label == "Cancel" for b in at.button)  # the stored network and sweeps: nothing runs again
    assert at.dataframe and "augmented" in section_five_text(at)  # section 5 is filled in
    assert at.query_params["shift_augment"] in ("True", ["True"])


def test_accuracy_axes_end_at_100_percent_and_the_legend_draws_lines_with_points():
    bars = class_bars([str(d) for d in range(10)], np.full(10, 0.99), "Accuracy per class", percent=True).to_dict()
    y = bars["encoding"]["y"]
    assert y["scale"]["domain"] == [0, 1] and y["scale"]["nice"] is False and y["scale"]["clamp"] is True
    assert max(y["axis"]["values"]) == 1 and y["axis"]["labelFlush"] is False  # "100%" sits on the top line
    amounts = np.asarray(data_shift.SHIFTS["rotation"].amounts)
    curves = {"standard CNN": (amounts, np.linspace(1, 0.2, 13), np.linspace(1, 0.5, 13)),
              "augmented (±180°)": (amounts, np.full(13, 0.9), np.full(13, 0.99))}
    chart = accuracy_curves(curves, "degrees", "Rotation", marked=45.0)
    line = chart.to_dict()["layer"][0]
    assert line["encoding"]["y"]["axis"]["labelFlush"] is False and line["mark"]["point"]
    legends = vl_convert.vegalite_to_vega(chart.to_dict())["legends"]
    assert len(legends) == 1  # colour and dash in one legend: each entry is one plotted line
    legend = legends[0]
    assert legend["stroke"] == "color" and legend["strokeDash"] == "strokeDash"
    assert "transparent" not in json.dumps(legend.get("encode", {}))  # the symbols are drawn
    assert "A" in legend["symbolType"] and "L" in legend["symbolType"]  # a line through a point marker
    assert line["encoding"]["color"]["scale"]["domain"] == [
        "standard CNN, top-1", "standard CNN, top-5", "augmented (±180°), top-1", "augmented (±180°), top-5"]


def rotation_chart_shown(at: AppTest) -> bool:
    """Whether the rotation accuracy curves (section 4's result) are on the page."""
    return any("Rotation: held-out accuracy" in c.proto.spec for c in
               [*at.get("arrow_vega_lite_chart"), *at.get("vega_lite_chart")])


def first_turn_that_breaks(example: int = 1) -> int:
    """The smallest angle on the slider's grid (either way) at which the standard CNN misreads the chosen 7."""
    loaded = registry.load_model("digit_cnn", "pretrained")
    _, _, x_test, y_test = data.mnist_split()
    seven = x_test[np.flatnonzero(y_test == 7)[example - 1]]
    for angle in sorted(range(-180, 181, 5), key=abs):
        if data_shift.turned_digit(loaded.module, seven, angle, loaded.device).prediction != 7:
            return angle
    raise AssertionError("this 7 survives every angle")


def test_exercises_hints_a_prediction_that_hides_the_curves_and_a_task_checked_on_the_page(page):
    # a wrong number: feedback, then the hint ladder one rung at a time
    answer_exercise(page, "shift.top5_chance", 10)
    assert exercise_feedback(page, "shift.top5_chance") == (False, "Too low.")
    record = exercise_record(page, "shift.top5_chance")
    assert (record.tries, record.done) == (1, False)
    show_hint(page, "shift.top5_chance")
    hints = [c.value for c in page.caption if c.value.startswith("Hint ")]
    assert len(hints) == 1 and hints[0].startswith("Hint 1:")
    show_hint(page, "shift.top5_chance")
    assert [c.value[:7] for c in page.caption if c.value.startswith("Hint ")] == ["Hint 1:", "Hint 2:"]
    # then the right one (computed from the number of classes): the explanation names both chance levels
    answer_exercise(page, "shift.top5_chance", 50)
    assert exercise_feedback(page, "shift.top5_chance")[0] and exercise_record(page, "shift.top5_chance").done
    assert any(m.value.startswith("**Why.**") and "50%" in m.value for m in page.markdown)

    # predict, then run: the curves and the examples stay hidden until the prediction is committed
    assert not rotation_chart_shown(page) and "What it got wrong" not in [s.value for s in page.subheader]
    sweep = widgets.SWEEPS.get(("digit_cnn", "rotation"))  # what the page measured (computed before the reveal)
    measured = shift_exercises.above_half_at_quarter_turn(
        {"rotation_amounts": sweep.amounts, "rotation_top1": sweep.top1})
    commit_prediction(page, "shift.quarter_turn", shift_exercises.NOT_ABOVE_HALF)
    assert rotation_chart_shown(page) and "What it got wrong" in [s.value for s in page.subheader]
    record = exercise_record(page, "shift.quarter_turn")
    assert record.done and record.correct == (measured == shift_exercises.NOT_ABOVE_HALF)
    assert any(i.value.startswith("**What to notice.** Turned by 90°") for i in page.info)

    # make it happen: a 7 at 0° is refused, the same 7 turned far enough is accepted
    assert page.selectbox(key="shift_digit_class").value == "7"
    answer_exercise(page, "shift.break_a_seven")
    assert not exercise_feedback(page, "shift.break_a_seven")[0]
    assert not exercise_record(page, "shift.break_a_seven").done
    page.slider(key="shift_digit_angle").set_value(first_turn_that_breaks()).run()
    answer_exercise(page, "shift.break_a_seven")
    right, text = exercise_feedback(page, "shift.break_a_seven")
    assert right and "Done: turned by" in text and exercise_record(page, "shift.break_a_seven").done
    assert any(m.value.startswith("**Why.** Nothing was added or removed") for m in page.markdown)
    assert page.query_params["shift_digit_angle"] in (str(first_turn_that_breaks()), [str(first_turn_that_breaks())])
