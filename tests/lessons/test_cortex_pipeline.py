"""The brain-score pipeline on the simulated cortex: the simulation's known hierarchy comes out, trained weights beat
random ones on VISp, results are reproducible and far above the shuffled null."""

from __future__ import annotations

import numpy as np
import pytest

from lessons import brain_score, compute, cortex_pipeline as cp, simulated_cortex

MODEL = "efficientnet_lite0"


@pytest.fixture(scope="module")
def bundle():
    return simulated_cortex.load_or_build()


@pytest.fixture(scope="module")
def reliable(bundle):
    cells = bundle.cells
    picked = []
    for _, group in cells[cells["reliability"] > 0.6].groupby("cortical_area"):
        picked.extend(group.index[:90])
    return np.sort(np.array(picked))


@pytest.fixture(scope="module")
def grams(bundle):
    return {w: cp.layer_grams(bundle, MODEL, w) for w in ("pretrained", "random")}


@pytest.fixture(scope="module")
def results(bundle, grams, reliable):
    return {w: cp.score_cells(g, bundle, reliable) for w, g in grams.items()}


def test_brain_layers_skip_norms_flattens_and_pre_relu_convolutions():
    assert cp.brain_layers(compute.load_model(MODEL, "random")) == compute.load_model(MODEL, "random").layer_names
    alex = cp.brain_layers(compute.load_model("alexnet", "random"))
    assert "features.0" not in alex and "features.1" in alex and "features.2" in alex and "flatten" not in alex
    resnet = cp.brain_layers(compute.load_model("resnet18", "random"))
    assert "bn1" not in resnet and resnet[:3] == ["conv1", "relu", "maxpool"]


def test_extraction_reports_stages_in_order_and_is_deterministic(bundle):
    small = bundle.subset(np.arange(5))
    loaded = compute.load_model("digit_cnn", "random")
    images = small.condition_images()[:9]
    seen = []
    first = cp.extract_grams(loaded, images, progress=lambda stage, f, m: seen.append((stage, f)), image_batch=4)
    second = cp.extract_grams(loaded, images, image_batch=9)
    stages = [s for s, _ in seen]
    assert stages[0] == "extraction" and "projection" in stages
    assert stages.index("projection") > stages.index("extraction")
    assert all(b >= a for (_, a), (_, b) in zip(seen, seen[1:]))  # the bar only moves forward
    for a, b in zip(first.grams, second.grams):
        np.testing.assert_allclose(a.gram, b.gram, rtol=1e-4, atol=1e-6)  # same projection, any batching
    dims = dict(zip(first.layers, (g.dim for g in first.grams)))
    assert first.layers[0] == "relu1"  # conv1 is represented by its ReLU
    assert dims["relu1"] == brain_score.jl_dim(9) < first.feature_dims[0] == 8 * 28 * 28
    assert dims["fc"] == 10  # fewer features than that: kept as they are


def test_simulated_hierarchy_visp_peaks_earlier_than_higher_areas(results):
    best = results["pretrained"].best_layer_by_area()
    layers = results["pretrained"].layers
    visp = layers.index(best["VISp"])
    assert visp < layers.index(best["VISpm"]) and visp < layers.index(best["VISam"]), best


def test_pretrained_beats_random_on_visp(results):
    def visp_score(result):
        table = result.area_layer_table()
        return table[table["area"] == "VISp"]["score"].max()

    assert visp_score(results["pretrained"]) > visp_score(results["random"]) + 0.02


def test_scores_are_far_above_the_shuffled_null(results):
    table = results["pretrained"].cell_table()
    assert table["score"].mean() > 0.1
    assert table["shuffled_null"].mean() < 0.03
    assert table["score"].mean() - table["shuffled_null"].mean() > 0.1


def test_scores_are_reproducible_for_a_fixed_seed(bundle, grams, reliable, results):
    again = cp.score_cells(grams["pretrained"], bundle, reliable)
    np.testing.assert_array_equal(again.score, results["pretrained"].score)
    np.testing.assert_array_equal(again.null, results["pretrained"].null)
    other = cp.score_cells(grams["pretrained"], bundle, reliable[:40], seed=1)
    assert not np.array_equal(other.score, results["pretrained"].score[:, :40])


def test_tables(results):
    result = results["pretrained"]
    table = result.cell_table()
    assert list(table.columns[:6]) == ["cell_specimen_id", "cortical_area", "cortical_layer", "imaging_depth",
                                       "cre_line", "reliability"]
    assert {"best_layer", "score", "shuffled_null", "normalised_score", "alpha", "constant_prediction"} <= set(table)
    assert set(table["best_layer"]) <= set(result.layers)
    long = result.area_layer_table()
    assert len(long) == 6 * len(result.layers) and long["depth"].between(0, 1).all()
    layer, value = result.model_score()
    assert layer in result.layers and value == pytest.approx(result.score.mean(axis=1).max())
    assert result.predictions.shape == (len(result.layers), 119, len(table))


def test_select_cells_is_proportional_and_reproducible(bundle):
    chosen = cp.select_cells(bundle, 250)
    assert len(chosen) == 250 and np.array_equal(chosen, cp.select_cells(bundle, 250))
    areas = bundle.cells["cortical_area"].to_numpy()
    assert set(areas[chosen]) == set(areas)
    assert len(cp.select_cells(bundle, None)) == bundle.n_cells


def test_rsa(bundle, grams, reliable):
    result = cp.rsa(grams["pretrained"], bundle, reliable)
    assert result.similarity.shape == (6, len(result.layers)) and np.isfinite(result.similarity).all()
    rdm = result.area_rdms["VISp"]
    assert rdm.shape == (118, 118) and np.allclose(rdm, rdm.T, atol=1e-10)
    assert result.layer_rdms["blocks.5"].shape == (118, 118)
    assert result.area_ceiling["VISp"] > 0.2
    assert result.similarity.max() > 0.1
