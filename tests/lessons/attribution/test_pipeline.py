"""The attribution lesson's jobs: the same maps as the compute functions, both sanity twins on one bar, memory handed
back."""

from __future__ import annotations

import numpy as np
import pytest

from lessons.attribution import compute as attribution
from lessons.attribution import pipeline
from lessons.core import registry

SMALL = attribution.Settings(layer="conv2", noise_samples=2, ig_steps=4, window=7, stride=7)


@pytest.fixture(scope="module")
def digit_input(digits):
    from lessons.core import data, preprocess

    return preprocess.prepare_batch([data.mnist_split()[2][0]], digits.spec)


def test_four_maps_are_the_methods_maps(digits, digit_input):
    jobs = pipeline.four_maps(digits, digit_input, 7, SMALL)
    direct = attribution.attribute_all(digits, digit_input, 7, SMALL)
    assert [r.method for r in jobs] == list(attribution.METHODS)
    for mine, theirs in zip(jobs, direct):  # SmoothGrad's noise is seeded, so every map repeats
        np.testing.assert_allclose(mine.heatmap, theirs.heatmap, rtol=1e-5, atol=1e-6, err_msg=mine.method)


def test_sanity_runs_every_twin_on_one_bar(digits, digit_input):
    twin = registry.load_model("digit_cnn", "random", device_name="cpu")
    heard: list[tuple[float, str]] = []
    found = pipeline.sanity({"random_classifier": (digits, digit_input), "random": (twin, digit_input)}, 7, SMALL,
                            progress=lambda fraction, message: heard.append((fraction, message)))
    assert list(found) == ["random_classifier", "random"]
    assert all([r.method for r in maps] == list(attribution.METHODS) for maps in found.values())
    fractions = [fraction for fraction, _ in heard]
    assert fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] == pytest.approx(1.0)
    first_twin = [m for f, m in heard if f < 0.5]
    second_twin = [m for f, m in heard if f > 0.5]
    assert first_twin and all("randomising layer" in m for m in first_twin)
    assert second_twin and all("random-weights twin" in m for m in second_twin)
    trained = attribution.attribute_all(digits, digit_input, 7, SMALL)
    assert not np.allclose(found["random"][2].heatmap, trained[2].heatmap)


def test_deletion_job_ends_with_the_random_reference(digits, digit_input):
    maps = pipeline.four_maps(digits, digit_input, 7, SMALL)
    curves = pipeline.deletion(digits, digit_input, 7, maps, "black")
    assert [c.title for c in curves] == [attribution.METHOD_TITLES[m] for m in attribution.METHODS] + [
        attribution.RANDOM_MAP_TITLE]
