"""The Inside-a-CNN page in a real Chromium: real uploads (good and bad) and several sessions at once."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page

from bench.serve import (
    AppServer,
    open_page,
    save_screenshot,
    screenshot_dir,
    wait_rendered,
)
from ui.navigation import lesson_by_path

pytestmark = pytest.mark.browser

LESSON = lesson_by_path("pages/inside_cnn.py")
UPLOAD_INPUT = '[data-testid="stMain"] [data-testid="stFileUploaderDropzoneInput"]'  # not the sidebar's progress file


def _png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _upload(page: Page, name: str, payload: bytes, mime: str, shows: str) -> None:
    """Upload a file, wait until the page shows the text `shows` (the upload's rerun has started), then settle."""
    page.locator(UPLOAD_INPUT).set_input_files({"name": name, "mimeType": mime, "buffer": payload})
    page.get_by_text(shows).first.wait_for(state="visible", timeout=60_000)
    load = wait_rendered(page, LESSON.title)
    assert not load["exceptions"], load["exceptions"]


def test_uploads_good_and_bad(app_server: AppServer, page: Page) -> None:
    """A corrupt file shows a clear message and keeps the photo; a real image is then analysed."""
    load = open_page(page, f"{app_server.url}/{LESSON.url_path}?cnn_photo=chelsea", LESSON.title)
    assert not load["exceptions"], load["exceptions"]
    noise = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    _upload(page, "broken.png", _png_bytes(noise)[:3000], "image/png", shows="damaged or incomplete")
    alert = page.locator('[data-testid="stAlert"]', has_text="broken.png")
    assert alert.first.is_visible()
    assert "damaged or incomplete" in alert.first.inner_text()
    assert page.get_by_text("Best guess: tiger cat").first.is_visible()  # the selected photo is still analysed
    save_screenshot(page, screenshot_dir() / "inside_cnn-bad-upload.png")

    _upload(page, "noise.png", _png_bytes(noise), "image/png", shows="Your upload: noise.png")
    assert page.get_by_text("Your upload: noise.png").first.is_visible()
    assert not page.locator('[data-testid="stAlert"]', has_text="can't be used").count()


def test_concurrent_sessions_each_see_their_own_image(app_server: AppServer, browser: Browser) -> None:
    """Three sessions load the page at the same time on the shared model; each gets its own answer."""
    expected = {"coffee": "espresso", "chelsea": "tiger cat", "camera": "tripod"}
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in expected]
    try:
        pages = [context.new_page() for context in contexts]
        for tab, photo in zip(pages, expected):
            tab.goto(f"{app_server.url}/{LESSON.url_path}?cnn_photo={photo}&cnn_layer=blocks.4", wait_until="commit")
        for tab, (photo, top1) in zip(pages, expected.items()):
            load = wait_rendered(tab, LESSON.title)
            assert not load["exceptions"], (photo, load["exceptions"])
            tab.get_by_text(f"Best guess: {top1}").first.wait_for(state="visible", timeout=60_000)
    finally:
        for context in contexts:
            context.close()
