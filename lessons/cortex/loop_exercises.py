"""Exercises of the closing-the-loop lesson (`pages/inception_loop.py`): most exciting images of mouse neurons.

Answers that depend on data are computed from the page's facts (what its run measured): the look of the chosen
cell's MEI, the population's win share, the chosen cell's loop. Pure Python: the home page imports this module.
"""

from __future__ import annotations

from lessons.core.exercises import Exercise, Facts, LessonExercises, Option, Verdict
from lessons.cortex.loop import looks_like

GRATING, OBJECT, TEXTURE = "Like a grating (stripes at one orientation)", "Like a small object in one place", \
    "Like a texture of strokes filling the screen"
UNDER_THIRD, MIDDLE_THIRD, OVER_TWO_THIRDS = "For under a third of the cells", "For a third to two thirds", \
    "For over two thirds of the cells"


def mei_look(facts: Facts) -> str:
    """What the chosen cell's MEI looks like, as an option label (from its orientedness and contrast spread)."""
    return {"a grating": GRATING, "a texture": TEXTURE}.get(looks_like(facts["mei_image"]), OBJECT)


def mei_look_explanation(facts: Facts) -> str:
    """Why a simulated VISp cell's MEI is (or is not) a grating, and what the papers found."""
    seen = looks_like(facts["mei_image"])
    return (f"This MEI is {seen}: orientedness {facts['mei_orientedness']:.2f} (the share of its contrast energy "
            f"that shares one orientation; a grating has 1) and spread {facts['mei_spread']:.2f} (1: its contrast "
            "fills the screen evenly). The simulated VISp cells are Gabor filters at one place, so their true "
            "favourite is a small patch of stripes at their orientation and wavelength. A model fitted on 118 photos "
            "rarely learns *where* a small receptive field sits, so it spreads the cell's strokes everywhere — "
            "a texture that drives the cell wherever it looks. Real mouse V1 MEIs (Walker et al. 2019), from models "
            "fitted on thousands of images, were localised but more complex than gratings: sharp edges, curved "
            "strokes — which is why the loop is worth closing.")


def share_band(share: float) -> str:
    """The option label of a win share."""
    return UNDER_THIRD if share < 1 / 3 else MIDDLE_THIRD if share <= 2 / 3 else OVER_TWO_THIRDS


def loop_band(facts: Facts) -> str:
    """The band the population's measured win share falls in."""
    return share_band(float(facts["win_share"]))


def loop_explanation(facts: Facts) -> str:
    """The population's result against its control."""
    return (f"The MEIs won for {facts['win_share']:.0%} of the cells; shown another cell's MEI, "
            f"{facts['control_share']:.0%} of them answered more than to their best natural image. The best natural "
            "image is a high bar: it is the best of 118 photos for that very cell. An MEI clears it only if the "
            "model has captured what the cell wants — and the contrast budget stops it from winning by being "
            "brighter.")


def loop_fails_check(facts: Facts) -> Verdict:
    """Whether the page shows a cell whose MEI, shown to the cell, is weaker than its best natural image."""
    mei, natural = float(facts["mei_measured"]), float(facts["natural_measured"])
    if mei < natural:
        return Verdict(True, f"Found one: cell {facts['cell_label']} answered its MEI with {mei:.3f} and its best "
                             f"natural image with {natural:.3f}. Its model's held-out score is "
                             f"{facts['held_out']:.2f}.")
    return Verdict(False, f"Not this one: cell {facts['cell_label']} answered its MEI with {mei:.3f}, more than "
                          f"its best natural image ({natural:.3f}). Try another cell.")


MEI_LOOK = Exercise(
    id="cortex.loop_mei_look", section="mei", kind="predict",
    prompt="Before the image appears: the chosen cell is a simulated **VISp** cell. Will its most exciting image "
           "look more like a grating or like an object?",
    options=(Option(GRATING, "Gratings drive cells built from oriented edge detectors; the question is whether the "
                             "model learned that."),
             Option(OBJECT, "Objects are what the network was trained on — but the readout serves this cell, not "
                            "the network's classes."),
             Option(TEXTURE, "A texture puts the cell's favourite strokes everywhere: it works wherever the cell looks "
                             "— useful when the model does not know where that is.")),
    correct=mei_look, needs=("mei_image", "mei_orientedness", "mei_spread"),
    waiting="Run the most exciting image above first; the verdict compares your prediction with it.",
    explanation=mei_look_explanation,
)

