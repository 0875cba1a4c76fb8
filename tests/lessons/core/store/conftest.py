"""Fixtures of the class-store tests: an empty database per test on each back end (a new SQLite file; the test
module's own PostgreSQL database with its schema dropped), and helpers that make writes and read what is stored.

PostgreSQL is the server named by `ZERO_TO_BRAINS_TEST_POSTGRES`, else a throwaway cluster started once per session.
Without PostgreSQL its tests are skipped, unless `ZERO_TO_BRAINS_REQUIRE_POSTGRES=1` (CI) makes that a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import String, Text, create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from lessons.core.answers import Record
from lessons.core.store import codes, local_postgres
from lessons.core.store.classes import Attempt, ClassStore, Seat, Write, now
from lessons.core.store.location import normalised_url
from lessons.core.store.schema import attempts

REQUIRE_ENV = "ZERO_TO_BRAINS_REQUIRE_POSTGRES"
BACKENDS = ["sqlite", "postgresql"]
QUICK_HASH_ROUNDS = 1_000


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_unavailable(reason: str) -> None:
    """Skip a PostgreSQL test, or fail it where PostgreSQL is required (CI)."""
    if os.environ.get(REQUIRE_ENV, "").strip() == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1: the PostgreSQL tests must run here)", pytrace=False)
    pytest.skip(reason)


def start_cluster(durable: bool = False) -> tuple[str, str, int]:
    """A throwaway PostgreSQL cluster in a new temporary folder: (url, folder, port); skips when it cannot start."""
    if local_postgres.binaries() is None:
        postgres_unavailable("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    folder, failure = tempfile.mkdtemp(prefix="zero-to-brains-pg-"), ""
    for _ in range(3):  # a port taken between the probe and the server's bind: draw another
        port = free_port()
        try:
            return local_postgres.start(folder, port, durable=durable), folder, port
        except (subprocess.CalledProcessError, OSError) as error:
            failure = (getattr(error, "stderr", b"") or b"").decode(errors="replace").strip() or str(error)
    local_postgres.stop(folder)
    postgres_unavailable(f"a throwaway PostgreSQL cluster did not start: {failure}")
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server the tests may create databases on."""
    given = os.environ.get(local_postgres.URL_ENV, "").strip()
    if given:
        yield normalised_url(given)
        return
    url, folder, _ = start_cluster()
    try:
        yield url
    finally:
        local_postgres.stop(folder)


def _admin(url: str):
    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server (dropped afterwards); its URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = _admin(server_url)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except Exception:  # noqa: BLE001 - a server stopped by the test itself: its databases go with it
            pass
        admin.dispose()


def emptied(url: str) -> str:
    """The database at `url` with every table gone (a fresh schema, as a new database has); the URL."""
    admin = _admin(url)
    with admin.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    admin.dispose()
    return url


@pytest.fixture(scope="module")
def postgres_database(request) -> Iterator[str]:
    """A database of this test module's own on the PostgreSQL server."""
    with fresh_database(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path) -> str:
    """The URL of an empty database: a SQLite file in tmp_path, or the module's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'classes.sqlite3'}"
    return emptied(request.getfixturevalue("postgres_database"))


@pytest.fixture
def quick_hashes(monkeypatch) -> int:
    """Resume codes hashed with few rounds (tests of many joins measure the database, not the hash)."""
    monkeypatch.setattr(codes, "_HASH_ROUNDS", QUICK_HASH_ROUNDS)
    return QUICK_HASH_ROUNDS


@pytest.fixture
def store(store_url) -> Iterator[ClassStore]:
    """A store on a fresh database (migrated)."""
    opened = ClassStore(store_url)
    try:
        yield opened
    finally:
        opened.close()


def attempt_write(exercise: str = "ex1", tries: int = 1, correct: bool = False, answer: str = "42",
                  attempt_id: str | None = None, lesson: str = "lesson", hints: int = 0) -> Write:
    """One checked answer: the exercise's record after `tries` checks, and the attempt itself."""
    record = Record(tries=tries, correct=correct, first_try=correct and tries == 1, done=correct, hints=hints,
                    answer=answer)
    attempt = Attempt(attempt_id or str(uuid.uuid4()), lesson, exercise, answer, correct, hints, now())
    return Write(lesson, exercise, record, attempt)


def answer_all(store: ClassStore, seat: Seat, count: int, exercises: int = 4) -> list[str]:
    """A student checks `count` answers one by one (exercise i % exercises, one more try each); the attempt ids."""
    written = []
    for i in range(count):
        write = attempt_write(f"ex{i % exercises}", tries=i // exercises + 1, answer=f"{seat.name} #{i}")
        store.save(seat, [write])
        written.append(write.attempt.id)
    return written


def students_answering(url: str, class_code: str, names: list[str], count: int,
                       start: threading.Barrier | None = None) -> list[str]:
    """Students (one thread each, one store) join, wait for each other, then answer `count` times; every id."""
    store = ClassStore(url)
    seats = {}
    ready = threading.Barrier(len(names))
    failures: list[BaseException] = []
    written: list[list[str]] = []

    def student(name: str) -> None:
        try:
            seats[name] = store.join(class_code, name)[0]
            ready.wait(60)
            written.append(answer_all(store, seats[name], count))
        except BaseException as error:  # noqa: BLE001 - re-raised on the calling thread
            failures.append(error)
            ready.abort()

    threads = [threading.Thread(target=student, args=(name,)) for name in names]
    if start is not None:
        start.wait(60)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    store.close()
    if failures:
        raise failures[0]
    return [attempt_id for ids in written for attempt_id in ids]


def process_students(url: str, class_code: str, names: list[str], count: int, start, done,
                     hash_rounds: int = codes._HASH_ROUNDS) -> None:
    """`students_answering` in a child process (its own store); puts ("ok", ids) or ("error", words) on `done`."""
    codes._HASH_ROUNDS = hash_rounds
    try:
        done.put(("ok", students_answering(url, class_code, names, count, start)))
    except BaseException as error:  # noqa: BLE001 - reported to the parent
        done.put(("error", f"{type(error).__name__}: {error}"))


def attempt_ids(store: ClassStore) -> tuple[int, set[str]]:
    """How many attempt rows the database holds, and their distinct ids."""
    with store.engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(attempts)).scalar_one()
        ids = set(connection.execute(select(attempts.c.id)).scalars())
    return count, ids


def text_values(store: ClassStore) -> list[tuple[str, str, str]]:
    """Every text value in every table of the database: (table, column, value)."""
    found = []
    with store.engine.connect() as connection:
        inspector = inspect(connection)
        for table in inspector.get_table_names():
            names = [c["name"] for c in inspector.get_columns(table) if isinstance(c["type"], (String, Text))]
            for column in names:
                for value in connection.execute(text(f'SELECT "{column}" FROM "{table}"')).scalars():
                    if value is not None:
                        found.append((table, column, str(value)))
    return found
