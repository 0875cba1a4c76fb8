"""A sweep of many networks against one neural data set: every layer of every network, every cell, one tidy table.

Each member of the zoo is a network with one kind of weights, ``(model key, "pretrained" | "random")``. A member's
part of the table comes from the cortex pipeline (`pipeline.layer_grams`, `select_cells`, `score_cells`: the same
projection, ridge and shuffles as the mouse-cortex lesson) and is written as Parquet under
``cache_dir()/zoo/<data fingerprint>/<model>-<weights>-<cells>-<shuffles>.parquet`` as soon as it is finished, so a
sweep that is stopped resumes where it stopped and a finished part is never computed again. Members run one after the
other in this process (``engine="local"``) or as Ray tasks (``engine="ray"``, `lessons.cortex.zoo_ray`), with
identical tables.

From a shell (progress on stderr, the summary on stdout)::

    python -m lessons.cortex.zoo --cells 1000 --engine ray --out zoo.parquet
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lessons.core import cache, chance, registry, runtime
from lessons.core.progress import Progress, silent, sub_range
from lessons.cortex import pipeline as cortex_pipeline
from lessons.cortex.data import NeuralBundle

Member = tuple[str, registry.Weights]
ENGINES = ("local", "ray")
COLUMNS = ("model", "weights", "layer", "layer_index", "area", "cell", "score", "null", "p")
_CATEGORIES = ("model", "weights", "layer", "area")
_NUMBERS = {"layer_index": "int64", "cell": "int64", "score": "float64", "null": "float64", "p": "float64"}
#: Changes when the recipe of a part changes; a part written under another version is computed again.
PART_VERSION = "1"
_VERSION_KEY = b"zero_to_brains_zoo_part"
SUMMARY_COLUMNS = ("model", "weights", "title", "task", "trained_on", "top1", "depth", "params", "best_layer",
                   "best_layer_index", "features", "score", "chance", "trained")


# --------------------------------------------------------------------------------------------------------- members
def offline_members() -> list[Member]:
    """Every zoo network whose pretrained weights are on this computer, each followed by its random-weights twin."""
    members: list[Member] = []
    for key in registry.zoo_keys():
        if registry.availability(key, "pretrained").ok:
            members += [(key, "pretrained"), (key, "random")]
    return members


def member_label(member: Member) -> str:
    """A member's readable name: the network's title and its weights ("EfficientNet-Lite1 (random)")."""
    key, weights = member
    return f"{registry.spec_for(key).title} ({weights})"


def check_members(members: Sequence[Member]) -> list[Member]:
    """The members as a list of (key, weights) pairs; a clear ValueError for an unknown network or weights, or a
    member named twice."""
    checked: list[Member] = []
    for member in members:
        key, weights = member
        if key not in registry.REGISTRY:
            raise ValueError(f"unknown network {key!r}; the registry has {', '.join(registry.REGISTRY)}")
        if weights not in ("pretrained", "random"):
            raise ValueError(f"weights must be 'pretrained' or 'random', not {weights!r} (network {key!r})")
        if (key, weights) in checked:
            raise ValueError(f"{key} with {weights} weights is listed twice")
        checked.append((key, weights))
    return checked


# ---------------------------------------------------------------------------------------------------- one member
def part_table(scores: cortex_pipeline.BrainScores) -> pd.DataFrame:
    """One member's rows of the tidy table, layer by layer: every cell's score, the layer's chance level (the mean
    shuffled score at that layer) and the cell's permutation p-value against that layer's shuffled scores."""
    n_layers, n_cells = scores.score.shape
    p = np.stack([chance.pooled_p_values(scores.score[i], scores.null[i]) for i in range(n_layers)])
    frame = pd.DataFrame({
        "model": np.full(n_layers * n_cells, scores.model_key, dtype=object),
        "weights": np.full(n_layers * n_cells, scores.weights, dtype=object),
        "layer": np.repeat(np.array(scores.layers, dtype=object), n_cells),
        "layer_index": np.repeat(np.arange(n_layers, dtype=np.int64), n_cells),
        "area": np.tile(scores.cells["cortical_area"].to_numpy(dtype=object), n_layers),
        "cell": np.tile(scores.cells["cell_specimen_id"].to_numpy(dtype=np.int64), n_layers),
        "score": scores.score.astype(np.float64).ravel(),
        "null": np.repeat(scores.layer_chance().astype(np.float64), n_cells),
        "p": p.astype(np.float64).ravel(),
    })
    return frame


def member_part(bundle: NeuralBundle, member: Member, cell_indices: np.ndarray, shuffles: int,
                progress: Progress | None = None, threads: int | None = None) -> pd.DataFrame:
    """Score one member on the chosen cells (the work of one part, wherever it runs). `threads` caps torch's threads
    (a Ray task uses the cores it was given)."""
    key, weights = member
    registry.load_model(key, weights, progress=sub_range(progress, 0.0, 0.1))  # digit networks train on first use
    if threads:
        runtime.configure_threads(threads)
    grams = cortex_pipeline.layer_grams(bundle, key, weights, progress=sub_range(progress, 0.1, 0.7))
    scores = cortex_pipeline.score_cells(grams, bundle, cell_indices, shuffles=shuffles,
                                         progress=sub_range(progress, 0.7, 1.0))
    return part_table(scores)


# -------------------------------------------------------------------------------------------------------- parts
def cells_label(bundle: NeuralBundle, n_cells: int | None) -> str:
    """How a part's file name states the cells: their number, or "all"."""
    return "all" if n_cells is None or n_cells >= bundle.n_cells else str(int(n_cells))


