"""Declared settings of the Linear-classifier page (pages/linear_classifier.py)."""

from __future__ import annotations

from lessons.linear import compute as lc
from lessons.linear import data as ld
from ui.state import PageState, choice, integer, number, text

LR_CHOICES = [f"{v:g}" for v in lc.LEARNING_RATES]
MAX_STEP_CHOICES = ["200", "500", "1000", "2000"]
INIT_MODES = ["random", "manual"]
MLP_WIDTHS = ["2", "4", "8", "16", "32"]
MLP_STEPS = ["250", "500", "1000", "2000", "4000"]

STATE = PageState(
    "lc_",
    # 1 · the points
    choice("lc_preset", "separable", ld.PRESETS),
    number("lc_noise", 0.2, 0.0, 1.0, step=0.05),
    integer("lc_seed", 0, 0, 9999),
    text("lc_edits", ""),  # hand edits in `lessons.linear.data.encode_edits` form; "" when too long for a link
    # 2 · the starting line
    choice("lc_init", "random", INIT_MODES),
    integer("lc_theta", 0, -180, 180, step=5),
    number("lc_offset", 0.0, -3.0, 3.0, step=0.05),
    number("lc_sharp", 1.0, 0.1, 10.0, step=0.1),
    # 3 · training
    choice("lc_opt", "sgd", list(lc.OPTIMISERS)),
    choice("lc_lr", "0.5", LR_CHOICES),
    choice("lc_anneal", "none", list(lc.SCHEDULES)),
    choice("lc_max_steps", "500", MAX_STEP_CHOICES),
    integer("lc_spf", lc.STEPS_PER_FRAME, 1, 50),
    integer("lc_step", 0, 0, None),  # steps trained so far (a link replays them once); bound to the chosen max
    choice("lc_click_class", ld.CLASS_NAMES[0], ld.CLASS_NAMES),
    # 6 · beyond a line
    choice("lc_mlp_width", "16", MLP_WIDTHS),
    integer("lc_mlp_depth", 1, 1, 3),
    choice("lc_mlp_steps", "1000", MLP_STEPS),
)
