"""Lesson page: topographic activation maps — an "fMRI scan" of a network's layer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from lessons.core import registry
from lessons.core.progress import Progress
from lessons.core.tiles import montage
from lessons.topomap import compute as topomap
from lessons.topomap import data as topomap_sources
from lessons.topomap import errors as topomap_errors
from lessons.topomap import layouts as topomap_layouts
from lessons.topomap import pipeline as topomap_pipeline
from ui import topomap_charts as charts
from ui.models import load_with_progress, model_picker
from ui.navigation import lesson_by_path
from ui.progress import progress_bar
from ui.routing import route_through_app
from ui.settings.topographic_maps import NETWORKS, PROFILE_MODES, STATE

route_through_app()
STATE.start()
LESSON = lesson_by_path("pages/topographic_maps.py")
LABELS = {"efficientnet_lite0": "EfficientNet-Lite0 on the shipped photos"}  # the digit nets keep their titles
PROFILE_LABELS = dict(zip(PROFILE_MODES, ("Class means minus their average (the paper's default)",
                                          "Raw activations of every image")))


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
    def source_key(self) -> tuple:
        """What the activations depend on (a cache key)."""
        return self.network, self.weights, self.layer, self.per_class, self.seed


@st.cache_data(max_entries=16, show_spinner="Running the held-out digits through the network…")
def digit_source(network: str, weights: registry.Weights, layer: str, per_class: int,
                 seed: int) -> topomap_sources.UnitActivations:
    """Activations of a digit network's layer over balanced held-out digits (cached)."""
    model = registry.load_model(network, weights).module
    return topomap_sources.digit_activations(model, layer, per_class, seed)


@st.cache_data(max_entries=8, show_spinner=False)
def photo_source(weights: registry.Weights, layer: str, per_photo: int, seed: int,
                 _progress: Progress) -> topomap_sources.UnitActivations:
    """Activations of an EfficientNet-Lite0 layer over random crops of every shipped photo (cached)."""
    loaded = registry.load_model("efficientnet_lite0", weights)
    return topomap_sources.photo_activations(loaded, layer, per_photo, seed, progress=_progress)


@st.cache_data(max_entries=32, show_spinner=False)
def profiles_of(source_key: tuple, mode: str, correct_only: bool,
                _source: topomap_sources.UnitActivations) -> tuple[np.ndarray, np.ndarray]:
    """Class-mean profiles (what the maps show) and the profiles the layout uses (cached per source and choice)."""
    class_profiles = topomap_sources.unit_profiles(_source, "class_means", correct_only)
    return class_profiles, (class_profiles if mode == "class_means" else
                            topomap_sources.unit_profiles(_source, mode, correct_only))


@st.cache_data(max_entries=32, show_spinner="Laying out the units and drawing the class maps…")
def topomaps_of(source_key: tuple, mode: str, correct_only: bool, method: str, metric: str, seed: int,
                refined: bool, _profiles: np.ndarray, _values: np.ndarray) -> topomap_pipeline.TopoMaps:
    """Layout and class maps for one choice of method (cached: switching back is instant)."""
    return topomap_pipeline.build(_profiles, method, metric, seed, refined, _values)


@st.cache_data(max_entries=8, show_spinner=False)
def comparison_of(source_key: tuple, mode: str, correct_only: bool, metric: str, seed: int, refined: bool,
                  _profiles: np.ndarray, _values: np.ndarray, _progress: Progress) -> pd.DataFrame:
    """Quality of every layout method on the same profiles (cached)."""
    rows = topomap_pipeline.compare_layouts(_profiles, metric=metric, seed=seed, refined=refined, values=_values,
                                            progress=_progress)
    return pd.DataFrame(rows).set_index("layout")


@st.cache_data(max_entries=16, show_spinner=False)
def unit_strips(source_key: tuple, k: int, _source: topomap_sources.UnitActivations) -> list[np.ndarray]:
    """For every unit, a strip of its k strongest images (cached)."""
    return charts.top_image_strips(_source, k)


