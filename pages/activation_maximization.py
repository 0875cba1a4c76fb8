"""Lesson page: What does a neuron want to see? — activation maximisation with priors and a generator."""

from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

from lessons.actmax import compute as am
from lessons.core import registry
from lessons.core import uploads as images
from lessons.optvis import render as R
from ui.images import UPLOAD_TYPES
from ui.models import load_with_progress
from ui.navigation import lesson_by_path
from ui.result_store import shared_store
from ui.routing import route_through_app
from ui.state import init_from_url, init_number_from_url, mirror_to_url

route_through_app()
LESSON = lesson_by_path("pages/activation_maximization.py")

MODELS = {"pretrained": ("efficientnet_lite0", "pretrained", "EfficientNet-Lite0, trained on ImageNet"),
          "random": ("efficientnet_lite0", "random", "EfficientNet-Lite0, random weights (untrained twin)"),
          "digits": ("digit_cnn", "pretrained", "Small digit CNN, trained here on MNIST")}
TWINS = {"pretrained": ("efficientnet_lite0", "random", "the random-weights twin"),
         "random": ("efficientnet_lite0", "pretrained", "the trained twin"),
         "digits": ("digit_cnn", "random", "the random-weights twin")}
TARGETS = {"class": "A class score", "channel": "A channel (whole feature map)",
           "neuron": "One neuron (centre of a feature map)"}
METHODS = {"fft": "Gradient ascent, Fourier pixels", "pixel": "Gradient ascent, raw pixels",
           "evolution": "Evolution (no gradients)", "generator": "Generator prior (digits)"}
# prior → (label, URL/state key of its weight or None, slider range, default weight, help)
PRIORS = {
    "transforms": ("Jitter, scale, rotate", None, None, None,
                   "Mordvintsev et al. 2015: shift, zoom and turn the image a little every step, so only patterns "
                   "that survive small changes grow."),
    "tv": ("Total variation", "am_w_tv", (10.0, 2000.0), 200.0,
           "Mahendran & Vedaldi 2015: penalise differences between neighbouring pixels (piecewise-smooth images)."),
    "l2": ("L2 decay", "am_w_l2", (10.0, 3000.0), 300.0,
           "Simonyan et al. 2014: penalise distance from mid-grey, so no pixel runs to an extreme."),
    "blur": ("Blur every k steps", "am_w_blur", (2.0, 16.0), 4.0,
             "Yosinski et al. 2015: blur the image every k steps, which removes high frequencies as they appear."),
    "centre": ("Centre bias", "am_w_centre", (10.0, 3000.0), 300.0,
               "Nguyen et al. 2016: penalise anything away from the centre, where objects usually sit in photos."),
    "mean_init": ("Start from the mean image", None, None, None,
                  "Nguyen et al. 2016: start from the average of the shipped images instead of noise "
                  "(raw pixels only)."),
}
DEFAULT_ON = {"transforms"}
LR = 0.1

results = shared_store("activation_maximization", 96)


def _model(key: str, weights_kind: str) -> registry.LoadedModel:
    return registry.load_model(key, weights_kind)


@st.cache_data(max_entries=32, show_spinner=False)
def shipped(key: str, weights_kind: str, size: int) -> tuple[list[str], np.ndarray]:
    """The shipped comparison images at this size (cached)."""
    return am.shipped_images(_model(key, weights_kind), size)


def _show(batch: np.ndarray) -> list[np.ndarray]:
    return [np.clip(im[..., 0] if im.shape[-1] == 1 else im, 0, 1) for im in batch]


@st.cache_data(max_entries=64, show_spinner=False)
def features_alike(model: tuple[str, str], request: am.Request, which: str, layer: str, _images: np.ndarray) -> float:
    """How alike the images made for `request` (`which` of its runs) are at `layer` (cached: no rerun repeats it)."""
    return am.feature_similarity(_model(*model), layer, _images)


