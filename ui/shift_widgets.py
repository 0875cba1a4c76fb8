"""Streamlit glue for the data-and-shift page: cached lesson calls, its controls (the shift and its amount, the
augmentation switch, the on-request data set), and the displays (data-set description, broken digits, rotated
photos) the page's sections place under their narrative.

The quick cached wrappers only call `lessons.shift` and `lessons.core`; each is keyed by an image id or a setting,
never by pixels or a network (the underscore-prefixed arguments are left out of the cache key). Slow work (sweeps,
the augmented CNN, a fetched data set) is done outside any Streamlit cache with a live progress bar and filed in a
shared result store, so a second visitor, or a shared link, gets it at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from lessons.cnn import compute as inside_cnn
from lessons.core import cache, capture, data, registry
from lessons.core.nets import mnist_cnn
from lessons.core.progress import Progress, sub_range
from lessons.shift import compute as data_shift
from lessons.shift import data as shift_data
from lessons.shift import pipeline
from ui.digits import digit_picker
from ui.downloads import download_row
from ui.images import PickedImage
from ui.jobs import queued_result
from ui.progress import progress_bar
from ui.result_store import shared_store
from ui.settings.data_shift import STATE
from ui.shift_charts import class_bars, class_table

DATASETS = {
    "mnist": "MNIST digits (5,000 shipped)",
    "sklearn": "scikit-learn digits (1,797, 8×8)",
    "photos": "The shipped photos",
    "fashion": "Fashion-MNIST",
    "online": "CIFAR-10 / SVHN (download on request)",
}


#: Finished slow results shared by every session: augmented CNNs by name, sweeps by (network, shift), fetched data
#: sets by name, photo sweeps by image id.
AUGMENTED = shared_store("shift_augmented_cnn", 8)
SWEEPS = shared_store("shift_sweeps", 96)
ONLINE_SETS = shared_store("shift_online_sets", 2)
PHOTO_SWEEPS = shared_store("shift_photo_sweeps", 32)


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


#: A sweep request: one shift, and the augmented CNN to sweep (None: the standard digit CNN).
SweepRequest = tuple[str, pipeline.AugmentedCNN | None]


def network_title(augmented: pipeline.AugmentedCNN | None) -> str:
    """How the page names a network in legends and progress messages."""
    return "standard CNN" if augmented is None else f"augmented (±{augmented.max_degrees}°)"


def _sweep_key(kind: str, augmented: pipeline.AugmentedCNN | None) -> tuple[str, str]:
    return ("digit_cnn" if augmented is None else augmented.key, kind)


def _sweep_now(kind: str, augmented: pipeline.AugmentedCNN | None, progress: Progress) -> data_shift.SweepResult:
    _, _, x_test, y_test = data.mnist_split()
    if augmented is None:
        loaded = registry.load_model("digit_cnn", "pretrained")
        return data_shift.sweep(loaded.module, x_test, y_test, kind, dev=loaded.device, progress=progress)
    return data_shift.sweep(augmented.model, x_test, y_test, kind, dev="cpu", progress=progress)


def shift_sweeps(requests: Sequence[SweepRequest], label: str) -> list[data_shift.SweepResult]:
    """The sweeps asked for, from the shared store; missing ones are computed under one bar, one stage each."""
    found = {request: SWEEPS.get(_sweep_key(*request)) for request in requests}
    missing = [request for request, sweep in found.items() if sweep is None]
    if missing:
        with progress_bar(label) as report:
            for i, (kind, augmented) in enumerate(missing):
                stage = sub_range(report, i / len(missing), (i + 1) / len(missing),
                                  f"Sweep {i + 1} of {len(missing)} · {network_title(augmented)} · ")
                found[(kind, augmented)] = _sweep_now(kind, augmented, stage)
                SWEEPS.put(_sweep_key(kind, augmented), found[(kind, augmented)])
    return [found[request] for request in requests]


def shift_sweep(kind: str, augmented: pipeline.AugmentedCNN | None = None) -> data_shift.SweepResult:
    """One network's sweep along one shift (from the shared store, else computed with a progress bar)."""
    return shift_sweeps([(kind, augmented)], f"Sweeping {data_shift.SHIFTS[kind].title.lower()}…")[0]


def gap_rows(augmented: pipeline.AugmentedCNN) -> list[pipeline.GapRow]:
    """Both networks on every shift (one progress bar for the sweeps not done yet), as the comparison's rows."""
    requests = [(kind, network) for kind in data_shift.SHIFTS for network in (None, augmented)]
    sweeps = dict(zip(requests, shift_sweeps(requests, "Sweeping every change for both networks…")))
    return pipeline.gap_rows(lambda kind, aug: sweeps[(kind, augmented if aug else None)])


def photo_sweep(image_id: str, image: np.ndarray) -> data_shift.PhotoSweep:
    """EfficientNet-Lite0 on one photo at seven rotations (from the shared store, else with a progress bar)."""
    found = PHOTO_SWEEPS.get(image_id)
    if found is None:
        with progress_bar("Classifying the photo at seven angles…") as report:
            found = data_shift.photo_rotation_sweep(registry.load_model(registry.DEFAULT_MODEL, "pretrained"), image,
                                                    progress=report)
        PHOTO_SWEEPS.put(image_id, found)
    return found


