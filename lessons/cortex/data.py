"""The neural data bundle: stimuli, mean responses per cell and condition, trial halves and a cell table.

A bundle is a folder, or a .zip of one (files may sit at the top level or inside one folder), holding:

``bundle.json``
    ``{"format": "zero-to-brains-neural-bundle", "version": 1, "name": ..., "source": ..., "simulated": true|false,
    "blank_condition": <int or null>, "citation": ..., "license": ...}`` and optional ``"notes"``, ``"n_trials"``.
``stimuli.npy``
    images × height × width, grayscale, uint8 (0–255) or float in [0, 1].
``responses.npy``
    cells × conditions, float: the mean response (dF/F) of each cell to each condition, averaged over trials.
    The conditions are the images in order, with the blank (a grey screen) inserted at ``blank_condition`` when
    there is one, so conditions = images (+ 1).
``responses_even.npy``, ``responses_odd.npy`` (optional, both or neither)
    the same means over even- and odd-numbered trials: what the split-half noise ceiling needs.
``trials.npy`` (optional)
    cells × conditions × trials, float, NaN for a missing trial; when the halves are absent they are computed from it.
``cells.csv``
    one row per cell, in the order of the response rows, with at least ``cell_specimen_id`` (unique integers),
    ``cortical_area`` (VISp, VISl, VISal, VISrl, VISpm or VISam), ``cortical_layer`` (2/3, 4, 5 or 6),
    ``imaging_depth`` (µm), ``cre_line`` and ``reliability`` (split-half, Spearman–Brown corrected; may be left out
    when the halves are present, and is then computed). Further columns are kept.

Arrays are read with ``np.load(..., allow_pickle=False)``: a file holding Python objects is refused. Every problem
raises ``BundleError`` (a ``ValueError``) whose message names the file and what is wrong with it.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from lessons.cortex import brain_score

FORMAT = "zero-to-brains-neural-bundle"
VERSION = 1
AREAS: tuple[str, ...] = ("VISp", "VISl", "VISal", "VISrl", "VISpm", "VISam")
LAYERS: tuple[str, ...] = ("2/3", "4", "5", "6")
REQUIRED_COLUMNS: tuple[str, ...] = (
    "cell_specimen_id", "cortical_area", "cortical_layer", "imaging_depth", "cre_line", "reliability")
FILES = ("bundle.json", "stimuli.npy", "responses.npy", "cells.csv")
OPTIONAL_FILES = ("responses_even.npy", "responses_odd.npy", "trials.npy")
MAX_UNCOMPRESSED_BYTES = 1 << 30  # a zip that would expand beyond 1 GiB is refused
BLANK_GREY = 127


class BundleError(ValueError):
    """A bundle that cannot be used; the message says which file and what is wrong."""


@dataclass(frozen=True, eq=False)
class NeuralBundle:
    """Stimuli, responses (cells × conditions), optional trial halves and the cell table of one data set."""

    name: str
    source: str
    simulated: bool
    stimuli: np.ndarray  # (images, H, W) uint8
    responses: np.ndarray  # (cells, conditions) float32
    cells: pd.DataFrame
    blank_condition: int | None = None
    even: np.ndarray | None = None  # (cells, conditions) float32
    odd: np.ndarray | None = None
    citation: str = ""
    license: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return int(self.responses.shape[0])

    @property
    def n_images(self) -> int:
        """Number of images (conditions without the blank)."""
        return int(self.stimuli.shape[0])

    @property
    def n_conditions(self) -> int:
        """Number of conditions (images, plus the blank when there is one)."""
        return int(self.responses.shape[1])

    @property
    def image_conditions(self) -> np.ndarray:
        """Indices of the conditions that show an image, in image order."""
        keep = np.ones(self.n_conditions, dtype=bool)
        if self.blank_condition is not None:
            keep[self.blank_condition] = False
        return np.flatnonzero(keep)

    def condition_images(self) -> np.ndarray:
        """One uint8 image per condition (conditions × H × W); the blank is a uniform mid-grey screen."""
        out = np.full((self.n_conditions, *self.stimuli.shape[1:]), BLANK_GREY, dtype=np.uint8)
        out[self.image_conditions] = self.stimuli
        return out

    def condition_label(self, condition: int) -> str:
        """'blank' or 'image N' for a condition index."""
        if condition == self.blank_condition:
            return "blank"
        return f"image {int(np.searchsorted(self.image_conditions, condition))}"

    @cached_property
    def fingerprint(self) -> str:
        """A short content hash (for caches keyed by data)."""
        digest = hashlib.sha1()
        for array in (self.stimuli, self.responses):
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(self.cells["cell_specimen_id"].to_numpy(np.int64).tobytes())
        digest.update(str(self.blank_condition).encode())
        return digest.hexdigest()[:16]

    @cached_property
    def stimulus_fingerprint(self) -> str:
        """A short hash of what a network sees: the condition images (stimuli and blank position)."""
        digest = hashlib.sha1(np.ascontiguousarray(self.stimuli).tobytes())
        digest.update(str(self.blank_condition).encode())
        return digest.hexdigest()[:16]

    @property
    def has_halves(self) -> bool:
        """Whether even/odd trial means are present."""
        return self.even is not None and self.odd is not None

    def subset(self, cell_indices: np.ndarray | list[int]) -> NeuralBundle:
        """The same bundle restricted to some cells (rows), in the given order."""
        idx = np.asarray(cell_indices, dtype=np.int64)
        return replace(
            self, responses=self.responses[idx], cells=self.cells.iloc[idx].reset_index(drop=True),
            even=None if self.even is None else self.even[idx], odd=None if self.odd is None else self.odd[idx])


# --------------------------------------------------------------------------------------------------------- reading
def _read_members(source: str | Path | bytes) -> dict[str, bytes]:
    """Map of bundle file name → bytes, from a folder, a .zip path or zip bytes."""
    if isinstance(source, (bytes, bytearray)):
        return _zip_members(bytes(source), "the upload")
    path = Path(source)
    if path.is_dir():
        return {f.name: f.read_bytes() for f in path.iterdir() if f.is_file() and f.name in FILES + OPTIONAL_FILES}
    if path.is_file():
        return _zip_members(path.read_bytes(), path.name)
    raise BundleError(f"no bundle at {path}: it is neither a folder nor a file")


def _zip_members(raw: bytes, label: str) -> dict[str, bytes]:
    if not raw:
        raise BundleError(f"{label} is empty")
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise BundleError(f"{label} is not a zip file: pack the bundle's files into a .zip") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir() and not PurePosixPath(i.filename).name.startswith(".")]
        if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED_BYTES:
            raise BundleError(f"{label} would expand to more than {MAX_UNCOMPRESSED_BYTES >> 20} MB")
        wanted = {}
        for info in infos:
            name = PurePosixPath(info.filename).name
            if name not in FILES + OPTIONAL_FILES or "__MACOSX" in info.filename:
                continue
            if len(PurePosixPath(info.filename).parts) > 2:
                continue  # only the top level or one folder deep
            if name in wanted:
                raise BundleError(f"{label} holds more than one {name}")
            try:
                wanted[name] = archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError) as error:
                raise BundleError(f"{name} in {label} cannot be read: the zip is damaged ({error})") from None
    return wanted


NPY_MAGIC = b"\x93NUMPY"


def _load_array(members: dict[str, bytes], name: str) -> np.ndarray:
    raw = members[name]
    if not raw.startswith(NPY_MAGIC):
        start = raw[:16].decode("ascii", errors="replace").strip() or "nothing"
        raise BundleError(f"{name} is not a NumPy array file (it starts with {start!r}); save each array with "
                          "numpy.save")
    try:
        array = np.load(io.BytesIO(members[name]), allow_pickle=False)
    except ValueError as error:
        if "pickle" in str(error).lower() or "object" in str(error).lower():
            raise BundleError(f"{name} holds Python objects; only plain numeric arrays are accepted") from None
        raise BundleError(f"{name} is not a valid .npy array ({error})") from None
    except (OSError, EOFError) as error:
        raise BundleError(f"{name} is not a valid .npy array ({error})") from None
    if not isinstance(array, np.ndarray):
        raise BundleError(f"{name} must be a single .npy array, not an .npz archive")
    return array


def _check_stimuli(stimuli: np.ndarray) -> np.ndarray:
    if stimuli.ndim != 3:
        raise BundleError(f"stimuli.npy must be images × height × width (grayscale), got shape {stimuli.shape}")
    if stimuli.shape[0] < 3 or min(stimuli.shape[1:]) < 8:
        raise BundleError(f"stimuli.npy is too small: {stimuli.shape} (need at least 3 images of 8×8 pixels)")
    if stimuli.dtype == np.uint8:
        return stimuli
    if not np.issubdtype(stimuli.dtype, np.floating):
        raise BundleError(f"stimuli.npy must be uint8 (0–255) or float in [0, 1], got {stimuli.dtype}")
    if not np.isfinite(stimuli).all():
        raise BundleError("stimuli.npy contains NaN or infinite pixels")
    if stimuli.min() < 0 or stimuli.max() > 1:
        raise BundleError(f"float stimuli must lie in [0, 1]; stimuli.npy spans {stimuli.min():.3g} to "
                          f"{stimuli.max():.3g}")
    return np.round(stimuli * 255).astype(np.uint8)


def _check_matrix(array: np.ndarray, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    if array.ndim != 2:
        raise BundleError(f"{name} must be cells × conditions (2-D), got shape {array.shape}")
    if shape is not None and array.shape != shape:
        raise BundleError(f"{name} has shape {array.shape}, but responses.npy has {shape}")
    if not np.issubdtype(array.dtype, np.floating):
        raise BundleError(f"{name} must hold floating-point mean dF/F values, got {array.dtype}")
    bad = ~np.isfinite(array)
    if bad.any():
        cell, condition = np.argwhere(bad)[0]
        raise BundleError(f"{name} has {int(bad.sum())} NaN or infinite values (first at cell row {cell}, "
                          f"condition {condition})")
    return array.astype(np.float32, copy=False)


def _halves_from_trials(trials: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    if trials.ndim != 3 or trials.shape[:2] != shape:
        raise BundleError(f"trials.npy must be cells × conditions × trials with {shape[0]} cells and {shape[1]} "
                          f"conditions, got shape {trials.shape}")
    if not np.issubdtype(trials.dtype, np.floating):
        raise BundleError(f"trials.npy must be float (NaN for missing trials), got {trials.dtype}")
    if np.isinf(trials).any():
        raise BundleError("trials.npy contains infinite values")
    halves = []
    for part, label in ((trials[:, :, 0::2], "even"), (trials[:, :, 1::2], "odd")):
        counts = np.isfinite(part).sum(axis=2)
        if (counts == 0).any():
            cell, condition = np.argwhere(counts == 0)[0]
            raise BundleError(f"trials.npy has no {label}-numbered trial for cell row {cell}, condition {condition}")
        halves.append((np.nansum(part, axis=2) / counts).astype(np.float32))
    return halves[0], halves[1]


def _normalise_layer(value: object) -> str:
    text = str(value).strip().upper().removeprefix("L").replace("LAYER", "").strip()
    return {"23": "2/3", "2-3": "2/3", "2/3": "2/3", "4": "4", "5": "5", "6": "6"}.get(text, str(value).strip())


def _check_cells(raw: bytes, n_cells: int, halves: tuple[np.ndarray, np.ndarray] | None) -> pd.DataFrame:
    try:
        cells = pd.read_csv(io.BytesIO(raw), dtype={"cortical_layer": str, "cre_line": str, "cortical_area": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise BundleError(f"cells.csv cannot be read as a CSV table ({error})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in cells.columns]
    if missing == ["reliability"] and halves is not None:
        cells["reliability"] = brain_score.split_half_reliability(*halves)
        missing = []
    if missing:
        raise BundleError(f"cells.csv lacks the column(s) {', '.join(missing)} (needs {', '.join(REQUIRED_COLUMNS)})")
    if len(cells) != n_cells:
        raise BundleError(f"cells.csv has {len(cells)} rows but responses.npy has {n_cells} cells")
    ids = pd.to_numeric(cells["cell_specimen_id"], errors="coerce")
    if ids.isna().any() or (ids != ids.round()).any():
        raise BundleError("cells.csv: every cell_specimen_id must be an integer")
    if ids.duplicated().any():
        dup = int(ids[ids.duplicated()].iloc[0])
        raise BundleError(f"cells.csv: cell_specimen_id {dup} appears more than once")
    cells["cell_specimen_id"] = ids.astype(np.int64)
    areas = cells["cortical_area"].astype(str).str.strip()
    unknown = sorted(set(areas) - set(AREAS))
    if unknown:
        raise BundleError(f"cells.csv: unknown cortical_area {', '.join(unknown[:5])} (use {', '.join(AREAS)})")
    cells["cortical_area"] = areas
    layers = cells["cortical_layer"].map(_normalise_layer)
    unknown = sorted(set(layers) - set(LAYERS))
    if unknown:
        raise BundleError(f"cells.csv: unknown cortical_layer {', '.join(unknown[:5])} (use {', '.join(LAYERS)})")
    cells["cortical_layer"] = layers
    depth = pd.to_numeric(cells["imaging_depth"], errors="coerce")
    if depth.isna().any() or (depth <= 0).any():
        raise BundleError("cells.csv: imaging_depth must be a positive number (µm) for every cell")
    cells["imaging_depth"] = depth
    cre = cells["cre_line"].fillna("").astype(str).str.strip()
    if (cre == "").any():
        raise BundleError(f"cells.csv: cre_line is empty for {int((cre == '').sum())} cell(s)")
    cells["cre_line"] = cre
    reliability = pd.to_numeric(cells["reliability"], errors="coerce")
    if reliability.isna().any() and not cells["reliability"].isna().equals(reliability.isna()):
        raise BundleError("cells.csv: reliability must be a number (or empty when unknown)")
    if (reliability > 1.000001).any():
        raise BundleError("cells.csv: reliability is a correlation and cannot exceed 1")
    cells["reliability"] = reliability.astype(np.float64)
    return cells.reset_index(drop=True)


def _check_meta(raw: bytes) -> dict:
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleError(f"bundle.json is not valid JSON ({error})") from None
    if not isinstance(meta, dict):
        raise BundleError("bundle.json must hold a JSON object")
    if meta.get("format") != FORMAT:
        raise BundleError(f'bundle.json must say "format": "{FORMAT}"')
    if meta.get("version") != VERSION:
        raise BundleError(f"bundle.json has version {meta.get('version')!r}; this app reads version {VERSION}")
    if not isinstance(meta.get("simulated"), bool):
        raise BundleError('bundle.json must say whether the data are simulated: "simulated": true or false')
    blank = meta.get("blank_condition")
    if blank is not None and (not isinstance(blank, int) or isinstance(blank, bool)):
        raise BundleError("bundle.json: blank_condition must be an integer or null")
    return meta


def from_members(members: dict[str, bytes]) -> NeuralBundle:
    """Validate and assemble a bundle from its files' bytes (see the module docstring for the format)."""
    absent = [name for name in FILES if name not in members]
    if absent:
        raise BundleError(f"the bundle has no {', '.join(absent)} (a bundle holds {', '.join(FILES)}, optionally "
                          f"{', '.join(OPTIONAL_FILES)})")
    meta = _check_meta(members["bundle.json"])
    stimuli = _check_stimuli(_load_array(members, "stimuli.npy"))
    responses = _check_matrix(_load_array(members, "responses.npy"), "responses.npy")
    blank = meta.get("blank_condition")
    expected = stimuli.shape[0] + (blank is not None)
    if responses.shape[1] != expected:
        blank_text = " + 1 blank" if blank is not None else " (no blank)"
        raise BundleError(f"responses.npy has {responses.shape[1]} conditions, but stimuli.npy has "
                          f"{stimuli.shape[0]} images{blank_text} = {expected}")
    if blank is not None and not 0 <= blank < responses.shape[1]:
        raise BundleError(f"bundle.json: blank_condition {blank} is outside 0…{responses.shape[1] - 1}")
    if responses.shape[0] < 1:
        raise BundleError("responses.npy has no cells")
    has_even, has_odd = "responses_even.npy" in members, "responses_odd.npy" in members
    if has_even != has_odd:
        raise BundleError("the bundle has only one of responses_even.npy and responses_odd.npy; give both or neither")
    halves = None
    if has_even:
        halves = (_check_matrix(_load_array(members, "responses_even.npy"), "responses_even.npy", responses.shape),
                  _check_matrix(_load_array(members, "responses_odd.npy"), "responses_odd.npy", responses.shape))
    elif "trials.npy" in members:
        halves = _halves_from_trials(_load_array(members, "trials.npy"), responses.shape)
    cells = _check_cells(members["cells.csv"], responses.shape[0], halves)
    extra = {k: v for k, v in meta.items() if k not in {"format", "version", "name", "source", "simulated",
                                                          "blank_condition", "citation", "license"}}
    return NeuralBundle(
        name=str(meta.get("name") or "unnamed bundle"), source=str(meta.get("source") or ""),
        simulated=bool(meta["simulated"]), stimuli=stimuli, responses=responses, cells=cells, blank_condition=blank,
        even=None if halves is None else halves[0], odd=None if halves is None else halves[1],
        citation=str(meta.get("citation") or ""), license=str(meta.get("license") or ""), meta=extra)


