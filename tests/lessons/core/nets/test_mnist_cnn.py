"""Tests for the small in-app MNIST CNN: architecture, input handling, training, disk cache and determinism."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
import torch

from lessons.core import cache
from lessons.core.data import mnist_split
from lessons.core.nets import mnist_cnn
from lessons.core.nets.mnist_cnn import (
    CLASS_NAMES,
    MEAN,
    STD,
    DigitCNN,
    load_or_train,
    predict_digits,
    random_digit_cnn,
    to_input,
)

STAGES = ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc"]


@pytest.fixture(autouse=True, scope="module")
def _single_thread():
    """Train with one intra-op thread: this net is tiny, and two threads on a busy 2-core box can be ~8x slower."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


# --- architecture ---------------------------------------------------------------------------------------------------


def test_stage_names_in_order() -> None:
    model = DigitCNN()
    assert [name for name, _ in model.layers.named_children()] == STAGES
    assert isinstance(model.layers.conv1, torch.nn.Conv2d)
    assert model.layers.conv1.kernel_size == (5, 5) and model.layers.conv1.padding == (2, 2)
    assert isinstance(model.layers.pool2, torch.nn.MaxPool2d)
    assert model.layers.fc.in_features == 16 * 7 * 7 and model.layers.fc.out_features == 10


def test_output_shape() -> None:
    model = random_digit_cnn(0)
    with torch.no_grad():
        out = model(torch.zeros(5, 1, 28, 28))
    assert out.shape == (5, 10)
    assert len(CLASS_NAMES) == 10 and CLASS_NAMES[0] == "0" and CLASS_NAMES[-1] == "9"


def test_parameter_count_matches_hand_computation() -> None:
    conv1 = 8 * 1 * 5 * 5 + 8
    conv2 = 16 * 8 * 5 * 5 + 16
    fc = (16 * 7 * 7) * 10 + 10
    expected = conv1 + conv2 + fc
    assert expected == 208 + 3216 + 7850
    model = DigitCNN()
    assert sum(p.numel() for p in model.parameters()) == expected


# --- input conversion -----------------------------------------------------------------------------------------------


def test_to_input_zero_image_maps_to_minus_mean_over_std() -> None:
    tensor = to_input(np.zeros((28, 28), dtype=np.uint8))
    assert tensor.shape == (1, 1, 28, 28)
    assert tensor.dtype == torch.float32
    assert torch.allclose(tensor, torch.full_like(tensor, -MEAN[0] / STD[0]))


def test_to_input_full_image_and_batch_shape() -> None:
    batch = np.full((3, 28, 28), 255, dtype=np.uint8)
    tensor = to_input(batch)
    assert tensor.shape == (3, 1, 28, 28)
    assert torch.allclose(tensor, torch.full_like(tensor, (1.0 - MEAN[0]) / STD[0]))


def test_to_input_rejects_wrong_shape() -> None:
    with pytest.raises(ValueError):
        to_input(np.zeros((2, 32, 32), dtype=np.uint8))


# --- training (once per module) -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):
    """Train once for the whole module through load_or_train, keeping the TrainResult it produced."""
    cache = tmp_path_factory.mktemp("cnn-cache")
    calls: list[tuple[float, str]] = []
    results: list[mnist_cnn.TrainResult] = []
    real_train = mnist_cnn.train_digit_cnn

    def recording_train(*args, **kwargs):
        results.append(real_train(*args, **kwargs))
        return results[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mnist_cnn, "train_digit_cnn", recording_train)
        model, meta = load_or_train(seed=0, progress=lambda f, m: calls.append((f, m)), cache=cache)
    assert len(results) == 1
    return {"cache": cache, "model": model, "meta": meta, "calls": calls, "result": results[0]}


