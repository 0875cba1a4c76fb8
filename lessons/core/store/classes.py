"""The class store: classes and their codes, students and their resume codes, attempts and records.

One `ClassStore` per database URL serves every session of a server (SQLAlchemy's pool is thread-safe). SQLite runs
in WAL mode with every transaction taking the write lock at its start (`BEGIN IMMEDIATE`), so concurrent sessions
queue instead of failing; PostgreSQL serialises the schema migration with an advisory lock. Every query is
parameterised. A database that cannot be reached raises `StoreDown`; a request that cannot be granted (an unknown
class code, a taken name, a wrong resume code) raises `NameRefused` with a message for the person.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Engine,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    exc,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url

from lessons.core.answers import Record
from lessons.core.store import codes, schema
from lessons.core.store.codes import NameRefused
from lessons.core.store.schema import attempts, classes, records, seats, students

_MIGRATION_LOCK = 20_26_12_04  # PostgreSQL advisory-lock key held while the schema is migrated


class StoreDown(RuntimeError):
    """The database cannot be reached now (stopped, unreachable, locked for too long)."""


class SeatGone(NameRefused):
    """The student's seat no longer exists (the class was reset): their writes can never be stored there."""


@dataclass(frozen=True)
class Seat:
    """A student's place in a class: who they are, as the session knows them."""

    student_id: int
    class_code: str
    class_title: str
    name: str


@dataclass(frozen=True)
class Attempt:
    """One checked answer (or judged prediction) of one student."""

    id: str  # a UUID made when the answer was checked: writing it twice stores it once
    lesson: str
    exercise: str
    answer: str
    correct: bool
    hints: int
    at: datetime


@dataclass(frozen=True)
class Write:
    """What one exercise event changes: the exercise's record, and the attempt when an answer was checked."""

    lesson: str
    exercise: str
    record: Record
    attempt: Attempt | None = None


@dataclass(frozen=True)
class ClassInfo:
    """One class as the instructor's picker lists it."""

    code: str
    title: str
    created: datetime
    students: int


@dataclass(frozen=True)
class StudentRow:
    """A student of a class, for the dashboard (never shown to other students)."""

    id: int
    name: str
    joined: datetime
    last_seen: datetime | None


@dataclass(frozen=True)
class ClassData:
    """Everything the instructor's dashboard reads about one class."""

    info: ClassInfo
    students: list[StudentRow]
    records: dict[int, dict[str, Record]]  # student id → exercise id → record
    attempts: list[tuple[int, Attempt]]  # (student id, attempt), oldest first


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive times: they were written in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def now() -> datetime:
    """The current time in UTC (what every row's time is written in)."""
    return datetime.now(UTC)


#: How long a SQLite connection waits for another's write lock before the store counts as down.
SQLITE_WAIT_S = 30.0


def to_wal(cursor: sqlite3.Cursor, wait_s: float = SQLITE_WAIT_S) -> None:
    """Put the database in WAL mode. Switching a fresh file needs its exclusive lock, and a connection that meets
    another's lock there is told "locked" at once, without waiting (SQLite's rule against deadlocks), so several
    sessions opening a new class database together try again until `wait_s` has passed."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.005, 0.05))


def make_engine(url: str) -> Engine:
    """An engine for `url`: SQLite in WAL mode taking its write lock at BEGIN, or a pre-pinged PostgreSQL pool."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, pool_size=8, max_overflow=24, pool_timeout=60,
                               connect_args={"timeout": SQLITE_WAIT_S, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record) -> None:
            dbapi_connection.isolation_level = None  # the transactions below say BEGIN themselves
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_WAIT_S * 1000)}")
            to_wal(cursor)
            for pragma in ("synchronous=NORMAL", "foreign_keys=ON"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    arguments = {"connect_timeout": 3} if parsed.get_backend_name() == "postgresql" else {}
    return create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=24, pool_timeout=30,
                         connect_args=arguments)


_DOWN = (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError, exc.TimeoutError)


