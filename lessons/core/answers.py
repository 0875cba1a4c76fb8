"""A student's answers: one record per exercise, merged without loss, saved to and read from a progress file.

The progress file is JSON (never pickle): a self-paced student on a hosted app, where nothing persists on the
server, downloads it and uploads it later to continue. A student in a class finds their class code, name and resume
code in it too (the file is theirs; a link never carries the resume code). Reading a file never trusts it: size, format, version and
every field are checked, and a bad file is refused with a message that says what is wrong.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

from lessons.core.exercises import MAX_TRIES

FORMAT = "zero-to-brains-progress"
VERSION = 1
#: A progress file larger than this is refused before it is parsed.
MAX_FILE_BYTES = 1_000_000
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
_MAX_ANSWER_CHARS = 500


class ProgressFileError(ValueError):
    """A progress file that cannot be read; the message says why, in words for a student."""


@dataclass(frozen=True)
class Record:
    """What a student did on one exercise."""

    tries: int = 0  # answers checked
    correct: bool = False
    first_try: bool = False  # right at the first check
    done: bool = False  # right, explained after the allowed tries, or a prediction judged
    hints: int = 0  # hints shown
    answer: str = ""  # the last answer, as text (a prediction once committed)
    skipped: bool = False  # a prediction skipped to see the result (not done)

    def after(self, answer: str, correct: bool, final: bool = False) -> Record:
        """This record after one more checked answer (a right answer is never taken back); `final` closes it."""
        tries = self.tries + 1
        return replace(self, tries=tries, correct=self.correct or correct,
                       first_try=self.first_try or (correct and self.tries == 0),
                       done=self.done or correct or final or tries >= MAX_TRIES,
                       answer=answer[:_MAX_ANSWER_CHARS], skipped=False)

    def committed(self, answer: str) -> Record:
        """This record with a prediction committed, not yet judged."""
        return replace(self, answer=answer[:_MAX_ANSWER_CHARS], skipped=False)


Answers = dict[str, Record]


@dataclass(frozen=True)
class ClassSeat:
    """What brings a student back to their class: the class code, their name and their personal resume code."""

    class_code: str
    name: str
    resume_code: str


def merged(mine: Answers, theirs: Answers) -> Answers:
    """Both sets of records, keeping for each exercise the further one (right over wrong, then more tries)."""
    out = dict(mine)
    for exercise_id, record in theirs.items():
        kept = out.get(exercise_id)
        if kept is None or _progress(record) > _progress(kept):
            out[exercise_id] = replace(record, hints=max(record.hints, kept.hints if kept else 0))
        else:
            out[exercise_id] = replace(kept, hints=max(record.hints, kept.hints))
    return out


def _progress(record: Record) -> tuple[bool, bool, int]:
    return record.correct, record.done, record.tries


def to_file(answers: Answers, course: str = "", seat: ClassSeat | None = None) -> bytes:
    """The progress file for `answers` (JSON, UTF-8); with the student's class seat when they are in a class."""
    body = {
        "format": FORMAT,
        "version": VERSION,
        "course": course,
        "saved": datetime.now(UTC).isoformat(timespec="seconds"),
        "answers": {k: asdict(v) for k, v in sorted(answers.items())},
    }
    if seat is not None:
        body["class"] = asdict(seat)
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def seat_in_file(data: bytes) -> ClassSeat | None:
    """The class seat a progress file carries (None when it has none or it is not readable)."""
    try:
        body = json.loads(data.decode("utf-8"))
        fields = body["class"]
        return ClassSeat(**{name: str(fields[name])[:100] for name in ("class_code", "name", "resume_code")})
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def from_file(data: bytes) -> Answers:
    """The records in a progress file; raises `ProgressFileError` saying what is wrong with a bad one."""
    if len(data) > MAX_FILE_BYTES:
        raise ProgressFileError(f"This file is {len(data) / 1e6:.1f} MB; a progress file is a few kB. "
                                "Is it the file this app saved?")
    try:
        body = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProgressFileError("This is not a text file; upload the .json file this app saved.") from None
    except json.JSONDecodeError as error:
        raise ProgressFileError(f"This file is not valid JSON (line {error.lineno}: {error.msg}); "
                                "upload the file this app saved, unedited.") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise ProgressFileError("This JSON file is not a progress file from this app.")
    if body.get("version") != VERSION:
        raise ProgressFileError(f"This progress file has version {body.get('version')!r}; this app reads "
                                f"version {VERSION}. Is it from a newer version of the app?")
    raw = body.get("answers")
    if not isinstance(raw, dict):
        raise ProgressFileError("This progress file has no answers section.")
    return {exercise_id: _record(exercise_id, fields) for exercise_id, fields in raw.items()}


def _record(exercise_id: str, fields: object) -> Record:
    if not isinstance(exercise_id, str) or not _ID.match(exercise_id):
        raise ProgressFileError(f"The progress file names an exercise {str(exercise_id)[:40]!r} that no course has.")
    if not isinstance(fields, dict):
        raise ProgressFileError(f"The record of exercise {exercise_id} is not readable.")
    kinds = {"tries": int, "hints": int, "correct": bool, "first_try": bool, "done": bool, "answer": str,
             "skipped": bool}
    values = {}
    for name, kind in kinds.items():
        value = fields.get(name, getattr(Record(), name))
        if not isinstance(value, kind) or (kind is int and (isinstance(value, bool) or not 0 <= value <= 10_000)):
            raise ProgressFileError(f"The record of exercise {exercise_id} has a bad {name!r}: {str(value)[:40]!r}.")
        values[name] = value[:_MAX_ANSWER_CHARS] if kind is str else value
    return Record(**values)
