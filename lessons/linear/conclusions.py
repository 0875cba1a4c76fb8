"""What the linear-classifier page reads off its numbers for its exercises and "What to notice" boxes: how a run's
loss went (downhill every step, up now and then, or above where it started) and what the small network's warp did.

Pure numpy and the standard library (no torch): the course's exercise declarations import it on the home page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: A loss that rises by less than this between two steps has not gone up: float32 rounding moves a settled loss by
#: about 1e-7 (measured on every data set at learning rates 0.1–0.5), a real overshoot by far more.
RISE_TOLERANCE = 1e-5
#: A loss counts as above its start when it is higher than the loss at step 0 by more than this (the Loss metric
#: shows four decimals, so such a climb is visible there).
ABOVE_START = 1e-3
#: A network "separates" the points when it gets at least this fraction of them right.
SEPARATED = 0.99


def sigmoid(z: float) -> float:
    """σ(z) = 1 / (1 + e⁻ᶻ), without overflow for large |z|."""
    return 0.5 * (1.0 + math.tanh(0.5 * z))


@dataclass(frozen=True)
class Descent:
    """How one training run's loss went, step by step (entry t of the losses: after t steps)."""

    steps: int  # optimisation steps taken
    start: float  # loss at step 0
    end: float  # loss now
    highest: float  # highest loss after step 0 (nan before the first step; inf once the loss overflowed)
    highest_step: int  # the step where it was highest (0 before the first step)
    rises: int  # steps after which the loss was higher than before, by more than RISE_TOLERANCE
    first_rise: int | None  # the first such step
    first_above: int | None  # the first step whose loss was above the start by more than ABOVE_START

    @property
    def above_start(self) -> bool:
        """Whether the loss ever climbed above where it started."""
        return self.first_above is not None


def read_descent(losses: Sequence[float]) -> Descent:
    """Read a run's whole loss history (not only its first steps); a loss that is not finite counts as a climb."""
    loss = np.asarray(losses, dtype=np.float64)
    if len(loss) == 0:
        raise ValueError("a run has at least its starting loss")
    loss = np.where(np.isnan(loss), np.inf, loss)  # an overflowed loss is as bad as it gets
    steps = len(loss) - 1
    if steps == 0:
        return Descent(0, float(loss[0]), float(loss[0]), math.nan, 0, 0, None, None)
    after = loss[1:]
    rose = np.diff(loss) > RISE_TOLERANCE
    above = after > loss[0] + ABOVE_START
    peak = int(np.argmax(after))
    return Descent(
        steps=steps, start=float(loss[0]), end=float(loss[-1]), highest=float(after[peak]), highest_step=peak + 1,
        rises=int(rose.sum()), first_rise=int(np.argmax(rose)) + 1 if rose.any() else None,
        first_above=int(np.argmax(above)) + 1 if above.any() else None,
    )


def _loss(value: float) -> str:
    return f"{value:.4f}" if math.isfinite(value) else "too large to store (it overflowed)"


def descent_notice(losses: Sequence[float]) -> str:
    """The "What to notice" sentence of the training run on the page: did every step go downhill?"""
    run = read_descent(losses)
    if run.steps == 0:
        return ("No step taken yet. Press **Play** (or **Step**) in section 3 and watch the loss: does every step "
                "take it lower?")
    if run.above_start:
        return (f"The loss climbed **above where it started**: {_loss(run.highest)} at step {run.highest_step}, "
                f"against {run.start:.4f} at step 0 (now {_loss(run.end)}). At these settings descent made the "
                "line worse than the one it started from.")
    if run.rises:
        when = ("at the only step so far" if run.steps == 1 else
                f"at {run.rises} of the {run.steps} steps so far (the first time at step {run.first_rise})")
        those = "that step overshot the valley's floor and landed higher than it" if run.rises == 1 else \
            "those steps overshot the valley's floor and landed higher than they"
        return (f"The loss went **up** {when}: {those} left. It never climbed above its start ({run.start:.4f}); it is now {run.end:.4f}.")
    steps = "The only step so far" if run.steps == 1 else f"Every one of the {run.steps} steps so far"
    return (f"{steps} went **downhill**: the loss fell from {run.start:.4f} to {run.end:.4f}, and no step raised it "
            f"by more than {np.format_float_positional(RISE_TOLERANCE)}. Is that still so at a learning rate of 10?")


def warp_notice(hidden_line_accuracy: float, line_accuracy: float) -> str:
    """The "What to notice" sentence of the small network: does the output unit's straight line, drawn in the warped
    plane, beat the best straight line of the input plane?"""
    said = (f"In the warped plane (right) the output unit is one straight line, and it gets "
            f"**{hidden_line_accuracy:.1%}** of the points right; in the input plane the best straight line of "
            f"section 4 gets {line_accuracy:.1%}.")
    if hidden_line_accuracy > line_accuracy:
        return (f"{said} The hidden layers moved the points so that a line does better: that is what the layers "
                "are for.")
    if line_accuracy >= 1.0:
        return f"{said} A line already got every point right here, so the warp had nothing left to win."
    return (f"{said} Here the warp did not help a line at all. Would a wider network, or more training steps, move "
            "the points into a better arrangement?")


# ---------------------------------------------------------------------------------------------- the small network
def is_narrow_spirals(preset: str, edited: bool, width: int) -> bool:
    """Whether the page shows the predict-then-run experiment: the two spirals as generated, hidden width 2."""
    return preset == "spiral" and not edited and int(width) == 2


def network_facts(preset: str, edited: bool, width: int, depth: int, steps: int, parameters: int,
                  network_accuracy: float, line_accuracy: float, hidden_line_accuracy: float) -> dict[str, object]:
    """The facts the network section hands to its exercises (`narrow_spirals` only while it shows the experiment)."""
    return {"preset": preset, "edited": bool(edited), "width": int(width), "depth": int(depth), "steps": int(steps),
            "parameters": int(parameters), "network_accuracy": float(network_accuracy),
            "line_accuracy": float(line_accuracy), "hidden_line_accuracy": float(hidden_line_accuracy),
            "narrow_spirals": float(network_accuracy) if is_narrow_spirals(preset, edited, width) else None}


def architecture(width: int, depth: int) -> str:
    """The layer sizes of the network `lessons.linear.mlp.make_mlp(width, depth)` builds, as "2 → 16 → 2 → 1"."""
    return " → ".join(["2"] + [str(int(width))] * int(depth) + ["2", "1"])
