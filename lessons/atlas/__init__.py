"""Lesson package: atlas."""
