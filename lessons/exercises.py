"""Every lesson's built-in exercises, by lesson page (each declared in its lesson package; no torch is loaded).

A lesson added to the course gets exercises by declaring a `LessonExercises` named `EXERCISES` in the module listed
here; `tests/lessons/test_exercises_declared.py` checks that every lesson has one.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from lessons.core.exercises import LessonExercises

#: Lesson page (its url path) → the module declaring its exercises.
MODULES: dict[str, str] = {
    "linear_classifier": "lessons.linear.exercises",
    "convolution": "lessons.convolution.exercises",
    "inside_cnn": "lessons.cnn.exercises",
    "data_shift": "lessons.shift.exercises",
    "topographic_maps": "lessons.topomap.exercises",
    "activation_maximization": "lessons.actmax.exercises",
    "activation_atlas": "lessons.atlas.exercises",
    "attribution": "lessons.attribution.exercises",
    "mouse_cortex": "lessons.cortex.exercises",
    "inception_loop": "lessons.cortex.loop_exercises",
    "model_zoo": "lessons.cortex.zoo_exercises",
}


@lru_cache(maxsize=1)
def built_in() -> dict[str, LessonExercises]:
    """Each lesson page's declared exercises."""
    return {page: importlib.import_module(module).EXERCISES for page, module in MODULES.items()}
