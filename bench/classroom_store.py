"""Class database under a room's load: 50 students × 40 attempts written at once, on SQLite and PostgreSQL.

Each student is a thread of one server (one `ClassStore`), and each attempt is one `store.save` of one write, as a
checked answer is in the app. The students join before the clock starts; then all answer at once. Per back end:
attempts per second (all attempts over the wall time), write latency percentiles, and what the database holds
afterwards: attempts lost (written minus distinct ids found) and duplicated (rows minus distinct ids).
PostgreSQL is `ZERO_TO_BRAINS_TEST_POSTGRES` (a fresh database on it) or else a throwaway durable cluster.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bench import report
from bench.classroom import percentile
from lessons.core.answers import Record
from lessons.core.store import local_postgres
from lessons.core.store.classes import Attempt, ClassStore, Seat, Write
from lessons.core.store.location import normalised_url
from lessons.core.store.schema import attempts

STUDENTS = 50
ATTEMPTS = 40
GOAL_SQLITE_RATE = 500.0
EXERCISES = 8


@dataclass
class Run:
    """One back end's run: what was written, how long each write took, and what the database holds afterwards."""

    backend: str
    seconds: float = 0.0
    written: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rows: int = 0
    found: set[str] = field(default_factory=set)

    @property
    def expected(self) -> int:
        """Attempts the students tried to write."""
        return len(self.written) + len(self.errors)

    @property
    def lost(self) -> int:
        """Attempts tried but not in the database (a failed write counts as lost)."""
        return self.expected - len(self.found & set(self.written))

    @property
    def duplicates(self) -> int:
        """Attempt rows beyond one per distinct id."""
        return self.rows - len(self.found)

    @property
    def rate(self) -> float:
        """Attempts per second over the timed part."""
        return self.expected / self.seconds if self.seconds > 0 else float("nan")

    def row(self) -> list[object]:
        """This run as a table row."""
        return [self.backend, self.expected, self.seconds, self.rate, percentile(self.latencies_ms, 50),
                percentile(self.latencies_ms, 95), self.lost, self.duplicates, len(self.errors)]


HEADERS = ["back end", "attempts", "seconds", "attempts/s", "p50 ms", "p95 ms", "lost", "duplicates", "errors"]


def one_write(student: int, number: int) -> Write:
    """A student's `number`-th checked answer: one attempt with its exercise's record."""
    exercise, tries = f"ex{number % EXERCISES}", number // EXERCISES + 1
    answer = f"{student}:{number}"
    record = Record(tries=tries, correct=number % 3 == 0, done=number % 3 == 0, answer=answer)
    attempt = Attempt(str(uuid.uuid4()), "bench", exercise, answer, record.correct, 0, datetime.now(UTC))
    return Write("bench", exercise, record, attempt)


def measure(url: str, backend: str, students: int = STUDENTS, count: int = ATTEMPTS) -> Run:
    """Join `students` into a new class, then time them all answering `count` times at once."""
    store = ClassStore(url)
    run = Run(backend)
    try:
        code = store.create_class(f"Benchmark {backend}")
        seats = [store.join(code, f"student {n}")[0] for n in range(students)]
        start, lock = threading.Barrier(students + 1), threading.Lock()

        def student(n: int, seat: Seat) -> None:
            start.wait()
            for i in range(count):
                write = one_write(n, i)
                began = time.perf_counter()
                try:
                    store.save(seat, [write])
                except Exception as error:  # noqa: BLE001 - counted as a lost attempt
                    with lock:
                        run.errors.append(f"{type(error).__name__}: {error}")
                    continue
                elapsed_ms = (time.perf_counter() - began) * 1000
                with lock:
                    run.written.append(write.attempt.id)
                    run.latencies_ms.append(elapsed_ms)

        threads = [threading.Thread(target=student, args=(n, seat)) for n, seat in enumerate(seats)]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        run.seconds = time.perf_counter() - began
        with store.engine.connect() as connection:
            run.rows = connection.execute(select(func.count()).select_from(attempts)).scalar_one()
            run.found = set(connection.execute(select(attempts.c.id)).scalars())
    finally:
        store.close()
    return run


@contextmanager
def sqlite_url() -> Iterator[str]:
    """A SQLite file in a new temporary folder."""
    with tempfile.TemporaryDirectory(prefix="classroom-store-") as folder:
        yield f"sqlite:///{Path(folder) / 'classes.sqlite3'}"


@contextmanager
def postgres_url() -> Iterator[str | None]:
    """A fresh database on `ZERO_TO_BRAINS_TEST_POSTGRES`, else on a throwaway durable cluster; None without one."""
    given = os.environ.get(local_postgres.URL_ENV, "").strip()
    folder = None
    if given:
        server = normalised_url(given)
    elif local_postgres.binaries() is None:
        yield None
        return
    else:
        folder = tempfile.mkdtemp(prefix="classroom-store-pg-")
        server = local_postgres.start(folder, _free_port(), durable=True)
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        if folder:
            local_postgres.stop(folder)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(argv: list[str]) -> bool:
    """Run both back ends, print the table, and judge lost attempts and SQLite's rate."""
    runs = []
    with sqlite_url() as url:
        runs.append(measure(url, "sqlite"))
    with postgres_url() as url:
        if url is None:
            print("PostgreSQL is not installed: only SQLite was measured (Debian: apt-get install postgresql).")
        else:
            runs.append(measure(url, "postgresql"))
    print(f"{STUDENTS} students × {ATTEMPTS} attempts, one thread per student, one save per attempt; "
          f"{os.cpu_count()} CPUs")
    report.print_table(HEADERS, [run.row() for run in runs])
    for run in runs:
        for error in sorted(set(run.errors))[:3]:
            print(f"{run.backend} error: {error}")
    lost_ok = report.verdict("classroom_store-lost", "lost", float(sum(run.lost for run in runs)), "<=", 0)
    rate_ok = report.verdict("classroom_store", "sqlite_attempts_per_s", runs[0].rate, ">=", GOAL_SQLITE_RATE)
    return lost_ok and rate_ok
