"""Lesson page: What does a mouse neuron want to see? — most exciting images through a model of a cell, shown back
to the (simulated) cell."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lessons.cortex import inception, loop
from lessons.cortex import simulated as simulated_cortex
from lessons.cortex.data import AREAS, NeuralBundle
from ui import cortex_data, loop_views
from ui.downloads import download_row
from ui.exercises import exercises_at, notice
from ui.navigation import lesson_by_path
from ui.presenter import section
from ui.routing import route_through_app
from ui.settings import inception_loop as settings
from ui.settings.inception_loop import STATE
from ui.state import stop_page

route_through_app()
STATE.start()
LESSON = lesson_by_path("pages/inception_loop.py")


@section
def introduction() -> NeuralBundle:
    """Title, the inception loop in the papers, and the data."""
    st.title(LESSON.title)
    st.markdown(
        "The course has asked two questions separately: *what image makes a network's unit fire most?* "
        "(activation maximisation) and *how well do a network's features predict a neuron?* (the mouse-cortex "
        "lesson). Neuroscience joined them into a loop. Fit a network-based model of a real neuron; ask the model "
        "which image the neuron should like most — its **most exciting image (MEI)**; then show that image to the "
        "animal and measure. **Walker et al. (2019)** did this in mouse V1 and called it an *inception loop*; "
        "**Bashivan et al. (2019)** drove monkey V4 neurons beyond their natural range; **Ponce et al. (2019)** "
        "evolved images with a generator while recording. Here the loop runs end to end in your browser, because "
        "the simulated cortex is a known function of the image: the app can show it anything."
    )
    source = st.radio("Neural data", list(settings.DATA_LABELS), key="il_data",
                      format_func=settings.DATA_LABELS.get, horizontal=True)
    bundle = cortex_data.bundle_from(source, "il")
    if bundle.simulated:
        st.info("**These neurons are simulated** (the mouse-cortex lesson's offline stand-in: Gabor subunits, "
                "thresholds and trial noise), so a synthesised image can be shown to the very cell that inspired "
                "it, with the cell's own trial noise.")
    else:
        st.warning("**With these data the loop cannot be closed in the browser**: a real neuron can only be shown a "
                   "new image in a new experiment. The app still makes the MEIs and offers them as downloads (PNG "
                   "and NPY at the stimulus resolution) for one.")
    exercises_at(LESSON.url_path, "data")
    return bundle


@section
def section_population(bundle: NeuralBundle) -> inception.PopulationLoop:
    """1 · The cells and their models: the most reliable cells of an area, at the layer that predicts them best."""
    st.header("1 · The cells and their models")
    st.markdown(
        f"The loop runs on the **{loop.POPULATION} most reliable cells** of one area. Their readouts are the mouse-"
        "cortex lesson's own: the same network (EfficientNet-Lite0, trained), the same random projection and the "
        "same ridge regression, fitted on all 118 photos with the penalty chosen by generalised cross-validation — "
        "read as a **differentiable model** of each cell: image → network up to the layer → projection → the cell's "
        "weights. The layer is the one whose held-out score is best on average over these cells."
    )
    areas = sorted(set(bundle.cells["cortical_area"]), key=list(AREAS).index)
    STATE.bind("il_area", options=areas, default=areas[0])
    left, right = st.columns(2)
    area = left.selectbox("Area", areas, key="il_area")
    steps = int(right.selectbox("Optimisation steps per image", settings.STEP_CHOICES, key="il_steps"))
    run = loop_views.population_run(bundle, area, steps)
    if run is None:
        stop_page()
    constant = int(run.constant.sum())
    st.caption(f"Layer **{run.layer}**; held-out scores from {run.held_out.min():.2f} to {run.held_out.max():.2f} "
               f"(median {np.median(run.held_out):.2f})."
               + (f" {constant} cells have a readout that predicts about a constant: no MEI is made for them." if
                  constant else ""))
    return run


@section
def section_cell(bundle: NeuralBundle, run: inception.PopulationLoop) -> int:
    """2 · One cell: the population table and the cell to look at."""
    st.header("2 · One cell")
    table = loop_views.population_table(run, bundle)
    st.dataframe(table, hide_index=True, height=240, width="stretch", column_config={
        c: st.column_config.NumberColumn(format="%.3f") for c in table.columns if table[c].dtype.kind == "f"})
    ids = [str(i) for i in table["cell"]]
    usable = [i for i, c in zip(ids, run.constant) if not c]
    STATE.bind("il_cell", options=usable, default=usable[0])
    chosen = st.selectbox("Cell", usable, key="il_cell",
                          format_func=lambda i: f"{i} — held-out {run.held_out[ids.index(i)]:.2f}")
    row = ids.index(chosen)
    facts = {"cell_label": chosen, "held_out": float(run.held_out[row])}
    if run.closed:
        facts |= {"mei_measured": float(run.mei_measured[row]), "natural_measured": float(run.natural_measured[row])}
    exercises_at(LESSON.url_path, "cell", facts)
    return row


@section
def section_mei(bundle: NeuralBundle, run: inception.PopulationLoop, row: int) -> None:
    """3 · Its most exciting image, next to its best and worst photos, with the model's predictions."""
    st.header("3 · Its most exciting image")
    st.markdown(
        "Gradient ascent on the image, through the cell's model, with the priors of the activation-maximisation "
        "lesson: a **Fourier** parameterisation (smooth patterns come first), **jitter** (a few pixels each step, so "
        "the image works wherever it lands), a **blur** every few steps, and — as in the papers — a fixed **contrast "
        "budget**: every MEI has the same RMS contrast as the photos on average, so it cannot win by being brighter. "
        "Grayscale, at the stimulus's own size and aspect ratio."
    )
    image = run.meis[row]
    facts = {"mei_image": image.astype(np.float64) / 255.0, "mei_orientedness": loop.orientedness(image),
             "mei_spread": loop.contrast_spread(image)}
    if not exercises_at(LESSON.url_path, "mei", facts):
        return
    order = np.argsort(-run.stimulus_predicted[row])
    data = bundle.responses[run.cells[row]][bundle.image_conditions]
    best, worst = np.argsort(-data)[:3], np.argsort(data)[:3]
    pictures = [image, *bundle.stimuli[best], *bundle.stimuli[worst]]
    captions = [f"MEI — predicted {run.mei_predicted[row]:.3f}"]
    captions += [f"photo {i}: measured {data[i]:.3f}, predicted {run.stimulus_predicted[row][i]:.3f}"
                 for i in (*best, *worst)]
    loop_views.show_pictures(pictures[:4], captions[:4])
    st.caption("Left: the MEI. Then the cell's three best photos; below, its three worst.")
    loop_views.show_pictures(pictures[4:], captions[4:])
    notice(loop.mei_notice(float(run.mei_predicted[row]), float(run.stimulus_predicted[row][order[0]])))
    cell_id = int(bundle.cells["cell_specimen_id"].iloc[run.cells[row]])
    download_row(f"mei-{run.area}-{cell_id}", picture=image, array=image, key="il_mei_download",
                 what="the most exciting image at the stimulus resolution")


