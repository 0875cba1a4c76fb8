"""The neural data bundle: a valid bundle loads from a folder, a zip and bytes; each malformed one is refused clearly."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from lessons.cortex import data as nd


def make_bundle(n_images: int = 6, n_cells: int = 5, blank: int | None = 6, halves: bool = True) -> nd.NeuralBundle:
    rng = np.random.default_rng(0)
    n_cond = n_images + (blank is not None)
    responses = rng.normal(size=(n_cells, n_cond)).astype(np.float32)
    cells = pd.DataFrame({
        "cell_specimen_id": 100 + np.arange(n_cells),
        "cortical_area": (["VISp", "VISl", "VISal", "VISrl", "VISpm", "VISam"] * n_cells)[:n_cells],
        "cortical_layer": (["2/3", "4", "5", "6"] * n_cells)[:n_cells],
        "imaging_depth": 175 + 10 * np.arange(n_cells),
        "cre_line": "Cux2-CreERT2",
        "reliability": np.linspace(0.1, 0.9, n_cells),
        "extra": "kept",
    })
    return nd.NeuralBundle(
        name="test", source="tests", simulated=True,
        stimuli=rng.integers(0, 255, size=(n_images, 12, 16), dtype=np.uint8), responses=responses, cells=cells,
        blank_condition=blank, even=responses + 0.1 if halves else None, odd=responses - 0.1 if halves else None,
        citation="none", license="CC0")


def members() -> dict[str, bytes]:
    return nd.to_members(make_bundle())


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def zipped(files: dict[str, bytes], folder: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(folder + name, data)
    return buffer.getvalue()


def test_valid_bundle_round_trips_through_folder_zip_and_bytes(tmp_path):
    bundle = make_bundle()
    for loaded in (nd.load_bundle(nd.save_bundle(bundle, tmp_path / "folder")),
                   nd.load_bundle(nd.save_bundle(bundle, tmp_path / "b.zip")),
                   nd.load_bundle(nd.to_zip_bytes(bundle)),
                   nd.load_bundle(zipped(nd.to_members(bundle), folder="my_bundle/"))):
        np.testing.assert_array_equal(loaded.stimuli, bundle.stimuli)
        np.testing.assert_array_equal(loaded.responses, bundle.responses)
        np.testing.assert_array_equal(loaded.even, bundle.even)
        assert loaded.cells["cortical_layer"].tolist() == bundle.cells["cortical_layer"].tolist()
        assert loaded.cells["extra"].eq("kept").all()
        assert loaded.simulated and loaded.blank_condition == 6 and loaded.name == "test"
        assert loaded.fingerprint == bundle.fingerprint


def test_conditions_images_and_subsets():
    bundle = make_bundle(blank=2)
    assert bundle.n_conditions == 7 and bundle.n_images == 6
    assert bundle.image_conditions.tolist() == [0, 1, 3, 4, 5, 6]
    images = bundle.condition_images()
    assert images.shape == (7, 12, 16) and (images[2] == nd.BLANK_GREY).all()
    np.testing.assert_array_equal(images[3], bundle.stimuli[2])
    assert bundle.condition_label(2) == "blank" and bundle.condition_label(3) == "image 2"
    sub = bundle.subset([4, 1])
    assert sub.cells["cell_specimen_id"].tolist() == [104, 101] and sub.responses.shape == (2, 7)
    np.testing.assert_array_equal(sub.even[0], bundle.even[4])


def test_halves_from_trials_and_computed_reliability():
    files = members()
    del files["responses_even.npy"], files["responses_odd.npy"]
    trials = np.random.default_rng(0).normal(size=(5, 7, 6)).astype(np.float32)
    trials[0, 0, 2] = np.nan  # a missing trial is fine
    files["trials.npy"] = npy(trials)
    cells = pd.read_csv(io.BytesIO(files["cells.csv"])).drop(columns="reliability")
    files["cells.csv"] = cells.to_csv(index=False).encode()
    bundle = nd.from_members(files)
    np.testing.assert_allclose(bundle.even[1], trials[1, :, 0::2].mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(bundle.even[0, 0], np.nanmean(trials[0, 0, 0::2]), rtol=1e-6)
    assert np.isfinite(bundle.cells["reliability"]).all()


def _cells_with(**changes) -> bytes:
    cells = pd.read_csv(io.BytesIO(members()["cells.csv"]), dtype={"cortical_layer": str})
    for column, value in changes.items():
        if value is None:
            cells = cells.drop(columns=column)
        else:
            cells[column] = value
    return cells.to_csv(index=False).encode()


def _meta_with(**changes) -> bytes:
    meta = json.loads(members()["bundle.json"])
    meta.update(changes)
    return json.dumps(meta).encode()


MALFORMED = {
    "no stimuli": ({"stimuli.npy": None}, "no stimuli.npy"),
    "no cell table": ({"cells.csv": None}, "no cells.csv"),
    "json broken": ({"bundle.json": b"{not json"}, "not valid JSON"),
    "wrong format tag": ({"bundle.json": _meta_with(format="other")}, '"format"'),
    "simulated flag missing": ({"bundle.json": _meta_with(simulated="yes")}, "simulated"),
    "colour stimuli": ({"stimuli.npy": npy(np.zeros((6, 12, 16, 3), np.uint8))}, "images × height × width"),
    "float stimuli out of range": ({"stimuli.npy": npy(np.full((6, 12, 16), 2.0))}, "[0, 1]"),
    "integer responses": ({"responses.npy": npy(np.zeros((5, 7), np.int64))}, "floating-point"),
    "NaN responses": ({"responses.npy": npy(np.where(np.eye(5, 7) > 0, np.nan, 0.0))}, "NaN"),
    "pickled responses": ({"responses.npy": npy(np.array([{"a": 1}] * 35, dtype=object).reshape(5, 7))},
                          "Python objects"),
    "text saved as .npy": ({"responses.npy": b"0.1,0.2,0.3\n0.4,0.5,0.6\n"}, "is not a NumPy array file"),
    "npz saved as .npy": ({"responses.npy": b"PK\x03\x04" + bytes(40)}, "is not a NumPy array file"),
    "condition count": ({"responses.npy": npy(np.zeros((5, 9), np.float32))}, "9 conditions"),
    "one half only": ({"responses_odd.npy": None}, "only one of"),
    "half of wrong shape": ({"responses_even.npy": npy(np.zeros((5, 6), np.float32))}, "has shape"),
    "row count": ({"cells.csv": _cells_with().replace(b"\n", b"\n", 1).rsplit(b"\n", 2)[0] + b"\n"}, "rows"),
    "missing column": ({"cells.csv": _cells_with(cre_line=None)}, "cre_line"),
    "duplicate id": ({"cells.csv": _cells_with(cell_specimen_id=[1, 1, 2, 3, 4])}, "more than once"),
    "unknown area": ({"cells.csv": _cells_with(cortical_area="V1")}, "unknown cortical_area V1"),
    "unknown layer": ({"cells.csv": _cells_with(cortical_layer="7")}, "unknown cortical_layer"),
    "bad depth": ({"cells.csv": _cells_with(imaging_depth="deep")}, "imaging_depth"),
    "reliability above one": ({"cells.csv": _cells_with(reliability=1.5)}, "cannot exceed 1"),
    "blank outside": ({"bundle.json": _meta_with(blank_condition=9),
                       "responses.npy": npy(np.zeros((5, 7), np.float32))}, "blank_condition 9"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_bundles_are_refused_with_a_clear_message(case):
    changes, expected = MALFORMED[case]
    files = members()
    for name, data in changes.items():
        if data is None:
            files.pop(name)
        else:
            files[name] = data
    with pytest.raises(nd.BundleError) as raised:
        nd.load_bundle(zipped(files))
    assert expected in str(raised.value), str(raised.value)


@pytest.mark.parametrize(("raw", "expected"), [(b"", "empty"), (b"PK\x03\x04 broken", "not a zip"),
                                               (b"plain text", "not a zip")])
def test_files_that_are_not_zips(raw, expected):
    with pytest.raises(nd.BundleError, match=expected):
        nd.load_bundle(raw)


def test_missing_path(tmp_path):
    with pytest.raises(nd.BundleError, match="no bundle"):
        nd.load_bundle(tmp_path / "nothing")
