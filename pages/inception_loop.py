"""Lesson page: What does a mouse neuron want to see? (being written)"""

from __future__ import annotations

import streamlit as st

from ui.navigation import lesson_by_path
from ui.routing import route_through_app
from ui.settings.inception_loop import STATE

route_through_app()
STATE.start()
LESSON = lesson_by_path("pages/inception_loop.py")
st.title(LESSON.title)
STATE.write_url()
