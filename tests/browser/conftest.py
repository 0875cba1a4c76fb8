"""One Streamlit server and one Chromium shared by all the browser tests (both from `bench.serve`); each test gets
its own tab and context, so its own Streamlit session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from bench.serve import AppServer, chromium_path, launch_chromium

NO_CHROMIUM = "Chromium not found; install Debian's chromium: apt-get install -y chromium"
VIEWPORT = {"width": 1280, "height": 900}


def require_chromium() -> None:
    """Fail under CI (the env var CI is set), skip elsewhere, when Chromium is not installed."""
    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail(NO_CHROMIUM, pytrace=False)
        pytest.skip(NO_CHROMIUM)


@pytest.fixture(scope="package")
def app_server() -> Iterator[AppServer]:
    """A healthy `streamlit run app.py` on a free loopback port, shared by every browser test."""
    require_chromium()
    with AppServer() as server:
        server.wait_healthy(timeout=60)
        yield server


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Headless system Chromium, shared by every browser test."""
    require_chromium()
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab (own context, so its own Streamlit session)."""
    context = browser.new_context(viewport=VIEWPORT)
    yield context.new_page()
    context.close()
