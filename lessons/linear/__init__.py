"""Lesson package: linear."""