@st.cache_data(max_entries=64, show_spinner=False)
def own_activation(model: tuple[str, str], request: am.Request, _images: np.ndarray) -> np.ndarray:
    """The unit's own activation for the images a request made, without its diversity term (cached)."""
    return am.unit_scores(_model(*model), request.unit, _images)


@st.cache_data(max_entries=64, show_spinner=False)
def start_level(model: tuple[str, str], request: am.Request) -> float:
    """The unit's mean activation for the images the request starts from (cached)."""
    return am.start_score(_model(*model), request)


def run_with_progress(model: tuple[str, str], request: am.Request, label: str, live: bool = True) -> R.Result:
    """A stored result, or run it now with a progress bar (and live intermediate images)."""
    key = (model, request)
    found = results.get(key)
    if found is not None:
        return found
    loaded = _model(*model)
    if request.method == "generator":
        with st.spinner("Preparing the digit generator (trained once on the shipped digits, then cached)…"):
            am.digit_generator()
    bar = st.progress(0.0, text=f"{label}: starting…")
    preview = st.empty() if live else None

    def progress(step: int, total: int, value: float) -> None:
        bar.progress(step / total, text=f"{label}: step {step}/{total}, objective {value:.3g}")

    def snapshot(step: int, batch: np.ndarray) -> None:
        if preview is not None:
            preview.image(_show(batch[:1]), width=160, caption=f"step {step}", clamp=True)

    result = am.run(loaded, request, progress=progress, on_snapshot=snapshot)
    bar.empty()
    if preview is not None:
        preview.empty()
    results.put(key, result)
    return result


st.title(LESSON.title)
st.markdown(
    "Neuroscientists find out what a neuron likes by showing it stimuli and recording its response. With a network "
    "we can go further: start from noise and **change the image** step by step in the direction that raises one "
    "unit's activation — gradient ascent on the input, with every weight held fixed. Left alone, this finds "
    "high-frequency patterns no camera would ever take. So think of the image we want as the one that maximises "
    "**p(x, y) = p(x) · p(y | x)**: the network supplies p(y | x), how strongly the unit fires; everything that "
    "keeps the image natural — jitter, blurring, smoothness penalties, a learned generator — is a guess at **p(x)**, "
    "the prior over images."
)

# ------------------------------------------------------------------------------------------------------ choices
init_from_url("am_model", list(MODELS), "pretrained")
init_from_url("am_target", list(TARGETS), "channel")
init_from_url("am_method", list(METHODS), "fft")
init_number_from_url("am_steps", 64, 4, 256, integer=True)
init_number_from_url("am_unit", 5, 0, 999, integer=True)
init_number_from_url("am_seed", 0, 0, 999, integer=True)
cols = st.columns(3)
choice = cols[0].radio("Network", list(MODELS), key="am_model", format_func=lambda k: MODELS[k][2])
target = cols[1].radio("What to maximise", list(TARGETS), key="am_target", format_func=TARGETS.get)
methods = [m for m in METHODS if m != "generator" or choice == "digits"]
if st.session_state.get("am_method") not in methods:
    st.session_state["am_method"] = "fft"
method = cols[2].radio("Method", methods, key="am_method", format_func=METHODS.get,
                       help="Fourier pixels: the image is stored as its spectrum, scaled so all frequencies start "
                            "equal — a decorrelated parameterisation that favours natural-looking images.")

model = MODELS[choice][:2]
loaded = load_with_progress(*model)
if loaded is None:
    st.stop()
names = registry.class_names(loaded.spec)
layers = loaded.spatial_layers
init_from_url("am_layer", layers, "blocks.8" if "blocks.8" in layers else layers[-1])
if target == "class":
    layer = loaded.layer_names[-1]
    if st.session_state["am_unit"] >= len(names):
        st.session_state["am_unit"] = 0
    index = st.selectbox("Class (type to search)", list(range(len(names))), key="am_unit",
                         format_func=lambda i: f"{i}: {names[i]}")
