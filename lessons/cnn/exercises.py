"""Exercises of the Inside-a-CNN lesson (declared once; `ui.exercises` renders and judges them), and the "What to
notice" sentence on the network's stages.

Pure Python only: the home page imports this module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from lessons.core.exercises import Exercise, Facts, LessonExercises, Option, Verdict

#: A best guess below this share of the probability counts as "unsure".
UNSURE = 0.25
#: The layers above the feature maps hold "most" of the parameters above this share, the feature maps below 1 − it.
MOST = 0.6
#: The geometry of the output-size question: a square photo, a square kernel, padding on every side, stride.
STEM_INPUT, STEM_KERNEL, STEM_PADDING, STEM_STRIDE = 224, 3, 1, 2

Shape = Sequence[int]


def conv_output_size(n: int, k: int, padding: int, stride: int) -> int:
    """Output side of a convolution: ⌊(n + 2p − k)/s⌋ + 1 (the formula of the Convolution lesson, no dilation)."""
    return (n + 2 * padding - k) // stride + 1


def _shape(shape: Shape) -> str:
    return "×".join(str(int(s)) for s in shape)


# --------------------------------------------------------------------------------------- make the network unsure
def check_unsure(facts: Facts) -> Verdict:
    """Task: with trained weights, the best guess must get less than `UNSURE` of the probability."""
    name, p = facts["top1_name"], float(facts["top1_prob"])
    if not facts["trained"]:
        return Verdict(False, "These are **random weights**: every answer they give is noise, sure or not. Switch to "
                              "the trained weights, then find a photo the *trained* network is unsure about.")
    if p < UNSURE:
        return Verdict(True, f"The best guess, **{name}**, gets only **{p:.0%}** of the probability: the network "
                             "spreads its bets over many classes.")
    return Verdict(False, f"The best guess, **{name}**, still gets **{p:.0%}** of the probability — that is at least "
                          f"{UNSURE:.0%}. Pick another photo, or upload one.")


def explain_unsure(facts: Facts) -> str:
    """What a low top-1 probability means, quoting the photo the student found."""
    n = facts.get("n_classes")
    shared = f"over the {n:,} classes" if n else "over all classes"
    found = (f" On this photo the winner, **{facts['top1_name']}**, got only {float(facts['top1_prob']):.0%}."
             if facts.get("top1_name") is not None and facts.get("top1_prob") is not None else "")
    return (f"The last layer's softmax always shares out 100 % {shared} and always names a winner — even when "
            f"nothing in the photo is one of them.{found} A low top-1 probability is the network saying it is unsure. "
            "A high one is no proof that it is right: confidence is not accuracy.")


UNSURE_TASK = Exercise(
    id="cnn.unsure", section="prediction", kind="task",
    prompt=f"**Make the network unsure.** Find a photo (from the list, or upload your own) on which the trained "
           f"network's best guess gets **less than {UNSURE:.0%}** of the probability.",
    check=check_unsure, needs=("top1_name", "top1_prob", "trained"),
    hints=("The network knows 1,000 kinds of things. Which photos in the list show no single one of them — a "
           "texture, a scene, a portrait?",
           "Try the close-ups of surfaces (bricks, grass, gravel), or upload a photo of something ImageNet has no "
           "class for."),
    explanation=explain_unsure,
)


# --------------------------------------------------------------------------------------- do deeper maps shrink?
SMALLER_MORE = "Smaller maps, more channels"
SMALLER_FEWER = "Smaller maps, no more channels"
SAME = "Maps of the same size"
LARGER = "Larger maps"


def maps_change(facts: Facts) -> str:
    """The right prediction: how the last feature-map stage compares with the first (positions, then channels)."""
    first, last = facts["first_maps_shape"], facts["last_maps_shape"]
    before, after = first[1] * first[2], last[1] * last[2]
    if after > before:
        return LARGER
    if after == before:
        return SAME
    return SMALLER_MORE if last[0] > first[0] else SMALLER_FEWER


def shrink_notice(first: str, first_shape: Shape, last: str, last_shape: Shape) -> str:
    """The "What to notice" sentence on the stages: how the maps and the channels change from the first feature-map
    stage to the last."""
    (c1, h1, w1), (c2, h2, w2) = first_shape, last_shape
    before, after = h1 * w1, h2 * w2
    if after < before:
        maps = f"the maps **shrink** from {h1}×{w1} to {h2}×{w2} — {before / after:.3g}× fewer positions —"
    elif after > before:
        maps = f"the maps **grow** from {h1}×{w1} to {h2}×{w2} — {after / before:.3g}× more positions —"
    else:
        maps = f"the maps **keep their size** ({h1}×{w1}),"
    if c2 > c1:
        channels = f"while the channels **multiply** from {c1:,} to {c2:,}"
    elif c2 < c1:
        channels = f"while the channels **drop** from {c1:,} to {c2:,}"
    else:
        channels = f"with {c1:,} channels throughout"
    return f"From **{first}** to **{last}** {maps} {channels}."


def explain_maps_change(facts: Facts) -> str:
    """The two shapes, what shrinks them, and whether this network follows the textbook picture."""
    measured = shrink_notice(facts["first_maps"], facts["first_maps_shape"], facts["last_maps"],
                             facts["last_maps_shape"])
    change = maps_change(facts)
    textbook = ("That is the textbook picture." if change == SMALLER_MORE else
                "The textbook picture is smaller maps with more channels; this network differs.")
    why = (" Each stride or pooling step keeps about one position in two per axis, so every cell of a deeper map "
           "sums up a wider patch of the photo; the extra channels are meant to describe *what* is there — parts "
           "and textures rather than edges and colours." if change in (SMALLER_MORE, SMALLER_FEWER) else "")
    return f"{measured} {textbook}{why}"


MAPS_SHRINK = Exercise(
    id="cnn.maps_shrink", section="stages", kind="predict",
    prompt="Before the stages appear: compare the network's **first** stage that outputs feature maps with its "
           "**last** one. What happens to the maps (height × width) and to the number of channels?",
    options=(Option(SMALLER_MORE, "Strides and pooling shrink the maps while more channels describe what is where."),
             Option(SMALLER_FEWER, "Shrinking maps, yes; but would fewer channels be enough to describe parts and "
                                   "objects?"),
             Option(SAME, "Keeping every position at every stage is costly, and each cell would still see only a "
                          "small patch of the photo."),
             Option(LARGER, "Maps that grow are found in networks that paint pictures (decoders), not in "
                            "classifiers.")),
    correct=maps_change, needs=("first_maps_shape", "last_maps_shape"),
    hints=("A classifier ends with one vector of scores: no height, no width.",),
    explanation=explain_maps_change,
)


# ------------------------------------------------------------------------------------------- output size, by hand
STEM_OUTPUT = conv_output_size(STEM_INPUT, STEM_KERNEL, STEM_PADDING, STEM_STRIDE)


def explain_stem_output(facts: Facts) -> str:
    """The formula filled in, and what this network's first stage does to its input (from the layer table)."""
    n, k, p, s = STEM_INPUT, STEM_KERNEL, STEM_PADDING, STEM_STRIDE
    text = (f"⌊(n + 2p − k)/s⌋ + 1 = ⌊({n} + 2·{p} − {k})/{s}⌋ + 1 = ⌊{n + 2 * p - k}/{s}⌋ + 1 = {STEM_OUTPUT}: "
            f"stride {s} keeps one position in {s} along each axis, and the padding of {p} makes up for the "
            "kernel's overhang at the border.")
    name, shape, size = facts.get("first_stage"), facts.get("first_stage_shape"), facts.get("input_size")
    if name is None or shape is None or size is None or len(shape) != 3:
        return text
    width = int(shape[2])
    change = ("halved, like the question's convolution" if width == math.ceil(size / 2) else
              "the same size" if width == size else f"{size / width:.3g}× smaller" if width < size else
              f"{width / size:.3g}× larger")
    return text + (f" This network's first stage, **{name}**, turns its {size}×{size} input into {_shape(shape)} "
                   f"maps: {change}.")


