"""Every lesson declares its exercises, takeaways and time, and declaring them loads no torch or Streamlit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lessons.core.exercises import SUMMARY
from lessons.exercises import MODULES, built_in
from ui.navigation import LESSONS

ROOT = Path(__file__).resolve().parents[2]


def test_every_lesson_has_a_module_of_exercises() -> None:
    assert set(MODULES) == {lesson.url_path for lesson in LESSONS}
    assert set(built_in()) == set(MODULES), "a lesson's exercises module is missing"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.url_path)
def test_a_lesson_asks_three_to_six_questions_and_sums_up_in_three_to_five_lines(lesson) -> None:
    declared = built_in()[lesson.url_path]
    assert declared.lesson == lesson.url_path
    assert 3 <= len(declared.exercises) <= 6
    assert 3 <= len(declared.takeaways) <= 5
    assert 5 <= declared.minutes <= 90
    assert {e.kind for e in declared.exercises} & {"predict"}, "no predict-then-run exercise"
    assert {e.kind for e in declared.exercises} & {"task"}, "no make-it-happen exercise"
    for exercise in declared.exercises:
        assert exercise.id.startswith(MODULES[lesson.url_path].split(".")[1] + ".")
        assert exercise.section in (*declared.sections, SUMMARY)
        assert exercise.explanation, f"{exercise.id} explains nothing"
        assert all(o.feedback for o in exercise.options), f"{exercise.id}: an option without feedback"


def test_exercise_ids_are_unique_across_the_course() -> None:
    ids = [e.id for declared in built_in().values() for e in declared.exercises]
    assert len(ids) == len(set(ids))


def test_declaring_exercises_loads_no_torch_or_streamlit() -> None:
    code = "import sys, lessons.exercises as x; x.built_in(); print(' '.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert not loaded & {"torch", "streamlit", "torchvision"}
