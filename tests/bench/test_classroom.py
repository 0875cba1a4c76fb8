"""The pure parts of the classroom benchmark: lesson assignment, percentiles, slowdowns, round summaries, options."""

from __future__ import annotations

import math

import pytest

from bench.classroom import (
    Visit,
    assign_lessons,
    lesson_medians,
    lone_times,
    parse_args,
    percentile,
    slowdowns,
    summarise,
)
from bench.interactions import CLASSROOM


def test_lessons_are_assigned_round_robin_in_order():
    assert assign_lessons(8, ["a", "b", "c"]) == ["a", "b", "c", "a", "b", "c", "a", "b"]
    assert assign_lessons(2, ["a", "b", "c"]) == ["a", "b"]


def test_assignment_needs_lessons():
    with pytest.raises(ValueError):
        assign_lessons(3, [])


def test_percentile_interpolates_between_order_statistics():
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 5.0
    assert percentile(values, 95) == pytest.approx(4.8)
    assert percentile([7.0], 95) == 7.0
    assert math.isnan(percentile([], 95))


def _visit(lesson: str, repeat: int, seconds: float | None, error: str = "") -> Visit:
    return Visit(lesson, 0, repeat, seconds, error)


def test_slowdown_is_against_the_lone_student_on_the_same_lesson_and_repeat():
    lone = lone_times([_visit("a", 0, 10.0), _visit("a", 1, 2.0), _visit("b", 0, 4.0), _visit("b", 1, None, "x")])
    assert lone == {("a", 0): 10.0, ("a", 1): 2.0, ("b", 0): 4.0}
    crowd = [_visit("a", 0, 30.0), _visit("a", 1, 4.0), _visit("b", 0, 4.0), _visit("b", 1, 9.0),
             _visit("a", 0, None, "TimeoutError")]
    # b's second visit has no anchor and the failed visit has no time: neither gives a ratio
    assert slowdowns(crowd, lone) == [3.0, 2.0, 1.0]


def test_round_summary_counts_errors_and_takes_medians():
    lone = {("a", 0): 10.0, ("a", 1): 10.0}
    visits = [_visit("a", 0, 10.0), _visit("a", 1, 20.0), _visit("a", 0, 40.0), _visit("a", 1, None, "exception")]
    summary = summarise(3, visits, lone, peak_rss_gb=1.5, after_rss_gb=1.2)
    assert summary.errors == 1
    assert summary.median_s == 20.0
    assert summary.p95_s == pytest.approx(38.0)
    assert summary.median_slowdown == 2.0
    assert (summary.students, summary.peak_rss_gb, summary.after_rss_gb) == (3, 1.5, 1.2)


def test_a_round_where_everyone_failed_has_no_times():
    summary = summarise(2, [_visit("a", 0, None, "e"), _visit("a", 1, None, "e")], {("a", 0): 1.0}, 1.0, 1.0)
    assert summary.errors == 2
    assert math.isnan(summary.median_s) and math.isnan(summary.median_slowdown)


def test_options_choose_rounds_and_lessons():
    assert parse_args([]) == ([8, 16], list(CLASSROOM))
    assert parse_args(["--students", "4", "--lessons", "attribution,mouse_cortex"]) == (
        [4], ["attribution", "mouse_cortex"])
    for bad in (["--lessons", "no_such_lesson"], ["--students", "0"], ["--students"], ["--rounds", "3"]):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_every_classroom_variant_has_its_own_link():
    """Students must not share each other's results through the store, except on the seedless cortex."""
    for lesson, task in CLASSROOM.items():
        links = {tuple(sorted(task.link(variant).items())) for variant in range(40)}
        assert len(links) == (1 if lesson == "mouse_cortex" else 40), lesson


def test_lesson_medians_keep_to_one_lesson():
    lone = {("a", 0): 10.0, ("b", 0): 1.0}
    visits = [_visit("a", 0, 20.0), _visit("a", 0, 40.0), _visit("a", 0, 30.0), _visit("b", 0, 100.0)]
    assert lesson_medians(visits, lone, "a") == (30.0, 3.0)
    assert lesson_medians(visits, lone, "b") == (100.0, 100.0)
    assert all(math.isnan(value) for value in lesson_medians(visits, lone, "c"))


def test_the_browsers_share_of_the_cpu():
    from bench.classroom import CpuUse

    assert CpuUse(10.0, 6.0, 2.0).browser_share == pytest.approx(0.25)
    assert math.isnan(CpuUse(10.0, 0.0, 0.0).browser_share)


def test_cpu_seconds_of_this_process_grow_and_gone_processes_count_nothing():
    import os

    from bench.serve import cpu_seconds, processes_named

    before = cpu_seconds([os.getpid()])
    sum(i * i for i in range(2_000_000))
    assert cpu_seconds([os.getpid()]) > before
    assert cpu_seconds([2**22 + 1]) == 0.0  # no such process
    assert os.getpid() in processes_named(open(f"/proc/{os.getpid()}/comm").read().strip())
