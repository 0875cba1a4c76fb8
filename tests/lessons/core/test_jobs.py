"""The shared pool for heavy work: places in the queue, round-robin between owners, joining identical jobs,
cancelling queued and running jobs, abandoned jobs, failures."""

from __future__ import annotations

import threading
import time

import pytest

from lessons.core import jobs

WAIT_S = 10.0


def holding(started: threading.Event, release: threading.Event, value: str = "held"):
    """Work that reports progress until `release` is set, then returns `value`."""

    def work(report: jobs.Report) -> str:
        started.set()
        while not release.wait(0.01):
            report(0.5, "holding the worker")
        return value

    return work


def instant(value: object):
    """Work that returns `value` at once."""
    return lambda report: value


@pytest.fixture
def busy_pool():
    """A one-worker pool whose worker is held by a job until the test releases it."""
    pool = jobs.JobPool(1)
    started, release = threading.Event(), threading.Event()
    holder = pool.submit("holder", holding(started, release), "Holding", owner="someone")
    assert started.wait(WAIT_S)
    yield pool, holder, release
    release.set()
    holder.wait(WAIT_S)


def test_a_job_runs_and_returns_its_value():
    pool = jobs.JobPool(1)
    job = pool.submit("k", lambda report: (report(0.5, "half"), 42)[1], "Answer")
    assert job.wait(WAIT_S)
    assert job.status == jobs.DONE and job.result() == 42 and job.fraction == 1.0 and job.position() == 0


def test_a_waiting_job_knows_its_place(busy_pool):
    pool, holder, release = busy_pool
    first = pool.submit("a", instant("a"), "First", owner="ann")
    second = pool.submit("b", instant("b"), "Second", owner="bob")
    assert holder.status == jobs.RUNNING and holder.position() == 0
    assert (first.status, first.position()) == (jobs.QUEUED, 1)  # the running job is ahead of it
    assert second.position() == 2
    release.set()
    assert second.wait(WAIT_S) and first.result() == "a" and second.result() == "b"


def test_owners_take_turns(busy_pool):
    pool, _, release = busy_pool
    ann = [pool.submit(f"ann{i}", instant(i), f"Ann {i}", owner="ann") for i in range(3)]
    bob = pool.submit("bob0", instant("b"), "Bob", owner="bob")
    _, queued = pool.snapshot()
    # Bob asked last but gets the second turn: Ann's second and third jobs wait behind his first
    assert [job.title for job in queued] == ["Ann 0", "Bob", "Ann 1", "Ann 2"]
    assert bob.position() == 2 and ann[2].position() == 4
    release.set()
    assert all(job.wait(WAIT_S) for job in [*ann, bob])


def test_identical_jobs_run_once_and_share_the_result(busy_pool):
    pool, _, release = busy_pool
    runs = []

    def counted(report: jobs.Report) -> str:
        runs.append(1)
        return "atlas"

    first = pool.submit(("atlas", 1), counted, "Atlas", owner="ann")
    second = pool.submit(("atlas", 1), counted, "Atlas", owner="bob")
    assert second is first and first.waiters == 2
    release.set()
    assert first.wait(WAIT_S) and first.result() == second.result() == "atlas"
    assert len(runs) == 1
    third = pool.submit(("atlas", 1), counted, "Atlas", owner="cid")  # finished jobs are not joined: a new run
    assert third is not first and third.wait(WAIT_S) and len(runs) == 2


def test_cancelling_a_queued_job_releases_its_place(busy_pool):
    pool, _, release = busy_pool
    first = pool.submit("a", instant("a"), "First", owner="ann")
    second = pool.submit("b", instant("b"), "Second", owner="bob")
    first.cancel()
    assert first.done() and first.status == jobs.CANCELLED
    assert second.position() == 1  # moved up
    with pytest.raises(jobs.Cancelled):
        first.result()
    assert pool.snapshot()[1] == [second]
    release.set()
    assert second.wait(WAIT_S) and second.result() == "b"


def test_a_shared_job_keeps_running_while_someone_still_waits(busy_pool):
    pool, _, release = busy_pool
    first = pool.submit("a", instant("a"), "Shared", owner="ann")
    assert pool.submit("a", instant("a"), "Shared", owner="bob") is first
    first.cancel()  # Ann leaves; Bob still waits
    assert first.status == jobs.QUEUED and first.waiters == 1
    release.set()
    assert first.wait(WAIT_S) and first.result() == "a"


