"""One bounded pool for heavy work shared by every user of the process: a fair queue with places, cancelling, and
identical jobs run once.

Heavy work (building an atlas, scoring the cortex, optimising an image, attribution) is a function of a progress
callback. `JobPool.submit` files it under a key naming everything it depends on; a second request for the same key
while the first is queued or running joins it instead of running again. A fixed number of worker threads (a
setting: `$ZERO_TO_BRAINS_WORKERS`, by default one per two cores) take jobs round-robin between owners, so one
person asking for many things does not hold up everyone else; one more worker, the quick lane, takes only jobs
expected to be over in a few seconds. Within a round, the job expected to finish first
starts first: each job's expected run is learned from the finished jobs of its kind, and a job that arrived earlier
keeps its lead over later work unless that work is expected to be over sooner than it (so quick work does not wait
behind a long build, and a long build waits at most about its own length for work that came after it). A job stops
at its next progress report once every person waiting for it has cancelled.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from lessons.core import memory, runtime

WORKERS_ENV = "ZERO_TO_BRAINS_WORKERS"
QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
# A job whose watchers have all gone quiet this long is dropped (a closed browser tab). Browsers slow the timers of
# a hidden tab to about one a minute, so a student reading another tab keeps their place.
STALE_S = 180.0
# How long a job of a kind never seen finishing is expected to run, and how much each finished run of a kind moves
# the expectation of the next (an exponential moving average of seconds per unit of cost).
UNKNOWN_S = 10.0
LEARNING_RATE = 0.5
# The quick lane: a worker of its own for jobs of a known kind expected to take at most QUICK_S, so a few seconds of
# optimisation never waits behind a long build (the server's pool has one; a pool made for a test has none unless
# asked).
QUICK_S = 15.0
QUICK_WORKERS = 1


class Cancelled(Exception):
    """Raised inside a job (at its next progress report) once nobody waits for it any more."""


class Report:
    """What a job reports to: callable as a `Progress` (fraction, message), plus an optional preview of its work."""

    def __init__(self, job: Job) -> None:
        self._job = job

    def __call__(self, fraction: float, message: str) -> None:
        self._job._report(fraction, message)

    def preview(self, value: Any) -> None:
        """Offer an intermediate result (e.g. the image so far) to whoever shows the job."""
        self._job.preview = value


@dataclass(eq=False)
class Job:
    """One piece of heavy work: its key, title, owner, state, progress and (once finished) result or error."""

    key: Hashable
    title: str
    work: Callable[[Report], Any] = field(repr=False)
    owner: str = ""
    kind: str = ""  # jobs of one kind take about the same time per unit of `cost` (by default: the title)
    cost: float = 1.0
    sequence: int = 0
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None  # when a worker took it
    status: str = QUEUED
    fraction: float = 0.0
    message: str = "Waiting for a free worker…"
    preview: Any = field(default=None, repr=False)
    value: Any = field(default=None, repr=False)
    error: BaseException | None = field(default=None, repr=False)
    waiters: int = 1
    last_seen: float | None = None  # when someone last looked at it (`touch`); None: never goes stale
    _pool: JobPool | None = field(default=None, repr=False)
    _finished: threading.Event = field(default_factory=threading.Event, repr=False)

    def _report(self, fraction: float, message: str) -> None:
        if self.waiters <= 0 or self.stale():
            raise Cancelled(self.title)
        self.fraction = min(max(float(fraction), 0.0), 1.0)
        self.message = message

    def touch(self) -> None:
        """Note that someone is still watching (a job watched this way stops once nobody has for `STALE_S`)."""
        self.last_seen = time.monotonic()

    def stale(self) -> bool:
        """True when the job is watched by touches and none came for `STALE_S` seconds."""
        return self.last_seen is not None and time.monotonic() - self.last_seen > STALE_S

    def done(self) -> bool:
        """True once the job finished, failed or was cancelled."""
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job is finished (or `timeout` seconds pass); True if it is."""
        return self._finished.wait(timeout)

    def result(self) -> Any:
        """The job's value; raises its error if it failed, `Cancelled` if it was cancelled."""
        if self.status == FAILED and self.error is not None:
            raise self.error
        if self.status == CANCELLED:
            raise Cancelled(self.title)
        if self.status != DONE:
            raise RuntimeError(f"{self.title} has not finished")
        return self.value

    def position(self) -> int:
        """How many jobs run or wait before this one starts: 0 once it runs or has finished."""
        return 0 if self._pool is None or self.status != QUEUED else self._pool.place_of(self)

    def cancel(self) -> None:
        """Stop waiting for this job; when nobody waits any more it leaves the queue, or stops if it runs."""
        if self._pool is not None:
            self._pool.release(self)

    def _finish(self, status: str, value: Any = None, error: BaseException | None = None) -> None:
        self.status, self.value, self.error = status, value, error
        if status == DONE:
            self.fraction, self.message = 1.0, "Done"
        self._finished.set()


