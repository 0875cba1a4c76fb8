"""The Convolution page in a real Chromium: a shared link restores the view, and the kernel editor explains a
cleared cell without losing the student's numbers."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from bench.serve import (
    AppServer,
    open_page,
    save_screenshot,
    screenshot_dir,
    wait_layout_stable,
    wait_rendered,
)
from ui.navigation import lesson_by_path

pytestmark = pytest.mark.browser

LESSON = lesson_by_path("pages/convolution.py")
MAIN = '[data-testid="stMain"]'


def test_shared_link_restores_photo_kernel_and_sigma(app_server: AppServer, page: Page) -> None:
    url = f"{app_server.url}/{LESSON.url_path}?conv_photo=coins&conv_kernel=sobel&conv_sigma=2.5"
    load = open_page(page, url, LESSON.title)
    assert not load["exceptions"], load["exceptions"]
    main = page.locator(MAIN)
    # captions under images appear once their pictures have loaded: wait for each rather than sample once
    for text in ("Greek coins from Pompeii", "Sobel magnitude (all edges)",
                 "Sobel x: vertical edges",  # the magnitude's two parts
                 "Combined: √("):
        expect(main.get_by_text(text).first).to_be_visible(timeout=30_000)
    query = parse_qs(urlsplit(page.url).query)
    assert query["conv_kernel"] == ["sobel"] and query["conv_sigma"] == ["2.5"]
    save_screenshot(page, screenshot_dir() / "convolution-sobel.png")


def test_clearing_a_kernel_cell_explains_and_keeps_the_numbers(app_server: AppServer, page: Page) -> None:
    load = open_page(page, f"{app_server.url}/{LESSON.url_path}?conv_kernel=sharpen", LESSON.title)
    assert not load["exceptions"], load["exceptions"]
    # the toggle itself (the kernel exercise's prompt names it too)
    page.locator(f'{MAIN} [data-testid="stCheckbox"]', has_text="Edit the numbers").first.locator("label").click()
    grid = page.locator(f'{MAIN} [data-testid="stDataFrame"]').first
    grid.wait_for(state="visible", timeout=30_000)  # the toggle's rerun has drawn the editor
    wait_rendered(page, LESSON.title)
    grid.scroll_into_view_if_needed()
    wait_layout_stable(page)  # the editor has its final size before a click aims at a cell

    def middle_cell() -> tuple[float, float]:
        box = grid.bounding_box()
        assert box is not None
        # a 3×3 grid below a header row and beside an index column: 4 × 4 equal cells
        return box["x"] + box["width"] * 2.5 / 4, box["y"] + box["height"] * 2.5 / 4

    alert = page.locator(f'{MAIN} [data-testid="stAlert"]', has_text="can't be used yet")
    # a click that lands while the grid is still taking focus selects nothing, so a missed edit is tried again
    # (clearing an already cleared cell changes nothing, so a slow first rerun is not disturbed by a second try)
    cell_editor = page.locator("#portal input, #portal textarea")
    for attempt in range(3):
        page.mouse.click(*middle_cell())
        if cell_editor.count():  # a click on an already selected cell opens its editor: close it, keep the cell
            page.keyboard.press("Escape")
        page.keyboard.press("Delete")
        try:
            alert.first.wait_for(state="visible", timeout=15_000)  # the edit's rerun has started
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            wait_layout_stable(page)
    load = wait_rendered(page, LESSON.title)
    assert not load["exceptions"], load["exceptions"]
    assert "row 2, column 2" in alert.first.inner_text()
    assert page.locator(MAIN).get_by_text("8 · From parts to deep networks").first.count()  # the page goes on

    # the student's other numbers are still there: typing the missing one back makes the kernel usable again
    wait_layout_stable(page)
    page.mouse.click(*middle_cell())
    page.keyboard.type("5")
    expect(cell_editor.first).to_have_value("5")  # the cell editor holds it
    page.keyboard.press("Enter")
    alert.first.wait_for(state="detached", timeout=30_000)
    wait_rendered(page, LESSON.title)
    assert page.locator(MAIN).get_by_text("Output — grey scale").count() == 1
    # sharpen's other eight numbers survived the cleared cell: with the 5 back they add up to 1 again
    expect(page.locator(MAIN).get_by_text("flat areas keep exactly their brightness").first).to_be_visible()
    save_screenshot(page, screenshot_dir() / "convolution-editor.png")
