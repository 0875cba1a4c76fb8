"""Exercises of the Linear-classifier lesson (declared once; `ui.exercises` renders and judges them).

Every answer that depends on data is read from the page's facts:
- section "line": `start_sharpness` — the starting line's |w| as the page shows it (two decimals);
- section "landscape": `losses` — the whole loss history of the run on the page (entry t: after t steps), with
  `optimiser`, `learning_rate` and `data_set` for the feedback;
- section "network": `lessons.linear.conclusions.network_facts` (`narrow_spirals` is set only while the page shows
  the two spirals, as generated, with a hidden width of 2).
"""

from __future__ import annotations

from lessons.core.exercises import Exercise, Facts, LessonExercises, Option, Verdict
from lessons.linear.conclusions import SEPARATED, architecture, read_descent, sigmoid

# ---------------------------------------------------------------------------------------------- 2 · the sigmoid
SIGMOID_ON_THE_LINE = Exercise(
    id="linear.sigmoid_on_line", section="line", kind="choice",
    prompt="What probability of class B does the model give a point **exactly on the line**?",
    options=(Option("0 %", "That is what it says far on the side away from the arrow."),
             Option("50 %", "On the line w·x + b = 0, and σ(0) = ½."),
             Option("100 %", "That is what it says far on the arrow's side.")),
    correct="50 %", hints=("On the line, w·x + b = 0.", "σ(0) = 1 / (1 + e⁰) = ?"),
    explanation="The sigmoid turns a logit of 0 into 50 %: the line is where the model is exactly unsure.",
)


def sigmoid_at_distance(facts: Facts) -> float:
    """σ(|w| · 1): the starting line's probability of class B for a point 1 unit away on the arrow's side."""
    return sigmoid(float(facts["start_sharpness"]) * 1.0)


def explain_sigmoid_at_distance(facts: Facts) -> str:
    """Why: the logit is |w| × distance, and the sigmoid squashes it; quotes the page's sharpness."""
    sharpness = float(facts["start_sharpness"])
    said = (f"For any point, w·x + b = |w| × (signed distance), so here the logit is {sharpness:.2f} × 1 = "
            f"{sharpness:.2f}, and σ({sharpness:.2f}) = 1 / (1 + e^−{sharpness:.2f}) = "
            f"**{sigmoid(sharpness):.3f}**.")
    if sharpness == 1.0:
        return (f"{said} Change the sharpness and the same point gets another probability: the line's sharpness, "
                "not the distance alone, sets how sure the model is.")
    kind, sure = ("sharper", "surer") if sharpness > 1.0 else ("blunter", "less sure")
    return (f"{said} A line with |w| = 1 would give the same point σ(1) = {sigmoid(1.0):.3f}: this {kind} line is "
            f"{sure} at the same distance.")


SIGMOID_AT_DISTANCE = Exercise(
    id="linear.sigmoid_at_distance", section="line", kind="numeric",
    prompt=("A point lies **1 unit** from the **starting line** (set just above), on the arrow's side. What "
            "probability of class B does the starting line give it? Use the starting line's sharpness |w| as the "
            "page shows it (the caption under *Starting line*, or the slider when you set it by hand), and answer "
            "as a fraction between 0 and 1 (0.5 for 50 %)."),
    answer=sigmoid_at_distance, tolerance=0.01, needs=("start_sharpness",),
    hints=("For any point, w·x + b = |w| × (signed distance from the line), so the logit here is |w| × 1.",
           "σ(z) = 1 / (1 + e⁻ᶻ). Or read it off the sigmoid chart: the dark curve (yours) at distance 1."),
    explanation=explain_sigmoid_at_distance,
)


# ------------------------------------------------------------------------------------ 4 · steps that are too big
def _settings(facts: Facts) -> str:
    parts = [str(facts[k]) for k in ("data_set", "optimiser") if facts.get(k)]
    if facts.get("learning_rate") is not None:
        parts.append(f"learning rate {float(facts['learning_rate']):g}")
    return f" ({', '.join(parts)})" if parts else ""