STEM_SIZE = Exercise(
    id="cnn.stem_output", section="preprocessing", kind="numeric",
    prompt=f"The crop above is what the first layer slides over. Say it is {STEM_INPUT}×{STEM_INPUT} and the layer "
           f"is a {STEM_KERNEL}×{STEM_KERNEL} convolution with **stride {STEM_STRIDE}** and **padding "
           f"{STEM_PADDING}** (one row and column of zeros on every side). How many pixels wide is its output?",
    answer=STEM_OUTPUT, tolerance=0, unit="pixels",
    hints=("Output = ⌊(n + 2p − k)/s⌋ + 1 — the formula of the Convolution lesson's sandbox.",
           f"n = {STEM_INPUT}, p = {STEM_PADDING}, k = {STEM_KERNEL}, s = {STEM_STRIDE}: "
           f"⌊{STEM_INPUT + 2 * STEM_PADDING - STEM_KERNEL}/{STEM_STRIDE}⌋ + 1."),
    explanation=explain_stem_output,
)


# ------------------------------------------------------------------------------------ where are the parameters?
IN_MAPS, AT_TOP, HALF = "In the convolutional stages", "In the fully connected layers at the top", "About half in each"


def top_share(facts: Facts) -> float:
    """The share of the parameters in the stages after the last feature map (the fully connected top)."""
    total = int(facts["total_parameters"])
    return int(facts["top_parameters"]) / total if total else 0.0


