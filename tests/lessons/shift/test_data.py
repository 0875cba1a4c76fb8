"""Unit tests of lessons/shift/data.py: which data sets are offered, labelled sets, pictures and the DataLoader batch."""

from __future__ import annotations

import numpy as np

from lessons.core import data, registry
from lessons.core.nets import mnist_cnn
from lessons.shift import compute
from lessons.shift import data as shift_data


def test_fashion_mnist_is_offered_only_when_installed():
    assert shift_data.available_datasets(True) == ["mnist", "sklearn", "photos", "fashion", "online"]
    assert shift_data.available_datasets(False) == ["mnist", "sklearn", "photos", "online"]


def test_labelled_sets_carry_their_class_names():
    mnist = shift_data.labelled_set("mnist")
    assert mnist is not None and mnist.names == tuple("0123456789")
    assert len(mnist.images) == len(mnist.labels) and set(np.unique(mnist.labels)) <= set(range(10))
    small = shift_data.labelled_set("sklearn")
    assert small is not None and small.images.shape[1:] == (8, 8)
    assert shift_data.labelled_set("photos") is None and shift_data.labelled_set("online") is None
    fetched = shift_data.downloaded_set(np.zeros((4, 2, 2), np.uint8), np.array([0, 3, 1, 3]))
    assert fetched.names == ("0", "1", "2", "3")


def test_size_range_takes_each_side_on_its_own():
    assert shift_data.size_range([(100, 300, 3), (200, 150, 3), (50, 400)]) == ((150, 50), (400, 200))
    count, (smallest, largest) = shift_data.photo_sizes()
    assert count == len(data.photo_keys())
    assert smallest[0] <= largest[0] and smallest[1] <= largest[1]


def test_sample_grid_has_one_row_per_class():
    labelled = shift_data.labelled_set("mnist")
    grid = shift_data.sample_grid(labelled, per_class=10, tile=40)
    assert grid.dtype == np.uint8 and grid.shape[2] == 3
    assert grid.shape[0] > 10 * 40 and grid.shape[1] > 10 * 40  # ten rows and ten columns of tiles, with padding


def test_normalised_inputs_come_back_as_their_pixels():
    pixels = np.random.default_rng(0).integers(0, 256, (3, 28, 28)).astype(np.uint8)
    back = shift_data.pixels_from_inputs(mnist_cnn.to_input(pixels).numpy())
    assert back.dtype == np.uint8 and np.abs(back.astype(int) - pixels).max() <= 1


def test_loader_batch_is_the_first_shuffled_training_batch():
    batch = shift_data.loader_batch(batch_size=16)
    x_train, y_train, _, _ = data.mnist_split()
    _, targets = compute.first_batch(x_train, y_train, batch_size=16, seed=0)
    assert batch.labels == tuple(int(t) for t in targets)
    assert batch.input_shape == (16, 1, 28, 28) and batch.label_shape == (16,)


def test_transform_code_uses_the_network_numbers():
    spec = registry.spec_for(registry.DEFAULT_MODEL)
    code = shift_data.transform_code(spec)
    assert f"transforms.Resize({spec.resize})" in code and f"transforms.CenterCrop({spec.input_size})" in code
    assert str(tuple(round(m, 3) for m in spec.mean)) in code
