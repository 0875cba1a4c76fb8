"""Exercises of the Convolution lesson (declared once; `ui.exercises` renders and judges them), and the pure helpers
they and the page share: a kernel tried on three test pictures, and the "What to notice" sentence about it.

Pure Python and numpy only: the home page imports this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lessons.core.exercises import Exercise, Facts, LessonExercises, Option, Verdict

#: "Only" means the other responses are at most this fraction of the main one.
ONLY = 0.1
#: Responses smaller than this count as none at all (float rounding).
SILENT = 1e-9
#: Test pictures are the kernel's side plus this many pixels on every side, so every output position is inside.
PROBE_MARGIN = 4
#: The kernel that made the mystery map (a named kernel of `lessons.convolution.kernels`).
MYSTERY_KERNEL = "sobel_x"
#: The turn of the image the template-failure prediction asks about (one of the sweep's angles).
PREDICTED_TURN = 30

EdgeKind = Literal["horizontal", "vertical", "both", "brightness", "none"]


# ------------------------------------------------------------------------------------------- a kernel on test pictures
@dataclass(frozen=True)
class EdgeResponse:
    """The strongest |output| of a kernel on three test pictures (no padding: every position is inside)."""

    horizontal: float  # a horizontal edge: dark above, bright below
    vertical: float  # a vertical edge: dark on the left, bright on the right
    flat: float  # flat white


def probe_pictures(side: int) -> dict[str, np.ndarray]:
    """The three test pictures for a kernel of this side: a horizontal edge, a vertical edge and flat white (0 … 1)."""
    n = side + 2 * PROBE_MARGIN
    horizontal = np.zeros((n, n))
    horizontal[n // 2:, :] = 1.0
    return {"horizontal": horizontal, "vertical": horizontal.T.copy(), "flat": np.ones((n, n))}


def correlate_valid(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Slide `kernel` over `image` (no flip, no padding: only where it fits entirely) and sum kernel × patch."""
    windows = sliding_window_view(np.asarray(image, dtype=np.float64), np.shape(kernel))
    return np.einsum("ijkl,kl->ij", windows, np.asarray(kernel, dtype=np.float64))


def edge_response(kernels: np.ndarray | Sequence[np.ndarray]) -> EdgeResponse:
    """How strongly a kernel (or a pair combined as √(x² + y²), like Sobel magnitude) answers each test picture."""
    stack = [np.asarray(k, dtype=np.float64) for k in ([kernels] if np.ndim(kernels) == 2 else kernels)]
    pictures = probe_pictures(stack[0].shape[0])

    def strongest(picture: np.ndarray) -> float:
        outputs = np.stack([correlate_valid(picture, k) for k in stack])
        value = float(np.sqrt((outputs ** 2).sum(axis=0)).max())
        return 0.0 if value < SILENT else value

    return EdgeResponse(*(strongest(pictures[name]) for name in ("horizontal", "vertical", "flat")))


def edge_kind(response: EdgeResponse) -> EdgeKind:
    """What a kernel picks out on the test pictures: one edge orientation, both, plain brightness, or nothing."""
    h, v, f = response.horizontal, response.vertical, response.flat
    if max(h, v, f) < SILENT:
        return "none"
    if f > ONLY * max(h, v):
        return "brightness"
    if v <= ONLY * h:
        return "horizontal"
    if h <= ONLY * v:
        return "vertical"
    return "both"


def _answers(response: EdgeResponse) -> str:
    return (f"up to **{response.horizontal:.3g}** on a horizontal edge, **{response.vertical:.3g}** on a vertical "
            f"edge and **{response.flat:.3g}** on flat white")


def edge_notice(response: EdgeResponse) -> str:
    """The "What to notice" sentence on the kernel shown: what it answers on the three test pictures, in words."""
    said = f"On three test pictures (0 = black, 1 = white) this kernel answers {_answers(response)}"
    return said + {
        "horizontal": ": it sees **horizontal edges only**. Its numbers compare top with bottom.",
        "vertical": ": it sees **vertical edges only**. Its numbers compare left with right.",
        "both": ": it sees **edges of both orientations**, and nothing on flat areas.",
        "brightness": ": it **lets flat brightness through**, so it is not an edge detector. An edge detector's "
                      "numbers add up to 0.",
        "none": ": (almost) **nothing anywhere**. Its numbers cancel out on flat areas and on straight edges alike.",
    }[edge_kind(response)]


