"""Lesson page: topographic activation maps — an "fMRI scan" of a network's layer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from lessons.core.tiles import montage
from lessons.core import registry
from lessons.topomap import compute as topomap
from lessons.topomap import layouts as topomap_layouts
from lessons.topomap import pipeline as topomap_pipeline
from lessons.topomap import data as topomap_sources
from ui.models import load_with_progress
from ui.navigation import lesson_by_path
from ui.routing import route_through_app
from ui.state import forget_when_changed, init_from_url, init_number_from_url, mirror_to_url
from ui.topomap_charts import colour_bar, map_rgba, quality_bars, unit_scatter

route_through_app()
LESSON = lesson_by_path("pages/topographic_maps.py")
NETWORKS = {
    "digit_mlp": "Digit MLP (784 → 128 → 10, trained here)",
    "digit_cnn": "Small digit CNN (trained here)",
    "efficientnet_lite0": "EfficientNet-Lite0 on the shipped photos",
}
LAYER_NOTES = {
    "digit_mlp": {"relu1": "the 128 hidden units (after ReLU)"},
    "digit_cnn": {"relu1": "8 channels after the first convolution", "relu2": "16 channels after the second"},
}
PROFILE_MODES = {"class_means": "Class means minus their average (the paper's default)",
                 "raw": "Raw activations of every image"}


@st.cache_data(max_entries=16, show_spinner="Running the held-out digits through the network…")
def digit_source(network: str, layer: str, per_class: int, seed: int) -> topomap_sources.UnitActivations:
    """Activations of a digit network's layer over balanced held-out digits (cached)."""
    model = registry.load_model(network).module
    return topomap_sources.digit_activations(model, layer, per_class, seed)


@st.cache_data(max_entries=8, show_spinner=False)
def photo_source(layer: str, per_photo: int, seed: int) -> topomap_sources.UnitActivations:
    """Activations of an EfficientNet-Lite0 layer over random crops of every shipped photo (cached)."""
    loaded = registry.load_model("efficientnet_lite0")
    bar = st.progress(0.0, text="Running the photo crops through EfficientNet-Lite0…")
    result = topomap_sources.photo_activations(loaded, layer, per_photo, seed,
                                               progress=lambda f, m: bar.progress(min(f, 1.0), text=m))
    bar.empty()
    return result


@st.cache_data(max_entries=32, show_spinner=False)
def profiles_of(source_key: tuple, mode: str, correct_only: bool,
                _source: topomap_sources.UnitActivations) -> np.ndarray:
    """Unit profiles of a source (cached per source and choice)."""
    return topomap_sources.unit_profiles(_source, mode, correct_only)


@st.cache_data(max_entries=32, show_spinner="Laying out the units and drawing the class maps…")
def topomaps_of(source_key: tuple, mode: str, correct_only: bool, method: str, metric: str, seed: int,
                refined: bool, _profiles: np.ndarray, _values: np.ndarray) -> topomap_pipeline.TopoMaps:
    """Layout and class maps for one choice of method (cached: switching back is instant)."""
    return topomap_pipeline.build(_profiles, method, metric, seed, refined, _values)


@st.cache_data(max_entries=8, show_spinner=False)
def comparison_of(source_key: tuple, mode: str, correct_only: bool, metric: str, seed: int, refined: bool,
                  _profiles: np.ndarray, _values: np.ndarray) -> pd.DataFrame:
    """Quality of every layout method on the same profiles (cached)."""
    bar = st.progress(0.0, text="Comparing the layouts…")
    rows = topomap_pipeline.compare_layouts(_profiles, metric=metric, seed=seed, refined=refined, values=_values,
                                            progress=lambda f, m: bar.progress(min(f, 1.0), text=m))
    bar.empty()
    return pd.DataFrame(rows).set_index("layout")


@st.cache_data(max_entries=16, show_spinner=False)
def unit_strips(source_key: tuple, k: int, _source: topomap_sources.UnitActivations) -> list[np.ndarray]:
    """For every unit, a strip of its k strongest images (cached)."""
    side, k = (28, k) if _source.images.ndim == 3 else (32, min(k, 3))
    return [montage(_source.images[topomap.top_images(_source.activations, u, k)], side=side) for u in
            range(_source.units)]


