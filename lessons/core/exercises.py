"""Exercises: one small typed declaration per question, judged by pure functions on what the page computed.

A lesson declares its exercises once (`lessons/<lesson>/exercises.py`: a `LessonExercises` with its questions,
takeaways and time); `ui.exercises` renders every kind the same way. Answers that depend on data
are never stored: a declaration names a function of the page's *facts* (the numbers the page computed and shows),
so the right answer is whatever the running app measured. No Streamlit and no torch here: the router and the home
page read these declarations too.

Kinds:
- ``choice``: pick one option; every option carries its own feedback.
- ``predict``: commit to an option *before* the page shows the result; the verdict compares it with the measurement.
- ``numeric``: a number, right within a stated tolerance.
- ``task``: "make it happen" — the student changes the page until `check(facts)` says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["choice", "predict", "numeric", "task"]
KINDS: tuple[str, ...] = ("choice", "predict", "numeric", "task")
#: What a page hands to its exercises: the numbers and settings it computed and shows, by name.
Facts = Mapping[str, Any]
#: After this many wrong tries the explanation is shown anyway.
MAX_TRIES = 3
#: What an exercise says while the page has not computed what it needs (an exercise may say something more exact).
WAITING = "The page has not computed what this needs yet: run the section above first."
#: The section every lesson has: its summary at the end (course-file questions without a section appear there).
SUMMARY = "summary"


class MissingFacts(LookupError):
    """The page has not (yet) computed what an exercise needs to be judged."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of one answer: right or not, and what to tell the student."""

    correct: bool
    feedback: str


@dataclass(frozen=True)
class Option:
    """One option of a choice or predict exercise, with the feedback shown when it is picked."""

    label: str
    feedback: str = ""


@dataclass(frozen=True)
class Exercise:
    """One question of a lesson: where it appears, what it asks, and how it is judged."""

    id: str  # "<lesson package>.<name>", unique in the course
    section: str  # the page section it belongs to (the key the page passes to `ui.exercises.exercises_at`)
    kind: Kind
    prompt: str | Callable[[Facts], str]  # may quote the page (a target computed at run time)
    options: tuple[Option, ...] = ()  # choice and predict
    # the right option's label, or how to read it from facts (a function may return several labels, for a tie)
    correct: str | Callable[[Facts], str | tuple[str, ...]] | None = None
    answer: float | Callable[[Facts], float] | None = None  # numeric: the right number, or how to compute it
    tolerance: float = 0.0  # numeric: how far from the answer still counts as right (absolute)
    unit: str = ""  # numeric: shown next to the input
    check: Callable[[Facts], Verdict] | None = None  # task: judges the page's current state
    hints: tuple[str, ...] = ()  # shown one at a time, on request
    explanation: str | Callable[[Facts], str] = ""  # after a right answer, or after MAX_TRIES tries
    needs: tuple[str, ...] = ()  # facts the page must supply before the exercise can be judged
    waiting: str = WAITING  # what to do while the facts it needs are missing

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.id}: unknown kind {self.kind!r}")
        if self.kind in ("choice", "predict"):
            labels = [o.label for o in self.options]
            if len(labels) < 2 or len(set(labels)) != len(labels) or self.correct is None:
                raise ValueError(f"{self.id}: needs two or more distinct options and a correct one")
            if isinstance(self.correct, str) and self.correct not in labels:
                raise ValueError(f"{self.id}: the correct option {self.correct!r} is not among the options")
        if self.kind == "numeric" and (self.answer is None or self.tolerance < 0):
            raise ValueError(f"{self.id}: a numeric exercise needs an answer and a tolerance ≥ 0")
        if self.kind == "task" and self.check is None:
            raise ValueError(f"{self.id}: a task needs a check")

    @property
    def labels(self) -> tuple[str, ...]:
        """The option labels, in order."""
        return tuple(o.label for o in self.options)

    def option(self, label: str) -> Option:
        """The option with this label."""
        for o in self.options:
            if o.label == label:
                return o
        raise KeyError(label)

    def ready(self, facts: Facts) -> bool:
        """Whether the page supplied every fact this exercise needs."""
        return all(facts.get(name) is not None for name in self.needs)

    def right_options(self, facts: Facts) -> tuple[str, ...]:
        """Every option that counts as right, computed from the facts when it depends on data (a measured tie makes
        more than one)."""
        self._require(facts)
        found = self.correct(facts) if callable(self.correct) else self.correct
        labels = (found,) if isinstance(found, str) else tuple(found)  # type: ignore[arg-type]
        stray = [label for label in labels if label not in self.labels]
        if stray or not labels:
            raise ValueError(f"{self.id}: the computed answer {stray or labels!r} is not among the options")
        return labels

    def right_option(self, facts: Facts) -> str:
        """The right option's label (the first, when a measured tie makes several right)."""
        return self.right_options(facts)[0]

    def right_number(self, facts: Facts) -> float:
        """The right number, computed from the facts when it depends on data."""
        self._require(facts)
        return float(self.answer(facts) if callable(self.answer) else self.answer)  # type: ignore[arg-type]

    def ask(self, facts: Facts) -> str:
        """The prompt, computed from the facts when it quotes them (the waiting note while they are missing)."""
        if not callable(self.prompt):
            return self.prompt
        return self.prompt(facts) if self.ready(facts) else self.waiting

    def explain(self, facts: Facts) -> str:
        """The explanation, computed from the facts when it quotes them."""
        return self.explanation(facts) if callable(self.explanation) else self.explanation

    def solution(self, facts: Facts) -> str:
        """The right answer in words: the right option(s), the number with its tolerance and unit, or for a task
        what its explanation says (else what it asks); raises MissingFacts while the page lacks what it needs."""
        if self.kind in ("choice", "predict"):
            right = self.right_options(facts)
            return right[0] if len(right) == 1 else " or ".join(right) + " (a tie)"
        if self.kind == "numeric":
            number = f"{self.right_number(facts):.4g}"
            spread = f" ± {self.tolerance:g}" if self.tolerance else ""
            return f"{number}{spread}{f' {self.unit}' if self.unit else ''}"
        self._require(facts)
        explained = self.explain(facts)
        return explained or f"Done when the page shows it: {self.ask(facts)}"

    def _require(self, facts: Facts) -> None:
        missing = [name for name in self.needs if facts.get(name) is None]
        if missing:
            raise MissingFacts(f"{self.id} needs {', '.join(missing)}")


