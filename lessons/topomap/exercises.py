"""Exercises of the topographic-maps lesson (declared once; `ui.exercises` renders and judges them on the page's facts).

Facts the page hands over, by section:
- "maps": `layout_key`, `layout` (its name), `refined`, and the blur errors `blur_error` (the maps shown),
  `pca_blur_error` (PCA's maps of the same units, same settings) and `chance_blur_error` (a random placement).
- "quality": `layout_scores` (layout name → blur error, every method and the random placement), once the comparison
  exists; a prediction committed before is judged then.

Pure Python (no torch, no Streamlit, no scipy): the home page imports this module. Scores are compared as the page
shows them (three significant digits, `lessons.topomap.pipeline.score_text`).
"""

from __future__ import annotations

from lessons.core.exercises import Exercise, Facts, LessonExercises, Option, Verdict

#: The layout methods by name, as `lessons.topomap.layouts.LAYOUTS` names them (a test checks they agree).
LAYOUT_NAMES: tuple[str, ...] = ("PCA", "t-SNE", "UMAP", "Self-organising map", "Graph (Fruchterman–Reingold)",
                                 "Force-directed (particles)")
#: The comparison's name for the random placement (`lessons.topomap.pipeline.CHANCE`).
CHANCE = "Random placement (chance)"


def as_shown(value: float) -> float:
    """A score rounded as the page shows it (three significant digits)."""
    return float(f"{float(value):.3g}")


def _text(value: float) -> str:
    return f"{float(value):.3g}"


# ------------------------------------------------------------------------------------------------ 1 · the maps
LAYOUT_IS_OURS = Exercise(
    id="topomap.layout_is_ours", section="maps", kind="choice",
    prompt="You switch the layout from PCA to t-SNE and the maps change completely. What changed in what the "
           "**network** computes?",
    options=(
        Option("Nothing: only where we draw its units",
               "Right: the activations, the class means and the network's answers are exactly the same; only the "
               "positions on the sheet, and so the pictures, change."),
        Option("The units' activations",
               "The activations come from the network and the images alone. The layout reads them; it never changes "
               "them."),
        Option("The network's accuracy",
               "The network never sees the sheet: its answers, and so its accuracy, do not depend on where we draw "
               "its units."),
    ),
    correct="Nothing: only where we draw its units",
    hints=("Does the network know where on the sheet we put unit 17?",
           "Which of the page's steps happen inside the network, and which after it?"),
    explanation="A topographic map of a network is drawn after the fact: we measure how alike units respond and "
                "choose positions for them. Different layouts are different pictures of the same layer — which is "
                "why the page scores them, and why no single picture is \"the\" map.",
)


def beats_pca(facts: Facts) -> Verdict:
    """Right when the layout shown (not PCA itself) has a lower blur error than PCA's, as the page shows them."""
    name = str(facts["layout"])
    mine, pca = as_shown(facts["blur_error"]), as_shown(facts["pca_blur_error"])
    both = " (both with the refinement)" if facts.get("refined") else ""
    if facts["layout_key"] == "pca":
        return Verdict(False, f"This *is* PCA{both}: its blur error equals PCA's ({_text(pca)}). Pick another method "
                              "in the *Layout* box.")
    if mine < pca:
        return Verdict(True, f"Done: **{name}** has a blur error of {_text(mine)}, below PCA's {_text(pca)} on the "
                             f"same units{both} — {1 - mine / pca:.0%} lower.")
    if mine == pca:
        return Verdict(False, f"{name}: {_text(mine)}, the same as PCA's as shown. It has to be lower; try another "
                              "layout.")
    return Verdict(False, f"{name}: blur error {_text(mine)}, not below PCA's {_text(pca)}{both}. Try another layout "
                          "(or distance, or seed).")


def explain_beats_pca(facts: Facts) -> str:
    """What a lower blur error than PCA's means, with the chance level of the same units."""
    return (f"PCA keeps only the two directions in which the units' profiles vary most; methods that try to keep "
            f"each unit next to the units most like it can make smoother maps. Here {facts['layout']} scores "
            f"{_text(facts['blur_error'])}, PCA {_text(facts['pca_blur_error'])} and a random placement of the same "
            f"units {_text(facts['chance_blur_error'])} — the chance level every layout has to beat. Smoother is "
            "not truer: the score rewards neighbours that respond alike, and says nothing about the network.")


BEAT_PCA = Exercise(
    id="topomap.beat_pca", section="maps", kind="task",
    prompt="Find a layout whose maps are **smoother than PCA's**: a blur error (shown under the maps) below PCA's "
           "on the same units.",
    check=beats_pca, needs=("layout_key", "layout", "blur_error", "pca_blur_error", "chance_blur_error"),
    hints=("Change the *Layout* box in the settings: every method is scored the same way.",
           "PCA keeps the global directions of variation; t-SNE and UMAP are built to keep neighbours together."),
    explanation=explain_beats_pca,
)


