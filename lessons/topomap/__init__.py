"""Lesson package: topomap."""
