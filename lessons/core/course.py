"""A course: which lessons, in which order, which built-in exercises, and an instructor's extra questions.

An instructor writes a course file in TOML, without touching Python:

    title = "Summer school, day 2"

    [[lesson]]
    page = "linear_classifier"            # a lesson's address (its page file's name)
    exercises = ["linear.diverge"]        # built-in exercises to show; leave out to show them all, [] for none

    [[lesson.question]]                   # an extra question: multiple choice…
    id = "sigmoid-half"
    prompt = "What probability does the sigmoid give a point on the line?"
    kind = "choice"
    options = ["0 %", "50 %", "100 %"]
    answer = "50 %"
    feedback = { "0 %" = "That is far on the other side.", "100 %" = "That is far on the arrow's side." }
    hints = ["σ(0) = 1 / (1 + e⁰)."]
    explanation = "On the line w·x + b = 0, and σ(0) = ½."

    [[lesson.question]]                   # …or a number, with a tolerance
    id = "sigmoid-two"
    prompt = "σ(2), to two decimals?"
    kind = "numeric"
    answer = 0.88
    tolerance = 0.005
    section = "line"                      # where it appears (a section of the page); else in the lesson's summary

A file that cannot be used raises `CourseError` naming the line, so the app can show it and fall back to the
built-in course.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass

from lessons.core.exercises import SUMMARY, Exercise, LessonExercises, Option

#: Prefix of the ids of a course file's own questions (they never collide with built-in ones).
EXTRA_PREFIX = "course."
_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_COURSE_KEYS = {"title", "lesson"}
_LESSON_KEYS = {"page", "exercises", "question"}
_QUESTION_KEYS = {"id", "prompt", "kind", "section", "options", "answer", "feedback", "tolerance", "unit", "hints",
                  "explanation"}


class CourseError(ValueError):
    """A course file that cannot be used; the message names the file's line where it can."""


@dataclass(frozen=True)
class CourseLesson:
    """One lesson of a course and the exercises it shows."""

    page: str
    exercises: tuple[Exercise, ...]
    takeaways: tuple[str, ...]
    minutes: int


@dataclass(frozen=True)
class Course:
    """The lessons of a course, in order, each with its exercises."""

    title: str
    lessons: tuple[CourseLesson, ...]
    source: str = "built-in"

    @property
    def pages(self) -> tuple[str, ...]:
        """The lessons' pages, in course order."""
        return tuple(lesson.page for lesson in self.lessons)

    def lesson(self, page: str) -> CourseLesson | None:
        """The course's entry for `page`, or None when the course leaves that lesson out."""
        for lesson in self.lessons:
            if lesson.page == page:
                return lesson
        return None

    def exercises(self, page: str, section: str | None = None) -> tuple[Exercise, ...]:
        """The exercises a page shows (at one section, when given)."""
        found = self.lesson(page)
        if found is None:
            return ()
        return tuple(e for e in found.exercises if section is None or e.section == section)

    @property
    def all_exercises(self) -> tuple[Exercise, ...]:
        """Every exercise of the course, in course order."""
        return tuple(e for lesson in self.lessons for e in lesson.exercises)


def built_in_course(built_in: Mapping[str, LessonExercises], order: tuple[str, ...]) -> Course:
    """The course as the app ships it: every lesson in `order` with all its declared exercises."""
    def entry(page: str) -> CourseLesson:
        own = built_in.get(page)
        return CourseLesson(page, own.exercises, own.takeaways, own.minutes) if own else CourseLesson(page, (), (), 0)

    return Course("From Zero to CNNs to Brains", tuple(entry(page) for page in order))


def parse_course(text: str, built_in: Mapping[str, LessonExercises], source: str = "course file") -> Course:
    """The course a TOML course file describes; raises `CourseError` (naming the line) when it cannot be used."""
    try:
        body = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CourseError(f"{source}: this is not valid TOML — {error}.") from None
    lines = _Lines(text, source)
    _no_unknown_keys(body, _COURSE_KEYS, lines, 0, "the course")
    title = body.get("title", "Course")
    if not isinstance(title, str) or not title.strip():
        raise lines.error("title", 0, "the course's title must be a non-empty text")
    entries = body.get("lesson")
    if not isinstance(entries, list) or not entries:
        raise CourseError(f"{source}: the course names no lessons; add a [[lesson]] table with a page = \"…\" line "
                          f"(pages: {', '.join(built_in)}).")
    lessons, seen_pages, seen_ids = [], set(), set()
    for index, entry in enumerate(entries):
        start = lines.table_start("[[lesson]]", index)
        lessons.append(_lesson(entry, built_in, lines, start, seen_pages, seen_ids))
    return Course(title.strip(), tuple(lessons), source)


