"""Lesson page: data, transforms and the generalization gap — what a benchmark score does and does not promise."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lessons.cnn import compute as inside_cnn
from lessons.core import cache, capture, data, registry
from lessons.core.nets import mnist_cnn
from lessons.core.progress import Progress
from lessons.shift import compute as data_shift
from lessons.shift import data as shift_data
from lessons.shift import pipeline
from ui.brain_charts import heatmap
from ui.images import PickedImage, photo_picker
from ui.models import load_with_progress
from ui.navigation import lesson_by_path
from ui.progress import progress_bar
from ui.routing import route_through_app
from ui.settings.data_shift import STATE
from ui.shift_charts import accuracy_curves, class_bars

route_through_app()
STATE.start()
LESSON = lesson_by_path("pages/data_shift.py")
DIGITS = list(shift_data.DIGIT_NAMES)
DATASETS = {
    "mnist": "MNIST digits (5,000 shipped)",
    "sklearn": "scikit-learn digits (1,797, 8×8)",
    "photos": "The shipped photos",
    "fashion": "Fashion-MNIST (Debian package)",
    "online": "CIFAR-10 / SVHN (download on request)",
}


@st.cache_data(max_entries=16, show_spinner=False)
def preprocessing(image_id: str, _image: np.ndarray) -> list[inside_cnn.PreprocessStep]:
    """The EfficientNet-Lite0 preprocessing steps of one image (cached)."""
    return inside_cnn.preprocessing_steps(_image, registry.spec_for(registry.DEFAULT_MODEL))


@st.cache_data(max_entries=4, show_spinner=False)
def held_out_scores() -> np.ndarray:
    """The default digit CNN's class probabilities on the 1,000 held-out digits (cached)."""
    loaded = registry.load_model("digit_cnn", "pretrained")
    _, _, x_test, _ = data.mnist_split()
    return capture.predict(loaded, mnist_cnn.to_input(x_test))


@st.cache_resource(max_entries=4, show_spinner=False)
def augmented_model(max_degrees: int, _progress: Progress | None = None) -> pipeline.AugmentedCNN:
    """The digit CNN trained with random rotations up to ±max_degrees (from the disk cache, else trained once)."""
    return pipeline.augmented_cnn(max_degrees, progress=_progress)


@st.cache_data(max_entries=64, show_spinner=False)
def shift_sweep(variant: str, kind: str, _model: mnist_cnn.DigitCNN | None = None) -> data_shift.SweepResult:
    """Top-1/top-5 of one digit CNN ("standard", or the augmented `_model` named by `variant`) along one shift."""
    _, _, x_test, y_test = data.mnist_split()
    if _model is None:
        loaded = registry.load_model("digit_cnn", "pretrained")
        return data_shift.sweep(loaded.module, x_test, y_test, kind, dev=loaded.device)
    return data_shift.sweep(_model, x_test, y_test, kind, dev="cpu")


@st.cache_data(max_entries=16, show_spinner=False)
def photo_sweep(image_id: str, _image: np.ndarray) -> data_shift.PhotoSweep:
    """EfficientNet-Lite0 on one photo at seven rotations (cached per image)."""
    return data_shift.photo_rotation_sweep(registry.load_model(registry.DEFAULT_MODEL, "pretrained"), _image)