else:
    lcol, ucol = st.columns(2)
    layer = lcol.selectbox("Layer", layers, key="am_layer", help="Early layers respond to edges and colours, "
                           "middle ones to textures and patterns, late ones to parts and objects.")
    count = am.unit_count(loaded, "channel", layer)
    if st.session_state["am_unit"] >= count:
        st.session_state["am_unit"] = 0
    index = ucol.number_input(f"Channel (0–{count - 1})", 0, count - 1, key="am_unit", step=1)
unit = am.Unit(target, layer, int(index))
size = am.image_size(loaded)
gradient_method = method in ("fft", "pixel")

with st.expander("Priors p(x) and settings", expanded=True):
    if not gradient_method:
        st.caption("These priors act on gradient ascent; evolution and the generator bring their own.")
    chosen: dict[str, bool] = {}
    weights: dict[str, float] = {}
    pcols = st.columns(3)
    for n, (prior, (label, weight_key, bounds, default, help_text)) in enumerate(PRIORS.items()):
        init_from_url(f"am_{prior}", ["on", "off"], "on" if prior in DEFAULT_ON else "off")
        box = pcols[n % 3]
        on = box.toggle(label, value=st.session_state[f"am_{prior}"] == "on", key=f"am_p_{prior}", help=help_text,
                        disabled=not gradient_method)
        st.session_state[f"am_{prior}"] = "on" if on else "off"
        chosen[prior] = bool(on) and gradient_method
        if weight_key is not None:
            integer = prior == "blur"
            init_number_from_url(weight_key, default, *bounds, integer=integer)
            weights[prior] = float(box.slider(
                "k (steps)" if integer else "weight", bounds[0] if not integer else int(bounds[0]),
                bounds[1] if not integer else int(bounds[1]), key=weight_key, disabled=not chosen[prior],
                label_visibility="visible"))
    scols = st.columns(3)
    steps = scols[0].slider("Steps", 4, 256, key="am_steps")
    seed = scols[1].number_input("Random seed", 0, 999, key="am_seed")
    init_number_from_url("am_diversity", 20.0, 0.0, 100.0)
    diversity = scols[2].slider("Diversity weight (comparison a)", 0.0, 100.0, key="am_diversity", step=5.0,
                                help="For a batch of four images: reward images whose feature statistics differ.")
mirror_to_url("am_model", "am_target", "am_method", "am_layer", "am_unit", "am_steps", "am_seed", "am_diversity",
              *[f"am_{p}" for p in PRIORS], *[PRIORS[p][1] for p in PRIORS if PRIORS[p][1]])

