"""Lesson page: attribution — which pixels made the network decide?"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lessons.attribution import compute as attribution
from lessons.core import capture, preprocess, registry, runtime
from lessons.cnn import compute as inside_cnn
from ui.charts import top_k_bars
from ui.digits import digit_picker
from ui.images import PickedImage, photo_picker
from ui.models import WEIGHT_LABELS, load_with_progress, model_picker
from ui.navigation import lesson_by_path
from ui.routing import route_through_app
from ui.state import init_from_url, init_number_from_url, mirror_to_url

route_through_app()
LESSON = lesson_by_path("pages/attribution.py")
TWINS = {"random_classifier": "Classifier layer re-drawn at random", "random": "Random-weights twin"}


def _engine(model_key: str, weights: str) -> registry.LoadedModel:
    return registry.fused_model(registry.load_model(model_key, weights))


@st.cache_data(max_entries=32, show_spinner=False)
def probabilities(model_key: str, weights: str, image_id: str, _image: np.ndarray) -> np.ndarray:
    """Class probabilities of one image (cached per model, weights and image)."""
    loaded = registry.load_model(model_key, weights)
    return capture.predict(loaded, preprocess.prepare_batch([_image], loaded.spec))[0]


@st.cache_data(max_entries=32, show_spinner=False)
def crop(model_key: str, image_id: str, _image: np.ndarray) -> np.ndarray:
    """The square crop the network sees, as an H×W×3 uint8 image (cached)."""
    return inside_cnn.preprocessing_steps(_image, registry.spec_for(model_key))[2].image


@st.cache_data(max_entries=32, show_spinner="Computing the four attribution maps (saliency, Grad-CAM, integrated "
                                          "gradients, occlusion)…")
def maps(model_key: str, weights: str, image_id: str, target: int, settings: attribution.Settings,
         randomise_classifier: bool, _image: np.ndarray) -> list[attribution.Attribution]:
    """All four attribution maps for one image and class (cached: a rerun with the same settings is instant)."""
    loaded = _engine(model_key, weights)
    x = preprocess.prepare_batch([_image], loaded.spec)
    return attribution.attribute_all(loaded, x, target, settings, randomise_classifier)


@st.cache_data(max_entries=32, show_spinner="Deleting pixels in each map's order…")
def deletion(model_key: str, weights: str, image_id: str, target: int, settings: attribution.Settings,
             _image: np.ndarray, _results: list[attribution.Attribution]) -> pd.DataFrame:
    """Deletion curves of the four methods and of a random map, long format (cached)."""
    loaded = _engine(model_key, weights)
    x = preprocess.prepare_batch([_image], loaded.spec)
    rows = []
    curves = [(attribution.METHOD_TITLES[r.method], r.heatmap) for r in _results]
    curves.append((attribution.RANDOM_MAP_TITLE, attribution.random_heatmap(_results[0].heatmap.shape)))
    for title, heatmap in curves:
        fractions, probs = attribution.deletion_curve(loaded, x, target, heatmap, steps=10,
                                                      baseline=settings.baseline)
        auc = attribution.area_under(fractions, probs)
        rows += [{"method": title, "removed": f, "probability": p, "area": auc} for f, p in zip(fractions, probs)]
    return pd.DataFrame(rows)


def show_maps(results: list[attribution.Attribution], image: np.ndarray, columns=None) -> None:
    """The four heatmaps over the crop, side by side, with their run times."""
    for column, result in zip(columns or st.columns(len(results)), results):
        column.image(inside_cnn.overlay_map(image, result.heatmap, cmap="inferno"), width="stretch",
                     caption=f"{attribution.METHOD_TITLES[result.method]} · {result.seconds:.2f} s")
        column.caption(attribution.empty_map_note(result.method, result.heatmap) or result.note)


st.title(LESSON.title)
st.markdown(
    "A network looks at an image and names a class. **Why that class?** An *attribution method* answers with a "
    "heatmap: a number per pixel saying how much that pixel pushed the score of one class up. There is no single "
    "right way to assign this credit, so practitioners use several and check them against each other. Here are "
    "four common ones, all computed with [Captum](https://captum.ai), PyTorch's attribution library:\n\n"
    "- **Saliency** — the gradient of the class score with respect to each pixel: which pixels would change the "
    "score most if nudged. Raw gradients are speckled, so **SmoothGrad** averages them over noisy copies.\n"
    "- **Grad-CAM** — at one convolutional layer, weight each feature map by how much the class score depends on "
    "it on average, add them up and keep the positive part. Coarse (the layer's resolution) but class-specific.\n"
    "- **Integrated gradients** — accumulate gradients along a straight path from a *baseline* image (meaning "
    "\"nothing here\") to the real one. The attributions add up to the score difference between the two.\n"
    "- **Occlusion** — cover one patch at a time with the baseline and measure how much the score drops. No "
    "gradients at all; slow, but simple to interpret."
)

# ------------------------------------------------------------------------------------------------------ choices
init_from_url("model", registry.model_keys(), registry.DEFAULT_MODEL)
init_from_url("weights", list(WEIGHT_LABELS), "pretrained")
model_key, weights, spec = model_picker("model", registry.model_keys(), weights_key="weights", without_weights=
    "Until then the page uses its architecture with"
    " **random weights**, so the maps show what an untrained network attends to.")

with st.container(border=True):
    picked: PickedImage = digit_picker("digit") if spec.family == "digits" else photo_picker("photo")
loaded = load_with_progress(model_key, weights)
if loaded is None:
    st.stop()
names = registry.class_names(spec)
st.caption(f"{loaded.title}. {loaded.note}")

# ------------------------------------------------------------------------------------------------- target class
st.header("1 · What the network says, and which class to explain")
probs = probabilities(model_key, weights, picked.image_id, picked.array)
best = capture.top_k(probs, names, k=5)
top_indices = [int(i) for i in np.argsort(probs)[::-1][:5]]
left, right = st.columns([3, 2])
left.altair_chart(top_k_bars(best, title=f"Top-5 of {loaded.title}"), width="stretch")
left.markdown(f"The network's top guess for this image: **{names[top_indices[0]]}** "
              f"({probs[top_indices[0]]:.1%}).")
target_options = [str(i) for i in top_indices]
if st.session_state.get("target") not in target_options:
    st.session_state.pop("target", None)
init_from_url("target", target_options, target_options[0])
target = int(right.selectbox("Explain the class", target_options, key="target",
                             format_func=lambda i: f"{names[int(i)]} ({probs[int(i)]:.1%})"))
right.markdown("Attribution always explains **one class score**. Pick the runner-up and see whether the network "
               "looked somewhere else for it.")
if weights == "random":
    right.info(f"Random weights: nothing was learned. The top guess gets {probs[top_indices[0]]:.1%}; guessing "
               f"uniformly among {len(names)} classes (chance) gives {1 / len(names):.1%}. Keep it in mind for the "
               "sanity checks below.")

# ----------------------------------------------------------------------------------------------------- settings
st.header("2 · Four methods, side by side")
size = spec.input_size
layer_options = loaded.spatial_layers
init_from_url("cam_layer", layer_options, attribution.default_cam_layer(loaded))
init_from_url("baseline", list(attribution.BASELINES), "black")
init_number_from_url("ig_steps", 32, 4, 128, integer=True)
init_number_from_url("noise_samples", 10, 1, 50, integer=True)
if st.session_state.get("attr_input_size", size) != size:  # a new input size: patch sizes start afresh
    for key in ("window", "stride"):
        st.session_state.pop(key, None)
        st.query_params.pop(key, None)
st.session_state["attr_input_size"] = size
init_number_from_url("window", attribution.default_window(size), 2, size // 2, integer=True)
init_number_from_url("stride", attribution.default_window(size), 1, size // 2, integer=True)
with st.container(border=True):
    row = st.columns(3)
    noise_samples = row[0].slider("SmoothGrad: noisy copies", 1, 50, key="noise_samples",
                                  help="1 is the plain gradient (vanilla saliency).")
    noise_level = row[0].slider("SmoothGrad: noise level", 0.0, 0.5, 0.15, 0.05, key="noise_level",
                                help="Standard deviation of the noise, as a fraction of the image's value range.")
    layer = row[1].selectbox("Grad-CAM layer", layer_options, key="cam_layer",
                             format_func=lambda n: f"{n} — {inside_cnn.format_shape(loaded.output_shapes[n])}",
                             help="The same stages as in the 'Inside a CNN' lesson's feature maps.")
    baseline = row[1].radio("Baseline (integrated gradients, occlusion, deletion)", attribution.BASELINES,
                            key="baseline", horizontal=True,
                            format_func={"black": "black", "grey": "dataset-mean grey", "blur": "blurred image"}.get)
    ig_steps = row[2].slider("Integrated gradients: steps", 4, 128, key="ig_steps")
    window = row[2].slider("Occlusion: window (px)", 2, size // 2, key="window")
    stride = row[2].slider("Occlusion: stride (px)", 1, size // 2, key="stride")
mirror_to_url("model", "weights", "digit_class" if spec.family == "digits" else "photo", "target", "cam_layer",
              "baseline", "ig_steps", "noise_samples", "window", "stride")
settings = attribution.Settings(layer=layer, noise_samples=noise_samples, noise_level=noise_level,
                                ig_steps=ig_steps, baseline=baseline, window=window, stride=stride)
seen = crop(model_key, picked.image_id, picked.array)
results = maps(model_key, weights, picked.image_id, target, settings, False, picked.array)
show_maps(results, seen)
st.caption(f"Explaining **{names[target]}** on {picked.caption}. Bright = more evidence for the class. Times are "
           f"for this computer ({runtime.resolve_device(None).type.upper()}); cached maps come back instantly.")
st.markdown(
    "Things to try: raise the occlusion window — when does the object fit under one patch, and what happens to "
    "the map then? Switch Grad-CAM to an early layer: is the map sharper? Does it still change when you explain "
    "another class? Compare integrated gradients from a black and from a blurred baseline: do the two maps agree "
    "on what matters, given that each means something different by \"absent\"?"
)

# ------------------------------------------------------------------------------------------------------ deletion
st.header("3 · Which map is faithful? The deletion curve")
st.markdown(
    "Looking plausible is not the same as being right. A fair test: delete pixels (replace them by the baseline) "
    "in the order a map ranks them, most important first, and watch the class probability. A map that found the "
    "evidence makes the probability collapse quickly — a **small area under the curve**. A random ordering is "
    "the reference any method has to beat."
)
curves = deletion(model_key, weights, picked.image_id, target, settings, picked.array, results)
chart = alt.Chart(curves).mark_line(point=True).encode(
    x=alt.X("removed:Q", title="fraction of pixels removed (most attributed first)", axis=alt.Axis(format="%")),
    y=alt.Y("probability:Q", title=f"P({names[target]})"),
    color=alt.Color("method:N", title=None), tooltip=["method", "removed", "probability"],
).properties(height=320)
graph, table = st.columns([3, 2])
graph.altair_chart(chart, width="stretch")
areas = curves.groupby("method", sort=False)["area"].first().round(3).sort_values().reset_index()
areas.columns = ["method", "area (lower = better)"]
table.dataframe(areas, hide_index=True, width="stretch", column_config={
    "area (lower = better)": st.column_config.NumberColumn(format="%.3f")})
constant_maps = [attribution.METHOD_TITLES[r.method] for r in results if attribution.is_constant(r.heatmap)]
st.markdown(attribution.deletion_summary(dict(zip(areas["method"], areas["area (lower = better)"])),
                                         attribution.RANDOM_MAP_TITLE, constant_maps))
st.caption("Deletion with a baseline creates images the network never saw, so treat this as one number among "
           "several, not the truth.")

# ------------------------------------------------------------------------------------------------ sanity checks
st.header("4 · Sanity checks: does the map depend on what the network learned?")
st.markdown(
    "Adebayo et al. (2018) asked a blunt question: if we destroy what the network learned, does the explanation "
    "change? A map that stays the same cannot be showing what the network learned. In their *model-randomisation "
    "test* (weights re-drawn at random, from the top layer down) **plain gradients and Grad-CAM changed** — they "
    "pass — while **guided back-propagation and guided Grad-CAM barely changed** — they fail: their maps look "
    "much like an edge detector's output on the image. They also warn that maps which multiply by the input, as "
    "integrated gradients does, can keep the image's outlines on a random network, so read the numbers, not only "
    "the pictures. (The guided methods are not on this page; occlusion was not in their test.)\n\n"
    "Below, the same four methods on two damaged versions of this network. The number under each map is "
    "Spearman's rank correlation ρ with the trained network's map: 1 = same pixel ordering, 0 = unrelated."
)
if st.toggle("Run the sanity checks", key="sanity", help="Computes the four maps twice more."):
    twin_maps = {"random_classifier": maps(model_key, weights, picked.image_id, target, settings, True,
                                           picked.array),
                 "random": maps(model_key, "random", picked.image_id, target, settings, False, picked.array)}
    correlations: dict[str, dict[str, float]] = {r.method: {} for r in results}
    for twin, title in TWINS.items():
        st.subheader(title)
        cols = st.columns(len(results))
        show_maps(twin_maps[twin], seen, cols)
        for col, mine, original in zip(cols, twin_maps[twin], results):
            rho = attribution.rank_correlation(mine.heatmap, original.heatmap)
            correlations[original.method][twin] = rho
            col.metric("rank correlation with trained", attribution.format_correlation(rho))
            if np.isnan(rho):
                col.caption(attribution.undefined_reason(original.heatmap, mine.heatmap))
    st.markdown(attribution.sanity_summary(correlations, TWINS))
    if weights == "random":
        st.info("This network has no trained weights loaded: it *is* the random-weights twin, so that row compares "
                "the network with itself. Load trained weights to run the check the paper ran.")
    else:
        st.markdown("**Compared with the paper.** " + attribution.paper_comparison(correlations, TWINS))
else:
    st.caption("Switch on to compare with the classifier layer re-drawn at random and with the random-weights "
               "twin (about as long again as the maps above, twice).")
