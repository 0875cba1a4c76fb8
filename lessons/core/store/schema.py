"""The class database's tables, and the migrations that bring any older file or server up to them.

The schema is versioned: `schema_version` holds the number of migrations applied, and opening a store applies the
missing ones in one transaction (a future column is a new migration, never a deleted file). `TABLES` is the shape
after the last migration; a test checks that migrating an empty database gives exactly that shape.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    select,
    text,
)

TABLES = MetaData()

version_table = Table("schema_version", TABLES, Column("version", Integer, nullable=False))

classes = Table(
    "classes", TABLES,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

students = Table(
    "students", TABLES,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("class_id", Integer, ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False),
    Column("resume_hash", String(200), nullable=False),
    Column("joined", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=True),  # migration 2
    UniqueConstraint("class_id", "name_key", name="one_name_per_class"),
)

attempts = Table(
    "attempts", TABLES,
    Column("id", String(36), primary_key=True),  # made by the client: a retried write is stored once
    Column("student_id", Integer, ForeignKey("students.id", ondelete="CASCADE"), nullable=False),
    Column("lesson", String(80), nullable=False),
    Column("exercise", String(80), nullable=False),
    Column("answer", Text, nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("hints", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("attempts_by_student", "student_id"),
)

records = Table(
    "records", TABLES,
    Column("student_id", Integer, ForeignKey("students.id", ondelete="CASCADE"), nullable=False),
    Column("exercise", String(80), nullable=False),
    Column("lesson", String(80), nullable=False),
    Column("tries", Integer, nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("first_try", Boolean, nullable=False),
    Column("done", Boolean, nullable=False),
    Column("hints", Integer, nullable=False),
    Column("answer", Text, nullable=False),
    Column("skipped", Boolean, nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("student_id", "exercise", name="one_record_per_exercise"),
)

seats = Table(  # migration 2
    "seats", TABLES,
    Column("token_hash", String(64), primary_key=True),
    Column("student_id", Integer, ForeignKey("students.id", ondelete="CASCADE"), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)


def _first(connection: Connection) -> None:
    """Version 1: classes, students (without `last_seen`), attempts and records."""
    first = MetaData()
    for table in (version_table, classes, attempts, records):
        table.to_metadata(first)
    Table(
        "students", first,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("class_id", Integer, ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
        Column("name", String(200), nullable=False),
        Column("name_key", String(200), nullable=False),
        Column("resume_hash", String(200), nullable=False),
        Column("joined", DateTime(timezone=True), nullable=False),
        UniqueConstraint("class_id", "name_key", name="one_name_per_class"),
    )
    first.create_all(connection)


def _second(connection: Connection) -> None:
    """Version 2: when each student was last seen (the dashboard's "active now"), and seat tokens for reloads."""
    connection.execute(text("ALTER TABLE students ADD COLUMN last_seen TIMESTAMP WITH TIME ZONE"))
    seats.create(connection)


#: Every migration in order; the schema version is how many have run.
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_first, _second)


def schema_version(connection: Connection) -> int:
    """How many migrations this database has had (0 for an empty one)."""
    if not inspect(connection).has_table("schema_version"):
        return 0
    return int(connection.execute(select(version_table.c.version)).scalar_one_or_none() or 0)


def migrate(connection: Connection, upto: int | None = None) -> int:
    """Apply the missing migrations (up to `upto`, all by default) inside the caller's transaction; the new version."""
    target = len(MIGRATIONS) if upto is None else upto
    current = schema_version(connection)
    if current > len(MIGRATIONS):
        raise RuntimeError(f"This database has schema version {current}; this app knows up to {len(MIGRATIONS)}. "
                           "Is it used by a newer version of the app?")
    for migration in MIGRATIONS[current:target]:
        migration(connection)
    if target > current:
        if current == 0:
            connection.execute(version_table.insert().values(version=target))
        else:
            connection.execute(version_table.update().values(version=target))
    return max(current, target)
