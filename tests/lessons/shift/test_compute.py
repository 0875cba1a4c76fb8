"""Unit tests of lessons/data_shift.py: accuracy metrics, controlled shifts, the generalization gap, augmentation."""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest
import torch

from lessons.core import data
from lessons.core.compat import import_torchvision
from lessons.core.nets import mnist_cnn
from lessons.shift import compute as data_shift


@pytest.fixture(scope="module")
def held_out() -> tuple[np.ndarray, np.ndarray]:
    _, _, x_test, y_test = data.mnist_split()
    return x_test, y_test


@pytest.fixture(scope="module")
def rotation_sweeps(digits, held_out):
    x, y = held_out
    return data_shift.sweep(digits.module, x, y, "rotation", (0.0, 90.0), dev=digits.device)


def test_top_k_accuracy_equals_a_brute_force_count():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(300, 10))
    labels = rng.integers(0, 10, size=300)
    for k in (1, 2, 5, 10):
        brute = 0
        for row, label in zip(scores, labels):
            beaten_by = sum(1 for value in row if value > row[label])
            brute += beaten_by < k
        assert data_shift.top_k_accuracy(scores, labels, k) == pytest.approx(brute / len(labels))
    assert data_shift.top_k_accuracy(scores, labels, 10) == 1.0


