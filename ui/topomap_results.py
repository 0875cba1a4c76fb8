"""Where the topographic-maps page gets its numbers: activations, profiles, maps and the layout comparison.

Each result is computed outside any Streamlit cache (so its progress bar is live, stage by stage) and filed in a
shared result store under everything that produced it: a shared link, or a return to earlier settings, shows it at
once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import streamlit as st

from lessons.core import registry
from lessons.topomap import data as topomap_sources
from lessons.topomap import pipeline as topomap_pipeline
from ui import topomap_charts as charts
from ui.jobs import queued_result
from ui.progress import progress_bar
from ui.result_store import shared_store

SOURCES = shared_store("topographic_maps_sources", 6)  # activations and images: the largest entries, the fewest
MAPS = shared_store("topographic_maps_maps", 48)
COMPARISONS = shared_store("topographic_maps_comparisons", 8)


@dataclass(frozen=True)
class Choices:
    """What the student picked in the settings box."""

    network: str
    weights: registry.Weights
    layer: str
    per_class: int  # held-out digits per class, or crops per photo
    method: str
    refined: bool
    metric: str
    seed: int
    mode: str
    correct_only: bool

    @property
    def photos(self) -> bool:
        """Whether the maps are drawn from photo crops (EfficientNet-Lite0) rather than held-out digits."""
        return self.network == "efficientnet_lite0"

    @property
    def source_key(self) -> tuple:
        """What the activations depend on."""
        return self.network, self.weights, self.layer, self.per_class, self.seed

    @property
    def profile_key(self) -> tuple:
        """What the unit profiles depend on."""
        return (*self.source_key, self.mode, self.correct_only)

    @property
    def maps_key(self) -> tuple:
        """What one layout and its class maps depend on."""
        return (*self.profile_key, self.method, self.metric, self.refined)

    @property
    def comparison_key(self) -> tuple:
        """What the comparison of every layout depends on (not the layout shown above it)."""
        return (*self.profile_key, self.metric, self.refined)


def activations(picked: Choices) -> topomap_sources.UnitActivations:
    """The chosen layer's activations over held-out digits or photo crops (stored; a bar while they are computed)."""
    found = SOURCES.get(picked.source_key)
    if found is not None:
        return found
    loaded = registry.load_model(picked.network, picked.weights)
    if picked.photos:
        with progress_bar(f"Running the photo crops through {loaded.spec.title}…") as report:
            found = topomap_sources.photo_activations(loaded, picked.layer, picked.per_class, picked.seed,
                                                      progress=report)
    else:  # a thousand digits through a small network: well under a second
        found = topomap_sources.digit_activations(loaded.module, picked.layer, picked.per_class, picked.seed)
    SOURCES.put(picked.source_key, found)
    return found


def profiles(picked: Choices, source: topomap_sources.UnitActivations) -> tuple[np.ndarray, np.ndarray]:
    """Class-mean profiles (what the maps show) and the profiles the layout uses (stored per source and choice)."""
    key = ("profiles", *picked.profile_key)
    found = MAPS.get(key)
    if found is None:
        class_profiles = topomap_sources.unit_profiles(source, "class_means", picked.correct_only)
        found = class_profiles, (class_profiles if picked.mode == "class_means" else
                                 topomap_sources.unit_profiles(source, picked.mode, picked.correct_only))
        MAPS.put(key, found)
    return found


def topomaps(picked: Choices, layout_profiles: np.ndarray, class_profiles: np.ndarray) -> topomap_pipeline.TopoMaps:
    """The layout and class maps for the chosen method (stored: switching back, or a shared link, is instant)."""
    found = MAPS.get(picked.maps_key)
    if found is None:
        with progress_bar("Laying out the units…") as report:
            found = topomap_pipeline.build(layout_profiles, picked.method, picked.metric, picked.seed, picked.refined,
                                           class_profiles, progress=report)
        MAPS.put(picked.maps_key, found)
    return found


def smoothness(picked: Choices, layout_profiles: np.ndarray, class_profiles: np.ndarray,
               shown: topomap_pipeline.TopoMaps) -> topomap_pipeline.Smoothness:
    """The blur error of the maps shown, of PCA's maps with the same settings and of a random placement (stored)."""
    key = ("smoothness", *picked.maps_key)
    found = MAPS.get(key)
    if found is None:
        pca = shown if picked.method == "pca" else topomaps(replace(picked, method="pca"), layout_profiles,
                                                             class_profiles)
        found = topomap_pipeline.smoothness(shown, pca, layout_profiles, class_profiles, picked.seed)
        MAPS.put(key, found)
    return found


def stored_comparison(picked: Choices) -> topomap_pipeline.Comparison | None:
    """The comparison of every layout for these choices, if anyone has computed it already."""
    return COMPARISONS.get(picked.comparison_key)


ASKED = "_topo_compare_asked"  # the comparison key the student last pressed the button for


def compare_button(picked: Choices, label: str, **options: object) -> bool:
    """The button that asks for the comparison of these choices; whether it has been pressed for them.

    The press is recorded by the button's callback, before the page runs, so it still counts when the router reruns
    the page before the button is drawn."""
    st.button(label, key="topo_compare", on_click=_ask, args=(picked.comparison_key,), **options)
    return st.session_state.get(ASKED) == picked.comparison_key


def _ask(key: tuple) -> None:
    st.session_state[ASKED] = key


def comparison(picked: Choices, layout_profiles: np.ndarray,
               class_profiles: np.ndarray) -> topomap_pipeline.Comparison | None:
    """Every layout method on the same units (stored), or None while it runs through the shared queue, whose panel
    names the layout being computed."""
    return queued_result(COMPARISONS, picked.comparison_key, "Comparing the layouts",
                         lambda report: topomap_pipeline.compare(layout_profiles, metric=picked.metric,
                                                                 seed=picked.seed, refined=picked.refined,
                                                                 values=class_profiles, progress=report))


@st.cache_data(max_entries=16, show_spinner=False)
def unit_strips(source_key: tuple, k: int, _source: topomap_sources.UnitActivations) -> list[np.ndarray]:
    """For every unit, a strip of its k strongest images (cached)."""
    return charts.top_image_strips(_source, k)
