"""The whole activation atlas in one call: images → sampled activations → layout → cells → icons → attribution.

Pure compute (no Streamlit). Each stage reports progress through one callback, so a page can show a progress bar
and a benchmark can time the stages; every random choice comes from `AtlasSettings.seed`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from lessons.atlas import compute as atlas
from lessons.atlas import data as atlas_sources
from lessons.atlas import layout as atlas_layout
from lessons.core import registry
from lessons.core.progress import Progress, sub_range
from lessons.core.registry import LoadedModel

STAGES = ("images", "activations", "layout", "icons", "attribution")
# share of the progress bar each stage gets (roughly its share of the time on a CPU, published recipe)
_WEIGHTS = {"images": 0.06, "activations": 0.28, "layout": 0.12, "icons": 0.34, "attribution": 0.20}


@dataclass(frozen=True)
class Recipe:
    """How the activations are laid out and how cells are attributed to classes, with the layout's presets."""

    title: str
    whitened: bool  # whiten the activations before the layout
    n_neighbors: int  # UMAP preset
    min_dist: float  # UMAP preset
    attribution: str  # "gradient": activation × gradient per point, averaged per cell; "filled_map": the app's


RECIPES: dict[str, Recipe] = {
    "carter": Recipe("Carter et al. (published): raw activations, UMAP n_neighbors 50, min_dist 0.05, "
                     "activation × gradient", whitened=False, n_neighbors=50, min_dist=0.05, attribution="gradient"),
    "app": Recipe("This app's variant: whitened before the layout, UMAP n_neighbors 20, min_dist 0.01, "
                  "filled-map logit evidence", whitened=True, n_neighbors=atlas_layout.DEFAULT_NEIGHBORS,
                  min_dist=atlas_layout.DEFAULT_MIN_DIST, attribution="filled_map"),
}
DEFAULT_RECIPE = "carter"


@dataclass(frozen=True)
class AtlasSettings:
    """Every choice that shapes an atlas (hashable, so it keys caches)."""

    model_key: str = "efficientnet_lite0"
    layer: str = "blocks.10"
    n_images: int = 2000
    grid: int = 10
    min_count: int = 5
    method: str = "umap"
    n_neighbors: int = RECIPES[DEFAULT_RECIPE].n_neighbors
    min_dist: float = RECIPES[DEFAULT_RECIPE].min_dist
    steps: int = atlas.ICON_SETTINGS.steps
    chunk: int = atlas.CHUNK
    seed: int = 0
    uploads_digest: str = ""  # identifies the uploaded pictures mixed into the crops ("" = none)
    recipe: str = DEFAULT_RECIPE  # a key of RECIPES: whitening before the layout and the kind of attribution
    weights: str = "pretrained"  # the network's weights ("random" when its trained weights are missing)


@dataclass(frozen=True)
class Atlas:
    """A finished atlas and everything needed to explore it."""

    settings: AtlasSettings
    sources: atlas_sources.Sources
    activations: np.ndarray  # (N, C) one sampled vector per image
    xy: np.ndarray  # (N, 2) in [0, 1]² after percentile clipping
    cells: atlas_layout.Cells
    icons: atlas.Icons
    attribution: np.ndarray  # (K, classes) class attribution of every kept cell, by the settings' recipe
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
    if registry.spec_for(settings.model_key).family == "digits":
        digits = atlas_sources.digit_sources()
        rng = np.random.default_rng(settings.seed)
        n = min(settings.n_images, len(digits.images))
        chosen = np.sort(rng.choice(len(digits.images), size=n, replace=False))
        return atlas_sources.Sources(digits.images[chosen], digits.origin[chosen], digits.names)
    return atlas_sources.photo_crops(settings.n_images, atlas.CROP_SIZE, settings.seed, extra)


def _stage_reporter(progress: Progress | None, stage: str) -> Progress:
    before = sum(_WEIGHTS[s] for s in STAGES[:STAGES.index(stage)])
    return sub_range(progress, before, before + _WEIGHTS[stage])


