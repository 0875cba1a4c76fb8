"""Two-class 2-D point sets for the linear-classifier lesson, and hand edits of them.

Every preset is balanced (half the points per class), float32, reproducible from its seed, and scaled so the points
lie roughly within ±2.5. Class 0 is called "A", class 1 "B". Hand edits (points removed from the preset, points
added) have a compact text form so a shared link can carry them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

PRESETS: tuple[str, ...] = ("separable", "overlapping", "xor", "circles", "spiral")
PRESET_TITLES: dict[str, str] = {
    "separable": "Two clusters (separable)",
    "overlapping": "Two overlapping clusters",
    "xor": "XOR (four corners)",
    "circles": "Circle inside a ring",
    "spiral": "Two spirals",
}
CLASS_NAMES: tuple[str, str] = ("A", "B")
DEFAULT_POINTS = 200
DECIMALS = 2  # hand-placed points are rounded to this many decimals, so a link reproduces them exactly
MAX_EDIT_TEXT = 1500  # longer edit lists are not put into the URL


def _blobs(rng: np.random.Generator, centres: Sequence[tuple[float, float]], counts: Sequence[int],
           spread: float) -> np.ndarray:
    """Gaussian blobs: `counts[k]` points around `centres[k]` with standard deviation `spread`."""
    parts = [np.asarray(c) + spread * rng.standard_normal((n, 2)) for c, n in zip(centres, counts)]
    return np.concatenate(parts)


def make_dataset(preset: str, noise: float = 0.2, seed: int = 0,
                 n: int = DEFAULT_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Return (points n×2 float32, labels n float32 of 0/1) for a preset; `noise` in [0, 1] widens every class."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {PRESETS}")
    noise = float(np.clip(noise, 0.0, 1.0))
    rng = np.random.default_rng(seed)
    half = n // 2
    sizes = (half, n - half)
    if preset == "separable":
        spread = 0.2 + 0.5 * noise  # centres ±1.3 along the normal at 35°, midpoint 0.7 from the origin
        a = _blobs(rng, [(-0.49, -0.34)], [sizes[0]], spread)
        b = _blobs(rng, [(1.64, 1.15)], [sizes[1]], spread)
    elif preset == "overlapping":
        spread = 0.55 + 0.5 * noise
        a = _blobs(rng, [(-0.6, -0.2)], [sizes[0]], spread)
        b = _blobs(rng, [(0.6, 0.6)], [sizes[1]], spread)
    elif preset == "xor":
        spread = 0.2 + 0.45 * noise
        a = _blobs(rng, [(-1.1, 1.1), (1.1, -1.1)], [sizes[0] // 2, sizes[0] - sizes[0] // 2], spread)
        b = _blobs(rng, [(1.1, 1.1), (-1.1, -1.1)], [sizes[1] // 2, sizes[1] - sizes[1] // 2], spread)
    elif preset == "circles":
        jitter = 0.08 + 0.35 * noise
        radius_a = 0.9 * np.sqrt(rng.uniform(0.0, 1.0, sizes[0]))
        angle_a = rng.uniform(-math.pi, math.pi, sizes[0])
        a = np.stack([radius_a * np.cos(angle_a), radius_a * np.sin(angle_a)], axis=1)
        a += jitter * rng.standard_normal(a.shape)
        angle_b = rng.uniform(-math.pi, math.pi, sizes[1])
        radius_b = 1.9 + jitter * rng.standard_normal(sizes[1])
        b = np.stack([radius_b * np.cos(angle_b), radius_b * np.sin(angle_b)], axis=1)
    else:  # spiral: two interleaved arms, one turn and a quarter each
        jitter = 0.05 + 0.3 * noise
        arms = []
        for k, size in enumerate(sizes):
            t = np.sqrt(rng.uniform(0.04, 1.0, size))
            angle = 2.5 * math.pi * t + k * math.pi
            radius = 2.3 * t
            arm = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
            arms.append(arm + jitter * rng.standard_normal(arm.shape))
        a, b = arms
    points = np.concatenate([a, b]).astype(np.float32)
    labels = np.concatenate([np.zeros(sizes[0]), np.ones(sizes[1])]).astype(np.float32)
    return points, labels


# -------------------------------------------------------------------------------------------------------- hand edits
@dataclass(frozen=True)
class Edits:
    """Hand edits of a preset: indices of preset points removed, and points added as (x, y, label)."""

    removed: tuple[int, ...] = ()
    added: tuple[tuple[float, float, int], ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing was edited."""
        return not self.removed and not self.added


