"""Attribution: time per method on one 224-px photo; batched vs one-step-at-a-time integrated gradients (goal ≥ 3×)."""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from bench.report import print_table, verdict
from lessons.attribution import compute as attribution
from lessons.core import capture, data, preprocess, registry, runtime


def _timed(fn, repeats: int) -> float:
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
    parser.add_argument("--steps", type=int, default=32, help="integrated-gradients steps")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    runtime.configure_threads()

    rss_start_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    loaded = registry.fused_model(registry.load_model(args.model, "pretrained"))
    image = data.mnist_split()[2][0] if loaded.spec.family == "digits" else data.load_photo("coffee")
    x = preprocess.prepare_batch([image], loaded.spec)
    target = int(np.argmax(capture.predict(loaded, x)[0]))
    size = loaded.spec.input_size
    settings = attribution.Settings(layer=attribution.default_cam_layer(loaded), ig_steps=args.steps,
                                    window=attribution.default_window(size), stride=attribution.default_window(size))
    batch = attribution.grad_batch_size(loaded)
    attribution.integrated_gradients(loaded, x, target, 4)  # warm-up (first backward pass allocates)

    rows = []
    for result in attribution.attribute_all(loaded, x, target, settings):
        rows.append([attribution.METHOD_TITLES[result.method], result.note.split(";")[0], result.seconds])
    batched = _timed(lambda: attribution.integrated_gradients(loaded, x, target, args.steps,
                                                              internal_batch_size=batch), args.repeats)
    one_by_one = _timed(lambda: attribution.integrated_gradients(loaded, x, target, args.steps,
                                                                 internal_batch_size=1), args.repeats)
    rows.append(["Integrated gradients, batched", f"{args.steps} steps, {batch} per pass", batched])
    rows.append(["Integrated gradients, one step at a time", f"{args.steps} steps, 1 per pass", one_by_one])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{loaded.title} on {runtime.resolve_device(None)}, one {size}-px image, class {target}; "
          f"process peak memory {peak_mb:.0f} MB (started at {rss_start_mb:.0f} MB)")
    print_table(["method", "settings", "seconds"], rows)
    return verdict("attribution", "ig_batched_speedup", one_by_one / batched, ">=", 3.0)
