"""The digit networks' trained weights that ship in assets/nets/: present under today's names, read on a first visit
instead of training, never read when other training is asked for, and equal to what training makes today."""

from __future__ import annotations

import numpy as np
import pytest

from lessons import shipped_nets
from lessons.core import cache
from lessons.core.data import mnist_split
from lessons.core.nets import digit_vae, mnist_cnn, mnist_mlp
from lessons.shift import compute as shift_compute
from lessons.shift import pipeline as shift_pipeline


def _no_training(*args, **kwargs):
    raise AssertionError("a shipped network was trained again")


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    """An empty disk cache, as on a fresh machine."""
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    return tmp_path


def test_every_shipped_network_is_present_under_its_current_name():
    assert sorted(path.name for path in cache.SHIPPED_DIR.glob("*.pt")) == shipped_nets.shipped_names()
    assert all(path.stat().st_size < 2_000_000 for path in cache.SHIPPED_DIR.glob("*.pt"))


def test_a_first_visit_reads_the_shipped_weights_instead_of_training(empty_cache, monkeypatch):
    for module, name in ((mnist_cnn, "train_digit_cnn"), (mnist_mlp, "train_digit_mlp"), (digit_vae, "train_vae"),
                         (shift_compute, "train_augmented")):
        monkeypatch.setattr(module, name, _no_training)
    heard = []
    model, meta = mnist_cnn.load_or_train(seed=0, progress=lambda fraction, message: heard.append(message))
    assert meta["epochs"] == mnist_cnn.DEFAULT_EPOCHS and not model.training
    assert heard == ["Loaded the trained weights that ship with the app"]
    mnist_mlp.load_or_train()
    digit_vae.load_or_train()
    assert shift_pipeline.augmented_on_disk(shipped_nets.AUGMENTED_DEGREES)
    assert shift_pipeline.augmented_cnn(shipped_nets.AUGMENTED_DEGREES).max_degrees == shipped_nets.AUGMENTED_DEGREES
    assert not shift_pipeline.augmented_on_disk(90)  # only the page's default setting ships


def test_other_epochs_or_a_cache_of_its_own_train_afresh(empty_cache, tmp_path):
    _, meta = mnist_cnn.load_or_train(seed=0, epochs=1)
    assert meta["epochs"] == 1  # not the shipped six-epoch network
    _, meta = mnist_mlp.load_or_train(cache=tmp_path / "own", epochs=1)
    assert meta["epochs"] == 1


def test_the_shipped_digit_cnn_is_what_training_makes_today(empty_cache):
    shipped, meta = mnist_cnn.load_or_train(seed=0)
    fresh = mnist_cnn.train_digit_cnn(seed=0)
    _, _, x_test, y_test = mnist_split()
    ours = mnist_cnn.predict_digits(shipped, x_test).argmax(axis=1)
    theirs = mnist_cnn.predict_digits(fresh.model, x_test).argmax(axis=1)
    assert np.mean(ours == theirs) >= 0.99
    assert float(np.mean(ours == y_test)) == pytest.approx(meta["test_accuracy"], abs=1e-9)
    assert fresh.test_accuracy == pytest.approx(meta["test_accuracy"], abs=0.01)