def load_bundle(source: str | Path | bytes) -> NeuralBundle:
    """Read and validate a bundle from a folder, a .zip file or zip bytes (raises BundleError with the reason)."""
    return from_members(_read_members(source))


# --------------------------------------------------------------------------------------------------------- writing
def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def to_members(bundle: NeuralBundle) -> dict[str, bytes]:
    """The bundle's files as name → bytes."""
    meta = {"format": FORMAT, "version": VERSION, "name": bundle.name, "source": bundle.source,
            "simulated": bundle.simulated, "blank_condition": bundle.blank_condition,
            "citation": bundle.citation, "license": bundle.license, **bundle.meta}
    members = {
        "bundle.json": json.dumps(meta, indent=2).encode("utf-8"),
        "stimuli.npy": _npy_bytes(bundle.stimuli.astype(np.uint8)),
        "responses.npy": _npy_bytes(bundle.responses.astype(np.float32)),
        "cells.csv": bundle.cells.to_csv(index=False).encode("utf-8"),
    }
    if bundle.has_halves:
        members["responses_even.npy"] = _npy_bytes(bundle.even.astype(np.float32))
        members["responses_odd.npy"] = _npy_bytes(bundle.odd.astype(np.float32))
    return members


def to_zip_bytes(bundle: NeuralBundle) -> bytes:
    """The bundle as the bytes of a .zip file (the same bundle always gives the same bytes: no time stamps)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in to_members(bundle).items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def save_bundle(bundle: NeuralBundle, path: str | Path) -> Path:
    """Write the bundle to a folder, or to a .zip file when `path` ends in .zip; returns the path."""
    target = Path(path)
    if target.suffix == ".zip":
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(to_zip_bytes(bundle))
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name, data in to_members(bundle).items():
        (target / name).write_bytes(data)
    return target