@dataclass(frozen=True)
class PointSet:
    """A preset with hand edits applied: the preset's points, the edited points trained on, and a key naming them."""

    preset_points: np.ndarray
    preset_labels: np.ndarray
    edits: Edits
    points: np.ndarray
    labels: np.ndarray
    ids: list[str]
    key: str  # names preset, noise, seed and edits, for caches

    @property
    def n_preset(self) -> int:
        """Points in the preset before editing (hand edits refer to them by index)."""
        return len(self.preset_points)


def edited_points(preset: str, noise: float, seed: int, edits: Edits) -> PointSet:
    """The preset's points with `edits` applied, as a PointSet."""
    preset_points, preset_labels = make_dataset(preset, noise, seed)
    points, labels, ids = apply_edits(preset_points, preset_labels, edits)
    return PointSet(preset_points, preset_labels, edits, points, labels, ids,
                    f"{preset}|{noise}|{seed}|{encode_edits(edits)}")


def class_counts(labels: np.ndarray) -> tuple[int, int]:
    """How many points belong to class A (label 0) and to class B (label 1)."""
    labels = np.asarray(labels)
    return int((labels < 0.5).sum()), int((labels > 0.5).sum())


def edit_note(edits: Edits) -> str:
    """" — 2 removed and 1 added by hand" for the points summary, or "" when nothing was edited."""
    return "" if edits.empty else f" — {len(edits.removed)} removed and {len(edits.added)} added by hand"


def link_edits(text: str) -> str:
    """The edit text a shared link carries: all of it, or "" when it is too long for a URL (MAX_EDIT_TEXT)."""
    return text if len(text) <= MAX_EDIT_TEXT else ""


