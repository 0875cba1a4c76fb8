"""Lesson page: attribution — which pixels made the network decide?"""

from __future__ import annotations

import numpy as np
import streamlit as st

from lessons.attribution import compute as attribution
from lessons.attribution import conclusions, ranking
from lessons.cnn import compute as inside_cnn
from lessons.core import capture, preprocess, registry, runtime
from lessons.core.exports import file_stem
from ui import attribution_runs as runs
from ui.attribution_charts import (
    AREA_COLUMN,
    areas_table,
    correlations_table,
    curves_table,
    deletion_chart,
    sanity_figure,
)
from ui.charts import top_k_bars
from ui.digits import digit_picker
from ui.downloads import download_row
from ui.exercises import exercises_at, notice
from ui.images import PickedImage, photo_picker
from ui.models import load_with_progress, model_picker
from ui.navigation import lesson_by_path
from ui.presenter import section
from ui.routing import route_through_app
from ui.settings.attribution import STATE

LESSON = lesson_by_path("pages/attribution.py")
TWINS = {"random_classifier": "Classifier layer re-drawn at random", "random": "Random-weights twin"}
BASELINE_LABELS = {"black": "black", "grey": "dataset-mean grey", "blur": "blurred image"}


@st.cache_data(max_entries=32, show_spinner=False)
def probabilities(model_key: str, weights: str, image_id: str, _image: np.ndarray) -> np.ndarray:
    """Class probabilities of one image (cached per model, weights and image)."""
    loaded = registry.load_model(model_key, weights)
    return capture.predict(loaded, preprocess.prepare_batch([_image], loaded.spec))[0]


@st.cache_data(max_entries=32, show_spinner=False)
def crop(model_key: str, image_id: str, _image: np.ndarray) -> np.ndarray:
    """The square crop the network sees, as an H×W×3 uint8 image (cached)."""
    return inside_cnn.preprocessing_steps(_image, registry.spec_for(model_key))[2].image


def file_name(model_key: str, picked: PickedImage, target: int) -> str:
    """The part of a download's file name that says which network, image and class it explains."""
    return f"{model_key}-{picked.image_id}-class-{target}"


def show_maps(results: list[attribution.Attribution], image: np.ndarray, row: str, stem: str,
              columns=None) -> list[np.ndarray]:
    """The four heatmaps over the crop, side by side, with their run times and downloads (each map as a picture and
    as its raw array); `row` names the network they come from. Returns the pictures."""
    shown = []
    for column, result in zip(columns or st.columns(len(results)), results):
        picture = inside_cnn.overlay_map(image, result.heatmap, cmap="inferno")
        shown.append(picture)
        title = attribution.METHOD_TITLES[result.method]
        column.image(picture, width="stretch", caption=f"{title} · {result.seconds:.2f} s")
        column.caption(" ".join(filter(None, (attribution.empty_map_note(result.method, result.heatmap), result.note))))
        with column:
            download_row(f"{result.method}-{stem}-{row}", picture=picture, array=result.heatmap,
                         key=f"attr_dl_{file_stem(row)}_{result.method}", what=f"the {title} map ({row})")
    return shown


@section
def intro() -> None:
    """Title, and the four methods in a sentence each."""
    st.title(LESSON.title)
    st.markdown(
        "A network looks at an image and names a class. **Why that class?** An *attribution method* answers with a "
        "heatmap: a number per pixel saying how much that pixel pushed the score of one class up. There is no "
        "single right way to assign this credit, so practitioners use several and check them against each other. "
        "Here are four common ones, all computed with [Captum](https://captum.ai), PyTorch's attribution library:"
        "\n\n"
        "- **Saliency** — the gradient of the class score with respect to each pixel: which pixels would change the "
        "score most if nudged. Raw gradients are speckled, so **SmoothGrad** averages them over noisy copies.\n"
        "- **Grad-CAM** — at one convolutional layer, weight each feature map by how much the class score depends "
        "on it on average, add them up and keep the positive part. Coarse (the layer's resolution) but "
        "class-specific.\n"
        "- **Integrated gradients** — accumulate gradients along a straight path from a *baseline* image (meaning "
        "\"nothing here\") to the real one. The attributions add up to the score difference between the two, "
        "f(x) − f(baseline) (the score is the class's logit, the number before softmax).\n"
        "- **Occlusion** — cover one patch at a time with the baseline and measure how much the score drops. No "
        "gradients at all; slow, but simple to interpret."
    )


@section
def choices() -> tuple[str, str, PickedImage, registry.LoadedModel] | None:
    """The network, its weights and the image; None when the network cannot be loaded."""
    model_key, weights, spec = model_picker("attr_model", attribution.offered_models(), weights_key="attr_weights",
                                            without_weights="Until then the page uses its architecture with"
                                            " **random weights**, so the maps show what an untrained network "
                                            "attends to.")
    with st.container(border=True):
        if spec.family == "digits":
            picked = digit_picker("attr_digit", STATE)
        else:
            picked = photo_picker("attr_photo")
            st.caption("A shared link carries the photo chosen from the list and every setting, not an uploaded "
                       "image.")
    loaded = load_with_progress(model_key, weights)
    if loaded is None:
        return None
    st.caption(f"{loaded.title}. {loaded.note}")
    return model_key, weights, picked, loaded


