"""Lesson compute for activation maximisation: generator prior vs pixels, diversity, uploads and readings."""

from __future__ import annotations

import numpy as np
import pytest

from lessons.actmax import compute as am
from lessons.core import data
from lessons.core.nets import mnist_cnn
from lessons.optvis import generator
from lessons.optvis import render as R


def test_generator_prior_gives_digits_that_convince_a_second_network_and_look_real(digits):
    judge = am.second_opinion_reader()
    assert judge is not digits.module
    settings = R.Settings(size=28, steps=30, param="pixel", transforms=False)
    hits = {"generator": 0, "pixel": 0}
    distance: dict[str, list[float]] = {"generator": [], "pixel": []}
    for digit in range(10):
        unit = am.Unit("class", "fc", digit)
        for method in hits:
            result = am.run(digits, am.Request(unit, method, R.Settings(**{**settings.__dict__, "seed": digit})))
            hits[method] += int(am.digit_readings(judge, result.images).argmax() == digit)
            distance[method].append(am.nearest_real_digit(result.images[0])[1])
            assert am.digit_readings(digits.module, result.images).argmax() == digit  # both excite their class
    # Equal steps: the generator's digits are read correctly by an independently trained CNN more often, and they
    # lie far closer to the real digits (nearest-neighbour distance in pixels).
    assert hits["generator"] > hits["pixel"] and hits["generator"] >= 9, hits
    assert np.mean(distance["generator"]) < 0.5 * np.mean(distance["pixel"]), distance


def test_vae_reconstructs_digits_and_decodes_the_prior_into_digit_like_images():
    vae = am.digit_generator()
    assert vae is am.digit_generator()  # one shared copy
    assert not any(p.requires_grad for p in vae.parameters())
    images, _ = data.mnist_digits()
    import torch
    x = torch.as_tensor(images[:200].reshape(-1, 1, 28, 28) / 255.0, dtype=torch.float32)
    with torch.no_grad():
        recon = vae.decode(vae.mu(vae.encoder(x)))
    error = float(((recon - x) ** 2).mean())
    assert error < 0.04, error  # (a blank image would give ~0.1)
    samples = vae.decode(torch.randn(10, generator.LATENT, generator=torch.Generator().manual_seed(0)))
    assert samples.shape == (10, 1, 28, 28) and 0.0 <= float(samples.min()) and float(samples.max()) <= 1.0


def test_diversity_term_spreads_a_batch_apart(lite):
    unit = am.Unit("channel", "blocks.8", 5)
    settings = R.Settings(size=96, steps=32, lr=0.1, batch=3)
    same = am.run(lite, am.Request(unit, "fft", settings, diversity=0.0))
    spread = am.run(lite, am.Request(unit, "fft", settings, diversity=20.0))
    similar, diverse = (am.feature_similarity(lite, "blocks.8", r.images) for r in (same, spread))
    assert diverse < similar - 0.2, (similar, diverse)
    assert am.feature_similarity(lite, "blocks.8", same.images[:1]) == 1.0


def test_objectives_for_each_unit_kind(lite):
    x = np.random.default_rng(0).random((2, 64, 64, 3)).astype(np.float32)
    logits = np.log(am.class_probabilities(lite, x))
    seven, three = (R.score(lite, am.objective_for(lite, am.Unit("class", "fc", n)), x) for n in (7, 3))
    np.testing.assert_allclose(seven - three, logits[:, 7] - logits[:, 3], atol=1e-3)  # logits, before softmax
    np.testing.assert_allclose(am.class_probabilities(lite, x).sum(axis=1), 1.0, atol=1e-5)
    assert am.unit_count(lite, "class", "fc") == 1000 and am.unit_count(lite, "channel", "blocks.8") == 112
    assert am.diversity_layer(lite, am.Unit("class", "fc", 1)) == "head"
    with pytest.raises(ValueError):
        am.objective_for(lite, am.Unit("pixel", "fc", 0))
    with pytest.raises(ValueError):
        am.run(lite, am.Request(am.Unit("class", "fc", 0), "generator", R.Settings(size=32, steps=1)))


def test_uploads_become_what_each_model_sees(lite, digits):
    photo = data.load_photo("coffee")
    rgb = am.as_model_image(photo, lite, 128)
    assert rgb.shape == (128, 128, 3) and 0.0 <= rgb.min() and rgb.max() <= 1.0
    # A dark digit written on white paper is inverted to MNIST's white-on-black and read correctly.
    images, labels = data.mnist_digits()
    paper = np.repeat((255 - images[7])[:, :, None], 3, axis=2)
    paper = np.kron(paper, np.ones((4, 4, 1), dtype=np.uint8))  # a 112×112 "photo"
    seen = am.as_model_image(paper, digits, 28)
    assert seen.shape == (28, 28, 1) and seen[0, 0, 0] < 0.1
    assert am.digit_readings(digits.module, seen[None]).argmax() == labels[7]


def test_top_images_include_uploads_and_nearest_digit_finds_itself(digits):
    names, images = am.shipped_images(digits, 28)
    assert images.shape == (200, 28, 28, 1) and len(names) == 200
    unit = am.Unit("class", "fc", 4)
    top = am.top_images(digits, unit, names, images, k=3)
    assert [t[2] for t in top] == sorted((t[2] for t in top), reverse=True)
    assert all(name.startswith("digit 4") for name, _, _ in top)
    _index, distance, nearest = am.nearest_real_digit(images[17])
    assert distance == 0.0 and nearest.shape == (28, 28)
    assert mnist_cnn.predict_digits(digits.module, nearest).argmax() == int(names[17].split()[1])


def test_a_generator_run_reports_progress_and_its_digit_reading_matches_each_reader(digits):
    heard: list[tuple[float, str]] = []
    request = am.Request(am.Unit("class", "fc", 4), "generator", R.Settings(size=28, steps=3, param="pixel",
                                                                             transforms=False))
    result = am.run(digits, request, progress=lambda fraction, message: heard.append((fraction, message)))
    assert [round(f, 3) for f, _ in heard] == [0.333, 0.667, 1.0] and heard[0][1].startswith("step 1/3, objective")
    judge = am.second_opinion_reader()
    reading = am.read_digit(digits, judge, 4, result)
    judged = am.digit_readings(judge, result.images[:1])[0]
    _, distance, nearest = am.nearest_real_digit(result.images[0])
    assert reading.run.judge_digit == int(judged.argmax()) and reading.judge_confidence == pytest.approx(judged.max())
    assert reading.run.judge_probability == pytest.approx(judged[4])
    assert reading.run.own_probability == pytest.approx(am.class_probabilities(digits, result.images[:1])[0, 4])
    assert reading.run.score == pytest.approx(float(result.scores[0])) and reading.run.distance == distance
    np.testing.assert_array_equal(reading.nearest, nearest)
