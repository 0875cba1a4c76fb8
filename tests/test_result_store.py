"""The shared result store: bounded, least-recently-used out first, safe under threads."""

from __future__ import annotations

import threading

from ui.result_store import ResultStore


def test_store_keeps_recent_results_and_drops_the_oldest():
    store = ResultStore(max_entries=2)
    store.put("a", 1)
    store.put("b", 2)
    assert store.get("a") == 1  # "a" is now the most recent
    store.put("c", 3)
    assert "b" not in store and store.get("a") == 1 and store.get("c") == 3
    calls = []
    assert store.get_or_compute("d", lambda: calls.append(1) or 4) == 4
    assert store.get_or_compute("d", lambda: calls.append(1) or 5) == 4 and calls == [1]


def test_store_under_many_threads():
    store = ResultStore(max_entries=50)
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        barrier.wait()
        for i in range(200):
            store.put((n, i), i)
            store.get((n, i - 1))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(store._items) == 50


def test_a_persistent_store_outlives_the_process_and_a_memory_store_does_not(tmp_path, monkeypatch):
    monkeypatch.setenv("ZERO_TO_BRAINS_CACHE", str(tmp_path))
    import numpy as np

    first = ResultStore(max_entries=4, disk_group="demo")
    first.put(("layer", 3), {"map": np.arange(4.0)})
    again = ResultStore(max_entries=4, disk_group="demo")  # a restarted server
    assert np.array_equal(again.get(("layer", 3))["map"], np.arange(4.0))
    assert ("layer", 3) in again and ("layer", 4) not in again
    memory_only = ResultStore(max_entries=4)
    memory_only.put(("layer", 3), 1)
    assert ResultStore(max_entries=4).get(("layer", 3)) is None
    assert not list((tmp_path / "results").glob("*/*.npz"))[1:]  # one record: the persistent store's
