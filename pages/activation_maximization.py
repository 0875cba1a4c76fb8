"""Lesson page: What does a neuron want to see? — activation maximisation with priors and a generator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from lessons.actmax import compute as am
from lessons.actmax import plan
from lessons.core import registry
from lessons.core import uploads as images
from lessons.optvis import render as R
from ui import actmax_charts as view
from ui.actmax_widgets import priors_panel, run_button, unit_picker
from ui.downloads import download_row
from ui.exercises import exercises_at, notice
from ui.images import UPLOAD_TYPES, decode_or_explain
from ui.models import load_with_progress, model_picker
from ui.navigation import lesson_by_path
from ui.presenter import section
from ui.routing import route_through_app
from ui.settings.activation_maximization import METHODS, NETWORKS, STATE, TARGETS

LESSON = lesson_by_path("pages/activation_maximization.py")
LABELS = {"efficientnet_lite0": "EfficientNet-Lite0", "digit_cnn": "Small digit CNN"}
TRAINED_ON = {"efficientnet_lite0": "trained on ImageNet", "digit_cnn": "trained here on MNIST"}


@dataclass(frozen=True)
class Choice:
    """What the student asked for: the network and its weights, the unit, the method, and the run's settings."""

    model: view.Model
    loaded: registry.LoadedModel
    request: am.Request
    weights: dict[str, float]  # the prior weights as set (also for priors that are off)
    diversity: float


def describe(model: view.Model) -> str:
    """The network and its weights in words."""
    key, weights = model
    return f"{LABELS[key]}, {TRAINED_ON[key] if weights == 'pretrained' else 'random weights (untrained twin)'}"


def named(choice: Choice, what: str) -> str:
    """A file name stem for a download: what it shows, the network, its weights and the unit."""
    unit = choice.request.unit
    where = f"class-{unit.index}" if unit.kind == "class" else f"{unit.layer}-{unit.kind}-{unit.index}"
    return f"{what}-{choice.model[0]}-{choice.model[1]}-{where}"


@section
def intro() -> None:
    """Title and the idea: gradient ascent on the input, with p(x) as the prior."""
    st.title(LESSON.title)
    st.markdown(
        "Neuroscientists find out what a neuron likes by showing it stimuli and recording its response. With a "
        "network we can go further: start from noise and **change the image** step by step in the direction that "
        "raises one unit's activation — gradient ascent on the input, with every weight held fixed. Left alone, this "
        "finds high-frequency patterns no camera would ever take. So think of the image we want as the one that "
        "maximises **p(x, y) = p(x) · p(y | x)**: the network supplies p(y | x), how strongly the unit fires; "
        "everything that keeps the image natural — jitter, blurring, smoothness penalties, a learned generator — is "
        "a guess at **p(x)**, the prior over images."
    )


@section
def choices() -> Choice | None:
    """The network, what to maximise, the method, the unit and the priors; None when the network is unavailable."""
    key, weights_kind, spec = model_picker("am_model", NETWORKS, weights_key="am_weights", labels=LABELS,
                                           without_weights="Until then the page uses its random-weights twin.")
    left, right = st.columns(2)
    target = left.radio("What to maximise", list(TARGETS), key="am_target", format_func=TARGETS.get)
    methods = plan.offered_methods(spec.family)
    STATE.bind("am_method", options=methods, default="fft")
    method = right.radio("Method", methods, key="am_method", format_func=METHODS.get,
                         help="Fourier pixels: the image is stored as its spectrum, scaled so all frequencies start "
                              "equal — a decorrelated parameterisation that favours natural-looking images.")
    loaded = load_with_progress(key, weights_kind)
    if loaded is None:
        return None
    unit = unit_picker(loaded, target)
    size = am.image_size(loaded)
    switched_on, weights, steps, seed, diversity = priors_panel(method)
    if switched_on["mean_init"] and method == "fft":
        st.caption("Starting from the mean image uses raw pixels (a spectrum has no image to start from).")
    settings = plan.engine_settings(method, size, steps, seed, switched_on, weights)
    return Choice((key, weights_kind), loaded, am.Request(unit, method, settings), weights, diversity)