def test_training_reaches_accuracy(trained) -> None:
    meta = trained["meta"]
    assert meta["test_accuracy"] >= 0.95
    assert meta["train_accuracy"] >= meta["test_accuracy"] - 0.05
    assert meta["seed"] == 0 and meta["epochs"] == mnist_cnn.DEFAULT_EPOCHS
    assert not trained["model"].training
    # The reported accuracy is the real one on the test split.
    _, _, x_test, y_test = mnist_split()
    probs = predict_digits(trained["model"], x_test)
    assert probs.shape == (len(x_test), 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert float(np.mean(probs.argmax(axis=1) == y_test)) == pytest.approx(meta["test_accuracy"])


def test_training_writes_cache_file(trained) -> None:
    files = sorted(p.name for p in trained["cache"].iterdir())
    assert files == ["digit_cnn_seed0_v1.pt"]  # no stray temp files


def test_progress_fractions_increase_to_one(trained) -> None:
    fractions = [f for f, _ in trained["calls"]]
    assert len(fractions) >= mnist_cnn.DEFAULT_EPOCHS  # a few calls per epoch
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert all(b > a for a, b in zip(fractions, fractions[1:]))
    assert fractions[-1] == pytest.approx(1.0)
    assert all(isinstance(m, str) and m for _, m in trained["calls"])


def test_train_result_losses_decrease(trained) -> None:
    result = trained["result"]
    assert result.model is trained["model"]
    assert len(result.losses) == mnist_cnn.DEFAULT_EPOCHS
    assert result.losses[-1] < result.losses[0]
    assert all(np.isfinite(result.losses))
    assert result.seconds > 0 and not result.model.training
    assert result.test_accuracy == trained["meta"]["test_accuracy"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.train_accuracy = 1.0  # type: ignore[misc]


# --- cache ----------------------------------------------------------------------------------------------------------


def test_second_call_loads_from_cache(trained, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_training(*args, **kwargs):
        raise AssertionError("should have loaded from the cache")

    monkeypatch.setattr(mnist_cnn, "train_digit_cnn", no_training)
    start = time.perf_counter()
    model, meta = load_or_train(seed=0, cache=trained["cache"])
    assert time.perf_counter() - start < 2.0
    assert meta == trained["meta"]
    assert not model.training
    _, _, x_test, _ = mnist_split()
    np.testing.assert_array_equal(predict_digits(model, x_test[:200]), predict_digits(trained["model"], x_test[:200]))


def test_torch_load_uses_weights_only(trained, monkeypatch: pytest.MonkeyPatch) -> None:
    real_load = torch.load
    seen: list[dict] = []

    def checking_load(*args, **kwargs):
        seen.append(kwargs)
        assert kwargs.get("weights_only") is True
        return real_load(*args, **kwargs)

    monkeypatch.setattr(mnist_cnn.torch, "load", checking_load)
    monkeypatch.setattr(mnist_cnn, "train_digit_cnn", lambda *a, **k: pytest.fail("should not retrain"))
    load_or_train(seed=0, cache=trained["cache"])
    assert len(seen) == 1
    assert seen[0]["map_location"] == "cpu"


def test_corrupt_cache_is_replaced(tmp_path) -> None:
    path = tmp_path / "digit_cnn_seed0_v1.pt"
    path.write_bytes(b"\x00garbage, not a torch file\xff" * 10)
    model, meta = load_or_train(seed=0, cache=tmp_path, epochs=1)
    assert isinstance(model, DigitCNN) and meta["epochs"] == 1
    # The garbage was overwritten by a loadable file.
    payload = torch.load(path, map_location="cpu", weights_only=True)
    assert payload["meta"] == meta
    again, meta_again = load_or_train(seed=0, cache=tmp_path, epochs=1)
    assert meta_again == meta


def test_incompatible_cache_is_replaced(tmp_path) -> None:
    path = tmp_path / "digit_cnn_seed0_v1.pt"
    torch.save({"state_dict": {"fc.weight": torch.zeros(3, 3)}, "meta": {"seed": 0}}, path)
    model, meta = load_or_train(seed=0, cache=tmp_path, epochs=1)
    assert isinstance(model, DigitCNN) and meta["epochs"] == 1
    assert torch.load(path, map_location="cpu", weights_only=True)["meta"] == meta


def test_unwritable_cache_still_returns_model(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise PermissionError("read-only cache")

    monkeypatch.setattr(cache.tempfile, "mkstemp", refuse)
    model, meta = load_or_train(seed=0, cache=tmp_path, epochs=1)
    assert isinstance(model, DigitCNN) and meta["epochs"] == 1
    assert list(tmp_path.iterdir()) == []


# --- determinism and the untrained baseline -------------------------------------------------------------------------


def test_random_model_is_deterministic_and_keeps_global_rng() -> None:
    before = torch.random.get_rng_state()
    first, second, other = random_digit_cnn(0), random_digit_cnn(0), random_digit_cnn(1)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert not first.training
    for (name, a), (_, b) in zip(first.state_dict().items(), second.state_dict().items()):
        assert torch.equal(a, b), name
    assert not torch.equal(first.layers.conv1.weight, other.layers.conv1.weight)


def test_random_model_is_near_chance() -> None:
    _, _, x_test, y_test = mnist_split()
    probs = predict_digits(random_digit_cnn(0), x_test)
    accuracy = float(np.mean(probs.argmax(axis=1) == y_test))
    assert accuracy < 0.3