@st.cache_data(max_entries=64, show_spinner=False)
def turned_digit(image_id: str, angle: int, _image: np.ndarray) -> data_shift.TurnedDigit:
    """One held-out digit turned by `angle` degrees and the standard CNN's answers before and after (cached)."""
    loaded = registry.load_model("digit_cnn", "pretrained")
    return data_shift.turned_digit(loaded.module, _image, angle, loaded.device)


def online_set(name: str, progress: Progress) -> tuple[np.ndarray, np.ndarray]:
    """A torchvision test set fetched on request and filed in the shared store (raises DatasetUnavailable offline)."""
    fetched = data_shift.request_torchvision_set(name, cache.cache_dir() / "torchvision", progress=progress,
                                                 timeout_s=300)
    ONLINE_SETS.put(name, fetched)
    return fetched


# ------------------------------------------------------------------------------------------------------------ controls
def dataset_choice() -> str:
    """The data sets installed here, as one row of choices; returns the chosen one."""
    available = shift_data.available_datasets(data_shift.fashion_mnist() is not None)
    STATE.bind("shift_dataset", options=available)
    return st.radio("Data set", available, key="shift_dataset", format_func=DATASETS.get, horizontal=True)


def fetched_set() -> shift_data.LabelledSet | None:
    """A torchvision test set: at once when it was fetched before, else when the student asks (a clear message
    offline)."""
    name = st.selectbox("Torchvision data set", list(data_shift.TORCHVISION_SETS), key="shift_online_set")
    if (stored := ONLINE_SETS.get(name)) is not None:
        return shift_data.downloaded_set(*stored)
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


def turn_controls() -> tuple[PickedImage, int]:
    """Which held-out digit to turn, and by how much; returns the digit and the angle in degrees."""
    picked = digit_picker("shift_digit", STATE)
    angle = st.slider("Angle (anticlockwise; negative turns clockwise)", -180, 180, step=5, format="%d°",
                      key="shift_digit_angle")
    return picked, int(angle)


def augmented_network() -> pipeline.AugmentedCNN | None:
    """The augmentation switch and strength; the augmented CNN when switched on (trained with a progress bar)."""
    augment = st.checkbox("Also train a CNN with rotation augmentation", key="shift_augment",
                          help="Same network, same 4,000 digits, same epochs; each batch is randomly rotated.")
    max_degrees = int(st.slider("Augmentation: random rotations up to ±", 30, 180, step=30, format="%d°",
                                key="shift_augment_degrees", disabled=not augment))
    if not augment:
        return None
    key = pipeline.augmented_key(max_degrees)
    trained_here: set[str] = st.session_state.setdefault("_shift_trained_here", set())
    found = AUGMENTED.get(key)
    if found is None:
        trained_now = not pipeline.augmented_on_disk(max_degrees)
        title = (f"Training a digit CNN on rotations up to ±{max_degrees}°" if trained_now else
                 f"Loading the digit CNN trained on rotations up to ±{max_degrees}°")
        if trained_now:
            trained_here.add(key)
        found = queued_result(AUGMENTED, key, title,
                              lambda report: pipeline.augmented_cnn(max_degrees, progress=report))
        if found is None:
            return None
    # trained by this student a moment ago, or by anyone earlier (this or another session, or a warmed cache)
    st.status(augmented_done_label(found, trained_now=key in trained_here), state="complete", expanded=False)
    trained_here.discard(key)
    return found


def augmented_done_label(augmented: pipeline.AugmentedCNN, trained_now: bool) -> str:
    """The finished status of the augmented CNN: trained just now, or ready from an earlier training."""
    took = f"{augmented.seconds:.1f} s"
    return (f"Augmented CNN (±{augmented.max_degrees}°) trained in {took}" if trained_now else
            f"Augmented CNN (±{augmented.max_degrees}°) ready: trained earlier in {took}")


# ------------------------------------------------------------------------------------------------------------ displays
def confusion_table(matrix: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    """The confusion matrix as a table: one row per true class, one column per predicted class."""
    table = pd.DataFrame(np.asarray(matrix), columns=[f"predicted {n}" for n in names])
    table.insert(0, "true class", list(names))
    return table


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
    grid = shift_data.sample_grid(labelled)
    left.image(grid, caption="Ten random examples of each class, one class per row", width="stretch")
    with left:
        download_row(f"sample-grid-{dataset}", picture=grid, key="shift_samples", what="the sample grid")
    counts = class_bars(labelled.names, summary.class_counts, "Examples per class")
    right.altair_chart(counts, width="stretch")
    with right:
        download_row(f"examples-per-class-{dataset}", chart=counts,
                     table=class_table(labelled.names, summary.class_counts, "examples"), key="shift_counts",
                     what="the examples per class")
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


def show_turned_digit(picked: PickedImage, turned: data_shift.TurnedDigit) -> None:
    """The digit as it is and turned, each with the standard CNN's answer and how sure it is."""
    before, after, _ = st.columns([1, 1, 2])
    before.image(data_shift.gray_tiles(picked.array[None], 112)[0], width=112,
                 caption=f"As it is: read as {turned.upright_prediction} ({turned.upright.max():.0%})")
    after.image(data_shift.gray_tiles(turned.image[None], 112)[0], width=112,
                caption=f"Turned {turned.angle:g}°: read as {turned.prediction} ({turned.turned.max():.0%})")
    st.caption(picked.caption)