@section
def section_optimise(choice: Choice) -> R.Result | None:
    """Section 1: run the optimisation on request and show the result, its snapshots and its objective curve."""
    st.header("1 · Optimise an image")
    model, request = choice.model, choice.request
    asked = run_button("Run", "am_run", "am_last", (model, request), type="primary")
    result = None
    if asked or view.is_stored(model, request):
        result = view.queued_run(model, request, "Optimising",
                                 page_button=("Run", bool(st.session_state.get("am_run"))))
    else:
        st.info("Choose a unit and the priors, then press **Run** (about a second per 64 steps at 128 px on a "
                "laptop).")
    if result is not None:
        show_result(choice, result)
    exercises_at(LESSON.url_path, "optimise", {"history": None if result is None else result.history})
    return result


def show_result(choice: Choice, result: R.Result) -> None:
    """The optimised image, its snapshots, its objective curve and what the network makes of it."""
    request, loaded = choice.request, choice.loaded
    left, right = st.columns([1, 2])
    left.image(view.pictures(result.images[:1]), width=256, clamp=True,
               caption=f"Result after {result.steps_done} steps: activation {float(result.scores[0]):.3g}")
    with left:
        download_row(named(choice, "optimised"), picture=view.pictures(result.images[:1])[0], array=result.images,
                     key="am_dl_result", what="the optimised image")
    if result.snapshots:
        right.image(view.pictures(np.stack([s[1][0] for s in result.snapshots])), width=96, clamp=True,
                    caption=[f"step {s}" for s, _ in result.snapshots])
    curve = view.objective_chart(result.history)
    right.altair_chart(curve, width="stretch")
    with right:
        download_row(named(choice, "objective"), chart=curve, table=view.objective_table(result.history),
                     key="am_dl_objective", what="the objective over the steps")
    notice(am.curve_notice(result.history))
    unit, names = request.unit, registry.class_names(loaded.spec)
    if unit.kind == "class":
        prob = float(am.class_probabilities(loaded, result.images[:1])[0, unit.index])
        st.markdown(f"The network is **{prob:.1%}** sure this image is **{names[unit.index]}**.")
        if request.method == "evolution":
            st.info(am.evolution_summary(prob, names[unit.index], result.steps_done))
    elif request.method == "evolution":
        st.caption("Evolution (Nguyen, Yosinski & Clune 2015) keeps the best images of each generation and mutates "
                   "them, and nothing keeps its images natural. With no gradient, does it climb faster or slower "
                   "than gradient ascent? Run the same unit with a gradient method and compare the two objective "
                   "curves.")


@section
def section_real_images(choice: Choice, result: R.Result) -> None:
    """Comparison (b): the shipped (and uploaded) images that drive the unit most."""
    st.header("2 · Compare")
    st.subheader("(b) Real images that drive this unit most")
    uploads = st.file_uploader("Add your own images to the comparison", type=UPLOAD_TYPES, accept_multiple_files=True,
                               key="am_uploads", help=f"Up to {images.MAX_UPLOAD_BYTES // 2**20} MB each.")
    st.caption("A shared link carries this page's settings, not your uploaded images.")
    loaded, size = choice.loaded, choice.request.settings.size
    names, real = view.shipped(*choice.model, size)
    names = list(names)
    for upload in uploads or []:
        picked = decode_or_explain(upload.getvalue(), upload.name)
        if picked is not None:
            names.append(f"your {upload.name}")
            real = np.concatenate([real, am.as_model_image(picked.array, loaded, size)[None]])
    top = am.top_images(loaded, choice.request.unit, names, real, k=5)
    shown = view.pictures(np.stack([t[1] for t in top]))
    st.image(shown, width=128, clamp=True, caption=[f"{name}: {value:.3g}" for name, _, value in top])
    side_by_side = view.strip(view.pictures(result.images[:1]) + shown)
    download_row(named(choice, "optimised-vs-real-images"), picture=side_by_side, key="am_dl_real",
                 what="the optimised image (first) next to the real images that drive the unit most")
    st.markdown(am.real_image_summary(float(result.scores[0]), top[0][2], top[0][0]))
    request = choice.request
    exercises_at(LESSON.url_path, "real_images",
                 {"method": request.method, "weights": choice.model[1], "unit_kind": request.unit.kind,
                  "optimised": float(result.scores[0]), "best_real": top[0][2], "best_name": top[0][0]})