LOOP_SHARE = Exercise(
    id="cortex.loop_share", section="loop", kind="predict",
    prompt="Each cell is now shown its own most exciting image — the real test, on the simulated neuron itself, with "
           "its own trial noise. For how many of the cells will the MEI beat the best of the 118 natural images?",
    options=(Option(UNDER_THIRD, "A model fitted on 118 photos is a rough sketch of a cell: its favourite image may "
                                 "miss the cell's own."),
             Option(MIDDLE_THIRD, "Some models caught enough of their cell for the image to work, others not."),
             Option(OVER_TWO_THIRDS, "That is what a good model does: Walker et al.'s MEIs beat the best natural "
                                     "images for most of their well-predicted cells.")),
    correct=loop_band, needs=("win_share", "control_share"),
    waiting="Run the population loop above first.",
    explanation=loop_explanation,
)

LOOP_FAILS = Exercise(
    id="cortex.loop_fails", section="cell", kind="task",
    prompt="Find a cell **for which the loop fails** — its MEI, shown to the cell, drives it less than "
           "its best natural image. Pick cells in the population table and check.",
    check=loop_fails_check, needs=("mei_measured", "natural_measured", "held_out", "cell_label"),
    hints=("Sort the population table by *model's held-out score*.",
           "The loop leans on the model: a cell the model predicts poorly gets an image synthesised from a guess."),
    explanation="When the model is wrong about a cell, its favourite image is the model's favourite, not the "
                "cell's. That is why inception-loop papers keep only cells their model predicts well.",
)

PERFECT_COMPLEX = ("Almost nothing: a pattern and its opposite drive the cell alike, so at grey its response is "
                   "flat")

COMPLEX_RF = Exercise(
    id="cortex.loop_complex_rf", section="rf", kind="choice",
    prompt="Suppose a model were *perfect* for a **complex** cell (one that pools the energy of both phases). What "
           "would its gradient at a grey screen show?",
    options=(
        Option("Its Gabor, at the phase the cell prefers, centred where the cell looks",
               "A complex cell has no preferred phase: light-on-dark and dark-on-light drive it the same, and a "
               "signed filter would have to pick one."),
        Option(PERFECT_COMPLEX,
               "Yes: for a phase-invariant cell, x and −x (around grey) give the same response, so the response is "
               "flat at grey and its gradient there is zero, however good the model."),
        Option("A bright blob where the cell looks, whatever the phase of the pattern",
               "The gradient is signed and, at grey, flat for this cell. Where it looks shows in how *strongly* "
               "images there move it — the gradient's magnitude away from grey, not at it."),
    ),
    correct=PERFECT_COMPLEX,
    explanation="A gradient is a local, linear summary. At a grey screen a phase-invariant cell sits at the bottom of "
                "its energy bowl, where every direction looks flat. MEIs do better: they climb out of the bowl. (And "
                "for a simple cell a gradient at grey can only be as good as the model's idea of where the cell "
                "looks: section 5 measures that.)",
)

NEW_EXPERIMENT = "The real neurons: the new image must be shown to the same mouse while the same cells are recorded"

REAL_DATA = Exercise(
    id="cortex.loop_real_data", section="real", kind="choice",
    prompt="With real Allen data the app makes the MEIs but cannot close the loop. What is missing?",
    options=(
        Option("A better network, one that predicts the cells as well as their own trial noise allows",
               "A better model makes better MEIs, but testing them still needs the animal."),
        Option("More trials of the 118 images, so the readouts are fitted to less noisy responses",
               "More trials sharpen the model, not the test."),
        Option(NEW_EXPERIMENT,
               "Right: closing the loop is an experiment. Walker et al. showed their MEIs to the same neurons days "
               "later, found again by their position in the imaging field."),
    ),
    correct=NEW_EXPERIMENT,
    explanation="The simulated cortex is a known function of the image, so the app can show it anything. A real "
                "cell can only be asked in a new experiment: download the MEIs (PNG and NPY at the stimulus "
                "resolution) to show them in one.",
)

EXERCISES = LessonExercises(
    lesson="inception_loop",
    sections=("data", "cell", "mei", "loop", "rf", "diverse", "real"),
    exercises=(MEI_LOOK, LOOP_SHARE, LOOP_FAILS, COMPLEX_RF, REAL_DATA),
    takeaways=(
        "A model of a neuron is a hypothesis you can optimise: its most exciting image is what the model says the "
        "cell wants.",
        "The test is the neuron itself: show it the image and measure, against its best natural image and against "
        "another cell's image as chance.",
        "Walker et al. found the loop works better the better a cell is predicted; section 4 measures whether it "
        "does here.",
        "A gradient at a grey screen is a linear receptive-field estimate: it can only show where the model thinks "
        "a cell looks, and it is flat for a cell that pools over phase.",
    ),
    minutes=30,
)
