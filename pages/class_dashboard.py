"""Instructor page: the class dashboard, behind the instructor passcode (listed only when one is set)."""

from __future__ import annotations

from ui.instructor import instructor_page
from ui.routing import route_through_app

route_through_app()
instructor_page()
