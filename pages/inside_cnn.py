"""Lesson page: Inside a CNN — a real pretrained network on a photo, layer by layer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from lessons.cnn import compute as inside_cnn
from lessons.cnn import exercises
from lessons.core import capture, preprocess, registry
from lessons.core.tiles import montage
from ui.charts import stage_strip_html, top_k_bars
from ui.cnn_charts import colour_bar
from ui.digits import digit_picker
from ui.downloads import download_row
from ui.exercises import exercises_at, notice
from ui.images import PickedImage, photo_picker
from ui.models import load_with_progress, model_picker
from ui.navigation import lesson_by_path
from ui.presenter import section
from ui.routing import route_through_app
from ui.settings.inside_cnn import STATE
from ui.state import stop_page

route_through_app()
STATE.start()
LESSON = lesson_by_path("pages/inside_cnn.py")


@st.cache_data(max_entries=64, show_spinner=False)
def probabilities(model_key: str, weights: str, image_id: str, _image: np.ndarray) -> np.ndarray:
    """Class probabilities of one image (cached per model, weights and image)."""
    loaded = registry.load_model(model_key, weights)
    return capture.predict(loaded, preprocess.prepare_batch([_image], loaded.spec))[0]


@st.cache_data(max_entries=64, show_spinner=False)
def preprocessing(model_key: str, image_id: str, _image: np.ndarray) -> list[inside_cnn.PreprocessStep]:
    """The preprocessing steps of one image for one model (cached)."""
    return inside_cnn.preprocessing_steps(_image, registry.spec_for(model_key))


@st.cache_data(max_entries=64, show_spinner=False)
def activation(model_key: str, weights: str, image_id: str, layer: str, _image: np.ndarray) -> np.ndarray:
    """One layer's C×H×W activation for one image (cached)."""
    loaded = registry.load_model(model_key, weights)
    return capture.capture(loaded, preprocess.prepare_batch([_image], loaded.spec), [layer])[layer][0]


@section
def choices() -> tuple[registry.LoadedModel, PickedImage]:
    """The title, the network and its weights, the intro, and the photo (or digit) to follow."""
    st.title(LESSON.title)
    intro = st.empty()
    model_key, weights, spec = model_picker("cnn_model", registry.model_keys(feature_maps=True), weights_key="cnn_weights",
                                            without_weights="Until then the page shows its architecture with"
                                                            " **random weights**.")
    digits = spec.family == "digits"
    intro.markdown(
        "A convolutional network is a short recipe repeated many times: **convolve** the image with a bank of small "
        "learned filters, keep only the positive responses (**ReLU**), **pool** (or stride) to shrink the map, and "
        "repeat. Each round turns the picture into more channels of smaller maps that describe *what* is where "
        "rather than raw pixel values. At the top, a plain **linear classifier** — the same kind of line-drawer as "
        f"in the first lesson — reads the last features and scores "
        f"{inside_cnn.classifier_sentence(spec.family, registry.class_names(spec))}. "
        f"Below you follow one {'digit' if digits else 'photo'} through {spec.title}."
    )
    with st.container(border=True):
        picked = digit_picker("cnn_digit", STATE) if digits else photo_picker("cnn_photo")
        if not digits:
            st.caption("A shared link carries the photo chosen from the list, not an uploaded file.")
    loaded = load_with_progress(model_key, weights)
    if loaded is None:
        stop_page()
    st.caption(f"{loaded.title}. {loaded.note}")
    return loaded, picked


@section
def section_preprocessing(loaded: registry.LoadedModel, picked: PickedImage) -> list[inside_cnn.PreprocessStep]:
    """1 · From photo to tensor: the preprocessing steps side by side; returns them."""
    st.header("1 · From photo to tensor")
    st.markdown(
        "The network was trained on square images of a fixed size, with pixel values shifted and scaled by the "
        "statistics of its training set. Every image therefore goes through the same steps before the first layer "
        "sees it — skip one and the network sees a world it never learned."
    )
    steps = preprocessing(loaded.spec.key, picked.image_id, picked.array)
    for column, step in zip(st.columns(len(steps)), steps):
        column.image(step.image, caption=f"{step.title}: {step.caption}", width="stretch")
    st.caption(picked.caption)
    stage, stage_shape = inside_cnn.first_stage(loaded)
    exercises_at(LESSON.url_path, "preprocessing", {"input_size": loaded.spec.input_size, "first_stage": stage,
                                                    "first_stage_shape": stage_shape})
    return steps