settings = R.Settings(
    size=size, steps=int(steps), lr=LR, param="pixel" if method == "pixel" else "fft",
    transforms=chosen["transforms"] and size > 28,
    tv=weights["tv"] if chosen["tv"] else 0.0, l2=weights["l2"] if chosen["l2"] else 0.0,
    blur_every=int(weights["blur"]) if chosen["blur"] else 0, centre=weights["centre"] if chosen["centre"] else 0.0,
    init="mean" if chosen["mean_init"] else "noise", seed=int(seed),
    snapshots=tuple(sorted({max(1, int(steps) * k // 8) for k in range(1, 9)})))
if chosen["mean_init"] and method == "fft":
    st.caption("Starting from the mean image uses raw pixels (a spectrum has no image to start from).")
request = am.Request(unit, method, settings)

# ------------------------------------------------------------------------------------------------------ run
st.header("1 · Optimise an image")
if st.button("Run", type="primary", key="am_run"):
    st.session_state["am_last"] = (model, request)
if st.session_state.get("am_last") != (model, request):
    st.info("Choose a unit and the priors, then press **Run** (about a second per 64 steps at 128 px on a laptop).")
    st.stop()

result = run_with_progress(model, request, "Optimising")
left, right = st.columns([1, 2])
left.image(_show(result.images[:1]), width=256, clamp=True,
           caption=f"Result after {result.steps_done} steps: activation {float(result.scores[0]):.3g}")
if result.snapshots:
    right.image(_show(np.stack([s[1][0] for s in result.snapshots])), width=96, clamp=True,
                caption=[f"step {s}" for s, _ in result.snapshots])
right.line_chart({"objective": result.history}, height=160, x_label="step", y_label="objective")
if target == "class":
    prob = float(am.class_probabilities(loaded, result.images[:1])[0, unit.index])
    st.markdown(f"The network is **{prob:.1%}** sure this image is **{names[unit.index]}**.")
    if method == "evolution":
        st.info(am.evolution_summary(prob, names[unit.index], result.steps_done))
elif method == "evolution":
    st.caption("Evolution (Nguyen, Yosinski & Clune 2015) keeps the best images of each generation and mutates them, "
               "and nothing keeps its images natural. With no gradient, does it climb faster or slower than "
               "gradient ascent? Run the same unit with a gradient method and compare the two objective curves.")

# ------------------------------------------------------------------------------------------------------ real images
st.header("2 · Compare")
st.subheader("(b) Real images that drive this unit most")
uploads = st.file_uploader("Add your own images to the comparison", type=UPLOAD_TYPES, accept_multiple_files=True,
                           key="am_uploads", help=f"Up to {images.MAX_UPLOAD_BYTES // 2**20} MB each.")
real_names, real_images = shipped(*model, size)
extra_names, extra_images = [], []
for upload in uploads or []:
    try:
        decoded = images.decode_upload(upload.getvalue(), upload.name)
    except images.ImageInputError as error:
        st.error(f"**{upload.name}** can't be used: {error} The other images are still compared.")
        continue
    extra_names.append(f"your {upload.name}")
    extra_images.append(am.as_model_image(decoded.array, loaded, size))
if extra_images:
    real_names = list(real_names) + extra_names
    real_images = np.concatenate([real_images, np.stack(extra_images)])
top = am.top_images(loaded, unit, list(real_names), real_images, k=5)
st.image(_show(np.stack([t[1] for t in top])), width=128, clamp=True,
         caption=[f"{name}: {value:.3g}" for name, _, value in top])
st.markdown(am.real_image_summary(float(result.scores[0]), top[0][2], top[0][0]))

st.subheader("(a) · (c) · (d) More runs")
st.caption("(a) several random starts, and one batch with a diversity term; (c) the same unit in the network's "
           "twin; (d) each prior on its own. These are extra optimisations, so they wait for the button.")
if st.button("Run the comparisons", key="am_compare"):
    st.session_state["am_compared"] = (model, request, float(diversity))
if st.session_state.get("am_compared") != (model, request, float(diversity)):
    st.stop()

plain = dataclasses.replace(settings, snapshots=())
st.subheader("(a) Several random starts")
seed_runs = [run_with_progress(model, dataclasses.replace(request, settings=dataclasses.replace(plain, seed=s)),
                               f"Seed {s}", live=False) for s in (1, 2, 3)]
seed_images = np.concatenate([r.images[:1] for r in seed_runs])
div_layer = am.diversity_layer(loaded, unit)
st.image(_show(seed_images), width=128, clamp=True,
         caption=[f"seed {s}: {float(r.scores[0]):.3g}" for s, r in zip((1, 2, 3), seed_runs)])
similar = features_alike(model, request, "seeds", div_layer, seed_images)
if diversity > 0 and method != "evolution":
    batch_request = am.Request(unit, method, dataclasses.replace(plain, batch=4), float(diversity))
    batch = run_with_progress(model, batch_request, "Batch of four with diversity", live=False)
    diverse_scores = own_activation(model, batch_request, batch.images)
    st.image(_show(batch.images), width=128, clamp=True,
             caption=[f"diverse {n + 1}: {float(v):.3g}" for n, v in enumerate(diverse_scores)])
    st.caption("Under each image: the unit's own activation, without the diversity term the batch also maximised.")
    spread = features_alike(model, batch_request, "diverse", div_layer, batch.images)
    st.markdown(am.diversity_summary([float(r.scores[0]) for r in seed_runs], diverse_scores,
                                     start_level(model, batch_request), similar, spread, div_layer))
else:
    st.markdown(f"Similarity of the images' features at `{div_layer}` (1 = the same): **{similar:.2f}**. "
                "Set a diversity weight above 0 to see a batch pushed towards different facets.")

twin_model = TWINS[choice][:2]
st.subheader(f"(c) The same unit in {TWINS[choice][2]}")
twin = run_with_progress(twin_model, dataclasses.replace(request, settings=plain), "Twin", live=False)
tcols = st.columns(2)
tcols[0].image(_show(result.images[:1]), width=160, clamp=True,
               caption=f"{MODELS[choice][2]}: {float(result.scores[0]):.3g}")
tcols[1].image(_show(twin.images[:1]), width=160, clamp=True,
               caption=f"{TWINS[choice][2]}: {float(twin.scores[0]):.3g}")
st.markdown("Same architecture, same unit, same optimiser. Whatever structure the trained network's image has came "
            "from learning; with random weights, what remains is what the architecture alone prefers. The two "
            "activations live on different scales (different weights), so compare the pictures, not the numbers: "
            "which one shows structure you could name?")

if gradient_method:
    st.subheader("(d) Each prior on its own")
    bare = dataclasses.replace(plain, transforms=False, tv=0.0, l2=0.0, blur_every=0, centre=0.0, init="noise")
    variants = {"no prior": bare, "jitter/scale/rotate": dataclasses.replace(bare, transforms=size > 28),
                "total variation": dataclasses.replace(bare, tv=weights["tv"]),
                "L2 decay": dataclasses.replace(bare, l2=weights["l2"]),
                f"blur every {int(weights['blur'])}": dataclasses.replace(bare, blur_every=int(weights["blur"])),
                "centre bias": dataclasses.replace(bare, centre=weights["centre"]),
                "mean-image start": dataclasses.replace(bare, init="mean", param="pixel")}
    runs = {name: run_with_progress(model, dataclasses.replace(request, settings=v), name, live=False)
            for name, v in variants.items()}
    st.image(_show(np.stack([r.images[0] for r in runs.values()])), width=128, clamp=True,
             caption=[f"{name}: {float(r.scores[0]):.3g}" for name, r in runs.items()])
    st.markdown(am.prior_summary({name: float(r.scores[0]) for name, r in runs.items()}))

if choice == "digits" and target == "class":
    st.subheader("(e) Pixels vs a generator prior")
    digit_settings = dataclasses.replace(plain, param="pixel", transforms=False)
    pixel_run = run_with_progress(model, am.Request(unit, "pixel", digit_settings), "Pixel space", live=False)
    gen_run = run_with_progress(model, am.Request(unit, "generator", digit_settings), "Generator prior", live=False)
    with st.spinner("Preparing a second digit CNN for an independent reading (trained once, then cached)…"):
        judge = am.second_opinion_reader()
    gcols = st.columns(2)
    read: list[am.DigitRun] = []
    for col, (title, r) in zip(gcols, (("Pixel space", pixel_run), ("Generator prior", gen_run))):
        idx, dist, nearest = am.nearest_real_digit(r.images[0])
        reading = am.digit_readings(judge, r.images[:1])[0]
        own = float(am.class_probabilities(loaded, r.images[:1])[0, unit.index])
        read.append(am.DigitRun(float(r.scores[0]), own, int(reading.argmax()), float(reading[unit.index]), dist))
        col.markdown(f"**{title}**")
        col.image([_show(r.images[:1])[0], nearest / 255.0], width=112, clamp=True,
                  caption=[f"optimised: {float(r.scores[0]):.3g}", f"nearest real digit (distance {dist:.1f})"])
        col.caption(f"A second digit CNN, trained separately, reads it as **{int(reading.argmax())}** "
                    f"({float(reading.max()):.0%}).")
    st.markdown(am.generator_summary(unit.index, *read))