def build(loaded: LoadedModel, settings: AtlasSettings, extra: list[tuple[str, np.ndarray]] | None = None,
          progress: Progress | None = None) -> Atlas:
    """Build the atlas for `settings` on a loaded (shared, read-only) model, reporting progress in [0, 1]."""
    if settings.recipe not in RECIPES:
        raise ValueError(f"unknown recipe {settings.recipe!r}; use one of {tuple(RECIPES)}")
    recipe = RECIPES[settings.recipe]
    seconds: dict[str, float] = {}

    start = time.perf_counter()
    _stage_reporter(progress, "images")(0.0, "Cutting random crops…")
    sources = atlas_images(settings, extra)
    seconds["images"] = time.perf_counter() - start

    start = time.perf_counter()
    report = _stage_reporter(progress, "activations")
    maps = atlas.layer_maps(loaded, sources.images, settings.layer,
                            progress=lambda f, m: report(f, f"Activations of {settings.layer}: {m}"))
    acts, positions = atlas.sample_positions(maps, settings.seed)
    seconds["activations"] = time.perf_counter() - start

    start = time.perf_counter()
    _stage_reporter(progress, "layout")(0.0, f"Laying out {len(acts):,} points ({settings.method.upper()})…")
    xy = atlas_layout.normalise(atlas_layout.layout(acts, settings.method, settings.n_neighbors, settings.min_dist,
                                                    seed=settings.seed, whitened=recipe.whitened))
    cells = atlas_layout.grid_cells(xy, acts, settings.grid, settings.min_count)
    seconds["layout"] = time.perf_counter() - start

    start = time.perf_counter()
    report = _stage_reporter(progress, "icons")
    directions = atlas.cell_directions(acts, cells.means)
    icons = atlas.invert_cells(loaded, settings.layer, directions, icon_settings(loaded, settings.steps, settings.seed),
                               chunk=settings.chunk, progress=lambda f, m: report(f, f"Feature inversion: {m}"))
    seconds["icons"] = time.perf_counter() - start

    start = time.perf_counter()
    report = _stage_reporter(progress, "attribution")
    report(0.0, "Attributing every cell to the classes…")
    if recipe.attribution == "gradient":
        per_point = atlas.gradient_attribution(loaded, settings.layer, maps, positions,
                                               progress=lambda f, m: report(f, f"Activation × gradient: {m}"))
        attribution = atlas_layout.cell_average(cells, per_point)
    else:
        attribution = atlas.cell_logit_attribution(loaded, settings.layer, cells.means, acts.mean(axis=0))
    seconds["attribution"] = time.perf_counter() - start
    if progress is not None:
        progress(1.0, "Atlas ready")
    return Atlas(settings, sources, acts, xy, cells, icons, attribution, seconds)


def display_names(names: tuple[str, ...] | list[str], digits: bool) -> list[str]:
    """How each class is shown: 'digit 3' for the digit network, the ImageNet name otherwise."""
    return [f"digit {name}" if digits else name for name in names]


def cell_labels(result: Atlas, names: tuple[str, ...] | list[str]) -> list[str]:
    """One line per kept cell: its grid position, point count and strongest class."""
    best = atlas.top_classes(result.attribution, names, k=1) if len(result.attribution) else []
    return [f"row {r + 1}, column {c + 1} — {result.cells.counts[r, c]} points — {best[k][0][0]}"
            for k, (r, c) in enumerate(result.cells.kept)]


def class_totals(result: Atlas) -> np.ndarray:
    """Each class's positive evidence summed over the cells, weighted by the cells' point counts."""
    counts = result.cells.counts[result.cells.kept[:, 0], result.cells.kept[:, 1]].astype(np.float64)
    return (np.clip(result.attribution, 0, None) * counts[:, None]).sum(axis=0)


def ranked_classes(result: Atlas) -> list[int]:
    """Class indices ordered by the positive evidence the atlas holds for them, most first."""
    return [int(c) for c in np.argsort(-class_totals(result))]


def strongest_classes(result: Atlas, cell: int, names: tuple[str, ...] | list[str],
                      k: int = 5) -> list[tuple[str, float]]:
    """The k classes with the most evidence in kept cell `cell`, with their values."""
    return atlas.top_classes(result.attribution[cell:cell + 1], names, k)[0]


def cells_serving_both(result: Atlas, first: int, second: int, k: int = 4) -> tuple[np.ndarray, bool]:
    """Up to k kept cells that raise both classes' logits, strongest first, and True; when no cell raises both, the k
    cells whose weaker share of the two classes is largest, and False."""
    shared = atlas.shared_cells(result.attribution[:, first], result.attribution[:, second])
    if len(shared):
        return shared[:k], True
    closest = np.minimum(atlas.class_share(result.attribution, first), atlas.class_share(result.attribution, second))
    return np.argsort(-closest)[:k], False


