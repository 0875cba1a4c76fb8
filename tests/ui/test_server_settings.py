"""The server's settings are read one way: the environment first, then the secrets file; an unreadable secrets file is
named, a missing one is not, and the course, the class database and the instructor passcode all read through it."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from lessons.core.store.location import DATABASE_ENV
from ui import classroom, instructor, server_settings
from ui.server_settings import ServerSetting, server_setting

ENV = "ZERO_TO_BRAINS_TEST_SETTING"


def _secrets(monkeypatch: pytest.MonkeyPatch, values: dict[str, str] | None) -> None:
    """st.secrets answering from `values`, or failing as Streamlit does for an unparsable file (None)."""
    def get(_: object, name: str, default: object = None) -> object:
        if values is None:
            raise StreamlitSecretNotFoundError("Error parsing secrets file: Invalid value (at line 2, column 3)")
        return values.get(name, default)

    monkeypatch.setattr(type(st.secrets), "get", get)


def test_the_environment_comes_first_then_the_secrets_file(monkeypatch: pytest.MonkeyPatch) -> None:
    _secrets(monkeypatch, {"setting": "  from secrets "})
    monkeypatch.setenv(ENV, " from the environment ")
    assert server_setting(ENV, "setting") == ServerSetting("from the environment")
    monkeypatch.setenv(ENV, "   ")  # blank counts as unset
    assert server_setting(ENV, "setting") == ServerSetting("from secrets")
    assert server_setting(ENV, "another") == ServerSetting("")


def test_an_unreadable_secrets_file_is_named_and_a_missing_one_is_not(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    monkeypatch.delenv(ENV, raising=False)
    _secrets(monkeypatch, None)
    secrets = tmp_path / "secrets.toml"
    monkeypatch.setattr(server_settings, "SECRETS_FILES", (secrets,))
    assert server_setting(ENV, "setting") == ServerSetting("")
    secrets.write_text("a =\n")
    found = server_setting(ENV, "setting")
    assert found.value == "" and str(secrets) in found.problem and "line 2, column 3" in found.problem


def test_the_database_and_the_passcode_read_through_it(monkeypatch: pytest.MonkeyPatch) -> None:
    _secrets(monkeypatch, {classroom.DATABASE_SECRET: "sqlite:///from-secrets.sqlite3",
                           instructor.PASSCODE_SECRET: "open sesame"})
    monkeypatch.delenv(DATABASE_ENV, raising=False)
    monkeypatch.delenv(instructor.PASSCODE_ENV, raising=False)
    assert classroom.database_url() == "sqlite:///from-secrets.sqlite3"
    assert instructor.instructor_passcode() == "open sesame"
    monkeypatch.setenv(DATABASE_ENV, "sqlite:///from-env.sqlite3")
    monkeypatch.setenv(instructor.PASSCODE_ENV, "from env")
    assert classroom.database_url() == "sqlite:///from-env.sqlite3" and instructor.instructor_passcode() == "from env"
    _secrets(monkeypatch, {})
    monkeypatch.delenv(DATABASE_ENV)
    monkeypatch.delenv(instructor.PASSCODE_ENV)
    assert classroom.database_url() == classroom.default_url() and instructor.instructor_passcode() == ""