def show_maps(maps: np.ndarray, order: np.ndarray, names: tuple[str, ...], limit: float, per_row: int = 5) -> None:
    """Class maps in dendrogram order, one shared symmetric colour scale."""
    for start in range(0, len(order), per_row):
        columns = st.columns(per_row)
        for column, c in zip(columns, order[start:start + per_row]):
            column.image(map_rgba(maps[c], limit), caption=names[c], width="stretch")


st.title(LESSON.title)
st.markdown(
    "In an fMRI scanner, a face lights up one patch of your temporal cortex and a house another: the brain is "
    "**topographic**, neurons with similar jobs sit side by side. The units of an artificial network have no "
    "positions at all — unit 17 is not \"next to\" unit 18. Krug et al. (2023) gave them positions: measure how "
    "alike two units respond, place similar units close together on a sheet, then colour the sheet by how much "
    "each unit fires for each class. The result is a **topographic activation map**, a brain scan of one layer: "
    "digit *vs* digit instead of face *vs* house."
)

# ------------------------------------------------------------------------------------------------------ choices
init_from_url("topo_network", list(NETWORKS), "digit_mlp")
with st.container(border=True):
    row = st.columns([3, 2, 2])
    network = row[0].selectbox("Network", list(NETWORKS), key="topo_network", format_func=NETWORKS.get)
    if network == "efficientnet_lite0":
        layers = list(topomap_sources.PHOTO_LAYERS)
        default_layer = "blocks.15"
    else:
        layers = list(topomap_sources.DIGIT_LAYERS[network])
        default_layer = layers[-1]
    forget_when_changed("topo_layers_of", network, "topo_layer")  # a new network starts at its default layer
    init_from_url("topo_layer", layers, default_layer)
    layer = row[1].selectbox("Layer", layers, key="topo_layer",
                             format_func=lambda n: f"{n} — {LAYER_NOTES.get(network, {}).get(n, 'a block output')}")
    if network == "efficientnet_lite0":
        init_number_from_url("topo_per_photo", 12, 4, 32, integer=True)
        per_class = row[2].slider("Crops per photo", 4, 32, key="topo_per_photo",
                                  help="Random crops (scale, mirror) of each of the 14 shipped photos.")
    else:
        init_number_from_url("topo_per_class", 100, 10, 100, integer=True)
        per_class = row[2].slider("Held-out digits per class", 10, 100, key="topo_per_class",
                                  help="The paper used 200 test images per class; the app holds out 100 per class.")
    row = st.columns([3, 2, 2])
    init_from_url("topo_layout", list(topomap_layouts.LAYOUTS), "pca")
    method = row[0].selectbox("Layout", list(topomap_layouts.LAYOUTS), key="topo_layout",
                              format_func=topomap_layouts.LAYOUTS.get,
                              help="How units are placed from their pairwise distances.")
    refined = row[0].checkbox("Force-directed refinement on top", key="topo_refined",
                              help="The paper's particle step: crowded units push apart, neighbours stay close.")
    init_from_url("topo_metric", list(topomap_layouts.METRICS), "cosine")
    metric = row[1].radio("Distance between units", list(topomap_layouts.METRICS), key="topo_metric", horizontal=True)
    seed = int(row[1].number_input("Seed", 0, 999, 0, key="topo_seed"))
    init_from_url("topo_profile", list(PROFILE_MODES), "class_means")
    mode = row[2].radio("Unit profile", list(PROFILE_MODES), key="topo_profile", format_func=PROFILE_MODES.get)
    # photo crops have no true label: every crop counts as correct, so the box does nothing there
    correct_only = bool(row[2].checkbox("Only correctly classified images", key="topo_correct",
                                        disabled=network == "efficientnet_lite0"))
mirror_to_url("topo_network", "topo_layer", "topo_layout", "topo_metric", "topo_profile",
              "topo_per_photo" if network == "efficientnet_lite0" else "topo_per_class")

if network == "efficientnet_lite0":
    loaded = load_with_progress("efficientnet_lite0", "pretrained")
    if loaded is None:
        st.stop()
    source = photo_source(layer, per_class, seed)
    st.caption("Each **photo is one class** here: its crops are the images of that class, and the maps show the "
               "unit pattern each photo evokes. There is no ground truth for the crops, so the error view is only "
               "for the digit networks.")
