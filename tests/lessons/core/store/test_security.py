"""What one student can reach: only their own rows, never another's seat by name, and no secret in plain text."""

from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy import inspect, select

from lessons.core.store import codes
from lessons.core.store.codes import NameRefused
from lessons.core.store.schema import TABLES, seats
from tests.lessons.core.store.conftest import answer_all, text_values

HOSTILE_NAMES = [
    "Robert'); DROP TABLE students;--",
    "x'; DELETE FROM attempts; --",
    "\"; DROP TABLE records; --",
    "1; TRUNCATE classes",
    "') OR 1=1 --",
]


def test_a_student_reads_only_their_own_records_and_attempts(store):
    code, other_code = store.create_class("Mine"), store.create_class("Theirs")
    ann, _ = store.join(code, "Ann")
    bob, _ = store.join(code, "Bob")
    eve, _ = store.join(other_code, "Eve")
    written = {seat.student_id: set(answer_all(store, seat, 6)) for seat in (ann, bob, eve)}
    for seat in (ann, bob, eve):
        assert {a.id for a in store.attempts_of(seat)} == written[seat.student_id]
        assert {r.answer for r in store.records_of(seat).values()} <= {f"{seat.name} #{i}" for i in range(6)}
        assert len(store.records_of(seat)) == 4
    data = store.class_data(code)
    assert {student for student, _ in data.attempts} == {ann.student_id, bob.student_id}
    assert set(data.records) == {ann.student_id, bob.student_id}


def test_joining_under_a_taken_name_is_refused_in_any_case(store):
    code = store.create_class("Taken")
    ann, _ = store.join(code, "Ann")
    for twin in ("Ann", "ann", "ANN", " aNN "):
        with pytest.raises(NameRefused, match="already uses the name"):
            store.join(code, twin)
    assert [s.id for s in store.class_data(code).students] == [ann.student_id]


def test_a_wrong_resume_code_reads_exactly_like_an_unknown_name(store):
    code = store.create_class("No enumeration")
    _, resume = store.join(code, "Ann")
    wrong = codes.new_resume_code()
    assert wrong != resume
    messages = set()
    for name, typed in (("Ann", wrong), ("ann", wrong), ("Nobody", resume), ("Nobody", wrong), ("Ann", "short"),
                        ("Ann", resume[:-1] + ("A" if resume[-1] != "A" else "B"))):
        with pytest.raises(NameRefused) as refused:
            store.rejoin(code, name, typed)
        messages.add(str(refused.value))
    assert len(messages) == 1
    assert "Ann" not in messages.pop()
    assert store.rejoin(code, "ANN", resume.lower().replace("-", " ")).name == "Ann"


def test_a_wrong_resume_code_takes_as_long_as_an_unknown_name(store):
    code = store.create_class("No timing")
    store.join(code, "Ann")
    spent: dict[str, list[float]] = {"Ann": [], "Nobody": []}
    for _ in range(9):
        for name, times in spent.items():  # interleaved, so load from other work hits both alike
            began = time.perf_counter()
            with pytest.raises(NameRefused):
                store.rejoin(code, name, "ABCD-EFGH-JKMN")
            times.append(time.perf_counter() - began)
    known, unknown = (statistics.median(spent[name]) for name in ("Ann", "Nobody"))
    assert unknown > known / 2, f"known name {known * 1000:.1f} ms, unknown name {unknown * 1000:.1f} ms"


def test_resume_codes_and_seat_tokens_are_never_stored_in_plain_text(store):
    code = store.create_class("Secrets")
    secrets = []
    for name in ("Ann", "Bob", "Cy"):
        seat, resume = store.join(code, name)
        token = store.open_seat(seat)
        secrets += [resume, resume.replace("-", ""), resume.lower(), token]
    values = text_values(store)
    tables = {table for table, _, _ in values}
    assert {"students", "seats", "classes"} <= tables  # the scan reads the tables that hold secrets
    for secret in secrets:
        assert not [place for place in values if secret in place[2]], secret


def test_seat_tokens_are_kept_as_their_hash_and_withdrawn(store):
    seat, _ = store.join(store.create_class("Tokens"), "Ann")
    token = store.open_seat(seat)
    with store.engine.connect() as connection:
        stored = connection.execute(select(seats.c.token_hash)).scalars().all()
    assert stored == [codes.token_hash(token)] and token not in stored
    assert store.seat_of_token(token) == seat
    assert store.seat_of_token(codes.token_hash(token)) is None  # the stored hash is no key
    assert store.seat_of_token(token[:-1]) is None and store.seat_of_token("") is None
    assert store.seat_of_token("x" * 10_000) is None
    store.close_seat(token)
    assert store.seat_of_token(token) is None


def test_resume_hashes_are_salted_and_slow():
    first, second = codes.hash_secret("ABCD-EFGH-JKMN"), codes.hash_secret("ABCD-EFGH-JKMN")
    assert first != second  # a fresh salt each time
    assert codes.secret_matches("ABCD-EFGH-JKMN", first) and codes.secret_matches("ABCD-EFGH-JKMN", second)
    assert not codes.secret_matches("ABCD-EFGH-JKMP", first)
    assert not codes.secret_matches("ABCD-EFGH-JKMN", "not-hex$abc")
    assert codes._HASH_ROUNDS >= 50_000


def test_hostile_names_leave_every_table_in_place(store):
    code = store.create_class("Bobby Tables'); DROP TABLE classes;--")
    before = set(inspect(store.engine).get_table_names())
    assert before == set(TABLES.tables)
    for name in HOSTILE_NAMES:
        seat, resume = store.join(code, name)
        answer_all(store, seat, 2)
        assert store.rejoin(code, name.upper(), resume) == seat
    assert set(inspect(store.engine).get_table_names()) == before
    data = store.class_data(code)
    assert [s.name for s in data.students] == HOSTILE_NAMES
    assert data.info.title == "Bobby Tables'); DROP TABLE classes;--"
    assert len(data.attempts) == 2 * len(HOSTILE_NAMES)


def test_a_hostile_class_code_is_refused_before_any_query(store):
    for typed in ("'; DROP TABLE classes;--", "K7QM-3XPA' OR '1'='1"):
        with pytest.raises(NameRefused, match="A code has 8 letters"):
            store.join(typed, "Ann")
    with pytest.raises(NameRefused, match="No class has the code"):
        store.class_data("' OR 1=1 --")
    assert set(inspect(store.engine).get_table_names()) == set(TABLES.tables)
