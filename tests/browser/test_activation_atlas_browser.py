"""The activation-atlas page in a real Chromium: a zip upload (one good image, one broken), then a small build."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page

from bench.serve import (
    AppServer,
    open_page,
    save_screenshot,
    screenshot_dir,
    wait_rendered,
)
from ui.navigation import lesson_by_path

pytestmark = pytest.mark.browser

LESSON = lesson_by_path("pages/activation_atlas.py")
UPLOAD_INPUT = '[data-testid="stMain"] [data-testid="stFileUploaderDropzoneInput"]'  # not the sidebar's progress file


def _zip_with_one_good_and_one_broken_image() -> bytes:
    picture = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (80, 120, 3), dtype=np.uint8)).save(picture, "PNG")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("holiday/noise.png", picture.getvalue())
        zf.writestr("holiday/broken.jpg", b"this is not a jpeg")
    return archive.getvalue()


def test_upload_a_zip_then_build_a_small_atlas(app_server: AppServer, page: Page) -> None:
    """The broken member gets a clear message, the good one joins the photos, and the atlas is drawn."""
    url = f"{app_server.url}/{LESSON.url_path}?atlas_images=300&atlas_grid=8&atlas_steps=8"
    load = open_page(page, url, LESSON.title)
    assert not load["exceptions"], load["exceptions"]
    page.locator(UPLOAD_INPUT).set_input_files(
        {"name": "holiday.zip", "mimeType": "application/zip", "buffer": _zip_with_one_good_and_one_broken_image()})
    warning = page.locator('[data-testid="stAlert"]', has_text="broken.jpg")
    warning.first.wait_for(state="visible", timeout=60_000)  # the upload's rerun has started
    load = wait_rendered(page, LESSON.title)
    assert not load["exceptions"], load["exceptions"]
    assert warning.first.is_visible()
    assert page.get_by_text("1 of your images join the 14 photos").first.is_visible()
    page.get_by_role("button", name="Build the atlas").click()
    page.get_by_text("2 · Inspect a cell").first.wait_for(timeout=240_000)
    load = wait_rendered(page, LESSON.title, timeout_s=240)
    assert not load["exceptions"], load["exceptions"]
    assert page.locator("h2", has_text="1 · The atlas").first.is_visible()
    assert page.get_by_text("Atlas built in").first.is_visible()
    save_screenshot(page, screenshot_dir() / "activation_atlas-built.png")
