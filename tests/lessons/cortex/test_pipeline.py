"""The brain-score pipeline on the simulated cortex: the simulation's known hierarchy comes out, trained weights beat
random ones on VISp, results are reproducible and far above the shuffled null."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from lessons.core import registry
from lessons.cortex import brain_score
from lessons.cortex import pipeline as cp
from lessons.cortex import simulated as simulated_cortex

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
    assert cp.brain_layers(registry.load_model(MODEL, "random")) == registry.load_model(MODEL, "random").layer_names
    alex = cp.brain_layers(registry.load_model("alexnet", "random"))
    assert "features.0" not in alex and "features.1" in alex and "features.2" in alex and "flatten" not in alex
    resnet = cp.brain_layers(registry.load_model("resnet18", "random"))
    assert "bn1" not in resnet and resnet[:3] == ["conv1", "relu", "maxpool"]


def test_the_shipped_gram_matrices_equal_a_fresh_extraction(bundle, grams):
    from lessons.cortex import shipped

    for weights in shipped.SHIPPED_WEIGHTS:
        assert shipped.grams_file(weights).is_file(), weights
        loaded = registry.load_model(MODEL, weights)
        first = cp.brain_layers(loaded)[:4]  # the same seeds as in the full run: layers keep their positions
        fresh = cp.extract_grams(loaded, bundle.condition_images(), first)
        for layer, gram in zip(first, fresh.grams):
            kept = grams[weights].gram(layer)
            assert kept.dim == gram.dim
            scale = np.abs(gram.gram).max()
            np.testing.assert_allclose(kept.gram, gram.gram, rtol=1e-4, atol=1e-5 * scale, err_msg=layer)
            np.testing.assert_allclose(kept.sums, gram.sums, rtol=1e-4, atol=1e-5 * np.abs(gram.sums).max() + 1e-9)
    assert grams["pretrained"].feature_dims == [int(np.prod(loaded.output_shapes[n])) for n in loaded.layer_names]


def test_score_subset_is_the_page_s_one_call(bundle, grams):
    seen = []
    found_grams, scores = cp.score_subset(bundle, MODEL, "random", 60, shuffles=4,
                                          progress=lambda f, m: seen.append(f))
    assert found_grams.layers == grams["random"].layers
    cells = cp.select_cells(bundle, 60)
    assert scores.shuffles == 4 and len(scores.cells) == 60
    expected = cp.score_cells(grams["random"], bundle, cells, shuffles=4)
    np.testing.assert_allclose(scores.score, expected.score)
    assert seen[-1] == 1.0 and all(b >= a for a, b in itertools.pairwise(seen))


def test_extraction_reports_stages_in_order_and_is_deterministic(bundle):
    small = bundle.subset(np.arange(5))
    loaded = registry.load_model("digit_cnn", "random")
    images = small.condition_images()[:9]
    seen = []
    first = cp.extract_grams(loaded, images, progress=lambda f, m: seen.append((m.split(":")[0], f)), image_batch=4)
    second = cp.extract_grams(loaded, images, image_batch=9)
    stages = [s for s, _ in seen]
    assert stages[0] == "Features of every layer" and "Projection" in stages and stages[-1] == "Gram matrices"
    assert stages.index("Projection") > stages.index("Features of every layer")
    assert all(b >= a for (_, a), (_, b) in itertools.pairwise(seen))  # the bar only moves forward
    assert all(0.0 <= f < 1.0 for _, f in seen)  # fractions of this step alone
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


def test_scores_are_far_above_chance_through_the_same_selection(results):
    result = results["pretrained"]
    table = result.cell_table()
    assert table["score"].mean() > 0.1
    assert result.null_best_scores().mean() < 0.03  # shuffled cells, each at its own best layer
    assert table["score"].mean() - result.null_best_scores().mean() > 0.1
    verdict = result.model_verdict()
    assert verdict.above_chance and verdict.p == pytest.approx(1 / (result.shuffles + 1))
    assert verdict.words.startswith("above chance")
    assert table["above_chance"].mean() > 0.5  # reliable cells: most of them are called above chance


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
    assert {"best_layer", "score", "score_at_model_layer", "p_value", "above_chance", "normalised_score", "alpha",
            "constant_prediction"} <= set(table)
    assert table["p_value"].between(0, 1).all()
    assert table["score_at_model_layer"].mean() == pytest.approx(result.model_score()[1])
    assert set(table["best_layer"]) <= set(result.layers)
    long = result.area_layer_table()
    assert len(long) == 6 * len(result.layers) and long["depth"].between(0, 1).all()
    layer, value = result.model_score()
    assert layer in result.layers and value == pytest.approx(result.score.mean(axis=1).max())
    assert result.predictions.shape == (len(result.layers), 119, len(table))
    summary = result.area_summary()
    assert list(summary["area"]) == list(dict.fromkeys(long["area"]))
    weighted = (summary["score_at_model_layer"] * summary["cells"]).sum() / summary["cells"].sum()
    assert weighted == pytest.approx(value)  # the per-area table adds up to the headline
    assert (summary["score_at_own_best_layer"] >= summary["score_at_model_layer"]).all()
    shuffled_best = [result.null[:, k, c].max() for k in range(result.shuffles) for c in range(result.null.shape[2])]
    assert result.chance_after_selection() == pytest.approx(np.mean(shuffled_best))
    assert result.chance_after_selection() > result.layer_chance().max()  # picking the best layer flatters noise


def test_run_reports_one_progress_from_zero_to_one(bundle, grams, reliable):
    seen = []
    cp.run(bundle, MODEL, "pretrained", reliable[:30], shuffles=5, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert seen[0] == (pytest.approx(0.8), "Features and Gram matrices: precomputed, shipped with the app")
    assert all(b >= a for a, b in itertools.pairwise(fractions)) and fractions[-1] == 1.0
    assert any(m.startswith("Fitting the readouts: layer") and 0.8 <= f < 1.0 for f, m in seen)


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


def _no_signal(bundle, cells, kind, seed):
    """The chosen cells with responses that carry no stimulus signal: permuted against the images, or noise."""
    part = bundle.subset(cells)
    rng = np.random.default_rng(seed)
    if kind == "permuted":
        responses = part.responses[:, rng.permutation(part.n_conditions)]
    else:
        responses = rng.normal(size=part.responses.shape).astype(part.responses.dtype)
    return dataclasses.replace(part, responses=responses)


@pytest.mark.parametrize(("kind", "seed"), [("permuted", 0), ("permuted", 1), ("gaussian", 2)])
def test_no_signal_bundles_are_called_no_better_than_chance(bundle, grams, kind, seed):
    cells = cp.select_cells(bundle, 250, seed=seed)
    silent = _no_signal(bundle, cells, kind, seed)
    for weights in ("pretrained", "random"):
        result = cp.score_cells(grams[weights], silent)
        assert not result.model_verdict().above_chance
        assert result.model_verdict().words.startswith("no better than chance")
        assert result.cells_above_chance().mean() <= 0.10


def test_too_few_shuffles_can_never_call_a_model_above_chance(bundle, grams, reliable):
    few = cp.score_cells(grams["pretrained"], bundle, reliable[:60], shuffles=5)
    assert few.shuffles == 5 and few.model_verdict().p == pytest.approx(1 / 6)
    assert not few.model_verdict().above_chance  # 5 shuffles can never reach p ≤ 0.05: honest, not "above"


def test_an_empty_cache_scores_stage_by_stage(tmp_path, monkeypatch):
    from tests.lessons.cortex.test_data import make_bundle

    monkeypatch.setenv("ZERO_TO_BRAINS_CACHE", str(tmp_path))
    seen = []
    cp.run(make_bundle(n_images=30, n_cells=8), "digit_cnn", "random", shuffles=5,
           progress=lambda f, m: seen.append((f, m)))
    stages = list(dict.fromkeys(m.split(":")[0] for _, m in seen))
    assert stages == ["Features of every layer", "Projection", "Gram matrices", "Fitting the readouts", "Done"]
    fractions = [f for f, _ in seen]
    assert all(b >= a for a, b in itertools.pairwise(fractions)) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any(m.startswith("Features of every layer: images 25–31 of 31") for _, m in seen)  # batches of 24


def test_grams_on_disk_knows_shipped_cached_and_missing_grams(bundle, tmp_path, monkeypatch):
    from tests.lessons.cortex.test_data import make_bundle

    monkeypatch.setenv("ZERO_TO_BRAINS_CACHE", str(tmp_path))
    assert cp.grams_on_disk(bundle, registry.load_model(registry.DEFAULT_MODEL, "pretrained"))  # shipped
    small = make_bundle(n_images=30, n_cells=8)
    digits = registry.load_model("digit_cnn", "random")
    assert not cp.grams_on_disk(small, digits)
    cp.layer_grams(small, "digit_cnn", "random")
    assert cp.grams_on_disk(small, digits)  # now in the disk cache
