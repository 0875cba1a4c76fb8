"""The Convolution page's declared settings: what a shared link restores, with defaults and allowed values."""

from __future__ import annotations

from lessons.convolution.compute import FILTERS_1D, PADDINGS, SIGNAL_SAMPLES, SIGNALS
from lessons.convolution.hog import CELL_SIZES
from lessons.convolution.kernels import kernel_keys
from lessons.convolution.template_matching import SMALLEST_TEMPLATE, TEMPLATE_STEP
from ui.images import photo_setting
from ui.state import PageState, Setting, choice, flag, integer, number, text

#: Sides of a hand-made kernel (the editor's radio, as strings so a link can carry them).
EDITOR_SIDES = ("3", "5")
#: Movements the tolerance curves try.
TOLERANCE_KINDS = ("shift", "rotation")


def place(key: str) -> Setting:
    """A position in the image or in a grid (row, column, cell): its range and default are bound on the page.

    No default is declared, so nothing is seeded before the page knows the image (a link's value is kept)."""
    return Setting(key, "int", None, low=0)


STATE = PageState(
    "conv_",
    # 1 · a filter sliding along a signal
    choice("conv_signal", "step", SIGNALS),
    choice("conv_filter1d", "box", FILTERS_1D),
    integer("conv_width1d", 5, 1, 21, step=2),
    number("conv_sigma1d", 2.0, 0.5, 6.0, step=0.5),
    integer("conv_position", SIGNAL_SAMPLES // 2, 0, SIGNAL_SAMPLES - 1),
    # 2 · kernels on a photo
    photo_setting("conv_photo", "camera"),
    choice("conv_kernel", "gaussian", kernel_keys()),
    integer("conv_size", 5, 3, 15, step=2),
    number("conv_sigma", 1.0, 0.5, 8.0, step=0.1),
    choice("conv_padding", "reflect", PADDINGS),
    flag("conv_flip", False),
    flag("conv_edit", False),
    choice("conv_editor_side", EDITOR_SIDES[0], EDITOR_SIDES),
    flag("conv_normalise", False),
    text("conv_kernel_numbers", ""),  # the hand-made kernel as typed (`kernels.kernel_text`); "" when not editing
    # 3 · one output pixel (reset to a distinctive pixel of each new image)
    place("conv_row"),
    place("conv_col"),
    # 4 · padding, stride and kernel size
    integer("conv_sb_n", 7, 3, 12),
    integer("conv_sb_k", 3, 1, 7),
    integer("conv_sb_p", 1, 0, 3),
    integer("conv_sb_s", 1, 1, 3),
    integer("conv_sb_d", 1, 1, 3),
    place("conv_sb_i"),
    place("conv_sb_j"),
    # 5 and 6 · template matching and where it fails (the template resets to a distinctive spot of each new image)
    Setting("conv_tpl_size", "int", None, low=SMALLEST_TEMPLATE, step=TEMPLATE_STEP),
    place("conv_tpl_row"),
    place("conv_tpl_col"),
    integer("conv_matches", 3, 1, 5),
    integer("conv_angle", 0, -60, 60, step=5),
    number("conv_scale", 1.0, 0.6, 1.5, step=0.05),
    # 7 · histograms of oriented gradients
    integer("conv_hog_bins", 9, 4, 18),
    choice("conv_hog_cell", "8", [str(side) for side in CELL_SIZES]),
    integer("conv_hog_block", 2, 1, 4),
    place("conv_cell_row"),
    place("conv_cell_col"),
    choice("conv_tol_kind", TOLERANCE_KINDS[0], TOLERANCE_KINDS),
)

#: Settings that start again from the new image's own default when the image changes (another photo or an upload).
FOLLOW_THE_IMAGE = ("conv_row", "conv_col", "conv_tpl_row", "conv_tpl_col")
