"""AppTest runs of the topographic-maps page: render, every layout, refinement, raw profiles, comparison, networks."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lessons.core import registry
from lessons.topomap import data as topomap_sources
from lessons.topomap import errors as topomap_errors
from lessons.topomap import layouts as topomap_layouts
from lessons.topomap import pipeline as topomap_pipeline
from tests.pages.apptest import image_captions, no_exception, open_lesson

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
    page.toggle(key="topo_compare").set_value(True).run()
    no_exception(page)
    table = page.dataframe[-1].value
    assert list(table.index) == [*topomap_layouts.LAYOUTS.values(), topomap_pipeline.CHANCE]
    layouts = table.drop(index=topomap_pipeline.CHANCE)
    # a trained network's units, laid out by their profiles, give smoother maps than a random placement of them
    assert layouts["blur AUC"].min() < table.loc[topomap_pipeline.CHANCE, "blur AUC"], table
    text = " ".join(m.value for m in page.markdown)
    assert f"**{layouts['blur AUC'].idxmin()}**" in text and "random placement" in text
    assert "profile cosine similarity" in text and "(chance)" in text


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


def digit_source_like_the_page(network: str) -> topomap_sources.UnitActivations:
    """The activations the page draws by default for a digit network: its last layer, 100 digits per class, seed 0."""
    layer = topomap_sources.layers_for(network)[1]
    return topomap_sources.digit_activations(registry.load_model(network).module, layer, 100, 0)


def colour_scale(page: AppTest) -> str:
    """The caption of the maps' colour bar, which names their shared scale."""
    return next(c for c in image_captions(page) if c.startswith("blue −"))