def part_path(bundle: NeuralBundle, member: Member, n_cells: int | None, shuffles: int) -> Path:
    """Where one member's part of the table is cached."""
    key, weights = member
    name = f"{key}-{weights}-{cells_label(bundle, n_cells)}-{int(shuffles)}.parquet"
    return cache.cache_dir() / "zoo" / bundle.fingerprint / name


def save_part(path: Path, frame: pd.DataFrame) -> bool:
    """Write a part atomically, stamped with the part version (False when the cache is not writable)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _VERSION_KEY: PART_VERSION.encode()})
    return cache.save_atomically(path, lambda handle: pq.write_table(table, handle))


def read_part(path: Path) -> pd.DataFrame | None:
    """A cached part, or None when it is missing, unreadable, of another version or not a part at all."""
    if not path.is_file():
        return None
    try:
        table = pq.read_table(path)
        if (table.schema.metadata or {}).get(_VERSION_KEY) != PART_VERSION.encode():
            return None
        frame = table.to_pandas()
    except (OSError, ValueError, pa.ArrowException):
        return None
    if tuple(frame.columns) != COLUMNS or frame.empty:
        return None
    return frame


def tidy(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate parts into the table with fixed dtypes: strings as categories (in order of appearance), integer
    indices and ids, float scores."""
    if not parts:
        frame = pd.DataFrame({column: [] for column in COLUMNS})
    else:
        frame = pd.concat([part.loc[:, list(COLUMNS)] for part in parts], ignore_index=True)
    for column in _CATEGORIES:
        values = frame[column].astype(object).to_numpy()
        frame[column] = pd.Categorical(values, categories=pd.unique(values))
    return frame.astype(_NUMBERS)


# --------------------------------------------------------------------------------------------------------- sweep
def sweep(bundle: NeuralBundle, members: Sequence[Member], n_cells: int | None = None,
          shuffles: int = chance.SHUFFLES, engine: str = "local", address: str | None = None,
          progress: Progress | None = None, num_cpus: int | None = None) -> pd.DataFrame:
    """Every layer of every member against `n_cells` cells (all for None): one row per (model, weights, layer, cell)
    with columns `COLUMNS`. Finished parts are read from the cache; the rest are computed here (`engine="local"`) or as
    Ray tasks (`engine="ray"`, on a local Ray of `num_cpus` cores, or the cluster at `address`/RAY_ADDRESS)."""
    members = check_members(members)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if shuffles < 1:
        raise ValueError("a chance level needs at least one shuffle")
    if n_cells is not None and n_cells < 1:
        raise ValueError("score at least one cell")
    report = progress or silent
    total = max(len(members), 1)
    parts = {member: read_part(part_path(bundle, member, n_cells, shuffles)) for member in members}
    for i, member in enumerate(members):
        if parts[member] is not None:
            report((i + 1) / total, f"{member_label(member)}: reused from the cache")
    missing = [member for member in members if parts[member] is None]
    cell_indices = cortex_pipeline.select_cells(bundle, n_cells)
    if engine == "ray" and missing:
        from lessons.cortex import zoo_ray

        done = (total - len(missing)) / total
        computed = zoo_ray.run_members(bundle, missing, n_cells, shuffles, address, num_cpus,
                                       progress=sub_range(report, done, 1.0))
        parts.update(zip(missing, computed))
    else:
        for member in missing:
            i = members.index(member)
            stage = sub_range(report, i / total, (i + 1) / total, prefix=f"{member_label(member)}: ")
            part = member_part(bundle, member, cell_indices, shuffles, stage)
            save_part(part_path(bundle, member, n_cells, shuffles), part)
            parts[member] = part
    report(1.0, f"Zoo: {len(members)} networks scored")
    return tidy([parts[member] for member in members])


