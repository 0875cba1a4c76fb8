"""The database goes away mid-class: students' writes wait in their outboxes, and once it is back every attempt is
stored exactly once. PostgreSQL is stopped at once (`halt`) and started again; SQLite loses its folder."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter

import pytest

from lessons.core.store import local_postgres
from lessons.core.store.classes import ClassStore
from lessons.core.store.outbox import Outbox
from tests.lessons.core.store.conftest import attempt_ids, attempt_write, start_cluster

STUDENTS = 8
ATTEMPTS = 24
HALT_AFTER = STUDENTS * ATTEMPTS // 4  # stored writes before the server goes away
WAIT_AT = ATTEMPTS * 3 // 4  # no student goes past this attempt before the outage


class Room:
    """Students (threads) writing through their outboxes, with a log of every flush."""

    def __init__(self, store: ClassStore, code: str):
        self.store, self.code = store, code
        self.outage, self.stored = threading.Event(), 0
        self.lock = threading.Lock()
        self.failed: Counter[int] = Counter()  # student → flushes that failed
        self.kept_on_failure: list[bool] = []  # after each failed flush: was the new write still queued?
        self.written: list[str] = []
        self.errors: list[BaseException] = []
        self.seated = threading.Barrier(STUDENTS)  # everyone has joined before anyone answers (joins are slow)

    def student(self, n: int) -> None:
        """Join, then answer ATTEMPTS times (one flush each), then flush until the queue is empty."""
        try:
            seat, _ = self.store.join(self.code, f"student {n}")
            self.seated.wait(60)
            outbox = Outbox()
            for i in range(ATTEMPTS):
                if i == WAIT_AT:
                    self.outage.wait(60)
                write = attempt_write(f"ex{i % 3}", tries=i // 3 + 1, answer=f"{n}-{i}")
                outbox.add(write)
                ok = outbox.flush(self.store, seat, tries=1)
                with self.lock:
                    self.written.append(write.attempt.id)
                    if ok:
                        self.stored += 1
                    else:
                        self.failed[n] += 1
                        self.kept_on_failure.append(outbox.pending[-1] is write)
                time.sleep(0.005)
            deadline = time.monotonic() + 60
            while not outbox.flush(self.store, seat, tries=1):
                assert time.monotonic() < deadline, "the outbox never emptied"
                time.sleep(0.05)
        except BaseException as error:  # noqa: BLE001 - re-raised by the test
            self.errors.append(error)

    def run(self, go_away, come_back) -> None:
        """Students answer; after HALT_AFTER stored writes the database goes away until every student saw it."""
        threads = [threading.Thread(target=self.student, args=(n,)) for n in range(STUDENTS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while self.stored < HALT_AFTER and time.monotonic() < deadline and not self.errors:
            time.sleep(0.005)
        go_away()
        self.outage.set()
        while len(self.failed) < STUDENTS and time.monotonic() < deadline and not self.errors:
            time.sleep(0.01)
        come_back()
        for thread in threads:
            thread.join(90)
        if self.errors:
            raise self.errors[0]

    def check(self) -> None:
        """Failures were seen and kept; afterwards every attempt is stored exactly once."""
        assert len(self.failed) == STUDENTS, f"only {len(self.failed)} students saw the outage"
        assert self.kept_on_failure and all(self.kept_on_failure)
        assert len(self.written) == len(set(self.written)) == STUDENTS * ATTEMPTS
        assert attempt_ids(self.store) == (len(self.written), set(self.written))
        records = self.store.class_data(self.code).records
        assert {r.tries for student in records.values() for r in student.values()} == {ATTEMPTS // 3}


def test_postgresql_halted_mid_class_loses_and_duplicates_nothing():
    # durable: a throwaway cluster's `synchronous_commit=off` acknowledges commits that an immediate stop then
    # forgets (a few per run), which is the test server's shortcut, not the store's fault
    url, folder, port = start_cluster(durable=True)
    try:
        store = ClassStore(url)
        room = Room(store, store.create_class("Outage"))
        room.run(lambda: local_postgres.halt(folder), lambda: local_postgres.resume(folder, port, durable=True))
        room.check()
        store.close()
    finally:
        local_postgres.stop(folder)


def test_sqlite_whose_folder_vanishes_mid_class_loses_and_duplicates_nothing(tmp_path):
    """The folder is moved away and the pool emptied (a restarted server finds no file); then moved back."""
    folder, away = tmp_path / "db", tmp_path / "away"
    folder.mkdir()
    store = ClassStore(f"sqlite:///{folder / 'classes.sqlite3'}")
    room = Room(store, store.create_class("Outage"))

    def go_away() -> None:
        os.rename(folder, away)
        store.engine.dispose()

    room.run(go_away, lambda: os.rename(away, folder))
    room.check()
    store.close()


def test_the_room_check_sees_lost_attempts(store):
    room = Room(store, store.create_class("Checked"))
    room.failed.update(range(STUDENTS))
    room.kept_on_failure.append(True)
    room.written = [attempt_write().attempt.id for _ in range(STUDENTS * ATTEMPTS)]
    with pytest.raises(AssertionError):
        room.check()
