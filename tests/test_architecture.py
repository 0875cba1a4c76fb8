"""The layers hold: lessons never import Streamlit or the app, core imports no lesson, pages import no page."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
#: Lesson packages other lesson packages may build on (the feature-visualisation library).
SHARED_LESSON_LIBRARIES = {"optvis"}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports (absolute names; `from x import y` also yields `x.y`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def python_files(folder: Path) -> list[Path]:
    """The project's Python files under `folder`."""
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def lesson_package(module: str) -> str | None:
    """`lessons.atlas.compute` → "atlas"; None for modules outside `lessons`."""
    parts = module.split(".")
    return parts[1] if parts[0] == "lessons" and len(parts) > 1 else None


@pytest.mark.parametrize("path", python_files(LESSONS), ids=lambda p: str(p.relative_to(ROOT)))
def test_lessons_import_no_streamlit_ui_or_pages(path: Path) -> None:
    banned = {m for m in imported_modules(path) if m.split(".")[0] in {"streamlit", "ui", "pages", "app"}}
    assert not banned, f"{path.relative_to(ROOT)} imports {sorted(banned)}"


@pytest.mark.parametrize("path", python_files(LESSONS / "core"), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_imports_no_lesson(path: Path) -> None:
    lessons = {m for m in imported_modules(path) if lesson_package(m) not in (None, "core")}
    assert not lessons, f"{path.relative_to(ROOT)} imports lesson modules {sorted(lessons)}"


@pytest.mark.parametrize("path", [p for p in python_files(LESSONS) if p.parent.name not in {"lessons", "core", "nets"}],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_a_lesson_package_builds_only_on_core_and_shared_libraries(path: Path) -> None:
    own = path.relative_to(LESSONS).parts[0]
    allowed = {"core", own} | SHARED_LESSON_LIBRARIES
    others = {m for m in imported_modules(path) if lesson_package(m) not in (None, *allowed)}
    assert not others, f"{path.relative_to(ROOT)} imports another lesson: {sorted(others)}"


@pytest.mark.parametrize("path", python_files(ROOT / "pages"), ids=lambda p: p.name)
def test_no_page_imports_another_page(path: Path) -> None:
    pages = {m for m in imported_modules(path) if m.split(".")[0] == "pages"}
    assert not pages, f"{path.name} imports {sorted(pages)}"


def is_module(name: str) -> bool:
    """Whether `name` is an importable module (not a function or class imported from one)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, AttributeError):
        return False


def project_modules_imported_by(path: Path) -> list[str]:
    """The project's own modules (ui, lessons) that a file imports at its top level (not inside functions)."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    names = {alias.name for node in body if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in body if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    return sorted(m for m in names if m.split(".")[0] in {"ui", "lessons"} and is_module(m))


def modules_loaded_by_importing(modules: list[str]) -> set[str]:
    """Every top-level package in `sys.modules` after a fresh interpreter imports `modules`."""
    code = "import sys; " + "; ".join(f"import {m}" for m in modules) + "; print(' '.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return {name.split(".")[0] for name in done.stdout.split()}


def test_the_home_page_and_router_load_no_torch() -> None:
    for name in ("app.py", "ui/navigation.py", "ui/routing.py"):
        assert not {m for m in imported_modules(ROOT / name) if m.split(".")[0] == "torch"}, name
    # and nothing they import loads it on their behalf (the home page opens before any lesson's libraries load)
    modules = project_modules_imported_by(ROOT / "app.py")
    assert modules, "app.py imports none of the project's modules: the check below would check nothing"
    assert "torch" not in modules_loaded_by_importing(modules), modules


def test_the_torch_check_sees_a_module_that_loads_torch() -> None:
    assert "torch" in modules_loaded_by_importing(["lessons.core.runtime"])


def test_the_checks_see_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import streamlit as st\nfrom lessons.atlas import compute\nfrom pages import convolution\n")
    assert {"streamlit", "lessons.atlas", "lessons.atlas.compute", "pages", "pages.convolution"} <= imported_modules(bad)
    assert lesson_package("lessons.atlas.compute") == "atlas" and lesson_package("ui.state") is None


def cached_functions_taking_progress(path: Path) -> list[str]:
    """Functions decorated with `st.cache_data` / `st.cache_resource` that take a progress callback."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef):
            continue
        cached = any("cache_data" in ast.unparse(d) or "cache_resource" in ast.unparse(d) for d in node.decorator_list)
        arguments = [a.arg for a in (*node.args.args, *node.args.kwonlyargs)]
        if cached and any("progress" in name or name.startswith("_report") for name in arguments):
            found.append(node.name)
    return found


@pytest.mark.parametrize("path", [*python_files(ROOT / "pages"), *python_files(ROOT / "ui")],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_progress_is_reported_from_inside_a_streamlit_cache(path: Path) -> None:
    """Streamlit cannot replay bar updates made inside a cached call: such work runs outside, into a result store."""
    assert not cached_functions_taking_progress(path), f"{path.name}: {cached_functions_taking_progress(path)}"


def test_the_progress_check_sees_a_cached_function_with_a_callback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import streamlit as st\n@st.cache_resource(show_spinner=False)\n"
                   "def model(key, _progress=None):\n    return key\n")
    assert cached_functions_taking_progress(bad) == ["model"]
