"""Exercises of the model-zoo lesson (declared once; `ui.exercises` renders and judges them).

Every answer that depends on data is computed from the page's facts (`lessons.cortex.facts` builds them from the
zoo's summary), so the right answer is whatever the running app measured on the (simulated) cortex — including
"can't tell" when a handful of networks cannot show a trend. Pure Python and numpy: the home page imports this module.
"""

from __future__ import annotations

import math

from lessons.core.exercises import Exercise, Facts, LessonExercises, Option, Verdict

BETTER = "Yes: better classifiers predict it better"
WORSE = "No: better classifiers predict it worse"
CANT_TELL = "Can't tell from these networks"
ALPHA = 0.05  # the significance level the page's verdicts use (`lessons.core.chance.ALPHA`)
#: Spearman ρ at or above this counts as a perfect ranking.
PERFECT = 0.999


def _cortex(facts: Facts) -> str:
    """'the simulated cortex' or 'these cells'."""
    return "the simulated cortex" if facts.get("simulated", True) else "these cells"


def _networks(n: int) -> str:
    return f"{n} network" if n == 1 else f"{n} networks"


def _p(p: float) -> str:
    return f"p = {p:.3f}" if p < 0.1 else f"p = {p:.2f}"


# ---------------------------------------------------------------------------- does ImageNet accuracy predict it?
def top1_answer(facts: Facts) -> str:
    """Better, worse or can't tell: the page's verdict on the top-1 trend (clear only when p ≤ 0.05 and the
    bootstrap interval excludes zero)."""
    if not facts["top1_clear"]:
        return CANT_TELL
    return BETTER if float(facts["top1_rho"]) > 0 else WORSE


def top1_explanation(facts: Facts) -> str:
    """The measured trend with its uncertainty, against what Conwell et al. found."""
    n, rho, p = int(facts["top1_n"]), float(facts["top1_rho"]), float(facts["top1_p"])
    answer = top1_answer(facts)
    papers = ("Conwell et al., with dozens of networks and real mouse data, found ImageNet accuracy only weakly "
              "related to how well a network predicts mouse visual cortex.")
    if not math.isfinite(rho):
        return f"With {_networks(n)} no rank correlation could be measured here. {papers}"
    numbers = f"Spearman ρ = {rho:+.2f} over {_networks(n)}, {_p(p)}"
    low, high = float(facts.get("top1_low", math.nan)), float(facts.get("top1_high", math.nan))
    if math.isfinite(low):
        numbers += f", 95 % interval {low:+.2f} to {high:+.2f}"
    if answer != CANT_TELL:
        return (f"On {_cortex(facts)}: {numbers}, so the page calls the trend clear — unlike the papers. {papers}")
    text = f"On {_cortex(facts)}: {numbers}. The network is the unit of evidence, not the cell: "
    smallest = float(facts["top1_smallest_p"])
    if smallest > ALPHA:
        text += (f"with {_networks(n)}, even a perfect ranking could only reach p = {smallest:.2f}, so no trend "
                 "could be shown whatever the scores. ")
    else:
        text += ("a trend is called only when p ≤ 0.05 and the 95 % interval excludes zero, and this ordering of the "
                 "networks does not pass both. ")
    return text + papers + " Can't tell is an answer, and here it is the right one."


TOP1_TREND = Exercise(
    id="cortex.zoo_top1", section="top1", kind="predict",
    prompt="Before the plot: will the networks that classify ImageNet better (higher top-1) predict the simulated "
           "cortex better?",
    options=(Option(BETTER, "A better classifier has better visual features; are they the mouse's?"),
             Option(WORSE, "Very accurate networks specialise in ImageNet's categories; could that cost them?"),
             Option(CANT_TELL, "How many networks with a top-1 does this zoo have, and how many would a trend need?")),
    correct=top1_answer,
    hints=("Count the ImageNet networks in the zoo's table.",
           "n networks can be ranked in n! ways: how often would chance alone produce the perfect one?"),
    explanation=top1_explanation,
    needs=("top1_rho", "top1_p", "top1_n", "top1_smallest_p", "top1_clear"),
)


# ------------------------------------------------------------------------------------- make a perfect ranking
def ranking_check(facts: Facts) -> Verdict:
    """Right when the ImageNet networks' scores rank exactly as their top-1 accuracies do (ρ = +1)."""
    n, rho = int(facts["top1_n"]), float(facts["top1_rho"])
    cells = int(facts["cells"])
    if n < 3 or not math.isfinite(rho):
        return Verdict(False, f"The zoo has {_networks(n)} with a top-1 and a score: a ranking needs at least 3.")
    if rho >= PERFECT:
        return Verdict(True, f"With {cells:,} cells per network the {n} ImageNet networks rank exactly as their "
                             f"top-1 does: ρ = {rho:+.2f}. Now read the verdict under the plot.")
    return Verdict(False, f"With {cells:,} cells per network, ρ = {rho:+.2f}: the ranking is not perfect. Each "
                          "network's score is a mean over the cells scored; other cells give other means.")


