"""Lesson page: data, transforms and the generalization gap — what a benchmark score does and does not promise."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lessons.core.tiles import montage
from lessons.core import cache
from lessons.core import capture, registry
from lessons.core import data
from lessons.shift import compute as data_shift
from lessons.cnn import compute as inside_cnn
from lessons.core.nets import mnist_cnn
from ui.brain_charts import heatmap
from ui.images import PickedImage, photo_picker
from ui.models import load_with_progress
from ui.navigation import lesson_by_path
from ui.routing import route_through_app
from ui.shift_charts import accuracy_curves, class_bars
from ui.state import init_from_url, init_number_from_url, mirror_to_url

route_through_app()
LESSON = lesson_by_path("pages/data_shift.py")
DIGITS = [str(d) for d in range(10)]
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
def augmented_model(max_degrees: int) -> mnist_cnn.TrainResult:
    """A digit CNN trained with random rotations up to ±max_degrees (trained once per setting, then shared)."""
    with st.status(f"Training a digit CNN on rotations up to ±{max_degrees}°…", expanded=False) as box:
        bar = st.progress(0.0)
        result = data_shift.train_augmented(max_degrees, progress=lambda f, m: bar.progress(min(f, 1.0), text=m))
        box.update(label=f"Augmented CNN trained in {result.seconds:.1f} s", state="complete")
    return result


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
def online_set(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A torchvision test set fetched on request (raises DatasetUnavailable offline)."""
    return data_shift.request_torchvision_set(name, cache.cache_dir() / "torchvision", timeout_s=300)


st.title(LESSON.title)
st.markdown(
    "A test score is a promise about images *like the test images*. Benchmarks are collected the way "
    "photographers take pictures: objects upright, centred, on their usual backgrounds, from their usual side. A "
    "network is free to lean on all of that. When ObjectNet photographed the same kinds of objects at controlled "
    "rotations, viewpoints and backgrounds, ImageNet models that scored well lost a large part of their accuracy. "
    "This page walks the whole path — from file to tensor, from data set to score — and then breaks the "
    "promise on purpose, one controlled change at a time."
)

# ------------------------------------------------------------------------------------------------ 1 · transforms
st.header("1 · From file to tensor")
st.markdown(
    "A network never sees a JPEG. The file is **decoded** to a grid of 0–255 numbers, **resized** so the shorter "
    "side matches training, **centre-cropped** to the exact input size, turned into a float **tensor** in "
    "channels-first order, and **normalised** with the mean and spread of the training set's pixels, so every "
    "channel is centred on zero. The last picture is what the first layer receives: grey is zero."
)
with st.container(border=True):
    picked: PickedImage = photo_picker("photo")
steps = preprocessing(picked.image_id, picked.array)
for column, step in zip(st.columns(len(steps)), steps):
    column.image(step.image, caption=f"{step.title}: {step.caption}", width="stretch")
spec = registry.spec_for(registry.DEFAULT_MODEL)
st.code(
    "from torchvision import transforms\n"
    "from PIL import Image\n\n"
    "preprocess = transforms.Compose([\n"
    f"    transforms.Resize({spec.resize}),            # shorter side → {spec.resize} pixels\n"
    f"    transforms.CenterCrop({spec.input_size}),        # the size the network was trained on\n"
    "    transforms.ToTensor(),              # H×W×3 uint8 → 3×H×W float in [0, 1]\n"
    f"    transforms.Normalize(mean={tuple(round(m, 3) for m in spec.mean)},\n"
    f"                         std={tuple(round(s, 3) for s in spec.std)}),\n"
    "])\n"
    "x = preprocess(Image.open('photo.jpg').convert('RGB')).unsqueeze(0)   # 1×3×224×224, a batch of one",
    language="python",
)
st.caption(picked.caption)

# ------------------------------------------------------------------------------------------------ 2 · data sets
st.header("2 · Data sets: samples, labels, statistics")
st.markdown(
    "Before training, look at the data: a grid of samples per class, how many examples each class has (an "
    "unbalanced set makes accuracy misleading) and the pixel statistics that the normalisation step uses."
)
available = ["mnist", "sklearn", "photos"] + (["fashion"] if data_shift.fashion_mnist() is not None else []) + ["online"]
init_from_url("dataset", available, "mnist")
dataset = st.radio("Data set", available, key="dataset", format_func=DATASETS.get, horizontal=True)
mirror_to_url("dataset")
if "fashion" not in available:
    st.caption("Fashion-MNIST appears here when Debian's optional `dataset-fashion-mnist` package is installed.")