COMPARE_LABEL = "Run the comparisons"


def compare_button() -> tuple[str, bool]:
    """The comparisons' button: its label, and whether it was pressed on this run (it also restarts a cancelled
    comparison)."""
    return COMPARE_LABEL, bool(st.session_state.get("am_compare"))


@section
def comparisons_asked(choice: Choice) -> bool:
    """The button that starts the extra runs; whether they were asked for these very settings."""
    st.subheader("(a) · (c) · (d) More runs")
    st.caption("(a) several random starts, and one batch with a diversity term; (c) the same unit in the network's "
               "twin; (d) each prior on its own. These are extra optimisations, so they wait for the button.")
    asked = run_button(COMPARE_LABEL, "am_compare", "am_compared",
                       (choice.model, choice.request, choice.diversity))
    runs = view.comparison_runs(choice.model, choice.request, choice.diversity, choice.weights,
                                choice.loaded.spec.family)
    return asked or all(view.is_stored(*run) for run in runs)


@section
def comparison_seeds(choice: Choice) -> None:
    """Comparison (a): other random starts, and a batch pushed apart by the diversity term."""
    model, request, loaded = choice.model, choice.request, choice.loaded
    st.subheader("(a) Several random starts")
    seed_runs = [view.queued_run(model, r, f"Seed {r.settings.seed}", live=False, page_button=compare_button())
                 for r in plan.seed_requests(request)]
    if any(run is None for run in seed_runs):
        return
    seed_images = np.concatenate([r.images[:1] for r in seed_runs])
    layer = am.diversity_layer(loaded, request.unit)
    st.image(view.pictures(seed_images), width=128, clamp=True,
             caption=[f"seed {s}: {float(r.scores[0]):.3g}" for s, r in zip(plan.COMPARISON_SEEDS, seed_runs)])
    download_row(named(choice, "seeds"), picture=view.strip(view.pictures(seed_images)), array=seed_images,
                 key="am_dl_seeds", what=f"the images from seeds {', '.join(map(str, plan.COMPARISON_SEEDS))}")
    similar = view.features_alike(model, request, "seeds", layer, seed_images)
    batch_request = plan.diverse_request(request, choice.diversity)
    if batch_request is None:
        st.markdown(f"Similarity of the images' features at `{layer}` (1 = the same): **{similar:.2f}**. "
                    "Set a diversity weight above 0 to see a batch pushed towards different facets.")
        return
    batch = view.queued_run(model, batch_request, "Batch of four with diversity", live=False,
                            page_button=compare_button())
    if batch is None:
        return
    diverse_scores = view.own_activation(model, batch_request, batch.images)
    st.image(view.pictures(batch.images), width=128, clamp=True,
             caption=[f"diverse {n + 1}: {float(v):.3g}" for n, v in enumerate(diverse_scores)])
    download_row(named(choice, "diverse-batch"), picture=view.strip(view.pictures(batch.images)), array=batch.images,
                 key="am_dl_diverse", what="the batch of four with the diversity term")
    st.caption("Under each image: the unit's own activation, without the diversity term the batch also maximised.")
    spread = view.features_alike(model, batch_request, "diverse", layer, batch.images)
    st.markdown(am.diversity_summary([float(r.scores[0]) for r in seed_runs], diverse_scores,
                                     view.start_level(model, batch_request), similar, spread, layer))


@section
def comparison_twin(choice: Choice, result: R.Result) -> None:
    """Comparison (c): the same unit in the network with the other weights."""
    twin_model, twin_name = view.twin_of(choice.model)
    st.subheader(f"(c) The same unit in {twin_name}")
    twin = view.queued_run(twin_model, plan.twin_request(choice.request), "Twin", live=False,
                           page_button=compare_button())
    if twin is None:
        return
    columns = st.columns(2)
    columns[0].image(view.pictures(result.images[:1]), width=160, clamp=True,
                     caption=f"{describe(choice.model)}: {float(result.scores[0]):.3g}")
    columns[1].image(view.pictures(twin.images[:1]), width=160, clamp=True,
                     caption=f"{twin_name}: {float(twin.scores[0]):.3g}")
    download_row(named(choice, "trained-vs-random-twin" if choice.model[1] == "pretrained" else "random-vs-trained"),
                 picture=view.strip(view.pictures(np.concatenate([result.images[:1], twin.images[:1]]))),
                 key="am_dl_twin", what=f"this network's image (left) and {twin_name}'s (right)")
    st.markdown("Same architecture, same unit, same optimiser. Whatever structure the trained network's image has "
                "came from learning; with random weights, what remains is what the architecture alone prefers. The "
                "two activations live on different scales (different weights), so compare the pictures, not the "
                "numbers: which one shows structure you could name?")


