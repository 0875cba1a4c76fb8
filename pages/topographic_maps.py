"""Lesson page: topographic activation maps — an "fMRI scan" of a network's layer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from lessons.core.tiles import montage
from lessons.topomap import compute as topomap
from lessons.topomap import data as topomap_sources
from lessons.topomap import errors as topomap_errors
from lessons.topomap import layouts as topomap_layouts
from lessons.topomap import pipeline as topomap_pipeline
from ui import topomap_charts as charts
from ui import topomap_results as results
from ui.downloads import download_row
from ui.exercises import exercises_at, notice
from ui.models import load_with_progress, model_picker
from ui.navigation import lesson_by_path
from ui.presenter import section
from ui.routing import route_through_app
from ui.settings.topographic_maps import NETWORKS, PROFILE_MODES, STATE
from ui.state import stop_page

route_through_app()
STATE.start()
LESSON = lesson_by_path("pages/topographic_maps.py")
LABELS = {"efficientnet_lite0": "EfficientNet-Lite0 on the shipped photos"}  # the digit nets keep their titles
PROFILE_LABELS = dict(zip(PROFILE_MODES, ("Class means minus their average (the paper's default)",
                                          "Raw activations of every image")))


@section
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


@section
def choices() -> results.Choices:
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
    return results.Choices(network, weights, layer, per_class, method, refined, metric, seed, mode, correct_only)


@section
def activations(picked: results.Choices) -> topomap_sources.UnitActivations:
    """The chosen layer's activations over held-out digits or photo crops (the page stops if there are too few
    units to lay out)."""
    loaded = load_with_progress(picked.network, picked.weights)
    if loaded is None:
        stop_page()
    source = results.activations(picked)
    if picked.photos:
        st.caption("Each **photo is one class** here: its crops are the images of that class, and the maps show the "
                   "unit pattern each photo evokes. There is no ground truth for the crops, so the error view is "
                   "only for the digit networks.")
    else:
        st.caption(loaded.note)
    if source.units < 3:
        st.error("This layer has fewer than three units: nothing to lay out.")
        stop_page()
    return source


@section
def section_maps(picked: results.Choices, source: topomap_sources.UnitActivations, result: topomap_pipeline.TopoMaps,
                 names: tuple[str, ...], class_profiles: np.ndarray, smoothness: topomap_pipeline.Smoothness) -> None:
    """One map per class on the shared colour scale, with what the colours mean, the maps to download and how smooth
    they are beside PCA's and a random placement's."""
    st.header("1 · The brain scan: one map per class")
    limit = topomap.layer_limit(result.maps)  # one symmetric colour scale for every class map
    for start in range(0, len(result.order), 5):  # in dendrogram order, five a row
        for column, c in zip(st.columns(5), result.order[start:start + 5]):
            column.image(charts.map_rgba(result.maps[c], limit), caption=names[c], width="stretch")
    left, right = st.columns([1, 2])
    left.image(charts.colour_bar(), caption=f"blue −{limit:.3g} · white 0 · red +{limit:.3g}", width="stretch")
    sigma = topomap.smoothing_sigma(source.units)
    right.markdown(
        f"**{source.units} units** of `{picked.layer}`, laid out by **{topomap_layouts.LAYOUTS[picked.method]}**"
        f"{' + refinement' if picked.refined else ''} from their {picked.metric} distances ({result.seconds:.2f} s). "
        "Each map is that class's activation of every unit"
        + ", minus the unit's average over classes: red = this class drives the unit more than the others do, blue = "
        "less." + (" Here the raw activations decided the layout; the colours are still class means."
                   if picked.mode == "raw" else "")
        + " Between the units the values are interpolated over a triangulation of their positions and smoothed "
        f"with a Gaussian ({sigma:.1f} of the map's {topomap.GRID} pixels, half the units' typical spacing), as in the "
        "paper's figures. The maps are ordered by a dendrogram, so classes with similar patterns sit next to each "
        "other; outside the units' hull the sheet is blank."
    )
    preferred = [names[c] for c in topomap.preferred_classes(class_profiles)]
    download_row(f"topographic-maps-{picked.network}-{picked.layer}-{picked.method}",
                 picture=charts.maps_sheet(result.maps, result.order, names, limit),
                 table=charts.units_table(result.coords, class_profiles, names, preferred), array=result.maps,
                 key="topo_maps_download", what="the class maps")
    st.caption(f"PNG: the maps as shown. CSV: every unit's place on the sheet and its centred class means. NPY: the "
               f"maps as drawn, {len(names)} × {topomap.GRID} × {topomap.GRID}, NaN outside the hull "
               "(`np.load` opens it).")
    refined = " + refinement" if picked.refined else ""
    layout, score = topomap_layouts.LAYOUTS[picked.method] + refined, topomap_pipeline.score_text
    st.markdown(f"**How smooth?** Blur error (lower = smoother; measured before the smoothing, see section 4): these "
                f"maps **{score(smoothness.layout)}** · PCA{refined} on the same units {score(smoothness.pca)} · the "
                f"same units placed at random (chance) {score(smoothness.chance)}.")
    notice(topomap_pipeline.smoothness_notice(layout, smoothness))
    exercises_at(LESSON.url_path, "maps", {
        "layout_key": picked.method, "layout": layout, "refined": picked.refined, "blur_error": smoothness.layout,
        "pca_blur_error": smoothness.pca, "chance_blur_error": smoothness.chance})


@section
def section_units(source: topomap_sources.UnitActivations, result: topomap_pipeline.TopoMaps,
                  class_profiles: np.ndarray, names: tuple[str, ...], source_key: tuple) -> int:
    """The units on the sheet: hover for top images, click (or type) a unit to see it and its nearest neighbour.
    Returns the class the units are coloured by."""
    st.header("2 · The units on the sheet")
    STATE.bind("topo_colour_class", high=len(names) - 1)
    colour_class = st.columns([1, 2])[0].selectbox("Colour the units by class", list(range(len(names))),
                                                   format_func=lambda c: names[c], key="topo_colour_class")
    preferred = [names[c] for c in topomap.preferred_classes(class_profiles)]
    strips = results.unit_strips(source_key, 5, source)
    chart = charts.unit_scatter(result.coords, class_profiles[:, colour_class], preferred, strips,
                                title=f"{source.units} units — hover for a unit's top images, click to pick it",
                                colour_title=f"{names[colour_class]} (centred class mean)",
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
    table = charts.unit_profile_table(names, class_profiles[unit])
    right.dataframe(charts.short_names(table), hide_index=True, height=200, width="stretch", column_config={
        "class": st.column_config.TextColumn("class", width="medium"),
        charts.CENTRED: st.column_config.NumberColumn(charts.CENTRED, help=charts.CENTRED_HELP, format="%.3f",
                                                      width="small")})
    with right:
        download_row(f"unit-{unit}-class-means", table=table, key="topo_unit_download",
                     what=f"unit {unit}'s centred class means")
    exercises_at(LESSON.url_path, "units")
    return colour_class


@section
def section_errors(source: topomap_sources.UnitActivations, result: topomap_pipeline.TopoMaps,
                   names: tuple[str, ...], seed: int) -> None:
    """The correct and the misclassified images of one digit, on the same layout and colour scale."""
    st.header("3 · Errors: what the layer does when the network is wrong")
    error_view(source, result, names, seed)
    exercises_at(LESSON.url_path, "errors")


def error_view(source: topomap_sources.UnitActivations, result: topomap_pipeline.TopoMaps, names: tuple[str, ...],
               seed: int) -> None:
    """The two maps of one digit's correct and wrong images, their gap against random splits, and examples."""
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
    pair_maps = topomap.smooth_topomaps(result.coords, groups.profiles)
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


