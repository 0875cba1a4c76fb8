"""The attribution benchmark's helpers: the page's worker thread, and the page's default settings."""

from __future__ import annotations

import threading

import pytest

from bench import attribution as bench
from lessons.core import registry
from ui.settings.attribution import STATE


def test_work_runs_in_another_thread_and_its_errors_come_back():
    assert bench.in_worker_thread(lambda: threading.current_thread().name) == "page-script"
    assert bench.in_worker_thread(lambda: threading.current_thread()) is not threading.main_thread()

    def fails() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        bench.in_worker_thread(fails)


def test_the_default_view_uses_the_pages_default_settings():
    loaded = registry.load_model("digit_cnn", "pretrained", device_name="cpu")
    settings = bench.page_settings(loaded)
    assert settings.ig_steps == STATE["attr_ig_steps"].default
    assert settings.noise_samples == STATE["attr_noise_samples"].default
    assert settings.baseline == STATE["attr_baseline"].default
    assert settings.window == settings.stride == loaded.spec.input_size // 7
    assert settings.layer in loaded.spatial_layers