grid_images, grid_labels, names = None, None, DIGITS
if dataset == "mnist":
    grid_images, grid_labels = data.mnist_digits()
elif dataset == "sklearn":
    grid_images, grid_labels = data.small_digits()
elif dataset == "fashion":
    grid_images, grid_labels = data_shift.fashion_mnist()
    names = list(data_shift.FASHION_CLASSES)
elif dataset == "photos":
    keys = data.photo_keys()
    st.image(montage(np.stack([data_shift.gray_tiles(data.load_photo(k)[None], 120)[0] for k in keys]),
                                columns=7, pad=4),
             caption="The shipped photos: one image per subject, no labels from a fixed class list — a gallery, "
                     "not a benchmark.", width="stretch")
    sizes = [data.load_photo(k).shape for k in keys]
    st.markdown(f"**{len(keys)} photos**, from {min(s[1] for s in sizes)}×{min(s[0] for s in sizes)} to "
                f"{max(s[1] for s in sizes)}×{max(s[0] for s in sizes)} pixels: sizes differ, which is why the "
                "pipeline above resizes and crops before anything else.")
else:
    choice = st.selectbox("Torchvision data set", list(data_shift.TORCHVISION_SETS), key="online_set")
    st.caption("These sets are not shipped: fetching one needs an internet connection (about 160 MB for CIFAR-10).")
    if st.button(f"Fetch {choice}", key="fetch_online"):
        bar = st.progress(0.0, text="checking the connection…")
        try:
            grid_images, grid_labels = online_set(choice)
        except data_shift.DatasetUnavailable as error:
            bar.empty()
            st.error(f"{error}")
        else:
            bar.progress(1.0, text=f"{choice} ready")
            names = [str(c) for c in range(int(grid_labels.max()) + 1)]

if grid_images is not None:
    summary = data_shift.summarize(DATASETS.get(dataset, dataset), grid_images, grid_labels, len(names))
    order = data_shift.sample_indices(grid_labels, 10, seed=0)
    left, right = st.columns([3, 2])
    left.image(montage(data_shift.gray_tiles(grid_images[order], 40), columns=10, pad=2),
               caption="Ten random examples of each class, one class per row", width="stretch")
    right.altair_chart(class_bars(names, summary.class_counts, "Examples per class"), width="stretch")
    stats = right.columns(3)
    stats[0].metric("Examples", f"{summary.count:,}")
    stats[1].metric("Image shape", "×".join(map(str, summary.shape)))
    stats[2].metric("Pixel mean", f"{summary.mean:.3g}")
    right.caption(f"Values run from {summary.value_range[0]:g} to {summary.value_range[1]:g}, with a spread "
                  f"(std) of {summary.std:.3g}. Normalising "
                  "divides by this set's own spread, which is why every data set has its own mean and std.")

if dataset in ("mnist", "sklearn", "fashion"):
    st.subheader("One batch, as a DataLoader hands it to training")
    x_train, y_train, _, _ = data.mnist_split()
    inputs, targets = data_shift.first_batch(x_train, y_train, batch_size=16, seed=0)
    shown = ((inputs[:, 0].numpy() * mnist_cnn.STD[0] + mnist_cnn.MEAN[0]) * 255).clip(0, 255).astype(np.uint8)
    st.image(montage(data_shift.gray_tiles(shown, 56), columns=16, pad=2), width="stretch",
             caption="Labels: " + " ".join(str(int(t)) for t in targets))
    st.code(
        "loader = DataLoader(TensorDataset(inputs, labels), batch_size=16, shuffle=True)\n"
        "x, y = next(iter(loader))\n"
        f"x.shape  # {tuple(inputs.shape)}  = batch × channels × height × width\n"
        f"y.shape  # {tuple(targets.shape)}",
        language="python",
    )
    st.caption("The batch always comes from the MNIST training split, the data the digit CNN below learns from.")

