"""The linear-classifier page in a real Chromium: training plays and pauses, a link restores the step count, and
a click on the chart adds a point."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from bench.serve import (
    AppServer,
    open_page,
    save_screenshot,
    screenshot_dir,
    wait_rendered,
)
from ui.navigation import HOME_TITLE, lesson_by_path

pytestmark = pytest.mark.browser

LESSON = lesson_by_path("pages/linear_classifier.py")
MAIN = '[data-testid="stMain"]'


def _step_value(page: Page) -> Locator:
    """The step counter's value shown above the training charts."""
    return page.locator('[data-testid="stMetric"]', has_text="Step").locator('[data-testid="stMetricValue"]').first


def _step(page: Page) -> int:
    """The step count shown above the training charts."""
    return int(_step_value(page).inner_text())


def _open(page: Page, server: AppServer, query: str = "") -> None:
    """Open the lesson (after the home page, so the app's navigation is in force) and check it rendered."""
    open_page(page, server.url + "/", HOME_TITLE)
    load = open_page(page, f"{server.url}/{LESSON.url_path}{query}", LESSON.title)
    assert not load["exceptions"], load["exceptions"]


def test_play_advances_training_and_pause_stops_it(app_server: AppServer, page: Page) -> None:
    _open(page, app_server)
    assert _step(page) == 0
    page.get_by_role("button", name="Play").click()
    expect(_step_value(page)).not_to_have_text("0", timeout=30_000)  # training has taken steps
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_enabled(timeout=30_000)  # the whole page reruns
    load = wait_rendered(page, LESSON.title)
    assert not load["exceptions"], load["exceptions"]
    paused_at = _step(page)
    assert paused_at > 0
    wait_rendered(page, LESSON.title)  # idle for another settle time: several frames of the playing timer
    assert _step(page) == paused_at  # paused means idle: nothing moves
    assert re.search(rf"lc_step={paused_at}\b", page.url), page.url
    save_screenshot(page, screenshot_dir() / "linear_classifier-trained.png")


def test_shared_link_restores_the_step_count(app_server: AppServer, page: Page) -> None:
    _open(page, app_server, "?lc_preset=xor&lc_opt=adam&lc_lr=0.05&lc_step=40")
    assert _step(page) == 40
    assert page.get_by_text("No straight line splits these perfectly").first.is_visible()
    save_screenshot(page, screenshot_dir() / "linear_classifier-xor.png")


def test_clicking_the_chart_adds_a_point(app_server: AppServer, page: Page) -> None:
    _open(page, app_server)
    summary = page.locator(MAIN).get_by_text(re.compile(r"points of class A"))
    assert summary.first.inner_text().startswith("100 points of class A")
    column = page.locator('[data-testid="stColumn"]', has=page.get_by_text("Click adds")).first
    chart = column.locator('[data-testid="stVegaLiteChart"]').first
    box = chart.bounding_box()
    assert box is not None
    # the upper-left corner of the plot area is empty: a click there adds a point of class A (the default)
    chart.click(position={"x": box["width"] * 0.2, "y": box["height"] * 0.35})
    page.get_by_text(re.compile(r"^101 points of class A")).first.wait_for(timeout=30_000)
    wait_rendered(page, LESSON.title)
    assert re.search(r"lc_edits=a[^&]", page.url), page.url  # the added point travels in the link
