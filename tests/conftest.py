"""Shared test settings: a private cache folder so tests never depend on (or pollute) a user's cache; a held
heavy-work pool."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import pytest

_CACHE = Path(tempfile.mkdtemp(prefix="zero-to-brains-test-cache-"))
os.environ.setdefault("ZERO_TO_BRAINS_CACHE", str(_CACHE))
# Pages under test run as in the server (app.py sets the same before torch loads): OpenMP threads sleep while they wait.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@pytest.fixture
def held_pool(monkeypatch):
    """The shared heavy-work pool replaced by a one-worker pool that another student's slow job holds until the
    test ends (or sets the returned event)."""
    from lessons.core import jobs

    pool = jobs.JobPool(1)
    monkeypatch.setattr(jobs, "_SHARED", pool)
    started, release = threading.Event(), threading.Event()

    def hold(report: jobs.Report) -> str:
        started.set()
        while not release.wait(0.01):
            report(0.5, "holding the worker")
        return "held"

    holder = pool.submit("someone else's atlas", hold, "Building an atlas", owner="another student")
    assert started.wait(10)
    yield pool, release
    release.set()
    holder.wait(10)


def pytest_sessionfinish(session, exitstatus) -> None:
    """Stop the heavy-work pool's jobs before the interpreter exits: a worker thread still inside torch at exit
    aborts the process, and the run's exit status with it."""
    from lessons.core import jobs

    jobs.stop_shared_pool(timeout=120)
