"""Lesson package: cortex."""
