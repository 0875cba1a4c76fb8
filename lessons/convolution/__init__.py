"""Lesson package: convolution."""
