"""Staged, cached work of the data-and-shift lesson: the rotation-augmented digit CNN, trained once per setting and
kept in the disk cache, and the table that compares it with the standard CNN on every shift."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lessons.core import registry
from lessons.core.cache import cache_dir, load_or_train, shipped_weights
from lessons.core.nets import mnist_cnn
from lessons.core.progress import Progress, sub_range
from lessons.shift import compute

_CACHE_VERSION = 1


@dataclass(frozen=True)
class AugmentedCNN:
    """A digit CNN trained on randomly rotated digits, how long its training took, and the name it is kept under."""

    model: mnist_cnn.DigitCNN
    max_degrees: int
    seconds: float
    key: str  # augmented_key(...): names its disk-cache file and its sweeps


def augmented_key(max_degrees: int, epochs: int | None = None, seed: int = 0) -> str:
    """The name of the CNN trained with rotations up to ±max_degrees for `epochs` epochs (default: the lesson's)."""
    epochs = compute.AUGMENT_EPOCHS if epochs is None else epochs
    return f"digit_cnn_rot{int(max_degrees)}_e{int(epochs)}_seed{int(seed)}_v{_CACHE_VERSION}"


def augmented_cache_path(max_degrees: int, epochs: int | None = None, seed: int = 0) -> Path:
    """The disk-cache file of the CNN trained with rotations up to ±max_degrees for `epochs` epochs."""
    return cache_dir() / f"{augmented_key(max_degrees, epochs, seed)}.pt"


def augmented_on_disk(max_degrees: int, seed: int = 0) -> bool:
    """Whether the augmented CNN of this setting (the lesson's epochs) is in the disk cache or ships with the app."""
    path = augmented_cache_path(max_degrees, None, seed)
    return path.is_file() or shipped_weights(path.name) is not None


def augmented_cnn(max_degrees: int, progress: Progress | None = None, seed: int = 0,
                  shipped: bool = True) -> AugmentedCNN:
    """The rotation-augmented digit CNN from the disk cache, else from the copy that ships with the app (with
    `shipped`; the lesson's default setting ships), else trained now (with progress) and saved."""
    epochs = compute.AUGMENT_EPOCHS
    training = sub_range(progress, 0.0, 1.0, f"Training on digits rotated up to ±{int(max_degrees)}° · ")

    def train() -> tuple[mnist_cnn.DigitCNN, dict]:
        result = compute.train_augmented(max_degrees, epochs=epochs, seed=seed, progress=training)
        return result.model, {"seconds": float(result.seconds), "test_accuracy": float(result.test_accuracy)}

    path = augmented_cache_path(max_degrees, epochs, seed)
    copy = shipped_weights(path.name) if shipped else None
    model, meta = load_or_train(path, mnist_cnn.DigitCNN, train, progress, copy)
    return AugmentedCNN(registry.read_only(model), int(max_degrees), float(meta.get("seconds", 0.0)),
                        augmented_key(max_degrees, epochs, seed))


@dataclass(frozen=True)
class GapRow:
    """One shift at its largest amount: the standard CNN clean and changed, the augmented CNN clean and changed."""

    key: str
    title: str
    amount: str
    standard: tuple[float, float]
    augmented: tuple[float, float]


def gap_rows(sweep_of: Callable[[str, bool], compute.SweepResult]) -> list[GapRow]:
    """Clean and most-changed top-1 of both networks on every shift; `sweep_of(kind, augmented)` gives a sweep."""
    rows = []
    for key, shift in compute.SHIFTS.items():
        plain, augmented = sweep_of(key, False), sweep_of(key, True)
        rows.append(GapRow(key, shift.title, f"{shift.amounts[-1]:g} {shift.unit}",
                           (float(plain.top1[0]), float(plain.top1[-1])),
                           (float(augmented.top1[0]), float(augmented.top1[-1]))))
    return rows


def gap_table(rows: list[GapRow], n: int) -> list[dict[str, str]]:
    """The comparison table's rows, as the page shows them (percentages and each shift's gap cell)."""
    return [{"change": row.title, "at": row.amount,
             "standard: clean → changed": f"{row.standard[0]:.0%} → {row.standard[1]:.0%}",
             "augmented: clean → changed": f"{row.augmented[0]:.0%} → {row.augmented[1]:.0%}",
             "augmented vs standard on changed digits": compute.gap_cell(*gap_numbers(row), n)}
            for row in rows]


def gap_numbers(row: GapRow) -> tuple[float, float, float]:
    """(standard clean, standard changed, augmented changed) top-1: what `compute.gap_cell` and
    `compute.augmentation_summary` read."""
    return row.standard[0], row.standard[1], row.augmented[1]
