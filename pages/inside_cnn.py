"""Lesson page: Inside a CNN — a real pretrained network on a photo, layer by layer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from lessons.core.tiles import montage
from lessons.core import capture, preprocess, registry
from lessons.cnn import compute as inside_cnn
from ui.charts import stage_strip_html, top_k_bars
from ui.digits import digit_picker
from ui.images import PickedImage, photo_picker
from ui.models import WEIGHT_LABELS, load_with_progress, model_picker
from ui.navigation import lesson_by_path
from ui.routing import route_through_app
from ui.state import init_from_url, mirror_to_url

route_through_app()
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


st.title(LESSON.title)
intro = st.empty()

# ------------------------------------------------------------------------------------------------------ choices
init_from_url("model", registry.model_keys(), registry.DEFAULT_MODEL)
init_from_url("weights", list(WEIGHT_LABELS), "pretrained")
model_key, weights, spec = model_picker("model", registry.model_keys(), weights_key="weights", without_weights=
    "Until then the page shows its architecture with"
    " **random weights**.")
trained = weights != "random"
digits = spec.family == "digits"
names = registry.class_names(spec)
intro.markdown(
    "A convolutional network is a short recipe repeated many times: **convolve** the image with a bank of small "
    "learned filters, keep only the positive responses (**ReLU**), **pool** (or stride) to shrink the map, and "
    "repeat. Each round turns the picture into more channels of smaller maps that describe *what* is where rather "
    "than raw pixel values. At the top, a plain **linear classifier** — the same kind of line-drawer as in the "
    f"first lesson — reads the last features and scores {inside_cnn.classifier_sentence(spec.family, names)}. "
    f"Below you follow one {'digit' if digits else 'photo'} through {spec.title}."
)

with st.container(border=True):
    picked: PickedImage = digit_picker("digit") if digits else photo_picker("photo")
mirror_to_url("model", "weights", "digit_class" if digits else "photo")

loaded = load_with_progress(model_key, weights)
if loaded is None:
    st.stop()
st.caption(f"{loaded.title}. {loaded.note}")

# ------------------------------------------------------------------------------------------------ preprocessing
st.header("1 · From photo to tensor")
st.markdown(
    "The network was trained on square images of a fixed size, with pixel values shifted and scaled by the "
    "statistics of its training set. Every image therefore goes through the same steps before the first layer "
    "sees it — skip one and the network sees a world it never learned."
)
steps = preprocessing(model_key, picked.image_id, picked.array)
for column, step in zip(st.columns(len(steps)), steps):
    column.image(step.image, caption=f"{step.title}: {step.caption}", width="stretch")
st.caption(picked.caption)

# ---------------------------------------------------------------------------------------------------- prediction
st.header("2 · What the network says")
probs = probabilities(model_key, weights, picked.image_id, picked.array)
best = capture.top_k(probs, names, k=5)
left, right = st.columns([3, 2])
left.altair_chart(top_k_bars(best, title=f"Top-5 of {loaded.title}"), width="stretch")
true_label = st.session_state.get("digit_class") if digits else None
note = inside_cnn.prediction_note(best, len(names), trained, true_label)
(right.markdown if trained else right.info)(note)

# -------------------------------------------------------------------------------------------------- architecture
st.header("3 · The network's stages")
st.markdown(
    "Read left to right, row by row: each box is one stage with the shape of what it hands on (channels × height × "
    "width). Watch the maps shrink while the channels multiply, until a single vector feeds the classifier. "
    "The shapes are read from the live model, not typed in."
)
layer_options = loaded.spatial_layers
init_from_url("layer", layer_options, layer_options[min(2, len(layer_options) - 1)])
input_shape = f"{spec.channels}×{spec.input_size}×{spec.input_size}"
stage_cards = [("input", "input", input_shape)] + [
    (row.name, row.kind, inside_cnn.format_shape(row.output_shape)) for row in inside_cnn.layer_table(loaded)]
st.html(stage_strip_html(stage_cards, highlight=st.session_state["layer"]))
with st.expander("Layer table"):
    table = pd.DataFrame([
        {"layer": r.name, "kind": r.kind, "what it does": r.description,
         "output": inside_cnn.format_shape(r.output_shape), "parameters": r.parameters}
        for r in inside_cnn.layer_table(loaded)
    ])
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(f"{int(table['parameters'].sum()):,} parameters in total.")

# -------------------------------------------------------------------------------------------------------- filters
st.header("4 · First-layer filters")
conv = inside_cnn.first_conv(loaded.module)
weight = conv.weight.detach().cpu().numpy()
st.markdown(inside_cnn.filters_text(weight.shape[0], weight.shape[1], weight.shape[-1], trained))
filter_columns = min(16, weight.shape[0])
st.image(montage(inside_cnn.filter_tiles(weight), columns=filter_columns, pad=1),
         width=min(900, 50 * filter_columns))

# ---------------------------------------------------------------------------------------------------- feature maps
st.header("5 · Feature maps")
st.markdown(
    "Each channel of a layer is a map of where its pattern occurs in *this* image. The textbook picture: early "
    "layers respond to edges and colours everywhere, deeper layers to parts and textures in fewer, coarser places. "
    "Does this image bear it out? Channels are ordered by their mean activation, strongest first."
)
fm = st.columns([2, 1, 1])
layer = fm[0].selectbox("Layer", layer_options, key="layer",
                        format_func=lambda n: f"{n} — {inside_cnn.format_shape(loaded.output_shapes[n])}")
count = fm[1].slider("Maps shown", 4, 64, 16, step=4, key="maps_shown")
shared = fm[2].toggle("Shared colour scale", value=True, key="shared_scale",
                      help="On: brightness is comparable between maps. Off: each map is stretched to its own range.")
mirror_to_url("layer")
act = activation(model_key, weights, picked.image_id, layer, picked.array)
order = inside_cnn.strongest_channels(act, min(count, act.shape[0]))
tiles = inside_cnn.feature_map_tiles(act, order, shared_scale=shared)
limits = inside_cnn.feature_map_limits(act, order, shared_scale=shared)
seen, maps = st.columns([1, 4])
seen.image(steps[2].image, caption="What the network sees", width="stretch")
maps.image(montage(tiles, columns=8, pad=2), width="stretch",
           caption=f"{layer}: the {len(order)} strongest of {act.shape[0]} channels (channel "
                   f"{', '.join(map(str, order[:4]))}, …); each map {act.shape[1]}×{act.shape[2]}.")
maps.caption(inside_cnn.feature_map_scale_note(limits, shared))
closer = st.columns([2, 3])
channel = closer[0].selectbox(
    "Look closer at one channel", [int(c) for c in order], key="closer_channel",
    format_func=lambda c: f"channel {c} (mean activation {inside_cnn.channel_strength(act)[c]:.2f})")
closer[0].markdown(
    f"{inside_cnn.overlay_note(act[channel])} Try an early layer and a deep one on the same "
    f"{'digit' if digits else 'photo'}.")
closer[1].image(inside_cnn.overlay_map(steps[2].image, act[channel]), width=360,
                caption=f"{layer}, channel {channel}, over the input")
st.markdown(inside_cnn.why_it_works(loaded.output_shapes[loaded.layer_names[-2]][0],
                                    sum(p.numel() for p in loaded.module.parameters()), trained))