# ------------------------------------------------------------------------------------ design a horizontal-edge kernel
def check_horizontal_edges(facts: Facts) -> Verdict:
    """Task: the hand-made kernel (as slid) must be 3×3 and answer horizontal edges but neither vertical ones nor flat
    areas (at most a tenth as strongly)."""
    kernel = np.asarray(facts["kernel"], dtype=np.float64)
    if kernel.shape != (3, 3):
        return Verdict(False, f"Your kernel is {kernel.shape[0]}×{kernel.shape[1]}; the task asks for 3×3. Choose "
                              "3×3 above the table.")
    response = edge_response(kernel)
    answers = f"On the test pictures your kernel answers {_answers(response)}."
    kind = edge_kind(response)
    if kind == "horizontal":
        return Verdict(True, f"{answers} Horizontal edges only: well done.")
    advice = {
        "vertical": "That is a **vertical**-edge detector: it compares left with right. Turn it by 90°.",
        "both": "It sees **both** orientations. A vertical edge changes only from left to right: make that give 0.",
        "brightness": f"It lets **flat brightness** through (its numbers add up to {kernel.sum():.3g}). An edge "
                      "detector answers 0 on flat areas.",
        "none": "It answers (almost) **nothing** on any of them: its numbers cancel out everywhere.",
    }[kind]
    return Verdict(False, f"{answers} {advice}")


def explain_horizontal_edges(facts: Facts) -> str:
    """Why a kernel whose columns each add up to 0 sees horizontal edges only (quoting the student's kernel)."""
    text = ("A vertical edge changes only from left to right, and a flat area not at all. A kernel whose **columns "
            "each add up to 0** answers 0 to both; if its rows differ, it still answers a change from top to bottom. "
            "Sobel y, rows (−1, −2, −1), (0, 0, 0), (1, 2, 1), is the classic one: red where the image gets brighter "
            "downwards, blue where it gets darker. It also answers diagonal edges, more weakly: *horizontal only* "
            "here means *not vertical, not flat*.")
    kernel = facts.get("kernel")
    if kernel is not None and np.shape(kernel) == (3, 3):
        sums = ", ".join(f"{s:.3g}" for s in np.asarray(kernel, dtype=np.float64).sum(axis=0) + 0.0)
        text += f" Your kernel's column sums are ({sums})."
    return text


HORIZONTAL_EDGES = Exercise(
    id="convolution.horizontal_edges", section="kernels", kind="task",
    prompt="Design a **3×3 kernel that responds to horizontal edges only**. Switch on *Edit the numbers* above, keep "
           "3×3 and type your numbers. The check slides your kernel (exactly as the page does) over a horizontal "
           "edge, a vertical edge and flat white: it must answer the first, and the other two at most a tenth as "
           "strongly.",
    check=check_horizontal_edges, needs=("kernel",),
    waiting="Switch on *Edit the numbers* above and type your kernel first; then check it.",
    hints=("A vertical edge changes only from left to right. What must each **column** of your kernel add up to, so "
           "that such a change gives 0?",
           "Make every column add up to 0 but let the rows differ: for example positive numbers in the bottom row "
           "and the same negative numbers in the top row.",
           "Sobel x answers vertical edges. Turned by 90°, what would it answer?"),
    explanation=explain_horizontal_edges,
)


