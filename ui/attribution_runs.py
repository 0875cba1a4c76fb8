"""The attribution lesson's long computations in the page: each runs once and is kept for every session (the maps,
the deletion curves, the sanity checks' maps), so the same settings come back at once. Light work (the maps at the
default settings' cost, the deletion curves) runs in the page behind a staged progress bar; heavier work (dearer
settings, the sanity checks) waits its turn in the shared queue. Every job is a pure function of
`lessons.attribution.pipeline`, started from one place: `_kept`."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import torch

from lessons.attribution import compute as attribution
from lessons.attribution import pipeline, ranking
from lessons.core import jobs, memory, preprocess, registry
from lessons.core.progress import Progress
from ui.images import PickedImage
from ui.jobs import wait_for
from ui.models import load_with_progress
from ui.progress import progress_bar
from ui.result_store import shared_store

STORE = shared_store("attribution", 48)
WAITING = "waiting a moment for other students' maps to finish…"
Result = TypeVar("Result")


def engine(model_key: str, weights: registry.Weights) -> registry.LoadedModel:
    """The shared model with batch norm folded in (the fast path every method runs on)."""
    return registry.fused_model(registry.load_model(model_key, weights))


def model_input(loaded: registry.LoadedModel, picked: PickedImage) -> torch.Tensor:
    """The picked image as the network's normalised input batch of one."""
    return preprocess.prepare_batch([picked.array], loaded.spec)


def _released(job: Callable[[Progress], Result], report: Progress) -> Result:
    """Run one job, then return the memory it freed to the system."""
    try:
        return job(report)
    finally:
        memory.release_freed_memory()


def _kept(key: Hashable, title: str, job: Callable[[Progress], Any], light: bool) -> Any:
    """The stored result for `key`; or computed now behind a progress bar and stored (light work); or through the
    shared queue, the page stopping below the waiting panel until it is in."""
    found = STORE.get(key)
    if found is not None:
        return found
    if not light:
        return wait_for(STORE, key, title, lambda report: _released(job, report))
    with progress_bar(f"{title}…") as report, jobs.light_slot(lambda: report(0.0, f"{title}: {WAITING}")):
        found = _released(job, report)
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
    return _kept(maps_key(model_key, weights, picked, target, settings), "Computing the four attribution maps",
                 lambda report: pipeline.four_maps(loaded, model_input(loaded, picked), target, settings, report),
                 light=attribution.is_light(settings, loaded.spec.input_size))


def deletion(model_key: str, weights: registry.Weights, picked: PickedImage, target: int,
             settings: attribution.Settings, results: list[attribution.Attribution]) -> list[ranking.DeletionCurve]:
    """The deletion curves of the four maps and of a random map (map by map on a progress bar the first time)."""
    loaded = engine(model_key, weights)
    return _kept(("deletion", model_key, weights, picked.image_id, target, settings), "Deletion curves",
                 lambda report: pipeline.deletion(loaded, model_input(loaded, picked), target, results,
                                                  settings.baseline, report), light=True)


def sanity(model_key: str, weights: registry.Weights, picked: PickedImage, target: int,
           settings: attribution.Settings) -> dict[str, list[attribution.Attribution]] | None:
    """The four maps with the classifier layer re-drawn and on the random-weights twin; None when the twin cannot be
    loaded (the reason is on the page). Both stages run as one job in the shared queue the first time."""
    keys = {"random_classifier": maps_key(model_key, weights, picked, target, settings, randomise_classifier=True),
            "random": maps_key(model_key, "random", picked, target, settings)}
    found = {twin: STORE.get(key) for twin, key in keys.items()}
    missing = [twin for twin, value in found.items() if value is None]
    if "random" in missing and load_with_progress(model_key, "random") is None:
        return None
    if missing:
        engines = {twin: engine(model_key, "random" if twin == "random" else weights) for twin in missing}
        inputs = {twin: (loaded, model_input(loaded, picked)) for twin, loaded in engines.items()}
        computed = _kept(("sanity", *(keys[twin] for twin in missing)), "Sanity checks",
                         lambda report: pipeline.sanity(inputs, target, settings, report), light=False)
        for twin, value in computed.items():
            STORE.put(keys[twin], value)
            found[twin] = value
    return found