def check_climbed_above_start(facts: Facts) -> Verdict:
    """Right when, at any step of the whole run on the page, the loss was above its value at step 0."""
    run = read_descent(facts["losses"])
    if run.steps == 0:
        return Verdict(False, "No step taken yet: press **Play** (or **Step**) in section 3, then check again.")
    if run.above_start:
        return Verdict(True, f"At step {run.first_above} the loss was above its start of {run.start:.4f}"
                             f"{_settings(facts)}; at its highest it reached "
                             f"{run.highest:.4f} (step {run.highest_step}). Descent went uphill.")
    if run.rises:
        return Verdict(False, f"Close: the loss went up at {run.rises} of the {run.steps} steps (the first time "
                              f"at step {run.first_rise}), but it never climbed above its start of {run.start:.4f}: "
                              f"at its highest after step 0 it was {run.highest:.4f}. The steps overshoot, yet "
                              "not far enough.")
    return Verdict(False, f"All {run.steps} steps went downhill{_settings(facts)}: the loss fell from "
                          f"{run.start:.4f} to {run.end:.4f}. Take bigger steps.")


def explain_climb(facts: Facts) -> str:
    """Why a too-big step climbs, and why, unlike the textbook's quadratic bowl, the loss cannot explode here."""
    run = read_descent(facts["losses"])
    now = ("" if run.steps == 0 else
           f" In the run on the page now the loss started at {run.start:.4f}, was highest at {run.highest:.4f} (step "
           f"{run.highest_step}) and is {run.end:.4f} after {run.steps} steps.")
    return ("A step that is too big jumps right across the valley and can land higher up the other side than where "
            "it left. **This is milder than the textbook's divergence.** On a quadratic bowl a step more than twice "
            "the one that lands exactly on the bottom overshoots by more every time, and the loss grows without "
            "limit. The cross-entropy's slope "
            "never exceeds the points' average distance from the origin (and 1 for b), so every step moves "
            "(w₁, w₂, b) only a bounded distance: the loss can climb a little per step, but it cannot explode — "
            "which is why no learning rate on this page sends it to infinity." + now)


CLIMB_ABOVE_START = Exercise(
    id="linear.diverge", section="landscape", kind="task",
    prompt=("**Make descent fail.** Gradient descent is meant to go downhill. Find settings — data set, optimiser, "
            "learning rate, starting line — at which the loss, at some step of the run, climbs **above where it "
            "started** (step 0). Play the run, then check: the whole run counts, not only its first steps."),
    check=check_climbed_above_start, needs=("losses",),
    hints=("Big steps overshoot: raise the learning rate, press Play and watch the loss curve. (The *Try lr = 10* "
           "button above saw-tooths — does it ever climb above its start?)",
           "Adam moves every number by about the learning rate at each step, however gentle the slope; plain SGD "
           "at 10 is worth a try on the XOR, circle or spiral data.",
           "For example: XOR (four corners), plain SGD, learning rate 10, then Play or Step."),
    explanation=explain_climb,
)


# ---------------------------------------------------------------------------------------- 6 · the small network
SEPARATES = f"{SEPARATED:.0%} or more: it separates them"
BETTER_THAN_A_LINE = f"Better than a straight line, but under {SEPARATED:.0%}"
NO_BETTER = "No better than a straight line"


def narrow_spirals_outcome(facts: Facts) -> str:
    """What the page measured for the width-2 network on the spirals, as one of the prediction's options."""
    accuracy, line = float(facts["narrow_spirals"]), float(facts["line_accuracy"])
    if accuracy >= SEPARATED:
        return SEPARATES
    return BETTER_THAN_A_LINE if accuracy > line else NO_BETTER


def explain_narrow_spirals(facts: Facts) -> str:
    """Why a width-2 network only bends the plane; quotes the measured accuracies."""
    accuracy, line = float(facts["narrow_spirals"]), float(facts["line_accuracy"])
    measured = (f"Measured: the {architecture(2, facts['depth'])} network, trained for {facts['steps']} steps, gets "
                f"**{accuracy:.1%}** of the spiral points right; section 4's best straight line gets {line:.1%}. ")
    why = ("Every layer here has two units, so it maps the plane onto the plane: a 2×2 linear map, a shift and a "
           "tanh, which stretch, shear and squash it. With an invertible matrix such a layer never sends two "
           "different points to the same place — it bends the plane but cannot fold it. ")
    outcome = narrow_spirals_outcome(facts)
    if outcome == SEPARATES:
        return (measured + why + "Even so, the bends were enough here to lay the arms on two sides of a line. Does "
                "that hold for another seed (section 1)?")
    if outcome == BETTER_THAN_A_LINE:
        return (measured + why + "The bends helped — it beats the line — but unwinding two interleaved arms by "
                "bending alone is more than these layers managed. Wider layers work in more dimensions, where the "
                "plane can be folded: does a width of 4 get them all?")
    return (measured + why + "Here the bends bought nothing over a straight line. Wider layers work in more "
            "dimensions, where the plane can be folded: does a width of 4 do better?")


