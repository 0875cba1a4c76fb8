"""glibc's allocator: tuned once, left alone where the environment or the C library says so, and trimmed after work."""

from __future__ import annotations

import platform

import pytest

from lessons.core import memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_allocator_is_tuned_once_on_glibc():
    assert memory.tune_allocator() is True
    assert memory.tune_allocator() is True  # cached: a second call changes nothing
    assert memory.tune_allocator.cache_info().misses == 1


def test_allocator_settings_from_the_environment_are_left_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert memory.tune_allocator.__wrapped__() is False


def test_allocator_is_left_alone_off_glibc(monkeypatch):
    monkeypatch.setattr(platform, "libc_ver", lambda: ("", ""))
    assert memory.tune_allocator.__wrapped__() is False


def test_freed_memory_goes_back_where_glibc_allows_it():
    released = memory.release_freed_memory()
    assert isinstance(released, bool)
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert released
