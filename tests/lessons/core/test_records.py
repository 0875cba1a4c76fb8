"""The record codec: finished results round-trip without pickle, and foreign or broken files load as None."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import numpy as np
import pytest

from lessons.atlas.data import Sources
from lessons.atlas.layout import Cells
from lessons.core import records


def test_nested_lesson_dataclasses_round_trip(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ZERO_TO_BRAINS_CACHE", str(tmp_path))
    sources = Sources(np.zeros((2, 4, 4, 3), np.uint8), np.array([0, 1]), ("cat", "dog"))
    cells = Cells(3, np.arange(5), np.ones((3, 3), int), np.array([[0, 1]]), np.ones((1, 8), np.float32), 2)
    value = {"sources": sources, "cells": cells, "seconds": {"layout": 1.5}, "names": ["a", "b"], "n": 3,
             "pair": (np.float32(0.5), None)}
    assert records.save_record("demo", ("key", 1), value)
    back = records.load_record("demo", ("key", 1))
    assert back["sources"].names == ("cat", "dog")
    assert np.array_equal(back["cells"].means, cells.means) and back["cells"].means.dtype == np.float32
    assert back["seconds"] == {"layout": 1.5} and back["names"] == ["a", "b"] and back["pair"] == (0.5, None)
    assert records.load_record("demo", ("key", 2)) is None


def test_objects_outside_the_lessons_are_refused() -> None:
    @dataclass
    class Elsewhere:
        x: int

    with pytest.raises(records.UnsupportedRecord):
        records.record_bytes(Elsewhere(1))
    with pytest.raises(records.UnsupportedRecord):
        records.record_bytes(object())


def test_a_file_naming_foreign_code_or_truncated_loads_as_none() -> None:
    tree = {"dataclass": "subprocess:Popen", "fields": {"args": {"value": "true"}}}
    buffer = io.BytesIO()
    np.savez(buffer, __tree__=np.frombuffer(json.dumps(tree).encode(), np.uint8))
    assert records.record_from_bytes(buffer.getvalue()) is None
    good = records.record_bytes({"x": np.arange(3)})
    assert records.record_from_bytes(good[: len(good) // 2]) is None
    assert np.array_equal(records.record_from_bytes(good)["x"], np.arange(3))


def test_keys_with_object_addresses_are_not_stable() -> None:
    assert records.stable_key(("efficientnet_lite0", "pretrained", 3))
    assert not records.stable_key((object(),))
