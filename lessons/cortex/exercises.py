"""Exercises of the mouse-cortex lesson (declared once; `ui.exercises` renders and judges them).

Every answer that depends on data is computed from the page's facts (`lessons.cortex.facts` builds them from the
scores the page shows), so the right answer is whatever the running app measured — on the simulated cortex by
default. Pure Python and numpy: the home page imports this module.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lessons.core.exercises import Exercise, Facts, LessonExercises, Option, Verdict

EARLY, MIDDLE, LATE = "Early layers (first third)", "Middle layers (middle third)", "Late layers (last third)"
THIRDS = (EARLY, MIDDLE, LATE)
#: Share of bootstrap resamples of the cells that must put the peak in one third before the page calls it settled.
SETTLED = 0.9
TRAINED, RANDOM, CANT_TELL = "Trained weights predict better", "Random weights predict better", "Can't tell them apart"
#: The held-out signed r² a VISp cell must reach in the make-it-happen task.
CELL_TARGET = 0.25


def _cells(facts: Facts) -> str:
    """'these simulated cells' or 'these cells'."""
    return "these simulated cells" if facts.get("simulated", True) else "these cells"


# ------------------------------------------------------------------------------------- which layer predicts VISp?
def third_of_depth(depth: float) -> str:
    """The third of the network a relative depth (0 = first layer, 1 = last) falls in, as an option label."""
    return EARLY if depth < 1 / 3 else MIDDLE if depth < 2 / 3 else LATE


def third_of_layer(index: int, n_layers: int) -> str:
    """The third of the network the layer at `index` (of `n_layers`, input → output) belongs to."""
    return third_of_depth(index / max(n_layers - 1, 1))


def visp_third(facts: Facts) -> str:
    """Where VISp's mean-score curve peaks on the page: early, middle or late layers."""
    return third_of_layer(int(facts["visp_peak_index"]), int(facts["n_layers"]))


def share_in_third(depths: Sequence[float], third: str) -> float:
    """The share of bootstrap peak depths that fall in `third` (0 when there are none)."""
    depths = np.asarray(depths, dtype=np.float64)
    if depths.size == 0:
        return 0.0
    return float(np.mean([third_of_depth(d) == third for d in depths]))


def visp_explanation(facts: Facts) -> str:
    """Where VISp peaked, how sure the page is, and how that compares with the textbook and the papers."""
    third = visp_third(facts)
    index, n = int(facts["visp_peak_index"]), int(facts["n_layers"])
    sure = share_in_third(facts.get("visp_peak_depths", ()), third)
    text = (f"VISp's curve on {_cells(facts)} peaks at **{facts['visp_peak_layer']}**, layer {index + 1} of {n} "
            f"(mean score {facts['visp_peak_score']:.3f}): the {third.split(' (')[0].lower()}. ")
    if sure >= SETTLED:
        text += f"Resampling the VISp cells puts the peak in the same third {sure:.0%} of the time, so it is settled. "
    else:
        text += (f"But resampling the VISp cells puts the peak in the same third only {sure:.0%} of the time: the "
                 "curve is flat near its top, and the third is not settled. ")
    textbook = ("The textbook picture is a hierarchy: VISp, the first cortical stage, should match the early layers "
                "(edges), the higher areas deeper ones.")
    robust = "" if sure >= SETTLED else ", though other cells could move it"
    if third == EARLY:
        text += (f"{textbook} Here the peak agrees with it{robust}. In real mouse data (Conwell et al.) "
                 "intermediate layers predicted every area best, VISp included.")
    elif third == MIDDLE:
        text += (f"{textbook} Here the peak differs from that textbook picture{robust}; it matches what Conwell et "
                 "al. found in real mouse data, where intermediate layers predicted every area best.")
    else:
        text += (f"{textbook} Here the peak differs from both the textbook and the papers{robust} (intermediate "
                 "layers did best in Conwell et al.). Is the model above chance? Does another network agree?")
    if not facts.get("above_chance", True):
        text += " Careful: this model does not beat chance here, so where its curve peaks is where noise was highest."
    return text


