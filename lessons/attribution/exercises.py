"""Exercises of the attribution lesson (declared once; `ui.exercises` renders and judges them on the page's facts).

Facts the page hands over (built by `lessons.attribution.conclusions`):
- section "methods": ig_score, ig_baseline_score (the class's logit on the image and on the baseline), ig_sum,
  ig_gap, ig_steps, ig_baseline — as the caption under the integrated-gradients map shows them;
- sections "deletion" and "beat_random": deletion_areas (map title → area as the table shows it, best first),
  constant_maps, cam_layer, baseline;
- section "sanity": sanity_correlations ({method: {twin: ρ}}), gradcam_rho_random (None while the checks have not
  run, on a network without trained weights, or when a map is constant), weights.

Pure Python: no torch, no Streamlit (the home page imports this module).
"""

from __future__ import annotations

import math

from lessons.core.exercises import Exercise, Facts, LessonExercises, MissingFacts, Option, Verdict

#: The deletion table's titles (the same as `lessons.attribution.compute.METHOD_TITLES` and `RANDOM_MAP_TITLE`).
SALIENCY, GRADCAM, IG, OCCLUSION = "Saliency (SmoothGrad)", "Grad-CAM", "Integrated gradients", "Occlusion"
RANDOM_MAP = "Random map (reference)"
#: Region-based maps: the kind commonly expected to do well in the deletion test.
REGION_MAPS = (GRADCAM, OCCLUSION)
#: Rank correlation thresholds of the sanity checks (the same as `lessons.attribution.compute`'s).
CHANGED_A_LOT_BELOW, BARELY_CHANGED_FROM = 0.3, 0.7
A_LOT, PARTLY, BARELY = "Changed a lot (ρ < 0.30)", "Changed partly (0.30 ≤ ρ < 0.70)", "Barely changed (ρ ≥ 0.70)"
#: How close the numeric answer must be: the caption shows both scores with two decimals.
COMPLETENESS_TOLERANCE = 0.02


# ------------------------------------------------------------------------------------------- section 2: the methods
def score_difference(facts: Facts) -> float:
    """f(x) − f(baseline): what integrated gradients' map adds up to in theory (completeness)."""
    return float(facts["ig_score"]) - float(facts["ig_baseline_score"])


def completeness_explanation(facts: Facts) -> str:
    """Why the map adds up to f(x) − f(baseline), quoting the page's numbers, and what the measured gap means."""
    difference, total, gap = score_difference(facts), float(facts["ig_sum"]), float(facts["ig_gap"])
    steps = int(facts["ig_steps"])
    text = (f"Integrated gradients shares out the score change along the path from the {facts['ig_baseline']} "
            f"baseline to the image, so its map adds up to f(x) − f(baseline) = {float(facts['ig_score']):.2f} − "
            f"{float(facts['ig_baseline_score']):.2f} = **{difference:.2f}**. The map on the page actually adds up to "
            f"{total:+.2f}: a gap of {gap:+.3f}, because the path integral is approximated with {steps} steps. ")
    if abs(gap) <= 0.01 * max(abs(difference), 1.0):
        return text + "That is within 1 % of the score difference: completeness holds closely at this setting."
    return text + (f"That is {abs(gap) / max(abs(difference), 1e-9):.1%} of the score difference. Raise the steps: "
                   "does the gap shrink?")


BASELINE_MEANING = Exercise(
    id="attribution.baseline_meaning", section="methods", kind="choice",
    prompt="Integrated gradients needs a **baseline** (the settings above offer black, dataset-mean grey and a "
           "blurred copy). What does the baseline stand for?",
    options=(
        Option("An input with no evidence for the class: the map shares out the score change from it to the image",
               "Yes. The path runs from \"nothing here\" to the image, and every pixel gets its share of "
               "f(x) − f(baseline). What \"nothing\" means is your choice, and the map depends on it."),
        Option("The network before training: the map shows what training added",
               "No: the weights are the same all along the path. It is the *input* that moves, from the baseline to "
               "the image."),
        Option("A brightness threshold: pixels darker than the baseline get no credit",
               "No: nothing is thresholded. The baseline is a whole image at the start of the path; a pixel gets "
               "credit for how much it differs from the baseline, weighted by how much the score cares along the "
               "way — and that credit can be negative."),
        Option("The average map over many images, subtracted to make this map sharper",
               "No: integrated gradients explains one image and uses no dataset average. The baseline is an input "
               "image, not a map."),
    ),
    correct="An input with no evidence for the class: the map shares out the score change from it to the image",
    hints=("Integrated gradients walks a straight path between two *inputs*. Which two?",
           "The intro says: from a baseline meaning \"nothing here\" to the real image."),
    explanation="The baseline answers \"compared with what?\". Each pixel's attribution is (its value − the "
                "baseline's) × the average gradient along the path, so a pixel equal to the baseline gets exactly "
                "zero: with a black baseline, black parts of the object can never earn credit; with a blurred one, "
                "colour alone cannot, because the blur keeps the colours. Try all three baselines above and compare "
                "the maps.",
)

