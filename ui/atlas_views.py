"""Views of a built activation atlas that need more than a chart: the n_neighbors comparison (computed once behind a
staged progress bar, then shared), the downloads' file names, the uploader with what a link cannot carry, and what the
network reads each icon as (for the "find a cell" exercise)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lessons.atlas import compute as atlas
from lessons.atlas import data as atlas_sources
from lessons.atlas import pipeline as atlas_pipeline
from lessons.core import registry
from lessons.core.exports import file_stem
from ui.atlas_charts import layout_comparison, layout_scatter
from ui.course import active_course
from ui.downloads import download_row
from ui.images import UPLOAD_TYPES
from ui.jobs import queued_result
from ui.result_store import shared_store

#: The n_neighbors values the comparison lays the atlas's points out with.
COMPARED_NEIGHBORS = (5, 20, 50)
Layouts = dict[int, tuple[np.ndarray, float]]
Pictures = list[tuple[str, np.ndarray]]


def download_stem(settings: atlas_pipeline.AtlasSettings, what: str) -> str:
    """The file name stem of an atlas download: the lesson, network, layer, grid and what the file holds."""
    return file_stem("activation-atlas", settings.model_key, settings.layer, f"{settings.grid}x{settings.grid}", what)


@st.cache_data(max_entries=8, show_spinner="Reading your images…")
def _decoded_uploads(digest: str, _files: list[tuple[str, bytes]]) -> atlas_sources.Decoded:
    """Uploaded images and zips decoded into pictures, with a message per unusable file (cached per content)."""
    return atlas_sources.decode_uploads(_files)


def uploads() -> tuple[Pictures, str]:
    """The student's own images (or zips of images) to crop from, and their digest ("" when none is usable)."""
    files = st.file_uploader("Add your own images, or a .zip of images (optional)", type=UPLOAD_TYPES + ["zip"],
                             accept_multiple_files=True, key="atlas_uploads")
    st.caption("A shared link carries every setting above but not your uploaded images: whoever opens it gets the "
               "atlas of the shipped photos until they upload the same images.")
    if not files:
        return [], ""
    contents = [(f.name, f.getvalue()) for f in files]
    digest = atlas_sources.uploads_digest(contents)
    decoded = _decoded_uploads(digest, contents)
    for problem in decoded.problems:
        st.warning(problem)
    if not decoded.pictures:
        return [], ""
    st.caption(f"{len(decoded.pictures)} of your images join the 14 photos; crops are drawn from all of them.")
    return decoded.pictures, digest


def compared_layouts(result: atlas_pipeline.Atlas) -> Layouts | None:
    """The atlas's points laid out with each of COMPARED_NEIGHBORS: from the shared store, or None while they are
    computed through the shared queue (its panel names each UMAP run) and filed there for everyone."""
    store = shared_store("activation_atlas_layouts", 24, persist=True)
    key = (result.settings, COMPARED_NEIGHBORS, result.settings.min_dist)
    return queued_result(store, key, "Laying the same points out again",
                         lambda report: atlas_pipeline.compare_layouts(result, COMPARED_NEIGHBORS,
                                                                       result.settings.min_dist, progress=report))


def show_layout_comparison(result: atlas_pipeline.Atlas, layouts: Layouts) -> None:
    """The layouts side by side (stacked on a phone), colours as in the atlas's layout, with their downloads."""
    sources, grid = atlas_pipeline.point_sources(result), result.settings.grid
    for column, (k, (xy, kept)) in zip(st.columns(len(layouts)), layouts.items()):
        column.altair_chart(layout_scatter(xy, sources, grid, title=f"n_neighbors = {k}", height=280, legend=False),
                            width="stretch")
        column.caption(f"Neighbourhoods kept (trustworthiness): {kept:.3f}")
    st.caption("Colours as in the layout of section 1 (one per source picture).")
    download_row(download_stem(result.settings, "n-neighbors-comparison"), key="atlas_compare_dl",
                 chart=layout_comparison(layouts, sources, grid),
                 table=atlas_pipeline.comparison_table(result, layouts), what="the n_neighbors comparison")


@st.cache_data(max_entries=16, show_spinner=False)
def icon_readings(settings: atlas_pipeline.AtlasSettings, _icons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the whole network reads each icon of the atlas built with `settings` as: top class and its probability
    (cached per atlas: one quick pass over the icons)."""
    return atlas.icon_readings(registry.load_model(settings.model_key, settings.weights), _icons)


def shows_exercise(page: str, section: str, exercise_id: str) -> bool:
    """Whether the running course shows this exercise at this section of the page (an instructor may leave it out)."""
    return any(e.id == exercise_id for e in active_course().exercises(page, section))