# ------------------------------------------------------------------------------------------------------- summary
def summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per member: the network's facts and its best layer (highest mean score over cells), with that layer's
    mean score, chance level and features per image."""
    rows = []
    for (key, weights), part in table.groupby(["model", "weights"], sort=False, observed=True):
        by_layer = (part.groupby("layer_index", sort=True)
                    .agg(layer=("layer", "first"), score=("score", "mean"), chance=("null", "mean")))
        best_index = int(by_layer["score"].idxmax())
        best = by_layer.loc[best_index]
        facts = registry.model_facts(str(key))
        trained = weights == "pretrained"
        rows.append({
            "model": str(key), "weights": str(weights), "title": facts.title, "task": facts.task,
            "trained_on": facts.trained_on,
            "top1": float(facts.top1) if trained and facts.top1 is not None else np.nan,
            "depth": int(facts.depth), "params": int(facts.params), "best_layer": str(best["layer"]),
            "best_layer_index": best_index, "features": int(facts.features[str(best["layer"])]),
            "score": float(best["score"]), "chance": float(best["chance"]), "trained": trained,
        })
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


# ----------------------------------------------------------------------------------------------------------- CLI
def _members_of(models: str | None) -> list[Member]:
    if not models:
        return offline_members()
    members: list[Member] = []
    for key in [k.strip() for k in models.split(",") if k.strip()]:
        if key not in registry.REGISTRY:
            raise ValueError(f"unknown network {key!r}; the zoo has {', '.join(registry.zoo_keys(offline_only=False))}")
        status = registry.availability(key, "pretrained")
        if status.ok:
            members.append((key, "pretrained"))
        else:
            print(f"{key}: pretrained weights skipped ({status.reason})", file=sys.stderr)
        members.append((key, "random"))
    return members


class _StderrProgress:
    """Progress lines on stderr, each message once (Ray's heartbeat repeats itself while tasks run)."""

    def __init__(self) -> None:
        self.last = ""

    def __call__(self, fraction: float, message: str) -> None:
        if message != self.last:
            print(f"[{fraction:6.1%}] {message}", file=sys.stderr, flush=True)
            self.last = message


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sweep from a shell: progress to stderr, the summary to stdout, the table to `--out` if given."""
    parser = argparse.ArgumentParser(prog="python -m lessons.cortex.zoo", description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="comma-separated registry keys (default: every offline zoo network)")
    parser.add_argument("--cells", type=int, default=None, help="number of cells (default: all)")
    parser.add_argument("--shuffles", type=int, default=chance.SHUFFLES, help="shuffles behind each chance level")
    parser.add_argument("--engine", choices=ENGINES, default="local")
    parser.add_argument("--address", default=None, help="an existing Ray cluster (default: $RAY_ADDRESS, else a "
                                                         "local Ray started for the run)")
    parser.add_argument("--cpus", type=int, default=None, help="cores of a local Ray (default: every usable core)")
    parser.add_argument("--out", type=Path, default=None, help="write the table to this .csv or .parquet file")
    args = parser.parse_args(argv)
    if args.out is not None and args.out.suffix not in (".csv", ".parquet"):
        parser.error("--out must end in .csv or .parquet")
    from lessons.cortex import simulated

    try:
        members = _members_of(args.models)
        report = _StderrProgress()
        bundle = simulated.load_or_build(progress=report)
        table = sweep(bundle, members, n_cells=args.cells, shuffles=args.shuffles, engine=args.engine,
                      address=args.address, progress=report, num_cpus=args.cpus)
    except (ValueError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if args.out.suffix == ".csv":
            table.to_csv(args.out, index=False)
        else:
            table.to_parquet(args.out, index=False)
        print(f"table: {len(table):,} rows → {args.out}", file=sys.stderr)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary(table).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
