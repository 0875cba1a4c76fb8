"""The outbox: writes wait in order while there is no database, and land once, oldest first, when there is one."""

from __future__ import annotations

from lessons.core.store.classes import Seat, StoreDown
from lessons.core.store.outbox import Outbox
from tests.lessons.core.store.conftest import attempt_write

SEAT = Seat(1, "ABCD-EFGH", "Class", "Ann")


class Failing:
    """A store that is down for its first `down` saves, and records what each later save received."""

    def __init__(self, down: int):
        self.down, self.calls, self.saved = down, 0, []

    def save(self, seat, writes):
        """Fail while down, else keep the batch."""
        self.calls += 1
        if self.calls <= self.down:
            raise StoreDown("connection refused")
        self.saved.append(list(writes))


def test_without_a_store_every_write_stays_in_order():
    outbox = Outbox()
    writes = [attempt_write(f"ex{i}") for i in range(5)]
    for write in writes:
        outbox.add(write)
        assert not outbox.flush(None, SEAT)
    assert outbox.pending == writes and outbox.waiting() == 5
    assert outbox.last_failure > 0


def test_an_empty_outbox_is_flushed_without_a_store():
    assert Outbox().flush(None, SEAT)


def test_a_store_down_for_every_try_keeps_everything_in_order():
    outbox, store = Outbox(), Failing(down=3)
    writes = [attempt_write(f"ex{i}") for i in range(3)]
    for write in writes:
        outbox.add(write)
    assert not outbox.flush(store, SEAT, tries=3, pause=0.001)
    assert store.calls == 3 and outbox.pending == writes and outbox.last_failure > 0


def test_a_store_back_on_a_later_try_gets_the_whole_queue_oldest_first():
    outbox, store = Outbox(), Failing(down=2)
    writes = [attempt_write(f"ex{i}") for i in range(4)]
    for write in writes:
        outbox.add(write)
    assert outbox.flush(store, SEAT, tries=3, pause=0.001)
    assert store.saved == [writes] and outbox.waiting() == 0 and outbox.last_failure == 0.0


def test_queued_writes_land_in_a_real_store_once(store):
    seat, _ = store.join(store.create_class("Outbox"), "Ann")
    outbox = Outbox()
    writes = [attempt_write("ex1", tries=i + 1, answer=str(i)) for i in range(3)]
    for write in writes:
        outbox.add(write)
        assert not outbox.flush(None, seat)
    assert outbox.flush(store, seat) and outbox.flush(store, seat)
    assert [a.id for a in sorted(store.attempts_of(seat), key=lambda a: a.at)] == [w.attempt.id for w in writes]
    assert store.records_of(seat)["ex1"].answer == "2"  # the last write wins, as it was queued last
