"""The first student after a restart: every page opened once on a fresh server with an empty cache folder.

`python -m bench first_visit [PATH...]` visits the home page and every lesson (or only the pages whose url paths are
given: `/` or `home` for the home page, `attribution` for a lesson). Each page gets its own empty cache folder
(ZERO_TO_BRAINS_CACHE) and its own server, so it pays everything a first visitor pays: imports, models, trained
digit networks, disk caches. The last line judges the slowest page's settle time.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

from bench import report
from bench.serve import AppServer, launch_chromium, open_page

GOAL_S = 15.0
PAGE_TIMEOUT_S = 600.0
GB = 1e9


@dataclass(frozen=True)
class FirstVisit:
    """One page's first visit: seconds to the first `h1` and to settled, the server's RSS, and what went wrong."""

    path: str
    first_h1_s: float | None
    settled_s: float | None  # None when the page never settled
    rss_gb: float  # after the page settled
    peak_rss_gb: float
    error: str = ""


def all_pages() -> list[tuple[str, str]]:
    """(url path, title) of the home page and every lesson, in course order."""
    from ui.navigation import HOME_TITLE, LESSONS

    return [("/", HOME_TITLE), *(("/" + lesson.url_path, lesson.title) for lesson in LESSONS)]


def select_pages(pages: Sequence[tuple[str, str]], wanted: Sequence[str]) -> list[tuple[str, str]]:
    """The pages named in `wanted` (url paths with or without the leading slash; `home` is `/`), in course order;
    every page when `wanted` is empty. An unknown name raises ValueError listing the valid ones."""
    if not wanted:
        return list(pages)
    names = {"/" + name.strip("/") if name != "home" else "/" for name in wanted}
    unknown = sorted(names - {path for path, _ in pages})
    if unknown:
        raise ValueError(f"unknown pages {unknown}; choose from: {', '.join(path for path, _ in pages)}")
    return [page for page in pages if page[0] in names]


def worst_settle(visits: Sequence[FirstVisit]) -> float:
    """The slowest settle time; infinite when a page failed or never settled (so the goal fails)."""
    if not visits:
        return math.nan
    return max(math.inf if v.error or v.settled_s is None else v.settled_s for v in visits)


def visit(browser, path: str, title: str) -> FirstVisit:
    """Open one page on a fresh server with an empty cache folder, in a fresh browser context."""
    with tempfile.TemporaryDirectory(prefix="first-visit-cache-") as cache, \
            AppServer(env={"ZERO_TO_BRAINS_CACHE": cache}) as server:
        server.wait_healthy(timeout=120)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            load = open_page(page, server.url + path, title, PAGE_TIMEOUT_S)
            error = f"exception: {load['exceptions'][0].splitlines()[0]}" if load["exceptions"] else ""
            result = FirstVisit(path, load["first_h1_s"], load["settled_s"], server.rss_bytes() / GB,
                                server.peak_rss_bytes() / GB, error)
        except Exception as failure:  # noqa: BLE001  (a page that never renders is a failed row, not a crash)
            result = FirstVisit(path, None, None, server.rss_bytes() / GB, server.peak_rss_bytes() / GB,
                                f"{type(failure).__name__}: {failure}")
        finally:
            context.close()
    return result


def main(argv: list[str]) -> bool:
    """Visit each page first on its own fresh server and cache; judge the slowest settle time."""
    from playwright.sync_api import sync_playwright

    try:
        pages = select_pages(all_pages(), argv)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    visits = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for path, title in pages:
            visits.append(visit(browser, path, title))
            print(f"  visited {path}", flush=True)
        browser.close()
    report.print_table(["page", "first h1 s", "settled s", "server rss GB", "peak rss GB", "problem"],
                       [[v.path, "-" if v.first_h1_s is None else v.first_h1_s,
                         "-" if v.settled_s is None else v.settled_s, v.rss_gb, v.peak_rss_gb,
                         v.error.splitlines()[0] if v.error else "-"] for v in visits])
    return report.verdict("first_visit", "worst_page_s", worst_settle(visits), "<=", GOAL_S)
