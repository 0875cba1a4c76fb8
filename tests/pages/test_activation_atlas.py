"""AppTest runs of the activation-atlas page: before building, a small build and its views, the shared store, the digits."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.apptest import APP, no_exception, open_lesson

PAGE = "pages/activation_atlas.py"
BUILT = ["1 · The atlas", "2 · Inspect a cell", "3 · Where does a class live?", "4 · What the atlas hides"]


@pytest.fixture()
def page() -> AppTest:
    return open_lesson(PAGE, timeout=300)


def _small(at: AppTest, images: int = 400) -> None:
    at.slider(key="atlas_images").set_value(images)
    at.slider(key="atlas_grid").set_value(8)
    at.slider(key="atlas_steps").set_value(8)
    at.run()
    no_exception(at)


def test_build_a_small_atlas_then_explore_it(page):
    assert [h.value for h in page.header] == ["What the atlas hides"]
    assert page.button(key="atlas_build")
    _small(page)
    page.button(key="atlas_build").click().run()
    no_exception(page)
    assert [h.value for h in page.header] == BUILT
    assert page.query_params["atlas_grid"] in ("8", ["8"])
    assert page.query_params["atlas_recipe"] in ("carter", ["carter"])
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
    page.toggle(key="atlas_sensitivity").set_value(True).run()
    no_exception(page)
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


def test_the_digit_network_builds_an_atlas_of_digits(page):
    page.selectbox(key="atlas_network").set_value("digit_cnn").run()
    no_exception(page)
    assert page.selectbox(key="atlas_layer").value == "relu2"
    _small(page, images=300)
    page.button(key="atlas_build").click().run()
    no_exception(page)
    assert [h.value for h in page.header] == BUILT
    assert all(option.startswith("digit ") for option in page.selectbox(key="atlas_class").options)


def test_the_recipe_presets_the_umap_knobs_and_keys_the_store(page):
    assert page.radio(key="atlas_recipe").value == "carter"
    assert (page.slider(key="atlas_neighbors").value, page.select_slider(key="atlas_min_dist").value) == (50, "0.05")
    page.radio(key="atlas_recipe").set_value("app").run()
    no_exception(page)
    assert (page.slider(key="atlas_neighbors").value, page.select_slider(key="atlas_min_dist").value) == (20, "0.01")
    assert page.query_params["atlas_recipe"] in ("app", ["app"])
    assert "not** part of the published recipe" in " ".join(m.value for m in page.markdown)
    assert page.query_params["atlas_neighbors"] in ("20", ["20"])


def test_a_shared_link_restores_every_setting_and_the_url_carries_them_back():
    link = {"atlas_network": "digit_cnn", "atlas_layer": "relu1", "atlas_images": "300", "atlas_grid": "8",
            "atlas_steps": "8", "atlas_min_count": "3", "atlas_recipe": "app", "atlas_method": "umap",
            "atlas_neighbors": "30", "atlas_min_dist": "0.1", "atlas_seed": "4", "atlas_cell": "2",
            "atlas_class": "7", "atlas_first": "3", "atlas_second": "5"}
    at = open_lesson(PAGE, timeout=300, query=link)
    build = [b for b in at.button if b.key == "atlas_build"]
    if build:  # not built yet by another test in this process
        build[0].click().run()
        no_exception(at)
    assert [h.value for h in at.header] == BUILT
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
