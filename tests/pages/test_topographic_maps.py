"""AppTest runs of the topographic-maps page: render, every layout, refinement, raw profiles, comparison, networks,
downloads, shared links, and the lesson's exercises (hints, a task checked on the page's scores, a prediction that
hides the comparison)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lessons.core import data, registry
from lessons.core.exports import NPY_SIGNATURE, PNG_SIGNATURE, array_npy, picture_png
from lessons.topomap import data as topomap_sources
from lessons.topomap import errors as topomap_errors
from lessons.topomap import exercises as topomap_exercises
from lessons.topomap import layouts as topomap_layouts
from lessons.topomap import pipeline as topomap_pipeline
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
from ui import topomap_charts as charts
from ui import topomap_results as results
from ui.downloads import chart_png

PAGE = "pages/topographic_maps.py"
HEADERS = ["1 · The brain scan: one map per class", "2 · The units on the sheet",
           "3 · Errors: what the layer does when the network is wrong",
           "4 · Which layout makes the most brain-like map?", "5 · What these maps can and cannot tell you"]


@pytest.fixture()
def page() -> AppTest:
    return open_lesson(PAGE, timeout=240)


def test_digit_mlp_maps_every_layout_and_the_comparison(page):
    assert [h.value for h in page.header] == HEADERS
    captions = image_captions(page)
    assert sorted(c for c in captions if c.startswith("digit ") and len(c) == 7) == [f"digit {d}" for d in range(10)]
    assert any("misclassified digit" in c for c in captions)
    assert page.query_params["topo_layout"] in ("pca", ["pca"])
    for method in topomap_layouts.LAYOUTS:
        page.selectbox(key="topo_layout").set_value(method).run()
        no_exception(page)
        assert f"laid out by **{topomap_layouts.LAYOUTS[method]}**" in " ".join(m.value for m in page.markdown)
    page.checkbox(key="topo_refined").check()
    page.radio(key="topo_profile").set_value("raw")
    page.radio(key="topo_metric").set_value("euclidean")
    page.number_input(key="topo_unit").set_value(17).run()
    no_exception(page)
    assert "The 8 images that drive unit 17 hardest" in image_captions(page)
    assert not any(" · blur " in c for c in image_captions(page))  # no comparison before the button
    finish_jobs(page.button(key="topo_compare").click().run())
    assert not any(" · blur " in c for c in image_captions(page))  # ready, but hidden until the prediction
    skip_predictions(page)
    thumbnails = [c for c in image_captions(page) if " · blur " in c]  # one map thumbnail per layout, with numbers
    assert [c.split(" · ")[0] for c in thumbnails] == [*topomap_layouts.LAYOUTS.values(), topomap_pipeline.CHANCE]
    assert {"topo_compare_download_png", "topo_compare_download_csv"} <= download_keys(page)
    for spec in chart_specs(page)[-2:]:  # the comparison bars write every layout's name in full
        axis = spec["encoding"]["y"]["axis"]
        assert axis["labelOverlap"] is False and axis["labelLimit"] >= 220, axis
        assert spec["height"] >= 7 * 28  # room for seven bars and their names
    table = page.dataframe[-1].value
    assert list(table.index) == [*topomap_layouts.LAYOUTS.values(), topomap_pipeline.CHANCE]
    layouts = table.drop(index=topomap_pipeline.CHANCE)
    # a trained network's units, laid out by their profiles, give smoother maps than a random placement of them
    assert layouts["blur AUC"].min() < table.loc[topomap_pipeline.CHANCE, "blur AUC"], table
    text = " ".join(m.value for m in page.markdown)
    assert f"**{layouts['blur AUC'].idxmin()}**" in text and "random placement" in text
    assert "profile cosine similarity" in text and "(chance)" in text
    # the comparison stays on the next run, and a fresh visit from the same link shows it without a click
    page.number_input(key="topo_unit").set_value(18).run()
    assert sum(" · blur " in c for c in image_captions(page)) == 7
    visitor = open_lesson(PAGE, query={k: v[0] if isinstance(v, list) else v for k, v in page.query_params.items()})
    assert not any(b.key == "topo_compare" for b in skip_predictions(visitor).button)  # nothing to press
    assert sum(" · blur " in c for c in image_captions(visitor)) == 7


def test_the_maps_and_the_unit_table_can_be_downloaded_and_the_table_says_what_it_holds(page):
    assert {"topo_maps_download_png", "topo_maps_download_csv", "topo_maps_download_npy",
            "topo_unit_download_csv"} <= download_keys(page)
    columns = json.loads(page.dataframe[0].proto.columns)
    assert columns["activation (centred)"]["help"].startswith("The unit's mean activation over this class")
    assert columns["class"]["width"] == "medium"
    result = results.MAPS.get(page_choices(page).maps_key)  # the maps the page shows, from the shared store
    sheet = charts.maps_sheet(result.maps, result.order, [f"digit {d}" for d in range(10)], 1.0)
    assert sheet.ndim == 3 and sheet.shape[1] > 1000 and picture_png(sheet).startswith(PNG_SIGNATURE)
    assert array_npy(result.maps).startswith(NPY_SIGNATURE) and result.maps.shape == (10, 100, 100)
    names = [*topomap_layouts.LAYOUTS.values(), topomap_pipeline.CHANCE]
    table = pd.DataFrame({"layout": names, "resample_auc": 0.001, "blur_auc": 0.01}).set_index("layout")
    assert chart_png(charts.quality_figure(table)).startswith(PNG_SIGNATURE)  # the comparison chart as a picture


def test_switching_to_the_photo_network_resets_the_colour_class_to_a_photo():
    """Regression: after switching to EfficientNet-Lite0 the class box kept showing "digit 3" over photo options,
    and the next run failed replaying a progress bar drawn inside a cached function."""
    at = open_lesson(PAGE, query={"topo_per_photo": "4", "topo_colour_class": "3"})
    assert at.selectbox(key="topo_colour_class").value == 3
    at.selectbox(key="topo_network").set_value("efficientnet_lite0").run()
    no_exception(at)
    first_photo = data.photo_info(data.photo_keys()[0]).caption
    box = at.selectbox(key="topo_colour_class")
    assert box.options[0] == first_photo and box.value == 0
    assert box.proto.set_value and box.proto.raw_value == first_photo  # what the browser is told to show
    assert at.query_params["topo_colour_class"] in ("0", ["0"])
    at.run()  # the same settings again: everything comes from the store, nothing is replayed
    no_exception(at)
    assert at.selectbox(key="topo_colour_class").value == 0


def test_digit_cnn_and_the_photo_network(page):
    page.selectbox(key="topo_network").set_value("digit_cnn").run()
    no_exception(page)
    assert page.selectbox(key="topo_layer").value == "relu2"
    scale_with_every_image = colour_scale(page)
    page.checkbox(key="topo_correct").check().run()
    no_exception(page)
    assert colour_scale(page) != scale_with_every_image  # the maps now average fewer images: other values
    page.selectbox(key="topo_network").set_value("efficientnet_lite0").run()
    assert page.slider(key="topo_per_photo").value == 12
    page.slider(key="topo_per_photo").set_value(4).run()
    no_exception(page)
    assert page.selectbox(key="topo_layer").value == "blocks.15"
    assert "Each **photo is one class**" in " ".join(c.value for c in page.caption)
    assert any("no true labels" in i.value for i in page.info)
    assert page.checkbox(key="topo_correct").disabled  # photo crops have no labels to be correct about


def test_a_shared_link_restores_every_setting_and_the_url_carries_them_back():
    link = {"topo_network": "digit_cnn", "topo_layer": "relu1", "topo_per_class": "50", "topo_layout": "force",
            "topo_refined": "True", "topo_metric": "euclidean", "topo_seed": "2", "topo_profile": "raw",
            "topo_correct": "True", "topo_colour_class": "3", "topo_unit": "5", "topo_error_class": "4"}
    at = open_lesson(PAGE, query=link)
    expected = {"topo_network": "digit_cnn", "topo_layer": "relu1", "topo_per_class": 50, "topo_layout": "force",
                "topo_refined": True, "topo_metric": "euclidean", "topo_seed": 2, "topo_profile": "raw",
                "topo_correct": True, "topo_colour_class": 3, "topo_unit": 5, "topo_error_class": 4}
    for key, value in expected.items():
        assert at.session_state[key] == value, key
    for key, value in link.items():
        assert at.query_params[key] in (value, [value]), key
    assert "The 8 images that drive unit 5 hardest" in image_captions(at)
    assert at.selectbox(key="topo_error_class").value == 4
    # a student's changes travel in the link too (the unit used to be read from it but never written back)
    at.number_input(key="topo_unit").set_value(6).run()
    at.selectbox(key="topo_colour_class").set_value(1).run()
    no_exception(at)
    for key, value in {"topo_unit": "6", "topo_colour_class": "1"}.items():
        assert at.query_params[key] in (value, [value]), key


def test_the_error_view_starts_at_the_digit_with_most_errors_and_follows_the_network(page):
    assert page.selectbox(key="topo_error_class").value == topomap_errors.most_wrong_class(
        digit_source_like_the_page("digit_mlp"))
    cnn_first = topomap_errors.most_wrong_class(digit_source_like_the_page("digit_cnn"))
    page.selectbox(key="topo_error_class").set_value((cnn_first + 1) % 10).run()  # the student looks elsewhere
    page.selectbox(key="topo_network").set_value("digit_cnn").run()
    no_exception(page)
    assert page.selectbox(key="topo_error_class").value == cnn_first  # another network: back to its worst digit


def fake_comparison(best: str) -> topomap_pipeline.Comparison:
    """A comparison of every layout in which `best` has the lowest blur error (blank maps: only the numbers count)."""
    names = [*topomap_layouts.LAYOUTS.values(), topomap_pipeline.CHANCE]
    rows = [{"layout": name, "resample_auc": 0.003, "blur_auc": 0.01 if name == best else 0.02, "components": 5.0,
             "component_px": 100.0, "seconds": 0.1} for name in names]
    return topomap_pipeline.Comparison(rows, {name: np.zeros((10, 100, 100), np.float32) for name in names})


def test_exercises_hints_a_task_on_the_page_scores_and_a_prediction_that_hides_the_comparison(page):
    # a wrong choice: its feedback, then the hint ladder one rung at a time, then the right one and the explanation
    answer_exercise(page, "topomap.layout_is_ours", "The network's accuracy")
    right, text = exercise_feedback(page, "topomap.layout_is_ours")
    assert not right and "never sees the sheet" in text and not exercise_record(page, "topomap.layout_is_ours").done
    show_hint(page, "topomap.layout_is_ours")
    assert [c.value[:7] for c in page.caption if c.value.startswith("Hint ")] == ["Hint 1:"]
    show_hint(page, "topomap.layout_is_ours")
    assert [c.value[:7] for c in page.caption if c.value.startswith("Hint ")] == ["Hint 1:", "Hint 2:"]
    answer_exercise(page, "topomap.layout_is_ours", "Nothing: only where we draw its units")
    assert exercise_record(page, "topomap.layout_is_ours").done
    assert any(m.value.startswith("**Why.** A topographic map of a network") for m in page.markdown)

    # make it happen, judged on the scores the page shows: PCA itself is refused, a smoother layout is accepted
    assert any(i.value.startswith("**What to notice.** Laid out by PCA") for i in page.info)
    answer_exercise(page, "topomap.beat_pca")
    assert "This *is* PCA" in exercise_feedback(page, "topomap.beat_pca")[1]
    for method in ("graph", "tsne", "som", "force"):  # UMAP left out: its first fit compiles for a while
        page.selectbox(key="topo_layout").set_value(method).run()
        answer_exercise(page, "topomap.beat_pca")
        if exercise_feedback(page, "topomap.beat_pca")[0]:
            break
    assert exercise_record(page, "topomap.beat_pca").done, exercise_feedback(page, "topomap.beat_pca")
    assert f"**{topomap_layouts.LAYOUTS[method]}**" in exercise_feedback(page, "topomap.beat_pca")[1]

    # predict, then run: a comparison that is ready stays hidden until the prediction is committed
    results.COMPARISONS.put(page_choices(page).comparison_key, fake_comparison("Graph (Fruchterman–Reingold)"))
    page.run()
    assert not any(" · blur " in c for c in image_captions(page))
    assert "The comparison is ready: commit (or skip) your prediction above to see it." in [c.value for c in
                                                                                          page.caption]
    commit_prediction(page, "topomap.smoothest", "Graph (Fruchterman–Reingold)")
    assert sum(" · blur " in c for c in image_captions(page)) == 7
    record = exercise_record(page, "topomap.smoothest")
    assert record.done and record.correct and record.answer == "Graph (Fruchterman–Reingold)"
    assert any(m.value.startswith("**Why.** Lowest blur error here: **Graph") for m in page.markdown)
    assert topomap_exercises.smoothest_layout({"layout_scores": fake_comparison("UMAP").scores()}) == "UMAP"


def digit_source_like_the_page(network: str) -> topomap_sources.UnitActivations:
    """The activations the page draws by default for a digit network: its last layer, 100 digits per class, seed 0."""
    layer = topomap_sources.layers_for(network)[1]
    return topomap_sources.digit_activations(registry.load_model(network).module, layer, 100, 0)


def download_keys(at: AppTest) -> set[str]:
    """The user keys of every download button on the page (`<row key>_<extension>`)."""
    return {button.proto.id.rsplit("-", 1)[-1] for button in at.get("download_button")}


def chart_specs(at: AppTest) -> list[dict]:
    """The Vega-Lite specs of every Altair chart on the page, in order."""
    return [json.loads(c.proto.spec) for c in [*at.get("arrow_vega_lite_chart"), *at.get("vega_lite_chart")]]


def page_choices(at: AppTest) -> results.Choices:
    """The choices the page was drawn with, read back from its session (a digit network)."""
    state = at.session_state
    return results.Choices(state["topo_network"], "pretrained", state["topo_layer"], state["topo_per_class"],
                           state["topo_layout"], state["topo_refined"], state["topo_metric"], state["topo_seed"],
                           state["topo_profile"], state["topo_correct"])


def colour_scale(page: AppTest) -> str:
    """The caption of the maps' colour bar, which names their shared scale."""
    return next(c for c in image_captions(page) if c.startswith("blue −"))