@section
def comparison_priors(choice: Choice) -> None:
    """Comparison (d): each prior on its own, and none."""
    st.subheader("(d) Each prior on its own")
    runs = {name: view.queued_run(choice.model, r, name, live=False, page_button=compare_button())
            for name, r in plan.prior_requests(choice.request, choice.weights).items()}
    done = all(run is not None for run in runs.values())
    scores = {name: float(r.scores[0]) for name, r in runs.items()} if done else None
    if not exercises_at(LESSON.url_path, "priors", {"prior_scores": scores}) or not done:
        return  # the result waits for the runs, and for the student's prediction
    shown = view.pictures(np.stack([r.images[0] for r in runs.values()]))
    st.image(shown, width=128, clamp=True, caption=[f"{name}: {float(r.scores[0]):.3g}" for name, r in runs.items()])
    download_row(named(choice, "each-prior"), picture=view.strip(shown), key="am_dl_priors",
                 what=f"the images with each prior on its own ({', '.join(runs)})")
    st.markdown(am.prior_summary(scores))
    notice(am.prior_range_notice(scores))


@section
def comparison_digits(choice: Choice) -> None:
    """Comparison (e): a digit class in pixel space and through the generator prior, read by a second CNN."""
    st.subheader("(e) Pixels vs a generator prior")
    digit = choice.request.unit.index
    runs = {title: view.queued_run(choice.model, r, title, live=False, page_button=compare_button())
            for title, r in plan.digit_requests(choice.request).items()}
    if any(run is None for run in runs.values()):
        return
    judge = load_with_progress("digit_cnn_second", "pretrained")  # an independent reader, trained once, then cached
    if judge is None:
        return
    readings, shown = [], []
    for column, (title, run) in zip(st.columns(2), runs.items()):
        reading = am.read_digit(choice.loaded, judge.module, digit, run)
        readings.append(reading.run)
        shown += [view.pictures(run.images[:1])[0], reading.nearest / 255.0]
        column.markdown(f"**{title}**")
        column.image(shown[-2:], width=112, clamp=True,
                     caption=[f"optimised: {float(run.scores[0]):.3g}",
                              f"nearest real digit (distance {reading.run.distance:.1f})"])
        column.caption(f"A second digit CNN, trained separately, reads it as **{reading.run.judge_digit}** "
                       f"({reading.judge_confidence:.0%}).")
    download_row(named(choice, "pixels-vs-generator"), picture=view.strip(shown, side=112), key="am_dl_digits",
                 what="pixel space and its nearest real digit, then the generator's image and its nearest real digit")
    st.markdown(am.generator_summary(digit, *readings))


def lesson() -> None:
    """The page, section by section; it ends early until the student presses Run (and Run the comparisons)."""
    intro()
    choice = choices()
    exercises_at(LESSON.url_path, "setup")
    if choice is None:
        return
    result = section_optimise(choice)
    if result is None:
        return
    section_real_images(choice, result)
    if not comparisons_asked(choice):
        return
    comparison_seeds(choice)
    exercises_at(LESSON.url_path, "seeds")
    comparison_twin(choice, result)
    exercises_at(LESSON.url_path, "twin")
    if plan.uses_gradients(choice.request.method):
        comparison_priors(choice)  # its exercises sit between the runs and their pictures
    if choice.loaded.spec.family == "digits" and choice.request.unit.kind == "class":
        comparison_digits(choice)
        exercises_at(LESSON.url_path, "digits")


route_through_app()
STATE.start()
lesson()
STATE.write_url()