NARROW_SPIRALS = Exercise(
    id="linear.narrow_spirals", section="network", kind="predict",
    prompt=("Give the network a **hidden width of 2** and train it on the **two spirals** (the button *Two "
            "spirals, hidden width 2* above sets both). Every layer is then only two units wide — 2 → 2 → 2 → 1 "
            "with one wide layer. How many of the points will it get right, compared with section 4's best "
            "straight line?"),
    options=(Option(SEPARATES, "You expect two-unit warps of the plane to unwind the spirals completely."),
             Option(BETTER_THAN_A_LINE, "You expect the warps to help, but not to untangle the arms."),
             Option(NO_BETTER, "You expect a network this narrow to do no more than one line.")),
    correct=narrow_spirals_outcome, needs=("narrow_spirals", "line_accuracy"),
    hints=("A layer of width 2 turns the plane into another plane. Can it fold the plane over itself?",),
    explanation=explain_narrow_spirals,
)


def check_untangled_spirals(facts: Facts) -> Verdict:
    """Right when the page's network gets at least 99 % of the two spirals (as generated) right."""
    if facts["preset"] != "spiral":
        return Verdict(False, "The page shows another data set: choose **Two spirals** in section 1 first.")
    if facts["edited"]:
        return Verdict(False, "These spirals have hand edits: press **Reset points** in section 1 — the task is the "
                              "spirals as generated.")
    accuracy = float(facts["network_accuracy"])
    network = f"The {architecture(facts['width'], facts['depth'])} network, trained for {facts['steps']} steps,"
    if accuracy >= SEPARATED:
        return Verdict(True, f"{network} gets {accuracy:.1%} of the spiral points right: separated.")
    return Verdict(False, f"{network} gets {accuracy:.1%} of the spiral points right: not yet {SEPARATED:.0%}. Does "
                          "a wider layer help?")


def explain_untangled(facts: Facts) -> str:
    """Why wider layers can separate the spirals; quotes the network on the page when it shows them."""
    said = ("A wider layer computes more than two features of every point, and the next layer brings them down to "
            "two again: that squeeze can fold the plane, so the two arms can end up on opposite sides of a line. "
            "Look at the right-hand chart — the output unit still draws nothing but a straight line.")
    if facts.get("preset") == "spiral" and not facts.get("edited"):
        said += (f" On the page now: the {architecture(facts['width'], facts['depth'])} network "
                 f"({facts['parameters']} numbers) gets {float(facts['network_accuracy']):.1%} of the spiral points "
                 "right.")
    return said


UNTANGLE_SPIRALS = Exercise(
    id="linear.untangle_spirals", section="network", kind="task",
    prompt=(f"Find a network — hidden width, wide layers, training steps — that gets **at least {SEPARATED:.0%}** of "
            "the points of the two spirals right (the data set as generated, no hand edits). Then check your page."),
    check=check_untangled_spirals, needs=("preset", "network_accuracy"),
    hints=("A width of 2 keeps every layer in the plane: give the layers more units.",
           "Change one thing at a time — width, then wide layers, then training steps — and watch the accuracy.",
           "For example: width 16, one wide layer, 1000 steps."),
    explanation=explain_untangled,
)


EXERCISES = LessonExercises(
    lesson="linear_classifier", sections=("points", "line", "training", "landscape", "algebra", "network"),
    exercises=(SIGMOID_ON_THE_LINE, SIGMOID_AT_DISTANCE, CLIMB_ABOVE_START, NARROW_SPIRALS, UNTANGLE_SPIRALS),
    takeaways=("A linear classifier is three numbers — a line's rotation, offset and sharpness — and a sigmoid that "
               "turns the signed distance from the line into a probability.",
               "Gradient descent walks downhill on the loss; the learning rate is its step size, and a step that is "
               "too big jumps across the valley, sometimes higher than where it started.",
               "The cross-entropy of a line is one bowl in (w₁, w₂, b): every downhill walk heads for the same "
               "bottom, and when a line splits the points perfectly the bowl has no floor.",
               "Hidden layers warp the plane so that the output unit's straight line can split classes that no line "
               "could split before — if the layers have room to fold it."),
    minutes=35,
)
