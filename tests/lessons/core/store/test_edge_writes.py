"""Unusual but possible writes: the store answers each with a stored row or a refusal in words, never with a raw
database error (which the session's outbox would retry, and fail on, at every later answer)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from lessons.core.answers import Record
from lessons.core.store.classes import Attempt, SeatGone, Write
from lessons.core.store.codes import NameRefused
from lessons.core.store.outbox import Outbox
from tests.lessons.core.store.conftest import attempt_write


def test_an_answer_holding_a_nul_character_is_stored(store):
    seat, _ = store.join(store.create_class("Nul"), "Ann")
    outbox = Outbox()
    outbox.add(attempt_write("ex1", answer="4\x002"))
    assert outbox.flush(store, seat)
    assert [a.answer.replace("\x00", "") for a in store.attempts_of(seat)] == ["42"]


def test_an_attempt_time_in_another_zone_keeps_its_instant(store):
    seat, _ = store.join(store.create_class("Zones"), "Ann")
    moment = datetime(2025, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    store.save(seat, [Write("lesson", "ex1", Record(tries=1), Attempt(str(uuid.uuid4()), "lesson", "ex1", "a",
                                                                        False, 0, moment))])
    assert store.attempts_of(seat)[0].at == moment


def test_a_write_of_a_student_removed_by_a_reset_is_refused_in_words(store):
    code = store.create_class("Reset during class")
    seat, _ = store.join(code, "Ann")
    store.reset_class(code)
    with pytest.raises(SeatGone, match="reset this class"):
        store.save(seat, [attempt_write("ex1")])
    assert issubclass(SeatGone, NameRefused), "a refusal in words, not a database error"


def test_a_name_whose_compatibility_form_is_long_is_joined_or_refused_in_words(store):
    code = store.create_class("Long keys")
    try:
        seat, _ = store.join(code, "\ufdfa" * 40)
    except NameRefused:
        return
    assert seat.name == "\ufdfa" * 40
