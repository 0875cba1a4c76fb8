"""The simulated cortex: deterministic, cached, labelled, realistic reliabilities, and learnable from its own
generating features (far above a shuffled-stimulus null)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import torch

from lessons.cortex import brain_score
from lessons.cortex import data as neural_data
from lessons.cortex import simulated as sc


@pytest.fixture(scope="module")
def sim() -> sc.SimulatedCortex:
    return sc.simulate()


def test_layout_matches_the_allen_natural_scenes_set(sim):
    bundle = sim.bundle
    assert bundle.simulated and "Simulated" in bundle.name
    assert bundle.stimuli.shape == (118, *sc.IMAGE_SHAPE) and bundle.stimuli.dtype == np.uint8
    assert sc.IMAGE_SHAPE[1] / sc.IMAGE_SHAPE[0] == pytest.approx(1174 / 918, rel=0.01)
    assert bundle.n_conditions == 119 and bundle.blank_condition == 118
    assert bundle.n_cells == sc.N_CELLS and bundle.has_halves
    cells = bundle.cells
    assert set(cells["cortical_area"]) == set(neural_data.AREAS)
    assert set(cells["cortical_layer"]) == set(neural_data.LAYERS)
    assert cells.groupby("cortical_area").size().min() > 200
    assert cells["cell_specimen_id"].is_unique
    six = cells["cortical_layer"] == "6"
    assert (cells.loc[six, "cre_line"] == "Ntsr1-Cre_GN220").all()
    assert cells.loc[six, "imaging_depth"].min() >= 500 > cells.loc[~six, "imaging_depth"].max() - 1


def test_reliabilities_spread_realistically(sim):
    reliability = sim.bundle.cells["reliability"].to_numpy()
    assert 0.3 < np.median(reliability) < 0.75
    assert (reliability > 0.8).mean() > 0.1 and (reliability < 0.3).mean() > 0.1
    layer = sim.bundle.cells["cortical_layer"].to_numpy()
    assert np.median(reliability[layer == "6"]) < np.median(reliability[layer == "2/3"])


def test_blank_gives_no_drive_and_responses_are_sparse(sim):
    assert np.allclose(sim.drive[:, sim.bundle.blank_condition], 0)
    assert (sim.rate == 0).mean() > 0.3  # thresholded: many images leave a cell silent
    assert sim.bundle.responses.dtype == np.float32


def test_the_shipped_copy_equals_a_fresh_build(sim, tmp_path, monkeypatch):
    monkeypatch.setenv("ZERO_TO_BRAINS_CACHE", str(tmp_path))
    assert sc.shipped_path().is_file() and sc.is_stored()
    seen = []
    shipped = sc.load_or_build(progress=lambda f, m: seen.append((f, m)))
    assert seen == [(1.0, "Simulated cortex: read from the copy shipped with the app")]
    assert not sc.cache_path().exists()  # nothing was built
    fresh = sim.bundle
    np.testing.assert_array_equal(shipped.stimuli, fresh.stimuli)
    assert shipped.blank_condition == fresh.blank_condition and shipped.simulated and shipped.name == fresh.name
    for name in ("responses", "even", "odd"):  # float32 from FFTs: equal up to the last bits on another machine
        np.testing.assert_allclose(getattr(shipped, name), getattr(fresh, name), rtol=1e-4, atol=1e-6, err_msg=name)
    exact = [c for c in fresh.cells.columns if c not in ("reliability", "sim_snr")]
    pd.testing.assert_frame_equal(shipped.cells[exact], fresh.cells[exact], check_dtype=False)
    for column in ("reliability", "sim_snr"):  # rounded to 4 and 3 decimals
        np.testing.assert_allclose(shipped.cells[column], fresh.cells[column], atol=2e-3, err_msg=column)
    assert not np.array_equal(sc.make_stimuli(seed=1), fresh.stimuli)


def test_other_settings_are_built_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("ZERO_TO_BRAINS_CACHE", str(tmp_path))
    assert not sc.shipped_path(seed=3, n_cells=60).exists() and not sc.is_stored(seed=3, n_cells=60)
    built = sc.load_or_build(seed=3, n_cells=60)
    assert sc.cache_path(seed=3, n_cells=60).is_dir()
    again = sc.load_or_build(seed=3, n_cells=60)
    assert again.fingerprint == built.fingerprint
    np.testing.assert_array_equal(again.even, built.even)


@pytest.mark.parametrize("area", ["VISp", "VISam"])
def test_true_generating_features_predict_far_above_shuffled_stimuli(sim, area):
    bundle = sim.bundle
    cells = np.flatnonzero((bundle.cells["cortical_area"] == area).to_numpy()
                           & (bundle.cells["reliability"] > 0.5).to_numpy())[:150]
    layer = brain_score.gram_of(area, torch.from_numpy(sim.basis[area]))
    rng = np.random.default_rng(0)
    y = bundle.responses[cells].T
    result = brain_score.score_layer(layer, y, brain_score.kfold_indices(119, 10, 0), y[rng.permutation(119)],
                                     device="cpu")
    assert result.null.mean() < 0.02
    assert result.score.mean() - result.null.mean() > 0.1  # the whole area's subunits: hundreds to 60,000 features


def test_each_cells_own_generating_features_predict_it_well(sim):
    bundle = sim.bundle
    folds, order = brain_score.kfold_indices(119, 10, 0), np.random.default_rng(0).permutation(119)
    reliable = np.flatnonzero((bundle.cells["reliability"] > 0.7).to_numpy())
    chosen = np.random.default_rng(1).choice(reliable, size=20, replace=False)
    scores, nulls = [], []
    for cell in chosen:
        features = sim.generating_features(cell)
        assert np.allclose(features @ np.linalg.lstsq(features, sim.drive[cell], rcond=None)[0], sim.drive[cell])
        layer = brain_score.gram_of("own", torch.from_numpy(features))
        y = bundle.responses[[cell]].T
        result = brain_score.score_layer(layer, y, folds, y[order], device="cpu")
        scores.append(result.score[0])
        nulls.append(result.null[0])
    assert np.mean(scores) > 0.5 and np.mean(nulls) < 0.05


def test_an_empty_cache_builds_the_cortex_with_a_staged_progress_report(tmp_path, monkeypatch):
    monkeypatch.setenv("ZERO_TO_BRAINS_CACHE", str(tmp_path))
    seen = []
    bundle = sc.load_or_build(n_cells=60, progress=lambda f, m: seen.append((f, m)))
    fractions, messages = [f for f, _ in seen], [m for _, m in seen]
    assert len(set(messages)) >= 3 and all(m.startswith("Simulated cortex: ") for m in messages)
    assert all(b >= a for a, b in itertools.pairwise(fractions)) and fractions[0] < 0.1 and fractions[-1] == 1.0
    assert all(any(area in m for m in messages) for area in sc.AREA_MODELS)  # every area is a stage of its own
    assert any("saving" in m for m in messages) and not any("a few seconds" in m for m in messages)
    assert sc.is_stored(n_cells=60)
    again = []
    assert sc.load_or_build(n_cells=60, progress=lambda f, m: again.append((f, m))).fingerprint == bundle.fingerprint
    assert again == [(1.0, "Simulated cortex: read from the cache")]
