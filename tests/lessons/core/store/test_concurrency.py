"""A room answering at once: 50 students in threads of one server, or split over two server processes, and every
attempt is stored exactly once with every record at its last try."""

from __future__ import annotations

import multiprocessing

from lessons.core.store.classes import ClassStore
from tests.lessons.core.store.conftest import attempt_ids, process_students, students_answering

STUDENTS = 50
ATTEMPTS = 8  # each student: 4 exercises, 2 tries each


def assert_stored_exactly_once(store: ClassStore, class_code: str, written: list[str]) -> None:
    """Every written attempt is in the database once, none else; every record holds its last try."""
    assert len(written) == len(set(written)) == STUDENTS * ATTEMPTS
    count, ids = attempt_ids(store)
    assert (count, ids) == (len(written), set(written))
    data = store.class_data(class_code)
    assert data.info.students == STUDENTS
    assert len(data.records) == STUDENTS
    assert {(len(r), tuple(sorted({x.tries for x in r.values()}))) for r in data.records.values()} == {(4, (2,))}


def test_fifty_students_in_threads_of_one_store(store, quick_hashes):
    code = store.create_class("Threads")
    written = students_answering(store.url, code, [f"student {n}" for n in range(STUDENTS)], ATTEMPTS)
    assert_stored_exactly_once(store, code, written)


def test_fifty_students_in_two_processes(store, quick_hashes):
    code = store.create_class("Processes")
    context = multiprocessing.get_context("spawn")
    start, done = context.Barrier(2), context.Queue()
    halves = [[f"student {n}" for n in range(half, STUDENTS, 2)] for half in (0, 1)]
    processes = [context.Process(target=process_students,
                                 args=(store.url, code, names, ATTEMPTS, start, done, quick_hashes))
                 for names in halves]
    for process in processes:
        process.start()
    results = [done.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    assert sorted(len(ids) for _, ids in results) == [STUDENTS // 2 * ATTEMPTS] * 2
    assert_stored_exactly_once(store, code, [attempt_id for _, ids in results for attempt_id in ids])
