"""The two install paths (pyproject for local use, requirements.txt for hosting) must agree."""

from __future__ import annotations

import ast
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


def test_the_server_skips_a_full_garbage_collection_after_every_run():
    """Every frame of an animation and every refresh of a waiting panel is a run; a full collection after each held
    the interpreter lock for a quarter of a busy server's time."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def first_drawing_statement(source: str) -> ast.stmt | None:
    """The first module-level statement that can run page code: not a docstring, import, def, class, or an
    assignment that does not touch `st`."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef):
            continue
        uses_streamlit = any(isinstance(n, ast.Name) and n.id == "st" for n in ast.walk(node))
        if isinstance(node, ast.Assign | ast.AnnAssign) and not uses_streamlit:
            continue
        return node
    return None


def is_route_call(node: ast.stmt | None) -> bool:
    """Whether a statement is `route_through_app()`."""
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name) and node.value.func.id == "route_through_app")


def test_every_lesson_page_routes_through_the_app() -> None:
    """Each lesson page calls `route_through_app()` before drawing anything (see ui/routing.py)."""
    from ui.navigation import LESSONS

    for lesson in LESSONS:
        first = first_drawing_statement((ROOT / lesson.path).read_text())
        assert is_route_call(first), f"{lesson.path} runs {ast.unparse(first) if first else 'nothing'} first"


def test_the_routing_check_sees_a_page_that_draws_first() -> None:
    drawn_first = 'import streamlit as st\nTITLE = "x"\nst.title(TITLE)\nroute_through_app()\n'
    routed = 'import streamlit as st\ndef main():\n    st.title("x")\nroute_through_app()\nmain()\n'
    assert not is_route_call(first_drawing_statement(drawn_first))
    assert is_route_call(first_drawing_statement(routed))
