"""Router and home page of "From Zero to CNNs to Brains". Deliberately imports no torch: it must render fast."""

from __future__ import annotations

import os
from pathlib import Path

# Before any page imports torch: its OpenMP threads sleep rather than spin while they wait, so the one team per
# page thread a server runs do not starve each other of the cores (lessons.core.runtime explains the measurements).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import streamlit as st

from ui.classroom import class_panel
from ui.course import (
    course_lessons,
    course_problem,
    course_size,
    lesson_done,
    lesson_minutes,
    lesson_summary,
    progress_panel,
)
from ui.garbage import collected_if_long
from ui.instructor import DASHBOARD_PAGE, instructor_configured
from ui.navigation import HOME_TITLE, SECTIONS, Lesson
from ui.presenter import fill_presenter_bar, page_config, presenter_bar, presenter_toggle
from ui.routing import mark_routed

st.set_page_config(page_title=HOME_TITLE, page_icon=":material/neurology:", layout="wide", **page_config())


def home() -> None:
    """The course map: one section per stage of the journey, one line per lesson."""
    st.title(HOME_TITLE)
    st.html("<style>.lesson-summary{margin:-0.4rem 0 0.9rem 2.2rem;color:#495057;font-size:0.95rem}</style>")
    st.markdown(
        "A hands-on path from a single line that separates two clouds of points, through the convolutions and "
        "feature maps of a real network, to the tools neuroscientists turn on networks — and finally to predicting "
        "neurons in mouse visual cortex from a network's features. Every lesson runs offline on real models and "
        "real images; anything simulated says so."
    )
    st.caption(course_size())
    problem = course_problem()
    if problem:
        st.error(problem, icon=":material/error:")
    for section, lessons in sections_in_course_order():
        st.subheader(section)
        for lesson in lessons:
            with st.container(gap=None):
                st.page_link(lesson.path, label=f"**{lesson.title}**", icon=lesson.icon)
                st.markdown(f'<div class="lesson-summary">{lesson.summary}<br><small>{lesson_facts(lesson)}'
                            '</small></div>', unsafe_allow_html=True)
    instructors()


def sections_in_course_order() -> list[tuple[str, list[Lesson]]]:
    """The course's lessons grouped by section: sections in course-map order, lessons in the course's order."""
    lessons = course_lessons()
    return [(section, [lesson for lesson in lessons if lesson.section == section]) for section in SECTIONS
            if any(lesson.section == section for lesson in lessons)]


def lesson_facts(lesson: Lesson) -> str:
    """One line under a lesson on the course map: its time and the student's exercises done."""
    minutes = lesson_minutes(lesson.url_path)
    done, total = lesson_done(lesson.url_path)
    parts = [f"about {minutes} min"] if minutes else []
    if total:
        parts.append(f"{done} of {total} exercises done" if done else f"{total} exercises")
    return " · ".join(parts)


def instructors() -> None:
    """For instructors: offline use, and preparing every cache before a class."""
    st.subheader("For instructors")
    st.markdown(
        "Everything here works without internet. Larger models (ResNet-18, AlexNet) can be fetched on request "
        "where a connection exists. Before a class, **prepare** the app once (or run `make warm` on the server): "
        "it trains the digit networks, builds the simulated cortex and the default activation atlas, so the first "
        "student in the room never waits."
    )
    st.markdown(
        "**Running a class?** Students join with a class code (sidebar, *Join a class*) and their answers are saved "
        "as they go; set an instructor passcode to open the live **class dashboard**, and add `?present=1` to a "
        "lesson's address (or use the sidebar's toggle) to project it one section at a time. The README's *Running "
        "a class* has the steps for a classroom laptop and for a hosted class."
    )
    if st.button("Prepare for class", icon=":material/school:", key="home_prepare"):
        prepare_for_class()


def prepare_for_class() -> None:
    """Run every warm-up step behind a staged progress bar, then list what each step did."""
    from lessons.warm import prepare_for_class as warm  # loads torch: only on request
    from ui.progress import progress_status

    with progress_status("Preparing every lesson for class…", "Ready for class") as report:
        steps = warm(report)
    st.dataframe(
        [{"step": s.name, "seconds": round(s.seconds, 1), "result": s.note} for s in steps],
        hide_index=True, width="stretch",
    )


def build_navigation() -> dict[str, list]:
    """Return the `st.navigation` mapping of section → pages, home first, lessons in the course's order."""
    pages: dict[str, list] = {"": [home_page]}
    for section, lessons in sections_in_course_order():
        pages[section] = [
            st.Page(lesson.path, title=lesson.sidebar_title, icon=lesson.icon, url_path=lesson.url_path)
            for lesson in lessons
        ]
    if instructor_configured():
        pages["For instructors"] = [st.Page(DASHBOARD_PAGE, title="Class dashboard", icon=":material/monitoring:",
                                            url_path=Path(DASHBOARD_PAGE).stem)]
    return pages


def course_footer(url_path: str) -> None:
    """The lesson's summary, then Previous / Next links in course order (the ends lead back to the course map)."""
    lessons = course_lessons()
    index = next((i for i, lesson in enumerate(lessons) if lesson.url_path == url_path), None)
    if index is None:
        return
    lesson_summary(url_path)
    before = lessons[index - 1] if index > 0 else None
    after = lessons[index + 1] if index + 1 < len(lessons) else None
    st.divider()
    back, forward = st.columns(2)
    if before is None:
        back.page_link(home_page, label="Course map", icon=":material/arrow_back:")
    else:
        back.page_link(before.path, label=f"Previous: {before.title}", icon=":material/arrow_back:")
    with forward.container(horizontal_alignment="right"):
        if after is None:
            st.page_link(home_page, label="Back to the course map", icon=":material/home:")
        else:
            st.page_link(after.path, label=f"Next: {after.title}", icon=":material/arrow_forward:")


mark_routed()
home_page = st.Page(home, title="Home", icon=":material/home:", default=True)
current = st.navigation(build_navigation())
class_panel()  # first: a reload's seat (and its answers) comes back before anything counts them
progress_panel()
presenter_toggle()
with collected_if_long():
    bar = presenter_bar(current.url_path)
    current.run()
    course_footer(current.url_path)
    fill_presenter_bar(bar)