# ------------------------------------------------------------------------------------------------ 3 · accuracy
st.header("3 · Accuracy the way papers report it")
loaded = load_with_progress("digit_cnn", "pretrained")
if loaded is None:
    st.stop()
_, _, x_test, y_test = data.mnist_split()
probs = held_out_scores()
top1, top5 = data_shift.top_k_accuracy(probs, y_test, 1), data_shift.top_k_accuracy(probs, y_test, 5)
matrix = data_shift.confusion_matrix(y_test, probs.argmax(axis=1), 10)
cols = st.columns(3)
cols[0].metric("Top-1 (held out)", f"{top1:.1%}")
cols[1].metric("Top-5 (held out)", f"{top5:.1%}")
cols[2].metric("Held-out digits", f"{len(y_test):,}")
st.markdown(
    "The digit CNN trained on 4,000 digits and is scored on the **1,000 it never saw**. *Top-1* counts the first "
    "guess; *top-5* counts a hit when the true class is anywhere in the five best guesses — the number ImageNet "
    "papers quote next to top-1, because many of its 1,000 classes are near-twins. The confusion matrix shows "
    "*which* mistakes: row = true digit, column = what the network said."
)
left, right = st.columns(2)
left.altair_chart(heatmap(matrix, DIGITS, DIGITS, "Confusion matrix (counts)", "count", scheme="blues",
                          size=300), width="stretch")
right.altair_chart(class_bars(DIGITS, data_shift.per_class_accuracy(matrix), "Accuracy per class", percent=True),
                   width="stretch")

# ------------------------------------------------------------------------------------------------ 4 · shift
st.header("4 · The controlled shift experiment")
st.markdown(
    "Now keep the test digits and the network fixed and change **one thing** by a measured amount. Nothing about "
    "*which digit* it is changes — a 7 turned by 45° is still a 7 to you — yet the score can collapse. The grey "
    "dotted line is chance (10 %)."
)
init_from_url("shift", list(data_shift.SHIFTS), "rotation")
controls = st.columns([2, 3])
kind = controls[0].selectbox("Change", list(data_shift.SHIFTS), key="shift",
                             format_func=lambda k: data_shift.SHIFTS[k].title)
shift = data_shift.SHIFTS[kind]
init_number_from_url("step", 3, 0, len(shift.amounts) - 1, integer=True)
st.session_state["step"] = min(int(st.session_state["step"]), len(shift.amounts) - 1)
step = controls[1].select_slider("Amount for the examples", options=list(range(len(shift.amounts))), key="step",
                                 format_func=lambda i: f"{shift.amounts[i]:g}")
mirror_to_url("shift", "step")

with st.spinner(f"Sweeping {shift.title.lower()} over {len(y_test):,} held-out digits…"):
    standard = shift_sweep("standard", kind)
curves = {"standard CNN": (standard.amounts, standard.top1, standard.top5)}

augment = st.checkbox("Also train a CNN with rotation augmentation", key="augment",
                      help="Same network, same 4,000 digits, same epochs; each batch is randomly rotated.")
max_degrees = st.slider("Augmentation: random rotations up to ±", 30, 180, 180, step=30, format="%d°",
                        key="augment_degrees", disabled=not augment)
variant = f"rotations±{max_degrees}"
augmented_result = augmented_model(max_degrees) if augment else None
if augmented_result is not None:
    augmented = shift_sweep(variant, kind, augmented_result.model)
    curves[f"augmented (±{max_degrees}°)"] = (augmented.amounts, augmented.top1, augmented.top5)

st.altair_chart(accuracy_curves(curves, shift.unit, f"{shift.title}: held-out accuracy against the amount",
                                marked=shift.amounts[step]), width="stretch")
st.caption(f"Clean top-1 {standard.top1[0]:.1%}; at {shift.amounts[step]:g} {shift.unit} {standard.top1[step]:.1%} "
           f"(top-5 {standard.top5[step]:.1%}). Solid lines are top-1, dashed lines top-5. At amount 0 the sweep is "
           "exactly the clean test set.")
rotation_curve = None if kind == "rotation" else shift_sweep("standard", "rotation")
st.markdown("**Standard CNN.** " + data_shift.curve_summary(
    shift.title, shift.unit, standard.amounts, standard.top1, len(y_test),
    None if rotation_curve is None else (rotation_curve.amounts, rotation_curve.top1)))

