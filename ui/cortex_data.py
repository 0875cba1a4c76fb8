"""Where the mouse-cortex lesson's neural data comes from: the simulated cortex, an uploaded bundle, or the Allen
Brain Observatory (imported on request), with clear messages when something is wrong; and the cached scoring of
that data by a network's layers, with its progress."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from lessons.core import cache, chance, jobs, preprocess, registry
from lessons.core.exports import file_stem
from lessons.core.progress import Progress, sub_range
from lessons.cortex import allen_import, brain_score
from lessons.cortex import compute as cortex_compute
from lessons.cortex import data as neural_data
from lessons.cortex import pipeline as cortex_pipeline
from lessons.cortex import simulated as simulated_cortex
from ui import brain_charts
from ui.downloads import download_row
from ui.jobs import queued_result
from ui.progress import progress_bar
from ui.result_store import ResultStore, shared_store
from ui.state import PageState, stop_page

IMPORT_TIME_LIMIT_S = 1800.0
BUILDING_CORTEX = "Building the simulated cortex — once on this computer; it is kept afterwards…"
UPLOAD_NOT_IN_LINK = ("A shared link carries this page's settings but not your uploaded file: whoever opens it sees "
                      "the simulated cortex until they upload the bundle too.")


def bundle_store() -> ResultStore:
    """Where the simulated cortex is kept in memory for every session once built or read from disk."""
    return shared_store("mouse_cortex_bundle", 2)


def simulated_bundle() -> neural_data.NeuralBundle:
    """The offline default: the simulated cortex (shared, read-only), read from the disk cache, or built there the
    first time behind a progress bar naming each stage."""
    store = bundle_store()
    found = store.get("simulated")
    if found is None:
        if simulated_cortex.is_stored():
            found = simulated_cortex.load_or_build()
        else:
            with progress_bar(BUILDING_CORTEX) as report:
                found = simulated_cortex.load_or_build(progress=report)
        store.put("simulated", found)
    return found


def decode_bundle_upload(raw: bytes, name: str) -> neural_data.NeuralBundle | None:
    """Read an uploaded bundle (.zip); on a problem show why in the page and return None."""
    try:
        return neural_data.load_bundle(raw)
    except neural_data.BundleError as error:
        st.error(f"**{name}** can't be used as a neural data bundle: {error}. The format is described in "
                 "`docs/neural_bundle.md`; the simulated cortex is shown instead.")
        return None


def allen_bundle_path() -> Path:
    """Where an imported Allen bundle is kept."""
    return cache.cache_dir() / "allen_bundle"


@st.cache_resource(show_spinner=False, max_entries=1)
def _load_allen(path: str, stamp: float) -> neural_data.NeuralBundle:
    return neural_data.load_bundle(path)


def stored_allen_bundle() -> neural_data.NeuralBundle | None:
    """The Allen bundle imported earlier on this computer, if any (None when absent or unreadable)."""
    path = allen_bundle_path()
    if not (path / "bundle.json").exists():
        return None
    try:
        return _load_allen(str(path), (path / "responses.npy").stat().st_mtime)
    except (neural_data.BundleError, OSError):
        return None


def allen_import_panel(key: str) -> None:
    """Controls that download and import real Allen data, with progress, a time limit and a clear offline error."""
    st.markdown(
        "The importer fetches the Allen Institute's public experiment list and, for each chosen area, the data "
        "file of one or more *three_session_B* experiments (the sessions with the 118 natural scenes; several "
        "hundred MB each), then builds a bundle from them. Interrupted downloads resume where they stopped.")
    cols = st.columns([3, 1])
    areas = cols[0].multiselect("Areas to import", neural_data.AREAS, default=["VISp", "VISl"], key=f"{key}_areas")
    per_area = cols[1].number_input("Experiments per area", 1, 5, 1, key=f"{key}_per_area")
    if st.button("Import real Allen data", key=f"{key}_go", disabled=not areas,
                 help=f"Needs an internet connection; gives up after {IMPORT_TIME_LIMIT_S / 60:.0f} minutes. "
                      "Offline it stops within seconds and nothing else is affected."):
        target = allen_bundle_path()
        tmp = target.with_name(target.name + ".new")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            with progress_bar("connecting…") as report:
                allen_import.import_allen(tmp, areas=areas, per_area=int(per_area), timeout_s=IMPORT_TIME_LIMIT_S,
                                          progress=report)
        except (allen_import.AllenImportError, neural_data.BundleError) as error:
            st.error(f"Could not import the Allen data: {error}.")
            return
        shutil.rmtree(target, ignore_errors=True)
        tmp.replace(target)
        st.success("Allen data imported.")
        st.rerun()


def bundle_from(source: str, key: str) -> neural_data.NeuralBundle:
    """The bundle for a data source ("simulated", "upload" or "allen"), drawing the uploader or the import panel
    (widget keys start with `key`); the simulated cortex until the chosen data is there."""
    bundle = simulated_bundle()
    if source == "upload":
        upload = st.file_uploader("A neural data bundle (.zip)", type=["zip"], key=f"{key}_upload",
                                  help="stimuli.npy, responses.npy, cells.csv, bundle.json and optionally "
                                       "responses_even.npy / responses_odd.npy — see docs/neural_bundle.md.")
        st.caption(UPLOAD_NOT_IN_LINK)
        if upload is None:
            st.info("Upload a bundle to use your own data; until then the simulated cortex is shown.")
        else:
            bundle = decode_bundle_upload(upload.getvalue(), upload.name) or bundle
    elif source == "allen":
        stored = stored_allen_bundle()
        if stored is not None:
            bundle = stored
        else:
            st.info("No Allen data on this computer yet; the simulated cortex is shown until you import some.")
        with st.expander("Import real Allen data", expanded=stored is None):
            allen_import_panel(f"{key}_import")
    return bundle


def _multi_filter(column: DeltaGenerator, label: str, options: list[str], state: PageState, setting: str,
                  widget: str) -> list[str]:
    """A multiselect over `options` whose choice is kept in the declared text `setting` (so a link carries it)."""
    held = st.session_state.get(widget)
    if held is None or not set(held) <= set(options):
        st.session_state[widget] = cortex_compute.decode_selection(state.value(setting), options)

    def remember() -> None:
        state.set(setting, cortex_compute.encode_selection(st.session_state[widget], options))

    return column.multiselect(label, options, key=widget, on_change=remember)


def _depth_filter(column: DeltaGenerator, depth: tuple[int, int], state: PageState, key: str) -> tuple[int, int]:
    """A range slider over imaging depths whose ends are kept in the declared `{key}_depth_min` / `_max`."""
    low, high = (state.bind(f"{key}_depth_{end}", low=depth[0], high=depth[1], default=value)
                 for end, value in zip(("min", "max"), depth))
    widget = f"{key}_depth"
    held = st.session_state.get(widget)
    if held is None or not depth[0] <= min(held) <= max(held) <= depth[1]:
        st.session_state[widget] = (min(low, high), max(low, high))

    def remember() -> None:
        for end, value in zip(("min", "max"), st.session_state[widget]):
            state.set(f"{key}_depth_{end}", value)

    return column.slider("Imaging depth (µm)", depth[0], depth[1], key=widget, on_change=remember)


def stimulus_as_seen(example: np.ndarray, spec: registry.ModelSpec) -> None:
    """A stimulus as the mouse saw it, beside the same stimulus as the network sees it."""
    seen_left, seen_right, _ = st.columns([2, 2, 3])
    seen_left.image(example, caption=f"A stimulus as shown to the mouse (here {example.shape[1]}×{example.shape[0]} "
                                     "px)", width=240)
    seen_right.image(preprocess.fit_image(example, spec, cortex_pipeline.STIMULUS_FIT),
                     caption=f"What the network sees: the whole picture resized to {spec.input_size}×"
                             f"{spec.input_size}", width=190)


def cell_filters(cells: pd.DataFrame, state: PageState, key: str) -> pd.DataFrame:
    """Filters over areas, layers, imaging depth and minimum reliability, all declared in `state` under keys that
    start with `key` (so a shared link carries them); returns the matching cells, most reliable first."""
    ranges = cortex_compute.cell_ranges(cells)
    f = st.columns([3, 2, 2, 2])
    areas = _multi_filter(f[0], "Areas", ranges.areas, state, f"{key}_area_filter", f"{key}_areas")
    layers = _multi_filter(f[1], "Layers", ranges.layers, state, f"{key}_layer_filter", f"{key}_layers")
    depth = _depth_filter(f[2], ranges.depth, state, key)
    floor = ranges.reliability_floor
    state.bind(f"{key}_min_rel", low=floor)
    min_rel = f[3].slider("Minimum reliability", floor, 1.0, step=cortex_compute.RELIABILITY_STEP,
                          key=f"{key}_min_rel",
                          help="Reliability can be negative: the two halves of the trials disagree more than chance "
                               "would suggest. Such cells are pure noise for this lesson; they are shown at the "
                               "lowest setting.")
    return cortex_compute.filter_cells(cells, areas, layers, depth, min_rel, floor)


def cell_profile(bundle: neural_data.NeuralBundle, options: list[int], state: PageState, key: str) -> None:
    """Pick one of `options` (cell ids; the choice `key` is declared in `state`) and show its mean response to every
    image, its facts and its most and least driving images."""
    area_of = {str(c): a for c, a in zip(bundle.cells["cell_specimen_id"], bundle.cells["cortical_area"])}
    ids = [str(c) for c in options]  # as text, the way a link holds them
    state.bind(key, options=ids, default=ids[0])
    cell_id = int(st.selectbox("Look at one cell", ids, key=key, format_func=lambda c: f"{c} — {area_of[c]}"))
    row = int(np.flatnonzero(bundle.cells["cell_specimen_id"].to_numpy() == cell_id)[0])
    images_only = bundle.image_conditions
    response = bundle.responses[row, images_only]
    info = bundle.cells.iloc[row]
    labels = cortex_compute.condition_labels(bundle)
    left, right = st.columns([3, 2])
    tag = " (simulated)" if bundle.simulated else ""
    left.altair_chart(brain_charts.response_profile(response, [labels[c] for c in images_only],
                                                    f"Cell {cell_id}{tag}: mean dF/F per image"), width="stretch")
    blank_text = (f" To the grey blank: {bundle.responses[row, bundle.blank_condition]:.3f}."
                  if bundle.blank_condition is not None else "")
    right.markdown(f"**{info['cortical_area']}, layer {info['cortical_layer']}**, {info['imaging_depth']:.0f} µm, "
                   f"{info['cre_line']}; reliability **{info['reliability']:.2f}**.{blank_text}")
    most, least = cortex_compute.driving_images(response)
    for title, picks in (("Most driving images", most), ("Least driving images", least)):
        right.caption(title)
        right.image([bundle.stimuli[i] for i in picks], width=92, caption=[f"{response[i]:.3f}" for i in picks])


# ---------------------------------------------------------------------------------------------------- scoring
Scored = tuple[cortex_pipeline.LayerGrams, cortex_pipeline.BrainScores]


def _scores_key(bundle: neural_data.NeuralBundle, model_key: str, weights: str, subset: str,
                shuffles: int) -> tuple[str, str, str, str, int]:
    return bundle.fingerprint, model_key, weights, subset, shuffles


def stored_scores(bundle: neural_data.NeuralBundle, model_key: str, weights: str, subset: str,
                  shuffles: int) -> Scored | None:
    """The Gram matrices and scores of this data, network, weights, cells and shuffles if anyone computed them
    before in this process (None otherwise); computes nothing."""
    return shared_store("mouse_cortex_scores", 16).get(_scores_key(bundle, model_key, weights, subset, shuffles))


def grams_and_scores(bundle: neural_data.NeuralBundle, model_key: str, weights: str, subset: str, shuffles: int,
                     progress: Progress) -> Scored:
    """Every layer's Gram matrices and the held-out scores and chance of a subset of cells: from the shared store
    (anyone's earlier run of the same data, network, weights, cells and shuffles), or computed stage by stage —
    features of every layer, then the readouts — reported to `progress`, and filed there."""
    key = _scores_key(bundle, model_key, weights, subset, shuffles)
    store = shared_store("mouse_cortex_scores", 16)
    found = store.get(key)
    if found is not None:
        progress(1.0, "reused: these scores were computed before")
        return found
    found = cortex_pipeline.score_subset(bundle, model_key, weights, cortex_compute.SUBSET_SIZES[subset], shuffles,
                                         progress=progress)
    store.put(key, found)
    return found


@st.cache_data(max_entries=8, show_spinner=False)
def loo_trap(bundle_id: str, model_key: str, weights: str, subset: str, layer: str,
             _grams: cortex_pipeline.LayerGrams, _bundle: neural_data.NeuralBundle) -> tuple[np.ndarray, np.ndarray]:
    """Plain leave-one-out r² and r of the shuffled responses at one layer (cached)."""
    cells = cortex_pipeline.select_cells(_bundle, cortex_compute.SUBSET_SIZES[subset])
    return cortex_pipeline.loo_r2_of_shuffled(_grams, _bundle, layer, cells)


@st.cache_data(max_entries=8, show_spinner=False)
def similarity(bundle_id: str, model_key: str, weights: str, subset: str, _grams: cortex_pipeline.LayerGrams,
               _bundle: neural_data.NeuralBundle) -> cortex_pipeline.RsaResult:
    """RSA of areas (their reliable cells) against layers (cached)."""
    cells = cortex_pipeline.select_cells(_bundle, cortex_compute.SUBSET_SIZES[subset])
    return cortex_pipeline.rsa(_grams, _bundle,
                               cortex_compute.rsa_cells(cells, _bundle.cells["reliability"].to_numpy()))


@st.cache_data(max_entries=16, show_spinner=False)
def rdm_null(bundle_id: str, model_key: str, weights: str, subset: str, area: str, layer: str,
             _area_rdm: np.ndarray, _layer_rdm: np.ndarray) -> np.ndarray:
    """RDM matches with the area's images relabelled at random (cached)."""
    return brain_score.shuffled_rdm_matches(_area_rdm, _layer_rdm, shuffles=200)


@dataclass(frozen=True)
class ScoredRun:
    """One scoring of a bundle by a network: the chosen layer for close-ups, and the scores and Gram matrices by
    weights (the chosen weights, and the twin when it could be scored)."""

    bundle: neural_data.NeuralBundle
    loaded: registry.LoadedModel
    subset: str
    layers: list[str]
    layer: str
    results: dict[str, cortex_pipeline.BrainScores]
    grams: dict[str, cortex_pipeline.LayerGrams]
    shuffles: int = 0
    pending: tuple[str, ...] = ()  # weights that could be scored too (the twin), scored on request

    @property
    def result(self) -> cortex_pipeline.BrainScores:
        """The scores of the chosen weights."""
        return self.results[self.loaded.weights]

    @property
    def tag(self) -> str:
        """' (simulated)' on the simulated cortex, for titles."""
        return " (simulated)" if self.bundle.simulated else ""

    def stem(self, what: str) -> str:
        """The file name stem of a download holding `what`: the data, the lesson, the network and weights."""
        return file_stem("simulated" if self.bundle.simulated else "", "mouse-cortex", what, self.loaded.spec.key,
                         self.loaded.weights)

    def scores_table(self) -> pd.DataFrame:
        """The per-cell table a student downloads, with the twin's scores when it was scored too."""
        twin = cortex_compute.twin_of(self.loaded.weights)
        twin_scores = {twin: self.results[twin].cell_table()["score"].to_numpy()} if twin in self.results else None
        return cortex_compute.export_table(self.result.cell_table(),
                                           "simulated" if self.bundle.simulated else self.bundle.source, twin_scores)

    def cache_key(self) -> tuple[str, str, str, str]:
        """Data, network, weights and subset: what the cached analyses depend on."""
        return self.bundle.fingerprint, self.loaded.spec.key, self.loaded.weights, self.subset


def weights_name(weights: str) -> str:
    """'trained' or 'random': how the page names a kind of weights."""
    return "trained" if weights == "pretrained" else "random"


def _score_runs(bundle: neural_data.NeuralBundle, model_key: str, runs: Sequence[str], subset: str, shuffles: int,
                report: Progress) -> dict[str, Scored]:
    """Grams and scores of each of `runs`, reported to one progress callback split between them."""
    found = {}
    for j, weights in enumerate(runs):
        part = sub_range(report, j / len(runs), (j + 1) / len(runs), prefix=f"{weights_name(weights)} weights — ")
        found[weights] = grams_and_scores(bundle, model_key, weights, subset, shuffles, part)
    return found


def is_light(bundle: neural_data.NeuralBundle, loaded: registry.LoadedModel, subset: str, shuffles: int) -> bool:
    """Whether scoring is the page's light default (a few seconds: the default cells and shuffles, Gram matrices
    already on disk), run in the page; anything heavier waits its turn in the shared queue."""
    return (cortex_compute.SUBSET_SIZES[subset] == cortex_compute.SUBSET_SIZES[cortex_compute.DEFAULT_SUBSET]
            and shuffles == chance.SHUFFLES and cortex_pipeline.grams_on_disk(bundle, loaded))


def _queued_scores(bundle: neural_data.NeuralBundle, loaded: registry.LoadedModel, weights: str, subset: str,
                   shuffles: int, button: str | None = None, button_key: str | None = None) -> Scored | None:
    """Grams and scores of one kind of weights through the shared queue (None while they wait or run)."""
    model_key = loaded.spec.key
    title = f"Scoring {weights_name(weights)} {loaded.spec.title} against the cells"
    return queued_result(shared_store("mouse_cortex_scores", 16), _scores_key(bundle, model_key, weights, subset,
                                                                             shuffles), title,
                         lambda report: cortex_pipeline.score_subset(bundle, model_key, weights,
                                                                     cortex_compute.SUBSET_SIZES[subset], shuffles,
                                                                     progress=report),
                         button=button, button_key=button_key)


def score_with_progress(bundle: neural_data.NeuralBundle, loaded: registry.LoadedModel, runs: Sequence[str],
                        subset: str, shuffles: int, layers: list[str], layer: str) -> ScoredRun:
    """Score the cells with the chosen weights (`runs[0]`) inside a status box with one progress bar naming each
    stage: features of every layer, their Gram matrices, the readouts — in the page for the light default, through
    the shared queue otherwise (the page stops below the waiting panel until the scores are in). The other `runs`
    (the twin) join only when someone scored them before; otherwise they stay pending, for `score_pending`."""
    model_key, title = loaded.spec.key, loaded.spec.title
    if (stored_scores(bundle, model_key, runs[0], subset, shuffles) is None
            and not is_light(bundle, loaded, subset, shuffles)
            and _queued_scores(bundle, loaded, runs[0], subset, shuffles) is None):
        stop_page()
    ready = [w for w in runs[1:] if stored_scores(bundle, model_key, w, subset, shuffles) is not None]
    with st.status(f"Running the pipeline on {title}…", expanded=True) as status:
        with progress_bar("Starting…", keep=True) as report, \
                jobs.light_slot(lambda: report(0.0, "Waiting a moment for other students' scoring to finish…")):
            found = _score_runs(bundle, model_key, [runs[0], *ready], subset, shuffles, report)
        grams = {w: g for w, (g, _) in found.items()}
        results = {w: r for w, (_, r) in found.items()}
        seconds = results[runs[0]].seconds
        status.update(label=f"Pipeline done — extraction {seconds.get('extraction', 0):.1f} s, projection "
                            f"{seconds.get('projection', 0):.1f} s, regression {seconds.get('regression', 0):.1f} s "
                            "(the run that computed these scores; 0 s: reused from the cache)", state="complete",
                      expanded=False)
    pending = tuple(w for w in runs[1:] if w not in results)
    return ScoredRun(bundle, loaded, subset, list(layers), layer, results, grams, shuffles, pending)


def score_pending(run: ScoredRun, button: str, button_key: str) -> ScoredRun | None:
    """Score the run's pending weights (the twin) through the shared queue once the student presses `button`; the
    run with their results added, or None until they are in."""
    found = {}
    for weights in run.pending:
        scored = _queued_scores(run.bundle, run.loaded, weights, run.subset, run.shuffles, button, button_key)
        if scored is None:
            return None
        found[weights] = scored
    return replace(run, results={**run.results, **{w: r for w, (_, r) in found.items()}},
                   grams={**run.grams, **{w: g for w, (g, _) in found.items()}}, pending=())


def rdm_pair(run: ScoredRun, rdms: dict[str, np.ndarray]) -> None:
    """Two RDMs side by side (titled by their keys), each drawn as one picture with its PNG and NPY downloads."""
    for number, (column, (title, rdm)) in enumerate(zip(st.columns(len(rdms)), rdms.items())):
        chart = brain_charts.matrix_picture(rdm, title, "1 − r", size=300)
        column.altair_chart(chart, width="content")
        with column:
            download_row(run.stem(title.split(" ")[0] + "-rdm"), chart=chart, array=rdm, key=f"mc_rdm{number}_dl",
                         what=f"the {title}")
