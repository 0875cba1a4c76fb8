"""Each lesson's main interaction, as a student does it in the browser (shared by the gallery and browser tests).

An interaction clicks or changes what a student would first try, then waits until the page has finished
computing. Lessons without an entry are looked at in their default state only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bench.serve import wait_idle

if TYPE_CHECKING:
    from playwright.sync_api import Page

MAIN = '[data-testid="stMain"]'
#: Long enough for the slowest main action on 2 cores with a cold cache (building the default atlas).
ACTION_TIMEOUT_S = 300.0


def click_button(page: Page, label: str, timeout_s: float = ACTION_TIMEOUT_S, *, unless_done: bool = False) -> None:
    """Click the main area's button called `label`, then wait for the page to finish its run. With `unless_done`,
    a missing button means the result is already shown (the server had it), and nothing is clicked."""
    button = page.locator(f"{MAIN} button", has_text=label)
    if unless_done and button.count() == 0:
        return
    button.first.click()
    time.sleep(0.3)  # let the rerun start before waiting for it to end
    wait_idle(page, timeout_s)


def choose_option(page: Page, label: str, option: str | int, timeout_s: float = ACTION_TIMEOUT_S) -> None:
    """Pick `option` (its text, or its place in the list) in the select box labelled `label`, then wait for the
    page to finish its run."""
    box = page.locator(f'{MAIN} [data-testid="stSelectbox"]', has_text=label).first
    box.scroll_into_view_if_needed()
    box.locator("input").click()
    options = page.locator('[role="option"]')
    (options.nth(option) if isinstance(option, int) else options.filter(has_text=option).first).click()
    time.sleep(0.3)
    wait_idle(page, timeout_s)


def tick_checkbox(page: Page, label: str, timeout_s: float = ACTION_TIMEOUT_S) -> None:
    """Tick the main area's checkbox called `label`, then wait for the page to finish its run."""
    page.locator(f'{MAIN} [data-testid="stCheckbox"]', has_text=label).first.locator("label").click()
    time.sleep(0.3)
    wait_idle(page, timeout_s)


def _linear_classifier(page: Page) -> None:
    page.locator(f"{MAIN} button", has_text="Play").first.click()
    time.sleep(3.0)  # let the line move for a few frames
    click_button(page, "Pause")


def _convolution(page: Page) -> None:
    choose_option(page, "Kernel", "Sobel")


def _inside_cnn(page: Page) -> None:
    choose_option(page, "Layer", "blocks.5")


def _activation_atlas(page: Page) -> None:
    click_button(page, "Build the atlas", unless_done=True)  # a prepared atlas shows without the button
    tick_checkbox(page, "Lay the same activations out with three n_neighbors values")


#: lesson url path → its main interaction.
INTERACTIONS: dict[str, Callable[[Page], None]] = {
    "linear_classifier": _linear_classifier,
    "convolution": _convolution,
    "inside_cnn": _inside_cnn,
    "data_shift": lambda page: tick_checkbox(page, "Also train a CNN with rotation augmentation"),
    "topographic_maps": lambda page: click_button(page, "Compare all six layouts", unless_done=True),
    "activation_maximization": lambda page: click_button(page, "Run"),
    "attribution": lambda page: tick_checkbox(page, "Run the sanity checks"),
    "mouse_cortex": lambda page: choose_option(page, "Layer for the close-ups below", 1),
    "activation_atlas": _activation_atlas,
}
