"""Lesson page: What does a neuron want to see? — activation maximisation with priors and a generator."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import streamlit as st

from lessons import activation_maximization as am
from lessons import compute
from lessons.optvis import evolution, generator
from lessons.optvis import render as R
from ui.models import load_with_progress
from ui.navigation import lesson_by_path
from ui.routing import route_through_app
from ui.state import init_from_url, init_number_from_url, mirror_to_url

route_through_app()
LESSON = lesson_by_path("pages/activation_maximization.py")

MODELS = {"pretrained": ("efficientnet_lite0", "pretrained", "EfficientNet-Lite0, trained on ImageNet"),
          "random": ("efficientnet_lite0", "random", "EfficientNet-Lite0, random weights (untrained twin)"),
          "digits": ("digit_cnn", "pretrained", "Small digit CNN, trained here on MNIST")}
TARGETS = {"class": "A class score", "channel": "A channel (whole feature map)",
           "neuron": "One neuron (centre of a feature map)"}
METHODS = {"fft": "Gradient ascent, Fourier pixels", "pixel": "Gradient ascent, raw pixels",
           "evolution": "Evolution (no gradients)", "generator": "Generator prior (digits)"}
PRIORS = ("transforms", "tv", "l2", "blur", "centre", "mean_init")
PRIOR_LABELS = {"transforms": "Jitter, scale, rotate", "tv": "Total variation", "l2": "L2 decay",
                "blur": "Blur every 4 steps", "centre": "Centre bias", "mean_init": "Start from the mean image"}


def _model(choice: str) -> compute.LoadedModel:
    key, weights, _ = MODELS[choice]
    return compute.load_model(key, weights)


@st.cache_data(max_entries=64, show_spinner=False)
def run_unit(choice: str, unit: am.Unit, method: str, settings: R.Settings, _progress=None) -> R.Result:  # noqa: ANN001
    """One visualisation, cached by every setting."""
    loaded = _model(choice)
    objective = am.objective_for(loaded, unit)
    if method == "evolution":
        return evolution.evolve(loaded, objective, settings.size, generations=settings.steps, seed=settings.seed,
                                progress=_progress)
    if method == "generator":
        return generator.render_latent(loaded, objective, generator.load_or_train(), steps=settings.steps,
                                       seed=settings.seed, progress=_progress)
    init = None
    if settings.init == "mean":
        _, shipped = am.shipped_images(loaded, settings.size)
        init = shipped.mean(axis=0).transpose(2, 0, 1)
    return R.render(loaded, objective, settings, progress=_progress, init_image=init)


@st.cache_data(max_entries=64, show_spinner=False)
def top_images(choice: str, unit: am.Unit, size: int) -> list[tuple[str, np.ndarray, float]]:
    """The shipped images that drive the unit most (cached)."""
    return am.top_shipped(_model(choice), unit, size, k=5)


def _outside_cache(update: Callable[[], None]) -> None:
    """Update a live element from inside a cached run without it being recorded for replay."""
    try:
        from streamlit.runtime.caching.cached_message_replay import in_cached_function
    except ImportError:  # a Streamlit without that switch: skip the live update, the result still shows
        return
    token = in_cached_function.set(False)
    try:
        update()
    finally:
        in_cached_function.reset(token)


def _show(images: np.ndarray) -> list[np.ndarray]:
    return [np.clip(im[..., 0] if im.shape[-1] == 1 else im, 0, 1) for im in images]


st.title(LESSON.title)
st.markdown(
    "Neuroscientists find out what a neuron likes by showing it stimuli and recording its response. With a network "
    "we can do better: start from noise and **change the image** step by step in the direction that raises one "
    "unit's activation — gradient ascent on the input, with the weights held fixed. Left alone, this finds "
    "high-frequency patterns no camera would take. Think of the image we look for as maximising "
    "**p(x, y) = p(x) · p(y | x)**: the network supplies p(y | x), how much the unit fires; everything that makes "
    "the image look natural — blurring, jitter, smoothness penalties, a learned generator — is a guess at "
    "**p(x)**, the prior over images."
)

# ------------------------------------------------------------------------------------------------------ choices
init_from_url("am_model", list(MODELS), "pretrained")
init_from_url("am_target", list(TARGETS), "channel")
init_from_url("am_method", list(METHODS), "fft")
init_number_from_url("am_steps", 32, 4, 256, integer=True)
init_number_from_url("am_unit", 5, 0, 999, integer=True)
init_number_from_url("am_seed", 0, 0, 999, integer=True)
cols = st.columns(3)
choice = cols[0].radio("Network", list(MODELS), key="am_model", format_func=lambda k: MODELS[k][2])
target = cols[1].radio("What to maximise", list(TARGETS), key="am_target", format_func=TARGETS.get)
methods = [m for m in METHODS if m != "generator" or choice == "digits"]
if st.session_state.get("am_method") not in methods:
    st.session_state["am_method"] = "fft"
method = cols[2].radio("Method", methods, key="am_method", format_func=METHODS.get)

loaded = load_with_progress(*MODELS[choice][:2])
if loaded is None:
    st.stop()
names = compute.class_names(loaded.spec)
layers = [n for n, shape in loaded.output_shapes.items() if len(shape) == 3]
init_from_url("am_layer", layers, "blocks.8" if "blocks.8" in layers else layers[-1])
if target == "class":
    layer = loaded.layer_names[-1]
    if st.session_state["am_unit"] >= len(names):
        st.session_state["am_unit"] = 0
    index = st.selectbox("Class (type to search)", list(range(len(names))), key="am_unit",
                         format_func=lambda i: f"{i}: {names[i]}")
else:
    layer = st.selectbox("Layer", layers, key="am_layer", help="Earlier layers respond to edges and colours, "
                         "later ones to textures, parts and objects.")
    count = am.unit_count(loaded, "channel", layer)
    if st.session_state["am_unit"] >= count:
        st.session_state["am_unit"] = 0
    index = st.number_input(f"Channel (0–{count - 1})", 0, count - 1, key="am_unit", step=1)
unit = am.Unit(target, layer, int(index))

with st.expander("Priors p(x) and settings", expanded=True):
    pcols = st.columns(3)
    chosen = {}
    for n, prior in enumerate(PRIORS):
        init_from_url(f"am_{prior}", ["True", "False"], "True" if prior in ("transforms",) else "False")
        chosen[prior] = pcols[n % 3].toggle(PRIOR_LABELS[prior], key=f"am_p_{prior}",
                                            value=st.session_state[f"am_{prior}"] == "True")
        st.session_state[f"am_{prior}"] = str(bool(chosen[prior]))
    scols = st.columns(2)
    steps = scols[0].slider("Steps", 4, 256, key="am_steps")
    seed = scols[1].number_input("Random seed", 0, 999, key="am_seed")
mirror_to_url("am_model", "am_target", "am_method", "am_layer", "am_unit", "am_steps", "am_seed",
              *[f"am_{p}" for p in PRIORS])

size = 28 if loaded.spec.family == "digits" else 128
settings = R.Settings(size=size, steps=int(steps), lr=0.05, param="pixel" if method == "pixel" else "fft",
                      transforms=chosen["transforms"] and size > 28, tv=0.5 if chosen["tv"] else 0.0,
                      l2=1.0 if chosen["l2"] else 0.0, blur_every=4 if chosen["blur"] else 0,
                      centre=2.0 if chosen["centre"] else 0.0, init="mean" if chosen["mean_init"] else "noise",
                      seed=int(seed), snapshots=tuple(sorted({max(1, int(steps) * k // 4) for k in (1, 2, 3, 4)})))

# ------------------------------------------------------------------------------------------------------ run
st.header("1 · Optimise an image")
run_key = (choice, unit, method, settings)
if st.button("Run", type="primary", key="am_run"):
    bar = st.progress(0.0, text="Starting…")

    def report(step: int, total: int, value: float) -> None:
        _outside_cache(lambda: bar.progress(step / total, text=f"Step {step}/{total}: objective {value:.3g}"))

    st.session_state["am_last"] = run_key
    run_unit(choice, unit, method, settings, _progress=report)
    bar.progress(1.0, text="Done")

if st.session_state.get("am_last") != run_key:
    st.info("Choose a unit and priors, then press **Run** (a few seconds at the default step count).")
    st.stop()

result = run_unit(choice, unit, method, settings)
if result.snapshots:
    st.image(_show(np.stack([s[1][0] for s in result.snapshots])), width=128,
             caption=[f"step {s}" for s, _ in result.snapshots], clamp=True)
st.image(_show(result.images[:1]), width=256, clamp=True,
         caption=f"Result: activation {float(result.scores[0]):.3g}")
st.line_chart({"objective": result.history}, height=180)

st.header("2 · Real images that drive this unit most")
top = top_images(choice, unit, size)
st.image(_show(np.stack([t[1] for t in top])), width=128, clamp=True,
         caption=[f"{name}: {value:.3g}" for name, _, value in top])
st.markdown(f"The optimised image reaches **{float(result.scores[0]):.3g}**, the best shipped image "
            f"**{top[0][2]:.3g}**: optimisation finds inputs that drive a unit harder than any photo we have.")

st.header("3 · Comparisons")
if st.button("Run the comparisons", key="am_compare"):
    st.session_state["am_compared"] = run_key
if st.session_state.get("am_compared") != run_key:
    st.caption("(a) other random starts, (b) the untrained twin, (c) each prior on its own.")
    st.stop()
with st.spinner("Optimising…"):
    seeds = [run_unit(choice, unit, method, dataclasses.replace(settings, seed=s, snapshots=())) for s in (1, 2, 3)]
    st.subheader("(a) Several random starts")
    st.image(_show(np.stack([r.images[0] for r in seeds])), width=128, clamp=True,
             caption=[f"seed {s}: {float(r.scores[0]):.3g}" for s, r in zip((1, 2, 3), seeds)])
    if choice == "pretrained":
        twin = run_unit("random", unit, method, dataclasses.replace(settings, snapshots=()))
        st.subheader("(b) The same unit with random weights")
        st.image(_show(twin.images[:1]), width=128, clamp=True, caption=f"random twin: {float(twin.scores[0]):.3g}")
    if method in ("fft", "pixel"):
        st.subheader("(c) Each prior on its own")
        bare = dataclasses.replace(settings, transforms=False, tv=0.0, l2=0.0, blur_every=0, centre=0.0,
                                   init="noise", snapshots=())
        variants = {"none": bare, "transforms": dataclasses.replace(bare, transforms=size > 28),
                    "TV": dataclasses.replace(bare, tv=0.5), "L2": dataclasses.replace(bare, l2=1.0),
                    "blur": dataclasses.replace(bare, blur_every=4), "centre": dataclasses.replace(bare, centre=2.0)}
        runs = {k: run_unit(choice, unit, method, v) for k, v in variants.items()}
        st.image(_show(np.stack([r.images[0] for r in runs.values()])), width=128, clamp=True,
                 caption=[f"{k}: {float(r.scores[0]):.3g}" for k, r in runs.items()])