VISP_LAYER = Exercise(
    id="cortex.visp_layer", section="results", kind="predict",
    prompt="Before you look at the results: which layers of the network will predict **VISp** (primary visual "
           "cortex) best — the first, middle or last third of its layers, in the chart's order from input to "
           "output? (The cells are simulated unless you loaded real data above.)",
    options=(Option(EARLY, "Early layers respond to small edges and textures, the way textbook V1 cells do."),
             Option(MIDDLE, "Middle layers combine edges into small patterns; in real mouse data they did best."),
             Option(LATE, "Late layers respond to whole objects and categories, far from single edges.")),
    correct=visp_third,
    hints=("Think of what a VISp cell responds to, and of what each part of a network responds to.",
           "In the simulated cortex, VISp cells are sums of small oriented edge detectors."),
    explanation=visp_explanation,
    needs=("visp_peak_layer", "visp_peak_index", "n_layers", "visp_peak_score"),
    waiting="No VISp cell was scored in this data, so there is no VISp curve to judge this on.",
)


# ----------------------------------------------------------------------------------------- what chance means
def chance_explanation(facts: Facts) -> str:
    """What the page's chance level is, with its numbers, and what the model score means against it."""
    chance, score, p = float(facts["chance"]), float(facts["model_score"]), float(facts["p_value"])
    verdict = "**above chance**" if facts["above_chance"] else "**no better than chance**"
    return (f"Chance on this page is **{chance:+.3f}**: the model score of the same pipeline on "
            f"{int(facts['shuffles'])} shuffles of the images against the responses, each picking its own best layer "
            f"(95th percentile {float(facts['chance_95']):+.3f}). A shuffle keeps every image and every response but "
            "breaks which goes with which, so whatever it scores comes from the method, not from the cortex. On "
            f"{_cells(facts)}, {facts['network']} scores {score:.3f}, {score - chance:+.3f} from chance: {verdict} "
            f"(p = {p:.3f}). Measure from chance, not from zero.")


SHUFFLED_NULL = Exercise(
    id="cortex.shuffled_null", section="chance", kind="choice",
    prompt="The metric **Chance (shuffled)** above: what is it?",
    options=(Option("The score of the same pipeline with the images shuffled against the responses, the best layer "
                    "picked again on every shuffle",
                    "Yes. Same network, same layers, same cells, same readout: only the pairing of images with "
                    "responses is broken, so the score it gets is what the method alone produces."),
             Option("The score of the same network with random weights",
                    "No: that is section 4's comparison. Random weights still see the right image for each response, "
                    "so they can carry real signal; chance breaks the pairing of images and responses instead."),
             Option("The best score any model could reach, given the cells' trial-to-trial noise",
                    "No: that is the noise ceiling (section 5), an upper bound. Chance is the floor."),
             Option("Zero: a readout that has learnt nothing scores 0",
                    "No: chance is measured, not assumed, and it is not zero. Held-out predictions of shuffled "
                    "responses tend to anti-correlate with the truth (the notes below explain why), and picking the "
                    "best of many layers pushes the other way.")),
    correct="The score of the same pipeline with the images shuffled against the responses, the best layer picked "
            "again on every shuffle",
    hints=("Hover the metric: its help says what went into it.",
           "What stays the same in a shuffle, and what is broken?"),
    explanation=chance_explanation,
    needs=("chance", "chance_95", "model_score", "above_chance", "shuffles", "network"),
)


# --------------------------------------------------------------------------------------- trained against random
def training_answer(facts: Facts) -> str:
    """Trained better, random better or can't tell — the paired difference's 95 % interval, as the page reads it."""
    if not facts["trained_above_chance"] and not facts["random_above_chance"]:
        return CANT_TELL
    if float(facts["difference_low"]) > 0:
        return TRAINED
    if float(facts["difference_high"]) < 0:
        return RANDOM
    return CANT_TELL