else:
    st.caption(load_with_progress(network, "pretrained").note)
    source = digit_source(network, layer, per_class, seed)
source_key = (network, layer, per_class, seed)
names = tuple(f"digit {n}" for n in source.class_names) if source.has_truth else source.class_names
if source.units < 3:
    st.error("This layer has fewer than three units: nothing to lay out.")
    st.stop()
class_profiles = profiles_of(source_key, "class_means", correct_only, source)  # what the maps show
profiles = class_profiles if mode == "class_means" else profiles_of(source_key, mode, correct_only, source)
result = topomaps_of(source_key, mode, correct_only, method, metric, seed, refined, profiles, class_profiles)

# ------------------------------------------------------------------------------------------------- the maps
st.header("1 · The brain scan: one map per class")
limit = topomap.layer_limit(result.maps)
show_maps(result.maps, result.order, names, limit)
left, right = st.columns([1, 2])
left.image(colour_bar(), caption=f"blue −{limit:.3g} · white 0 · red +{limit:.3g}", width="stretch")
right.markdown(
    f"**{source.units} units** of `{layer}`, laid out by **{topomap_layouts.LAYOUTS[method]}**"
    f"{' + refinement' if refined else ''} from their {metric} distances ({result.seconds:.2f} s). Each map is that "
    "class's activation of every unit"
    + ", minus the unit's average over classes: red = this class drives the unit more than the others do, blue = "
    "less." + (" Here the raw activations decided the layout; the colours are still class means." if mode == "raw"
               else "")
    + " The maps are ordered by a dendrogram, so classes with similar patterns sit next to each other; outside the "
    "units' hull the sheet is blank."
)

# --------------------------------------------------------------------------------------------- the unit sheet
st.header("2 · The units on the sheet")
colour_class = st.columns([1, 2])[0].selectbox("Colour the units by class", list(range(len(names))), format_func=lambda c: names[c],
                            key="topo_colour_class")
preferred = [names[c] for c in class_profiles.argmax(axis=1)]
strips = unit_strips(source_key, 5, source)
init_number_from_url("topo_unit", 0, 0, source.units - 1, integer=True)
if st.session_state["topo_unit"] >= source.units:
    st.session_state["topo_unit"] = 0
chart = unit_scatter(result.coords, class_profiles[:, colour_class], preferred, strips,
                     title=f"{source.units} units — hover for a unit's top images, click to pick it",
                     colour_title=f"{names[colour_class]} (class mean)", selected=st.session_state["topo_unit"])
left, right = st.columns([3, 2])
event = left.altair_chart(chart, width="stretch", on_select="rerun", key="topo_scatter")
picked_points = (event or {}).get("selection", {}).get("unit", [])
if picked_points:
    clicked = int(picked_points[0]["unit"])
    if clicked != st.session_state["topo_unit"]:
        st.session_state["topo_unit"] = clicked
unit = int(right.number_input("Unit", 0, source.units - 1, key="topo_unit"))
top = topomap.top_images(source.activations, unit, 8)
right.image(montage(source.images[top], side=56), caption=f"The 8 images that drive unit {unit} hardest",
            width="stretch")
neighbour, similarity, mean_similarity = topomap.nearest_neighbour(result.coords, class_profiles, unit)
right.markdown(f"Unit {unit} prefers **{preferred[unit]}**. "
               + topomap.neighbour_summary(unit, neighbour, similarity, mean_similarity)
               + f" Do the top images of unit {unit} and unit {neighbour} look alike? Try two units far apart too.")
right.dataframe(pd.DataFrame({"class": names, "class-mean activation": class_profiles[unit]}),
                hide_index=True, height=200, width="stretch")

# ------------------------------------------------------------------------------------------------ error view
st.header("3 · Errors: what the layer does when the network is wrong")
if not source.has_truth:
    st.info("The photo crops have no true labels, so there are no errors to look at. Pick a digit network above.")
