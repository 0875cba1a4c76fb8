"""Capture from a page's worker thread: same numbers as the main thread, at the batch size the app picks."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from lessons.core import capture, registry


@pytest.fixture(scope="module")
def lite() -> registry.LoadedModel:
    return registry.load_model("efficientnet_lite0", "pretrained", device_name="cpu")


def test_capture_in_fresh_threads_matches_the_main_thread(lite):
    x = torch.rand(3, 3, 96, 96, generator=torch.Generator().manual_seed(1))
    expected = capture.capture(lite, x, ["blocks.3", "pool"])
    results: list[dict[str, np.ndarray]] = []
    threads = [threading.Thread(target=lambda: results.append(capture.capture(lite, x, ["blocks.3", "pool"])))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2
    for got in results:
        for name, value in expected.items():
            np.testing.assert_allclose(got[name], value, rtol=1e-5, atol=1e-6)


def test_cpu_batch_size_for_full_size_images_is_the_measured_best(lite):
    assert capture.batch_size_for(lite, ["pool"]) == 4


def test_smaller_inputs_get_larger_cpu_batches(lite):
    full = capture.batch_size_for(lite, ["pool"])
    small = capture.batch_size_for(lite, ["pool"], pixels=112 * 112)
    assert full < small <= 256


def test_logits_in_batches_equal_one_pass(lite):
    x = torch.rand(5, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    np.testing.assert_allclose(capture.logits(lite, x, batch_size=2), capture.logits(lite, x, batch_size=5),
                               rtol=1e-4, atol=1e-5)