@section
def section_prediction(loaded: registry.LoadedModel, picked: PickedImage) -> None:
    """2 · What the network says: the top-5 bars and what they mean."""
    st.header("2 · What the network says")
    names = registry.class_names(loaded.spec)
    trained = loaded.weights != "random"
    probs = probabilities(loaded.spec.key, loaded.weights, picked.image_id, picked.array)
    best = capture.top_k(probs, names, k=5)
    left, right = st.columns([3, 2])
    chart = top_k_bars(best, title=f"Top-5 of {loaded.title}")
    left.altair_chart(chart, width="stretch")
    with left:
        download_row(f"top5-{loaded.spec.key}-{loaded.weights}-{picked.image_id}", chart=chart, key="cnn_top5",
                     table=pd.DataFrame(best, columns=["class", "probability"]), what="the top-5 guesses")
    true_label = STATE.value("cnn_digit_class") if loaded.spec.family == "digits" else None
    note = inside_cnn.prediction_note(best, len(names), trained, true_label)
    (right.markdown if trained else right.info)(note)
    exercises_at(LESSON.url_path, "prediction", {"trained": trained, "top1_name": best[0][0],
                                                 "top1_prob": best[0][1], "n_classes": len(names)})


@section
def section_stages(loaded: registry.LoadedModel) -> None:
    """3 · The network's stages: the live stage strip (the chosen layer outlined) and the layer table."""
    st.header("3 · The network's stages")
    st.markdown(
        "Read left to right, row by row: each box is one stage with the shape of what it hands on (channels × height "
        "× width). Watch the maps shrink while the channels multiply, until a single vector feeds the classifier. "
        "The shapes are read from the live model, not typed in."
    )
    layer_options = loaded.spatial_layers
    layer = STATE.bind("cnn_layer", options=layer_options, default=inside_cnn.default_layer(layer_options))
    spec = loaded.spec
    rows = inside_cnn.layer_table(loaded)
    (first, first_shape), (last, last_shape) = inside_cnn.feature_map_ends(loaded)
    if not exercises_at(LESSON.url_path, "stages", {"first_maps": first, "first_maps_shape": first_shape,
                                                    "last_maps": last, "last_maps_shape": last_shape}):
        return
    stage_cards = [("input", "input", f"{spec.channels}×{spec.input_size}×{spec.input_size}")] + [
        (row.name, row.kind, inside_cnn.format_shape(row.output_shape)) for row in rows]
    st.html(stage_strip_html(stage_cards, highlight=layer))
    with st.expander("Layer table"):
        table = pd.DataFrame([
            {"layer": r.name, "kind": r.kind, "what it does": r.description,
             "output": inside_cnn.format_shape(r.output_shape), "parameters": r.parameters} for r in rows
        ])
        st.dataframe(table, hide_index=True, width="stretch")
        st.caption(f"{sum(r.parameters for r in rows):,} parameters in total.")
    notice(exercises.shrink_notice(first, first_shape, last, last_shape))
    top, total = inside_cnn.parameter_split(rows, layer_options)
    exercises_at(LESSON.url_path, "layers", {"top_parameters": top, "total_parameters": total})


@section
def section_filters(loaded: registry.LoadedModel) -> None:
    """4 · First-layer filters, as a montage."""
    st.header("4 · First-layer filters")
    weight = inside_cnn.first_layer_filters(loaded.module)
    st.markdown(inside_cnn.filters_text(weight.shape[0], weight.shape[1], weight.shape[-1],
                                        loaded.weights != "random"))
    filter_columns = min(16, weight.shape[0])
    grid = montage(inside_cnn.filter_tiles(weight), columns=filter_columns, pad=1)
    st.image(grid, width=min(900, 50 * filter_columns))
    download_row(f"first-layer-filters-{loaded.spec.key}-{loaded.weights}", picture=grid, array=weight,
                 key="cnn_filters", what="the first-layer filters")
    exercises_at(LESSON.url_path, "filters")


