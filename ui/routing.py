"""Keep every visit inside the app's router — also the very first visit to a lesson link after the server starts."""

from __future__ import annotations

import streamlit as st

ROUTED_KEY = "_app_router_ran"  # set by app.py on every run it routes


def mark_routed() -> None:
    """Record in the session that `app.py`'s router has run (call it from `app.py`)."""
    st.session_state[ROUTED_KEY] = True


def route_through_app() -> None:
    """Rerun through `app.py` when Streamlit started this page from its `pages/`-folder fallback.

    Until `st.navigation` has run once in a server process, Streamlit serves a direct lesson link by running the
    page file on its own: no course navigation (file names in the sidebar instead), no wide layout. This retires
    that fallback for the whole server and, if this session has never been through the router, reruns once so the
    first view already has the course navigation. Call it first thing on every page.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the fallback: nothing to do
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        if not st.session_state.get(ROUTED_KEY):
            st.rerun()
