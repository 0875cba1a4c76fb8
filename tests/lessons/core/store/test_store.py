"""What the store keeps: idempotent writes, records that only move forward, classes reset one at a time, and the
instructor's view of exactly what was written."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lessons.core.answers import Record
from lessons.core.store.classes import Attempt, ClassStore, StoreDown, Write
from lessons.core.store.schema import attempts, records, seats, students
from tests.lessons.core.store.conftest import answer_all, attempt_ids, attempt_write, free_port


def _rows(store: ClassStore, table) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_saving_the_same_write_twice_stores_it_once(store):
    seat, _ = store.join(store.create_class("Twice"), "Ann")
    write = attempt_write("ex1", tries=1, correct=False, answer="7")
    store.save(seat, [write])
    record = store.records_of(seat)
    store.save(seat, [write])
    store.save(seat, [write, write])
    assert attempt_ids(store) == (1, {write.attempt.id})
    assert store.records_of(seat) == record == {"ex1": write.record}


def test_a_late_older_record_does_not_undo_a_newer_one(store):
    seat, _ = store.join(store.create_class("Forward"), "Ann")
    older = attempt_write("ex1", tries=1, correct=False, answer="wrong", hints=1)
    newer = attempt_write("ex1", tries=2, correct=True, answer="right", hints=0)
    store.save(seat, [newer])
    store.save(seat, [older])  # e.g. a queued write that lands after a later one
    kept = store.records_of(seat)["ex1"]
    assert (kept.tries, kept.correct, kept.answer, kept.hints) == (2, True, "right", 1)
    assert {a.id for a in store.attempts_of(seat)} == {older.attempt.id, newer.attempt.id}


def test_a_record_moves_forward_with_each_newer_write(store):
    seat, _ = store.join(store.create_class("Forward"), "Ann")
    store.save(seat, [attempt_write("ex1", tries=1, answer="a")])
    store.save(seat, [attempt_write("ex1", tries=2, answer="b", hints=2)])
    store.save(seat, [Write("lesson", "ex1", Record(tries=3, correct=True, done=True, answer="c"))])
    assert store.records_of(seat)["ex1"] == Record(tries=3, correct=True, first_try=False, done=True, hints=2,
                                                   answer="c")
    assert _rows(store, attempts) == 2  # a write without an attempt changes only the record


def test_one_save_of_several_writes_keeps_them_all(store):
    seat, _ = store.join(store.create_class("Batch"), "Ann")
    writes = [attempt_write(f"ex{i}", tries=1, answer=str(i)) for i in range(5)]
    store.save(seat, writes)
    store.save(seat, [])
    assert {a.id for a in store.attempts_of(seat)} == {w.attempt.id for w in writes}
    assert {k: r.answer for k, r in store.records_of(seat).items()} == {f"ex{i}": str(i) for i in range(5)}


def test_class_data_returns_what_was_written(store):
    code = store.create_class("  Data   science  ")
    ann, _ = store.join(code, "Ann")
    bob, _ = store.join(code, "Bob")
    moment = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)
    writes = {ann.student_id: [], bob.student_id: []}
    for n, seat in enumerate((ann, bob)):
        for i in range(3):
            record = Record(tries=1, correct=i == n, first_try=i == n, done=i == n, hints=i, answer=f"{seat.name}-{i}")
            attempt = Attempt(f"{seat.name}-{i}", "linear", f"ex{i}", record.answer, record.correct, i,
                              moment + timedelta(minutes=3 * i + n))
            write = Write("linear", f"ex{i}", record, attempt)
            store.save(seat, [write])
            writes[seat.student_id].append(write)
    data = store.class_data(code)
    assert (data.info.code, data.info.title, data.info.students) == (code, "Data science", 2)
    assert [(s.id, s.name) for s in data.students] == [(ann.student_id, "Ann"), (bob.student_id, "Bob")]
    assert all(s.last_seen is not None and s.last_seen.tzinfo is not None for s in data.students)
    assert data.records == {sid: {w.exercise: w.record for w in ws} for sid, ws in writes.items()}
    expected = sorted(((sid, w.attempt) for sid, ws in writes.items() for w in ws), key=lambda p: p[1].at)
    assert data.attempts == expected  # oldest first, times in UTC as written


def test_resetting_a_class_removes_its_students_and_rows_only(store):
    code, other = store.create_class("Reset me"), store.create_class("Keep me")
    gone = [store.join(code, name)[0] for name in ("Ann", "Bob")]
    kept, _ = store.join(other, "Cy")
    for seat in (*gone, kept):
        answer_all(store, seat, 5)
        store.open_seat(seat)
    assert store.reset_class(code) == 2
    data = store.class_data(code)
    assert (data.students, data.records, data.attempts, data.info.students) == ([], {}, [], 0)
    other_data = store.class_data(other)
    assert [s.id for s in other_data.students] == [kept.student_id] and len(other_data.attempts) == 5
    assert (_rows(store, students), _rows(store, attempts), _rows(store, seats), _rows(store, records)) == (1, 5, 1, 4)
    store.join(code, "Ann")  # the class and its code stay, the names are free again
    assert store.reset_class(code) == 1 and store.reset_class(code) == 0


def test_the_class_list_counts_students_newest_first(store):
    first = store.create_class("First")
    time.sleep(0.01)
    second = store.create_class("Second")
    store.join(first, "Ann")
    store.join(first, "Bob")
    listed = store.class_list()
    assert [(c.code, c.title, c.students) for c in listed] == [(second, "Second", 0), (first, "First", 2)]
    assert all(c.created.tzinfo is not None for c in listed)


def test_touch_marks_a_student_as_seen(store):
    seat, _ = store.join(store.create_class("Seen"), "Ann")
    before = store.class_data(seat.class_code).students[0].last_seen
    time.sleep(0.01)
    store.touch(seat)
    assert store.class_data(seat.class_code).students[0].last_seen > before


def test_an_unknown_class_is_refused_in_words(store):
    from lessons.core.store.codes import NameRefused

    for call in (lambda: store.join("AAAA-AAAA", "Ann"), lambda: store.class_data("AAAA-AAAA"),
                 lambda: store.reset_class("AAAA-AAAA")):
        with pytest.raises(NameRefused, match="No class has the code AAAA-AAAA"):
            call()


def test_a_server_that_does_not_answer_is_store_down():
    started = time.monotonic()
    with pytest.raises(StoreDown):
        ClassStore(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing")
    assert time.monotonic() - started < 10


def test_ping_answers_and_the_shown_address_hides_the_password(store):
    store.ping()
    hidden = ClassStore.__new__(ClassStore)
    hidden.url = "postgresql+psycopg://teacher:s3cret@db.example.org/classes"
    assert "s3cret" not in hidden.where and "teacher" in hidden.where
