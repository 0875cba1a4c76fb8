"""A shared link restores every declared setting: for each page, a random valid state → its URL → a fresh open."""

from __future__ import annotations

import importlib
import random
import zlib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.apptest import no_exception, open_lesson
from ui.navigation import LESSONS
from ui.state import PageState, Setting, bound_key

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(lesson.url_path for lesson in LESSONS)  # every lesson page (the class dashboard has no settings)


def page_state(page: str) -> PageState:
    """The page's declared settings (`ui/settings/<page>.py`)."""
    return importlib.import_module(f"ui.settings.{page}").STATE


def bound_setting(at: AppTest, key: str) -> Setting | None:
    """The setting as the page bound it on its last run (options or range known only then), if it did."""
    name = bound_key(key)
    return at.session_state[name] if name in at.session_state else None


def as_link(values: dict) -> dict[str, str]:
    """A state as query parameters."""
    return {key: str(value) for key, value in values.items()}


def restored(at: AppTest, key: str, value: object) -> bool:
    """Whether the fresh session holds `value` for `key` and writes it back into its URL."""
    held = at.session_state[key] if key in at.session_state else None
    in_url = at.query_params.get(key)
    return held == value and in_url == (None if value == "" else str(value))


def test_every_page_declares_its_state() -> None:
    for page in PAGES:
        state = page_state(page)
        assert state.link_keys(), f"{page} declares no setting that a shared link carries"
        assert all(key.startswith(state.prefix) for key in state.settings), page


def test_declared_prefixes_do_not_overlap() -> None:
    prefixes = [page_state(page).prefix for page in PAGES]
    for i, first in enumerate(prefixes):
        for second in prefixes[i + 1:]:
            assert not first.startswith(second) and not second.startswith(first), (first, second)


@pytest.mark.parametrize("page", PAGES)
def test_a_random_shared_link_restores_every_declared_setting(page: str) -> None:
    state = page_state(page)
    rng = random.Random(zlib.crc32(page.encode()))
    wanted = {key: s.random_value(rng) for key, s in state.settings.items() if s.in_link and s.known_in_full}
    run_time = [key for key, s in state.settings.items() if s.in_link and not s.known_in_full]
    for _ in range(4):  # settings whose options depend on other settings are drawn once those are fixed
        fresh = open_lesson(f"pages/{page}.py", query=as_link(wanted))
        redrawn = False
        for key in run_time:
            bound = bound_setting(fresh, key)
            if bound is not None and bound.known_in_full and not (key in wanted and bound.valid(wanted[key])):
                wanted[key] = bound.random_value(rng)
                redrawn = True
        if not redrawn:
            break
    no_exception(fresh)
    lost = {key: (value, fresh.session_state[key] if key in fresh.session_state else None)
            for key, value in wanted.items() if not restored(fresh, key, value)}
    assert not lost, f"{page}: a shared link lost {lost} (wanted, got)"
