"""Lesson package: attribution."""
