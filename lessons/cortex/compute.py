"""The cortex lesson's small analyses of its tables: which cells a filter keeps, which cells RSA uses, which cell to
show first, per-area counts, which weights to score and the table a student downloads.

Pure functions on the bundle's cell table and the pipeline's results (`pipeline.BrainScores.cell_table()`); the page
shows what they return. No Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lessons.cortex.data import AREAS, LAYERS, NeuralBundle

#: How many cells the regression scores: a proportional sample of 250 or 1,000, or every cell.
SUBSET_SIZES: dict[str, int | None] = {"250": 250, "1000": 1000, "all": None}
DEFAULT_SUBSET = "250"  # the page's default: a few seconds of regression
RELIABILITY_STEP = 0.05  # the reliability slider's step; its lowest value is a multiple of it
RSA_MIN_RELIABILITY = 0.5  # RSA uses the cells at least this reliable …
RSA_MIN_CELLS = 12  # … when there are at least this many of them (else every scored cell)
SHOWCASE_RELIABILITY = 0.7  # the first scored cell shown is the best-predicted one at least this reliable
CELL_LIST_LIMIT = 400  # the most reliable cells offered in "Look at one cell"
DRIVING_IMAGES = 4  # most and least driving images shown for a cell
NO_SELECTION = "none"  # link text of a multiple-choice filter with nothing chosen


@dataclass(frozen=True)
class CellRanges:
    """What the cell filters can offer for one bundle: areas and layers present, depths, the lowest reliability."""

    areas: list[str]
    layers: list[str]
    depth: tuple[int, int]  # (shallowest, deepest) µm; the deepest is at least one more than the shallowest
    reliability_floor: float  # the lowest reliability, rounded down to the slider's step (never above 0)


def reliability_floor(cells: pd.DataFrame, step: float = RELIABILITY_STEP) -> float:
    """The lowest reliability among the cells, rounded down to a multiple of `step` and never above 0 (0 when no
    cell has one)."""
    reliability = cells["reliability"]
    if not reliability.notna().any():
        return 0.0
    per_unit = round(1 / step)
    lowest = min(0.0, float(reliability.min(skipna=True)))
    return float(np.floor(lowest * per_unit) / per_unit)


def cell_ranges(cells: pd.DataFrame) -> CellRanges:
    """The areas and layers present (in the canonical order), the depth range and the reliability floor."""
    areas = [a for a in AREAS if a in set(cells["cortical_area"])]
    layers = [layer for layer in LAYERS if layer in set(cells["cortical_layer"])]
    shallowest, deepest = int(cells["imaging_depth"].min()), int(cells["imaging_depth"].max())
    return CellRanges(areas, layers, (shallowest, max(deepest, shallowest + 1)), reliability_floor(cells))


def filter_cells(cells: pd.DataFrame, areas: Sequence[str], layers: Sequence[str], depth: tuple[float, float],
                 min_reliability: float, floor: float) -> pd.DataFrame:
    """The cells in the chosen areas, layers and depth range whose reliability reaches `min_reliability`, most
    reliable first; a cell without a reliability counts as `floor` (shown at the lowest setting)."""
    keep = (cells["cortical_area"].isin(areas) & cells["cortical_layer"].isin(layers)
            & cells["imaging_depth"].between(*depth) & (cells["reliability"].fillna(floor) >= min_reliability))
    return cells[keep].sort_values("reliability", ascending=False)


def encode_selection(selected: Sequence[str], options: Sequence[str]) -> str:
    """A multiple choice as link text: "" when every option is chosen (the default), NO_SELECTION when none is,
    else the chosen options joined by commas in the options' order."""
    chosen = [option for option in options if option in set(selected)]
    if len(chosen) == len(options):
        return ""
    return ",".join(chosen) if chosen else NO_SELECTION


def decode_selection(text: str, options: Sequence[str]) -> list[str]:
    """The options that link text from `encode_selection` stands for; text naming no known option means all."""
    if text == NO_SELECTION:
        return []
    named = set(text.split(","))
    chosen = [option for option in options if option in named]
    return chosen or list(options)


