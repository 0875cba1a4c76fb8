"""Exercises of "What does a neuron want to see?" (declared once; `ui.exercises` renders and judges them).

Pure Python on the page's facts (no torch, no Streamlit: the home page reads this module). The facts each section
hands over:

- "optimise": ``history`` (the objective after every step of the run shown).
- "real_images": ``method``, ``weights``, ``unit_kind``, ``optimised`` (the result's activation), ``best_real`` and
  ``best_name`` (the real image that drives the unit most).
- "priors": ``prior_scores`` (each run of comparison (d) by its caption's name → its activation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lessons.core.exercises import Exercise, Facts, LessonExercises, Option, Verdict

SECTIONS = ("setup", "optimise", "real_images", "seeds", "twin", "priors", "digits")

# ------------------------------------------------------------------------------------------ the objective curve


def half_rise_step(history: Sequence[float]) -> int:
    """The first step (counted from 1) at which the objective reached halfway from its step-1 value to its last one."""
    values = [float(v) for v in history]
    if not values:
        raise ValueError("an empty history has no steps")
    halfway = values[0] + 0.5 * (values[-1] - values[0])
    return next(step for step, value in enumerate(values, start=1) if value >= halfway)


def _half_rise_answer(facts: Facts) -> float:
    return float(half_rise_step(facts["history"]))


def _half_rise_explanation(facts: Facts) -> str:
    values = [float(v) for v in facts["history"]]
    step = half_rise_step(values)
    halfway = values[0] + 0.5 * (values[-1] - values[0])
    text = (f"The objective went from {values[0]:.3g} at step 1 to {values[-1]:.3g} at step {len(values)}, so "
            f"halfway is {halfway:.3g}; the curve first reached it at step {step} of {len(values)}. ")
    if values[-1] <= values[0]:
        return text + "This run did not climb at all, so step 1 is already \"halfway\": try another unit or method."
    if step <= len(values) / 4:
        return text + ("Half the rise came in the first quarter of the steps: the optimisation climbs fastest at the "
                       "start, and the later steps add less and less.")
    return text + ("Half the rise took more than a quarter of the steps: this run climbed steadily rather than "
                   "fast at first. Was it still climbing at the end?")


HALF_RISE = Exercise(
    id="actmax.half_rise", section="optimise", kind="numeric",
    prompt="Read the objective curve of your run (hover over it, or download its CSV). At which step did the "
           "objective **first reach halfway** between its value at step 1 and its value at the last step?",
    answer=_half_rise_answer, tolerance=3, unit="step", needs=("history",),
    hints=("Halfway = (value at step 1 + value at the last step) / 2.",
           "Now find the first step whose objective is at least that value (the CSV has every step)."),
    explanation=_half_rise_explanation,
)

# ------------------------------------------------------------------------------------------ beating the real images


def beats_real_images_without_gradients(facts: Facts) -> Verdict:
    """Right when evolution (no gradients) made an image that drives a trained network's channel above every real
    image the page compared it with."""
    optimised, best, name = float(facts["optimised"]), float(facts["best_real"]), facts["best_name"]
    scores = f"your image {optimised:.3g}, the best real image ({name}) {best:.3g}"
    if facts["unit_kind"] != "channel":
        return Verdict(False, "Set *What to maximise* to **a channel** first (this task is about a whole feature "
                              "map, not a class score or a single neuron).")
    if facts["weights"] != "pretrained":
        return Verdict(False, "Use the **trained** weights: a random network's favourite images say nothing about "
                              "what it learned from real ones.")
    if facts["method"] != "evolution":
        if optimised > best:
            return Verdict(False, f"Gradient ascent wins easily ({scores}). Now do it **without gradients**: set "
                                  "*Method* to Evolution and run again.")
        return Verdict(False, f"Not even gradient ascent won this time ({scores}), and the task asks for "
                              "**Evolution** (no gradients).")
    if optimised > best:
        return Verdict(True, f"Done: {scores}. Evolution never saw a gradient, only the network's scores.")
    return Verdict(False, f"Not yet: {scores}. Evolution is still below the best real image.")


def _beat_explanation(facts: Facts) -> str:
    return (f"Your evolved image drives the channel to {float(facts['optimised']):.3g}, above the best real image "
            f"({float(facts['best_real']):.3g}). Real images are a tiny corner of image space, and a search that is "
            "free to leave it finds stronger stimuli — even one that only ever sees scores. It needs many tries per "
            "step, though: the bigger the image (128×128×3 numbers for EfficientNet, 28×28 for the digit CNN), the "
            "slower a blind search climbs, which is why gradient ascent is the usual tool.")


BEAT_REAL_IMAGES = Exercise(
    id="actmax.beat_real_without_gradients", section="real_images", kind="task",
    prompt="Grow an image that drives **a channel** of a **trained** network above the best real image in (b) — "
           "**without gradients**: with the *Evolution* method. Then check your page.",
    check=beats_real_images_without_gradients, needs=("method", "weights", "unit_kind", "optimised", "best_real"),
    hints=("Evolution only sees scores, so it needs many tries per step, and EfficientNet's images have "
           "128×128×3 numbers to get right. A smaller image space is easier: try the small digit CNN (28×28).",
           "Some channels are easier than others: try an early layer (conv1, pool1) or another channel, and more "
           "steps (generations)."),
    explanation=_beat_explanation,
)

# ------------------------------------------------------------------------------------------ what the priors do

JITTER_AND_BLUR = Exercise(
    id="actmax.jitter_blur", section="setup", kind="choice",
    prompt="Two of the priors above change the image itself rather than adding a penalty: **jitter** (shift, zoom "
           "and turn it a little every step) and **blur every k steps**. What do they do to the image that grows?",
    options=(
        Option("They make it brighter and more colourful",
               "No: neither touches brightness or colour on purpose. L2 decay is the prior that acts on pixel "
               "values (it pulls them towards mid-grey)."),
        Option("They suppress fine, high-frequency patterns: only patterns that survive small shifts and "
               "smoothing keep growing",
               "Yes. A pixel-level pattern that raises the unit at one offset no longer does one pixel over, and "
               "blur erases it outright; larger, smoother structure survives both."),
        Option("They make the unit's activation higher",
               "Not by design: they constrain the image (a guess at p(x)), which usually costs some activation. "
               "Comparison (d) measures it for your unit."),
        Option("They centre the object in the picture",
               "That is the centre-bias prior, a penalty on anything away from the middle."),
    ),
    correct="They suppress fine, high-frequency patterns: only patterns that survive small shifts and smoothing "
            "keep growing",
    hints=("Think of a pattern that alternates every pixel. What happens to it when the image moves by one pixel, "
           "or is blurred?",
           "Both act like a low-pass filter on what the optimiser can build."),
    explanation="Left alone, gradient ascent builds high-frequency patterns no camera would take (close to "
                "adversarial noise). Jitter (Mordvintsev et al. 2015) asks for patterns that work at many offsets, and blur "
                "(Yosinski et al. 2015) removes high frequencies as they appear: both are guesses at p(x) — real "
                "images are mostly smooth. Switch one off in comparison (d) and look at the difference.",
)

# ------------------------------------------------------------------------------------------ which prior scores highest

NO_PRIOR = "no prior"
GROUP_NONE = "No prior at all"
GROUP_TRANSFORM = "A prior that transforms the image (jitter/scale/rotate, or blur)"
GROUP_PENALTY = "A penalty or another start (total variation, L2 decay, centre bias, mean-image start)"


def prior_group(run_name: str) -> str:
    """The option a run of comparison (d) belongs to, by its name on the page."""
    if run_name == NO_PRIOR:
        return GROUP_NONE
    if run_name.startswith(("jitter", "blur")):
        return GROUP_TRANSFORM
    return GROUP_PENALTY


def highest_prior(scores: Mapping[str, float]) -> str:
    """The run of comparison (d) with the highest activation (the first one on a tie, as the page lists them)."""
    if not scores:
        raise ValueError("no prior runs to compare")
    return max(scores, key=lambda name: float(scores[name]))


def _highest_group(facts: Facts) -> str:
    return prior_group(highest_prior(facts["prior_scores"]))


def _prior_explanation(facts: Facts) -> str:
    scores = {name: float(value) for name, value in facts["prior_scores"].items()}
    best = highest_prior(scores)
    text = f"Highest activation: **{best}** ({scores[best]:.3g}); with no prior: {scores[NO_PRIOR]:.3g}. "
    if best == NO_PRIOR:
        text += ("As the textbook expects: a prior constrains the image, and a constrained optimiser cannot climb "
                 "higher than a free one in the same number of steps. ")
    else:
        text += (f"The textbook expects no prior to score highest (every prior trades activation for a more natural "
                 f"image), but here {best} beat it by {scores[best] - scores[NO_PRIOR]:.3g}: a prior can also help "
                 "the optimiser out of a poor start, and with few steps neither run has reached its ceiling. ")
    return text + "Either way, the highest score is not the most interpretable picture: compare the images."


PRIOR_HIGHEST = Exercise(
    id="actmax.prior_highest", section="priors", kind="predict",
    prompt="Comparison (d) runs your unit again with **each prior on its own**, and once with none. Which run will "
           "drive the unit **highest**?",
    options=(
        Option(GROUP_NONE, "The textbook's answer: nothing holds the optimiser back."),
        Option(GROUP_TRANSFORM, "Transformations make the optimiser work for patterns that survive change; could "
                                "that help it climb?"),
        Option(GROUP_PENALTY, "A penalty is subtracted from what the optimiser climbs; a mean-image start begins "
                              "somewhere else."),
    ),
    correct=_highest_group, needs=("prior_scores",),
    hints=("The optimiser maximises activation minus penalties, on an image the transformations keep changing.",
           "Comparison (d) uses the prior weights you set above: a heavy penalty costs more than a light one."),
    explanation=_prior_explanation,
)

# ------------------------------------------------------------------------------------------ the random twin

TWIN_CONTROL_ANSWER = ("Run the same unit in the random-weights twin: stripes there would come from the "
                       "architecture and the priors, not from learning")

TWIN_CONTROL = Exercise(
    id="actmax.twin_control", section="twin", kind="choice",
    prompt="Suppose a trained network's image shows striking **stripes**. Which check best tells you whether the "
           "network *learned* to look for stripes?",
    options=(
        Option(TWIN_CONTROL_ANSWER,
               "Yes: the twin has the same layers, unit, optimiser and priors — everything but learning. Stripes "
               "in both images say little about learning; stripes only in the trained one are what it learned."),
        Option("Run more steps until the stripes are sharper",
               "Sharper stripes are still stripes: more steps do not tell you where they come from."),
        Option("Check that the image drives the unit above the best photo",
               "That shows the image is a strong stimulus, not that the pattern was learned: a random network's unit "
               "has favourite images too."),
        Option("Switch every prior off and look again",
               "That tells you whether the priors made the stripes, not whether the architecture alone would: the "
               "twin controls for both at once."),
    ),
    correct=TWIN_CONTROL_ANSWER,
    hints=("What would the image look like if learning had played no part at all?",
           "The page runs exactly this control in (c)."),
    explanation="A control changes one thing only. The random-weights twin keeps the architecture (convolutions, "
                "strides, pooling), the image's parameterisation, the priors and the optimiser, and removes "
                "learning, so the difference between the two images in (c) is what learning added. Architectures "
                "have preferences of their own — grid patterns from strided convolutions, smooth blobs from the "
                "Fourier parameterisation — and the twin's image is where they would show.",
)

EXERCISES = LessonExercises(
    lesson="activation_maximization", sections=SECTIONS,
    exercises=(JITTER_AND_BLUR, HALF_RISE, BEAT_REAL_IMAGES, TWIN_CONTROL, PRIOR_HIGHEST),
    takeaways=(
        "Activation maximisation climbs the gradient of one unit's activation with respect to the input image, with "
        "every weight held fixed.",
        "Unconstrained, it finds high-frequency patterns that beat every real image: the result is p(y | x) alone.",
        "Priors — jitter, blur, penalties, a learned generator — are guesses at p(x) that keep the image "
        "natural, usually at some cost in activation.",
        "Compare with controls: other random starts, the random-weights twin, each prior alone, the real images "
        "that drive the unit.",
    ),
    minutes=30,
)
