"""The pure parts of the first-visit benchmark: choosing pages by url path and judging the slowest page."""

from __future__ import annotations

import math

import pytest

from bench.first_visit import FirstVisit, all_pages, select_pages, worst_settle
from ui.navigation import LESSONS

PAGES = [("/", "Home"), ("/convolution", "Convolution"), ("/attribution", "Attribution")]


def test_every_lesson_and_the_home_page_are_visited_by_default():
    pages = all_pages()
    assert pages[0][0] == "/"
    assert [path for path, _ in pages[1:]] == ["/" + lesson.url_path for lesson in LESSONS]
    assert select_pages(PAGES, []) == PAGES


def test_pages_are_chosen_by_url_path_in_course_order():
    assert select_pages(PAGES, ["attribution", "/convolution"]) == PAGES[1:]
    assert select_pages(PAGES, ["home"]) == PAGES[:1]
    assert select_pages(PAGES, ["/"]) == PAGES[:1]


def test_an_unknown_page_is_refused_with_the_valid_names():
    with pytest.raises(ValueError, match="/convolution"):
        select_pages(PAGES, ["convolutions"])


def test_the_slowest_page_is_judged_and_a_failed_page_fails_the_goal():
    fine = [FirstVisit("/", 1.0, 3.0, 0.4, 0.5), FirstVisit("/a", 2.0, 12.5, 0.9, 1.0)]
    assert worst_settle(fine) == 12.5
    assert worst_settle([*fine, FirstVisit("/b", None, None, 0.5, 0.5, "TimeoutError")]) == math.inf
    assert worst_settle([*fine, FirstVisit("/c", 1.0, 2.0, 0.5, 0.5, "exception: boom")]) == math.inf
    assert math.isnan(worst_settle([]))
