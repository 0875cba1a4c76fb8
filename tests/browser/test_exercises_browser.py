"""Exercises in a real Chromium: a student answers one exercise in each of three lessons, downloads their progress,
and in a fresh browser (a new session, nothing kept) uploads the file and finds the same progress."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bench.serve import AppServer, open_page, save_screenshot, screenshot_dir, wait_idle, wait_rendered
from lessons.core.exercises import Exercise
from lessons.exercises import built_in
from tests.browser.conftest import VIEWPORT
from ui.course import PROGRESS_PANEL_KEY
from ui.exercises import widget_key
from ui.navigation import HOME_TITLE, LESSONS

pytestmark = pytest.mark.browser

THREE_LESSONS = [lesson for lesson in LESSONS if lesson.url_path in ("linear_classifier", "convolution", "inside_cnn")]
SIDEBAR = '[data-testid="stSidebar"]'


def answerable_without_data(page: str) -> Exercise:
    """The lesson's first exercise whose right answer is fixed (a choice or a number), so a test can give it."""
    for exercise in built_in()[page].exercises:
        if exercise.kind == "choice" and isinstance(exercise.correct, str):
            return exercise
        if exercise.kind == "numeric" and isinstance(exercise.answer, int | float):
            return exercise
    raise AssertionError(f"{page} has no exercise with a fixed answer")


def answer(page: Page, exercise: Exercise) -> None:
    """Answer the exercise rightly, as a student does: pick or type, then Check; wait until it shows as done."""
    box = page.locator(f".st-key-exercise_{widget_key(exercise.id)}")
    box.scroll_into_view_if_needed()
    if exercise.kind == "choice":
        box.locator('[data-testid="stRadio"] label').filter(has_text=exercise.correct).first.click()
    else:
        field = box.locator("input")
        field.fill(f"{exercise.answer:g}")
        field.press("Enter")
    wait_idle(page)
    box.get_by_role("button", name="Check").click()
    expect(box.get_by_text("done", exact=True)).to_be_visible(timeout=60_000)
    wait_idle(page)


def progress_panel(page: Page):
    """The sidebar's progress expander."""
    return page.locator(f".st-key-{PROGRESS_PANEL_KEY}")


def test_progress_survives_a_download_and_an_upload_in_a_fresh_browser(app_server: AppServer, browser: Browser,
                                                                       page: Page, tmp_path: Path) -> None:
    assert len(THREE_LESSONS) == 3
    total = sum(len(declared.exercises) for declared in built_in().values())
    first = THREE_LESSONS[0]
    load = open_page(page, f"{app_server.url}/{first.url_path}", first.title)
    for lesson in THREE_LESSONS:
        if lesson is not first:  # through the app's own navigation: a reload would start a new session
            page.locator(f"{SIDEBAR} a", has_text=lesson.sidebar_title).first.click()
            load = wait_rendered(page, lesson.title)
        assert not load["exceptions"], load["exceptions"]
        answer(page, answerable_without_data(lesson.url_path))
    panel = progress_panel(page)
    expect(panel).to_contain_text(f"Your progress: 3 of {total} exercises")
    panel.locator("summary").click()
    with page.expect_download() as download:
        panel.get_by_role("button", name="Download my progress").click()
    saved = tmp_path / "progress.json"
    download.value.save_as(saved)
    wait_rendered(page, THREE_LESSONS[-1].title)
    save_screenshot(page, screenshot_dir() / "exercises-answered.png")

    fresh_context = browser.new_context(viewport=VIEWPORT)
    try:
        fresh = fresh_context.new_page()
        open_page(fresh, app_server.url, HOME_TITLE)
        panel = progress_panel(fresh)
        expect(panel).to_contain_text(f"Your progress: 0 of {total} exercises")
        panel.locator("summary").click()
        panel.locator('input[type="file"]').set_input_files(str(saved))
        expect(progress_panel(fresh)).to_contain_text(f"Your progress: 3 of {total} exercises", timeout=30_000)
        expect(progress_panel(fresh)).to_contain_text("Loaded 3 exercise records")
        # the course map shows it per lesson, and the lesson's exercise shows as done
        expect(fresh.get_by_text(re.compile(r"· 1 of \d+ exercises done"))).to_have_count(3)
        lesson = THREE_LESSONS[0]
        fresh.get_by_role("link", name=lesson.title).first.click()
        box = fresh.locator(f".st-key-exercise_{widget_key(answerable_without_data(lesson.url_path).id)}")
        expect(box.get_by_text("done", exact=True)).to_be_visible(timeout=120_000)
        wait_rendered(fresh, lesson.title)
        save_screenshot(fresh, screenshot_dir() / "exercises-loaded.png")
    finally:
        fresh_context.close()