def training_explanation(facts: Facts) -> str:
    """The measured difference between trained and random weights, against the papers."""
    answer = training_answer(facts)
    numbers = (f"trained {float(facts['trained_score']):.3f}, random {float(facts['random_score']):.3f}; the "
               f"difference over the same {int(facts['difference_cells']):,} cells is "
               f"{float(facts['difference_mean']):+.3f} (95 % interval {float(facts['difference_low']):+.3f} to "
               f"{float(facts['difference_high']):+.3f})")
    papers = "In the papers, trained networks predict visual cortex better than their random twins."
    if not facts["trained_above_chance"] and not facts["random_above_chance"]:
        return f"Best-layer scores: {numbers}. Neither beats chance, so the comparison says nothing. {papers}"
    if answer == TRAINED:
        return (f"Best-layer scores: {numbers}: the interval excludes zero. {papers} Here the measurement agrees: "
                "same architecture, same cells, only the numbers in the filters differ, so the difference is what "
                "learning from natural images bought.")
    if answer == RANDOM:
        return (f"Best-layer scores: {numbers}: the interval excludes zero, and the random twin wins — unlike the "
                f"papers. {papers} Cells that need little more than local contrast can be served as well by random "
                "filters.")
    return (f"Best-layer scores: {numbers}: the interval includes zero, so the page can't tell them apart. {papers} "
            "More cells (section 2) narrow the interval.")


TRAINED_VS_RANDOM = Exercise(
    id="cortex.trained_vs_random", section="training", kind="predict",
    prompt="The same architecture with **random weights** goes through the same pipeline, on the same cells "
           "(simulated unless you loaded real data). Predict: will the trained weights predict the cells better?",
    options=(Option(TRAINED, "Learning from natural images should shape features that cortex shares."),
             Option(RANDOM, "Random filters are unbiased edge and contrast detectors; could that be enough?"),
             Option(CANT_TELL, "The difference could be smaller than the uncertainty over these cells.")),
    correct=training_answer,
    hints=("A random convolution still responds to local contrast.",
           "The page compares the two cell by cell and gives a 95 % interval of the difference."),
    explanation=training_explanation,
    waiting="Now score the other weights (the button below): the page judges your prediction once their scores are in.",
    needs=("difference_low", "difference_high", "difference_mean", "difference_cells", "trained_score",
           "random_score", "trained_above_chance", "random_above_chance"),
)


# --------------------------------------------------------------------------------------------- the noise ceiling
def ceiling_answer(facts: Facts) -> float:
    """VISp's mean noise ceiling: the most a perfect model could reach there, on average."""
    return float(facts["visp_ceiling"])


def ceiling_explanation(facts: Facts) -> str:
    """The ceiling read from the table, against what the model reaches on VISp."""
    ceiling, own = float(facts["visp_ceiling"]), float(facts["visp_own_best"])
    share = own / ceiling if ceiling > 0 else float("nan")
    cells = "simulated VISp cells" if facts.get("simulated", True) else "VISp cells"
    text = (f"The {cells}' mean split-half reliability is **{ceiling:.2f}**: a model that predicted each cell "
            "exactly as well as its noise allows would reach about that mean r²; the rest of the variance is "
            "trial-to-trial noise that no model can predict. ")
    if np.isfinite(share):
        text += (f"This network reaches {own:.3f} with each cell at its own best layer — {share:.0%} of the ceiling. "
                 "The gap between the two is what a better model could still explain.")
    return text


VISP_CEILING = Exercise(
    id="cortex.visp_ceiling", section="ceiling", kind="numeric",
    prompt="In the per-area table above, read VISp's row. If a perfect model predicted every VISp cell as well as "
           "its trial-to-trial noise allows, about what mean r² would it reach on VISp? (Two decimals.)",
    answer=ceiling_answer, tolerance=0.01, unit="r²",
    hints=("A cell's split-half reliability is the share of its response variance that repeats.",
           "The table's *ceiling* column is the mean reliability of each area's cells."),
    explanation=ceiling_explanation,
    needs=("visp_ceiling", "visp_own_best"),
    waiting="No VISp cell was scored in this data, so the table has no VISp row.",
)