class ClassStore:
    """Classes, students, attempts and records in one database (see the module's docstring)."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        self._insert = postgresql_insert if self.dialect == "postgresql" else sqlite_insert
        self._statements()
        self.migrate()

    # -- plumbing ---------------------------------------------------------------------------------------------

    @property
    def where(self) -> str:
        """The database as a person may see it (no password)."""
        return make_url(self.url).render_as_string(hide_password=True)

    def _transaction(self) -> _Guarded:
        return _Guarded(self.engine.begin())

    def migrate(self) -> int:
        """Bring the database to the current schema (safe when several processes open it at once)."""
        with self._transaction() as connection:
            if self.dialect == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            return schema.migrate(connection)

    def ping(self) -> None:
        """Raise `StoreDown` unless the database answers."""
        with self._transaction() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    # -- classes ----------------------------------------------------------------------------------------------

    def create_class(self, title: str) -> str:
        """Open a class; its fresh random code."""
        title = " ".join(str(title).split())[:200] or "Class"
        for _ in range(5):
            code = codes.new_class_code()
            try:
                with self._transaction() as connection:
                    connection.execute(classes.insert().values(code=code, title=title, created=now()))
                return code
            except exc.IntegrityError:
                continue  # a code already taken: draw again
        raise RuntimeError("Could not draw a free class code.")

    def class_list(self) -> list[ClassInfo]:
        """Every class, newest first, with its number of students."""
        counted = (select(classes.c.code, classes.c.title, classes.c.created, func.count(students.c.id))
                   .select_from(classes.outerjoin(students, students.c.class_id == classes.c.id))
                   .group_by(classes.c.id).order_by(classes.c.created.desc(), classes.c.id.desc()))
        with self._transaction() as connection:
            rows = connection.execute(counted).all()
        return [ClassInfo(code, title, _utc(created), count) for code, title, created, count in rows]

    def _class_row(self, connection, code: str):
        row = connection.execute(select(classes.c.id, classes.c.code, classes.c.title, classes.c.created)
                                 .where(classes.c.code == code)).first()
        if row is None:
            raise NameRefused(f"No class has the code {code}. Check it with your instructor.")
        return row

    # -- students ---------------------------------------------------------------------------------------------

    def join(self, class_code: str, name: str) -> tuple[Seat, str]:
        """Join a class under a new display name; the seat and the student's resume code (shown to them once)."""
        code = codes.clean_code(class_code, codes.CLASS_CODE_CHARS)
        name = codes.clean_name(name)
        resume = codes.new_resume_code()
        hashed = codes.hash_secret(resume)
        try:
            with self._transaction() as connection:
                row = self._class_row(connection, code)
                moment = now()
                student_id = connection.execute(students.insert().values(
                    class_id=row.id, name=name, name_key=codes.name_key(name), resume_hash=hashed, joined=moment,
                    last_seen=moment).returning(students.c.id)).scalar_one()
        except exc.IntegrityError:
            raise NameRefused(f"Someone in this class already uses the name “{name}”. If that is you, rejoin with "
                              "your resume code; otherwise choose another name.") from None
        return Seat(student_id, row.code, row.title, name), resume

    def rejoin(self, class_code: str, name: str, resume_code: str) -> Seat:
        """The seat of a student who gives their class code, name and resume code (all three must match)."""
        refused = NameRefused("This class code, name and resume code do not belong together. Check all three; "
                              "the resume code is in your progress file if you downloaded one.")
        code = codes.clean_code(class_code, codes.CLASS_CODE_CHARS)
        try:
            resume = codes.clean_code(resume_code, codes.RESUME_CODE_CHARS)
        except NameRefused:
            raise refused from None
        key = codes.name_key(codes.clean_name(name))
        with self._transaction() as connection:
            row = self._class_row(connection, code)
            student = connection.execute(select(students.c.id, students.c.name, students.c.resume_hash).where(
                students.c.class_id == row.id, students.c.name_key == key)).first()
            # an unknown name costs the same hash as a wrong code: the time taken does not say which names exist
            if not codes.secret_matches(resume, student.resume_hash if student else codes.decoy_hash()) or not student:
                raise refused
            connection.execute(update(students).where(students.c.id == student.id).values(last_seen=now()))
        return Seat(student.id, row.code, row.title, student.name)

    def open_seat(self, seat: Seat) -> str:
        """A new token that brings this browser back to `seat` after a reload (kept in a cookie, never a link)."""
        token = codes.new_seat_token()
        with self._transaction() as connection:
            connection.execute(seats.insert().values(token_hash=codes.token_hash(token), student_id=seat.student_id,
                                                     created=now()))
        return token

    def seat_of_token(self, token: str) -> Seat | None:
        """The seat a browser's token stands for (None for an unknown or withdrawn token)."""
        if not token or len(token) > 100:
            return None
        query = (select(students.c.id, classes.c.code, classes.c.title, students.c.name)
                 .select_from(seats.join(students, seats.c.student_id == students.c.id)
                              .join(classes, students.c.class_id == classes.c.id))
                 .where(seats.c.token_hash == codes.token_hash(token)))
        with self._transaction() as connection:
            row = connection.execute(query).first()
        return Seat(*row) if row else None

    def close_seat(self, token: str) -> None:
        """Withdraw a browser's token (the student left the class on that browser)."""
        with self._transaction() as connection:
            connection.execute(delete(seats).where(seats.c.token_hash == codes.token_hash(token)))

    def touch(self, seat: Seat) -> None:
        """Mark the student as seen now (the dashboard's "active now")."""
        with self._transaction() as connection:
            connection.execute(update(students).where(students.c.id == seat.student_id).values(last_seen=now()))

    # -- progress ---------------------------------------------------------------------------------------------

    def save(self, seat: Seat, writes: Iterable[Write]) -> None:
        """Store exercise events in one transaction. Idempotent: an attempt written twice is stored once, and a
        record only ever moves forward (more tries, right over wrong), so a retried or late write loses nothing.
        Raises `SeatGone` when the student is no longer in the class (it was reset)."""
        writes = list(writes)
        if not writes:
            return
        moment = now()
        tried = [_attempt_values(seat, w.attempt) for w in writes if w.attempt is not None]
        # one row per exercise (the furthest record): a statement may not upsert the same row twice
        latest: dict[str, Write] = {}
        for write in writes:
            latest[write.exercise] = write
        kept = [_record_values(seat, w, moment) for w in latest.values()]
        try:
            with self._transaction() as connection:
                if tried:
                    connection.execute(self._attempt_insert, tried)
                for values in kept:
                    connection.execute(self._record_upsert, values)
                connection.execute(self._seen, {"student": seat.student_id, "moment": moment})
        except exc.IntegrityError:
            raise SeatGone("Your instructor has reset this class, so your answers can no longer be saved there. "
                           "They stay in this tab: download your progress to keep them.") from None

    def _statements(self) -> None:
        """The write statements, built once (building them per write cost most of a write's time)."""
        self._attempt_insert = self._insert(attempts).on_conflict_do_nothing(index_elements=[attempts.c.id])
        statement = self._insert(records)
        new, old = statement.excluded, records.c
        newer = new.tries >= old.tries
        self._record_upsert = statement.on_conflict_do_update(index_elements=[old.student_id, old.exercise], set_={
            "tries": case((new.tries > old.tries, new.tries), else_=old.tries),
            "hints": case((new.hints > old.hints, new.hints), else_=old.hints),
            "correct": or_(old.correct, new.correct),
            "first_try": or_(old.first_try, new.first_try),
            "done": or_(old.done, new.done),
            "answer": case((newer, new.answer), else_=old.answer),
            "skipped": case((newer, new.skipped), else_=old.skipped),
            "updated": new.updated,
        })
        self._seen = (update(students).where(students.c.id == bindparam("student"))
                      .values(last_seen=bindparam("moment")))

    def records_of(self, seat: Seat) -> dict[str, Record]:
        """The student's own records (exercise id → record)."""
        with self._transaction() as connection:
            rows = connection.execute(select(records).where(records.c.student_id == seat.student_id)).all()
        return {row.exercise: _record(row) for row in rows}

    def attempts_of(self, seat: Seat) -> list[Attempt]:
        """The student's own attempts, oldest first."""
        with self._transaction() as connection:
            rows = connection.execute(select(attempts).where(attempts.c.student_id == seat.student_id)
                                      .order_by(attempts.c.at, attempts.c.id)).all()
        return [_attempt(row) for row in rows]

    # -- the instructor's view --------------------------------------------------------------------------------

    def class_data(self, class_code: str) -> ClassData:
        """Everything about one class: its students, their records and attempts (for the instructor only)."""
        with self._transaction() as connection:
            row = self._class_row(connection, class_code)
            members = connection.execute(select(students.c.id, students.c.name, students.c.joined,
                                                students.c.last_seen).where(students.c.class_id == row.id)
                                         .order_by(students.c.joined, students.c.id)).all()
            ids = select(students.c.id).where(students.c.class_id == row.id).scalar_subquery()
            record_rows = connection.execute(select(records).where(records.c.student_id.in_(ids))).all()
            attempt_rows = connection.execute(select(attempts).where(attempts.c.student_id.in_(ids))
                                              .order_by(attempts.c.at, attempts.c.id)).all()
        by_student: dict[int, dict[str, Record]] = {}
        for record_row in record_rows:
            by_student.setdefault(record_row.student_id, {})[record_row.exercise] = _record(record_row)
        info = ClassInfo(row.code, row.title, _utc(row.created), len(members))
        return ClassData(info, [StudentRow(m.id, m.name, _utc(m.joined), _utc(m.last_seen)) for m in members],
                         by_student, [(a.student_id, _attempt(a)) for a in attempt_rows])

    def reset_class(self, class_code: str) -> int:
        """Remove every student of a class with their progress (the class and its code stay); how many left."""
        with self._transaction() as connection:
            row = self._class_row(connection, class_code)
            ids = select(students.c.id).where(students.c.class_id == row.id).scalar_subquery()
            for table in (seats, attempts, records):
                connection.execute(delete(table).where(table.c.student_id.in_(ids)))
            return connection.execute(delete(students).where(students.c.class_id == row.id)).rowcount


