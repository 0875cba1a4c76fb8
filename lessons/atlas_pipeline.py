"""The whole activation atlas in one call: images → sampled activations → layout → cells → icons → attribution.

Pure compute (no Streamlit). Each stage reports progress through one callback, so a page can show a progress bar
and a benchmark can time the stages; every random choice comes from `AtlasSettings.seed`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from lessons import atlas, atlas_layout, atlas_sources, compute
from lessons.compute import LoadedModel

ProgressFn = Callable[[float, str], None]
STAGES = ("images", "activations", "layout", "icons", "attribution")
# share of the progress bar each stage gets (roughly its share of the time on a CPU)
_WEIGHTS = {"images": 0.08, "activations": 0.35, "layout": 0.15, "icons": 0.38, "attribution": 0.04}


@dataclass(frozen=True)
class AtlasSettings:
    """Every choice that shapes an atlas (hashable, so it keys caches)."""

    model_key: str = "efficientnet_lite0"
    layer: str = "blocks.10"
    n_images: int = 2000
    grid: int = 10
    min_count: int = 5
    method: str = "umap"
    n_neighbors: int = atlas_layout.DEFAULT_NEIGHBORS
    min_dist: float = atlas_layout.DEFAULT_MIN_DIST
    steps: int = atlas.ICON_SETTINGS.steps
    chunk: int = atlas.CHUNK
    seed: int = 0
    uploads_digest: str = ""  # identifies the uploaded pictures mixed into the crops ("" = none)


@dataclass(frozen=True)
class Atlas:
    """A finished atlas and everything needed to explore it."""

    settings: AtlasSettings
    sources: atlas_sources.Sources
    activations: np.ndarray  # (N, C) one sampled vector per image
    xy: np.ndarray  # (N, 2) in [0, 1]² after percentile clipping
    cells: atlas_layout.Cells
    icons: atlas.Icons
    attribution: np.ndarray  # (K, classes) logit evidence of every kept cell's mean
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        """Time of all stages together."""
        return float(sum(self.seconds.values()))


def icon_settings(loaded: LoadedModel, steps: int, seed: int = 0) -> atlas.R.Settings:
    """Inversion settings for a network: 64-px icons (the input size for the 28-px digit network)."""
    size = min(atlas.ICON_SETTINGS.size, loaded.spec.input_size)
    return replace(atlas.ICON_SETTINGS, size=size, steps=int(steps), seed=int(seed))


def atlas_images(settings: AtlasSettings, extra: list[tuple[str, np.ndarray]] | None = None) -> atlas_sources.Sources:
    """The images of an atlas: random crops of the shipped photos (and uploads), or the digits for the digit CNN."""
    if compute.spec_for(settings.model_key).family == "digits":
        digits = atlas_sources.digit_sources()
        rng = np.random.default_rng(settings.seed)
        n = min(settings.n_images, len(digits.images))
        chosen = np.sort(rng.choice(len(digits.images), size=n, replace=False))
        return atlas_sources.Sources(digits.images[chosen], digits.origin[chosen], digits.names)
    return atlas_sources.photo_crops(settings.n_images, atlas.CROP_SIZE, settings.seed, extra)


def _stage_reporter(progress: ProgressFn | None, stage: str) -> ProgressFn:
    before = sum(_WEIGHTS[s] for s in STAGES[:STAGES.index(stage)])

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(min(before + _WEIGHTS[stage] * min(max(fraction, 0.0), 1.0), 1.0), message)
    return report


def build(loaded: LoadedModel, settings: AtlasSettings, extra: list[tuple[str, np.ndarray]] | None = None,
          progress: ProgressFn | None = None) -> Atlas:
    """Build the atlas for `settings` on a loaded (shared, read-only) model, reporting progress in [0, 1]."""
    seconds: dict[str, float] = {}

    start = time.perf_counter()
    _stage_reporter(progress, "images")(0.0, "Cutting random crops…")
    sources = atlas_images(settings, extra)
    seconds["images"] = time.perf_counter() - start

    start = time.perf_counter()
    report = _stage_reporter(progress, "activations")
    acts, _ = atlas.sampled_activations(loaded, sources.images, settings.layer, settings.seed,
                                        progress=lambda f, m: report(f, f"Activations of {settings.layer}: {m}"))
    seconds["activations"] = time.perf_counter() - start

    start = time.perf_counter()
    _stage_reporter(progress, "layout")(0.0, f"Laying out {len(acts):,} points ({settings.method.upper()})…")
    xy = atlas_layout.normalise(atlas_layout.layout(acts, settings.method, settings.n_neighbors, settings.min_dist,
                                                    seed=settings.seed))
    cells = atlas_layout.grid_cells(xy, acts, settings.grid, settings.min_count)
    seconds["layout"] = time.perf_counter() - start

    start = time.perf_counter()
    report = _stage_reporter(progress, "icons")
    directions = atlas.cell_directions(acts, cells.means)
    icons = atlas.invert_cells(loaded, settings.layer, directions, icon_settings(loaded, settings.steps, settings.seed),
                               chunk=settings.chunk, progress=lambda f, m: report(f, f"Feature inversion: {m}"))
    seconds["icons"] = time.perf_counter() - start

    start = time.perf_counter()
    _stage_reporter(progress, "attribution")(0.0, "Attributing every cell to the classes…")
    attribution = atlas.cell_logit_attribution(loaded, settings.layer, cells.means, acts.mean(axis=0))
    seconds["attribution"] = time.perf_counter() - start
    if progress is not None:
        progress(1.0, "Atlas ready")
    return Atlas(settings, sources, acts, xy, cells, icons, attribution, seconds)


def cell_labels(result: Atlas, names: tuple[str, ...] | list[str]) -> list[str]:
    """One line per kept cell: its grid position, point count and strongest class."""
    best = atlas.top_classes(result.attribution, names, k=1) if len(result.attribution) else []
    return [f"row {r + 1}, column {c + 1} — {result.cells.counts[r, c]} points — {best[k][0][0]}"
            for k, (r, c) in enumerate(result.cells.kept)]


def class_totals(result: Atlas) -> np.ndarray:
    """Each class's positive evidence summed over the cells, weighted by the cells' point counts."""
    counts = result.cells.counts[result.cells.kept[:, 0], result.cells.kept[:, 1]].astype(np.float64)
    return (np.clip(result.attribution, 0, None) * counts[:, None]).sum(axis=0)


def compare_classes(result: Atlas, first: int, second: int, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Cells where `first` beats `second` most, and where `second` beats `first` most (kept-cell indices)."""
    diff = result.attribution[:, first] - result.attribution[:, second]
    order = np.argsort(-diff)
    k = min(k, len(diff))
    return order[:k], order[::-1][:k]


def source_share(result: Atlas, k: int) -> list[tuple[str, int]]:
    """Where the points of kept cell k came from: (picture name, count), most common first."""
    origins = result.sources.origin[result.cells.members(k)]
    values, counts = np.unique(origins, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return [(result.sources.names[values[i]], int(counts[i])) for i in order]
