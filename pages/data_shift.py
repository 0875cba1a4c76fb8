"""Lesson page: data, transforms and the generalization gap — what a benchmark score does and does not promise."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lessons.core import data, registry
from lessons.shift import compute as data_shift
from lessons.shift import data as shift_data
from lessons.shift import pipeline, reading
from ui import shift_widgets as widgets
from ui.brain_charts import heatmap
from ui.downloads import download_row
from ui.exercises import exercises_at, notice
from ui.images import PickedImage, photo_picker
from ui.models import load_with_progress
from ui.navigation import lesson_by_path
from ui.presenter import section
from ui.routing import route_through_app
from ui.settings.data_shift import STATE
from ui.shift_charts import accuracy_curves, class_bars, class_table, curves_table
from ui.state import stop_page

route_through_app()
STATE.start()
LESSON = lesson_by_path("pages/data_shift.py")
DIGITS = list(shift_data.DIGIT_NAMES)


@section
def intro() -> None:
    st.title(LESSON.title)
    st.markdown(
        "A test score is a promise about images *like the test images*. Benchmarks are collected the way "
        "photographers take pictures: objects upright, centred, on their usual backgrounds, from their usual side. "
        "A network is free to lean on all of that. When ObjectNet photographed the same kinds of objects at "
        "controlled rotations, viewpoints and backgrounds, ImageNet models that scored well lost a large part of "
        "their accuracy. This page walks the whole path — from file to tensor, from data set to score — and then "
        "breaks the promise on purpose, one controlled change at a time."
    )


@section
def section_transforms() -> PickedImage:
    """Section 1: a photo through decoding, resizing, cropping, tensor and normalisation; returns the photo."""
    st.header("1 · From file to tensor")
    st.markdown(
        "A network never sees a JPEG. The file is **decoded** to a grid of 0–255 numbers, **resized** so the "
        "shorter side matches training, **centre-cropped** to the exact input size, turned into a float **tensor** "
        "in channels-first order, and **normalised** with the mean and spread of the training set's pixels, so "
        "every channel is centred on zero. The last picture is what the first layer receives: grey is zero."
    )
    with st.container(border=True):
        picked = photo_picker("shift_photo")
        st.caption("A shared link carries the photo chosen from the list, not an uploaded file.")
    steps = widgets.preprocessing(picked.image_id, picked.array)
    for column, step in zip(st.columns(len(steps)), steps):
        column.image(step.image, caption=f"{step.title}: {step.caption}", width="stretch")
    st.code(shift_data.transform_code(registry.spec_for(registry.DEFAULT_MODEL)), language="python")
    st.caption(picked.caption)
    exercises_at(LESSON.url_path, "transforms")
    return picked


def loader_batch() -> None:
    """One training batch as a DataLoader hands it over, with its shapes."""
    st.subheader("One batch, as a DataLoader hands it to training")
    widgets.show_batch(shift_data.loader_batch())
    st.caption("The batch always comes from the MNIST training split, the data the digit CNN below learns from.")


@section
def section_datasets() -> None:
    """Section 2: browse a data set's samples, labels and statistics, and one DataLoader batch."""
    st.header("2 · Data sets: samples, labels, statistics")
    st.markdown(
        "Before training, look at the data: a grid of samples per class, how many examples each class has (an "
        "unbalanced set makes accuracy misleading) and the pixel statistics that the normalisation step uses."
    )
    dataset = widgets.dataset_choice()
    if dataset == "photos":
        widgets.show_gallery()
    labelled = widgets.fetched_set() if dataset == "online" else shift_data.labelled_set(dataset)
    if labelled is not None:
        widgets.describe_set(dataset, labelled)
    if dataset in ("mnist", "sklearn", "fashion"):
        loader_batch()
    exercises_at(LESSON.url_path, "datasets")