# ------------------------------------------------------------------------------------------------ 3 · errors
RANDOM_SPLITS = Exercise(
    id="topomap.random_splits", section="errors", kind="choice",
    prompt="The error view compares the correct and the misclassified images with **random splits** of the same "
           "images into groups of the same sizes. What do the random splits give?",
    options=(
        Option("The gap expected by chance alone, with no real difference between the groups",
               "Right: shuffling which image counts as \"wrong\" removes any real difference but keeps the group "
               "sizes; the gap that remains is luck."),
        Option("How many images the network gets wrong",
               "That is counted directly (the number next to each digit); the splits ignore the network's answers."),
        Option("How different the two maps look",
               "The maps show the two patterns; the splits say whether the difference between them is bigger than "
               "noise."),
    ),
    correct="The gap expected by chance alone, with no real difference between the groups",
    hints=("A handful of images never average out: two small groups differ by luck alone.",
           "A split made at random has no reason to differ — except luck."),
    explanation="This is the chance level of the comparison. With few misclassified images, even two random groups "
                "differ a lot, so a gap only counts when random splits rarely reach it (the page asks for p ≤ 0.05: "
                "about one split in twenty or fewer).",
)


# ------------------------------------------------------------------------------------------------ 4 · quality
def smoothest_layout(facts: Facts) -> str:
    """The layout method with the lowest blur error in the comparison (the random placement is not a method)."""
    scores = {name: float(score) for name, score in facts["layout_scores"].items() if name in LAYOUT_NAMES}
    return min(scores, key=scores.get)


def explain_smoothest(facts: Facts) -> str:
    """The measured winner, PCA and chance, and which neighbour-keeping methods beat PCA here."""
    scores = {name: float(score) for name, score in facts["layout_scores"].items()}
    best = smoothest_layout(facts)
    pca = scores["PCA"]
    others = [name for name in LAYOUT_NAMES if name != "PCA" and name in scores]
    beat = [name for name in others if as_shown(scores[name]) < as_shown(pca)]
    missed = [name for name in others if name not in beat]
    text = (f"Lowest blur error here: **{best}** ({_text(scores[best])}); PCA {_text(pca)}"
            + (f", random placement (chance) {_text(scores[CHANCE])}" if CHANCE in scores else "") + ". ")
    text += "The expectation is that methods built to keep similar units together beat PCA, which only keeps the two "
    text += "directions of largest variance. "
    if not missed:
        return text + "Here every one of them did. Does that hold for another layer, distance or seed?"
    if not beat:
        return text + ("Here none of them did: PCA was the smoothest. The textbook picture does not hold for every "
                       "layer — try another one.")
    return text + (f"Here {', '.join(beat)} did; {', '.join(missed)} did not. The ranking depends on the layer, the "
                   "distance and the seed: try another.")


SMOOTHEST_PREDICTION = Exercise(
    id="topomap.smoothest", section="quality", kind="predict",
    prompt="Before you compare: which layout will give the **lowest blur error** (the smoothest maps) for these units?",
    options=(
        Option("PCA", "PCA keeps the two directions in which the profiles vary most; fast, no randomness, but blind "
                      "to who is whose neighbour."),
        Option("t-SNE", "t-SNE keeps each unit's nearest neighbours near, at the cost of the global arrangement."),
        Option("UMAP", "UMAP keeps neighbours near too, and more of the global arrangement than t-SNE."),
        Option("Self-organising map", "A SOM snaps units to a grid of nodes; similar units share a node or sit on "
                                      "neighbouring ones."),
        Option("Graph (Fruchterman–Reingold)", "The graph layout pulls together only the units joined by a short "
                                               "distance and spreads the rest."),
        Option("Force-directed (particles)", "The paper's particles: similar units attract, dissimilar ones repel, "
                                             "crowded ones spread."),
    ),
    correct=smoothest_layout, needs=("layout_scores",),
    hints=("Smooth maps need neighbours on the sheet that respond alike.",),
    explanation=explain_smoothest,
)


EXERCISES = LessonExercises(
    lesson="topographic_maps", sections=("maps", "units", "errors", "quality", "limits"),
    exercises=(LAYOUT_IS_OURS, BEAT_PCA, RANDOM_SPLITS, SMOOTHEST_PREDICTION),
    takeaways=(
        "A topographic map places a layer's units by how alike they respond, then colours the sheet by how much "
        "each class drives each unit.",
        "The layout is ours, not the network's: every method draws a different picture of the same layer.",
        "Smoothness can be measured, and every layout must be compared with a random placement of the same units — "
        "the chance level.",
        "Smoother is not truer: a score that rewards blobs says which picture is easier to read, not how the network "
        "works.",
    ),
    minutes=30,
)
