"""Seconds from starting the server to the home page rendered in Chromium."""

from __future__ import annotations

import statistics
import time

from playwright.sync_api import Browser, sync_playwright

from bench import report
from bench.serve import AppServer, launch_chromium, open_page
from ui.navigation import HOME_TITLE

RUNS = 3
GOAL_S = 5.0


def cold_start(browser: Browser) -> tuple[float, float, float]:
    """Start a fresh server and open the home page; return seconds to healthy, h1 visible and settled."""
    context = browser.new_context()
    page = context.new_page()
    start = time.monotonic()
    with AppServer() as server:
        server.wait_healthy(timeout=60)
        healthy = time.monotonic() - start
        load = open_page(page, server.url + "/", HOME_TITLE)
        if load["exceptions"] or load["first_h1_s"] is None:
            raise RuntimeError(f"home page did not render: {load['exceptions']}\n{server.log_text()}")
    context.close()
    return healthy, healthy + load["first_h1_s"], healthy + load["settled_s"]


def main(argv: list[str]) -> bool:
    """Measure RUNS cold starts and judge the median time to a settled home page."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        runs = [cold_start(browser) for _ in range(RUNS)]
        browser.close()
    report.print_table(["run", "server healthy s", "h1 visible s", "settled s"],
                       [[n + 1, *run] for n, run in enumerate(runs)])
    return report.verdict("coldstart", "seconds", statistics.median(run[2] for run in runs), "<=", GOAL_S)
