"""The topographic-maps page in a real Chromium: the ten class maps draw, and hovering a unit shows its top images."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from bench.serve import AppServer, open_page, save_screenshot, screenshot_dir
from ui.navigation import lesson_by_path

pytestmark = pytest.mark.browser

LESSON = lesson_by_path("pages/topographic_maps.py")
TOOLTIP = "#vg-tooltip-element"


def test_class_maps_render_and_a_hovered_unit_shows_its_top_digits(app_server: AppServer, page: Page) -> None:
    """Ten digit maps appear; sweeping the mouse over the unit sheet brings up a tooltip with an image strip."""
    load = open_page(page, f"{app_server.url}/{LESSON.url_path}?topo_layout=force", LESSON.title)
    assert not load["exceptions"], load["exceptions"]
    captions = page.locator('[data-testid="stImageCaption"]').all_inner_texts()
    assert sum(c.strip().startswith("digit ") and len(c.strip()) == 7 for c in captions) == 10, captions
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200
    found = False
    for fy in [i / 24 for i in range(2, 23)]:
        for fx in [i / 24 for i in range(1, 20)]:
            page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
            tooltip = page.locator(TOOLTIP)
            if tooltip.count() and tooltip.is_visible() and "prefers" in tooltip.inner_text():
                found = tooltip.locator("img").count() > 0
                break
        if found:
            break
    assert found, "no unit tooltip with top images appeared over the unit sheet"
    save_screenshot(page, screenshot_dir() / "topographic_maps-hover.png")
