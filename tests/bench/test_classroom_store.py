"""The class-database benchmark's bookkeeping: lost and duplicated attempts, the rate, and a small real run."""

from __future__ import annotations

import math

from bench.classroom_store import HEADERS, Run, measure, one_write, sqlite_url


def test_lost_counts_failed_and_missing_attempts_and_duplicates_count_extra_rows():
    run = Run("sqlite", seconds=2.0, written=["a", "b", "c"], errors=["StoreDown: gone"], rows=3, found={"a", "b"})
    assert (run.expected, run.lost, run.duplicates) == (4, 2, 1)
    assert run.rate == 2.0
    assert len(run.row()) == len(HEADERS)


def test_ids_found_that_nobody_wrote_do_not_hide_a_loss():
    run = Run("sqlite", seconds=1.0, written=["a", "b"], rows=2, found={"a", "zzz"})
    assert run.lost == 1


def test_a_run_without_time_has_no_rate():
    assert math.isnan(Run("sqlite").rate)


def test_each_write_is_one_attempt_with_its_exercise_record():
    first, later = one_write(3, 0), one_write(3, 17)
    assert first.attempt.id != later.attempt.id
    assert (later.exercise, later.record.tries, later.attempt.answer) == ("ex1", 3, "3:17")
    assert later.attempt.exercise == later.exercise


def test_a_small_room_on_sqlite_stores_every_attempt_once():
    with sqlite_url() as url:
        run = measure(url, "sqlite", students=3, count=5)
    assert (run.expected, run.rows, run.lost, run.duplicates, run.errors) == (15, 15, 0, 0, [])
    assert len(run.latencies_ms) == 15 and run.seconds > 0
