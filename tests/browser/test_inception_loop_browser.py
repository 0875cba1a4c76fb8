"""The closing-the-loop lesson in a real Chromium: the shipped run's MEI shows once the predictions are skipped, and
its downloads are the image at the stimulus resolution."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page

from bench.interactions import show_hidden_results
from bench.serve import AppServer, open_page, save_screenshot, screenshot_dir, wait_rendered
from ui.navigation import lesson_by_path

pytestmark = pytest.mark.browser

LESSON = lesson_by_path("pages/inception_loop.py")


def test_the_mei_shows_and_downloads_at_the_stimulus_resolution(app_server: AppServer, page: Page) -> None:
    load = open_page(page, f"{app_server.url}/{LESSON.url_path}", LESSON.title)
    assert not load["exceptions"], load["exceptions"]
    assert show_hidden_results(page) >= 2  # the MEI's look and the loop's share are predicted first
    load = wait_rendered(page, LESSON.title)
    assert not load["exceptions"], load["exceptions"]
    page.get_by_text("MEI — predicted").first.wait_for(timeout=60_000)
    page.get_by_text("Shown to the simulated VISp cells themselves").first.wait_for(timeout=60_000)
    row = page.locator('[data-testid="stDownloadButton"]', has_text="NPY").first
    row.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as info:
        row.click()
    image = np.load(io.BytesIO(Path(info.value.path()).read_bytes()), allow_pickle=False)
    assert image.shape == (144, 184) and image.dtype == np.uint8
    assert info.value.suggested_filename.startswith("mei-visp-")
    for width in (1400, 430):
        page.set_viewport_size({"width": width, "height": 900})
        wait_rendered(page, LESSON.title)
        save_screenshot(page, screenshot_dir() / f"inception_loop-results-{width}.png")