def introduction() -> None:
    """The title and the fMRI analogy."""
    st.title(LESSON.title)
    st.markdown(
        "In an fMRI scanner, a face lights up one patch of your temporal cortex and a house another: the brain is "
        "**topographic**, neurons with similar jobs sit side by side. The units of an artificial network have no "
        "positions at all — unit 17 is not \"next to\" unit 18. Krug et al. (2023) gave them positions: measure how "
        "alike two units respond, place similar units close together on a sheet, then colour the sheet by how much "
        "each unit fires for each class. The result is a **topographic activation map**, a brain scan of one "
        "layer: digit *vs* digit instead of face *vs* house."
    )


def choices() -> Choices:
    """The network, layer, images, layout, distance and profile the maps are drawn from."""
    with st.container(border=True):
        network, weights, _ = model_picker("topo_network", NETWORKS, labels=LABELS,
                                           without_weights="The maps show its random twin instead.")
        photos = network == "efficientnet_lite0"
        row = st.columns(2)
        layers, default_layer = topomap_sources.layers_for(network)
        STATE.bind("topo_layer", options=layers, default=default_layer)
        layer = row[0].selectbox("Layer", layers, key="topo_layer",
                                 format_func=lambda n: f"{n} — {topomap_sources.layer_note(network, n)}")
        if photos:
            per_class = row[1].slider("Crops per photo", 4, 32, key="topo_per_photo",
                                      help="Random crops (scale, mirror) of each of the 14 shipped photos.")
        else:
            per_class = row[1].slider("Held-out digits per class", 10, 100, key="topo_per_class",
                                      help="The paper used 200 test images per class; the app holds out 100 per "
                                           "class.")
        row = st.columns([3, 2, 2])
        method = row[0].selectbox("Layout", list(topomap_layouts.LAYOUTS), key="topo_layout",
                                  format_func=topomap_layouts.LAYOUTS.get,
                                  help="How units are placed from their pairwise distances.")
        refined = row[0].checkbox("Force-directed refinement on top", key="topo_refined",
                                  help="The paper's particle step: crowded units push apart, neighbours stay close.")
        metric = row[1].radio("Distance between units", list(topomap_layouts.METRICS), key="topo_metric",
                              horizontal=True)
        seed = int(row[1].number_input("Seed", 0, 999, key="topo_seed"))
        mode = row[2].radio("Unit profile", list(PROFILE_MODES), key="topo_profile", format_func=PROFILE_LABELS.get)
        # photo crops have no true label: every crop counts as correct, so the box does nothing there
        correct_only = bool(row[2].checkbox("Only correctly classified images", key="topo_correct", disabled=photos))
    return Choices(network, weights, layer, per_class, method, refined, metric, seed, mode, correct_only)


def activations(picked: Choices) -> topomap_sources.UnitActivations:
    """The chosen layer's activations over held-out digits or photo crops (the page stops if there are too few
    units to lay out)."""
    loaded = load_with_progress(picked.network, picked.weights)
    if loaded is None:
        STATE.write_url()
        st.stop()
    if picked.network == "efficientnet_lite0":
        with progress_bar("Running the photo crops through EfficientNet-Lite0…") as report:
            source = photo_source(picked.weights, picked.layer, picked.per_class, picked.seed, report)
        st.caption("Each **photo is one class** here: its crops are the images of that class, and the maps show the "
                   "unit pattern each photo evokes. There is no ground truth for the crops, so the error view is "
                   "only for the digit networks.")
    else:
        st.caption(loaded.note)
        source = digit_source(picked.network, picked.weights, picked.layer, picked.per_class, picked.seed)
    if source.units < 3:
        st.error("This layer has fewer than three units: nothing to lay out.")
        STATE.write_url()
        st.stop()
    return source


def section_maps(picked: Choices, source: topomap_sources.UnitActivations, result: topomap_pipeline.TopoMaps,
                 names: tuple[str, ...]) -> None:
    """One map per class on the shared colour scale, with what the colours mean."""
    st.header("1 · The brain scan: one map per class")
    limit = topomap.layer_limit(result.maps)  # one symmetric colour scale for every class map
    for start in range(0, len(result.order), 5):  # in dendrogram order, five a row
        for column, c in zip(st.columns(5), result.order[start:start + 5]):
            column.image(charts.map_rgba(result.maps[c], limit), caption=names[c], width="stretch")
    left, right = st.columns([1, 2])
    left.image(charts.colour_bar(), caption=f"blue −{limit:.3g} · white 0 · red +{limit:.3g}", width="stretch")
    right.markdown(
        f"**{source.units} units** of `{picked.layer}`, laid out by **{topomap_layouts.LAYOUTS[picked.method]}**"
        f"{' + refinement' if picked.refined else ''} from their {picked.metric} distances ({result.seconds:.2f} s). "
        "Each map is that class's activation of every unit"
        + ", minus the unit's average over classes: red = this class drives the unit more than the others do, blue = "
        "less." + (" Here the raw activations decided the layout; the colours are still class means."
                   if picked.mode == "raw" else "")
        + " The maps are ordered by a dendrogram, so classes with similar patterns sit next to each other; outside "
        "the units' hull the sheet is blank."
    )