@st.cache_data(max_entries=4, show_spinner=False)
def online_set(name: str, _progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A torchvision test set fetched on request (raises DatasetUnavailable offline)."""
    return data_shift.request_torchvision_set(name, cache.cache_dir() / "torchvision", progress=_progress,
                                              timeout_s=300)


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
    steps = preprocessing(picked.image_id, picked.array)
    for column, step in zip(st.columns(len(steps)), steps):
        column.image(step.image, caption=f"{step.title}: {step.caption}", width="stretch")
    st.code(shift_data.transform_code(registry.spec_for(registry.DEFAULT_MODEL)), language="python")
    st.caption(picked.caption)
    return picked


def photo_gallery() -> None:
    """The shipped photos: a gallery of different sizes, not a labelled benchmark."""
    st.image(shift_data.photo_gallery(), width="stretch",
             caption="The shipped photos: one image per subject, no labels from a fixed class list — a gallery, "
                     "not a benchmark.")
    count, ((min_w, min_h), (max_w, max_h)) = shift_data.photo_sizes()
    st.markdown(f"**{count} photos**, from {min_w}×{min_h} to {max_w}×{max_h} pixels: sizes differ, which is why "
                "the pipeline above resizes and crops before anything else.")


def fetched_set() -> shift_data.LabelledSet | None:
    """A torchvision test set, fetched when the student asks (a clear message offline)."""
    name = st.selectbox("Torchvision data set", list(data_shift.TORCHVISION_SETS), key="shift_online_set")
    st.caption("These sets are not shipped: fetching one needs an internet connection (about 160 MB for CIFAR-10).")
    if not st.button(f"Fetch {name}", key="shift_fetch_online"):
        return None
    try:
        with progress_bar("checking the connection…") as report:
            return shift_data.downloaded_set(*online_set(name, report))
    except data_shift.DatasetUnavailable as error:
        st.error(f"{error}")
        return None


def describe_set(dataset: str, labelled: shift_data.LabelledSet) -> None:
    """Sample grid, examples per class and pixel statistics of one labelled data set."""
    summary = data_shift.summarize(DATASETS.get(dataset, dataset), labelled.images, labelled.labels,
                                   len(labelled.names))
    left, right = st.columns([3, 2])
    left.image(shift_data.sample_grid(labelled), caption="Ten random examples of each class, one class per row",
               width="stretch")
    right.altair_chart(class_bars(labelled.names, summary.class_counts, "Examples per class"), width="stretch")
    stats = right.columns(3)
    stats[0].metric("Examples", f"{summary.count:,}")
    stats[1].metric("Image shape", "×".join(map(str, summary.shape)))
    stats[2].metric("Pixel mean", f"{summary.mean:.3g}")
    right.caption(f"Values run from {summary.value_range[0]:g} to {summary.value_range[1]:g}, with a spread "
                  f"(std) of {summary.std:.3g}. Normalising "
                  "divides by this set's own spread, which is why every data set has its own mean and std.")


def loader_batch() -> None:
    """One training batch as a DataLoader hands it over, with its shapes."""
    st.subheader("One batch, as a DataLoader hands it to training")
    batch = shift_data.loader_batch()
    st.image(batch.picture, width="stretch", caption="Labels: " + " ".join(str(t) for t in batch.labels))
    st.code(
        "loader = DataLoader(TensorDataset(inputs, labels), batch_size=16, shuffle=True)\n"
        "x, y = next(iter(loader))\n"
        f"x.shape  # {batch.input_shape}  = batch × channels × height × width\n"
        f"y.shape  # {batch.label_shape}",
        language="python",
    )
    st.caption("The batch always comes from the MNIST training split, the data the digit CNN below learns from.")


def section_datasets() -> None:
    """Section 2: browse a data set's samples, labels and statistics, and one DataLoader batch."""
    st.header("2 · Data sets: samples, labels, statistics")
    st.markdown(
        "Before training, look at the data: a grid of samples per class, how many examples each class has (an "
        "unbalanced set makes accuracy misleading) and the pixel statistics that the normalisation step uses."
    )
    available = shift_data.available_datasets(data_shift.fashion_mnist() is not None)
    STATE.bind("shift_dataset", options=available)
    dataset = st.radio("Data set", available, key="shift_dataset", format_func=DATASETS.get, horizontal=True)
    if "fashion" not in available:
        st.caption("Fashion-MNIST appears here when Debian's optional `dataset-fashion-mnist` package is installed.")
    if dataset == "photos":
        photo_gallery()
    labelled = fetched_set() if dataset == "online" else shift_data.labelled_set(dataset)
    if labelled is not None:
        describe_set(dataset, labelled)
    if dataset in ("mnist", "sklearn", "fashion"):
        loader_batch()


def section_accuracy() -> np.ndarray:
    """Section 3: top-1, top-5, the confusion matrix and per-class accuracy on held-out digits; returns the matrix."""
    st.header("3 · Accuracy the way papers report it")
    if load_with_progress("digit_cnn", "pretrained") is None:
        STATE.write_url()
        st.stop()
    _, _, _, y_test = data.mnist_split()
    report = data_shift.held_out_report(held_out_scores(), y_test)
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
    left.altair_chart(heatmap(report.matrix, DIGITS, DIGITS, "Confusion matrix (counts)", "count", scheme="blues",
                              size=300), width="stretch")
    right.altair_chart(class_bars(DIGITS, report.per_class, "Accuracy per class", percent=True), width="stretch")
    return report.matrix


def shift_controls() -> tuple[str, int]:
    """Which change and which of its amounts the examples show; returns (shift key, amount index)."""
    controls = st.columns([2, 3])
    kind = controls[0].selectbox("Change", list(data_shift.SHIFTS), key="shift_shift",
                                 format_func=lambda k: data_shift.SHIFTS[k].title)
    amounts = data_shift.SHIFTS[kind].amounts
    STATE.set("shift_step", min(int(STATE.value("shift_step")), len(amounts) - 1))  # a shorter sweep: its end
    STATE.bind("shift_step", high=len(amounts) - 1)
    step = controls[1].select_slider("Amount for the examples", options=list(range(len(amounts))), key="shift_step",
                                     format_func=lambda i: f"{amounts[i]:g}")
    return kind, int(step)


def augmented_network() -> pipeline.AugmentedCNN | None:
    """The augmentation switch and strength; the augmented CNN when switched on (trained with a progress bar)."""
    augment = st.checkbox("Also train a CNN with rotation augmentation", key="shift_augment",
                          help="Same network, same 4,000 digits, same epochs; each batch is randomly rotated.")
    max_degrees = int(st.slider("Augmentation: random rotations up to ±", 30, 180, step=30, format="%d°",
                                key="shift_augment_degrees", disabled=not augment))
    if not augment:
        return None
    with st.status(f"Training a digit CNN on rotations up to ±{max_degrees}°…", expanded=False) as box:
        with progress_bar(keep=True) as report:
            result = augmented_model(max_degrees, report)
        box.update(label=f"Augmented CNN trained in {result.seconds:.1f} s", state="complete")
    return result


def augmented_sweep(kind: str, augmented: pipeline.AugmentedCNN) -> data_shift.SweepResult:
    """The augmented CNN's sweep along one shift (cached per rotation setting and shift)."""
    return shift_sweep(f"rotations±{augmented.max_degrees}", kind, augmented.model)


def section_shift() -> tuple[data_shift.SweepResult, pipeline.AugmentedCNN | None]:
    """Section 4: accuracy against the amount of one change, for the standard and (optionally) augmented CNN."""
    st.header("4 · The controlled shift experiment")
    st.markdown(
        "Now keep the test digits and the network fixed and change **one thing** by a measured amount. Nothing "
        "about *which digit* it is changes — a 7 turned by 45° is still a 7 to you — yet the score can collapse. The "
        "grey dotted line is chance (10 %)."
    )
    kind, step = shift_controls()
    shift = data_shift.SHIFTS[kind]
    _, _, _, y_test = data.mnist_split()
    with st.spinner(f"Sweeping {shift.title.lower()} over {len(y_test):,} held-out digits…"):
        standard = shift_sweep("standard", kind)
    curves = {"standard CNN": (standard.amounts, standard.top1, standard.top5)}
    augmented = augmented_network()
    if augmented is not None:
        changed = augmented_sweep(kind, augmented)
        curves[f"augmented (±{augmented.max_degrees}°)"] = (changed.amounts, changed.top1, changed.top5)
    st.altair_chart(accuracy_curves(curves, shift.unit, f"{shift.title}: held-out accuracy against the amount",
                                    marked=shift.amounts[step]), width="stretch")
    st.caption(f"Clean top-1 {standard.top1[0]:.1%}; at {shift.amounts[step]:g} {shift.unit} "
               f"{standard.top1[step]:.1%} (top-5 {standard.top5[step]:.1%}). Solid lines are top-1, dashed lines "
               "top-5. At amount 0 the sweep is exactly the clean test set.")
    rotation = None if kind == "rotation" else shift_sweep("standard", "rotation")
    st.markdown("**Standard CNN.** " + data_shift.curve_summary(
        shift.title, shift.unit, standard.amounts, standard.top1, len(y_test),
        None if rotation is None else (rotation.amounts, rotation.top1)))
    what_broke(standard, kind, step)
    return standard, augmented


def what_broke(standard: data_shift.SweepResult, kind: str, step: int) -> None:
    """Held-out digits right before the change and wrong after it, as the network was given them."""
    st.subheader("What it got wrong")
    _, _, x_test, y_test = data.mnist_split()
    broken = data_shift.failures(standard, y_test, step, limit=12)
    if step == 0:
        st.info("At amount 0 nothing has changed: move the amount slider to see images that broke.")
    elif len(broken) == 0:
        st.success("No digit that was right on the clean set is wrong at this amount.")
    else:
        shown = data_shift.shifted_examples(x_test[broken], kind, float(data_shift.SHIFTS[kind].amounts[step]))
        st.image(list(data_shift.gray_tiles(shown, 84)), width=84,  # a row that wraps on a phone
                 caption=[f"{y_test[i]} → {standard.predictions[step][i]}" for i in broken])
        st.caption("Held-out digits the standard CNN got right before the change and wrong after: true → predicted. "
                   + ("Background textures are random crops of the shipped brick, grass and gravel photos."
                      if kind == "background" else ""))


def section_photo(picked: PickedImage) -> None:
    """The section-1 photo turned in steps, classified by EfficientNet-Lite0."""
    st.subheader("The same test on a pretrained ImageNet network")
    st.markdown(
        "The photo from section 1, turned in steps and classified by EfficientNet-Lite0 (trained on ImageNet). The "
        "shipped photos carry no ImageNet labels, so the yardstick is the network's own answer for the upright "
        "photo: how much probability it still gives that class, and where it ranks it."
    )
    run = photo_sweep(picked.image_id, picked.array)
    names = registry.class_names(registry.spec_for(registry.DEFAULT_MODEL))
    st.image(data_shift.rotated_photos(picked.array, run.angles), width=150,
             caption=[f"{angle:g}°: {names[guess]} · upright answer {p_up:.0%} (rank {rank + 1})"
                      for angle, guess, p_up, rank in zip(run.angles, run.top1, run.upright_probability,
                                                          run.upright_rank)])
    st.caption(f"Upright answer: **{names[run.top1[0]]}**. Each rotated photo is cropped to the largest "
               "square that stays inside it, then preprocessed exactly as in section 1.")
    st.markdown(data_shift.photo_summary(names[run.top1[0]], run.angles, [names[g] for g in run.top1],
                                         run.upright_rank, run.upright_probability))


def section_augmentation(standard: data_shift.SweepResult, augmented: pipeline.AugmentedCNN | None,
                         matrix: np.ndarray) -> None:
    """Section 5: which gaps the rotation-augmented CNN closes, and what it costs on clean digits."""
    st.header("5 · Which part of the gap does augmentation close?")
    if augmented is None:
        st.markdown("Tick **Also train a CNN with rotation augmentation** above: it is trained once for each rotation "
                    "setting (a progress bar shows how far it is), then every sweep shows both networks.")
        return
    _, _, _, y_test = data.mnist_split()
    n = len(y_test)
    rows = pipeline.gap_rows(
        lambda kind, aug: augmented_sweep(kind, augmented) if aug else shift_sweep("standard", kind))
    st.dataframe(pipeline.gap_table(rows, n), hide_index=True, width="stretch")
    st.caption("The last column is top-1 on the changed digits, augmented minus standard, in percentage points; the "
               "*gap* is what the standard CNN lost between clean and changed digits. Differences under two standard "
               f"errors on {n:,} digits are called not measurable; chance is {data_shift.CHANCE:.0%}.")
    rotated = augmented_sweep("rotation", augmented)
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
standard_sweep, augmented_cnn = section_shift()
section_photo(photo)
section_augmentation(standard_sweep, augmented_cnn, confusion)
STATE.write_url()
