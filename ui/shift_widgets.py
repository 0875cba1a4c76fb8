"""Streamlit glue for the data-and-shift page: cached lesson calls, its controls (the shift and its amount, the
augmentation switch, the on-request data set), and the displays (data-set description, broken digits, rotated
photos) the page's sections place under their narrative.

The cached wrappers only call `lessons.shift` and `lessons.core`; each is keyed by an image id or a setting, never by
pixels or a network (the underscore-prefixed arguments are left out of the cache key).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from lessons.cnn import compute as inside_cnn
from lessons.core import cache, capture, data, registry
from lessons.core.nets import mnist_cnn
from lessons.core.progress import Progress
from lessons.shift import compute as data_shift
from lessons.shift import data as shift_data
from lessons.shift import pipeline
from ui.progress import progress_bar
from ui.settings.data_shift import STATE
from ui.shift_charts import class_bars

DATASETS = {
    "mnist": "MNIST digits (5,000 shipped)",
    "sklearn": "scikit-learn digits (1,797, 8×8)",
    "photos": "The shipped photos",
    "fashion": "Fashion-MNIST (Debian package)",
    "online": "CIFAR-10 / SVHN (download on request)",
}


# ------------------------------------------------------------------------------------------------------ cached compute
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


def augmented_sweep(kind: str, augmented: pipeline.AugmentedCNN) -> data_shift.SweepResult:
    """The augmented CNN's sweep along one shift (cached per rotation setting and shift)."""
    return shift_sweep(f"rotations±{augmented.max_degrees}", kind, augmented.model)


@st.cache_data(max_entries=16, show_spinner=False)
def photo_sweep(image_id: str, _image: np.ndarray) -> data_shift.PhotoSweep:
    """EfficientNet-Lite0 on one photo at seven rotations (cached per image)."""
    return data_shift.photo_rotation_sweep(registry.load_model(registry.DEFAULT_MODEL, "pretrained"), _image)


@st.cache_data(max_entries=4, show_spinner=False)
def online_set(name: str, _progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A torchvision test set fetched on request (raises DatasetUnavailable offline)."""
    return data_shift.request_torchvision_set(name, cache.cache_dir() / "torchvision", progress=_progress,
                                              timeout_s=300)


# ------------------------------------------------------------------------------------------------------------ controls
def dataset_choice() -> str:
    """The data sets installed here, as one row of choices; returns the chosen one."""
    available = shift_data.available_datasets(data_shift.fashion_mnist() is not None)
    STATE.bind("shift_dataset", options=available)
    dataset = st.radio("Data set", available, key="shift_dataset", format_func=DATASETS.get, horizontal=True)
    if "fashion" not in available:
        st.caption("Fashion-MNIST appears here when Debian's optional `dataset-fashion-mnist` package is installed.")
    return dataset


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


def shift_controls() -> tuple[str, int]:
    """Which change and which of its amounts the examples show; returns (shift key, amount index)."""
    controls = st.columns([2, 3])
    kind = controls[0].selectbox("Change", list(data_shift.SHIFTS), key="shift_shift",
                                 format_func=lambda k: data_shift.SHIFTS[k].title)
    amounts = data_shift.SHIFTS[kind].amounts
    last = len(amounts) - 1
    if "shift_step" in st.session_state:  # a change with fewer amounts: the amount moves to its end
        STATE.set("shift_step", min(int(STATE.value("shift_step")), last))
    STATE.bind("shift_step", high=last)
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


# ------------------------------------------------------------------------------------------------------------ displays
def show_gallery() -> None:
    """The shipped photos: a gallery of different sizes, not a labelled benchmark."""
    st.image(shift_data.photo_gallery(), width="stretch",
             caption="The shipped photos: one image per subject, no labels from a fixed class list — a gallery, "
                     "not a benchmark.")
    count, ((min_w, min_h), (max_w, max_h)) = shift_data.photo_sizes()
    st.markdown(f"**{count} photos**, from {min_w}×{min_h} to {max_w}×{max_h} pixels: sizes differ, which is why "
                "the pipeline above resizes and crops before anything else.")


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


def show_batch(batch: shift_data.LoaderBatch) -> None:
    """One DataLoader batch as a picture with its labels, and the code that makes it with its shapes."""
    st.image(batch.picture, width="stretch", caption="Labels: " + " ".join(str(t) for t in batch.labels))
    st.code(
        "loader = DataLoader(TensorDataset(inputs, labels), batch_size=16, shuffle=True)\n"
        "x, y = next(iter(loader))\n"
        f"x.shape  # {batch.input_shape}  = batch × channels × height × width\n"
        f"y.shape  # {batch.label_shape}",
        language="python",
    )


def show_broken(standard: data_shift.SweepResult, kind: str, step: int) -> None:
    """Held-out digits right before the change and wrong after it, as the network was given them, or why none."""
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


def show_rotated_photos(image: np.ndarray, run: data_shift.PhotoSweep, names: Sequence[str]) -> None:
    """The photo at each angle, captioned with the network's answer and what it keeps of the upright one."""
    st.image(data_shift.rotated_photos(image, run.angles), width=150,
             caption=[f"{angle:g}°: {names[guess]} · upright answer {p_up:.0%} (rank {rank + 1})"
                      for angle, guess, p_up, rank in zip(run.angles, run.top1, run.upright_probability,
                                                          run.upright_rank)])
