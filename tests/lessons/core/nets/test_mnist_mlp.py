"""The digit MLP: its shape, deterministic init, and a disk cache that round-trips and survives corrupt files."""

from __future__ import annotations

import torch

from lessons.core import cache
from lessons.core.nets import mnist_mlp


def test_shapes_and_named_stages():
    model = mnist_mlp.random_digit_mlp()
    assert [name for name, _ in model.layers.named_children()] == ["flatten", "fc1", "relu1", "fc2"]
    assert model.layers.fc1.out_features == 128
    with torch.inference_mode():
        assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


def test_init_is_deterministic_per_seed():
    a, b, c = mnist_mlp.random_digit_mlp(0), mnist_mlp.random_digit_mlp(0), mnist_mlp.random_digit_mlp(1)
    assert torch.equal(a.layers.fc1.weight, b.layers.fc1.weight)
    assert not torch.equal(a.layers.fc1.weight, c.layers.fc1.weight)


def test_trains_above_chance_and_cache_round_trips(tmp_path):
    model, meta = mnist_mlp.load_or_train(cache=tmp_path, epochs=1)
    assert meta["test_accuracy"] > 0.8  # chance is 0.1
    assert mnist_mlp.cache_path(cache=tmp_path).is_file()
    again, meta_again = mnist_mlp.load_or_train(cache=tmp_path, epochs=1)
    assert meta_again == meta
    assert torch.equal(again.layers.fc2.weight, model.layers.fc2.weight)


def test_corrupt_cache_is_ignored(tmp_path):
    path = mnist_mlp.cache_path(cache=tmp_path)
    path.write_bytes(b"not a torch file")
    assert cache._load_weights(path, mnist_mlp.DigitMLP) is None