def test_confusion_matrix_and_per_class_accuracy():
    labels = np.array([0, 0, 1, 1, 1, 2])
    preds = np.array([0, 1, 1, 1, 0, 2])
    matrix = data_shift.confusion_matrix(labels, preds, 4)
    assert matrix.tolist() == [[1, 1, 0, 0], [1, 2, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    np.testing.assert_allclose(data_shift.per_class_accuracy(matrix), [0.5, 2 / 3, 1.0, 0.0])


def test_summary_and_sample_grid_of_the_shipped_digits():
    images, labels = data.mnist_digits()
    summary = data_shift.summarize("mnist", images, labels)
    assert summary.count == 5000 and summary.shape == (28, 28) and summary.value_range == (0.0, 255.0)
    assert summary.class_counts.tolist() == [500] * 10
    assert summary.mean / 255 == pytest.approx(mnist_cnn.MEAN[0], abs=0.01)  # the normalisation constant
    order = data_shift.sample_indices(labels, 3, seed=0)
    assert labels[order].tolist() == sorted([d for d in range(10) for _ in range(3)])
    small = data_shift.summarize("sklearn", *data.small_digits())
    assert small.count == 1797 and small.shape == (8, 8) and small.value_range == (0.0, 16.0)


def test_dataloader_batch_shape_and_normalisation():
    x, y, _, _ = data.mnist_split()
    inputs, targets = data_shift.first_batch(x, y, batch_size=16, seed=0)
    assert tuple(inputs.shape) == (16, 1, 28, 28) and inputs.dtype == torch.float32
    assert tuple(targets.shape) == (16,)
    assert float(inputs.min()) == pytest.approx(-mnist_cnn.MEAN[0] / mnist_cnn.STD[0], abs=1e-5)


def test_shifts_at_zero_change_nothing_and_rotation_is_exact(held_out):
    x = data_shift.unit_images(held_out[0][:20], "cpu")
    for kind in data_shift.SHIFTS:
        assert torch.equal(data_shift.apply_shift(x, kind, 0.0), x), kind
        moved = data_shift.apply_shift(x, kind, data_shift.SHIFTS[kind].amounts[-1])
        assert moved.shape == x.shape and float((moved - x).abs().mean()) > 0.01, kind
        assert float(moved.min()) >= 0 and float(moved.max()) <= 1 + 1e-6, kind
    np.testing.assert_allclose(data_shift.rotate(x, 90.0)[0, 0].numpy(), np.rot90(x[0, 0].numpy()), atol=1e-5)
    np.testing.assert_allclose(data_shift.rotate(x, 360.0).numpy(), x.numpy(), atol=1e-4)


def test_batched_sweep_equals_the_per_image_loop(digits, held_out):
    x, y = held_out[0][:16], held_out[1][:16]
    for kind in ("rotation", "background"):
        amounts = (0.0, data_shift.SHIFTS[kind].amounts[3])
        fast = data_shift.sweep(digits.module, x, y, kind, amounts, dev=digits.device)
        slow = data_shift.sweep_per_image(digits.module, x, y, kind, amounts, dev=digits.device)
        np.testing.assert_array_equal(fast.predictions, slow.predictions)
        np.testing.assert_allclose(fast.top5, slow.top5)


def test_sweep_reports_each_amount_as_a_named_stage(digits, held_out):
    reports: list[tuple[float, str]] = []
    x, y = held_out[0][:8], held_out[1][:8]
    data_shift.sweep(digits.module, x, y, "blur", (0.0, 1.5, 3.0), dev=digits.device,
                     progress=lambda f, m: reports.append((f, m)))
    assert [m for _, m in reports[:3]] == ["Blur: 0 Gaussian sigma (pixels) (1 of 3)",
                                           "Blur: 1.5 Gaussian sigma (pixels) (2 of 3)",
                                           "Blur: 3 Gaussian sigma (pixels) (3 of 3)"]
    fractions = [f for f, _ in reports]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0


def test_clean_accuracy_and_the_rotation_gap(digits, held_out, rotation_sweeps):
    x, y = held_out
    probs = mnist_cnn.predict_digits(digits.module.cpu() if digits.device.type == "cpu" else digits.module, x)
    clean = data_shift.top_k_accuracy(probs, y, 1)
    assert clean >= 0.95
    assert rotation_sweeps.top1[0] == pytest.approx(clean)  # the sweep at 0° is the clean test set
    assert rotation_sweeps.top5[0] >= rotation_sweeps.top1[0]
    assert rotation_sweeps.top1[1] < clean - 0.5  # at 90° the digits are mostly misread
    broken = data_shift.failures(rotation_sweeps, y, 1, limit=5)
    assert len(broken) == 5
    assert all(rotation_sweeps.predictions[0][i] == y[i] != rotation_sweeps.predictions[1][i] for i in broken)


def test_augmentation_with_rotations_raises_rotated_accuracy(held_out, rotation_sweeps):
    x, y = held_out
    result = data_shift.train_augmented(180.0, epochs=2)
    augmented = data_shift.sweep(result.model, x, y, "rotation", (0.0, 90.0), dev="cpu")
    assert augmented.top1[1] > rotation_sweeps.top1[1] + 0.2
    _default_model, meta = mnist_cnn.load_or_train()
    assert meta["epochs"] == mnist_cnn.DEFAULT_EPOCHS  # the cached default model is untouched by augmentation


def test_texture_backgrounds_come_from_the_shipped_photos():
    patches = data_shift.texture_patches(6, seed=3)
    assert patches.shape == (6, 1, 28, 28) and 0 <= float(patches.min()) < float(patches.max()) <= 1
    assert torch.equal(patches, data_shift.texture_patches(6, seed=3))


def test_fashion_mnist_is_optional(tmp_path):
    assert data_shift.fashion_mnist([tmp_path]) is None
    import gzip
    import struct

    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "wb") as handle:
        handle.write(struct.pack(">HBBIII", 0, 8, 3, 2, 28, 28) + images.tobytes())
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as handle:
        handle.write(struct.pack(">HBBI", 0, 8, 1, 2) + bytes([7, 9]))
    found = data_shift.fashion_mnist([tmp_path])
    assert found is not None
    np.testing.assert_array_equal(found[0], images)
    assert found[1].tolist() == [7, 9]


@pytest.mark.parametrize("failure", ["refused", "hangs"])
def test_cifar10_offline_reports_within_two_seconds(tmp_path, monkeypatch, failure):
    def refuse(*args, **kwargs):
        raise OSError("Name or service not known")

    def hang(*args, **kwargs):
        time.sleep(10)
        raise OSError("timed out")

    monkeypatch.setattr(socket, "create_connection", refuse if failure == "refused" else hang)
    import_torchvision()  # a one-time import (seconds on a busy machine) is not what this test times
    start = time.monotonic()
    with pytest.raises(data_shift.DatasetUnavailable, match="cannot be reached"):
        data_shift.request_torchvision_set("CIFAR10", tmp_path)
    assert time.monotonic() - start < 2.0
    assert not list(tmp_path.iterdir())  # nothing half-downloaded left behind


def test_failures_cycle_through_the_classes():
    labels = np.repeat(np.arange(3), 4)
    clean = labels.copy()
    shifted = (labels + 1) % 3
    result = data_shift.SweepResult("rotation", np.array([0.0, 90.0]), np.ones(2), np.ones(2),
                                    np.stack([clean, shifted]))
    picked = data_shift.failures(result, labels, 1, limit=5)
    assert labels[picked].tolist() == [0, 1, 2, 0, 1]


def test_photo_rotation_sweep_on_the_pretrained_network(lite):
    photo = data.load_photo("coffee")
    crops = data_shift.rotated_photos(photo, (0, 45, 90))
    assert crops[0].shape == (400, 400, 3) and crops[1].shape == (282, 282, 3) and crops[2].shape == (400, 400, 3)
    sweep = data_shift.photo_rotation_sweep(lite, photo, (0, 90, 180))
    assert sweep.upright_rank[0] == 0 and sweep.top1[0] == sweep.top1.tolist()[0]
    assert 0 < sweep.upright_probability[0] <= 1
    assert sweep.upright_probability[2] < sweep.upright_probability[0]  # upside down, less sure of its answer


def test_held_out_report_counts_top1_top5_and_the_confusion():
    scores = np.array([[0.9, 0.1, 0.0], [0.2, 0.5, 0.3], [0.6, 0.1, 0.3], [0.1, 0.1, 0.8]])
    labels = np.array([0, 2, 2, 2])
    report = data_shift.held_out_report(scores, labels, n_classes=3)
    assert report.top1 == 0.5 and report.count == 4
    assert report.top5 == 1.0  # three classes: every label is among the five best
    assert report.matrix.tolist() == [[1, 0, 0], [0, 0, 0], [1, 1, 1]]
    assert np.allclose(report.per_class, [1.0, 0.0, 1 / 3])