# ------------------------------------------------------------------------------------------------ the mystery map
WHICH_KERNEL = Exercise(
    id="convolution.which_kernel", section="mystery", kind="choice",
    prompt="**Which kernel produced the mystery map?** It is one of the named kernels of section 2, slid over this "
           "photo as it is (not flipped, reflect padding).",
    options=(Option("Gaussian blur", "A blur keeps the picture's brightness and shows it in grey, only softer. This "
                                     "map is blue–white–red: its kernel's numbers add up to 0."),
             Option("Sharpen", "Sharpen keeps the picture (its numbers add up to 1) and adds its edges: a crisper "
                               "grey photo. This map is blue–white–red: its kernel's numbers add up to 0."),
             Option("Sobel x (vertical edges)", "Yes: the coloured lines run up and down, along vertical edges — red "
                                                "where the photo gets brighter to the right, blue where it gets "
                                                "darker."),
             Option("Sobel y (horizontal edges)", "An edge detector, yes, but which way do the coloured lines run? "
                                                  "Sobel y lights up edges that run from left to right."),
             Option("Laplacian", "An edge detector too, but the Laplacian answers every direction alike, with thin "
                                 "double lines. Do the lines here favour one orientation?")),
    correct="Sobel x (vertical edges)",
    hints=("Blue–white–red means the kernel's numbers add up to 0: flat areas vanish, only change is left.",
           "Which way do the strongest coloured lines run: up and down, or left to right? Pick the candidates in the "
           "kernel box above and compare their output with the mystery map."),
    explanation="The mystery map is **Sobel x**: right column minus left column (the middle row counts double). It "
                "answers where the brightness changes from left to right — along vertical edges — and is silent on "
                "flat areas and along horizontal edges. Pick *Sobel x* in section 2 and the output is the same "
                "picture.",
)


# ---------------------------------------------------------------------------------------- where a template fails
FOUND, LOST = "Yes, still the right place", "No, somewhere else"


def template_after_turn(facts: Facts) -> str:
    """The right prediction: whether the sweep found the template in its true place at the predicted turn."""
    return FOUND if facts["found_after_turn"] else LOST


def explain_template_turn(facts: Facts) -> str:
    """What the sweep measured at the predicted turn, next to what the textbook expects."""
    score = facts.get("score_after_turn")
    scored = f" (best score {score:.3f})" if score is not None else ""
    if facts["found_after_turn"]:
        return (f"Turned by {PREDICTED_TURN}°, this template was still found in its own place{scored} — **against "
                "the textbook expectation** that a rigid pixel template breaks. Round or blurry content (a coin, a "
                "clock face, a soft blob) changes little when turned. Move the template onto straight edges or "
                "writing, or make it smaller, and watch the sweep again.")
    return (f"Turned by {PREDICTED_TURN}°, the best window lies somewhere else{scored}, as the textbook expects. The "
            "template is a rigid grid of pixels: after a turn the pattern under it no longer lines up, and another "
            "window that happens to have a similar light-and-dark layout wins. The curve shows from which angle on "
            "that happens for this template.")


TEMPLATE_TURN = Exercise(
    id="convolution.template_turn", section="failure", kind="predict",
    prompt=f"Before the result appears: turn the photo by **{PREDICTED_TURN}°** and search for the template exactly "
           "as it was cut in section 5. Will the best match still land on the template's own (turned) place?",
    options=(Option(FOUND, "That is what a detector that tolerates turns would do."),
             Option(LOST, "That is what the textbook expects of a rigid pixel template.")),
    correct=template_after_turn, needs=("found_after_turn",),
    hints=("The template compares pixel by pixel. After a turn, does the pixel in its top-left corner still sit "
           "over the same part of the object?",),
    explanation=explain_template_turn,
)


# --------------------------------------------------------------------------------------- why binning helps (HOG)
PIXELS, EDGES, HOG = "Raw pixels", "The edge map", "HOG"
_SIMILARITY_FACTS = {EDGES: "edges_similarity", PIXELS: "pixels_similarity", HOG: "hog_similarity"}


def _as_shown(value: float) -> float:
    """A similarity rounded as the page prints it (two decimals)."""
    return round(float(value), 2) + 0.0


def most_fragile(facts: Facts) -> str:
    """The right prediction: the description whose similarity dropped most (as shown; a tie goes to the edge map,
    then to the raw pixels)."""
    shown = {label: _as_shown(facts[name]) for label, name in _SIMILARITY_FACTS.items()}
    lowest = min(shown.values())
    return next(label for label, value in shown.items() if value == lowest)


