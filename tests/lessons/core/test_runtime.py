"""The runtime's start-up settings: OpenMP's wait policy and torch's threads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lessons.core import runtime

_PRINT_POLICY = "from lessons.core import runtime; print(runtime.openmp_wait_policy(), os.environ.get('OMP_WAIT_POLICY', 'unset'))"


def _policy_in_fresh_process(env_policy: str | None, import_torch_first: bool = False) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if env_policy:
        env["OMP_WAIT_POLICY"] = env_policy
    code = ("import os; " + ("import torch; " if import_torch_first else "") + _PRINT_POLICY)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_scripts_and_notebooks_keep_openmps_default():
    assert _policy_in_fresh_process(None) == ["default", "unset"]


def test_the_server_sets_the_server_wait_policy_before_torch_loads():
    app = (Path(__file__).parents[3] / "app.py").read_text()
    assert f'os.environ.setdefault("OMP_WAIT_POLICY", "{runtime.SERVER_WAIT_POLICY}")' in app
    assert app.index("OMP_WAIT_POLICY") < app.index("import streamlit")
    makefile = (Path(__file__).parents[3] / "Makefile").read_text()
    assert f"OMP_WAIT_POLICY ?= {runtime.SERVER_WAIT_POLICY}" in makefile


def test_a_wait_policy_set_by_the_launcher_is_kept():
    assert _policy_in_fresh_process("ACTIVE") == ["ACTIVE", "ACTIVE"]


def test_wait_policy_reports_openmps_default_when_torch_came_first():
    assert _policy_in_fresh_process(None, import_torch_first=True) == ["default", "unset"]


def test_configure_threads_uses_every_usable_core_by_default():
    assert runtime.configure_threads() == runtime.usable_cores()