def _lesson(entry: dict, built_in: Mapping[str, LessonExercises], lines: _Lines, start: int, seen_pages: set[str],
            seen_ids: set[str]) -> CourseLesson:
    _no_unknown_keys(entry, _LESSON_KEYS, lines, start, "a lesson")
    page = entry.get("page")
    if page not in built_in:
        raise lines.error("page", start, f"there is no lesson page {page!r}; the pages are {', '.join(built_in)}")
    if page in seen_pages:
        raise lines.error("page", start, f"the lesson {page!r} appears twice")
    seen_pages.add(page)
    own = built_in[page]
    chosen = entry.get("exercises")
    if chosen is None:
        exercises = list(own.exercises)
    elif not isinstance(chosen, list) or not all(isinstance(x, str) for x in chosen):
        raise lines.error("exercises", start, "exercises must be a list of exercise ids, e.g. [\"linear.diverge\"]")
    else:
        known = {e.id for e in own.exercises}
        unknown = [x for x in chosen if x not in known]
        if unknown:
            raise lines.error("exercises", start, f"{page} has no exercise {unknown[0]!r}; its exercises are "
                              f"{', '.join(sorted(known))}")
        exercises = [e for e in own.exercises if e.id in chosen]
    questions = entry.get("question", [])
    if not isinstance(questions, list):
        raise lines.error("question", start, "questions are [[lesson.question]] tables")
    for number, question in enumerate(questions):
        q_start = lines.table_start("[[lesson.question]]", number, after=start)
        extra = _question(question, own, lines, q_start)
        if extra.id in seen_ids:
            raise lines.error("id", q_start, f"the question id {extra.id.removeprefix(EXTRA_PREFIX)!r} is used twice")
        seen_ids.add(extra.id)
        exercises.append(extra)
    return CourseLesson(page, tuple(exercises), own.takeaways, own.minutes)


def _question(q: dict, own: LessonExercises, lines: _Lines, start: int) -> Exercise:
    _no_unknown_keys(q, _QUESTION_KEYS, lines, start, "a question")
    qid = q.get("id")
    if not isinstance(qid, str) or not _ID.match(qid):
        raise lines.error("id", start, "each question needs an id = \"…\" of letters, digits, - or _ (up to 40)")
    prompt = q.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise lines.error("prompt", start, f"question {qid!r} needs a prompt = \"…\"")
    section = q.get("section", SUMMARY)
    if section not in (*own.sections, SUMMARY):
        raise lines.error("section", start, f"{own.lesson} has no section {section!r}; its sections are "
                          f"{', '.join((*own.sections, SUMMARY))}")
    hints = q.get("hints", [])
    if not isinstance(hints, list) or not all(isinstance(h, str) for h in hints):
        raise lines.error("hints", start, "hints must be a list of texts")
    explanation = q.get("explanation", "")
    if not isinstance(explanation, str):
        raise lines.error("explanation", start, "the explanation must be a text")
    common = dict(id=EXTRA_PREFIX + qid, section=section, prompt=prompt.strip(), hints=tuple(hints),
                  explanation=explanation)
    kind = q.get("kind")
    if kind == "choice":
        options, answer, feedback = q.get("options"), q.get("answer"), q.get("feedback", {})
        if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) for o in options) \
                or len(set(options)) != len(options):
            raise lines.error("options", start, f"question {qid!r} needs options = [\"…\", \"…\"]: two or more "
                              "different texts")
        if answer not in options:
            raise lines.error("answer", start, f"question {qid!r}: the answer must be one of its options, "
                              "written exactly the same")
        if not isinstance(feedback, dict) or not all(isinstance(v, str) for v in feedback.values()) \
                or set(feedback) - set(options):
            raise lines.error("feedback", start, f"question {qid!r}: feedback maps options to texts, e.g. "
                              "feedback = { \"0 %\" = \"…\" }")
        return Exercise(kind="choice", options=tuple(Option(o, feedback.get(o, "")) for o in options),
                        correct=answer, **common)
    if kind == "numeric":
        answer, tolerance, unit = q.get("answer"), q.get("tolerance", 0.0), q.get("unit", "")
        if isinstance(answer, bool) or not isinstance(answer, int | float):
            raise lines.error("answer", start, f"question {qid!r}: a numeric question's answer must be a number")
        if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance < 0:
            raise lines.error("tolerance", start, f"question {qid!r}: the tolerance must be a number ≥ 0")
        if not isinstance(unit, str):
            raise lines.error("unit", start, f"question {qid!r}: the unit must be a text")
        return Exercise(kind="numeric", answer=float(answer), tolerance=float(tolerance), unit=unit, **common)
    raise lines.error("kind", start, f"question {qid!r}: kind must be \"choice\" or \"numeric\"")


def _no_unknown_keys(table: object, allowed: set[str], lines: _Lines, start: int, what: str) -> None:
    if not isinstance(table, dict):
        raise CourseError(f"{lines.source}, line {start + 1}: {what} must be a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise lines.error(unknown[0], start, f"{what} has no setting {unknown[0]!r} (allowed: "
                          f"{', '.join(sorted(allowed))})")


class _Lines:
    """Finds the line of a key in the course file's text, to name it in a message."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    def table_start(self, header: str, index: int, after: int = 0) -> int:
        """The 0-based line of the `index`-th `header` at or after line `after` (or `after`, if not found)."""
        seen = -1
        for number in range(after, len(self.lines)):
            if self.lines[number].strip().startswith(header):
                seen += 1
                if seen == index:
                    return number
        return after

    def error(self, key: str, start: int, message: str) -> CourseError:
        """A `CourseError` naming the first line at or after `start` that sets `key`."""
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for number in range(start, len(self.lines)):
            if pattern.match(self.lines[number]):
                return CourseError(f"{self.source}, line {number + 1}: {message}.")
        return CourseError(f"{self.source}, line {start + 1}: {message}.")
