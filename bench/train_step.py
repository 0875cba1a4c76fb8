"""Time per rendered frame of the linear-classifier animation (goal: at most 50 ms).

A frame is what the page's fragment does on every tick, except the browser's drawing: the optimiser steps of one
frame, the probability field, the loss landscape with its minima, and the three Vega-Lite specs with their data made
ready to send.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import report
from lessons.linear import compute as lc
from lessons.linear import data as ld
from ui import linear_charts as charts

GOAL_MS = 50.0
FRAMES = 40


def streamlit_payload(spec: dict[str, Any]) -> int:
    """Do to a spec what st.vega_lite_chart does before sending it (Arrow-encode the datasets, stabilise the JSON);
    return the message size in bytes."""
    from streamlit.elements import vega_charts
    from streamlit.proto.VegaLiteChart_pb2 import VegaLiteChart

    proto = VegaLiteChart()
    prepared = vega_charts._prepare_vega_lite_spec(spec, use_container_width=False)
    vega_charts._marshall_chart_data(proto, prepared, None)
    proto.spec = vega_charts._stabilize_vega_json_spec(json.dumps(prepared))
    return proto.ByteSize()


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, 1000 * (time.perf_counter() - start)


def main(argv: list[str]) -> bool:
    """Run the benchmark and print its table and verdict."""
    points, labels = ld.make_dataset("xor", noise=0.2, seed=0)
    _, _, ids = ld.apply_edits(points, labels, ld.Edits())
    config = lc.TrainConfig(optimiser="adam", lr=0.05, max_steps=FRAMES * lc.STEPS_PER_FRAME + 100)
    trainer = lc.Trainer(points, labels, config)
    extent = lc.view_extent(points)
    parts: dict[str, list[float]] = {"optimiser steps": [], "field, boundary, landscape, minima": [],
                                     "datasets + specs": [], "Streamlit encoding (Arrow + JSON)": [], "frame": []}
    size = 0
    for n in range(FRAMES + 2):
        start = time.perf_counter()
        _, steps_ms = _timed(lambda: trainer.run(lc.STEPS_PER_FRAME))
        frame, frame_ms = _timed(lambda: lc.make_frame(trainer, extent))
        specs, specs_ms = _timed(lambda: charts.frame_specs(frame, trainer.history, points, labels, ids,
                                                            config.max_steps))
        size, encode_ms = _timed(lambda: sum(streamlit_payload(s) for s in (specs.field, specs.curves,
                                                                             specs.landscape)))
        total_ms = 1000 * (time.perf_counter() - start)
        if n >= 2:  # the first two frames build the chart templates once
            for key, value in zip(parts, (steps_ms, frame_ms, specs_ms, encode_ms, total_ms)):
                parts[key].append(value)
    median = {key: statistics.median(values) for key, values in parts.items()}
    print(f"{FRAMES} frames of {lc.STEPS_PER_FRAME} Adam steps on {len(points)} points (XOR); field "
          f"{lc.FIELD_CELLS}², landscape {lc.LANDSCAPE_CELLS[0]}×{lc.LANDSCAPE_CELLS[1]}; "
          f"{size / 1024:.0f} KiB sent per frame")
    report.print_table(["component", "median ms", "share of 50 ms"],
                       [[key, value, f"{value / GOAL_MS:.0%}"] for key, value in median.items()])
    print(f"frame / budget = {median['frame'] / GOAL_MS:.2f}")
    return report.verdict("train_step", "frame_ms", median["frame"], "<=", GOAL_MS)
