"""Every page of the app, from the navigation itself, rendered in a real Chromium: no exception, title, content."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bench.serve import (
    AppServer,
    PageLoad,
    open_page,
    save_screenshot,
    screenshot_dir,
    wait_layout_stable,
    wait_rendered,
)
from bench.views import WIDTHS, clipped_texts, horizontal_overflow
from lessons.core.exports import NPY_SIGNATURE, PNG_SIGNATURE
from ui.navigation import HOME_TITLE, LESSONS, Lesson

pytestmark = pytest.mark.browser

PAGES = [("/", HOME_TITLE), *(("/" + lesson.url_path, lesson.title) for lesson in LESSONS)]
LESSON_AT = {"/" + lesson.url_path: lesson for lesson in LESSONS}
MAIN = '[data-testid="stMain"]'
LOG_TAIL_CHARS = 4000
DOWNLOAD_BUTTONS = f'{MAIN} [data-testid="stDownloadButton"] button:visible'  # not those in closed expanders


def explain(server: AppServer, problem: str) -> str:
    """A failure message: the problem, then the tail of the server log."""
    return f"{problem}\n--- server log (tail) ---\n{server.log_text()[-LOG_TAIL_CHARS:]}"


def check_rendered(server: AppServer, page: Page, load: PageLoad, title: str) -> None:
    """Assert the page shows no exception box and its `h1` title is visible."""
    assert not load["exceptions"], explain(server, "exception on the page:\n" + "\n---\n".join(load["exceptions"]))
    assert load["first_h1_s"] is not None, explain(server, f"no h1 {title!r} on the page")
    assert page.locator("h1", has_text=title).first.is_visible(), explain(server, f"h1 {title!r} not visible")


def announced_type_matches(file_name: str, data: bytes) -> bool:
    """Whether a downloaded file's bytes are of the type its name announces (PNG, CSV or NPY)."""
    if file_name.endswith(".png"):
        return data.startswith(PNG_SIGNATURE)
    if file_name.endswith(".npy"):
        return data.startswith(NPY_SIGNATURE)
    if file_name.endswith(".csv"):
        header = data.decode("utf-8").splitlines()[0]
        return "," in header and len(data.decode("utf-8").splitlines()) >= 2
    return False


def check_downloads(server: AppServer, page: Page, path: str) -> int:
    """Click every visible download button in the main area; each must give a non-empty file of its announced
    type. Returns how many were clicked."""
    buttons = page.locator(DOWNLOAD_BUTTONS)
    for i in range(buttons.count()):
        button = buttons.nth(i)
        button.scroll_into_view_if_needed()
        with page.expect_download(timeout=60_000) as info:
            button.click()
        download = info.value
        data = Path(download.path()).read_bytes()
        name = download.suggested_filename
        label = button.inner_text().strip()
        assert data, explain(server, f"{path}: download {name!r} ({label}) is empty")
        assert name.rsplit(".", 1)[-1].upper() in label.upper(), f"{path}: button {label!r} gave {name!r}"
        assert announced_type_matches(name, data), explain(server, f"{path}: {name!r} is not a real {label} file")
    return buttons.count()


def open_from_home(server: AppServer, page: Page, lesson: Lesson) -> PageLoad:
    """Open the home page, click the lesson's link there (pages may add query parameters) and wait for the lesson."""
    check_rendered(server, page, open_page(page, server.url + "/", HOME_TITLE), HOME_TITLE)
    page.locator(f'{MAIN} [data-testid="stPageLink"] a', has_text=lesson.title).click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/" + lesson.url_path, timeout=30_000)
    return wait_rendered(page, lesson.title)


