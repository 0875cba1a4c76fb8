"""Declared settings of the data-and-shift page (pages/data_shift.py)."""

from __future__ import annotations

from lessons.shift import compute as data_shift
from ui.digits import DIGIT_CLASSES
from ui.images import photo_setting
from ui.state import PageState, choice, flag, integer

STATE = PageState(
    "shift_",
    photo_setting("shift_photo"),  # 1 · from file to tensor
    choice("shift_dataset", "mnist", None),  # 2 · bound to the data sets installed here (Fashion-MNIST is optional)
    choice("shift_online_set", "CIFAR10", list(data_shift.TORCHVISION_SETS)),
    choice("shift_shift", "rotation", list(data_shift.SHIFTS)),  # 4 · the controlled shift
    integer("shift_step", 3, 0, None),  # index into the chosen shift's amounts, bound to their count
    choice("shift_digit_class", "7", DIGIT_CLASSES),  # 4 · turn one digit yourself (ui.digits.digit_picker)
    integer("shift_digit_example", 1, 1, None),  # bound to how many held-out digits of the class there are
    integer("shift_digit_angle", 0, -180, 180, step=5),
    flag("shift_augment", False),
    integer("shift_augment_degrees", 180, 30, 180, step=30),
)