def section_units(source: topomap_sources.UnitActivations, result: topomap_pipeline.TopoMaps,
                  class_profiles: np.ndarray, names: tuple[str, ...], source_key: tuple) -> None:
    """The units on the sheet: hover for top images, click (or type) a unit to see it and its nearest neighbour."""
    st.header("2 · The units on the sheet")
    STATE.bind("topo_colour_class", high=len(names) - 1)
    colour_class = st.columns([1, 2])[0].selectbox("Colour the units by class", list(range(len(names))),
                                                   format_func=lambda c: names[c], key="topo_colour_class")
    preferred = [names[c] for c in topomap.preferred_classes(class_profiles)]
    strips = unit_strips(source_key, 5, source)
    chart = charts.unit_scatter(result.coords, class_profiles[:, colour_class], preferred, strips,
                         title=f"{source.units} units — hover for a unit's top images, click to pick it",
                         colour_title=f"{names[colour_class]} (class mean)",
                         selected=STATE.bind("topo_unit", high=source.units - 1))
    left, right = st.columns([3, 2])
    event = left.altair_chart(chart, width="stretch", on_select="rerun", key="topo_scatter")
    picked_points = (event or {}).get("selection", {}).get("unit", [])
    if picked_points and int(picked_points[0]["unit"]) != STATE.value("topo_unit"):
        STATE.set("topo_unit", int(picked_points[0]["unit"]))
    unit = int(right.number_input("Unit", 0, source.units - 1, key="topo_unit"))
    top = topomap.top_images(source.activations, unit, 8)
    right.image(montage(source.images[top], side=56), caption=f"The 8 images that drive unit {unit} hardest",
                width="stretch")
    neighbour, similarity, mean_similarity = topomap.nearest_neighbour(result.coords, class_profiles, unit)
    right.markdown(f"Unit {unit} prefers **{preferred[unit]}**. "
                   + topomap.neighbour_summary(unit, neighbour, similarity, mean_similarity)
                   + f" Do the top images of unit {unit} and unit {neighbour} look alike? Try two units far apart "
                     "too.")
    right.dataframe(charts.unit_profile_table(names, class_profiles[unit]), hide_index=True, height=200,
                    width="stretch")


def section_errors(source: topomap_sources.UnitActivations, result: topomap_pipeline.TopoMaps,
                   names: tuple[str, ...], seed: int) -> None:
    """The correct and the misclassified images of one digit, on the same layout and colour scale."""
    st.header("3 · Errors: what the layer does when the network is wrong")
    if not source.has_truth:
        st.info("The photo crops have no true labels, so there are no errors to look at. Pick a digit network above.")
        return
    wrong_counts = topomap_errors.wrong_counts(source)
    STATE.bind("topo_error_class", high=len(names) - 1, default=topomap_errors.most_wrong_class(source))
    error_class = st.selectbox("Digit", list(range(len(names))), key="topo_error_class",
                               format_func=lambda c: f"{names[c]} ({wrong_counts[c]} wrong)")
    groups = topomap_errors.error_groups(source, error_class)
    if len(groups.wrong) == 0:
        st.success(f"Every held-out {names[error_class]} in this sample is classified correctly: no error map. "
                   "Pick another digit, or use more digits per class.")
        return
    pair_maps = topomap.topomaps(result.coords, groups.profiles)
    pair_limit = topomap.layer_limit(pair_maps)
    cols = st.columns([1, 1, 2])
    cols[0].image(charts.map_rgba(pair_maps[0], pair_limit), width="stretch",
                  caption=f"{len(groups.correct)} correctly classified {names[error_class]}s")
    cols[1].image(charts.map_rgba(pair_maps[1], pair_limit), width="stretch",
                  caption=f"{len(groups.wrong)} misclassified {names[error_class]}s")
    observed, chance = topomap.group_gap(source.activations, groups.correct, groups.wrong, seed=seed)
    cols[2].markdown("Same layout, same colour scale. " + topomap.group_gap_summary(observed, chance, len(groups.wrong))
                     + " The wrong ones were read as: " + topomap_errors.mistaken_summary(names, groups.mistaken_as)
                     + ".")
    cols[2].image(montage(source.images[groups.wrong[:8]], side=40), caption="Some of the misclassified digits",
                  width="stretch")