def test_cancelling_a_running_job_stops_it_at_its_next_report():
    pool = jobs.JobPool(1)
    started, never = threading.Event(), threading.Event()
    job = pool.submit("long", holding(started, never), "Long")
    assert started.wait(WAIT_S)
    job.cancel()
    assert job.wait(WAIT_S) and job.status == jobs.CANCELLED
    after = pool.submit("next", instant("next"), "Next")  # the worker is free again
    assert after.wait(WAIT_S) and after.result() == "next"


def test_stopping_the_pool_cancels_every_job_even_one_many_wait_for(busy_pool):
    pool, holder, _ = busy_pool
    pool.submit("holder", holding(threading.Event(), threading.Event()), "Holding", owner="another")  # a 2nd waiter
    queued = pool.submit("queued", instant("never"), "Queued", owner="third")
    assert pool.stop_all(WAIT_S)
    assert holder.status == queued.status == jobs.CANCELLED
    assert pool.snapshot() == ([], [])


def test_stopping_reports_a_job_that_does_not_stop_in_time():
    pool = jobs.JobPool(1)
    started, release = threading.Event(), threading.Event()

    def deaf(report: jobs.Report) -> str:  # never reports, so it cannot be told to stop
        started.set()
        release.wait(WAIT_S)
        return "done"

    job = pool.submit("deaf", deaf, "Deaf")
    assert started.wait(WAIT_S)
    assert not pool.stop_all(0.05)
    release.set()
    assert job.wait(WAIT_S)


def test_a_failure_reaches_the_waiter_and_the_worker_survives():
    pool = jobs.JobPool(1)

    def broken(report: jobs.Report) -> None:
        raise ValueError("no such layer")

    job = pool.submit("bad", broken, "Broken")
    assert job.wait(WAIT_S) and job.status == jobs.FAILED
    with pytest.raises(ValueError, match="no such layer"):
        job.result()
    assert pool.submit("good", instant(1), "Good").wait(WAIT_S)


def test_abandoned_jobs_are_dropped(busy_pool, monkeypatch):
    pool, _, release = busy_pool
    watched = pool.submit("gone", instant("x"), "Abandoned", owner="ann")
    watched.touch()
    kept = pool.submit("kept", instant("y"), "Kept", owner="bob")  # never touched: never stale
    monkeypatch.setattr(jobs, "STALE_S", -1.0)  # everyone who touched it has gone quiet
    assert watched.stale() and not kept.stale()
    release.set()
    assert watched.wait(WAIT_S) and watched.status == jobs.CANCELLED
    assert kept.wait(WAIT_S) and kept.result() == "y"


def test_previews_reach_the_job():
    pool = jobs.JobPool(1)

    def work(report: jobs.Report) -> str:
        report.preview("step 3")
        return "done"

    job = pool.submit("p", work, "Preview")
    assert job.wait(WAIT_S) and job.preview == "step 3"


def sleeping(seconds: float):
    """Work that takes `seconds`."""
    return lambda report: time.sleep(seconds)


@pytest.fixture
def taught_pool():
    """A one-worker pool that has seen one slow and one quick job finish, then is held by a third job."""
    pool = jobs.JobPool(1)
    for key, work, kind in (("s0", sleeping(0.3), "slow"), ("q0", instant("q"), "quick")):
        assert pool.submit(key, work, kind.title(), kind=kind).wait(WAIT_S)
    started, release = threading.Event(), threading.Event()
    holder = pool.submit("holder", holding(started, release), "Holding", owner="someone")
    assert started.wait(WAIT_S)
    yield pool, release
    release.set()
    holder.wait(WAIT_S)


def test_the_pool_learns_how_long_each_kind_runs(taught_pool):
    pool, _ = taught_pool
    slow = pool.submit("s", instant(1), "Slow", kind="slow", cost=2.0)
    quick = pool.submit("q", instant(2), "Quick", kind="quick")
    unknown = pool.submit("u", instant(3), "Never seen")
    assert pool.expected_seconds(slow) >= 2 * 0.3 > pool.expected_seconds(quick)
    assert pool.expected_seconds(unknown) == jobs.UNKNOWN_S


def test_quick_work_starts_before_a_long_build_that_came_just_before(taught_pool):
    pool, release = taught_pool
    slow = pool.submit("s", instant("s"), "Slow", owner="ann", kind="slow")
    quick = pool.submit("q", instant("q"), "Quick", owner="bob", kind="quick")
    _, queued = pool.snapshot()
    assert queued == [quick, slow] and quick.position() == 1 and slow.position() == 2
    release.set()
    assert slow.wait(WAIT_S) and quick.result() == "q"


