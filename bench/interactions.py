"""Each lesson's main interaction, as a student does it in the browser (shared by the gallery and browser tests).

An interaction clicks or changes what a student would first try, then waits until the page has finished
computing. Lessons without an entry are looked at in their default state only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from bench.serve import wait_idle, wait_idle_async, wait_run_started_async
from lessons.core import data

if TYPE_CHECKING:
    from playwright.async_api import Page as AsyncPage
    from playwright.sync_api import Page

MAIN = '[data-testid="stMain"]'
#: Long enough for the slowest main action on 2 cores with a cold cache (building the default atlas).
ACTION_TIMEOUT_S = 300.0
#: Building the offline model zoo from a cold cache (twelve networks' features and readouts) on 2 cores.
ZOO_TIMEOUT_S = 900.0


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


def _model_zoo(page: Page) -> None:
    click_button(page, "Build the offline zoo", ZOO_TIMEOUT_S, unless_done=True)  # a built zoo shows at once


def show_hidden_results(page: Page, timeout_s: float = ACTION_TIMEOUT_S) -> int:
    """Skip every open prediction (its "Skip, just show me" button), so the results it hides are shown; returns how
    many were skipped."""
    skip = page.locator(f"{MAIN} button", has_text="Skip, just show me")
    skipped = 0
    while skip.count() and skipped < 20:
        skip.first.click()
        time.sleep(0.3)
        wait_idle(page, timeout_s)
        skipped += 1
    return skipped


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
    "model_zoo": _model_zoo,
    "inception_loop": lambda page: choose_option(page, "Cell", 1),
}


# ------------------------------------------------------------------ the classroom: many students at once (async API)


@dataclass(frozen=True)
class ClassroomTask:
    """What one student does on a lesson: open it from a link (its settings for one variant, so no two students
    ask for the same shared result), then do the lesson's main work (async Playwright)."""

    lesson: str  # url path
    link: Callable[[int], dict[str, str]]  # variant → query parameters
    act: Callable[[AsyncPage], Awaitable[None]]


#: A click on a busy server can be lost (no run follows): look this long for the work to start, then click again.
CLICK_TRIES, STARTED_WITHIN_S = 3, 10.0


async def click_button_async(page: AsyncPage, label: str, timeout_s: float = ACTION_TIMEOUT_S) -> None:
    """`click_button` for an async page: click the main area's button called `label` until its work is seen to
    start (a lost click is an error, not a quick success), then wait until the run and its queued work end."""
    for _ in range(CLICK_TRIES):
        await page.locator(f"{MAIN} button", has_text=label).first.click(timeout=timeout_s * 1000)
        if await wait_run_started_async(page, STARTED_WITHIN_S):
            await wait_idle_async(page, timeout_s)
            return
    raise RuntimeError(f"pressing {label!r} {CLICK_TRIES} times started no work")


async def _train_linear(page: AsyncPage) -> None:
    """Press Play and wait until training has reached its last step (Play comes back) and the page is idle."""
    play, pause = (page.locator(f"{MAIN} button", has_text=label) for label in ("Play", "Pause"))
    finished = page.locator(f"{MAIN} button:disabled", has_text="Play")  # Play is disabled at the last step
    started = pause.or_(finished).first
    # a click on a busy server can be lost: press again, as a student would — but never a Play that training has
    # meanwhile disabled (on a slow server a whole short run can pass between two looks)
    for attempt in range(CLICK_TRIES):
        try:
            await play.first.click(timeout=STARTED_WITHIN_S * 1000)
        except PlaywrightTimeoutError:
            pass  # not clickable: playing (Pause shows) or already finished
        try:
            await started.wait_for(state="visible", timeout=STARTED_WITHIN_S * 1000 * (attempt + 1))
            break
        except PlaywrightTimeoutError:
            if attempt == CLICK_TRIES - 1:
                raise
    deadline = time.monotonic() + ACTION_TIMEOUT_S
    while await pause.count() or not await play.count():  # each frame redraws the row: look, not wait for a node
        if time.monotonic() > deadline:
            raise TimeoutError("training was still playing when the time ran out")
        await asyncio.sleep(0.2)
    await wait_idle_async(page)


async def _nothing_more(page: AsyncPage) -> None:
    """The page's work runs when it opens (the cortex pipeline, the attribution maps)."""


def _attribution_link(variant: int) -> dict[str, str]:
    photos = data.photo_keys()
    level = 0.05 * (1 + (variant // len(photos)) % 10)  # SmoothGrad's noise costs the same at every level
    return {"attr_photo": photos[variant % len(photos)], "attr_noise_level": f"{level:.2f}"}


#: lesson url path → what a student does there in the classroom benchmark (small settings, a seed per variant).
CLASSROOM: dict[str, ClassroomTask] = {task.lesson: task for task in (
    ClassroomTask("linear_classifier", lambda v: {"lc_seed": str(v % 10000), "lc_spf": "20", "lc_max_steps": "200"},
                  _train_linear),
    ClassroomTask("activation_maximization", lambda v: {"am_steps": "8", "am_seed": str(v % 1000)},
                  lambda page: click_button_async(page, "Run")),
    ClassroomTask("activation_atlas", lambda v: {"atlas_images": "300", "atlas_grid": "8", "atlas_steps": "8",
                                                 "atlas_seed": str(v % 1000)},
                  lambda page: click_button_async(page, "Build the atlas")),
    # the simulated cortex has no seed: every student asks for the same scores, which the first run shares
    ClassroomTask("mouse_cortex", lambda v: {}, _nothing_more),
    ClassroomTask("attribution", _attribution_link, _nothing_more),
)}
