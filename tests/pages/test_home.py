"""AppTest runs of the router and home page."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.navigation import HOME_TITLE, LESSONS, SECTIONS

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def test_home_renders_the_course_map():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == HOME_TITLE
    headers = [h.value for h in at.subheader]
    built_sections = [s for s in SECTIONS if any(lesson.section == s for lesson in LESSONS)]
    assert headers == [*built_sections, "For instructors"]  # sections without lessons are not listed
    links = at.get("page_link")
    assert len(links) == len(LESSONS)
    for link, lesson in zip(links, LESSONS):
        assert lesson.title in link.proto.label
    summaries = [m.value for m in at.markdown if "lesson-summary" in m.value]
    assert len(summaries) == len(LESSONS) and all(lesson.summary in text for lesson, text in zip(LESSONS, summaries))
    assert at.button(key="home_prepare").label == "Prepare for class"


def test_home_page_does_not_import_torch():
    # Run the router in a clean interpreter: rendering the home page must not pull in torch.
    import subprocess

    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('app.py', default_timeout=60).run()\n"
        "assert not at.exception, at.exception\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.url_path for lesson in LESSONS])
def test_every_lesson_page_renders_through_the_router(lesson):
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(lesson.path).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == lesson.title