@section
def section_feature_maps(loaded: registry.LoadedModel, picked: PickedImage, seen_image: np.ndarray) -> None:
    """5 · Feature maps: the strongest channels of a layer, one of them over the input, and why it works."""
    st.header("5 · Feature maps")
    st.markdown(
        "Each channel of a layer is a map of where its pattern occurs in *this* image. The textbook picture: early "
        "layers respond to edges and colours everywhere, deeper layers to parts and textures in fewer, coarser "
        "places. Does this image bear it out? Channels are ordered by their mean activation, strongest first."
    )
    fm = st.columns([2, 1, 1])
    layer = fm[0].selectbox("Layer", loaded.spatial_layers, key="cnn_layer",
                            format_func=lambda n: f"{n} — {inside_cnn.format_shape(loaded.output_shapes[n])}")
    count = fm[1].slider("Maps shown", 4, 64, step=4, key="cnn_maps_shown")
    shared = fm[2].toggle("Shared colour scale", key="cnn_shared_scale",
                          help="On: brightness is comparable between maps. Off: each map is stretched to its own "
                               "range.")
    act = activation(loaded.spec.key, loaded.weights, picked.image_id, layer, picked.array)
    order = inside_cnn.strongest_channels(act, min(count, act.shape[0]))
    grid = montage(inside_cnn.feature_map_tiles(act, order, shared_scale=shared), columns=8, pad=2)
    limits = inside_cnn.feature_map_limits(act, order, shared_scale=shared)
    seen, maps = st.columns([1, 4])
    seen.image(seen_image, caption="What the network sees", width="stretch")
    maps.image(grid, width="stretch",
               caption=f"{layer}: the {len(order)} strongest of {act.shape[0]} channels (channel "
                       f"{', '.join(map(str, order[:4]))}, …); each map {act.shape[1]}×{act.shape[2]}.")
    maps.altair_chart(colour_bar(inside_cnn.feature_map_colour_scale(limits, shared),
                                 inside_cnn.colour_bar_colours()), width="stretch")
    maps.caption(inside_cnn.feature_map_scale_note(limits, shared))
    with maps:
        download_row(f"feature-maps-{loaded.spec.key}-{loaded.weights}-{layer}-{picked.image_id}", picture=grid,
                     array=act, key="cnn_maps", what=f"the {layer} feature maps")
    section_closer_look(act, order, layer, seen_image, digits=loaded.spec.family == "digits")
    st.markdown(inside_cnn.why_it_works(inside_cnn.classifier_input_size(loaded),
                                        inside_cnn.parameter_count(loaded.module), loaded.weights != "random"))
    exercises_at(LESSON.url_path, "maps")


@section
def section_closer_look(act: np.ndarray, order: np.ndarray, layer: str, seen_image: np.ndarray, digits: bool) -> None:
    """One of the shown channels over the input image."""
    closer = st.columns([2, 3])
    strength = inside_cnn.channel_strength(act)
    STATE.bind("cnn_closer_channel", options=[str(c) for c in order])
    channel = int(closer[0].selectbox(
        "Look closer at one channel", [str(c) for c in order], key="cnn_closer_channel",
        format_func=lambda c: f"channel {c} (mean activation {strength[int(c)]:.2f})"))
    closer[0].markdown(
        f"{inside_cnn.overlay_note(act[channel])} Try an early layer and a deep one on the same "
        f"{'digit' if digits else 'photo'}.")
    closer[1].image(inside_cnn.overlay_map(seen_image, act[channel]), width=360,
                    caption=f"{layer}, channel {channel}, over the input")


loaded_model, picked_image = choices()
preprocess_steps = section_preprocessing(loaded_model, picked_image)
section_prediction(loaded_model, picked_image)
section_stages(loaded_model)
section_filters(loaded_model)
section_feature_maps(loaded_model, picked_image, preprocess_steps[2].image)
STATE.write_url()