@section
def section_quality(picked: results.Choices, profiles: np.ndarray, class_profiles: np.ndarray, names: tuple[str, ...],
                    colour_class: int) -> None:
    """Every layout method scored on the same units, against a random placement: on request, or at once when it
    has been computed for these settings before."""
    st.header("4 · Which layout makes the most brain-like map?")
    st.markdown(
        "\"Smooth and blobby\" can be measured, as in the paper: shrink each map and scale it back, or blur it, and "
        "measure how much it changes — a smooth map changes little (**low area under the error curve** over 10 "
        "levels). Count the visibly red or blue blobs: few, large blobs look like fMRI; many small ones look like "
        "noise. As in the paper, every number is measured with **one colour scale for all class maps of the "
        "layer** — so a class whose map is nearly flat counts as nearly flat, not as noise blown up to full colour — "
        "and on "
        "the interpolated maps *before* the smoothing the pictures get: smoothing blurs even a random placement "
        "into blobs (look at its thumbnail). The last row places the units at random (shuffled among the PCA "
        "positions): that is chance."
    )
    stored = results.stored_comparison(picked)
    revealed = exercises_at(LESSON.url_path, "quality", {} if stored is None else {"layout_scores": stored.scores()})
    if stored is None and not results.compare_button(
            picked, "Compare all six layouts", type="primary",
            help="Lays out the same units with every method and scores each map set; UMAP compiles code the first "
                 "time it runs in a server (about 15 s). A comparison made once is kept for these settings."):
        st.caption("Press the button to lay out the same units with every method and score each map set.")
        return
    comparison = results.comparison(picked, profiles, class_profiles)
    if comparison is None:
        return
    if stored is None:  # it arrived during this run: run again, so that a committed prediction is judged first
        st.rerun()
    if not revealed:
        st.caption("The comparison is ready: commit (or skip) your prediction above to see it.")
        return
    table = pd.DataFrame(comparison.rows).set_index("layout")
    st.markdown(f"**{names[colour_class]}** (the class colouring the units above) under each layout, each layout "
                "on its own layer's colour scale:")
    st.image([charts.map_rgba(maps[colour_class], topomap.layer_limit(maps), upscale=1)
              for maps in comparison.maps.values()], caption=charts.thumbnail_captions(table), width=120)
    st.dataframe(charts.quality_table(table), width="stretch")
    st.altair_chart(charts.quality_bars(table, "resample_auc", "Down/up-sampling error (lower = smoother)"),
                    width="stretch")
    st.altair_chart(charts.quality_bars(table, "blur_auc", "Blur error (lower = smoother)"), width="stretch")
    download_row(f"layout-comparison-{picked.network}-{picked.layer}-{picked.metric}",
                 chart=charts.quality_figure(table), table=table.reset_index(), key="topo_compare_download",
                 what="the layout comparison")
    st.markdown(topomap_pipeline.ranking_summary(table.to_dict(orient="index")))


@section
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
    exercises_at(LESSON.url_path, "limits")


introduction()
PICKED = choices()
SOURCE = activations(PICKED)
NAMES = topomap_sources.display_names(SOURCE)
CLASS_PROFILES, PROFILES = results.profiles(PICKED, SOURCE)
RESULT = results.topomaps(PICKED, PROFILES, CLASS_PROFILES)
SMOOTHNESS = results.smoothness(PICKED, PROFILES, CLASS_PROFILES, RESULT)
section_maps(PICKED, SOURCE, RESULT, NAMES, CLASS_PROFILES, SMOOTHNESS)
COLOUR_CLASS = section_units(SOURCE, RESULT, CLASS_PROFILES, NAMES, PICKED.source_key)
section_errors(SOURCE, RESULT, NAMES, PICKED.seed)
section_quality(PICKED, PROFILES, CLASS_PROFILES, NAMES, COLOUR_CLASS)
section_limits()
STATE.write_url()
