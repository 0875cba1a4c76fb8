"""The server's environment: extra variables reach the Streamlit process on top of the current environment."""

from __future__ import annotations

import subprocess

import pytest

from bench import serve


class _Started(Exception):
    pass


def _environment_of(server: serve.AppServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment `server.start()` hands to the process (which is not started)."""
    seen = {}

    def fake_popen(command, **options):
        seen.update(options)
        raise _Started

    monkeypatch.setattr(subprocess, "Popen", fake_popen)
    with pytest.raises(_Started):
        server.start()
    server.stop()
    return seen["env"]


def test_extra_environment_reaches_the_server_process(monkeypatch, tmp_path):
    monkeypatch.setenv("ZERO_TO_BRAINS_KEPT", "yes")
    env = _environment_of(serve.AppServer(env={"ZERO_TO_BRAINS_CACHE": str(tmp_path)}), monkeypatch)
    assert env["ZERO_TO_BRAINS_CACHE"] == str(tmp_path)
    assert env["ZERO_TO_BRAINS_KEPT"] == "yes"


def test_without_extra_environment_the_server_inherits_it(monkeypatch):
    monkeypatch.setenv("ZERO_TO_BRAINS_CACHE", "/somewhere")
    assert _environment_of(serve.AppServer(), monkeypatch)["ZERO_TO_BRAINS_CACHE"] == "/somewhere"