st.subheader("What it got wrong")
broken = data_shift.failures(standard, y_test, step, limit=12)
if step == 0:
    st.info("At amount 0 nothing has changed: move the amount slider to see images that broke.")
elif len(broken) == 0:
    st.success("No digit that was right on the clean set is wrong at this amount.")
else:
    shown = data_shift.shifted_examples(x_test[broken], kind, float(shift.amounts[step]))
    tiles = data_shift.gray_tiles(shown, 84)
    st.image(list(tiles), width=84,  # a row that wraps on a phone instead of one full-width digit per line
             caption=[f"{y_test[i]} → {standard.predictions[step][i]}" for i in broken])
    st.caption("Held-out digits the standard CNN got right before the change and wrong after: true → predicted. "
               + ("Background textures are random crops of the shipped brick, grass and gravel photos."
                  if kind == "background" else ""))

st.subheader("The same test on a pretrained ImageNet network")
st.markdown(
    "The photo from section 1, turned in steps and classified by EfficientNet-Lite0 (trained on ImageNet). The "
    "shipped photos carry no ImageNet labels, so the yardstick is the network's own answer for the upright photo: "
    "how much probability it still gives that class, and where it ranks it."
)
photo_run = photo_sweep(picked.image_id, picked.array)
photo_names = registry.class_names(registry.spec_for(registry.DEFAULT_MODEL))
turned = data_shift.rotated_photos(picked.array, photo_run.angles)
st.image(list(turned), width=150,
         caption=[f"{angle:g}°: {photo_names[guess]} · upright answer {p_up:.0%} (rank {rank + 1})"
                  for angle, guess, p_up, rank in zip(photo_run.angles, photo_run.top1,
                                                      photo_run.upright_probability, photo_run.upright_rank)])
st.caption(f"Upright answer: **{photo_names[photo_run.top1[0]]}**. Each rotated photo is cropped to the largest "
           "square that stays inside it, then preprocessed exactly as in section 1.")
st.markdown(data_shift.photo_summary(photo_names[photo_run.top1[0]], photo_run.angles,
                                     [photo_names[g] for g in photo_run.top1], photo_run.upright_rank,
                                     photo_run.upright_probability))

# ------------------------------------------------------------------------------------------------ 5 · augmentation
st.header("5 · Which part of the gap does augmentation close?")
if augmented_result is None:
    st.markdown("Tick **Also train a CNN with rotation augmentation** above: it is trained once for each rotation "
                "setting (a progress bar shows how far it is), then every sweep shows both networks.")
else:
    model_result = augmented_result
    rows, gaps = [], {}
    for key, info in data_shift.SHIFTS.items():
        plain, aug = shift_sweep("standard", key), shift_sweep(variant, key, model_result.model)
        gaps[key] = (plain.top1[0], plain.top1[-1], aug.top1[-1])
        rows.append({"change": info.title, "at": f"{info.amounts[-1]:g} {info.unit}",
                     "standard: clean → changed": f"{plain.top1[0]:.0%} → {plain.top1[-1]:.0%}",
                     "augmented: clean → changed": f"{aug.top1[0]:.0%} → {aug.top1[-1]:.0%}",
                     "augmented vs standard on changed digits": data_shift.gap_cell(*gaps[key], len(y_test))})
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption("The last column is top-1 on the changed digits, augmented minus standard, in percentage points; the "
               "*gap* is what the standard CNN lost between clean and changed digits. Differences under two standard "
               f"errors on {len(y_test):,} digits are called not measurable; chance is {data_shift.CHANCE:.0%}.")
    rotated = shift_sweep(variant, "rotation", model_result.model)
    st.markdown(
        f"The augmented network was trained in {model_result.seconds:.1f} s. "
        + data_shift.augmentation_summary(gaps, "rotation", max_degrees, len(y_test))
        + "\n\n"
        + data_shift.clean_cost_summary(standard.top1[0], rotated.top1[0], max_degrees, len(y_test), matrix,
                                        data_shift.confusion_matrix(y_test, rotated.predictions[0], 10))
        + " Real data sets are the same — every variation a benchmark keeps fixed is a variation the model never "
        "had to learn."
    )
