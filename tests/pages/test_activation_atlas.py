"""AppTest runs of the activation-atlas page: before building, a small build and its views, the shared store, the digits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lessons.atlas import exercises as ex
from tests.pages.apptest import (
    APP,
    answer_exercise,
    commit_prediction,
    exercise_feedback,
    exercise_record,
    finish_jobs,
    image_captions,
    keyed_elements,
    no_exception,
    open_lesson,
    show_hint,
)
from ui.settings.activation_atlas import STATE

PAGE = "pages/activation_atlas.py"
BUILT = ["1 · The atlas", "2 · Inspect a cell", "3 · Where does a class live?", "4 · What the atlas hides"]
#: A small digit atlas, as a shared link names it.
LINK = {"atlas_network": "digit_cnn", "atlas_layer": "relu1", "atlas_images": "300", "atlas_grid": "8",
        "atlas_steps": "8", "atlas_min_count": "3", "atlas_recipe": "app", "atlas_method": "umap",
        "atlas_neighbors": "30", "atlas_min_dist": "0.1", "atlas_seed": "4", "atlas_cell": "2",
        "atlas_class": "7", "atlas_first": "3", "atlas_second": "5"}


@pytest.fixture(scope="module")
def prepared():
    """LINK's atlas built ahead, where the page's shared store finds it (as `python -m lessons.warm` leaves one)."""
    from lessons.atlas import pipeline as atlas_pipeline
    from lessons.core import records, registry
    from lessons.warm import ATLAS_RECORDS

    settings = atlas_pipeline.AtlasSettings(model_key="digit_cnn", layer="relu1", n_images=300, grid=8, min_count=3,
                                            method="umap", n_neighbors=30, min_dist=0.1, steps=8, seed=4,
                                            recipe="app", weights="pretrained")
    result = records.load_record(ATLAS_RECORDS, settings)
    if result is None:
        loaded = registry.load_model("digit_cnn", "pretrained")
        result = atlas_pipeline.build(loaded, settings)
        assert records.save_record(ATLAS_RECORDS, settings, result)
    return result


def _specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


@pytest.fixture()
def page() -> AppTest:
    return open_lesson(PAGE, timeout=300)


@pytest.fixture()
def no_stored_atlases(tmp_path, monkeypatch) -> None:
    """Finished atlases are kept on disk between runs (`python -m lessons.warm` prepares some): a test that builds
    one itself starts from an empty record folder, so the Build button is there to press."""
    from lessons.core import records

    monkeypatch.setattr(records, "cache_dir", lambda: tmp_path)


def _small(at: AppTest, images: int = 400) -> None:
    at.slider(key="atlas_images").set_value(images)
    at.slider(key="atlas_grid").set_value(8)
    at.slider(key="atlas_steps").set_value(8)
    at.run()
    no_exception(at)


def test_build_a_small_atlas_then_explore_it(no_stored_atlases, page):
    _small(page)
    assert [h.value for h in page.header] == ["What the atlas hides"]
    finish_jobs(page.button(key="atlas_build").click().run())
    assert [h.value for h in page.header] == BUILT
    assert page.query_params["atlas_grid"] in ("8", ["8"])
    assert page.query_params["atlas_recipe"] in ("carter", ["carter"])
    assert not any("Cells faded by how strongly" in c for c in image_captions(page))  # waits for a prediction
    commit_prediction(page, ex.CLASS_REGIONS.id, ex.SEVERAL_REGIONS)
    assert any("Cells faded by how strongly" in c for c in image_captions(page))
    text = " ".join(m.value for m in page.markdown)
    assert "activation × gradient" in text and "longest stage was" in text
    assert "separate regions" in text or "one connected region" in text or "no positive evidence" in text
    cells = page.selectbox(key="atlas_cell")
    assert len(cells.options) >= 3 and "points" in cells.options[0]
    cells.select_index(2).run()
    no_exception(page)
    assert page.metric[0].value.isdigit() and int(page.metric[0].value) >= 5
    page.selectbox(key="atlas_class").select_index(4).run()
    page.selectbox(key="atlas_second").select_index(2).run()
    no_exception(page)
    finish_jobs(page.toggle(key="atlas_sensitivity").set_value(True).run())
    trust = [float(c.value.rsplit(" ", 1)[-1]) for c in page.caption if "trustworthiness" in c.value]
    assert len(trust) == 3
    text = " ".join(m.value for m in page.markdown)
    best = (5, 20, 50)[int(np.argmax(trust))]
    assert f"n_neighbors = {best} keeps neighbourhoods best" in text or "equally well" in text
    # the same settings again: served from the shared store, no button press needed
    again = AppTest.from_file(APP, default_timeout=300).run()
    again.switch_page(PAGE).run()
    _small(again)
    assert [h.value for h in again.header] == BUILT


def test_the_digit_network_builds_an_atlas_of_digits(no_stored_atlases, page):
    page.selectbox(key="atlas_network").set_value("digit_cnn").run()
    no_exception(page)
    assert page.selectbox(key="atlas_layer").value == "relu2"
    _small(page, images=300)
    finish_jobs(page.button(key="atlas_build").click().run())
    assert [h.value for h in page.header] == BUILT
    assert all(option.startswith("digit ") for option in page.selectbox(key="atlas_class").options)


def test_the_uploader_says_a_link_cannot_carry_the_images(page):
    assert any("not your uploaded images" in c.value for c in page.caption)


def test_the_recipe_presets_the_umap_knobs_and_keys_the_store(page):
    assert page.radio(key="atlas_recipe").value == "carter"
    assert (page.slider(key="atlas_neighbors").value, page.select_slider(key="atlas_min_dist").value) == (50, "0.05")
    page.radio(key="atlas_recipe").set_value("app").run()
    no_exception(page)
    assert (page.slider(key="atlas_neighbors").value, page.select_slider(key="atlas_min_dist").value) == (20, "0.01")
    assert page.query_params["atlas_recipe"] in ("app", ["app"])
    assert "not** part of the published recipe" in " ".join(m.value for m in page.markdown)
    assert page.query_params["atlas_neighbors"] in ("20", ["20"])


def test_a_shared_link_restores_every_setting_and_the_url_carries_them_back(prepared):
    link = LINK
    at = open_lesson(PAGE, timeout=300, query=link)
    assert [h.value for h in at.header] == BUILT  # the prepared atlas, without a click
    expected = {"atlas_network": "digit_cnn", "atlas_layer": "relu1", "atlas_images": 300, "atlas_grid": 8,
                "atlas_steps": 8, "atlas_min_count": 3, "atlas_recipe": "app", "atlas_neighbors": 30,
                "atlas_min_dist": "0.1", "atlas_seed": 4, "atlas_cell": 2, "atlas_class": "7", "atlas_first": "3",
                "atlas_second": "5"}
    for key, value in expected.items():
        assert at.session_state[key] == value, key
    for key, value in link.items():
        assert at.query_params[key] in (value, [value]), key
    assert at.selectbox(key="atlas_cell").value == 2 and at.selectbox(key="atlas_first").value == "3"
    assert "at least 3 of the" in " ".join(i.caption for img in at.get("image") for i in img.proto.imgs)
    # a student's changes travel in the link too (these keys used to be read from it but never written back)
    at.selectbox(key="atlas_cell").select_index(1).run()
    at.selectbox(key="atlas_class").set_value("2").run()
    at.slider(key="atlas_min_count").set_value(4).run()
    no_exception(at)
    for key, value in {"atlas_cell": "1", "atlas_class": "2", "atlas_min_count": "4"}.items():
        assert at.query_params[key] in (value, [value]), key


def test_a_link_to_a_prepared_atlas_shows_it_readably_with_every_download(prepared):
    at = finish_jobs(open_lesson(PAGE, timeout=300, query={**LINK, "atlas_sensitivity": "True"}))
    assert [h.value for h in at.header] == BUILT
    assert not [b for b in at.button if b.key == "atlas_build"]  # shown at once: nothing to press
    assert at.toggle(key="atlas_sensitivity").value is True  # the comparison travels in the link too
    keys = {b.key for b in at.get("download_button")}
    assert {"atlas_picture_dl_png", "atlas_picture_dl_npy", "atlas_layout_dl_png", "atlas_layout_dl_csv",
            "atlas_compare_dl_png", "atlas_compare_dl_csv"} <= keys
    specs = _specs(at)
    layout, *compared = [s for s in specs if "activations of relu1" in json.dumps(s.get("title", ""))
                         or "n_neighbors = " in json.dumps(s.get("title", ""))]
    assert layout["height"] == 450 and layout["autosize"]["type"] == "fit-x"  # the plot itself 450 px tall
    assert layout["encoding"]["color"]["legend"]["orient"] == "bottom"  # the legend never squeezes the plot
    assert len(compared) == 3
    assert all(c["height"] == 280 and c["encoding"]["color"]["legend"] is None for c in compared)
    assert len([c for c in at.caption if "trustworthiness" in c.value]) == 3
    controls = {node.key for node in keyed_elements(at) if node.type not in ("button", "download_button")
                and not node.key.startswith(("ex_", "exercise_"))}  # exercises: progress, not page settings
    assert controls <= set(STATE.settings) and all(STATE[key].in_link for key in controls)  # all in the link
    assert {"atlas_cell", "atlas_class", "atlas_first", "atlas_second", "atlas_sensitivity"} <= controls


def test_the_exercises_on_a_prepared_atlas(prepared):
    from lessons.atlas import compute as atlas
    from lessons.atlas import pipeline as atlas_pipeline
    from lessons.core import registry

    at = open_lesson(PAGE, timeout=300, query=LINK)
    # Predict, then run: section 3's maps wait for the prediction, then show and judge it on the class highlighted
    assert not any("Cells faded by how strongly" in c for c in image_captions(at))
    assert not any(m.value.startswith("Bright cells push") for m in at.markdown)
    commit_prediction(at, ex.CLASS_REGIONS.id, ex.ONE_REGION)
    assert any("Cells faded by how strongly" in c for c in image_captions(at))
    summary = next(m.value for m in at.markdown if m.value.startswith("Bright cells push"))
    measured = ex.ONE_REGION if "one connected region" in summary else (
        ex.SEVERAL_REGIONS if "separate regions" in summary else ex.NOWHERE)
    record = exercise_record(at, ex.CLASS_REGIONS.id)
    assert record.done and record.tries == 1 and record.correct == (measured == ex.ONE_REGION)
    assert any(m.value.startswith("**Why.**") and "digit 7" in m.value for m in at.markdown)

    # A choice: wrong (its feedback), the hint ladder one step at a time, then right (the explanation)
    wrong = "Which classes the cell speaks for"
    answer_exercise(at, ex.WHAT_IT_HIDES.id, wrong)
    assert exercise_feedback(at, ex.WHAT_IT_HIDES.id) == (False, ex.WHAT_IT_HIDES.option(wrong).feedback)
    show_hint(at, ex.WHAT_IT_HIDES.id)
    assert [c.value for c in at.caption if c.value.startswith("Hint ")] == [f"Hint 1: {ex.WHAT_IT_HIDES.hints[0]}"]
    show_hint(at, ex.WHAT_IT_HIDES.id)
    assert [c.value for c in at.caption if c.value.startswith("Hint ")] == [
        f"Hint 1: {ex.WHAT_IT_HIDES.hints[0]}", f"Hint 2: {ex.WHAT_IT_HIDES.hints[1]}"]
    answer_exercise(at, ex.WHAT_IT_HIDES.id, ex.COMPOSITION)
    assert exercise_feedback(at, ex.WHAT_IT_HIDES.id)[0] and exercise_record(at, ex.WHAT_IT_HIDES.id).done
    assert any(m.value == f"**Why.** {ex.WHAT_IT_HIDES.explanation}" for m in at.markdown)

    # Make it happen: the target named on the page, found by picking a cell whose icon the network reads as it
    readings, confidences = atlas.icon_readings(registry.load_model("digit_cnn", "pretrained"), prepared.icons.images)
    target = atlas_pipeline.icon_target(readings, confidences)
    assert f"**Your target class** for the task below: **digit {target}**." in [m.value for m in at.markdown]
    miss = int(np.flatnonzero(readings != target)[0]) if (readings != target).any() else None
    if miss is not None:
        at.selectbox(key="atlas_cell").set_value(miss).run()
        answer_exercise(at, ex.FIND_CELL.id)
        assert not exercise_feedback(at, ex.FIND_CELL.id)[0]
    at.selectbox(key="atlas_cell").set_value(int(np.flatnonzero(readings == target)[0])).run()
    assert any(f"reads this icon as **digit {target}**" in c.value for c in at.caption)
    answer_exercise(at, ex.FIND_CELL.id)
    assert exercise_feedback(at, ex.FIND_CELL.id)[0] and exercise_record(at, ex.FIND_CELL.id).done
    assert any(i.value.startswith("**What to notice.** Shown on its own") for i in at.info)