def section_quality(picked: Choices, profiles: np.ndarray, class_profiles: np.ndarray) -> None:
    """Every layout method scored on the same units, against a random placement, on request."""
    st.header("4 · Which layout makes the most brain-like map?")
    st.markdown(
        "\"Smooth and blobby\" can be measured, as in the paper: shrink each map and scale it back, or blur it, and "
        "measure how much it changes — a smooth map changes little (**low area under the error curve** over 10 "
        "levels). Count the visibly red or blue blobs: few, large blobs look like fMRI; many small ones look like "
        "noise. As in the paper, every number is measured on the maps as drawn, with **one colour scale for all class "
        "maps of the layer** — so a class whose map is nearly flat counts as nearly flat, not as noise blown up to "
        "full colour. The last row places the units at random (shuffled among the PCA positions): that is chance."
    )
    if not st.toggle("Compare all six layouts on these units", key="topo_compare",
                     help="UMAP compiles code the first time it runs in a server (about 15 s)."):
        st.caption("Switch on to lay out the same units with every method and score each map set.")
        return
    with progress_bar("Comparing the layouts…") as report:
        table = comparison_of(picked.source_key, picked.mode, picked.correct_only, picked.metric, picked.seed,
                              picked.refined, profiles, class_profiles, report)
    st.dataframe(charts.quality_table(table), width="stretch")
    left, right = st.columns(2)
    left.altair_chart(charts.quality_bars(table, "resample_auc", "Down/up-sampling error (lower = smoother)"),
                      width="stretch")
    right.altair_chart(charts.quality_bars(table, "blur_auc", "Blur error (lower = smoother)"), width="stretch")
    st.markdown(topomap_pipeline.ranking_summary(table.to_dict(orient="index")))


def section_limits() -> None:
    """What the maps can and cannot tell, with links to the next two lessons."""
    st.header("5 · What these maps can and cannot tell you")
    st.markdown(
        "- **The layout is ours, not the network's.** The network computes the same thing whichever way we arrange "
        "its units; a different method or seed gives a different picture of the same layer. The smoothness scores "
        "help choose, but they reward smoothness, not truth.\n"
        "- **Colour is relative.** Class means minus their average show what sets a class apart; raw means can be "
        "dominated by units that fire for everything.\n"
        "- **Real cortex is topographic for physical reasons** (wiring cost, development); these maps are drawn after "
        "the fact. Topographic networks that learn their layout exist, and are a research topic of their own.\n"
        "- A topographic map shows *which units go together*. To ask *what a unit wants to see*, or *which pixels* "
        "drove a decision, the next two lessons answer those different questions:"
    )
    links = st.columns(2)
    links[0].page_link("pages/activation_maximization.py", label="What does a neuron want to see?",
                       icon=":material/visibility:")
    links[1].page_link("pages/attribution.py", label="Which pixels made the network decide?",
                       icon=":material/highlight:")


introduction()
PICKED = choices()
SOURCE = activations(PICKED)
NAMES = topomap_sources.display_names(SOURCE)
CLASS_PROFILES, PROFILES = profiles_of(PICKED.source_key, PICKED.mode, PICKED.correct_only, SOURCE)
RESULT = topomaps_of(PICKED.source_key, PICKED.mode, PICKED.correct_only, PICKED.method, PICKED.metric, PICKED.seed,
                     PICKED.refined, PROFILES, CLASS_PROFILES)
section_maps(PICKED, SOURCE, RESULT, NAMES)
section_units(SOURCE, RESULT, CLASS_PROFILES, NAMES, PICKED.source_key)
section_errors(SOURCE, RESULT, NAMES, PICKED.seed)
section_quality(PICKED, PROFILES, CLASS_PROFILES)
section_limits()
STATE.write_url()
