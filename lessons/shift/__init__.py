"""Lesson package: shift."""
