"""A student's records: tries counted, a right answer never lost, files read back exactly and bad files refused."""

from __future__ import annotations

import json

import pytest

from lessons.core.answers import MAX_FILE_BYTES, ProgressFileError, Record, from_file, merged, to_file
from lessons.core.exercises import MAX_TRIES


def test_a_record_counts_tries_and_keeps_a_right_answer() -> None:
    record = Record().after("a", False)
    assert (record.tries, record.correct, record.done) == (1, False, False)
    record = record.after("b", True)
    assert record.correct and record.done and not record.first_try
    assert record.after("a", False).correct  # a later wrong answer does not take it back
    assert Record().after("b", True).first_try


def test_the_explanation_opens_after_the_allowed_tries() -> None:
    record = Record()
    for _ in range(MAX_TRIES):
        record = record.after("x", False)
    assert record.done and not record.correct


def test_a_progress_file_reads_back_the_same_records() -> None:
    answers = {"linear.a": Record(tries=2, correct=True, done=True, hints=1, answer="50 %"),
               "conv.b": Record(answer="late")}
    assert from_file(to_file(answers, "A course ✓")) == answers


def test_merging_keeps_the_further_record_of_each_exercise_and_every_hint() -> None:
    mine = {"a": Record(tries=1, answer="x", hints=2), "b": Record(tries=1, correct=True, done=True)}
    theirs = {"a": Record(tries=1, correct=True, done=True, answer="y"), "b": Record(tries=3, done=True),
              "c": Record(tries=1)}
    out = merged(mine, theirs)
    assert out["a"].correct and out["a"].answer == "y" and out["a"].hints == 2
    assert out["b"].correct  # a right answer beats more wrong tries
    assert out["c"] == Record(tries=1)
    assert merged(out, out) == out  # loading the same file twice changes nothing


@pytest.mark.parametrize(("data", "says"), [
    (b"\xff\xfe\x00", "not a text file"),
    (b"{not json", "not valid JSON (line 1"),
    (b'{"format": "something else"}', "not a progress file"),
    (b'{"format": "zero-to-brains-progress", "version": 99, "answers": {}}', "version 99"),
    (b'{"format": "zero-to-brains-progress", "version": 1}', "no answers"),
    (b'{"format": "zero-to-brains-progress", "version": 1, "answers": {"a": {"tries": "many"}}}', "bad 'tries'"),
    (b'{"format": "zero-to-brains-progress", "version": 1, "answers": {"a": {"tries": true}}}', "bad 'tries'"),
    (b'{"format": "zero-to-brains-progress", "version": 1, "answers": {"a; DROP TABLE": {}}}', "no course has"),
    (b"[1, 2]", "not a progress file"),
])
def test_bad_progress_files_are_refused_with_a_reason(data: bytes, says: str) -> None:
    with pytest.raises(ProgressFileError, match=says.replace("(", r"\(")):
        from_file(data)


def test_a_huge_file_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(ProgressFileError, match="MB"):
        from_file(b" " * (MAX_FILE_BYTES + 1))


def test_long_answers_are_cut_to_a_sane_length() -> None:
    body = json.loads(to_file({"a": Record(answer="x" * 10_000)}))
    assert len(body["answers"]["a"]["answer"]) == 10_000  # the record itself is not cut when saved…
    assert len(from_file(json.dumps(body).encode())["a"].answer) == 500  # …but a file cannot make it grow


def test_a_progress_file_carries_the_class_seat_only_when_there_is_one():
    from lessons.core.answers import ClassSeat, seat_in_file

    seat = ClassSeat("K7QM-3XPA", "Ada 👩‍🔬", "HX4R-9QTM-2KCA")
    data = to_file({"a": Record(tries=1)}, "course", seat)
    assert seat_in_file(data) == seat
    assert from_file(data) == {"a": Record(tries=1)}, "the answers read the same with a seat in the file"
    assert seat_in_file(to_file({"a": Record()})) is None
    assert seat_in_file(b"not json") is None
    assert seat_in_file(json.dumps({"class": {"class_code": 1}}).encode()) is None
