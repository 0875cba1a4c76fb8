"""The server's garbage collection: after a long page run (also one ended by a rerun), never after a quick one."""

from __future__ import annotations

import gc
import time

import pytest

from ui import garbage


class Cycle:
    """An object that refers to itself: only a garbage collection frees it."""

    def __init__(self) -> None:
        self.me = self


def _cycles_left(marker: type) -> int:
    return sum(isinstance(obj, marker) for obj in gc.get_objects())


@pytest.fixture
def no_automatic_collection():
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def test_a_long_run_is_followed_by_a_collection(no_automatic_collection):
    with garbage.collected_if_long(threshold_s=0.05):
        Cycle()
        time.sleep(0.06)
    assert _cycles_left(Cycle) == 0


def test_a_quick_run_leaves_the_garbage_for_later(no_automatic_collection):
    with garbage.collected_if_long(threshold_s=60.0):
        Cycle()
    assert _cycles_left(Cycle) == 1
    gc.collect()


def test_a_long_run_ended_by_a_rerun_is_collected_too(no_automatic_collection):
    class Rerun(Exception):
        pass

    with pytest.raises(Rerun), garbage.collected_if_long(threshold_s=0.05):
        Cycle()
        time.sleep(0.06)
        raise Rerun
    assert _cycles_left(Cycle) == 0
