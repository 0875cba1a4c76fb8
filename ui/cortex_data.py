"""Where the mouse-cortex lesson's neural data comes from: the simulated cortex, an uploaded bundle, or the Allen
Brain Observatory (imported on request), with clear messages when something is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import streamlit as st

from lessons.core import cache
from lessons.cortex import allen_import
from lessons.cortex import data as neural_data
from lessons.cortex import simulated as simulated_cortex

IMPORT_TIME_LIMIT_S = 1800.0


@st.cache_resource(show_spinner="Building the simulated cortex (a few seconds, once)…")
def simulated_bundle() -> neural_data.NeuralBundle:
    """The offline default: the simulated cortex, built once and cached on disk (shared, read-only)."""
    return simulated_cortex.load_or_build()


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
        "hundred MB each), then builds a bundle from them. Interrupted downloads resume where they stopped. "
        "The same importer runs from a terminal: `python -m lessons.cortex.allen_import --out allen_bundle`.")
    cols = st.columns([3, 1])
    areas = cols[0].multiselect("Areas to import", neural_data.AREAS, default=["VISp", "VISl"], key=f"{key}_areas")
    per_area = cols[1].number_input("Experiments per area", 1, 5, 1, key=f"{key}_per_area")
    if st.button("Import real Allen data", key=f"{key}_go", disabled=not areas,
                 help=f"Needs an internet connection; gives up after {IMPORT_TIME_LIMIT_S / 60:.0f} minutes. "
                      "Offline it stops within seconds and nothing else is affected."):
        bar = st.progress(0.0, text="connecting…")
        target = allen_bundle_path()
        tmp = target.with_name(target.name + ".new")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            allen_import.import_allen(tmp, areas=areas, per_area=int(per_area), timeout_s=IMPORT_TIME_LIMIT_S,
                                      progress=lambda f, m: bar.progress(f, text=m))
        except (allen_import.AllenImportError, neural_data.BundleError) as error:
            bar.empty()
            st.error(f"Could not import the Allen data: {error}.")
            return
        shutil.rmtree(target, ignore_errors=True)
        tmp.replace(target)
        st.success("Allen data imported.")
        st.rerun()