@section
def section_accuracy() -> np.ndarray:
    """Section 3: top-1, top-5, the confusion matrix and per-class accuracy on held-out digits; returns the matrix."""
    st.header("3 · Accuracy the way papers report it")
    if load_with_progress("digit_cnn", "pretrained") is None:
        stop_page()
    _, _, _, y_test = data.mnist_split()
    report = data_shift.held_out_report(widgets.held_out_scores(), y_test)
    cols = st.columns(3)
    cols[0].metric("Top-1 (held out)", f"{report.top1:.1%}")
    cols[1].metric("Top-5 (held out)", f"{report.top5:.1%}")
    cols[2].metric("Held-out digits", f"{report.count:,}")
    st.markdown(
        "The digit CNN trained on 4,000 digits and is scored on the **1,000 it never saw**. *Top-1* counts the first "
        "guess; *top-5* counts a hit when the true class is anywhere in the five best guesses — the number ImageNet "
        "papers quote next to top-1, because many of its 1,000 classes are near-twins. The confusion matrix shows "
        "*which* mistakes: row = true digit, column = what the network said."
    )
    left, right = st.columns(2)
    confusion = heatmap(report.matrix, DIGITS, DIGITS, "Confusion matrix (counts)", "count", scheme="blues", size=300)
    left.altair_chart(confusion, width="stretch")
    with left:
        download_row("confusion-matrix-digit-cnn", chart=confusion, key="shift_confusion", what="the confusion matrix",
                     table=widgets.confusion_table(report.matrix, DIGITS))
    per_class = class_bars(DIGITS, report.per_class, "Accuracy per class", percent=True, height=300)
    right.altair_chart(per_class, width="stretch")
    with right:
        download_row("accuracy-per-class-digit-cnn", chart=per_class, key="shift_per_class",
                     table=class_table(DIGITS, report.per_class, "accuracy"), what="the accuracy per class")
    notice(reading.accuracy_notice(report.top1, report.matrix, DIGITS))
    exercises_at(LESSON.url_path, "accuracy", {"n_classes": len(DIGITS), "top1": report.top1, "top5": report.top5})
    return report.matrix


@section
def section_shift() -> tuple[data_shift.SweepResult, pipeline.AugmentedCNN | None, bool]:
    """Section 4: accuracy against the amount of one change, for the standard and (optionally) augmented CNN;
    the curves appear once the section's prediction is committed (the last value says whether they did)."""
    st.header("4 · The controlled shift experiment")
    st.markdown(
        "Now keep the test digits and the network fixed and change **one thing** by a measured amount. Nothing "
        "about *which digit* it is changes — a 7 turned by 45° is still a 7 to you — yet the score can collapse. The "
        "grey dotted line is chance (10 %)."
    )
    kind, step = widgets.shift_controls()
    shift = data_shift.SHIFTS[kind]
    _, _, _, y_test = data.mnist_split()
    augmented = widgets.augmented_network()
    networks = [None] if augmented is None else [None, augmented]
    requests = [(kind, network) for network in networks] + ([] if kind == "rotation" else [("rotation", None)])
    sweeps = widgets.shift_sweeps(requests, f"Sweeping {shift.title.lower()} over {len(y_test):,} held-out digits…")
    standard = sweeps[0]
    rotation = standard if kind == "rotation" else sweeps[-1]  # the standard CNN's rotation sweep, always computed
    facts = {"rotation_amounts": tuple(rotation.amounts), "rotation_top1": tuple(rotation.top1),
             "rotation_top5": tuple(rotation.top5), "n_test": len(y_test), "n_classes": len(DIGITS)}
    if not exercises_at(LESSON.url_path, "shift", facts):
        return standard, augmented, False
    curves = {widgets.network_title(n): (r.amounts, r.top1, r.top5) for n, r in zip(networks, sweeps)}
    chart = accuracy_curves(curves, shift.unit, f"{shift.title}: held-out accuracy",
                            marked=shift.amounts[step])
    st.altair_chart(chart, width="stretch")
    download_row(f"accuracy-vs-{kind}", chart=chart, table=curves_table(curves, shift.unit), key="shift_curves",
                 what="the accuracy curves")
    st.caption(f"Clean top-1 {standard.top1[0]:.1%}; at {shift.amounts[step]:g} {shift.unit} "
               f"{standard.top1[step]:.1%} (top-5 {standard.top5[step]:.1%}). Solid lines are top-1, dashed lines "
               "top-5. At amount 0 the sweep is exactly the clean test set.")
    st.markdown("**Standard CNN.** " + data_shift.curve_summary(
        shift.title, shift.unit, standard.amounts, standard.top1, len(y_test),
        None if kind == "rotation" else (rotation.amounts, rotation.top1)))
    notice(reading.rotation_notice(rotation.amounts, rotation.top1, rotation.top5, len(y_test), len(DIGITS)))
    st.subheader("What it got wrong")
    widgets.show_broken(standard, kind, step)
    return standard, augmented, True


