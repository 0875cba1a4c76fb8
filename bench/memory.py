"""Peak RSS of the server after the browser visited every page."""

from __future__ import annotations

from playwright.sync_api import sync_playwright

from bench import report
from bench.serve import AppServer, launch_chromium, open_page
from ui.navigation import HOME_TITLE, LESSONS

GOAL_GB = 1.2
GB = 1e9


def main(argv: list[str]) -> bool:
    """Visit home and every lesson in one tab, recording the server's RSS after each; judge the peak."""
    pages = [("/", HOME_TITLE), *(("/" + lesson.url_path, lesson.title) for lesson in LESSONS)]
    rows = []
    with AppServer() as server, sync_playwright() as playwright:
        server.wait_healthy(timeout=60)
        browser = launch_chromium(playwright)
        page = browser.new_page()
        for path, title in pages:
            load = open_page(page, server.url + path, title)
            if load["exceptions"]:
                raise RuntimeError(f"{path} raised: {load['exceptions']}\n{server.log_text()}")
            rows.append([path, load["settled_s"], server.rss_bytes() / GB, server.peak_rss_bytes() / GB])
        browser.close()
        peak = server.peak_rss_bytes() / GB
    report.print_table(["page", "settled s", "rss GB", "peak rss GB"], rows)
    return report.verdict("memory", "peak_rss_gb", peak, "<=", GOAL_GB)
