"""Widget state kept in `st.session_state` under explicit keys and mirrored to the URL so a view can be shared."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st


def init_from_url(key: str, options: Sequence[str], default: str) -> None:
    """On a session's first run, seed `st.session_state[key]` from the URL when valid, else from `default`."""
    if key in st.session_state:
        if st.session_state[key] not in options:
            st.session_state[key] = default
        return
    from_url = st.query_params.get(key)
    st.session_state[key] = from_url if from_url in options else default


def mirror_to_url(*keys: str) -> None:
    """Write the current values of these session keys into the URL's query string."""
    for key in keys:
        value = st.session_state.get(key)
        if value is not None and st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


def init_number_from_url(key: str, default: float, low: float, high: float, *, integer: bool = False) -> None:
    """On a session's first run, seed a numeric `st.session_state[key]` from the URL when it parses and lies in
    [low, high], else from `default`. Integers stay `int` so sliders keep their type."""
    cast = int if integer else float
    if key in st.session_state:
        return
    raw = st.query_params.get(key)
    value = cast(default)
    if raw is not None:
        try:
            parsed = float(raw)
        except ValueError:
            parsed = float("nan")
        if low <= parsed <= high and (not integer or parsed.is_integer()):
            value = cast(parsed)
    st.session_state[key] = value


def forget_when_changed(marker: str, value: str, *keys: str) -> None:
    """When `value` differs from the one seen on the last run (kept under `marker`), drop `keys` from the session
    and the URL, so widgets that depend on it (a network's layer) start again from their defaults."""
    if st.session_state.get(marker) not in (None, value):
        for key in keys:
            st.session_state.pop(key, None)
            st.query_params.pop(key, None)
    st.session_state[marker] = value
