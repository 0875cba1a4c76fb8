"""Lesson package: cnn."""
