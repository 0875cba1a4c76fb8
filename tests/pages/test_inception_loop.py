"""AppTest runs of the closing-the-loop lesson: the shipped VISp run renders every section, predictions hide their
results until committed and are judged on what the page measured, the make-it-happen task, another area waits for a
button."""

from __future__ import annotations

from lessons.cortex import loop_exercises as ex
from tests.pages.apptest import (
    all_texts,
    answer_exercise,
    commit_prediction,
    exercise_feedback,
    exercise_record,
    image_captions,
    no_exception,
    open_lesson,
    predictions_of,
)

PAGE = "pages/inception_loop.py"
HEADERS = ["1 · The cells and their models", "2 · One cell", "3 · Its most exciting image", "4 · Closing the loop",
           "5 · The receptive field", "6 · More than one favourite", "7 · Real neurons"]


def test_the_shipped_run_shows_every_section_with_its_computed_sentences():
    at = open_lesson(PAGE, skipped=predictions_of(PAGE))
    assert [h.value for h in at.header] == HEADERS
    text = all_texts(at)
    assert "Shown to the simulated VISp cells themselves" in text and "Chance, measured" in text
    assert "rank correlation" in text and "receptive field" in text
    # the chosen cell (the first usable one: 700000254, MEI 0.110 vs best photo 0.169) is told apart from the noise
    assert "Cell 700000254 answered its MEI with 0.110 and its best photo with 0.169" in text
    assert "**the best photo won**" in text and "It is the ringed point" in text
    assert any(c.startswith("MEI — predicted") for c in image_captions(at))
    keys = {b.key for b in at.get("download_button")}
    assert {"il_mei_download_png", "il_mei_download_npy", "il_loop_download_png", "il_loop_download_csv"} <= keys
    assert at.button(key="il_diverse").label == "Make four diverse MEIs"


def test_predictions_hide_the_image_and_the_loop_until_committed_then_are_judged_on_the_page():
    at = open_lesson(PAGE)
    assert "3 · Its most exciting image" in [h.value for h in at.header]
    assert not any(c.startswith("MEI — predicted") for c in image_captions(at))
    commit_prediction(at, ex.MEI_LOOK.id, ex.GRATING)
    record = exercise_record(at, ex.MEI_LOOK.id)
    assert record.done and exercise_feedback(at, ex.MEI_LOOK.id) is not None
    commit_prediction(at, ex.LOOP_SHARE.id, ex.OVER_TWO_THIRDS)
    assert exercise_record(at, ex.LOOP_SHARE.id).done
    assert "Shown to the simulated VISp cells themselves" in all_texts(at)


def test_the_loop_fails_task_is_checked_on_the_chosen_cell():
    at = open_lesson(PAGE, skipped=predictions_of(PAGE))
    cells = at.selectbox(key="il_cell").options
    verdicts = []
    for cell in cells[:12]:
        at.selectbox(key="il_cell").set_value(cell).run()
        no_exception(at)
        answer_exercise(at, ex.LOOP_FAILS.id)
        verdicts.append(exercise_feedback(at, ex.LOOP_FAILS.id)[0])
        if verdicts[-1]:
            break
    assert True in verdicts, "one of the first twelve cells' MEIs loses to its best photo"
    assert exercise_record(at, ex.LOOP_FAILS.id).correct


def test_another_area_waits_for_its_button():
    at = open_lesson(PAGE, skipped=predictions_of(PAGE), query={"il_area": "VISam"})
    assert at.button(key="il_run").label == "Run the loop on VISam"
    assert "2 · One cell" not in [h.value for h in at.header]
