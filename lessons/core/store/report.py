"""What the instructor's dashboard shows about a class, computed from the class's rows (pure functions).

Who is active now, how far each lesson got, which exercises the class gets right at the first try, the wrong answers
given most often, who asked for every hint — and the class table as CSV, safe to open in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from lessons.core.answers import Record
from lessons.core.store.classes import ClassData, StudentRow

#: A student who wrote anything this recently counts as active now.
ACTIVE_WITHIN = timedelta(minutes=5)
#: A spreadsheet runs a cell that starts with one of these as a formula: such text gets a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExerciseInfo:
    """One exercise of the course as the dashboard lists it."""

    id: str
    lesson: str  # the page it belongs to
    title: str  # a short form of its prompt
    hints: int  # how many hints it offers


def active_now(data: ClassData, moment: datetime, within: timedelta = ACTIVE_WITHIN) -> list[StudentRow]:
    """The students seen within `within` before `moment`."""
    return [s for s in data.students if s.last_seen is not None and moment - s.last_seen <= within]


def lesson_rows(data: ClassData, exercises: list[ExerciseInfo]) -> list[dict]:
    """Per lesson: students who started it, who finished all its exercises, and the class's share of exercises done."""
    by_lesson: dict[str, list[str]] = {}
    for exercise in exercises:
        by_lesson.setdefault(exercise.lesson, []).append(exercise.id)
    rows = []
    for lesson, ids in by_lesson.items():
        started = finished = done = 0
        for student in data.students:
            mine = data.records.get(student.id, {})
            count = sum(mine.get(i, Record()).done for i in ids)
            started += any(i in mine for i in ids)
            finished += count == len(ids)
            done += count
        share = done / (len(ids) * len(data.students)) if data.students and ids else 0.0
        rows.append({"lesson": lesson, "exercises": len(ids), "started": started, "finished": finished,
                     "done": share})
    return rows


def exercise_rows(data: ClassData, exercises: list[ExerciseInfo], wrong_shown: int = 3) -> list[dict]:
    """Per exercise: students who answered, share right at the first try, most common wrong answers, all hints."""
    wrong: dict[str, Counter] = {}
    for _, attempt in data.attempts:
        if not attempt.correct and attempt.answer.strip():
            wrong.setdefault(attempt.exercise, Counter())[attempt.answer.strip()] += 1
    rows = []
    for exercise in exercises:
        answered = [r for r in (data.records.get(s.id, {}).get(exercise.id) for s in data.students)
                    if r is not None and r.tries]
        first = sum(r.first_try for r in answered)
        common = wrong.get(exercise.id, Counter()).most_common(wrong_shown)
        rows.append({
            "exercise": exercise.id, "lesson": exercise.lesson, "question": exercise.title,
            "answered": len(answered), "right at first try": first / len(answered) if answered else None,
            "common wrong answers": "; ".join(f"{answer} (×{n})" for answer, n in common),
            "asked every hint": len(all_hints(data, exercise)),
        })
    return rows


def all_hints(data: ClassData, exercise: ExerciseInfo) -> list[StudentRow]:
    """The students who asked for every hint of an exercise (none when it has no hints)."""
    if not exercise.hints:
        return []
    return [s for s in data.students if data.records.get(s.id, {}).get(exercise.id, Record()).hints >= exercise.hints]


def spreadsheet_safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def class_csv(data: ClassData, exercises: list[ExerciseInfo]) -> bytes:
    """The class table: one row per student and exercise they touched (UTF-8 CSV, formulas made inert)."""
    lesson_of = {e.id: e.lesson for e in exercises}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["class", "student", "joined", "last seen", "lesson", "exercise", "tries", "correct",
                     "right at first try", "done", "hints", "last answer"])
    for student in data.students:
        for exercise_id, record in sorted(data.records.get(student.id, {}).items()):
            row = [data.info.code, student.name, student.joined.isoformat(timespec="seconds"),
                   student.last_seen.isoformat(timespec="seconds") if student.last_seen else "",
                   lesson_of.get(exercise_id, ""), exercise_id, record.tries, record.correct, record.first_try,
                   record.done, record.hints, record.answer]
            writer.writerow([spreadsheet_safe(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")  # the byte-order mark makes spreadsheets read UTF-8 names right
