"""Course files: lessons, order and questions read as written; every mistake named with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lessons.core.course import EXTRA_PREFIX, CourseError, built_in_course, parse_course
from lessons.core.exercises import SUMMARY, Exercise, LessonExercises, judge
from lessons.exercises import built_in

A = Exercise(id="a.one", section="first", kind="numeric", prompt="?", answer=1.0)
B = Exercise(id="a.two", section="second", kind="numeric", prompt="?", answer=2.0)
BUILT_IN = {  # a small course of two lessons
    "alpha": LessonExercises("alpha", (A, B), ("takeaway",), 20, sections=("first", "second")),
    "beta": LessonExercises("beta", (), ("other",), 15, sections=("only",)),
}

GOOD = """\
title = "Day 2"

[[lesson]]
page = "beta"

[[lesson]]
page = "alpha"
exercises = ["a.two"]

[[lesson.question]]
id = "half"
prompt = "What is σ(0)?"
kind = "choice"
options = ["0", "0.5", "1"]
answer = "0.5"
feedback = { "0" = "Too low.", "1" = "Too high." }
hints = ["e⁰ = 1"]

[[lesson.question]]
id = "two"
prompt = "1 + 1?"
kind = "numeric"
answer = 2
tolerance = 0.1
section = "first"
"""


def test_a_course_file_sets_order_exercises_and_extra_questions() -> None:
    course = parse_course(GOOD, BUILT_IN, "day2.toml")
    assert course.title == "Day 2" and course.pages == ("beta", "alpha")
    ids = [e.id for e in course.exercises("alpha")]
    assert ids == ["a.two", EXTRA_PREFIX + "half", EXTRA_PREFIX + "two"]
    half = course.exercises("alpha", SUMMARY)[0]
    assert judge(half, "0.5", {}).correct and judge(half, "1", {}).feedback == "Too high."
    assert [e.id for e in course.exercises("alpha", "first")] == [EXTRA_PREFIX + "two"]
    assert course.lesson("alpha").takeaways == ("takeaway",) and course.lesson("gamma") is None


def test_the_built_in_course_has_every_lesson_and_all_its_exercises() -> None:
    course = built_in_course(BUILT_IN, ("alpha", "beta", "gamma"))
    assert course.pages == ("alpha", "beta", "gamma")
    assert course.all_exercises == (A, B) and course.lesson("gamma").exercises == ()


@pytest.mark.parametrize(("change", "line", "says"), [
    (("answer = \"0.5\"", "answer = \"0.50\""), 15, "must be one of its options"),
    (("page = \"alpha\"", "page = \"alfa\""), 7, "no lesson page 'alfa'"),
    (("exercises = [\"a.two\"]", "exercises = [\"a.three\"]"), 8, "no exercise 'a.three'"),
    (("section = \"first\"", "section = \"third\""), 25, "no section 'third'"),
    (("tolerance = 0.1", "tolerance = -1"), 24, "tolerance must be a number"),
    (("kind = \"numeric\"", "kind = \"essay\""), 22, "kind must be"),
    (("hints = [\"e⁰ = 1\"]", "hint = [\"e⁰ = 1\"]"), 17, "no setting 'hint'"),
    (("id = \"two\"", "id = \"half\""), 20, "used twice"),
    (("id = \"two\"", "id = \"two words\""), 20, "needs an id"),
    (("page = \"beta\"", "page = \"alpha\""), 7, "appears twice"),
])
def test_each_mistake_is_named_with_its_line(change: tuple[str, str], line: int, says: str) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(CourseError, match=says) as caught:
        parse_course(text, BUILT_IN, "day2.toml")
    assert f"day2.toml, line {line}:" in str(caught.value)


def test_broken_toml_names_its_line() -> None:
    with pytest.raises(CourseError, match="line 3"):
        parse_course('title = "x"\n[[lesson]]\npage = \n', BUILT_IN, "bad.toml")


def test_a_course_without_lessons_says_which_pages_exist() -> None:
    with pytest.raises(CourseError, match="alpha, beta"):
        parse_course('title = "Empty"\n', BUILT_IN)


def test_the_example_course_file_in_the_docs_is_a_valid_course() -> None:
    example = Path(__file__).resolve().parents[3] / "docs" / "example-course.toml"
    course = parse_course(example.read_text(encoding="utf-8"), built_in(), example.name)
    assert course.pages == ("linear_classifier", "convolution", "inside_cnn")
    assert {e.kind for e in course.exercises("linear_classifier") if e.id.startswith(EXTRA_PREFIX)} == {
        "choice", "numeric"}