else:
    wrong_counts = np.bincount(source.labels[~source.correct], minlength=len(names))
    default_class = int(np.argmax(wrong_counts))
    error_class = st.selectbox("Digit", list(range(len(names))), index=default_class, key="topo_error_class",
                               format_func=lambda c: f"{names[c]} ({wrong_counts[c]} wrong)")
    in_class = source.labels == error_class
    groups = [np.flatnonzero(in_class & source.correct), np.flatnonzero(in_class & ~source.correct)]
    reference = topomap.class_mean_profiles(source.activations, source.labels, len(names), subtract_mean=False)
    reference = reference.mean(axis=1)
    pair = topomap.group_profiles(source.activations, groups, reference)
    if len(groups[1]) == 0:
        st.success(f"Every held-out {names[error_class]} in this sample is classified correctly: no error map. "
                   "Pick another digit, or use more digits per class.")
    else:
        pair_maps = topomap.topomaps(result.coords, pair)
        pair_limit = topomap.layer_limit(pair_maps)
        cols = st.columns([1, 1, 2])
        cols[0].image(map_rgba(pair_maps[0], pair_limit), width="stretch",
                      caption=f"{len(groups[0])} correctly classified {names[error_class]}s")
        cols[1].image(map_rgba(pair_maps[1], pair_limit), width="stretch",
                      caption=f"{len(groups[1])} misclassified {names[error_class]}s")
        mistaken = np.bincount(source.predictions[groups[1]], minlength=len(names))
        observed, chance = topomap.group_gap(source.activations, groups[0], groups[1], seed=seed)
        cols[2].markdown(
            "Same layout, same colour scale. " + topomap.group_gap_summary(observed, chance, len(groups[1]))
            + " The wrong ones were read as: "
            + ", ".join(f"**{names[c]}** ×{mistaken[c]}" for c in np.argsort(-mistaken) if mistaken[c]) + "."
        )
        cols[2].image(montage(source.images[groups[1][:8]], side=40), caption="Some of the misclassified digits",
                      width="stretch")

# ---------------------------------------------------------------------------------------------- layout quality
st.header("4 · Which layout makes the most brain-like map?")
st.markdown(
    "\"Smooth and blobby\" can be measured, as in the paper: shrink each map and scale it back, or blur it, and "
    "measure how much it changes — a smooth map changes little (**low area under the error curve** over 10 levels). "
    "Count the visibly red or blue blobs: few, large blobs look like fMRI; many small ones look like noise. As in "
    "the paper, every number is measured on the maps as drawn, with **one colour scale for all class maps of the "
    "layer** — so a class whose map is nearly flat counts as nearly flat, not as noise blown up to full colour. The "
    "last row places the units at random (shuffled among the PCA positions): that is chance."
)
if st.toggle("Compare all six layouts on these units", key="topo_compare",
             help="UMAP compiles code the first time it runs in a server (about 15 s)."):
    table = comparison_of(source_key, mode, correct_only, metric, seed, refined, profiles, class_profiles)
    shown = table.rename(columns={"resample_auc": "down/up-sampling AUC", "blur_auc": "blur AUC",
                                  "components": "blobs per map", "component_px": "mean blob size (px)"})
    st.dataframe(shown.style.format("{:.4f}", subset=["down/up-sampling AUC", "blur AUC"])
                 .format("{:.1f}", subset=["blobs per map", "mean blob size (px)"])
                 .format("{:.2f}", subset=["seconds"]), width="stretch")
    left, right = st.columns(2)
    left.altair_chart(quality_bars(table, "resample_auc", "Down/up-sampling error (lower = smoother)"),
                      width="stretch")
    right.altair_chart(quality_bars(table, "blur_auc", "Blur error (lower = smoother)"), width="stretch")
    st.markdown(topomap_pipeline.ranking_summary(table.to_dict(orient="index")))
else:
    st.caption("Switch on to lay out the same units with every method and score each map set.")

# ----------------------------------------------------------------------------------------------- honest note
st.header("5 · What these maps can and cannot tell you")
st.markdown(
    "- **The layout is ours, not the network's.** The network computes the same thing whichever way we arrange its "
    "units; a different method or seed gives a different picture of the same layer. The smoothness scores help "
    "choose, but they reward smoothness, not truth.\n"
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
links[1].page_link("pages/attribution.py", label="Which pixels made the network decide?", icon=":material/highlight:")
