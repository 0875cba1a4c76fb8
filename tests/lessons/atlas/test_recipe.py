"""The atlas's two recipes (Carter et al.'s published one and this app's variant) and its computed sentences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lessons.atlas import compute as atlas
from lessons.atlas import layout as atlas_layout
from lessons.atlas import pipeline as atlas_pipeline
from lessons.core import registry

DIGITS = {"model_key": "digit_cnn", "layer": "relu2", "n_images": 200, "grid": 5, "min_count": 3, "steps": 8,
          "method": "tsne"}


@pytest.fixture(scope="module")
def digit_cnn() -> registry.LoadedModel:
    return registry.load_model("digit_cnn")


@pytest.fixture(scope="module")
def both_recipes(digit_cnn) -> dict[str, atlas_pipeline.Atlas]:
    return {key: atlas_pipeline.build(digit_cnn, atlas_pipeline.AtlasSettings(**DIGITS, recipe=key))
            for key in atlas_pipeline.RECIPES}


def test_the_published_recipe_is_raw_umap_50_005_with_gradient_attribution_and_keys_the_cache():
    carter, app = atlas_pipeline.RECIPES["carter"], atlas_pipeline.RECIPES["app"]
    assert (carter.whitened, carter.n_neighbors, carter.min_dist, carter.attribution) == (False, 50, 0.05, "gradient")
    assert app.whitened and app.attribution == "filled_map"
    first = atlas_pipeline.AtlasSettings(recipe="carter")
    assert first != atlas_pipeline.AtlasSettings(recipe="app") and hash(first) == hash(atlas_pipeline.AtlasSettings())


def test_whitening_is_applied_only_in_the_apps_recipe_and_both_are_reproducible(digit_cnn, both_recipes):
    carter, app = both_recipes["carter"], both_recipes["app"]
    np.testing.assert_array_equal(carter.activations, app.activations)  # same points, different layouts
    assert not np.allclose(carter.xy, app.xy)
    raw = atlas_layout.normalise(atlas_layout.layout(carter.activations, "tsne", DIGITS_NEIGHBORS, 0.05,
                                                     whitened=False))
    np.testing.assert_array_equal(carter.xy, raw)
    again = atlas_pipeline.build(digit_cnn, atlas_pipeline.AtlasSettings(**DIGITS, recipe="app"))
    np.testing.assert_array_equal(again.xy, app.xy)
    np.testing.assert_array_equal(again.attribution, app.attribution)


DIGITS_NEIGHBORS = atlas_pipeline.AtlasSettings().n_neighbors


def test_the_recipes_attribute_cells_differently(digit_cnn, both_recipes):
    carter, app = both_recipes["carter"], both_recipes["app"]
    assert carter.attribution.shape == (len(carter.cells.kept), 10) and app.attribution.shape[1] == 10
    expected = atlas.cell_logit_attribution(digit_cnn, "relu2", app.cells.means, app.activations.mean(axis=0))
    np.testing.assert_allclose(app.attribution, expected, rtol=1e-5, atol=1e-5)
    # the published attribution is not the filled-map evidence of the same cells
    filled = atlas.cell_logit_attribution(digit_cnn, "relu2", carter.cells.means, carter.activations.mean(axis=0))
    assert not np.allclose(carter.attribution, filled, atol=1e-3)


def test_gradient_attribution_equals_activation_times_the_autograd_gradient(digit_cnn):
    sources = atlas_pipeline.atlas_images(atlas_pipeline.AtlasSettings(**{**DIGITS, "n_images": 6}))
    maps = atlas.layer_maps(digit_cnn, sources.images, "relu2")
    acts, positions = atlas.sample_positions(maps, seed=1)
    fast = atlas.gradient_attribution(digit_cnn, "relu2", maps, positions, batch=4)
    rest = digit_cnn.stages[digit_cnn.layer_names.index("relu2") + 1:]
    for i in range(len(maps)):
        h = torch.from_numpy(maps[i:i + 1].copy()).requires_grad_(True)
        x = h
        for stage in rest:
            x = stage.run(x)
        for c in (0, 3, 9):
            (grad,) = torch.autograd.grad(x[0, c], h, retain_graph=True)
            exact = float((grad[0, :, positions[i, 0], positions[i, 1]].numpy() * acts[i]).sum())
            assert fast[i, c] == pytest.approx(exact, rel=2e-2, abs=5e-3)


def test_cell_average_equals_a_brute_force_mean():
    rng = np.random.default_rng(0)
    xy, values = rng.uniform(size=(200, 2)), rng.normal(size=(200, 3))
    cells = atlas_layout.grid_cells(xy, values, grid=4, min_count=5)
    averaged = atlas_layout.cell_average(cells, values)
    for k in range(len(cells.kept)):
        np.testing.assert_allclose(averaged[k], values[cells.members(k)].mean(axis=0), rtol=1e-5)


def test_an_unknown_recipe_is_refused_with_a_clear_message(digit_cnn):
    with pytest.raises(ValueError, match="unknown recipe"):
        atlas_pipeline.build(digit_cnn, atlas_pipeline.AtlasSettings(**DIGITS, recipe="whatever"))


# ------------------------------------------------------------------------------------ computed sentences
KEPT = np.array([[0, 0], [0, 1], [2, 2], [3, 3]])


def test_region_sentence_says_one_place_several_or_none():
    one = atlas.class_regions(np.array([1.0, 0.8, 0.1, -1.0]), KEPT, grid=4)
    assert one == [2] and "one connected region" in atlas.class_region_summary("cat", one)
    several = atlas.class_regions(np.array([1.0, 0.1, 0.9, 0.6]), KEPT, grid=4)
    assert several == [1, 1, 1]
    text = atlas.class_region_summary("cat", several)
    assert "**3 separate regions**" in text and "one connected" not in text
    assert atlas.class_regions(np.array([-1.0, -0.5, 0.0, -2.0]), KEPT, grid=4) == []
    assert "no positive evidence" in atlas.class_region_summary("cat", [])


def test_shared_cells_sentence_flips_when_no_cell_raises_both():
    first, second = np.array([1.0, 0.5, -1.0, 0.2]), np.array([0.3, 0.9, 2.0, -0.1])
    shared = atlas.shared_cells(first, second)
    assert shared.tolist() == [1, 0]
    text = atlas.shared_cells_summary("cat", "dog", shared, KEPT)
    assert "**2 of 4 cells** raise both" in text and "row 1, column 2" in text
    none = atlas.shared_cells(first, -first)
    assert len(none) == 0 and "No cell raises both" in atlas.shared_cells_summary("cat", "dog", none, KEPT)
    assert "two different classes" in atlas.shared_cells_summary("cat", "cat", shared, KEPT)


def test_cost_sentence_names_the_slowest_stage():
    text = atlas_pipeline.cost_summary({"images": 1.0, "activations": 2.0, "layout": 1.0, "icons": 6.0,
                                        "attribution": 0.0})
    assert "took 10 s" in text and "**icons** (6.0 s, 60% of the time)" in text
    text = atlas_pipeline.cost_summary({"images": 1.0, "activations": 7.0, "layout": 1.0, "icons": 1.0,
                                        "attribution": 0.0})
    assert "**activations** (7.0 s, 70%" in text


def test_neighbours_sentence_names_the_best_or_a_tie():
    assert "n_neighbors = 5 keeps neighbourhoods best here (0.950), n_neighbors = 50 worst (0.900)" in \
        atlas_pipeline.neighbours_summary({5: 0.95, 20: 0.93, 50: 0.90})
    assert "n_neighbors = 50 keeps neighbourhoods best" in atlas_pipeline.neighbours_summary({5: 0.9, 20: 0.93, 50: 0.95})
    assert "equally well" in atlas_pipeline.neighbours_summary({5: 0.9501, 20: 0.9499, 50: 0.9502})