@section
def section_loop(bundle: NeuralBundle, run: inception.PopulationLoop, row: int) -> None:
    """4 · Closing the loop: every MEI shown to its cell, against its best photo and another cell's MEI."""
    st.header("4 · Closing the loop")
    if not run.closed:
        st.info("These data cannot be shown new images here. Download the MEIs (section 3) to test them in an "
                "experiment.")
        return
    st.markdown(
        f"Each MEI is now **shown to its own simulated cell**, {inception.TRIALS} trials with the cell's own noise, "
        "and so is the cell's best photo (the one it answered most of all 118). The control is chance, measured: "
        "each cell is also shown *another* cell's MEI."
    )
    outcome = run.outcome
    facts = {"win_share": outcome.win_share(), "control_share": outcome.control_share()}
    if not exercises_at(LESSON.url_path, "loop", facts):
        return
    truth = loop_views.truth_of(bundle)
    cell = int(run.cells[row])
    error = inception.difference_error(truth, cell, run.meis[row], bundle.stimuli[run.natural[row]])
    st.markdown(loop.one_cell_sentence(str(bundle.cells["cell_specimen_id"].iloc[cell]), float(run.mei_measured[row]),
                                       float(run.natural_measured[row]), error, inception.TRIALS)
                + " It is the ringed point below; every other point is another cell of the population.")
    st.altair_chart(loop_views.loop_chart(run, row), width="stretch")
    st.markdown(loop.loop_sentence(outcome, run.area))
    st.markdown(loop.dependence_sentence(loop.dependence(outcome)))
    download_row(f"loop-{run.area}", chart=loop_views.loop_chart(run, row),
                 table=loop_views.population_table(run, bundle), key="il_loop_download",
                 what="the loop's measurements")