def judge(exercise: Exercise, response: Any, facts: Facts) -> Verdict:
    """Judge one response to `exercise` against what the page computed (`facts`)."""
    if exercise.kind in ("choice", "predict"):
        if response not in exercise.labels:
            return Verdict(False, "Pick one of the options first.")
        right = exercise.right_options(facts)
        said = exercise.option(response).feedback
        if exercise.kind == "predict":
            measured = " and ".join(f"**{label}**" for label in right) + (" (a tie)" if len(right) > 1 else "")
            if response in right:
                return Verdict(True, f"Your prediction matches what the page measured: {measured}. {said}".strip())
            return Verdict(False, f"The page measured {measured}, not *{response}*. {said}".strip())
        return Verdict(response in right, said or ("Right." if response in right else "Not this one."))
    if exercise.kind == "numeric":
        return judge_number(response, exercise.right_number(facts), exercise.tolerance)
    exercise._require(facts)
    return exercise.check(facts)  # type: ignore[misc]


def judge_number(response: Any, answer: float, tolerance: float) -> Verdict:
    """A number is right within `tolerance` of `answer`; a wrong one learns only which way it is off."""
    try:
        value = float(response)
    except (TypeError, ValueError):
        return Verdict(False, "Type a number, e.g. 0.5.")
    if not math.isfinite(value):
        return Verdict(False, "Type a finite number.")
    if abs(value - answer) <= tolerance + 1e-12 * max(1.0, abs(answer)):
        return Verdict(True, f"Right: {answer:.4g} (anything within ±{tolerance:g} counts).")
    return Verdict(False, "Too high." if value > answer else "Too low.")


@dataclass(frozen=True)
class LessonExercises:
    """Everything a lesson asks and sums up: its exercises, its takeaways and how long it takes."""

    lesson: str  # the page's url path, e.g. "linear_classifier"
    exercises: tuple[Exercise, ...]
    takeaways: tuple[str, ...]  # three to five, shown in the lesson's summary
    minutes: int  # how long the lesson takes a student, for the home page
    sections: tuple[str, ...] = field(default=())  # the section keys the page offers, in page order

    def __post_init__(self) -> None:
        ids = [e.id for e in self.exercises]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.lesson}: exercise ids repeat")
        unknown = {e.section for e in self.exercises} - {*self.sections, SUMMARY}
        if unknown:
            raise ValueError(f"{self.lesson}: exercises placed at undeclared sections {sorted(unknown)}")

    def at(self, section: str) -> tuple[Exercise, ...]:
        """The exercises placed at one section, in declaration order."""
        return tuple(e for e in self.exercises if e.section == section)

    def by_id(self, exercise_id: str) -> Exercise:
        """One exercise by id."""
        for e in self.exercises:
            if e.id == exercise_id:
                return e
        raise KeyError(exercise_id)
