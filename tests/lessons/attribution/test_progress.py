"""Attribution reports its progress stage by stage: which method, which step of how many, on a bar that only grows."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lessons.attribution import compute as attribution
from lessons.attribution import ranking
from lessons.core import data, preprocess, registry

SETTINGS = attribution.Settings(layer="conv2", noise_samples=16, ig_steps=32, baseline="black", window=4, stride=2)


class Heard:
    """A progress callback that keeps every (fraction, message) it hears."""

    def __init__(self) -> None:
        self.reports: list[tuple[float, str]] = []

    def __call__(self, fraction: float, message: str) -> None:
        self.reports.append((fraction, message))

    def counts(self, pattern: str) -> list[tuple[int, int]]:
        """The (i, n) of every message matching `pattern` (with groups for i and n), in order."""
        found = (re.search(pattern, message) for _, message in self.reports)
        return [(int(m.group(1)), int(m.group(2))) for m in found if m]

    def fractions_grow_to_one(self) -> bool:
        fractions = [f for f, _ in self.reports]
        return all(0.0 <= f <= 1.0 for f in fractions) and fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.fixture(scope="module")
def digit_input(digits) -> np.ndarray:
    return preprocess.prepare_batch([data.mnist_split()[2][0]], digits.spec)


def _step_by_step(counts: list[tuple[int, int]], total: int) -> None:
    """Counts of one stage: all out of `total`, rising, ending at `total`, in several reports (a moving bar)."""
    assert counts and {n for _, n in counts} == {total}, counts
    done = [i for i, _ in counts]
    assert done == sorted(done) and done[-1] == total and len(set(done)) >= 4, counts


def test_the_four_maps_report_each_method_step_by_step_and_match_the_silent_run(digits, digit_input):
    heard = Heard()
    reported = attribution.attribute_all(digits, digit_input, 7, SETTINGS, progress=heard)
    _step_by_step(heard.counts(r"SmoothGrad: sample (\d+) of (\d+)"), 16)
    _step_by_step(heard.counts(r"Integrated gradients: step (\d+) of (\d+)"), 32)
    patches = attribution.occlusion_patches(28, 4, 2)
    assert patches == 13 * 13
    _step_by_step(heard.counts(r"Occlusion: patch (\d+) of (\d+)"), patches)
    assert any(message == "Grad-CAM: layer conv2" for _, message in heard.reports)
    stages = [message.split(":")[0] for _, message in heard.reports]
    order = [stage for n, stage in enumerate(stages) if n == 0 or stage != stages[n - 1]]
    assert order == ["SmoothGrad", "Grad-CAM", "Integrated gradients", "Occlusion", "Attribution maps done"]
    assert heard.fractions_grow_to_one()
    silent = attribution.attribute_all(digits, digit_input, 7, SETTINGS)
    for loud, quiet in zip(reported, silent):  # smaller internal batches for a moving bar: the same maps
        np.testing.assert_allclose(loud.heatmap, quiet.heatmap, rtol=1e-4, atol=1e-6, err_msg=loud.method)


def test_occlusion_counts_the_patches_it_slides():
    assert attribution.occlusion_patches(224, 32, 32) == 7 * 7
    assert attribution.occlusion_patches(224, 32, 16) == 13 * 13
    assert attribution.occlusion_patches(28, 4, 9) == 7 * 7  # the stride is capped at the window


def test_deletion_curves_report_map_by_map(digits, digit_input):
    heard = Heard()
    maps = attribution.attribute_all(digits, digit_input, 7, attribution.Settings(layer="conv2", noise_samples=1,
                                                                                  ig_steps=4, window=7, stride=7))
    ranking.deletion_curves(digits, digit_input, 7, maps, progress=heard)
    counts = heard.counts(r"Deletion curve: .+ \((\d+) of (\d+)\)")
    assert counts == [(i, 5) for i in range(1, 6)]
    assert "Deletion curve: Grad-CAM (2 of 5)" in [m for _, m in heard.reports]
    assert heard.fractions_grow_to_one()


def test_sanity_maps_say_which_network_is_damaged(digits, digit_input):
    heard = Heard()
    small = attribution.Settings(layer="conv2", noise_samples=2, ig_steps=8, window=7, stride=7)
    redrawn = attribution.sanity_maps(digits, digit_input, 7, small, "random_classifier", progress=heard)
    last = digits.stages[-1].name
    assert all(m.startswith(f"Sanity check: randomising layer {last} · ") for _, m in heard.reports)
    assert any("Integrated gradients: step 8 of 8" in m for _, m in heard.reports)
    assert heard.fractions_grow_to_one()
    assert [r.method for r in redrawn] == list(attribution.METHODS)
    twin_heard = Heard()
    twin = registry.load_model("digit_cnn", "random", device_name="cpu")
    attribution.sanity_maps(twin, digit_input, 7, small, "random", progress=twin_heard)
    assert all(m.startswith("Sanity check: random-weights twin · ") for _, m in twin_heard.reports)
    with pytest.raises(ValueError, match="unknown sanity check"):
        attribution.sanity_maps(digits, digit_input, 7, small, "shuffled")