@section
def section_rf(run: inception.PopulationLoop, row: int) -> None:
    """5 · The receptive field: the gradient of the cell's model at a grey screen, next to the true one."""
    st.header("5 · The receptive field")
    st.markdown(
        "The gradient of the model at a uniform grey screen says how each pixel would nudge the prediction: a "
        "**linear receptive-field estimate**. For a simulated cell the true receptive field is known: a simple "
        "cell's signed filter (its Gabors pooled around its centre); a complex cell answers both signs alike, so its "
        "true map is where it looks, compared with the gradient's magnitude."
    )
    estimate = run.rf_model[row]
    pictures = [loop_views.as_picture(estimate)]
    captions = ["model's gradient at grey"]
    if run.closed:
        truth = simulated_cortex.ground_truth()
        true = simulated_cortex.true_receptive_field(truth, int(run.cells[row]), estimate.shape)
        pictures.append(loop_views.as_picture(true))
        captions.append(f"true ({'signed filter' if run.simple[row] else 'footprint'}); "
                        f"r = {run.rf_match[row]:.2f}")
        st.markdown(loop.receptive_field_sentence(run.rf_match[~run.constant], run.held_out[~run.constant]))
    loop_views.show_pictures(pictures, captions, width=276)
    exercises_at(LESSON.url_path, "rf")


@section
def section_diverse(bundle: NeuralBundle, run: inception.PopulationLoop, row: int, steps: int) -> None:
    """6 · More than one favourite: diverse MEIs."""
    st.header("6 · More than one favourite")
    st.markdown(
        "A cell may like several different images about equally — a complex cell does not care about phase, for "
        "one. Optimising four images at once while penalising their similarity shows what the model thinks the "
        "cell tolerates (the *diversity* objective of the feature-visualisation literature)."
    )
    made = loop_views.diverse_meis(bundle, run, int(run.cells[row]), steps)
    if made is not None:
        loop_views.show_pictures(list(made.images_uint8), [f"predicted {r:.3f}" for r in made.responses])
        pairs = made.similarity[np.triu_indices(len(made.images_uint8), 1)]
        st.caption(f"Mean pairwise similarity of the four images: {pairs.mean():+.2f} (1: identical, 0: unrelated, "
                   "−1: contrast-reversed).")
    st.caption("A generator prior (Ponce et al. evolved the codes of an image generator trained on natural photos) "
               "does not apply here: the app's only generator draws digits, not scenes.")
    exercises_at(LESSON.url_path, "diverse")


@section
def section_real() -> None:
    """7 · Real neurons."""
    st.header("7 · Real neurons")
    st.markdown(
        "With real Allen data (or your own bundle) every step above runs except the loop itself. The MEIs download "
        "as PNG and as NPY at the stimulus resolution: the form an experiment would show them in."
    )
    exercises_at(LESSON.url_path, "real")


bundle = introduction()
run = section_population(bundle)
row = section_cell(bundle, run)
section_mei(bundle, run, row)
section_loop(bundle, run, row)
section_rf(run, row)
section_diverse(bundle, run, row, run.steps)
section_real()
STATE.write_url()