@section
def section_prediction(model_key: str, weights: str, picked: PickedImage, loaded: registry.LoadedModel) -> int:
    """Section 1: the top-5, and which of them to explain."""
    st.header("1 · What the network says, and which class to explain")
    names = registry.class_names(loaded.spec)
    probs = probabilities(model_key, weights, picked.image_id, picked.array)
    top = ranking.top_classes(probs, k=5)
    left, right = st.columns([3, 2])
    left.altair_chart(top_k_bars(capture.top_k(probs, names, k=5), title=f"Top-5 of {loaded.title}"),
                      width="stretch")
    left.markdown(f"The network's top guess for this image: **{names[top[0]]}** ({probs[top[0]]:.1%}).")
    options = [str(i) for i in top]
    STATE.bind("attr_target", options=options, default=options[0])
    target = int(right.selectbox("Explain the class", options, key="attr_target",
                                 format_func=lambda i: f"{names[int(i)]} ({probs[int(i)]:.1%})"))
    right.markdown("Attribution always explains **one class score**. Pick the runner-up and see whether the network "
                   "looked somewhere else for it.")
    if weights == "random":
        right.info(f"Random weights: nothing was learned. The top guess gets {probs[top[0]]:.1%}; guessing "
                   f"uniformly among {len(names)} classes (chance) gives {1 / len(names):.1%}. Keep it in mind for "
                   "the sanity checks below.")
    exercises_at(LESSON.url_path, "prediction", {"top_class": names[top[0]], "top_probability": float(probs[top[0]])})
    return target


