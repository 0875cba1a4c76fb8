"""Import the Allen Brain Observatory's Visual Coding natural-scenes data into a neural bundle (see neural_data).

For people with an internet connection; the lesson never needs it. Run it as a command::

    python -m lessons.cortex.allen_import --out allen_bundle --areas VISp VISl --per-area 1

or from the lesson page's import button. What it does:

1. Downloads the public experiment list (``ophys_experiments.json``) of the Allen Institute's open data bucket and
   picks "three_session_B" experiments (the sessions that show the 118 natural scenes), a few per visual area.
2. Downloads each experiment's NWB file (HDF5; several hundred MB each). Downloads are resumable (HTTP Range
   requests continue a ``.part`` file), checked against the size the server announces and, where the server's
   ETag is a plain MD5, against that checksum; they report progress, give up after a time limit and can be
   cancelled.
3. Reads each file with h5py at the paths the Allen SDK uses (no dependency on the SDK itself):
   the stimulus template ``stimulus/templates/natural_scenes_image_stack/data`` (118 × 918 × 1174, uint8), the
   stimulus table ``stimulus/presentation/natural_scenes_stimulus/{data, frame_duration}`` (image index per
   presentation, −1 for the blank; start and end imaging frames), the dF/F traces
   ``processing/brain_observatory_pipeline/DfOverF/imaging_plane_1/data`` (cells × frames) and the cell ids
   ``processing/brain_observatory_pipeline/ImageSegmentation/cell_specimen_ids``; the area, depth and Cre line come
   from the experiment list, else from ``general/optophysiology/imaging_plane_1/{location, imaging depth}`` and
   ``general/subject/genotype``.
4. Each presentation's response is the mean dF/F from its onset for twice its duration (0.5 s for the 0.25 s
   images); responses are averaged per condition over all trials, and over even- and odd-numbered trials for the
   split-half reliability (Spearman–Brown corrected). The cortical layer follows the Cre line (Cux2: 2/3; Rorb,
   Scnn1a, Nr5a1: 4; Rbp4, Tlx3, Fezf2: 5; Ntsr1: 6), or the imaging depth for pan-excitatory and inhibitory lines.
5. Writes the bundle (images downsampled to a modest size), the blank as the last condition.

Data: Allen Brain Observatory – Visual Coding, © Allen Institute, used under the Allen Institute's terms of use
(https://alleninstitute.org/terms-of-use/); cite de Vries et al. (2020), Nature Neuroscience 23, 138–151.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from lessons.core import cache
from lessons.core.progress import Progress, sub_range
from lessons.cortex import brain_score
from lessons.cortex import data as neural_data

BASE_URL = "https://allen-brain-observatory.s3.us-west-2.amazonaws.com/visual-coding-2p/"
EXPERIMENTS_FILE = "ophys_experiments.json"
NWB_PATH = "ophys_experiment_data/{id}.nwb"
SESSION = "three_session_B"
PIPELINE = "processing/brain_observatory_pipeline"
TEMPLATE = "stimulus/templates/natural_scenes_image_stack/data"
PRESENTATION_GROUPS = ("stimulus/presentation/natural_scenes_stimulus", "stimulus/presentation/natural_scenes")
DFF = f"{PIPELINE}/DfOverF/imaging_plane_1/data"
CELL_IDS = f"{PIPELINE}/ImageSegmentation/cell_specimen_ids"
LOCATION = "general/optophysiology/imaging_plane_1/location"
DEPTH = "general/optophysiology/imaging_plane_1/imaging depth"
GENOTYPE = "general/subject/genotype"
SESSION_TYPE = "general/session_type"
IMAGE_HEIGHT = 240
CHUNK = 1 << 20
CITATION = ("Allen Brain Observatory – Visual Coding (2-photon), natural scenes. de Vries, S. E. J. et al. (2020). "
            "A large-scale standardized physiological survey reveals functional organization of the mouse visual "
            "cortex. Nature Neuroscience 23, 138–151.")
LICENSE = "Allen Institute terms of use: https://alleninstitute.org/terms-of-use/"
CRE_LAYER = {"Cux2": "2/3", "Rorb": "4", "Scnn1a": "4", "Nr5a1": "4", "Rbp4": "5", "Tlx3": "5", "Fezf2": "5",
             "Ntsr1": "6"}


class AllenImportError(RuntimeError):
    """The import could not be completed; the message says why in plain words."""


# --------------------------------------------------------------------------------------------------------- download
@dataclass
class DownloadControl:
    """Time limit and cancellation shared by all downloads of one import."""

    deadline: float = float("inf")  # time.monotonic() value after which downloads stop
    cancel: threading.Event = field(default_factory=threading.Event)
    connect_timeout_s: float = 10.0

    def check(self) -> None:
        """Raise AllenImportError when cancelled or past the deadline."""
        if self.cancel.is_set():
            raise AllenImportError("the import was cancelled; the partial download is kept and will resume")
        if time.monotonic() > self.deadline:
            raise AllenImportError("the import ran out of time; the partial download is kept and will resume "
                                   "next time")


def _md5_of(path: Path) -> hashlib._Hash:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest


def _plain_md5(etag: str | None) -> str | None:
    """The MD5 hex digest an S3-style ETag stands for, or None (multipart ETags contain a dash)."""
    if not etag:
        return None
    tag = etag.strip().strip('"').lower()
    return tag if re.fullmatch(r"[0-9a-f]{32}", tag) else None


def _offline_message(error: BaseException) -> str:
    reason = getattr(error, "reason", error)
    reason = getattr(reason, "strerror", None) or reason
    return (f"no connection to the Allen Institute's data server ({reason}); this computer looks offline — "
            "the simulated cortex keeps working")


def download(url: str, target: Path, progress: Progress | None = None,
             control: DownloadControl | None = None) -> Path:
    """Download `url` to `target`, resuming a previous `.part` file; verify size and (plain-MD5) ETag."""
    control = control or DownloadControl()
    target = Path(target)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    have = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    control.check()
    try:
        response = urllib.request.urlopen(request, timeout=control.connect_timeout_s)
    except urllib.error.HTTPError as error:
        if error.code == 416 and have:  # nothing left to fetch: the part file is already complete
            return _finish(partial, target, None, None)
        raise AllenImportError(f"the server refused {url.rsplit('/', 1)[-1]} (HTTP {error.code})") from error
    except (urllib.error.URLError, OSError) as error:
        raise AllenImportError(_offline_message(error)) from error
    with response:
        status = getattr(response, "status", 200)
        etag = response.headers.get("ETag")
        length = int(response.headers.get("Content-Length") or 0)
        if status == 206:
            match = re.search(r"/(\d+)\s*$", response.headers.get("Content-Range", ""))
            total = int(match.group(1)) if match else have + length
            mode = "ab"
        else:  # the server ignored the Range header: start again
            have, total, mode = 0, length, "wb"
        done = have
        name = target.name
        try:
            with open(partial, mode) as out:
                while True:
                    control.check()
                    block = response.read(CHUNK)
                    if not block:
                        break
                    out.write(block)
                    done += len(block)
                    if progress:
                        size = f" of {total / 1e6:,.0f}" if total else ""
                        progress(done / total if total else 0.0, f"{name}: {done / 1e6:,.1f}{size} MB")
        except (OSError, http.client.HTTPException) as error:  # a dropped connection or a read timeout
            raise AllenImportError(f"the download of {name} stopped ({error}); run the import again to resume") \
                from error
    return _finish(partial, target, total or None, _plain_md5(etag))


def _finish(partial: Path, target: Path, total: int | None, md5: str | None) -> Path:
    size = partial.stat().st_size
    if total is not None and size != total:
        raise AllenImportError(f"{target.name} is incomplete ({size:,} of {total:,} bytes); run the import again "
                               "to resume")
    if md5 is not None and _md5_of(partial).hexdigest() != md5:
        partial.unlink(missing_ok=True)
        raise AllenImportError(f"{target.name} is corrupt (its MD5 checksum does not match the server's); it was "
                               "deleted — run the import again")
    partial.replace(target)
    return target


# ------------------------------------------------------------------------------------------------ experiment list
def _area_of(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("acronym") or value.get("name")
    match = re.search(r"VIS[a-z]*", str(value or ""))
    return match.group(0) if match else None


def _cre_of(row: dict) -> str:
    if row.get("cre_line"):
        return str(row["cre_line"])
    lines = ((row.get("specimen") or {}).get("donor") or {}).get("transgenic_lines") or []
    for line in lines:
        if "driver" in str(line.get("transgenic_line_type_name", "")).lower():
            return str(line.get("name"))
    return "unknown"


def experiment_table(raw: bytes | str | list) -> pd.DataFrame:
    """The natural-scenes (three_session_B) experiments of the experiment list: id, area, depth, Cre line."""
    rows = json.loads(raw) if isinstance(raw, (bytes, str)) else raw
    if not isinstance(rows, list):
        raise AllenImportError("the experiment list is not a JSON list of experiments")
    out = []
    for row in rows:
        session = row.get("stimulus_name") or row.get("session_type") or ""
        if session != SESSION:
            continue
        area = _area_of(row.get("targeted_structure"))
        if area not in neural_data.AREAS:
            continue
        out.append({"id": int(row["id"]), "area": area, "imaging_depth": int(row.get("imaging_depth") or 0),
                    "cre_line": _cre_of(row), "container": row.get("experiment_container_id")})
    return pd.DataFrame(out, columns=["id", "area", "imaging_depth", "cre_line", "container"]).sort_values(
        "id", ignore_index=True)


def choose_experiments(table: pd.DataFrame, areas: Sequence[str] = neural_data.AREAS, per_area: int = 1,
                       ids: Sequence[int] = ()) -> pd.DataFrame:
    """The experiments to import: the given ids, else the first `per_area` of each area (sorted by id)."""
    if ids:
        chosen = table[table["id"].isin(list(ids))]
        missing = sorted(set(ids) - set(chosen["id"]))
        if missing:
            raise AllenImportError(f"not natural-scenes experiments of the list: {', '.join(map(str, missing))}")
        return chosen.reset_index(drop=True)
    parts = [table[table["area"] == area].head(per_area) for area in areas]
    chosen = pd.concat(parts, ignore_index=True) if parts else table.head(0)
    if chosen.empty:
        raise AllenImportError(f"the experiment list has no natural-scenes experiment in {', '.join(areas)}")
    return chosen


# ----------------------------------------------------------------------------------------------------------- NWB
@dataclass(frozen=True)
class ExperimentData:
    """What one NWB file contributes: per-cell condition means (images, then the blank) and their trial halves."""

    experiment_id: int
    cell_ids: np.ndarray
    responses: np.ndarray  # (cells, images + 1) float32; the blank is last
    even: np.ndarray
    odd: np.ndarray
    area: str
    depth: int
    cre_line: str
    n_trials: int


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return _text(value.reshape(-1)[0]) if value.size else ""
    return str(value)


def _read(h5, path: str, what: str) -> np.ndarray:
    if path not in h5:
        raise AllenImportError(f"the NWB file has no {what} (expected at {path})")
    return h5[path][()]


def layer_for(cre_line: str, depth: float) -> str:
    """Cortical layer from the Cre line, or from the imaging depth (µm) for lines that span layers."""
    for prefix, layer in CRE_LAYER.items():
        if cre_line.startswith(prefix):
            return layer
    if depth < 250:
        return "2/3"
    if depth < 350:
        return "4"
    return "5" if depth < 500 else "6"


def read_natural_scenes(path: str | Path, experiment_id: int = 0, n_images: int | None = None,
                        meta: dict | None = None) -> ExperimentData:
    """Per-cell mean responses to each natural scene (and the blank) from one Brain Observatory NWB file."""
    import h5py

    try:
        h5 = h5py.File(path, "r")
    except OSError as error:
        raise AllenImportError(f"{Path(path).name} is not a readable NWB (HDF5) file ({error})") from None
    with h5:
        group = next((g for g in PRESENTATION_GROUPS if g in h5), None)
        if group is None:
            session = _text(h5[SESSION_TYPE][()]) if SESSION_TYPE in h5 else "unknown"
            raise AllenImportError(f"{Path(path).name} has no natural-scenes presentations (session {session}); "
                                   "natural scenes are shown in three_session_B")
        frames = np.asarray(h5[f"{group}/data"][()]).reshape(-1).astype(np.int64)
        timing = np.asarray(h5[f"{group}/frame_duration"][()]).reshape(len(frames), -1)[:, :2].astype(np.int64)
        dff = _read(h5, DFF, "dF/F traces")
        cell_ids = _read(h5, CELL_IDS, "cell specimen ids").astype(np.int64).reshape(-1)
        if n_images is None:
            n_images = int(h5[TEMPLATE].shape[0]) if TEMPLATE in h5 else int(frames.max()) + 1
        info = dict(meta or {})
        if not info.get("area"):
            info["area"] = _area_of(_text(h5[LOCATION][()])) if LOCATION in h5 else None
        if not info.get("imaging_depth"):
            depth_text = _text(h5[DEPTH][()]) if DEPTH in h5 else "0"
            info["imaging_depth"] = int(re.match(r"\s*(\d+)", depth_text).group(1)) if re.match(r"\s*\d", depth_text) \
                else 0
        if not info.get("cre_line") or info.get("cre_line") == "unknown":
            genotype = _text(h5[GENOTYPE][()]) if GENOTYPE in h5 else "unknown"
            info["cre_line"] = genotype.split(";")[0].split("/")[0].strip() or "unknown"
    if dff.ndim != 2 or dff.shape[0] != len(cell_ids):
        raise AllenImportError(f"the dF/F traces have shape {dff.shape} for {len(cell_ids)} cells")
    if info["area"] not in neural_data.AREAS:
        raise AllenImportError(f"experiment {experiment_id}: unknown visual area {info['area']!r}")
    duration = int(np.median(timing[:, 1] - timing[:, 0])) or 1
    window = 2 * duration
    starts = np.clip(timing[:, 0], 0, dff.shape[1] - window)
    cumulative = np.zeros((dff.shape[0], dff.shape[1] + 1))
    np.cumsum(dff, axis=1, out=cumulative[:, 1:])
    trial = (cumulative[:, starts + window] - cumulative[:, starts]) / window  # (cells, presentations)
    condition = np.where(frames < 0, n_images, frames)  # the blank (−1) becomes the last condition
    n_cond = n_images + 1
    if condition.max() >= n_cond:
        raise AllenImportError(f"the stimulus table names image {condition.max()} but the template has {n_images}")
    means, even, odd = (np.zeros((len(cell_ids), n_cond)) for _ in range(3))
    counts = []
    for c in range(n_cond):
        shown = np.flatnonzero(condition == c)  # in presentation order
        if len(shown) < 2:
            raise AllenImportError(f"condition {c} was shown {len(shown)} time(s); at least 2 are needed")
        means[:, c] = trial[:, shown].mean(axis=1)
        even[:, c] = trial[:, shown[0::2]].mean(axis=1)
        odd[:, c] = trial[:, shown[1::2]].mean(axis=1)
        counts.append(len(shown))
    return ExperimentData(experiment_id, cell_ids, means.astype(np.float32), even.astype(np.float32),
                          odd.astype(np.float32), info["area"], int(info["imaging_depth"]), str(info["cre_line"]),
                          int(np.median(counts)))


def read_stimuli(path: str | Path, height: int = IMAGE_HEIGHT) -> np.ndarray:
    """The natural-scene template images, downsampled to `height` rows (aspect kept), as uint8 (n × H × W)."""
    import h5py

    with h5py.File(path, "r") as h5:
        if TEMPLATE not in h5:
            raise AllenImportError(f"{Path(path).name} has no natural-scenes template images ({TEMPLATE})")
        stack = h5[TEMPLATE]
        n, h, w = stack.shape
        width = max(1, round(height * w / h))
        out = np.empty((n, height, width), dtype=np.uint8)
        for i in range(n):
            image = np.asarray(stack[i])
            if image.dtype != np.uint8:
                image = np.clip(image, 0, 255).astype(np.uint8)
            out[i] = np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.BILINEAR,
                                                              reducing_gap=2.0))
    return out


def build_bundle(experiments: Sequence[ExperimentData], stimuli: np.ndarray,
                 cell_metrics: pd.DataFrame | None = None) -> neural_data.NeuralBundle:
    """Merge experiments into one bundle (cells concatenated; duplicate cell ids keep their first experiment)."""
    if not experiments:
        raise AllenImportError("no experiment was imported")
    rows, responses, even, odd, seen = [], [], [], [], set()
    for exp in experiments:
        if exp.responses.shape[1] != len(stimuli) + 1:
            raise AllenImportError(f"experiment {exp.experiment_id} has {exp.responses.shape[1]} conditions; "
                                   f"expected {len(stimuli) + 1}")
        keep = np.array([cid not in seen for cid in exp.cell_ids])
        seen.update(exp.cell_ids.tolist())
        layer = layer_for(exp.cre_line, exp.depth)
        for cid in exp.cell_ids[keep]:
            rows.append({"cell_specimen_id": int(cid), "cortical_area": exp.area, "cortical_layer": layer,
                         "imaging_depth": exp.depth, "cre_line": exp.cre_line,
                         "ophys_experiment_id": exp.experiment_id})
        responses.append(exp.responses[keep])
        even.append(exp.even[keep])
        odd.append(exp.odd[keep])
    cells = pd.DataFrame(rows)
    even_all, odd_all = np.concatenate(even), np.concatenate(odd)
    n_images = len(stimuli)
    cells.insert(5, "reliability", np.round(brain_score.split_half_reliability(even_all[:, :n_images],
                                                                               odd_all[:, :n_images]), 4))
    if cell_metrics is not None and "cell_specimen_id" in cell_metrics:
        wanted = [c for c in ("reliability_ns", "p_ns", "image_sel_ns", "peak_dff_ns") if c in cell_metrics]
        cells = cells.merge(cell_metrics[["cell_specimen_id", *wanted]], on="cell_specimen_id", how="left")
    n_trials = int(np.median([e.n_trials for e in experiments]))
    return neural_data.NeuralBundle(
        name=f"Allen Brain Observatory natural scenes ({len(experiments)} experiment"
             f"{'s' if len(experiments) != 1 else ''}, {len(cells):,} cells)",
        source="Allen Brain Observatory – Visual Coding 2-photon, three_session_B", simulated=False,
        stimuli=stimuli, responses=np.concatenate(responses), cells=cells, blank_condition=n_images,
        even=even_all, odd=odd_all, citation=CITATION, license=LICENSE,
        meta={"n_trials": n_trials, "experiments": [e.experiment_id for e in experiments],
              "response_window": "mean dF/F from stimulus onset for twice the stimulus duration"})


# --------------------------------------------------------------------------------------------------------- import
def download_dir() -> Path:
    """Where downloads are kept between runs (so they can resume)."""
    return cache.cache_dir() / "allen_downloads"


def import_allen(out: str | Path | None = None, areas: Sequence[str] = neural_data.AREAS, per_area: int = 1,
                 experiment_ids: Sequence[int] = (), image_height: int = IMAGE_HEIGHT, base_url: str = BASE_URL,
                 progress: Progress | None = None, timeout_s: float = 3600.0,
                 cancel: threading.Event | None = None, keep_downloads: bool = False,
                 downloads: str | Path | None = None, connect_timeout_s: float = 10.0) -> neural_data.NeuralBundle:
    """Download, parse and merge natural-scenes experiments into a bundle; save it to `out` when given."""
    control = DownloadControl(time.monotonic() + timeout_s, cancel or threading.Event(), connect_timeout_s)
    folder = Path(downloads) if downloads else download_dir()
    base = base_url if base_url.endswith("/") else base_url + "/"

    report = sub_range(progress, 0.0, 1.0)

    report(0.0, "Connecting to the Allen Institute's data server…")
    listing = folder / EXPERIMENTS_FILE
    download(base + EXPERIMENTS_FILE, listing, sub_range(report, 0.0, 0.02), control)
    try:
        table = experiment_table(listing.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        listing.unlink(missing_ok=True)
        raise AllenImportError(f"the experiment list could not be read ({error}); it was deleted — try again") \
            from None
    chosen = choose_experiments(table, areas, per_area, experiment_ids)
    experiments, stimuli = [], None
    for i, row in enumerate(chosen.itertuples(index=False)):
        lo, hi = 0.02 + 0.95 * i / len(chosen), 0.02 + 0.95 * (i + 1) / len(chosen)
        nwb = folder / NWB_PATH.format(id=row.id)
        download(base + NWB_PATH.format(id=row.id), nwb,
                 sub_range(report, lo, lo + (hi - lo) * 0.9, f"experiment {i + 1} of {len(chosen)} ({row.area}): "),
                 control)
        report(lo + (hi - lo) * 0.92, f"Reading experiment {row.id} ({row.area}, {row.imaging_depth} µm)")
        if stimuli is None:
            stimuli = read_stimuli(nwb, image_height)
        experiments.append(read_natural_scenes(nwb, int(row.id), n_images=len(stimuli),
                                               meta={"area": row.area, "imaging_depth": row.imaging_depth,
                                                     "cre_line": row.cre_line}))
        if not keep_downloads:
            nwb.unlink(missing_ok=True)
    bundle = build_bundle(experiments, stimuli)
    if out is not None:
        neural_data.save_bundle(bundle, out)
    report(1.0, f"Imported {bundle.n_cells:,} cells from {len(experiments)} experiment(s)")
    return bundle


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: import Allen natural-scenes experiments into a bundle folder or .zip."""
    parser = argparse.ArgumentParser(prog="python -m lessons.cortex.allen_import", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="bundle folder, or a path ending in .zip")
    parser.add_argument("--areas", nargs="+", default=list(neural_data.AREAS), choices=neural_data.AREAS)
    parser.add_argument("--per-area", type=int, default=1, help="experiments per area (default 1)")
    parser.add_argument("--experiments", type=int, nargs="*", default=[], help="explicit experiment ids")
    parser.add_argument("--image-height", type=int, default=IMAGE_HEIGHT)
    parser.add_argument("--timeout", type=float, default=3600.0, help="give up after this many seconds")
    parser.add_argument("--keep-downloads", action="store_true", help="keep the NWB files after reading them")
    parser.add_argument("--downloads", default=None, help=f"download folder (default {download_dir()})")
    parser.add_argument("--base-url", default=BASE_URL)
    args = parser.parse_args(argv)
    last = [-1.0]

    def show(fraction: float, message: str) -> None:
        if fraction - last[0] >= 0.01 or fraction >= 1.0:
            last[0] = fraction
            print(f"[{fraction:6.1%}] {message}", flush=True)

    try:
        bundle = import_allen(args.out, args.areas, args.per_area, args.experiments, args.image_height,
                              args.base_url, show, args.timeout, keep_downloads=args.keep_downloads,
                              downloads=args.downloads)
    except (AllenImportError, neural_data.BundleError) as error:
        print(f"import failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("import interrupted; run it again to resume the download", file=sys.stderr)
        return 130
    print(f"wrote {args.out}: {bundle.n_cells:,} cells × {bundle.n_conditions} conditions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