COMPLETENESS = Exercise(
    id="attribution.completeness", section="methods", kind="numeric",
    prompt="Integrated gradients promises **completeness**: its map adds up to f(x) − f(baseline), the class score "
           "(the logit, before softmax) on the image minus the score on the baseline. The caption under the "
           "integrated-gradients map shows both scores. In theory, what should the map add up to?",
    answer=score_difference, tolerance=COMPLETENESS_TOLERANCE, unit="logit",
    hints=("Use the two numbers after f(x) = and f(baseline) = in the caption under the integrated-gradients map.",
           "Subtract them. The \"sum\" in the same caption is what the map actually adds up to — close, but an "
           "approximation."),
    explanation=completeness_explanation,
    needs=("ig_score", "ig_baseline_score", "ig_sum", "ig_gap", "ig_steps", "ig_baseline"),
)


# ------------------------------------------------------------------------------------- section 3: the deletion test
def fastest_drop(facts: Facts) -> tuple[str, ...]:
    """The maps whose deletion curve fell fastest: the smallest area as shown (every one of them on a tie, in the
    table's order)."""
    areas = facts["deletion_areas"]
    best = min(areas.values())
    return tuple(name for name in areas if areas[name] == best)


def deletion_explanation(facts: Facts) -> str:
    """The measured areas, and how the winner compares with the common expectation that region maps do well."""
    areas = facts["deletion_areas"]
    winner, *ties = fastest_drop(facts)
    listed = ", ".join(f"{name} {area:.3f}" for name, area in areas.items())
    tie = f" (tied at the shown precision with {', '.join(ties)}: either prediction counts)" if ties else ""
    text = (f"A small area means the probability collapsed as soon as the top-ranked pixels went. Measured here: "
            f"{listed}. **{winner}** dropped fastest{tie}. A common expectation is that region-based maps "
            "(Grad-CAM, occlusion) do well in this test and that every map beats a random order. ")
    if winner in REGION_MAPS:
        return text + "This page agrees: a region-based map won."
    if winner == RANDOM_MAP:
        return text + ("This page differs: the random order won. One possible reason: random deletions sprinkle "
                       "baseline-coloured dots over the whole image, something the network never saw in training, "
                       "so the probability can fall without any real evidence being removed.")
    return text + (f"This page differs: {winner} won. One possible reason: the deletion test fills pixels in with the "
                   "same baseline the maps were asked about, and a pixel-sharp map can pick out exactly the pixels "
                   "whose replacement costs the score most, where a coarse blob spends its budget on whole regions.")


FASTEST_DROP = Exercise(
    id="attribution.fastest_drop", section="deletion", kind="predict",
    prompt="Before the curves appear: for this image and class, whose deletion curve will drop **fastest** "
           "(the smallest area under the curve)?",
    options=(
        Option(SALIENCY, "Gradients say which pixels a tiny nudge would change most — not necessarily the pixels "
                         "whose removal hurts most."),
        Option(GRADCAM, "Grad-CAM's blobs have the layer's coarse resolution: it deletes whole regions, every "
                        "pixel of a blob equally ranked."),
        Option(IG, "Integrated gradients credits each pixel with its share of f(x) − f(baseline), with the same "
                   "kind of baseline that deletion fills in."),
        Option(OCCLUSION, "Occlusion measured score drops with the baseline too — but one patch at a time, not many "
                          "pixels deleted together."),
        Option(RANDOM_MAP, "The random order is the reference every map should beat; it can win only if the maps "
                           "rank pixels no better than chance for this test."),
    ),
    correct=fastest_drop, hints=("A faithful map puts first the pixels the class cannot do without.",
                                 "Which methods measured the effect of *removing* pixels, rather than of nudging "
                                 "them?"),
    explanation=deletion_explanation, needs=("deletion_areas",),
)


def gradcam_beats_random(facts: Facts) -> Verdict:
    """Right when Grad-CAM's map is not constant and its deletion area, as shown, is below the random order's."""
    areas, constant = facts["deletion_areas"], facts.get("constant_maps") or ()
    cam, chance = areas.get(GRADCAM), areas.get(RANDOM_MAP)
    if cam is None or chance is None:
        return Verdict(False, "The deletion table has no Grad-CAM or random row yet: let section 3 finish first.")
    if GRADCAM in constant:
        return Verdict(False, f"Grad-CAM's map is constant at layer {facts.get('cam_layer')}: its deletion order is "
                              "just row by row, so its area says nothing. Pick another layer or class.")
    if cam < chance:
        return Verdict(True, f"Done: Grad-CAM's area is {cam:.3f}, below the random order's {chance:.3f} (layer "
                             f"{facts.get('cam_layer')}, {facts.get('baseline')} baseline).")
    return Verdict(False, f"Not yet: Grad-CAM's area is {cam:.3f} and the random order's {chance:.3f} — Grad-CAM "
                          "needs the smaller one.")