def explain_most_fragile(facts: Facts) -> str:
    """The three similarities after the move, which dropped most, and whether that is what the textbook expects."""
    p, e, h = (_as_shown(facts[_SIMILARITY_FACTS[label]]) for label in (PIXELS, EDGES, HOG))
    move = (f"{facts['tolerance_amount']:g} pixels of shift" if facts.get("tolerance_kind") == "shift" else
            f"{facts['tolerance_amount']:g}° of rotation")
    fragile = most_fragile(facts)
    verdict = ("as the textbook expects: edges are thin, and a small move slides them off each other"
               if fragile == EDGES else
               "**against the textbook expectation** that the thin edges of the edge map suffer most")
    return (f"After {move}: raw pixels **{p:.2f}**, edge map **{e:.2f}**, HOG **{h:.2f}** (1 = unchanged). "
            f"{fragile} dropped most, {verdict}. HOG is built from the same edges, but pooling them into cells and "
            "direction bins lets an edge move a little without leaving its bin. Try a template on texture or writing "
            "and one on a smooth patch.")


MOST_FRAGILE = Exercise(
    id="convolution.most_fragile", section="hog", kind="predict",
    prompt="Before the curves appear: the template is moved a little (the movement chosen above: 2 pixels, or a 10° "
           "turn) and compared with its unmoved self three ways. Which description will **change most** — keep the "
           "least similarity?",
    options=(Option(PIXELS, "Raw pixels are what template matching compares; on a smooth patch they still overlap "
                            "after a small move."),
             Option(EDGES, "Edges are thin: a move of a pixel or two can slide them off each other."),
             Option(HOG, "HOG pools the edges into cells and direction bins, which is meant to absorb small moves.")),
    correct=most_fragile, needs=("pixels_similarity", "edges_similarity", "hog_similarity", "tolerance_amount"),
    hints=("Which of the three is thinnest: a patch of brightness, a line one pixel wide, or a histogram over a "
           "cell?",),
    explanation=explain_most_fragile,
)


EXERCISES = LessonExercises(
    lesson="convolution",
    sections=("signal", "kernels", "mystery", "pixel", "sandbox", "template", "failure", "hog", "parts"),
    exercises=(HORIZONTAL_EDGES, WHICH_KERNEL, TEMPLATE_TURN, MOST_FRAGILE),
    takeaways=("A convolution slides one small kernel over the input and, at every position, adds up kernel × "
               "patch: the same few numbers are used everywhere.",
               "The numbers decide what it finds: adding up to 1, it keeps brightness (blur, sharpen); adding up to "
               "0, it finds change — edges across the direction its numbers compare.",
               "Output size = ⌊(n + 2p − k)/s⌋ + 1: padding keeps the size, a stride shrinks it.",
               "A fixed pixel template breaks under small turns and zooms; pooling edge statistics (HOG) buys "
               "tolerance, and a CNN learns its kernels and its tolerance from data."),
    minutes=40,
)


# ------------------------------------------------------------------------------------------- facts from the page
def turn_facts(angles: Sequence[float], found: Sequence[bool], peaks: Sequence[float]) -> dict[str, object]:
    """The rotation sweep's verdict at the predicted turn, as facts (None when the sweep does not try that angle)."""
    where = np.flatnonzero(np.asarray(angles, dtype=np.float64) == PREDICTED_TURN)
    if not where.size:
        return {"found_after_turn": None, "score_after_turn": None}
    i = int(where[0])
    return {"found_after_turn": bool(np.asarray(found)[i]), "score_after_turn": float(np.asarray(peaks)[i])}


def tolerance_facts(kind: str, amounts: Sequence[float], pixels: Sequence[float], edges: Sequence[float],
                    hog_values: Sequence[float], step: int) -> dict[str, object]:
    """The three similarities after the probe move (index `step` of the curves), as facts."""
    return {"tolerance_kind": kind, "tolerance_amount": float(amounts[step]), "pixels_similarity": float(pixels[step]),
            "edges_similarity": float(edges[step]), "hog_similarity": float(hog_values[step])}