# ------------------------------------------------------------------------------------- make a VISp cell predictable
def visp_cell_check(facts: Facts) -> Verdict:
    """Right when the close-up shows a VISp cell whose held-out signed r² at the close-up layer reaches the target."""
    cell, area, layer = facts["view_cell"], facts["view_area"], facts["view_layer"]
    score = float(facts["view_score"])
    if area != "VISp":
        return Verdict(False, f"The close-up shows cell {cell}, a cell of **{area}**. Pick a VISp cell under "
                              "*Scored cell*.")
    if score >= CELL_TARGET:
        return Verdict(True, f"Cell {cell} (VISp) from {layer}: signed r² **{score:.3f}** ≥ {CELL_TARGET}.")
    best = facts.get("visp_best_score")
    reachable = best is not None and float(best) >= CELL_TARGET
    return Verdict(False, f"Cell {cell} (VISp) from {layer} reaches {score:.3f}, below {CELL_TARGET}. "
                   + ("Some scored VISp cell does reach it at some layer: try another cell or another layer." if
                      reachable else
                      f"No scored VISp cell reaches {CELL_TARGET} at any layer of this network (the best reaches "
                      f"{float(best or 0):.3f}): score more cells in section 2, or try another network."))


def visp_cell_explanation(facts: Facts) -> str:
    """Why some VISp cells are predictable and most are not."""
    text = (f"A cell's score depends on the cell and on the layer. The close-up shows cell {facts['view_cell']} "
            f"({facts['view_area']}) at {facts['view_layer']}: {float(facts['view_score']):.3f}, with a noise "
            f"ceiling of {float(facts['view_reliability']):.2f}. ")
    best = facts.get("visp_best_score")
    if best is not None:
        kind = "simulated VISp cell" if facts.get("simulated", True) else "VISp cell"
        text += (f"The best {kind} on this page reaches {float(best):.3f} (cell {facts['visp_best_cell']} at "
                 f"{facts['visp_best_layer']}). ")
    return text + ("Reliable cells are the candidates: a noisy cell leaves a readout little to predict, whatever the "
                   "layer.")


VISP_CELL = Exercise(
    id="cortex.visp_cell", section="neuron", kind="task",
    prompt=f"Make it happen: show, in the close-up above, a **VISp** cell whose held-out signed r² at the close-up "
           f"layer is at least **{CELL_TARGET}**. Change the cell here and the layer in section 2 (*Layer for the "
           "close-ups*), then check.",
    check=visp_cell_check,
    hints=("The noise-ceiling scatter in section 5 shows every cell's best score: hover the highest VISp points for "
           "their ids.",
           "Pick that cell under *Scored cell*; the caption names its best layer — set the close-up layer to it."),
    explanation=visp_cell_explanation,
    needs=("view_cell", "view_area", "view_layer", "view_score", "view_reliability"),
)


EXERCISES = LessonExercises(
    lesson="mouse_cortex",
    sections=("data", "neurons", "pipeline", "results", "chance", "training", "ceiling", "neuron", "similarity",
              "download"),
    exercises=(VISP_LAYER, SHUFFLED_NULL, TRAINED_VS_RANDOM, VISP_CEILING, VISP_CELL),
    takeaways=(
        "A network predicts a neuron through a linear readout of one layer, scored on images the readout never saw.",
        "Chance is measured, not assumed: shuffle the images against the responses and redo every choice, the best "
        "layer included; a score counts from there.",
        "Which layer fits which area is a measurement with an uncertainty — here on simulated cells — and it can "
        "differ from the textbook hierarchy.",
        "Trained and random weights go through the same pipeline, so what training bought is a paired difference over "
        "the same cells.",
        "A cell's noise ceiling bounds what any model can explain: read every score against it.",
    ),
    minutes=40,
)
