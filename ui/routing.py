"""Keep every visit inside the app's router — also the very first visit to a lesson link after the server starts."""

from __future__ import annotations

import streamlit as st


def route_through_app() -> None:
    """Rerun through `app.py` when Streamlit started this page from its `pages/`-folder fallback.

    Until `st.navigation` has run once in a server process, Streamlit serves a direct lesson link by running the
    page file on its own: no course navigation (file names in the sidebar instead), no wide layout. This retires
    that fallback for the whole server and reruns once, so the first view already has the course navigation and the
    lesson's footer. (A test harness that restores the fallback before every run gets the same routed page.) Call
    it first thing on every page.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the fallback: nothing to do
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()
