"""The disk cache: its folder, atomic writes that leave nothing behind on failure, and load-or-train."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lessons.core import cache


def test_cache_dir_honours_environment(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZERO_TO_BRAINS_CACHE", str(tmp_path / "explicit"))
    assert cache.cache_dir() == tmp_path / "explicit"
    assert (tmp_path / "explicit").is_dir()
    monkeypatch.delenv("ZERO_TO_BRAINS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "zero-to-brains"
    assert (tmp_path / "xdg" / "zero-to-brains").is_dir()


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path) -> None:
    target = tmp_path / "file.bin"
    assert cache.save_atomically(target, lambda handle: handle.write(b"first"))

    def fail(handle) -> None:
        handle.write(b"half")
        raise OSError("disk full")

    assert not cache.save_atomically(target, fail)
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]


def test_a_folder_appears_whole_or_not_at_all(tmp_path) -> None:
    def write(folder) -> None:
        (folder / "a.txt").write_text("a")

    assert cache.save_folder_atomically(tmp_path / "bundle", write)
    assert (tmp_path / "bundle" / "a.txt").read_text() == "a"

    def fail(folder) -> None:
        (folder / "b.txt").write_text("b")
        raise OSError("no space")

    assert not cache.save_folder_atomically(tmp_path / "other", fail)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_load_or_train_trains_once_then_reads_the_file(tmp_path) -> None:
    calls = []

    def train() -> tuple[nn.Module, dict]:
        calls.append(1)
        torch.manual_seed(len(calls))
        return nn.Linear(3, 2), {"accuracy": 0.5, "epochs": 2}

    path = tmp_path / "net.pt"
    first, meta = cache.load_or_train(path, lambda: nn.Linear(3, 2), train)
    again, meta_again = cache.load_or_train(path, lambda: nn.Linear(3, 2), train)
    assert calls == [1] and meta_again == meta == {"accuracy": 0.5, "epochs": 2}
    assert torch.equal(first.weight, again.weight) and not again.training


def test_a_file_that_does_not_fit_means_train_again(tmp_path) -> None:
    path = tmp_path / "net.pt"
    path.write_bytes(b"not a torch file")
    model, _ = cache.load_or_train(path, lambda: nn.Linear(3, 2), lambda: (nn.Linear(3, 2), {"v": 1}))
    assert isinstance(model, nn.Linear)
    wrong_shape, _ = cache.load_or_train(path, lambda: nn.Linear(4, 2), lambda: (nn.Linear(4, 2), {"v": 2}))
    assert wrong_shape.in_features == 4
