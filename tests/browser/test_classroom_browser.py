"""A class in a real Chromium: a student joins with a class code, answers, reloads and keeps their progress; the
instructor, in a second browser context, unlocks the dashboard and watches that answer appear."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from bench.serve import AppServer, open_page, save_screenshot, screenshot_dir, wait_idle, wait_rendered
from lessons.core.store.location import DATABASE_ENV, store_at
from lessons.exercises import built_in
from tests.browser.conftest import VIEWPORT, require_chromium
from tests.browser.test_exercises_browser import SIDEBAR, answer
from ui.classroom import PANEL_KEY
from ui.exercises import widget_key
from ui.instructor import PASSCODE_ENV
from ui.navigation import lesson_by_path

pytestmark = pytest.mark.browser

PASSCODE = "summer-school-passcode"
LESSON = lesson_by_path("pages/convolution.py")
WHICH_KERNEL = built_in()["convolution"].by_id("convolution.which_kernel")


@pytest.fixture(scope="module")
def class_server() -> Iterator[tuple[AppServer, str]]:
    """A server with its own SQLite class database and an instructor passcode; one class opened in it."""
    require_chromium()
    with tempfile.TemporaryDirectory(prefix="class-db-") as folder:
        url = f"sqlite:///{Path(folder) / 'classes.sqlite3'}"
        code = store_at(url).create_class("Summer school, group A")
        with AppServer(env={DATABASE_ENV: url, PASSCODE_ENV: PASSCODE}) as server:
            server.wait_healthy(timeout=60)
            yield server, code


def class_box(page):
    """The sidebar's class expander."""
    return page.locator(f".st-key-{PANEL_KEY}")


def wide_screenshot(page: Page, name: str) -> None:
    """A full-page screenshot at 1400 px wide."""
    page.set_viewport_size({"width": 1400, "height": 900})
    wait_idle(page)
    save_screenshot(page, screenshot_dir() / f"{name}-1400.png")


def phone(browser: Browser, cookies: list | None = None) -> BrowserContext:
    """A 430 px wide browser context (a phone), with the cookies of another context when given."""
    context = browser.new_context(viewport={"width": 430, "height": 900})
    if cookies:
        context.add_cookies(cookies)
    return context


def unlock(page: Page, typed: str) -> None:
    """Type a passcode into the dashboard's lock and press Unlock."""
    page.get_by_label("Instructor passcode").fill(typed)
    page.get_by_role("button", name="Unlock").click()


def test_a_student_joins_answers_reloads_and_the_instructor_sees_it(class_server, browser: Browser) -> None:
    server, code = class_server
    teacher_context = browser.new_context(viewport=VIEWPORT)
    student_context = browser.new_context(viewport=VIEWPORT)
    try:
        teacher = teacher_context.new_page()
        open_page(teacher, f"{server.url}/class_dashboard", "Class dashboard")
        unlock(teacher, "not it")
        expect(teacher.get_by_text("That is not the instructor passcode.")).to_be_visible(timeout=30_000)
        unlock(teacher, PASSCODE)
        expect(teacher.get_by_text(code).first).to_be_visible(timeout=30_000)
        assert PASSCODE not in teacher.url
        expect(teacher.get_by_text("No student has joined yet")).to_be_visible()

        student = student_context.new_page()
        open_page(student, f"{server.url}/{LESSON.url_path}", LESSON.title)
        box = class_box(student)
        box.locator("summary").click()
        box.get_by_label("Class code", exact=True).first.fill(code.lower())
        box.get_by_label("Your name", exact=True).first.fill("Ada 👩‍🔬")
        box.get_by_role("button", name="Join the class").click()
        # "Write it down" is in the message that shows the resume code once (the Continue form has a field of that name)
        expect(class_box(student)).to_contain_text("Write it down", timeout=60_000)
        expect(class_box(student)).to_contain_text("Ada 👩‍🔬")
        wait_idle(student)
        answer(student, WHICH_KERNEL)

        # the dashboard refreshes itself: the answer appears without a click
        metric = teacher.locator('[data-testid="stMetric"]').filter(has_text="Answers checked")
        expect(metric).to_contain_text("1", timeout=30_000)
        expect(teacher.locator('[data-testid="stMetric"]').filter(has_text="Students")).to_contain_text("1")
        wait_idle(teacher)
        wide_screenshot(teacher, "class-dashboard")

        student.reload()
        wait_rendered(student, LESSON.title)
        expect(class_box(student)).to_contain_text("Class: Summer school, group A", timeout=30_000)
        done = student.locator(f".st-key-exercise_{widget_key(WHICH_KERNEL.id)}").get_by_text("done", exact=True)
        expect(done).to_be_visible(timeout=60_000)
        student.locator(f"{SIDEBAR} summary").filter(has_text="Class:").click()
        expect(class_box(student)).not_to_contain_text("Write it down")  # the resume code is shown once, at joining
        wide_screenshot(student, "class-student")

        small = phone(browser, student_context.cookies())  # the same browser's cookie: the seat comes back
        try:
            page = small.new_page()
            open_page(page, f"{server.url}/{LESSON.url_path}", LESSON.title)
            page.locator('[data-testid="stSidebarCollapsedControl"] button, [data-testid="stExpandSidebarButton"]'
                         ).first.click()
            expect(class_box(page)).to_contain_text("Class: Summer school, group A", timeout=30_000)
            wait_idle(page)
            save_screenshot(page, screenshot_dir() / "class-student-430.png")  # the sidebar open on its class box
        finally:
            small.close()
        small = phone(browser)
        try:
            page = small.new_page()
            open_page(page, f"{server.url}/class_dashboard", "Class dashboard")
            unlock(page, PASSCODE)
            expect(page.locator('[data-testid="stMetric"]').filter(has_text="Answers checked")).to_contain_text(
                "1", timeout=30_000)
            wait_idle(page)
            save_screenshot(page, screenshot_dir() / "class-dashboard-430.png")
        finally:
            small.close()
    finally:
        teacher_context.close()
        student_context.close()
