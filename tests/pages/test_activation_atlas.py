"""AppTest runs of the activation-atlas page: before building, a small build and its views, the shared store, the digits."""

from __future__ import annotations

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
    assert sum("trustworthiness" in c.value for c in page.caption) == 3
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
