"""The server's own settings (the course file, the class database, the instructor passcode), read one way: an
environment variable first, then a name in `.streamlit/secrets.toml`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

#: Where Streamlit looks for secrets (the project's folder, then the user's).
SECRETS_FILES = (Path(".streamlit") / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml")


@dataclass(frozen=True)
class ServerSetting:
    """A setting's value ("" when it is not set) and, when a secrets file exists but cannot be read, why not."""

    value: str
    problem: str | None = None


def server_setting(env: str, secret: str) -> ServerSetting:
    """The setting from the environment variable `env`, else `secret` in the secrets file (stripped of spaces)."""
    value = os.environ.get(env, "").strip()
    if value:
        return ServerSetting(value)
    try:
        found = st.secrets.get(secret)
    except FileNotFoundError as error:  # Streamlit's error for a missing secrets file and for one it cannot parse
        present = [str(p) for p in SECRETS_FILES if p.is_file()]
        return ServerSetting("", f"The secrets file {present[0]} cannot be read ({error})" if present else None)
    return ServerSetting(str(found).strip() if found else "")
