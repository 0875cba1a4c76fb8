"""The topographic-maps lesson from profiles to pictures: layout, class maps, class order, quality, comparison.

Pure compute (no Streamlit), so a page, a benchmark and a notebook make the same maps with the same call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from lessons.core.progress import Progress, silent, sub_range
from lessons.topomap import compute as topomap
from lessons.topomap import layouts as topomap_layouts


@dataclass(frozen=True)
class TopoMaps:
    """One layout of the units and the class maps it gives."""

    method: str
    refined: bool
    coords: np.ndarray  # (units, 2) in [0, 1]²
    maps: np.ndarray  # (classes, grid, grid) float32, smoothed as drawn, NaN outside the units' hull
    interpolated: np.ndarray  # the same before smoothing (linear interpolation): what the quality numbers measure
    order: np.ndarray  # classes in dendrogram order
    seconds: float  # layout + maps


#: What a first UMAP fit in a process costs (numba compiles it), so a progress message can warn about it.
SLOW_FIRST = {"umap": "UMAP (the first fit compiles code, about 15 s)"}


def build(profiles: np.ndarray, method: str = "pca", metric: str = "cosine", seed: int = 0, refined: bool = False,
          values: np.ndarray | None = None, grid: int = topomap.GRID, progress: Progress | None = None) -> TopoMaps:
    """Lay the units out by their profiles and draw one smoothed map per column of `values` (units, classes; by
    default the profiles themselves, i.e. class-mean profiles), classes in dendrogram order."""
    report = progress or silent
    start = time.perf_counter()
    values = profiles if values is None else values
    name = SLOW_FIRST.get(method) or topomap_layouts.LAYOUTS.get(method, method)
    name += " + force-directed refinement" if refined else ""
    report(0.0, f"Laying out {len(profiles)} units by {name}…")
    coords = topomap_layouts.layout(profiles, method, metric, seed, refined)
    report(0.8, f"Drawing {np.shape(values)[1]} class maps…")
    interpolated = topomap.topomaps(coords, values, grid)
    maps = topomap.smooth(interpolated, topomap.smoothing_sigma(len(coords), grid)).astype(np.float32)
    order = topomap.class_order(values)
    report(1.0, "Maps drawn")
    return TopoMaps(method, refined, coords, maps, interpolated.astype(np.float32), order,
                    time.perf_counter() - start)


CHANCE = "Random placement (chance)"


def chance_maps(profiles: np.ndarray, values: np.ndarray | None = None, seed: int = 0,
                grid: int = topomap.GRID) -> np.ndarray:
    """Class maps (interpolated, not smoothed) with the units shuffled among the PCA layout's positions: what no
    layout at all would score."""
    values = profiles if values is None else values
    coords = topomap_layouts.layout(profiles, "pca")
    shuffled = np.random.default_rng(seed).permutation(len(coords))
    return topomap.topomaps(coords[shuffled], values, grid).astype(np.float32)


@dataclass(frozen=True)
class Comparison:
    """Every layout method scored on the same units: one row of quality numbers and the class maps per layout."""

    rows: list[dict[str, float | str]]  # layout name, the paper's quality numbers, seconds; chance last
    maps: dict[str, np.ndarray]  # layout name → its class maps as drawn (classes, grid, grid), smoothed

    def scores(self, number: str = "blur_auc") -> dict[str, float]:
        """One quality number of every row, by layout name (chance included)."""
        return {str(row["layout"]): float(row[number]) for row in self.rows}


def compare(profiles: np.ndarray, methods: tuple[str, ...] = tuple(topomap_layouts.LAYOUTS),
            metric: str = "cosine", seed: int = 0, refined: bool = False, values: np.ndarray | None = None,
            progress: Progress | None = None) -> Comparison:
    """The paper's quality numbers (both error AUCs, blob count and size, measured on the interpolated maps before
    smoothing), the time and the drawn class maps of every layout method, and last the same for a random placement
    of the units (chance); one progress stage per layout."""
    rows: list[dict[str, float | str]] = []
    maps: dict[str, np.ndarray] = {}
    stages = len(methods) + 1
    for i, method in enumerate(methods):
        stage = sub_range(progress, i / stages, (i + 1) / stages, prefix=f"Layout {i + 1} of {len(methods)}: ")
        name = topomap_layouts.LAYOUTS[method]
        result = build(profiles, method, metric, seed, refined, values, progress=stage)
        stage(1.0, f"scoring the {name} maps…")
        rows.append({"layout": name, **topomap.quality(result.interpolated), "seconds": result.seconds})
        maps[name] = result.maps
    if progress:
        progress(len(methods) / stages, "Random placement of the units (chance)…")
    start = time.perf_counter()
    chance = chance_maps(profiles, values, seed)
    rows.append({"layout": CHANCE, **topomap.quality(chance), "seconds": time.perf_counter() - start})
    maps[CHANCE] = topomap.smooth(chance, topomap.smoothing_sigma(len(profiles))).astype(np.float32)
    if progress:
        progress(1.0, "Every layout scored")
    return Comparison(rows, maps)


def compare_layouts(profiles: np.ndarray, methods: tuple[str, ...] = tuple(topomap_layouts.LAYOUTS),
                    metric: str = "cosine", seed: int = 0, refined: bool = False, values: np.ndarray | None = None,
                    progress: Progress | None = None) -> list[dict[str, float | str]]:
    """The quality rows of `compare` alone (every layout method, then chance)."""
    return compare(profiles, methods, metric, seed, refined, values, progress).rows


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


@dataclass(frozen=True)
class Smoothness:
    """How smooth one layout's class maps are (blur error, lower = smoother), beside PCA's maps and a random placement
    of the same units (chance), each measured like the comparison measures it: on the maps before smoothing."""

    layout: float
    pca: float
    chance: float


def blur_error(interpolated: np.ndarray) -> float:
    """The comparison's blur error of a set of class maps (area under the blur error curve; lower = smoother)."""
    return topomap.auc(topomap.blur_errors(interpolated))


def smoothness(shown: TopoMaps, pca: TopoMaps, profiles: np.ndarray, values: np.ndarray | None = None,
               seed: int = 0) -> Smoothness:
    """The blur error of the layout shown, of PCA's layout of the same units with the same settings, and of a random
    placement of them (`chance_maps`): the numbers the comparison's table gives for the same settings."""
    return Smoothness(blur_error(shown.interpolated), blur_error(pca.interpolated),
                      blur_error(chance_maps(profiles, values, seed)))


def score_text(value: float) -> str:
    """A smoothness error as the page shows it: three significant digits, e.g. 0.0186."""
    return f"{value:.3g}"


def smoothness_notice(layout: str, scores: Smoothness) -> str:
    """The "what to notice" of the maps: is the layout shown smoother than the same units placed at random?"""
    numbers = (f"Laid out by {layout}, the maps have a blur error of **{score_text(scores.layout)}**; the same units "
               f"placed at random give **{score_text(scores.chance)}** (chance)")
    if float(score_text(scores.layout)) < float(score_text(scores.chance)):
        share = 1 - scores.layout / scores.chance
        return (f"{numbers}. Putting units that respond alike side by side made the maps {share:.0%} smoother than "
                "chance. Is that a lot? Try another layout, and see how far the methods spread in section 4.")
    return (f"{numbers}: this layout is no smoother than chance here. Are the blobs in the pictures then made by the "
            "smoothing alone? Compare with the random placement's thumbnail in section 4.")
