"""Full-page screenshots of every lesson at 1400 px and 430 px, default and after its main interaction, with checks.

`python -m bench gallery [FOLDER]` starts the app, opens the home page and every lesson in Chromium at both widths,
saves a screenshot of each view (and of each lesson after its main interaction, `bench.interactions`), and writes
`index.html` beside them. A view fails on an exception box, horizontal scrolling or a text element cut off by its
own box; the last line counts the failed views.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.interactions import INTERACTIONS, show_hidden_results
from bench.report import print_table, verdict
from bench.serve import (
    AppServer,
    exception_texts,
    launch_chromium,
    open_page,
    save_screenshot,
    screenshot_dir,
    wait_layout_stable,
)
from bench.views import WIDTHS, ViewProblems, failed, view_problems
from ui.navigation import HOME_TITLE, LESSONS

PAGE_TIMEOUT_S = 300.0


@dataclass
class View:
    """One screenshot: which page, how wide, in which state, and what was wrong with it."""

    name: str
    title: str
    width: int
    state: str  # "default" or "after" its main interaction
    image: str
    seconds: float
    problems: ViewProblems = field(default_factory=lambda: ViewProblems(exceptions=[], overflow_px=0, clipped=[]))

    @property
    def failed(self) -> bool:
        """Whether a student would trip on this view."""
        return failed(self.problems)


def _pages() -> list[tuple[str, str, str]]:
    """(name, URL path, title) of the home page and every lesson, in course order."""
    return [("home", "/", HOME_TITLE), *((lesson.url_path, "/" + lesson.url_path, lesson.title) for lesson in LESSONS)]


def _look(page, folder: Path, name: str, title: str, width: int, state: str, exceptions: list[str],
          start: float) -> View:
    """Check the current view and save its screenshot."""
    wait_layout_stable(page, timeout_s=30)
    problems = view_problems(page, exceptions)
    image = f"{name}-{width}-{state}.png"
    save_screenshot(page, folder / image)
    return View(name, title, width, state, image, time.monotonic() - start, problems)


def shoot(server: AppServer, browser, folder: Path) -> list[View]:
    """Every page at every width, default and after its main interaction."""
    views: list[View] = []
    for name, path, title in _pages():
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            start = time.monotonic()
            try:
                load = open_page(page, server.url + path, title, PAGE_TIMEOUT_S)
                views.append(_look(page, folder, name, title, width, "default", load["exceptions"], start))
                act = INTERACTIONS.get(name)
                if act is not None:
                    start = time.monotonic()
                    try:
                        act(page)
                        show_hidden_results(page)  # the view after the interaction shows its results
                        problems = exception_texts(page)
                    except Exception as error:  # noqa: BLE001  (a failed interaction is a failed view, not a crash)
                        problems = [f"main interaction failed: {error}"]
                    views.append(_look(page, folder, name, title, width, "after", problems, start))
            except Exception as error:  # noqa: BLE001
                views.append(View(name, title, width, "default", "", time.monotonic() - start,
                                  ViewProblems(exceptions=[f"page did not render: {error}"], overflow_px=0,
                                               clipped=[])))
            finally:
                context.close()
    return views


def _problem_text(view: View) -> str:
    parts = [*(f"exception: {e.splitlines()[0] if e else ''}" for e in view.problems["exceptions"])]
    if view.problems["overflow_px"] > 1:
        parts.append(f"scrolls sideways by {view.problems['overflow_px']} px")
    parts.extend(f"clipped: {text}" for text in view.problems["clipped"])
    return "; ".join(parts)


def write_index(views: list[View], folder: Path) -> Path:
    """An index page: one row per page and state, the two widths side by side, problems in red."""
    rows = []
    for name, _, title in _pages():
        for state in ("default", "after"):
            cells = [v for v in views if v.name == name and v.state == state]
            if not cells:
                continue
            shots = "".join(
                f'<td><a href="{html.escape(v.image)}"><img src="{html.escape(v.image)}" '
                f'style="width:{360 if v.width > 500 else 160}px;border:1px solid #ccc"></a>'
                f'<div style="color:#c92a2a">{html.escape(_problem_text(v))}</div></td>' for v in cells)
            rows.append(f"<tr><th style='text-align:left;vertical-align:top'>{html.escape(title)}<br>"
                        f"<small>{state}</small></th>{shots}</tr>")
    index = folder / "index.html"
    index.write_text("<!doctype html><meta charset='utf-8'><title>Gallery</title>"
                     "<body style='font-family:sans-serif'><h1>Every lesson at "
                     f"{' and '.join(f'{w} px' for w in WIDTHS)}</h1><table>{''.join(rows)}</table></body>",
                     encoding="utf-8")
    return index


def main(argv: list[str]) -> bool:
    """Shoot the gallery into FOLDER (default `screenshots/gallery`); PASS when no view failed."""
    from playwright.sync_api import sync_playwright

    folder = Path(argv[0]) if argv else screenshot_dir() / "gallery"
    folder.mkdir(parents=True, exist_ok=True)
    with AppServer() as server:
        server.wait_healthy(timeout=60)
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            views = shoot(server, browser, folder)
            browser.close()
    index = write_index(views, folder)
    print_table(["page", "width", "state", "seconds", "problems"],
                [[v.name, v.width, v.state, v.seconds, _problem_text(v) or "-"] for v in views])
    print(f"\n{len(views)} views in {index}")
    return verdict("gallery", "failed_views", float(sum(v.failed for v in views)), "<=", 0)