def method_settings(loaded: registry.LoadedModel) -> attribution.Settings:
    """The four methods' controls: SmoothGrad, Grad-CAM's layer, the baseline, integrated gradients, occlusion."""
    size = loaded.spec.input_size
    STATE.bind("attr_cam_layer", options=loaded.spatial_layers, default=attribution.default_cam_layer(loaded))
    STATE.bind("attr_window", high=size // 2, default=attribution.default_window(size))
    STATE.bind("attr_stride", high=size // 2, default=attribution.default_window(size))
    with st.container(border=True):
        row = st.columns(3)
        noise_samples = row[0].slider("SmoothGrad: noisy copies", 1, 50, key="attr_noise_samples",
                                      help="1 is the plain gradient (vanilla saliency).")
        noise_level = row[0].slider("SmoothGrad: noise level", 0.0, 0.5, step=0.05, key="attr_noise_level",
                                    help="Standard deviation of the noise, as a fraction of the image's value range.")
        layer = row[1].selectbox("Grad-CAM layer", loaded.spatial_layers, key="attr_cam_layer",
                                 format_func=lambda n: f"{n} — {inside_cnn.format_shape(loaded.output_shapes[n])}",
                                 help="The same stages as in the 'Inside a CNN' lesson's feature maps.")
        baseline = row[1].radio("Baseline (integrated gradients, occlusion, deletion)", attribution.BASELINES,
                                key="attr_baseline", horizontal=True, format_func=BASELINE_LABELS.get)
        ig_steps = row[2].slider("Integrated gradients: steps", 4, 128, key="attr_ig_steps")
        window = row[2].slider("Occlusion: window (px)", 2, size // 2, key="attr_window")
        stride = row[2].slider("Occlusion: stride (px)", 1, size // 2, key="attr_stride")
    return attribution.Settings(layer=layer, noise_samples=noise_samples, noise_level=noise_level,
                                ig_steps=ig_steps, baseline=baseline, window=window, stride=stride)


@section
def section_methods(model_key: str, weights: str, picked: PickedImage, loaded: registry.LoadedModel,
                    target: int) -> tuple[attribution.Settings, list[attribution.Attribution], np.ndarray]:
    """Section 2: the four maps side by side, with the settings they were computed with."""
    st.header("2 · Four methods, side by side")
    settings = method_settings(loaded)
    seen = crop(model_key, picked.image_id, picked.array)
    results = runs.maps(model_key, weights, picked, target, settings)
    show_maps(results, seen, "trained" if weights == "pretrained" else "untrained",
              file_name(model_key, picked, target))
    names = registry.class_names(loaded.spec)
    st.caption(f"Explaining **{names[target]}** on {picked.caption}. Bright = more evidence for the class. Times are "
               f"for this computer ({runtime.resolve_device(None).type.upper()}); cached maps come back instantly.")
    st.markdown(
        "Things to try: raise the occlusion window — when does the object fit under one patch, and what happens to "
        "the map then? Switch Grad-CAM to an early layer: is the map sharper? Does it still change when you explain "
        "another class? Compare integrated gradients from a black and from a blurred baseline: do the two maps agree "
        "on what matters, given that each means something different by \"absent\"?"
    )
    exercises_at(LESSON.url_path, "methods", conclusions.methods_facts(results))
    return settings, results, seen


@section
def section_deletion(model_key: str, weights: str, picked: PickedImage, target: int, class_name: str,
                     settings: attribution.Settings, results: list[attribution.Attribution]) -> None:
    """Section 3: the deletion curves, their areas best first, and which maps beat a random one."""
    st.header("3 · Which map is faithful? The deletion curve")
    st.markdown(
        "Looking plausible is not the same as being right. A fair test: delete pixels (replace them by the baseline) "
        "in the order a map ranks them, most important first, and watch the class probability. A map that found the "
        "evidence makes the probability collapse quickly — a **small area under the curve**. A random ordering is "
        "the reference any method has to beat."
    )
    curves = runs.deletion(model_key, weights, picked, target, settings, results)
    ranked = ranking.areas_ranked(curves)
    constant_maps = [attribution.METHOD_TITLES[r.method] for r in results if attribution.is_constant(r.heatmap)]
    facts = conclusions.deletion_facts(ranked, constant_maps, settings.layer, settings.baseline)
    if not exercises_at(LESSON.url_path, "deletion", facts):
        return
    graph, table = st.columns([3, 2])
    chart = deletion_chart(curves, class_name)
    graph.altair_chart(chart, width="stretch")
    with graph:
        download_row(f"deletion-curves-{file_name(model_key, picked, target)}", chart=chart, table=curves_table(curves),
                     key="attr_dl_deletion", what="the deletion curves")
    table.dataframe(areas_table(ranked), hide_index=True, width="stretch",
                    column_config={AREA_COLUMN: st.column_config.NumberColumn(format="%.3f")})
    st.markdown(attribution.deletion_summary(dict(ranked), attribution.RANDOM_MAP_TITLE, constant_maps))
    st.caption("Deletion with a baseline creates images the network never saw, so treat this as one number among "
               "several, not the truth.")
    notice(conclusions.deletion_notice(dict(ranked), attribution.RANDOM_MAP_TITLE, constant_maps))
    exercises_at(LESSON.url_path, "beat_random", facts)


@section
def section_sanity(model_key: str, weights: str, picked: PickedImage, target: int, settings: attribution.Settings,
                   results: list[attribution.Attribution], seen: np.ndarray) -> None:
    """Section 4: the same maps with the classifier re-drawn and on the random-weights twin, and how much changed."""
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
    running = st.toggle("Run the sanity checks", key="attr_sanity", help="Computes the four maps twice more.")
    if not running:
        st.caption("Switch on to compare with the classifier layer re-drawn at random and with the random-weights "
                   "twin (about as long again as the maps above, twice).")
    twin_maps = runs.sanity(model_key, weights, picked, target, settings) if running else None
    correlations = ranking.sanity_correlations(results, twin_maps) if twin_maps is not None else None
    if not exercises_at(LESSON.url_path, "sanity", conclusions.sanity_facts(correlations, weights)) \
            or correlations is None:
        return
    stem = file_name(model_key, picked, target)
    figure = [[inside_cnn.overlay_map(seen, r.heatmap, cmap="inferno") for r in results]]
    for twin, title in TWINS.items():
        st.subheader(title)
        columns = st.columns(len(results))
        figure.append(show_maps(twin_maps[twin], seen, title.lower(), stem, columns))
        for column, mine, original in zip(columns, twin_maps[twin], results):
            rho = correlations[original.method][twin]
            column.metric("rank correlation with trained", attribution.format_correlation(rho))
            if np.isnan(rho):
                column.caption(attribution.undefined_reason(original.heatmap, mine.heatmap))
    st.markdown(attribution.sanity_summary(correlations, TWINS))
    if weights != "random":
        notice(conclusions.sanity_notice(correlations, "random", "the random-weights twin"))
    st.caption("The whole check as one figure: rows are the maps of section 2, the classifier layer re-drawn, the "
               "random-weights twin; columns are the four methods. The table holds every rank correlation.")
    download_row(f"sanity-check-{stem}", picture=sanity_figure(figure),
                 table=correlations_table(correlations, attribution.METHOD_TITLES, TWINS), key="attr_dl_sanity",
                 what="the sanity check (figure, and the rank correlations as a table)")
    if weights == "random":
        st.info("This network has no trained weights loaded: it *is* the random-weights twin, so that row compares "
                "the network with itself. Load trained weights to run the check the paper ran.")
    else:
        st.markdown("**Compared with the paper.** " + attribution.paper_comparison(correlations, TWINS))


def lesson() -> None:
    """The page, section by section."""
    intro()
    chosen = choices()
    if chosen is None:
        return
    model_key, weights, picked, loaded = chosen
    target = section_prediction(model_key, weights, picked, loaded)
    settings, results, seen = section_methods(model_key, weights, picked, loaded, target)
    class_name = registry.class_names(loaded.spec)[target]
    section_deletion(model_key, weights, picked, target, class_name, settings, results)
    section_sanity(model_key, weights, picked, target, settings, results, seen)


route_through_app()
STATE.start()
lesson()
STATE.write_url()
