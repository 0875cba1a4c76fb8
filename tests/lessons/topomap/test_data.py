"""Where topographic maps get their activations: balanced digits, stage-by-stage forward, photo crops, profiles."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lessons.core import data, registry
from lessons.core.nets import mnist_mlp
from lessons.topomap import data as sources
from lessons.topomap import pipeline as topomap_pipeline


def test_balanced_indices_take_the_same_number_of_every_class():
    labels = np.repeat(np.arange(4), [5, 9, 3, 7])
    chosen = sources.balanced_indices(labels, 4, seed=1)
    assert np.all(np.diff(chosen) > 0)
    np.testing.assert_array_equal(np.bincount(labels[chosen]), [4, 4, 3, 4])
    np.testing.assert_array_equal(chosen, sources.balanced_indices(labels, 4, seed=1))


def test_run_until_returns_the_named_stage_and_the_final_output():
    model = mnist_mlp.random_digit_mlp(0)
    x = torch.randn(3, 1, 28, 28)
    hidden, out = sources.run_until(model.layers, x, "relu1")
    assert hidden.shape == (3, 128) and (hidden >= 0).all()
    with torch.no_grad():
        torch.testing.assert_close(out, model(x))
        torch.testing.assert_close(hidden, torch.relu(model.layers.fc1(x.flatten(1))))
    with pytest.raises(KeyError, match="no layer 'conv9'"):
        sources.run_until(model.layers, x, "conv9")


def test_digit_activations_of_the_mlp_are_balanced_held_out_digits():
    model = mnist_mlp.random_digit_mlp(1)
    source = sources.digit_activations(model, "relu1", per_class=20)
    assert source.activations.shape == (200, 128) and source.activations.dtype == np.float32
    np.testing.assert_array_equal(np.bincount(source.labels), [20] * 10)
    assert source.images.shape == (200, 28, 28) and source.has_truth and source.units == 128
    _, _, x_test, _ = data.mnist_split()
    assert any((x_test == source.images[0]).all(axis=(1, 2)))  # really held-out digits
    assert source.correct.dtype == bool and source.correct.mean() < 0.5  # an untrained MLP is mostly wrong


def test_profiles_class_means_and_raw_conv_profiles():
    rng = np.random.default_rng(0)
    acts = rng.normal(size=(6, 3, 2, 2)).astype(np.float32)
    source = sources.UnitActivations(acts, np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 1, 1, 2, 0]),
                                     ("a", "b", "c"), np.zeros((6, 4, 4), np.uint8), has_truth=True)
    means = sources.unit_profiles(source)
    assert means.shape == (3, 3)
    np.testing.assert_allclose(means.sum(axis=1), 0, atol=1e-5)  # the mean over classes is subtracted
    raw = sources.unit_profiles(source, "raw")
    assert raw.shape == (3, 6 * 4)
    np.testing.assert_allclose(raw[1], acts[:, 1].reshape(-1))
    correct = sources.unit_profiles(source, "class_means", correct_only=True)
    pooled = acts.mean(axis=(2, 3))
    expected_b = pooled[[2, 3]].mean(axis=0)
    expected = np.stack([pooled[0], expected_b, pooled[4]], axis=1)
    np.testing.assert_allclose(correct, expected - expected.mean(axis=1, keepdims=True), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="unknown profile mode"):
        sources.unit_profiles(source, "medians")


def test_photo_activations_label_crops_by_photo_and_leave_the_shared_model_untouched():
    loaded = registry.load_model("efficientnet_lite0")
    before = {k: v.clone() for k, v in loaded.module.state_dict().items()}
    source = sources.photo_activations(loaded, "blocks.11", per_photo=2)
    n_photos = len(data.photo_keys())
    assert source.activations.shape == (2 * n_photos, 192, 7, 7)
    np.testing.assert_array_equal(np.bincount(source.labels), [2] * n_photos)
    assert len(source.class_names) == n_photos and not source.has_truth and source.correct.all()
    assert source.predictions.min() >= 0 and source.predictions.max() < 1000
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in loaded.module.modules())
    assert not loaded.module.training
    for k, v in loaded.module.state_dict().items():
        assert torch.equal(v, before[k]), k
    maps = topomap_pipeline.build(sources.unit_profiles(source), "pca")
    assert maps.maps.shape == (n_photos, 100, 100) and maps.coords.shape == (192, 2)


def test_concurrent_sessions_on_the_shared_digit_cnn_get_the_serial_answer():
    from concurrent.futures import ThreadPoolExecutor

    loaded = registry.load_model("digit_cnn")
    serial = {layer: sources.digit_activations(loaded.module, layer, per_class=30).activations
              for layer in ("relu1", "relu2")}
    jobs = ["relu1", "relu2"] * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda layer: sources.digit_activations(loaded.module, layer, per_class=30), jobs))
    for layer, result in zip(jobs, results):
        np.testing.assert_array_equal(result.activations, serial[layer])
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in loaded.module.modules())
    assert not loaded.module.training and not any(p.requires_grad for p in loaded.module.parameters())


def test_layers_for_each_network_and_the_one_shown_first():
    assert sources.layers_for("digit_mlp") == (["relu1"], "relu1")
    assert sources.layers_for("digit_cnn") == (["relu1", "relu2"], "relu2")
    layers, first = sources.layers_for("efficientnet_lite0")
    assert layers == list(sources.PHOTO_LAYERS) and first == "blocks.15" and first in layers
    assert sources.layer_note("digit_cnn", "relu2") == "16 channels after the second"
    assert sources.layer_note("efficientnet_lite0", "blocks.3") == "a block output"


def test_display_names_prefix_digits_and_keep_photo_captions():
    acts, labels = np.zeros((2, 3), np.float32), np.array([0, 1])
    digits = sources.UnitActivations(acts, labels, labels, ("0", "1"), np.zeros((2, 28, 28), np.uint8), True)
    photos = sources.UnitActivations(acts, labels, labels, ("Coffee", "Rocket"), np.zeros((2, 8, 8, 3), np.uint8),
                                     False)
    assert sources.display_names(digits) == ("digit 0", "digit 1")
    assert sources.display_names(photos) == ("Coffee", "Rocket")
