"""The pure helpers of the zoo benchmark: process-tree memory, time per network and phase, cells, table equality."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import pandas as pd

from bench import zoo as bench_zoo


def test_the_process_tree_includes_children_and_their_memory():
    child = subprocess.Popen([sys.executable, "-c", "import sys; b = bytearray(64 * 2**20); sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        for _ in range(200):  # until the child holds its 64 MiB
            if bench_zoo.rss_of(child.pid) > 60 * 2**20:
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert child.pid in bench_zoo.tree_pids(os.getpid()) and os.getpid() in bench_zoo.tree_pids(os.getpid())
        assert child.pid not in bench_zoo.tree_pids(child.pid + 10**7)
        assert bench_zoo.tree_rss() >= bench_zoo.rss_of(os.getpid()) + 60 * 2**20
    finally:
        child.communicate(b"")
    assert bench_zoo.rss_of(child.pid) == 0


def test_messages_are_sorted_into_phases():
    assert bench_zoo.phase_of("Fitting the readouts: layer stem (1 of 20), …") == "regression"
    assert bench_zoo.phase_of("Features of every layer: images 1–24 of 119 through EfficientNet-Lite1") == "features"
    assert bench_zoo.phase_of("Features and Gram matrices: precomputed, shipped with the app") == "features"
    assert bench_zoo.phase_of("Training: epoch 2 of 5") == "loading"


def test_time_is_charged_to_the_network_and_phase_of_the_earlier_message():
    ticks = itertools.count()
    clock = bench_zoo.MemberClock(clock=lambda: float(next(ticks)))  # one second between messages
    clock(0.0, "Lite (random): Features of every layer: images 1–24")
    clock(0.1, "Lite (random): Features of every layer: images 25–48")
    clock(0.3, "Lite (random): Fitting the readouts: layer stem")
    clock(0.5, "Digits (pretrained): Training: epoch 1")
    clock(0.9, "Digits (pretrained): Fitting the readouts: layer conv1")
    clock(1.0, "Zoo: 2 networks scored")
    clock(1.0, "Zoo: 2 networks scored")
    assert clock.seconds["Lite (random)"] == {"loading": 0.0, "features": 2.0, "regression": 1.0}
    assert clock.seconds["Digits (pretrained)"] == {"loading": 1.0, "features": 0.0, "regression": 1.0}
    assert set(clock.seconds) == {"Lite (random)", "Digits (pretrained)"}


def test_all_cells_when_the_data_set_has_fewer_than_asked():
    assert bench_zoo.n_cells_for(3000) is None
    assert bench_zoo.n_cells_for(5000) is None
    assert bench_zoo.n_cells_for(8000) == 5000


def test_tables_compare_equal_or_say_why_not():
    table = pd.DataFrame({"score": [0.1, 0.2]})
    assert bench_zoo.tables_identical(table, table.copy()) == (True, "")
    same, why = bench_zoo.tables_identical(table, pd.DataFrame({"score": [0.1, 0.3]}))
    assert not same and why