def snap(value: float) -> float:
    """Round a hand-placed coordinate to the precision a link can carry."""
    return round(float(value), DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def apply_edits(points: np.ndarray, labels: np.ndarray, edits: Edits) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return (points, labels, ids) after edits; ids are "p<i>" for kept preset points and "a<j>" for added ones."""
    removed = set(edits.removed)
    keep = [i for i in range(len(points)) if i not in removed]
    ids = [f"p{i}" for i in keep] + [f"a{j}" for j in range(len(edits.added))]
    extra = np.array([[x, y] for x, y, _ in edits.added], dtype=np.float32).reshape(-1, 2)
    extra_labels = np.array([c for _, _, c in edits.added], dtype=np.float32)
    return (np.concatenate([points[keep], extra]).astype(np.float32),
            np.concatenate([labels[keep], extra_labels]).astype(np.float32), ids)


def add_point(edits: Edits, x: float, y: float, label: int) -> Edits:
    """Edits with one more hand-placed point."""
    return Edits(edits.removed, (*edits.added, (snap(x), snap(y), int(label))))


def remove_point(edits: Edits, point_id: str, n_preset: int) -> Edits:
    """Edits without the point `point_id` ("p<i>" or "a<j>"); unknown ids change nothing."""
    kind, number = point_id[:1], point_id[1:]
    if not number.isdigit():
        return edits
    index = int(number)
    if kind == "p" and index < n_preset and index not in edits.removed:
        return Edits(tuple(sorted((*edits.removed, index))), edits.added)
    if kind == "a" and index < len(edits.added):
        return Edits(edits.removed, edits.added[:index] + edits.added[index + 1:])
    return edits


def edit_from_click(edits: Edits, selection: Mapping[str, object], add_label: int, n_preset: int) -> Edits | None:
    """Turn a chart click into an edit, or None when the click selected nothing.

    `selection` is the chart's selection state: {"cell": [{"cx": …, "cy": …}], "pt": [{"pid": …}]} (either may be
    empty). A click on a point removes it; a click on a cell adds a point of class `add_label` at the cell's centre.
    """
    picked_points = selection.get("pt") or []
    if isinstance(picked_points, list) and picked_points and isinstance(picked_points[0], Mapping):
        point_id = picked_points[0].get("pid")
        if isinstance(point_id, str):
            return remove_point(edits, point_id, n_preset)
    picked_cells = selection.get("cell") or []
    if isinstance(picked_cells, list) and picked_cells and isinstance(picked_cells[0], Mapping):
        cx, cy = picked_cells[0].get("cx"), picked_cells[0].get("cy")
        if isinstance(cx, int | float) and isinstance(cy, int | float) and math.isfinite(cx) and math.isfinite(cy):
            return add_point(edits, cx, cy, add_label)
    return None


def encode_edits(edits: Edits) -> str:
    """Compact text of edits, e.g. "r3,17|a1.2_0.35_B,-0.5_0.1_A" (empty string for no edits)."""
    parts = []
    if edits.removed:
        parts.append("r" + ",".join(str(i) for i in edits.removed))
    if edits.added:
        parts.append("a" + ",".join(f"{snap(x):g}_{snap(y):g}_{CLASS_NAMES[c]}" for x, y, c in edits.added))
    return "|".join(parts)


def decode_edits(text: str | None, n_preset: int) -> Edits:
    """Parse `encode_edits` text; anything malformed gives no edits rather than an error."""
    if not text:
        return Edits()
    removed: set[int] = set()
    added: list[tuple[float, float, int]] = []
    try:
        for part in text.split("|"):
            kind, body = part[:1], part[1:]
            if kind == "r":
                for token in body.split(","):
                    index = int(token)
                    if not 0 <= index < n_preset:
                        return Edits()
                    removed.add(index)
            elif kind == "a":
                for token in body.split(","):
                    added.append(_decode_point(token))
            else:
                return Edits()
    except ValueError:
        return Edits()
    return Edits(tuple(sorted(removed)), tuple(added))


def _decode_point(token: str) -> tuple[float, float, int]:
    """One "x_y_C" token of an edit list."""
    x_text, y_text, name = token.split("_")
    x, y = float(x_text), float(y_text)
    if name not in CLASS_NAMES or not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > 100:
        raise ValueError(token)
    return snap(x), snap(y), CLASS_NAMES.index(name)


def points_table(points: np.ndarray, labels: np.ndarray, ids: Sequence[str]) -> dict[str, list]:
    """Columns (id, x, y, class) of the current points, for a table editor."""
    return {"id": list(ids), "x": [round(float(v), 3) for v in points[:, 0]],
            "y": [round(float(v), 3) for v in points[:, 1]], "class": [CLASS_NAMES[int(c)] for c in labels]}


def edits_from_table(points: np.ndarray, labels: np.ndarray, rows: Sequence[Mapping[str, object]]) -> Edits:
    """Edits relative to the preset (points, labels) that produce the table `rows` (dicts with id, x, y, class).

    A preset row left as it was is kept; a preset row whose values changed becomes removed + added; rows without a
    preset id are added points; preset ids missing from the table are removed. Incomplete new rows are ignored.
    """
    seen: set[int] = set()
    added: list[tuple[float, float, int]] = []
    for row in rows:
        x, y, name = _number(row.get("x")), _number(row.get("y")), row.get("class")
        if x is None or y is None or name not in CLASS_NAMES:
            continue
        label = CLASS_NAMES.index(str(name))
        point_id = row.get("id")
        if isinstance(point_id, str) and point_id.startswith("p") and point_id[1:].isdigit():
            index = int(point_id[1:])
            if index < len(points) and index not in seen:
                original = (round(float(points[index, 0]), 3), round(float(points[index, 1]), 3), int(labels[index]))
                if (round(x, 3), round(y, 3), label) == original:
                    seen.add(index)
                    continue
        added.append((snap(x), snap(y), label))
    removed = tuple(i for i in range(len(points)) if i not in seen)
    return Edits(removed, tuple(added))


def _number(value: object) -> float | None:
    """A finite float from a table cell, or None."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
