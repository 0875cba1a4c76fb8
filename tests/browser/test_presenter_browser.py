"""Presenter mode in a real Chromium: `?present=1` opens a lesson with the sidebar collapsed and one section shown,
Next moves to the next section, and an exercise's answer appears only after "Reveal the answer to the room"."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from bench.serve import AppServer, open_page, save_screenshot, screenshot_dir, wait_idle, wait_layout_stable
from lessons.exercises import built_in
from ui.exercises import widget_key
from ui.navigation import lesson_by_path

pytestmark = pytest.mark.browser

LESSON = lesson_by_path("pages/convolution.py")
MAIN = '[data-testid="stMain"]'
BAR = ".st-key-presenter_bar"
MYSTERY = built_in()["convolution"].by_id("convolution.which_kernel")


def next_section(page: Page, expected: str) -> None:
    """Press Next in the bar and wait until the bar names the `expected` section."""
    page.locator(BAR).get_by_role("button", name="Next").click()
    expect(page.locator(BAR)).to_contain_text(expected, timeout=60_000)
    wait_idle(page)


def test_presenter_mode_shows_one_section_at_a_time_and_reveals_answers(app_server: AppServer, page: Page) -> None:
    load = open_page(page, f"{app_server.url}/{LESSON.url_path}?present=1", LESSON.title)
    assert not load["exceptions"], load["exceptions"]
    expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute("data-collapsed", "true")
    bar = page.locator(BAR)
    expect(bar).to_contain_text(f"Slide 1 of 10: {LESSON.title}", timeout=60_000)
    main = page.locator(MAIN)
    signal = main.get_by_role("heading", name="1 · A filter sliding along a signal")
    expect(signal).to_be_hidden()
    expect(main.get_by_role("heading", name="Summary")).to_be_hidden()  # the summary is the last section

    next_section(page, "Slide 2 of 10: 1 · A filter sliding along a signal")
    expect(signal).to_be_visible()
    expect(main.get_by_role("heading", name=LESSON.title)).to_be_hidden()
    expect(main.get_by_role("heading", name="2 · Kernels on a photo")).to_be_hidden()

    next_section(page, "Slide 3 of 10: 2 · Kernels on a photo")
    expect(signal).to_be_hidden()
    box = page.locator(f".st-key-exercise_{widget_key(MYSTERY.id)}")
    expect(box).to_be_visible()
    expect(box.get_by_role("button", name="Check")).to_have_count(0)
    expect(box.get_by_text("Answer.")).to_have_count(0)
    box.get_by_role("button", name="Reveal the answer to the room").click()
    expect(box.get_by_text("Answer.")).to_be_visible(timeout=60_000)
    expect(box.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(MYSTERY.solution({}))
    wait_idle(page)
    for width in (1400, 430):
        page.set_viewport_size({"width": width, "height": 900})
        wait_layout_stable(page)
        save_screenshot(page, screenshot_dir() / f"presenter-{width}.png")
    page.set_viewport_size({"width": 1400, "height": 900})

    next_section(page, "Slide 4 of 10: 3 · One output pixel, by hand")
    # the aside that follows section 3 on the page is shown with it
    expect(main.get_by_text("Correlation or convolution? (the flip)")).to_be_visible()
    expect(box).to_be_hidden()
