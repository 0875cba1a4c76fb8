"""The two install paths (pyproject for local use, requirements.txt for hosting) must agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _names_and_pins(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        name = re.split(r"[<>=!~\[ ]", line, maxsplit=1)[0].lower()
        found[name] = line[len(name):].strip()
    return found


def test_requirements_match_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    from_pyproject = _names_and_pins(project["dependencies"])
    from_requirements = _names_and_pins((ROOT / "requirements.txt").read_text().splitlines())
    assert from_requirements == from_pyproject


def test_torch_and_torchvision_are_pinned_as_a_pair():
    deps = _names_and_pins(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    assert deps["torch"] == "==2.13.0" and deps["torchvision"] == "==0.28.0"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make run" in readme
    assert ci.strip().splitlines()[-1] == "make test"


def test_upload_limit_matches_the_server_setting():
    from lessons.core.uploads import MAX_UPLOAD_BYTES

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 2**20 == MAX_UPLOAD_BYTES


def test_every_lesson_page_routes_through_the_app() -> None:
    """Each lesson page calls `route_through_app()` before drawing anything (see ui/routing.py)."""
    from ui.navigation import LESSONS

    for lesson in LESSONS:
        source = (ROOT / lesson.path).read_text()
        call = source.find("\nroute_through_app()")
        assert call != -1, f"{lesson.path} does not call route_through_app()"
        assert "st." not in source[:call].split('"""', 2)[-1], f"{lesson.path} draws before route_through_app()"