def ranking_explanation(facts: Facts) -> str:
    """What a perfect ranking of a few networks is worth."""
    n, smallest = int(facts["top1_n"]), float(facts["top1_smallest_p"])
    text = (f"Changing the cells changes each network's score a little, and with {_networks(n)} that is enough to "
            "reorder them. ")
    if smallest > ALPHA:
        return text + (f"Even the perfect ranking has p = {smallest:.2f}: it is one of the {math.factorial(n):,} "
                       f"orderings of {_networks(n)}, and chance alone lands on it or on its reverse that often. A "
                       "perfect ranking of so few networks is not a trend; more networks are what a trend needs.")
    return text + (f"With {_networks(n)} a perfect ranking reaches p = {smallest:.3f}: rare enough under chance to "
                   "count as evidence — if it survives other cells.")


PERFECT_RANKING = Exercise(
    id="cortex.zoo_ranking", section="ranking", kind="task",
    prompt="Make it happen: build the zoo with a number of cells per network (section 2) at which the ImageNet "
           "networks' scores rank **exactly** as their top-1 accuracies do (Spearman ρ = +1 in the verdict above). "
           "Then check — and read the verdict.",
    check=ranking_check,
    hints=("Hover the points: which network is out of order?",
           "Build again with another number of cells per network: the finished networks are kept on disk."),
    explanation=ranking_explanation,
    needs=("top1_rho", "top1_n", "top1_smallest_p", "cells"),
)


# ---------------------------------------------------------------------------------- the sign test's limit
def sign_test_limit(facts: Facts) -> float:
    """The two-sided sign-test p-value of a clean sweep of the zoo's pairs: 2 × ½ⁿ (at most 1)."""
    pairs = int(facts["pairs"])
    return min(1.0, 2.0 * 0.5 ** pairs) if pairs else 1.0


def sign_test_explanation(facts: Facts) -> str:
    """The smallest p of these pairs against the page's verdict."""
    pairs, p = int(facts["pairs"]), float(facts["pairs_p"])
    smallest = sign_test_limit(facts)
    text = (f"Each of the {pairs} pairs is a coin flip under \"no difference\": trained winning all {pairs} has "
            f"probability ½^{pairs}, and random winning all of them is as extreme, so p = 2 × ½^{pairs} = "
            f"{smallest:.3f}. ")
    if smallest > ALPHA:
        text += "That is above 0.05: with so few pairs no result could count as evidence. "
    text += (f"Here trained won {int(facts['trained_wins'])} and random {int(facts['random_wins'])}: {_p(p)}. "
             "The networks are the data points; the cells only make each point less noisy.")
    return text


SIGN_TEST_LIMIT = Exercise(
    id="cortex.zoo_sign_limit", section="training", kind="numeric",
    prompt="The verdict above is a sign test over the pairs of trained and random weights. With the number of pairs "
           "in this zoo, what is the **smallest** p-value it could ever give, even if trained won every pair? "
           "(Two-sided, three decimals.)",
    answer=sign_test_limit, tolerance=0.002,
    hints=("Under \"no difference\" each pair is a fair coin: trained wins with probability ½.",
           "Two-sided: random winning every pair would be as extreme as trained winning every pair."),
    explanation=sign_test_explanation,
    needs=("pairs", "pairs_p", "trained_wins", "random_wins"),
)


# --------------------------------------------------------------------------------------- the training task
def task_explanation(facts: Facts) -> str:
    """Why the by-task comparison cannot isolate the task."""
    return ("The digit networks differ from the ImageNet networks in everything at once: task, training images "
            "(28×28 digits against photos), depth and width. A difference between the groups could come from any "
            "of these. To isolate the task, train the same architecture on the same images for different tasks — "
            "the design of taskonomy studies.")


TASK_CONFOUND = Exercise(
    id="cortex.zoo_task_confound", section="task", kind="choice",
    prompt="Suppose the ImageNet networks score higher than the digit networks. What may you conclude?",
    options=(Option("The ImageNet classification task makes better models of visual cortex",
                    "Not from this zoo: the task changes together with the images, the depth and the width."),
             Option("Something about the ImageNet networks helps, but this zoo cannot say whether it is the task",
                    "Yes: the groups differ in task, images and architecture at once."),
             Option("Nothing: a difference between groups of networks is never meaningful",
                    "Too strong: with the task varied alone, on the same architecture and images, it would be."),
             Option("The task matters only if the permutation test gives p ≤ 0.05",
                    "A small p says the groups differ beyond chance; it cannot say which difference between them "
                    "did it.")),
    correct="Something about the ImageNet networks helps, but this zoo cannot say whether it is the task",
    hints=("List everything that differs between a digit CNN and EfficientNet-Lite0.",),
    explanation=task_explanation,
)


EXERCISES = LessonExercises(
    lesson="model_zoo",
    sections=("zoo", "build", "top1", "ranking", "depth", "features", "training", "task", "numbers"),
    exercises=(TOP1_TREND, PERFECT_RANKING, SIGN_TEST_LIMIT, TASK_CONFOUND),
    takeaways=(
        "In a model zoo the unit of evidence is a network: six networks are six data points, however many cells each "
        "was scored on.",
        "A trend needs its uncertainty: with a few networks even a perfect ranking is not evidence, and \"can't "
        "tell\" is an honest result.",
        "Trained and random weights of the same architecture are the cleanest comparison the zoo offers.",
        "Comparing training tasks across different architectures and images confounds the task with everything else.",
    ),
    minutes=30,
)