def weights_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per-area, per-layer tables of several kinds of weights (`BrainScores.area_layer_table()`) as one table with
    the weights first."""
    frames = [table.assign(weights=weights) for weights, table in tables.items()]
    joined = pd.concat(frames, ignore_index=True)
    return joined[["weights", *[c for c in joined.columns if c != "weights"]]]


def prediction_table(images: Sequence[str], measured: np.ndarray, predicted: np.ndarray) -> pd.DataFrame:
    """One cell's measured response and held-out prediction per image."""
    return pd.DataFrame({"image": list(images), "measured": np.asarray(measured, dtype=float),
                         "predicted_held_out": np.asarray(predicted, dtype=float)})


def similarity_table(similarity: np.ndarray, areas: Sequence[str], layers: Sequence[str]) -> pd.DataFrame:
    """RDM similarity of every area (rows) with every layer (columns), for a CSV."""
    table = pd.DataFrame(np.asarray(similarity, dtype=float), columns=list(layers))
    table.insert(0, "area", list(areas))
    return table


def negative_reliability_count(cells: pd.DataFrame) -> int:
    """How many cells have a negative reliability (their two halves of trials disagree)."""
    return int((cells["reliability"] < 0).sum())


def driving_images(response: np.ndarray, count: int = DRIVING_IMAGES) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the `count` images that drive a cell most (strongest first) and least (in descending order)."""
    order = np.argsort(-np.asarray(response))
    return order[:count], order[-count:]


def condition_labels(bundle: NeuralBundle) -> list[str]:
    """A label per condition ('image N' or 'blank')."""
    return [bundle.condition_label(c) for c in range(bundle.n_conditions)]


def twin_of(weights: str) -> str:
    """The other kind of weights: the random twin of trained weights, and the trained ones of the random twin."""
    return "random" if weights == "pretrained" else "pretrained"


def weights_to_score(weights: str, pretrained_available: bool) -> list[str]:
    """The weights to run, the chosen ones first: the twin is added unless it needs trained weights that are missing."""
    twin = twin_of(weights)
    return [weights] + ([twin] if twin == "random" or pretrained_available else [])


def rsa_cells(cell_indices: np.ndarray, reliability: np.ndarray) -> np.ndarray:
    """The scored cells RSA compares: those at least `RSA_MIN_RELIABILITY` reliable when there are at least
    `RSA_MIN_CELLS` of them, else all of them (`reliability` is the whole bundle's, indexed by cell)."""
    cell_indices = np.asarray(cell_indices)
    reliable = cell_indices[np.asarray(reliability)[cell_indices] >= RSA_MIN_RELIABILITY]
    return reliable if len(reliable) >= RSA_MIN_CELLS else cell_indices


def showcase_cell(cell_table: pd.DataFrame, preferred: object = None) -> int:
    """The scored cell to show first: `preferred` (an id, or its text as a link holds it) when it was scored, else
    the best-predicted cell among the reliable ones (all cells when none is reliable enough)."""
    ids = [str(cell) for cell in cell_table["cell_specimen_id"].tolist()]
    if preferred is not None and str(preferred) in ids:
        return int(str(preferred))
    reliable = cell_table[cell_table["reliability"] >= SHOWCASE_RELIABILITY]
    pool = reliable if not reliable.empty else cell_table
    return int(pool.sort_values("score").iloc[-1]["cell_specimen_id"])


def above_chance_by_area(cell_table: pd.DataFrame) -> dict[str, int]:
    """How many scored cells of each area beat chance."""
    return {str(area): int(count) for area, count in cell_table.groupby("cortical_area")["above_chance"].sum().items()}


def above_chance_count(cell_table: pd.DataFrame) -> int:
    """How many scored cells beat chance."""
    return int(cell_table["above_chance"].sum())


def share_above_chance(cell_table: pd.DataFrame) -> float:
    """The share of scored cells that beat chance (0 when none was scored)."""
    above = cell_table["above_chance"].to_numpy()
    return float(above.mean()) if len(above) else 0.0


def export_table(cell_table: pd.DataFrame, source: str,
                 twin_scores: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """The per-cell table a student downloads: the data's source first, then the cell table, then a
    `score_<weights>` column for each twin that was scored too."""
    export = cell_table.copy()
    for weights, scores in (twin_scores or {}).items():
        export[f"score_{weights}"] = np.asarray(scores)
    export.insert(0, "data", source)
    return export