@pytest.mark.parametrize(("path", "title"), PAGES, ids=[path for path, _ in PAGES])
def test_page_renders(app_server: AppServer, page: Page, path: str, title: str) -> None:
    """The page, reached as a student reaches it (a lesson by its link on the home page), renders its title and
    more content, without an exception, fits a laptop's and a phone's width without sideways scrolling, and every
    download it offers gives a real file; screenshots are saved. (A lesson opened from a shared link is the other
    browser tests' way in, and the first visitor's after a restart below.)"""
    lesson = LESSON_AT.get(path)
    load = open_page(page, app_server.url + path, title) if lesson is None else open_from_home(app_server, page, lesson)
    check_rendered(app_server, page, load, title)
    body = page.locator(MAIN).inner_text().replace(title, "", 1).strip()
    assert body, explain(app_server, f"{path}: the main area shows nothing but the title")
    if path != "/":  # every lesson ends with its way on through the course
        links = page.locator(f'{MAIN} [data-testid="stPageLink"]')
        footer = links.filter(has_text="Next:").or_(links.filter(has_text="Back to the course map"))
        try:
            footer.first.wait_for(timeout=30_000)
        except PlaywrightTimeout:
            pytest.fail(explain(app_server, f"{path}: no Next / course-map link at the end"))
    name = path.strip("/") or "home"
    for width in WIDTHS:  # a laptop and a phone: both are looked at before a page change lands
        page.set_viewport_size({"width": width, "height": 900})
        wait_layout_stable(page)  # charts re-measure their container
        overflow = horizontal_overflow(page)
        assert overflow <= 1, explain(app_server, f"{path} scrolls sideways by {overflow} px at {width} px wide")
        if path == "/":
            assert not clipped_texts(page), f"home page text cut off at {width} px: {clipped_texts(page)}"
        shot = save_screenshot(page, screenshot_dir() / f"{name}-{width}.png")
        assert shot.exists() and shot.stat().st_size > 5_000, f"screenshot {shot} missing or nearly empty"
    page.set_viewport_size({"width": 1400, "height": 900})
    wait_layout_stable(page)
    check_downloads(app_server, page, path)


def test_the_layout_checks_see_clipping_and_sideways_scrolling(app_server: AppServer, page: Page) -> None:
    """The checks above can fail: a clipped caption and a too-wide block injected into the home page are found."""
    check_rendered(app_server, page, open_page(page, app_server.url + "/", HOME_TITLE), HOME_TITLE)
    assert not clipped_texts(page) and horizontal_overflow(page) <= 1
    page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMainBlockContainer"]');
        const cut = document.createElement('p');
        cut.textContent = 'A lesson description that is far too long for its box and is cut off mid-sentence';
        cut.style.cssText = 'width:120px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis';
        const wide = document.createElement('div');
        wide.textContent = 'wide';
        wide.style.cssText = 'width:3000px';
        main.append(cut, wide);
    }""")
    assert any(text.startswith("A lesson description") for text in clipped_texts(page))
    assert horizontal_overflow(page) > 1000


# One restart proves the fallback is retired in a real browser; that every lesson page calls it first is
# checked without a server in tests/test_packaging.py.
FIRST_VISITOR_LESSON = LESSONS[0]


def test_direct_link_works_for_the_first_visitor_after_a_restart(browser) -> None:
    """A shared lesson link opened first on a freshly started server shows the lesson, not "Page not found"."""
    lesson = FIRST_VISITOR_LESSON
    with AppServer() as fresh:
        fresh.wait_healthy(timeout=60)
        context = browser.new_context()
        try:
            page = context.new_page()
            check_rendered(fresh, page, open_page(page, f"{fresh.url}/{lesson.url_path}", lesson.title), lesson.title)
            assert not page.get_by_text("Page not found").count(), explain(fresh, "Page-not-found dialog shown")
            assert urlsplit(page.url).path == "/" + lesson.url_path
            nav = page.locator('[data-testid="stSidebarNav"]')
            nav.get_by_text("Home", exact=True).wait_for(timeout=30_000)
            links = nav.inner_text()
            assert lesson.sidebar_title in links and "inside_cnn" not in links, explain(
                fresh, f"the sidebar shows the pages/-folder fallback, not the course navigation:\n{links}")
            width = page.evaluate("() => document.querySelector('[data-testid=\"stMainBlockContainer\"]')"
                                  "?.getBoundingClientRect().width ?? 0")
            assert width > 900, explain(fresh, f"narrow layout ({width:.0f} px): app.py's page config did not apply")
        finally:
            context.close()

