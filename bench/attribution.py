"""Attribution: the page's default view (four methods on one 224-px photo, the page's default settings) timed in a
worker thread as Streamlit runs a page; per-method seconds; batched vs one-step-at-a-time integrated gradients
(information: that speed-up is a goal on a GPU only, a CPU gains little from batching)."""

from __future__ import annotations

import argparse
import resource
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.report import print_table, verdict
from lessons.attribution import compute as attribution
from lessons.attribution import pipeline
from lessons.core import capture, data, memory, preprocess, registry, runtime
from ui.settings.attribution import STATE

GOAL_S = 3.0  # the default view, in a page's worker thread
GPU_SPEEDUP_GOAL = 3.0  # batched over one-step-at-a-time integrated gradients, on a GPU


def in_worker_thread(fn: Callable[[], Any]) -> Any:
    """Run `fn` in a fresh thread (as Streamlit runs each page script) and return its result or raise its error."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as error:  # noqa: BLE001 (re-raised in the caller's thread)
            box["error"] = error

    thread = threading.Thread(target=target, name="page-script")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def page_settings(loaded: registry.LoadedModel) -> attribution.Settings:
    """The settings the page starts with: its declared defaults, and the layer and window it binds for `loaded`."""
    size = loaded.spec.input_size
    default = {key: setting.default for key, setting in STATE.settings.items()}
    return attribution.Settings(layer=attribution.default_cam_layer(loaded),
                                noise_samples=default["attr_noise_samples"], noise_level=default["attr_noise_level"],
                                ig_steps=default["attr_ig_steps"], baseline=default["attr_baseline"],
                                window=attribution.default_window(size), stride=attribution.default_window(size))


def _timed(fn: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str]) -> bool:
    """Run the benchmark and print its table and verdict line."""
    parser = argparse.ArgumentParser(prog="python -m bench attribution", description=__doc__)
    parser.add_argument("--model", default=registry.DEFAULT_MODEL)
    parser.add_argument("--repeats", type=int, default=3, help="default views timed (the fastest counts)")
    args = parser.parse_args(argv)
    runtime.configure_threads()

    rss_start_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    loaded = registry.fused_model(registry.load_model(args.model, "pretrained"))
    image = data.mnist_split()[2][0] if loaded.spec.family == "digits" else data.load_photo("coffee")
    x = preprocess.prepare_batch([image], loaded.spec)
    target = int(np.argmax(capture.predict(loaded, x)[0]))
    size = loaded.spec.input_size
    settings = page_settings(loaded)
    attribution.integrated_gradients(loaded, x, target, 4)  # warm-up: imports Captum, first backward pass allocates

    def default_view() -> tuple[float, list[attribution.Attribution]]:
        start = time.perf_counter()
        results = pipeline.four_maps(loaded, x, target, settings, progress=lambda fraction, message: None)
        seconds = time.perf_counter() - start
        memory.release_freed_memory()  # as the page does after each job
        return seconds, results

    views = [in_worker_thread(default_view) for _ in range(args.repeats)]
    view_s, results = min(views, key=lambda view: view[0])
    rows = [[attribution.METHOD_TITLES[r.method], r.note.split(";")[0], r.seconds] for r in results]
    rows.append(["Default view (four methods, worker thread)", f"best of {args.repeats}", view_s])

    batch = attribution.grad_batch_size(loaded)
    steps = settings.ig_steps
    batched = in_worker_thread(lambda: _timed(lambda: attribution.integrated_gradients(
        loaded, x, target, steps, internal_batch_size=batch), 2))
    one_by_one = in_worker_thread(lambda: _timed(lambda: attribution.integrated_gradients(
        loaded, x, target, steps, internal_batch_size=1), 2))
    rows.append(["Integrated gradients, batched", f"{steps} steps, {batch} per pass", batched])
    rows.append(["Integrated gradients, one step at a time", f"{steps} steps, 1 per pass", one_by_one])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    device = runtime.resolve_device(None)
    print(f"{loaded.title} on {device}, one {size}-px image, class {target}; "
          f"process peak memory {peak_mb:.0f} MB (started at {rss_start_mb:.0f} MB)")
    print_table(["method", "settings", "seconds"], rows)
    speedup = one_by_one / batched
    print(f"Information: batched integrated gradients run {speedup:.2f}× as fast as one step at a time here "
          f"({device.type}); the goal of ≥ {GPU_SPEEDUP_GOAL:g}× applies on a GPU only"
          f"{'' if device.type == 'cpu' else ' — ' + ('met' if speedup >= GPU_SPEEDUP_GOAL else 'NOT met')}.")
    return verdict("attribution", "default_view_s", view_s, "<=", GOAL_S)