def worker_count() -> int:
    """The pool's size: `$ZERO_TO_BRAINS_WORKERS` when set to a positive number, else one worker per two cores."""
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return max(1, runtime.usable_cores() // 2)


class JobPool:
    """A fixed set of worker threads taking queued jobs round-robin between owners, plus `quick` workers that take
    only jobs expected to be quick; identical keys run once."""

    def __init__(self, workers: int, quick: int = 0) -> None:
        self.workers = max(1, int(workers))
        self.quick_workers = max(0, int(quick))
        self._lock = threading.Condition()
        self._queue: list[Job] = []
        self._live: dict[Hashable, Job] = {}  # queued or running jobs by key, for joining
        self._running: list[Job] = []
        self._threads: list[threading.Thread] = []
        self._numbers = itertools.count()
        self._seconds_per_cost: dict[str, float] = {}  # kind → learned seconds per unit of cost

    def submit(self, key: Hashable, work: Callable[[Report], Any], title: str, owner: str = "", kind: str = "",
               cost: float = 1.0) -> Job:
        """Queue `work` under `key`, or join the queued or running job with the same key (one more waiter). `kind`
        (by default the title) and `cost` (its size in that kind's units) let the pool expect how long it runs."""
        with self._lock:
            found = self._live.get(key)
            if found is not None and found.waiters > 0 and not found.stale():
                found.waiters += 1
                return found
            job = Job(key, title, work, owner=owner, kind=kind or title, cost=max(float(cost), 1e-9),
                      sequence=next(self._numbers), _pool=self)
            self._queue.append(job)
            self._live[key] = job
            self._start_workers()
            self._lock.notify_all()  # a quick worker may not take it: every idle worker looks
            return job

    def release(self, job: Job) -> None:
        """One waiter stops waiting; a queued job nobody waits for is dropped at once."""
        with self._lock:
            job.waiters = max(0, job.waiters - 1)
            if job.waiters == 0 and job.status == QUEUED:
                self._queue.remove(job)
                self._forget(job)
                job._finish(CANCELLED)

    def stop_all(self, timeout: float = 60.0) -> bool:
        """Cancel every queued and running job and wait up to `timeout` for the running ones to stop (they stop at
        their next progress report); True when none is left running. Before a process exits: a worker thread still
        inside torch when the interpreter shuts down aborts the process."""
        with self._lock:
            running = list(self._running)
            for job in [*self._queue, *running]:
                job.waiters = 0
            for job in list(self._queue):
                self._queue.remove(job)
                self._forget(job)
                job._finish(CANCELLED)
        deadline = time.monotonic() + timeout
        return all(job.wait(max(0.0, deadline - time.monotonic())) for job in running)

    def place_of(self, job: Job) -> int:
        """Jobs running or queued ahead of `job` (the number shown as its place in the queue)."""
        with self._lock:
            order = self._in_turn()
            return len(self._running) + (order.index(job) if job in order else 0)

    def expected_wait(self, job: Job) -> float | None:
        """Seconds until `job` is expected to start (what the jobs running and queued ahead of it have left, shared
        between the workers); None when one of them is of a kind never seen finishing, so no estimate is honest."""
        with self._lock:
            if job.status != QUEUED:
                return 0.0
            order = self._in_turn()
            ahead = [*self._running, *order[:order.index(job) if job in order else 0]]
            if any(other.kind not in self._seconds_per_cost for other in ahead):
                return None
            now = time.monotonic()
            left = [max(0.0, self._expected(other) - (now - other.started)) if other.started is not None
                    else self._expected(other) for other in ahead]
            return sum(left) / (self.workers + self.quick_workers)

    def expected_seconds(self, job: Job) -> float:
        """How long `job` is expected to run: its cost times the seconds per unit learned for its kind."""
        with self._lock:
            return self._expected(job)

    def _expected(self, job: Job) -> float:
        rate = self._seconds_per_cost.get(job.kind)
        return UNKNOWN_S if rate is None else rate * job.cost

    def _learn(self, job: Job, seconds: float) -> None:
        """Fold one finished run into its kind's seconds per unit of cost (locked)."""
        rate = seconds / job.cost
        known = self._seconds_per_cost.get(job.kind)
        self._seconds_per_cost[job.kind] = rate if known is None else known + LEARNING_RATE * (rate - known)

    def snapshot(self) -> tuple[list[Job], list[Job]]:
        """The running jobs and the queued ones in the order they will start."""
        with self._lock:
            return list(self._running), self._in_turn()

    def _in_turn(self) -> list[Job]:
        """Queued jobs in the order they start: each owner's first job, then each owner's second, …, where first
        means expected to finish first had it started when it came (then the oldest)."""
        rounds: dict[str, int] = {}
        for running in self._running:
            rounds[running.owner] = rounds.get(running.owner, 0) + 1
        ranked = []
        for finish, sequence, job in sorted((job.submitted + self._expected(job), job.sequence, job)
                                            for job in self._queue):
            turn = rounds.get(job.owner, 0)
            rounds[job.owner] = turn + 1
            ranked.append((turn, finish, sequence, job))
        return [item[-1] for item in sorted(ranked, key=lambda item: item[:3])]

    def _start_workers(self) -> None:
        while len(self._threads) < self.workers + self.quick_workers:
            quick = len(self._threads) >= self.workers
            name = f"heavy-work-{'quick-' if quick else ''}{len(self._threads)}"
            thread = threading.Thread(target=self._work, args=(quick,), name=name, daemon=True)
            self._threads.append(thread)
            thread.start()

    def is_quick(self, job: Job) -> bool:
        """Whether `job` is of a kind seen finishing and expected to take at most `QUICK_S` (the quick lane's)."""
        with self._lock:
            return self._quick(job)

    def _quick(self, job: Job) -> bool:
        return job.kind in self._seconds_per_cost and self._expected(job) <= QUICK_S

    def _next_job(self, quick: bool) -> Job:
        """Wait for a queued job nobody abandoned (a quick one, for the quick lane), drop the abandoned ones, and take
        the first in turn (locked)."""
        while True:
            for abandoned in [job for job in self._queue if job.stale()]:
                self._queue.remove(abandoned)
                self._forget(abandoned)
                abandoned._finish(CANCELLED)
            for job in self._in_turn():
                if not quick or self._quick(job):
                    return job
            self._lock.wait()

    def _forget(self, job: Job) -> None:
        if self._live.get(job.key) is job:
            del self._live[job.key]

    def _work(self, quick: bool) -> None:
        while True:
            with self._lock:
                job = self._next_job(quick)
                self._queue.remove(job)
                job.status, job.message, job.started = RUNNING, "Starting…", time.monotonic()
                self._running.append(job)
            try:
                value = job.work(Report(job))
            except Cancelled:
                outcome: tuple[str, Any, BaseException | None] = (CANCELLED, None, None)
            except Exception as error:  # noqa: BLE001 - the waiter shows it; the worker must survive
                outcome = (FAILED, None, error)
            else:
                outcome = (DONE, value, None)
            with self._lock:
                self._running.remove(job)
                self._forget(job)
                if outcome[0] == DONE:
                    self._learn(job, time.monotonic() - job.started)
                self._lock.notify_all()  # what was learned may make a queued job quick
            memory.release_freed_memory()  # the job's working set goes back to the system, not to this heap
            job._finish(*outcome)


#: Light work runs in the page's own thread, at once, but no more than this many at a time in the process: each holds
#: its working memory (the attribution maps a few hundred MB), and a room opening one lesson together would otherwise
#: hold all of them at the same moment.
LIGHT_AT_ONCE = 2
_LIGHT_SLOTS = threading.BoundedSemaphore(LIGHT_AT_ONCE)


@contextmanager
def light_slot(waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold one of the process's `LIGHT_AT_ONCE` slots for light work during the block; when none is free, call
    `waiting` (to tell the student) and wait for one."""
    if not _LIGHT_SLOTS.acquire(blocking=False):
        if waiting is not None:
            waiting()
        _LIGHT_SLOTS.acquire()
    try:
        yield
    finally:
        _LIGHT_SLOTS.release()
        memory.release_freed_memory()  # the working set just freed goes back to the system, not to this heap


_SHARED: JobPool | None = None
_SHARED_LOCK = threading.Lock()


def stop_shared_pool(timeout: float = 60.0) -> bool:
    """Stop the process-wide pool's jobs, if it was ever started (see `JobPool.stop_all`)."""
    with _SHARED_LOCK:
        pool = _SHARED
    return True if pool is None else pool.stop_all(timeout)


def shared_pool() -> JobPool:
    """The process-wide pool, sized by `worker_count()` when first asked for."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = JobPool(worker_count(), QUICK_WORKERS)
        return _SHARED
