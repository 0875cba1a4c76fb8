"""Lesson package: actmax."""