@section
def section_turn() -> None:
    """Turn one held-out digit by hand and watch the standard CNN's answer."""
    st.subheader("Turn one digit yourself")
    st.markdown("Pick one held-out digit and turn it. The standard CNN answers for the digit as it is and turned.")
    picked, angle = widgets.turn_controls()
    turned = widgets.turned_digit(picked.image_id, angle, picked.array)
    widgets.show_turned_digit(picked, turned)
    exercises_at(LESSON.url_path, "turn", {
        "digit_label": STATE.value("shift_digit_class"), "digit_angle": angle,
        "upright_prediction": turned.upright_prediction, "turned_prediction": turned.prediction,
        "turned_probability": float(turned.turned.max())})


@section
def section_photo(picked: PickedImage) -> None:
    """The section-1 photo turned in steps, classified by EfficientNet-Lite0."""
    st.subheader("The same test on a pretrained ImageNet network")
    st.markdown(
        "The photo from section 1, turned in steps and classified by EfficientNet-Lite0 (trained on ImageNet). The "
        "shipped photos carry no ImageNet labels, so the yardstick is the network's own answer for the upright "
        "photo: how much probability it still gives that class, and where it ranks it."
    )
    if load_with_progress(registry.DEFAULT_MODEL, "pretrained") is None:
        return
    run = widgets.photo_sweep(picked.image_id, picked.array)
    names = registry.class_names(registry.spec_for(registry.DEFAULT_MODEL))
    widgets.show_rotated_photos(picked.array, run, names)
    st.caption(f"Upright answer: **{names[run.top1[0]]}**. Each rotated photo is cropped to the largest "
               "square that stays inside it, then preprocessed exactly as in section 1.")
    st.markdown(data_shift.photo_summary(names[run.top1[0]], run.angles, [names[g] for g in run.top1],
                                         run.upright_rank, run.upright_probability))
    exercises_at(LESSON.url_path, "photo")


@section
def section_augmentation(standard: data_shift.SweepResult, augmented: pipeline.AugmentedCNN | None,
                         matrix: np.ndarray) -> None:
    """Section 5: which gaps the rotation-augmented CNN closes, and what it costs on clean digits."""
    st.header("5 · Which part of the gap does augmentation close?")
    _, _, _, y_test = data.mnist_split()
    n = len(y_test)
    rotated = None if augmented is None else widgets.shift_sweep("rotation", augmented)
    facts = {} if rotated is None else {"standard_clean": float(standard.top1[0]),
                                        "augmented_clean": float(rotated.top1[0]),
                                        "augmented_degrees": augmented.max_degrees, "n_test": n}
    revealed = exercises_at(LESSON.url_path, "augmentation", facts)
    if augmented is None and st.session_state.get("shift_augment"):
        st.markdown("The augmented CNN is on its way (its bar is in section 4): this section fills in when it is "
                    "ready.")
        return
    if augmented is None:
        st.markdown("Tick **Also train a CNN with rotation augmentation** above: it is trained once for each rotation "
                    "setting (a progress bar shows how far it is), then every sweep shows both networks.")
        return
    if not revealed:
        st.caption("The comparison appears once you commit (or skip) the prediction above.")
        return
    rows = widgets.gap_rows(augmented)
    st.dataframe(pipeline.gap_table(rows, n), hide_index=True, width="stretch")
    st.caption("The last column is top-1 on the changed digits, augmented minus standard, in percentage points; the "
               "*gap* is what the standard CNN lost between clean and changed digits. Differences under two standard "
               f"errors on {n:,} digits are called not measurable; chance is {data_shift.CHANCE:.0%}.")
    st.markdown(
        f"The augmented network was trained in {augmented.seconds:.1f} s. "
        + data_shift.augmentation_summary({row.key: pipeline.gap_numbers(row) for row in rows}, "rotation",
                                          augmented.max_degrees, n)
        + "\n\n"
        + data_shift.clean_cost_summary(standard.top1[0], rotated.top1[0], augmented.max_degrees, n, matrix,
                                        data_shift.confusion_matrix(y_test, rotated.predictions[0], 10))
        + " Real data sets are the same — every variation a benchmark keeps fixed is a variation the model never "
        "had to learn."
    )


intro()
photo = section_transforms()
section_datasets()
confusion = section_accuracy()
standard_sweep, augmented_cnn, curves_shown = section_shift()
if curves_shown:
    section_turn()
section_photo(photo)
section_augmentation(standard_sweep, augmented_cnn, confusion)
STATE.write_url()