def beat_random_explanation(facts: Facts) -> str:
    """Why the random order can be hard to beat, quoting the areas on the page."""
    areas = facts["deletion_areas"]
    return (f"With layer {facts.get('cam_layer')} and the {facts.get('baseline')} baseline, Grad-CAM's area is "
            f"{areas.get(GRADCAM, float('nan')):.3f} and the random order's {areas.get(RANDOM_MAP, float('nan')):.3f}. "
            "A random order can be hard to beat: it scatters baseline dots over the whole image, which the network "
            "never saw in training, so the probability may fall without any real evidence being removed. That is "
            "why the baseline changes the random order's area too, and why a deletion score is one number among "
            "several — worth checking with more than one baseline.")


GRADCAM_BEATS_RANDOM = Exercise(
    id="attribution.gradcam_beats_random", section="beat_random", kind="task",
    prompt="The random pixel order is a tough reference. Change the settings — Grad-CAM's layer, the baseline, the "
           "class, the image or the network — until **Grad-CAM's** area in the table is **lower than the random "
           "map's**. Then check.",
    check=gradcam_beats_random,
    hints=("At the last layer Grad-CAM paints a few big blobs. Does an earlier, finer layer rank pixels better?",
           "The baseline changes the random order's area too: compare it with the black, grey and blurred "
           "baselines.",
           "On the digit network, a 28-pixel image holds little besides the digit."),
    explanation=beat_random_explanation, needs=("deletion_areas",),
)


# --------------------------------------------------------------------------------------- section 4: sanity checks
def change_label(rho: float) -> str:
    """The option naming how much a map changed, from its rank correlation as shown (two decimals)."""
    shown = round(float(rho), 2)
    if shown >= BARELY_CHANGED_FROM:
        return BARELY
    return A_LOT if shown < CHANGED_A_LOT_BELOW else PARTLY


def gradcam_change(facts: Facts) -> str:
    """How much Grad-CAM's map changed on the random-weights twin, as the page measured it."""
    rho = facts["gradcam_rho_random"]
    if rho is None or math.isnan(rho):
        raise MissingFacts("Grad-CAM's rank correlation is undefined (a constant map)")
    return change_label(rho)


def sanity_explanation(facts: Facts) -> str:
    """The measured change against Adebayo et al.'s (2018) finding that Grad-CAM changes a lot."""
    rho = float(facts["gradcam_rho_random"])
    label = gradcam_change(facts)
    text = (f"On the random-weights twin Grad-CAM's map has ρ = {rho:.2f} with the trained one. Adebayo et al. "
            "(2018) found that Grad-CAM's map changes a lot when the weights are randomised: it passes their test. ")
    if label == A_LOT:
        return text + ("This page agrees: without the learned weights, Grad-CAM's weighting of the feature maps is "
                       "noise.")
    if label == PARTLY:
        return text + ("This page differs somewhat: the map changed only partly. One possible reason: a random "
                       "network's feature maps still respond to the image's edges and blobs, and Grad-CAM adds them "
                       "up — compare the pictures.")
    return text + ("This page differs: the map barely changed, so here Grad-CAM would fail the test. Try another "
                   "layer or class: is it the same there?")


GRADCAM_SANITY = Exercise(
    id="attribution.gradcam_sanity", section="sanity", kind="predict",
    prompt="Before you run the checks: on the **random-weights twin** (the same architecture, nothing learned), "
           "how much will **Grad-CAM's** map change compared with the trained network's?",
    options=(
        Option(A_LOT, "With the learned weights gone, Grad-CAM's weighting of the feature maps would be noise."),
        Option(PARTLY, "Some structure could survive: random feature maps still respond to edges and blobs in the "
                       "image."),
        Option(BARELY, "That would mean Grad-CAM's map hardly depends on what the network learned — the failure the "
                       "paper found for guided back-propagation."),
    ),
    correct=gradcam_change,
    hints=("ρ compares the pixel order of two maps: 1 = the same order, 0 = unrelated.",
           "Grad-CAM weights each feature map by the class score's gradient. What are those gradients worth when "
           "the weights are random?"),
    explanation=sanity_explanation, needs=("gradcam_rho_random",),
)


EXERCISES = LessonExercises(
    lesson="attribution", sections=("prediction", "methods", "deletion", "beat_random", "sanity"),
    exercises=(BASELINE_MEANING, COMPLETENESS, FASTEST_DROP, GRADCAM_BEATS_RANDOM, GRADCAM_SANITY),
    takeaways=(
        "An attribution map explains one class score of one network on one image; the methods share out the credit "
        "differently, so compare several.",
        "Integrated gradients is complete: its map adds up to f(x) − f(baseline), so the baseline — what \"absent\" "
        "means — is part of the answer.",
        "Looking plausible is not being faithful: the deletion curve tests whether removing the top-ranked pixels "
        "really hurts the class, against a random order.",
        "Sanity checks: a map that hardly changes when the network's weights are randomised is not showing what the "
        "network learned.",
    ),
    minutes=35,
)
