"""The topographic-maps lesson from profiles to pictures: layout, class maps, class order, quality, comparison.

Pure compute (no Streamlit), so a page, a benchmark and a notebook make the same maps with the same call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from lessons.core.progress import Progress
from lessons.topomap import compute as topomap
from lessons.topomap import layouts as topomap_layouts


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


CHANCE = "Random placement (chance)"


def chance_maps(profiles: np.ndarray, values: np.ndarray | None = None, seed: int = 0,
                grid: int = topomap.GRID) -> np.ndarray:
    """Class maps with the units shuffled among the PCA layout's positions: what no layout at all would score."""
    values = profiles if values is None else values
    coords = topomap_layouts.layout(profiles, "pca")
    shuffled = np.random.default_rng(seed).permutation(len(coords))
    return topomap.topomaps(coords[shuffled], values, grid).astype(np.float32)


def compare_layouts(profiles: np.ndarray, methods: tuple[str, ...] = tuple(topomap_layouts.LAYOUTS),
                    metric: str = "cosine", seed: int = 0, refined: bool = False, values: np.ndarray | None = None,
                    progress: Progress | None = None) -> list[dict[str, float | str]]:
    """The paper's quality numbers (both error AUCs, blob count and size) and the time for every layout method,
    and last the same numbers for a random placement of the units (chance)."""
    rows: list[dict[str, float | str]] = []
    for i, method in enumerate(methods):
        if progress:
            progress(i / len(methods), f"{topomap_layouts.LAYOUTS[method]}…")
        result = build(profiles, method, metric, seed, refined, values)
        rows.append({"layout": topomap_layouts.LAYOUTS[method], **topomap.quality(result.maps),
                     "seconds": result.seconds})
    start = time.perf_counter()
    chance = chance_maps(profiles, values, seed)
    rows.append({"layout": CHANCE, **topomap.quality(chance), "seconds": time.perf_counter() - start})
    if progress:
        progress(1.0, "done")
    return rows


def ranking_summary(scores: dict[str, dict[str, float]], chance: str = CHANCE) -> str:
    """Sentences naming the smoothest layout by each error and the one with the fewest blobs, whether the two errors
    agree, and which layouts fail to beat the random placement (`scores`: layout → its quality numbers)."""
    layouts = {name: row for name, row in scores.items() if name != chance}
    by_blur = min(layouts, key=lambda name: layouts[name]["blur_auc"])
    by_resample = min(layouts, key=lambda name: layouts[name]["resample_auc"])
    fewest = min(layouts, key=lambda name: layouts[name]["components"])
    if by_blur == by_resample:
        text = f"Smoothest here by both errors: **{by_blur}**."
    else:
        text = (f"The two errors disagree: smoothest by blur error is **{by_blur}**, by down/up-sampling error "
                f"**{by_resample}**.")
    text += f" Fewest blobs per map: **{fewest}** ({layouts[fewest]['components']:.1f})."
    if chance in scores:
        baseline = scores[chance]["blur_auc"]
        losers = [name for name, row in layouts.items() if row["blur_auc"] >= baseline]
        if losers:
            text += (f" Not smoother than the random placement by blur error ({baseline:.4f}): "
                     + ", ".join(f"**{name}**" for name in losers) + ".")
        else:
            text += f" Every layout is smoother than the random placement by blur error ({baseline:.4f})."
    return text + " Does the ranking stay the same for another layer, distance or seed? Try it."
