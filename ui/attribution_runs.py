"""The attribution lesson's long computations in the page: each runs once behind a staged progress bar and is kept
for every session (the maps, the deletion curves, the sanity checks' maps), so the same settings come back at once.
Every job is a pure function of `lessons.attribution.pipeline`, started from one place: `_run`."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import torch

from lessons.attribution import compute as attribution
from lessons.attribution import pipeline, ranking
from lessons.core import preprocess, registry
from lessons.core.progress import Progress
from ui.images import PickedImage
from ui.models import load_with_progress
from ui.progress import progress_bar
from ui.result_store import shared_store

STORE = shared_store("attribution", 48)
Result = TypeVar("Result")


def engine(model_key: str, weights: registry.Weights) -> registry.LoadedModel:
    """The shared model with batch norm folded in (the fast path every method runs on)."""
    return registry.fused_model(registry.load_model(model_key, weights))


def model_input(loaded: registry.LoadedModel, picked: PickedImage) -> torch.Tensor:
    """The picked image as the network's normalised input batch of one."""
    return preprocess.prepare_batch([picked.array], loaded.spec)


def _run(first_message: str, job: Callable[[Progress], Result]) -> Result:
    """Run one heavy job behind a progress bar, then return the memory it freed to the system."""
    try:
        with progress_bar(first_message) as report:
            return job(report)
    finally:
        pipeline.release_freed_memory()


def _kept(key: Hashable, first_message: str, job: Callable[[Progress], Any]) -> Any:
    """The stored result for `key`, or computed now behind a progress bar and stored."""
    found = STORE.get(key)
    if found is None:
        found = _run(first_message, job)
        STORE.put(key, found)
    return found


def maps_key(model_key: str, weights: str, picked: PickedImage, target: int, settings: attribution.Settings,
             randomise_classifier: bool = False) -> tuple:
    """How the store files one set of four maps."""
    return "maps", model_key, weights, picked.image_id, target, settings, randomise_classifier


def maps(model_key: str, weights: registry.Weights, picked: PickedImage, target: int,
         settings: attribution.Settings) -> list[attribution.Attribution]:
    """The four maps for the picked image and class (method by method on a progress bar the first time)."""
    loaded = engine(model_key, weights)
    return _kept(maps_key(model_key, weights, picked, target, settings), "Computing the four attribution maps…",
                 lambda report: pipeline.four_maps(loaded, model_input(loaded, picked), target, settings, report))


def deletion(model_key: str, weights: registry.Weights, picked: PickedImage, target: int,
             settings: attribution.Settings, results: list[attribution.Attribution]) -> list[ranking.DeletionCurve]:
    """The deletion curves of the four maps and of a random map (map by map on a progress bar the first time)."""
    loaded = engine(model_key, weights)
    return _kept(("deletion", model_key, weights, picked.image_id, target, settings), "Deletion curve: starting…",
                 lambda report: pipeline.deletion(loaded, model_input(loaded, picked), target, results,
                                                  settings.baseline, report))


def sanity(model_key: str, weights: registry.Weights, picked: PickedImage, target: int,
           settings: attribution.Settings) -> dict[str, list[attribution.Attribution]] | None:
    """The four maps with the classifier layer re-drawn and on the random-weights twin; None when the twin cannot be
    loaded (the reason is on the page). Both stages share one progress bar the first time."""
    keys = {"random_classifier": maps_key(model_key, weights, picked, target, settings, randomise_classifier=True),
            "random": maps_key(model_key, "random", picked, target, settings)}
    found = {twin: STORE.get(key) for twin, key in keys.items()}
    missing = [twin for twin, value in found.items() if value is None]
    if "random" in missing and load_with_progress(model_key, "random") is None:
        return None
    if missing:
        engines = {twin: engine(model_key, "random" if twin == "random" else weights) for twin in missing}
        inputs = {twin: (loaded, model_input(loaded, picked)) for twin, loaded in engines.items()}
        computed = _run("Sanity check: starting…", lambda report: pipeline.sanity(inputs, target, settings, report))
        for twin, value in computed.items():
            STORE.put(keys[twin], value)
            found[twin] = value
    return found