def where_parameters(facts: Facts) -> str:
    """The right option: where most of the network's parameters are (above `MOST`), or about half in each."""
    share = top_share(facts)
    return AT_TOP if share > MOST else IN_MAPS if share < 1 - MOST else HALF


def explain_where_parameters(facts: Facts) -> str:
    """The measured split of the parameters, and why convolutions are cheap for what they do."""
    top, total = int(facts["top_parameters"]), int(facts["total_parameters"])
    share = top_share(facts)
    return (f"{top:,} of this network's {total:,} parameters ({share:.0%}) sit in the layers that read a vector, "
            f"after the last feature map; the convolutional stages hold the other {total - top:,} "
            f"({1 - share:.0%}). A convolution reuses one small kernel at every position of its map, so its cost "
            "does not grow with the map; a fully connected layer pays one weight per input–output pair. Switch "
            "networks in the picker (AlexNet, ResNet-18, the digit CNN) and compare.")


WHERE_PARAMETERS = Exercise(
    id="cnn.where_parameters", section="layers", kind="choice",
    prompt="Where does **this network** keep most of its parameters (weights and biases)?",
    options=(Option(IN_MAPS, "Convolutional stages share each small kernel across every position, so even a deep "
                             "stack can stay cheap — but are there enough of them here to outweigh the top? Count in "
                             "the layer table."),
             Option(AT_TOP, "A fully connected layer has one weight for every input–output pair, so a wide one is "
                            "costly — but is this network's top wide enough to outweigh its stages? Count in the "
                            "layer table."),
             Option(HALF, "Add up the parameters of the rows whose output is a vector (no height × width) and "
                          "compare them with the total under the table: is it near half?")),
    correct=where_parameters, needs=("top_parameters", "total_parameters"),
    hints=("Open the *Layer table* above: it has a parameters column and the total under it.",
           "Add up the rows after the last feature map (their output is a single vector) and divide by the total."),
    explanation=explain_where_parameters,
)


EXERCISES = LessonExercises(
    lesson="inside_cnn",
    sections=("preprocessing", "prediction", "stages", "layers", "filters", "maps"),
    exercises=(STEM_SIZE, UNSURE_TASK, MAPS_SHRINK, WHERE_PARAMETERS),
    takeaways=("Before a network sees a photo, it is resized, cropped and normalised exactly as in training.",
               "Stage by stage the maps shrink and the channels multiply: where things are gives way to what "
               "they are.",
               "Trained first-layer filters are expected to look like edge and colour detectors; every later "
               "channel is a map of where its own pattern occurs.",
               "A softmax always names a winner: the top-1 probability says how sure the network is, not whether it "
               "is right."),
    minutes=25,
)
