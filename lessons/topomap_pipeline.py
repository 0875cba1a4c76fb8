"""The topographic-maps lesson from profiles to pictures: layout, class maps, class order, quality, comparison.

Pure compute (no Streamlit), so a page, a benchmark and a notebook make the same maps with the same call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lessons import topomap, topomap_layouts


@dataclass(frozen=True)
class TopoMaps:
    """One layout of the units and the class maps it gives."""

    method: str
    refined: bool
    coords: np.ndarray  # (units, 2) in [0, 1]²
    maps: np.ndarray  # (classes, grid, grid) float32, NaN outside the units' hull
    order: np.ndarray  # classes in dendrogram order
    seconds: float  # layout + maps


def build(profiles: np.ndarray, method: str = "pca", metric: str = "cosine", seed: int = 0, refined: bool = False,
          values: np.ndarray | None = None, grid: int = topomap.GRID) -> TopoMaps:
    """Lay the units out by their profiles and draw one map per column of `values` (units, classes; by default the
    profiles themselves, i.e. class-mean profiles), classes in dendrogram order."""
    start = time.perf_counter()
    values = profiles if values is None else values
    coords = topomap_layouts.layout(profiles, method, metric, seed, refined)
    maps = topomap.topomaps(coords, values, grid).astype(np.float32)
    return TopoMaps(method, refined, coords, maps, topomap.class_order(values), time.perf_counter() - start)


def compare_layouts(profiles: np.ndarray, methods: tuple[str, ...] = tuple(topomap_layouts.LAYOUTS),
                    metric: str = "cosine", seed: int = 0, refined: bool = False, values: np.ndarray | None = None,
                    progress: Callable[[float, str], None] | None = None) -> list[dict[str, float | str]]:
    """The paper's quality numbers (both error AUCs, blob count and size) and the time for every layout method."""
    rows: list[dict[str, float | str]] = []
    for i, method in enumerate(methods):
        if progress:
            progress(i / len(methods), f"{topomap_layouts.LAYOUTS[method]}…")
        result = build(profiles, method, metric, seed, refined, values)
        rows.append({"layout": topomap_layouts.LAYOUTS[method], **topomap.quality(result.maps),
                     "seconds": result.seconds})
    if progress:
        progress(1.0, "done")
    return rows
