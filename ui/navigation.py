"""The course map: which lesson pages exist, in which section, in order. Pure data (no Streamlit import).

`app.py` builds its `st.navigation` from this list, and the tests parametrise over it, so a lesson added here is
routed, listed on the home page and tested in the browser without further wiring.
"""

from __future__ import annotations

from dataclasses import dataclass

SECTIONS: tuple[str, ...] = ("Foundations", "Inside CNNs", "Neuroscience tools for networks", "Brains")


@dataclass(frozen=True)
class Lesson:
    """One lesson page of the course."""

    section: str
    path: str  # page script, relative to the repository root
    title: str
    icon: str
    url_path: str
    summary: str  # one line for the home page


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        section="Inside CNNs",
        path="pages/inside_cnn.py",
        title="Inside a CNN",
        icon=":material/layers:",
        url_path="inside-a-cnn",
        summary="Run a real pretrained network on a photo: preprocessing, top-5 guesses, learned filters, "
        "feature maps layer by layer.",
    ),
)

HOME_TITLE = "From Zero to CNNs to Brains"


def lessons_in(section: str) -> list[Lesson]:
    """Return the built lessons of one section, in course order."""
    return [lesson for lesson in LESSONS if lesson.section == section]


def lesson_by_path(path: str) -> Lesson:
    """Return the lesson whose page script is `path`."""
    for lesson in LESSONS:
        if lesson.path == path:
            return lesson
    raise KeyError(path)
