"""Unit tests of lessons/shift/pipeline.py: the augmented CNN in the disk cache and the augmentation table."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lessons.core import registry
from lessons.core.cache import CACHE_ENV
from lessons.shift import compute, pipeline


def test_the_augmented_cnn_is_trained_once_then_read_from_the_disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(compute, "AUGMENT_EPOCHS", 1)
    reports: list[tuple[float, str]] = []
    assert not pipeline.augmented_on_disk(90)
    trained = pipeline.augmented_cnn(90, progress=lambda f, m: reports.append((f, m)))
    assert pipeline.augmented_cache_path(90, 1).is_file() and trained.max_degrees == 90 and trained.seconds > 0
    assert pipeline.augmented_on_disk(90) and not pipeline.augmented_on_disk(180)
    assert trained.key == pipeline.augmented_key(90) == pipeline.augmented_cache_path(90).stem
    assert pipeline.augmented_key(90) != pipeline.augmented_key(90, epochs=2)  # other training, other name
    assert reports and all(0.0 <= f <= 1.0 for f, _ in reports) and reports[-1][0] == 1.0
    assert all(m.startswith("Training on digits rotated up to ±90° · ") for _, m in reports)  # the stage is named
    reports.clear()
    cached = pipeline.augmented_cnn(90, progress=lambda f, m: reports.append((f, m)))
    assert reports == [(1.0, "Loaded trained weights from the cache")]
    assert cached.seconds == trained.seconds
    for name, weights in trained.model.state_dict().items():
        assert torch.equal(weights, cached.model.state_dict()[name]), name
    assert not pipeline.augmented_cache_path(180, 1).exists()  # each rotation setting has its own file
    shared = cached.model  # kept in a cache every session reads: read-only like the registry's models
    assert not shared.training and not any(p.requires_grad for p in shared.parameters())
    with pytest.raises(registry.ReadOnlyModelError):
        shared.train()


def _sweep(kind: str, top1: list[float]) -> compute.SweepResult:
    amounts = np.asarray(compute.SHIFTS[kind].amounts[:len(top1)])
    return compute.SweepResult(kind, amounts, np.asarray(top1), np.asarray(top1), np.zeros((len(top1), 1)))


def test_gap_rows_read_the_clean_and_the_most_changed_amount():
    def sweep_of(kind: str, augmented: bool) -> compute.SweepResult:
        return _sweep(kind, [0.98, 0.7, 0.9] if augmented else [0.99, 0.8, 0.3])

    rows = pipeline.gap_rows(sweep_of)
    assert [row.key for row in rows] == list(compute.SHIFTS)
    blur = next(row for row in rows if row.key == "blur")
    assert blur.standard == (0.99, 0.3) and blur.augmented == (0.98, 0.9)
    assert blur.amount == f"{compute.SHIFTS['blur'].amounts[-1]:g} {compute.SHIFTS['blur'].unit}"
    assert pipeline.gap_numbers(blur) == (0.99, 0.3, 0.9)
    table = pipeline.gap_table(rows, 1000)
    assert table[0]["standard: clean → changed"] == "99% → 30%"
    assert table[0]["augmented: clean → changed"] == "98% → 90%"
    assert table[0]["augmented vs standard on changed digits"] == compute.gap_cell(0.99, 0.3, 0.9, 1000)
    assert "closes" in table[0]["augmented vs standard on changed digits"]
