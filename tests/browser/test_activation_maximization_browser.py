"""The activation-maximisation page in a real Chromium: a shared link restores the settings and Run shows a result."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from bench.serve import (
    AppServer,
    open_page,
    save_screenshot,
    screenshot_dir,
    wait_rendered,
)
from ui.navigation import HOME_TITLE, lesson_by_path

pytestmark = pytest.mark.browser

LESSON = lesson_by_path("pages/activation_maximization.py")


def test_run_shows_the_optimised_image_and_the_top_photos(app_server: AppServer, page: Page) -> None:
    open_page(page, app_server.url + "/", HOME_TITLE)
    load = open_page(page, f"{app_server.url}/{LESSON.url_path}?am_steps=8&am_layer=blocks.6&am_unit=7&am_tv=True",
                     LESSON.title)
    assert not load["exceptions"], load["exceptions"]
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("Real images that drive this unit most").first.wait_for(timeout=240_000)
    load = wait_rendered(page, LESSON.title)
    assert not load["exceptions"], load["exceptions"]
    assert "am_steps=8" in page.url and "am_unit=7" in page.url and "am_tv=True" in page.url, page.url
    assert page.get_by_text("Result after 8 steps: activation").first.is_visible()
    assert page.locator('[data-testid="stImage"] img').count() >= 3
    save_screenshot(page, screenshot_dir() / "activation_maximization-run.png")
    page.get_by_role("button", name="Run the comparisons").click()
    page.get_by_text("(d) Each prior on its own").first.wait_for(timeout=180_000)
    # the comparison runs wait their turn in the shared queue, each with a Cancel button until it has finished
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0, timeout=240_000)
    load = wait_rendered(page, LESSON.title)
    assert not load["exceptions"], load["exceptions"]
    save_screenshot(page, screenshot_dir() / "activation_maximization-compare.png")