def compare_classes(result: Atlas, first: int, second: int, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Cells where `first` beats `second` most, and where `second` beats `first` most (kept-cell indices)."""
    diff = result.attribution[:, first] - result.attribution[:, second]
    order = np.argsort(-diff)
    k = min(k, len(diff))
    return order[:k], order[::-1][:k]


def point_sources(result: Atlas) -> list[str]:
    """For every point of the layout, the name of the picture (photo, upload or digit) its image came from."""
    return [result.sources.names[o] for o in result.sources.origin]


def source_share(result: Atlas, k: int) -> list[tuple[str, int]]:
    """Where the points of kept cell k came from: (picture name, count), most common first."""
    origins = result.sources.origin[result.cells.members(k)]
    values, counts = np.unique(origins, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return [(result.sources.names[values[i]], int(counts[i])) for i in order]


def timing_summary(seconds: dict[str, float]) -> str:
    """Each stage's time, in build order: 'images 0.1 s, activations 2.3 s, …'."""
    return ", ".join(f"{stage} {seconds[stage]:.1f} s" for stage in STAGES if stage in seconds)


def alternative_layout(result: Atlas, n_neighbors: int, min_dist: float) -> tuple[np.ndarray, float]:
    """The atlas's activations laid out again by UMAP with other settings (normalised to [0, 1]²), and how well that
    layout keeps each point's neighbours (trustworthiness)."""
    whitened = RECIPES[result.settings.recipe].whitened
    xy = atlas_layout.layout(result.activations, "umap", n_neighbors, min_dist, seed=result.settings.seed,
                             whitened=whitened)
    return atlas_layout.normalise(xy), atlas_layout.trustworthiness(result.activations, xy, whitened=whitened)


def compare_layouts(result: Atlas, neighbors: Sequence[int], min_dist: float,
                    progress: Progress | None = None) -> dict[int, tuple[np.ndarray, float]]:
    """The atlas's activations laid out again for each n_neighbors value (`alternative_layout`), one stage each,
    reported to `progress`: n_neighbors → (layout in [0, 1]², trustworthiness)."""
    layouts = {}
    for number, k in enumerate(neighbors):
        sub_range(progress, number / len(neighbors), (number + 1) / len(neighbors))(
            0.0, f"UMAP with n_neighbors = {k} ({number + 1} of {len(neighbors)}) on {len(result.xy):,} points, "
                 "then how well it keeps neighbourhoods…")
        layouts[int(k)] = alternative_layout(result, int(k), min_dist)
    if progress is not None:
        progress(1.0, "Layouts ready")
    return layouts


def layout_table(result: Atlas) -> pd.DataFrame:
    """Every point of the atlas's layout: where its image came from, its place in [0, 1]² and its grid cell (row 1 is
    the top)."""
    cells = atlas_layout.cell_of(result.xy, result.settings.grid)
    return pd.DataFrame({"point": np.arange(len(result.xy)), "source": point_sources(result),
                         "x": result.xy[:, 0], "y": result.xy[:, 1], "row": cells[:, 0] + 1, "column": cells[:, 1] + 1})


def comparison_table(result: Atlas, layouts: dict[int, tuple[np.ndarray, float]]) -> pd.DataFrame:
    """The points under each n_neighbors value, in long form: n_neighbors, trustworthiness, point, source, x, y."""
    sources = point_sources(result)
    return pd.concat([pd.DataFrame({"n_neighbors": k, "trustworthiness": kept, "point": np.arange(len(xy)),
                                    "source": sources, "x": xy[:, 0], "y": xy[:, 1]})
                      for k, (xy, kept) in layouts.items()], ignore_index=True)


def cost_summary(seconds: dict[str, float]) -> str:
    """A sentence naming the stage that took longest and its share of the whole build."""
    total = sum(seconds.values())
    slowest = max(seconds, key=seconds.get)
    share = seconds[slowest] / total if total > 0 else 0.0
    return (f"This one took {total:.0f} s; the longest stage was **{slowest}** ({seconds[slowest]:.1f} s, "
            f"{share:.0%} of the time).")


def neighbours_summary(trust: dict[int, float]) -> str:
    """A sentence: which n_neighbors keeps neighbourhoods best (trustworthiness), or that they tie at 3 decimals."""
    shown = {k: round(v, 3) for k, v in trust.items()}
    best = max(shown, key=shown.get)
    worst = min(shown, key=shown.get)
    if shown[best] == shown[worst]:
        return f"All {len(shown)} layouts keep neighbourhoods equally well to three decimals ({shown[best]:.3f})."
    return (f"n_neighbors = {best} keeps neighbourhoods best here ({shown[best]:.3f}), n_neighbors = {worst} worst "
            f"({shown[worst]:.3f}). Do the regions move, merge or split between the three?")


def icon_target(readings: np.ndarray, probabilities: np.ndarray) -> int:
    """The class to look for in the "find a cell" task: the one the network reads most icons as (on a tie, the one
    it reads more confidently on average, then the lower class index)."""
    readings, probabilities = np.asarray(readings), np.asarray(probabilities, np.float64)
    if len(readings) == 0:
        raise ValueError("an atlas without icons has nothing to find")
    classes, counts = np.unique(readings, return_counts=True)
    confidence = np.array([probabilities[readings == c].mean() for c in classes])
    best = max(range(len(classes)), key=lambda i: (counts[i], confidence[i], -classes[i]))
    return int(classes[best])


def agreeing_icons(result: Atlas, readings: np.ndarray) -> int:
    """How many icons the network reads as their cell's strongest class (by the atlas's attribution)."""
    if len(readings) == 0:
        return 0
    return int((np.asarray(readings) == result.attribution.argmax(axis=1)).sum())


def inspect_facts(result: Atlas, chosen: int, readings: np.ndarray, probabilities: np.ndarray,
                  names: Sequence[str]) -> dict[str, object]:
    """What section 2 hands its exercises: the chosen cell's icon reading, and the "find a cell" target with how
    many icons the network reads as it."""
    reading, target = int(readings[chosen]), icon_target(readings, probabilities)
    return {"cell_class": reading, "cell_name": names[reading], "cell_probability": float(probabilities[chosen]),
            "target_class": target, "target_name": names[target], "target_count": int((readings == target).sum()),
            "kept": len(result.cells.kept)}