class _Guarded:
    """A transaction whose connection failures surface as `StoreDown` (other errors pass unchanged)."""

    def __init__(self, context):
        self._context = context

    def __enter__(self):
        try:
            return self._context.__enter__()
        except _DOWN as error:
            raise StoreDown(_first_line(error)) from None

    def __exit__(self, kind, value, traceback):
        try:
            handled = self._context.__exit__(kind, value, traceback)
        except _DOWN as error:
            raise StoreDown(_first_line(error)) from None
        if isinstance(value, _DOWN):
            raise StoreDown(_first_line(value)) from None
        return handled


def _first_line(error: BaseException) -> str:
    return (str(getattr(error, "orig", None) or error).strip().splitlines() or ["the database did not answer"])[0]


def _text(value: str) -> str:
    """Text as a database column can hold it (PostgreSQL refuses NUL characters)."""
    return value.replace("\x00", "")


def _attempt_values(seat: Seat, attempt: Attempt) -> dict:
    return {"id": attempt.id, "student_id": seat.student_id, "lesson": attempt.lesson, "exercise": attempt.exercise,
            "answer": _text(attempt.answer), "correct": attempt.correct, "hints": attempt.hints,
            "at": attempt.at.astimezone(UTC)}  # SQLite keeps the wall-clock time: write it in UTC


def _record_values(seat: Seat, write: Write, moment: datetime) -> dict:
    r = write.record
    return {"student_id": seat.student_id, "exercise": write.exercise, "lesson": write.lesson, "tries": r.tries,
            "correct": r.correct, "first_try": r.first_try, "done": r.done, "hints": r.hints,
            "answer": _text(r.answer), "skipped": r.skipped, "updated": moment}


def _record(row) -> Record:
    return Record(tries=row.tries, correct=bool(row.correct), first_try=bool(row.first_try), done=bool(row.done),
                  hints=row.hints, answer=row.answer, skipped=bool(row.skipped))


def _attempt(row) -> Attempt:
    return Attempt(row.id, row.lesson, row.exercise, row.answer, bool(row.correct), row.hints, _utc(row.at))
