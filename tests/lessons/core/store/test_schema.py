"""The schema and its migrations: the migrated shape is `schema.TABLES`, old data survives, a newer database is
refused, and several openers of one fresh database all succeed."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, func, inspect, select, text

from lessons.core.store import codes, schema
from lessons.core.store.classes import ClassStore, make_engine, to_wal
from lessons.core.store.schema import TABLES, attempts, classes, records, students, version_table

V1_STUDENT_COLUMNS = [c for c in students.c if c.name != "last_seen"]


def shape(connection: Connection) -> dict[str, dict]:
    """Tables, columns (nullable), primary keys, unique column sets, indexes and foreign keys, as reflected."""
    inspector = inspect(connection)
    found = {}
    for table in inspector.get_table_names():
        unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}
        indexes = {i["name"]: tuple(i["column_names"]) for i in inspector.get_indexes(table)
                   if not i.get("unique") and not i.get("duplicates_constraint")}
        found[table] = {
            "columns": {c["name"]: c["nullable"] for c in inspector.get_columns(table)},
            "primary": tuple(inspector.get_pk_constraint(table)["constrained_columns"]),
            "unique": unique,
            "indexes": indexes,
            "foreign": {(tuple(f["constrained_columns"]), f["referred_table"])
                        for f in inspector.get_foreign_keys(table)},
        }
    return found


def declared_shape() -> dict[str, dict]:
    """The same description, read from `schema.TABLES`."""
    found = {}
    for table in TABLES.sorted_tables:
        unique = {tuple(c.name for c in u.columns) for u in table.constraints if u.__class__.__name__ ==
                  "UniqueConstraint"} | {(c.name,) for c in table.columns if c.unique}
        found[table.name] = {
            "columns": {c.name: c.nullable for c in table.columns},
            "primary": tuple(c.name for c in table.primary_key.columns),
            "unique": unique,
            "indexes": {i.name: tuple(c.name for c in i.columns) for i in table.indexes},
            "foreign": {((f.parent.name,), f.column.table.name) for f in table.foreign_keys},
        }
    return found


def test_migrating_an_empty_database_gives_exactly_the_declared_tables(store_url):
    store = ClassStore(store_url)
    with store.engine.connect() as connection:
        assert schema.schema_version(connection) == len(schema.MIGRATIONS) == 2
        assert shape(connection) == declared_shape()
        if store.dialect == "postgresql":  # SQLite keeps any declared type; PostgreSQL enforces them
            inspector = inspect(connection)
            for table in TABLES.sorted_tables:
                reflected = {c["name"]: c["type"].compile(store.engine.dialect) for c in inspector.get_columns(
                    table.name)}
                assert reflected == {c.name: c.type.compile(store.engine.dialect) for c in table.columns}, table.name
    store.close()


def test_the_shape_check_sees_a_missing_column(store_url):
    store = ClassStore(store_url)
    with store.engine.begin() as connection:
        connection.execute(text("ALTER TABLE students DROP COLUMN last_seen"))
        assert shape(connection) != declared_shape()
    store.close()


def _v1_with_data(url: str) -> dict[str, list]:
    """A version-1 database holding a class, two students, their attempts and records; the rows as written."""
    engine = make_engine(url)
    moment = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    with engine.begin() as connection:
        assert schema.migrate(connection, upto=1) == 1
        tables = set(inspect(connection).get_table_names())
        assert "seats" not in tables
        assert "last_seen" not in {c["name"] for c in inspect(connection).get_columns("students")}
        connection.execute(classes.insert().values(id=1, code="ABCD-EFGH", title="Old class", created=moment))
        for n, name in ((1, "Ada"), (2, "Grace")):
            connection.execute(students.insert().values(
                id=n, class_id=1, name=name, name_key=codes.name_key(name),
                resume_hash=codes.hash_secret(f"RSTU-VWXY-ZA{n + 2}3"), joined=moment))
            connection.execute(attempts.insert().values(id=f"attempt-{n}", student_id=n, lesson="linear",
                                                        exercise="w1", answer=str(n), correct=n == 1, hints=n,
                                                        at=moment))
            connection.execute(records.insert().values(student_id=n, exercise="w1", lesson="linear", tries=n,
                                                       correct=n == 1, first_try=n == 1, done=n == 1, hints=n,
                                                       answer=str(n), skipped=False, updated=moment))
        written = {t.name: sorted(connection.execute(select(t)).all()) for t in (classes, attempts, records)}
        written["students"] = sorted(connection.execute(select(*V1_STUDENT_COLUMNS)).all())
    engine.dispose()
    return written


def test_a_version_1_database_is_migrated_without_losing_rows(store_url):
    before = _v1_with_data(store_url)
    store = ClassStore(store_url)
    with store.engine.connect() as connection:
        assert schema.schema_version(connection) == 2
        for table in (classes, attempts, records):
            assert sorted(connection.execute(select(table)).all()) == before[table.name], table.name
        kept = sorted(connection.execute(select(*V1_STUDENT_COLUMNS)).all())
        assert kept == before["students"]
        assert connection.execute(select(students.c.last_seen)).scalars().all() == [None, None]
    seat = store.rejoin("abcd efgh", "GRACE", "RSTU-VWXY-ZA43")  # the old hash still opens the seat
    assert seat.student_id == 2 and store.records_of(seat)["w1"].tries == 2
    assert store.seat_of_token(store.open_seat(seat)) == seat  # the new table works
    store.close()


def test_migrating_twice_changes_nothing(store):
    seat, _ = store.join(store.create_class("Twice"), "Lin")
    with store.engine.connect() as connection:
        before = shape(connection), {t: connection.execute(select(func.count()).select_from(TABLES.tables[t]))
                                     .scalar_one() for t in TABLES.tables}
    assert store.migrate() == 2
    again = ClassStore(store.url)
    assert again.records_of(seat) == {}
    with again.engine.connect() as connection:
        after = shape(connection), {t: connection.execute(select(func.count()).select_from(TABLES.tables[t]))
                                    .scalar_one() for t in TABLES.tables}
        assert connection.execute(select(version_table.c.version)).scalars().all() == [2]
    assert after == before
    again.close()


def test_a_database_from_a_newer_app_is_refused_in_words(store):
    with store.engine.begin() as connection:
        connection.execute(version_table.update().values(version=len(schema.MIGRATIONS) + 1))
    with pytest.raises(RuntimeError, match="schema version 3.*knows up to 2.*newer version of the app"):
        ClassStore(store.url)


class LockedCursor:
    """A cursor whose first `locked` journal-mode switches are refused as SQLite refuses them, without waiting."""

    def __init__(self, locked: int, message: str = "database is locked"):
        self.locked, self.message, self.tries = locked, message, 0

    def execute(self, statement: str) -> None:
        assert statement == "PRAGMA journal_mode=WAL"
        self.tries += 1
        if self.tries <= self.locked:
            raise sqlite3.OperationalError(self.message)


def test_a_fresh_file_locked_by_another_opening_is_switched_to_wal_on_a_later_try():
    cursor = LockedCursor(locked=3)
    to_wal(cursor, wait_s=5)
    assert cursor.tries == 4
    with pytest.raises(sqlite3.OperationalError, match="locked"):  # locked for longer than the wait: the store is down
        to_wal(LockedCursor(locked=10**9), wait_s=0.2)
    other = LockedCursor(locked=1, message="disk I/O error")  # only a lock is waited for
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        to_wal(other, wait_s=5)
    assert other.tries == 1


def test_threads_opening_one_fresh_database_at_once_all_succeed(store_url):
    start, opened, failures = threading.Barrier(6), [], []

    def open_it() -> None:
        try:
            start.wait(30)
            opened.append(ClassStore(store_url))
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    assert len(opened) == 6
    with opened[0].engine.connect() as connection:
        assert connection.execute(select(version_table.c.version)).scalars().all() == [2]
        assert shape(connection) == declared_shape()
    for store in opened:
        store.close()


def open_store(url: str, start, done) -> None:
    """Open (and so migrate) the store at `url` once the other processes are ready; report "ok" or the error."""
    try:
        start.wait(60)
        ClassStore(url).close()
        done.put("ok")
    except BaseException as error:  # noqa: BLE001 - reported to the parent
        done.put(f"{type(error).__name__}: {error}")


def test_processes_opening_one_fresh_database_at_once_all_succeed(store_url):
    context = multiprocessing.get_context("spawn")
    start, done = context.Barrier(3), context.Queue()
    processes = [context.Process(target=open_store, args=(store_url, start, done)) for _ in range(3)]
    for process in processes:
        process.start()
    results = [done.get(timeout=90) for _ in processes]
    for process in processes:
        process.join(30)
    assert results == ["ok"] * 3
    store = ClassStore(store_url)
    with store.engine.connect() as connection:
        assert connection.execute(select(version_table.c.version)).scalars().all() == [2]
    store.close()