def test_a_long_build_keeps_its_lead_over_work_that_came_after_its_expected_end(taught_pool):
    pool, release = taught_pool
    slow = pool.submit("s", instant("s"), "Slow", owner="ann", kind="slow")
    slow.submitted -= 10 * pool.expected_seconds(slow)  # it has waited ten times its own length already
    quick = pool.submit("q", instant("q"), "Quick", owner="bob", kind="quick")
    assert pool.snapshot()[1] == [slow, quick]
    release.set()
    assert quick.wait(WAIT_S)


def test_turns_between_owners_come_before_expected_lengths(taught_pool):
    pool, release = taught_pool
    ann_slow = pool.submit("s", instant("s"), "Slow", owner="ann", kind="slow")
    ann_quick = pool.submit("q", instant("q"), "Quick", owner="ann", kind="quick")
    bob_slow = pool.submit("s2", instant("s2"), "Slow", owner="bob", kind="slow")
    # Ann's quick job starts before her slow one, but Bob's first job goes before Ann's second
    assert pool.snapshot()[1] == [ann_quick, bob_slow, ann_slow]
    release.set()
    assert ann_slow.wait(WAIT_S)


@pytest.mark.parametrize(("setting", "cores", "expected"), [("", 2, 1), ("", 8, 4), ("3", 2, 3), ("zero", 6, 3),
                                                             ("0", 1, 1)])
def test_worker_count_follows_the_setting_or_the_cores(monkeypatch, setting, cores, expected):
    monkeypatch.setenv(jobs.WORKERS_ENV, setting)
    monkeypatch.setattr(jobs.runtime, "usable_cores", lambda: cores)
    assert jobs.worker_count() == expected


def test_the_expected_wait_adds_up_what_is_ahead_only_when_every_kind_is_known(taught_pool):
    pool, release = taught_pool
    quick = pool.submit("q", instant("q"), "Quick", owner="ann", kind="quick")
    assert pool.expected_wait(quick) is None  # the job holding the worker is of a kind never seen finishing
    release.set()
    assert quick.wait(WAIT_S) and pool.expected_wait(quick) == 0.0

    started, release_again = threading.Event(), threading.Event()
    slow = pool.submit("s", holding(started, release_again), "Slow", owner="bob", kind="slow")
    assert started.wait(WAIT_S)
    later = pool.submit("q2", instant("q2"), "Quick", owner="ann", kind="quick")
    wait = pool.expected_wait(later)
    assert wait is not None and 0.0 <= wait <= pool.expected_seconds(slow)
    release_again.set()
    assert later.wait(WAIT_S)


def test_the_quick_lane_takes_quick_work_while_a_long_job_holds_the_main_worker():
    pool = jobs.JobPool(1, quick=1)
    assert pool.submit("q0", instant("q"), "Quick", kind="quick").wait(WAIT_S)  # now a known, quick kind
    started, release = threading.Event(), threading.Event()
    long_build = pool.submit("long", holding(started, release), "Long build", owner="ann")
    assert started.wait(WAIT_S)
    quick = pool.submit("q1", instant("quick result"), "Quick", owner="bob", kind="quick")
    assert quick.wait(WAIT_S) and quick.result() == "quick result"  # while the long build still runs
    unknown = pool.submit("u", instant("u"), "Never seen", owner="bob")
    assert not unknown.wait(0.3) and unknown.status == jobs.QUEUED  # not known to be quick: waits for the main one
    assert pool.is_quick(quick) and not pool.is_quick(unknown) and long_build.status == jobs.RUNNING
    release.set()
    assert unknown.wait(WAIT_S) and unknown.result() == "u"


def test_light_work_waits_only_when_every_slot_is_taken():
    holding_slots, release = threading.Barrier(jobs.LIGHT_AT_ONCE + 1), threading.Event()

    def hold() -> None:
        with jobs.light_slot(lambda: pytest.fail("a free slot made someone wait")):
            holding_slots.wait(WAIT_S)
            release.wait(WAIT_S)

    holders = [threading.Thread(target=hold) for _ in range(jobs.LIGHT_AT_ONCE)]
    for thread in holders:
        thread.start()
    holding_slots.wait(WAIT_S)  # every slot is held now
    told, ran = [], []

    def late() -> None:
        with jobs.light_slot(lambda: told.append("waiting")):
            ran.append(True)

    latecomer = threading.Thread(target=late)
    latecomer.start()
    latecomer.join(0.3)
    assert told == ["waiting"] and not ran  # it waits, and was told so
    release.set()
    latecomer.join(WAIT_S)
    assert ran == [True]
    for thread in holders:
        thread.join(WAIT_S)
