"""The activation atlas with a real network: icons beat random images on their direction, reproducible builds,
attribution, the digit network, and no hooks or changes on the shared model."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from lessons.atlas import compute as atlas
from lessons.atlas import pipeline as atlas_pipeline
from lessons.core import registry
from lessons.optvis import render as R

SMALL = atlas_pipeline.AtlasSettings(n_images=300, grid=6, min_count=3, steps=16, method="umap")


def untouched(loaded: registry.LoadedModel, before: dict[str, torch.Tensor]) -> None:
    assert R.hook_count(loaded.module) == 0 and not loaded.module.training
    for key, value in loaded.module.state_dict().items():
        assert torch.equal(value, before[key]), key


@pytest.fixture(scope="module")
def lite() -> registry.LoadedModel:
    return registry.load_model("efficientnet_lite0")


@pytest.fixture(scope="module")
def small_build(lite) -> tuple[atlas_pipeline.Atlas, list[float], dict[str, torch.Tensor]]:
    """The small atlas, built once for the module: the atlas, the progress it reported, the weights before it."""
    seen: list[float] = []
    before = {k: v.clone() for k, v in lite.module.state_dict().items()}
    return atlas_pipeline.build(lite, SMALL, progress=lambda f, m: seen.append(f)), seen, before


@pytest.fixture(scope="module")
def small_atlas(small_build) -> atlas_pipeline.Atlas:
    return small_build[0]


def test_small_atlas_has_consistent_parts_and_reports_progress(lite, small_build):
    result, seen, before = small_build
    k = len(result.cells.kept)
    assert 3 <= k <= 36
    assert result.activations.shape == (300, 112) and result.xy.shape == (300, 2)
    assert result.icons.images.shape == (k, 64, 64, 3) and result.attribution.shape == (k, 1000)
    assert 0.0 <= result.icons.images.min() and result.icons.images.max() <= 1.0
    assert all(result.cells.counts[r, c] >= 3 for r, c in result.cells.kept)
    assert seen == sorted(seen) and seen[-1] == 1.0 and set(result.seconds) == set(atlas_pipeline.STAGES)
    untouched(lite, before)


def test_an_icon_drives_its_own_cell_direction_more_than_random_images_do(lite, small_atlas):
    directions = atlas.cell_directions(small_atlas.activations, small_atlas.cells.means)
    icons = small_atlas.icons.images
    rng = np.random.default_rng(0)
    noise = rng.uniform(size=(8, 64, 64, 3)).astype(np.float32)
    own = atlas.direction_scores(lite, SMALL.layer, icons, directions)  # (K, K)
    random = atlas.direction_scores(lite, SMALL.layer, noise, directions)  # (8, K)
    diagonal = np.diag(own)
    assert (diagonal > random.max(axis=0)).mean() >= 0.9, (diagonal, random.max(axis=0))


def test_the_same_settings_build_the_same_atlas(lite, small_atlas):
    again = atlas_pipeline.build(lite, SMALL)
    np.testing.assert_array_equal(again.xy, small_atlas.xy)
    np.testing.assert_array_equal(again.cells.kept, small_atlas.cells.kept)
    np.testing.assert_allclose(again.icons.images, small_atlas.icons.images, atol=1e-5)


def test_cell_attribution_equals_the_rest_of_the_network_on_a_filled_map(lite, small_atlas):
    layer, k = SMALL.layer, 0
    _, h, w = lite.output_shapes[layer]
    baseline = small_atlas.activations.mean(axis=0)
    x = torch.from_numpy(np.stack([small_atlas.cells.means[k], baseline]).astype(np.float32))[:, :, None, None]
    x = x.expand(-1, -1, h, w).contiguous()
    after = lite.layer_names.index(layer) + 1
    with torch.inference_mode():
        for stage in lite.stages[after:]:
            x = stage.run(x)
    expected = (x[0] - x[1]).numpy()
    filled = atlas.cell_logit_attribution(lite, layer, small_atlas.cells.means, baseline)  # the app's recipe
    np.testing.assert_allclose(filled[k], expected, rtol=1e-4, atol=1e-4)
    totals = atlas_pipeline.class_totals(small_atlas)
    assert totals.shape == (1000,) and (totals >= 0).all() and totals.max() > 0
    first, second = np.argsort(-totals)[:2]
    favour_first, favour_second = atlas_pipeline.compare_classes(small_atlas, first, second)
    diff = small_atlas.attribution[:, first] - small_atlas.attribution[:, second]
    assert diff[favour_first].min() >= diff[favour_second].max()


def test_batched_and_one_at_a_time_inversion_agree_in_quality(lite, small_atlas):
    directions = atlas.cell_directions(small_atlas.activations, small_atlas.cells.means)[:3]
    settings = atlas_pipeline.icon_settings(lite, 16)
    batched = atlas.invert_cells(lite, SMALL.layer, directions, settings)
    single = atlas.invert_cells(lite, SMALL.layer, directions, settings, chunk=1)
    assert batched.images.shape == single.images.shape == (3, 64, 64, 3)
    np.testing.assert_allclose(batched.scores, single.scores, rtol=0.5)
    assert (batched.scores > 0).all() and (single.scores > 0).all()


def test_digit_atlas_and_concurrent_builds_on_the_shared_model():
    loaded = registry.load_model("digit_cnn")
    before = {k: v.clone() for k, v in loaded.module.state_dict().items()}
    settings = atlas_pipeline.AtlasSettings(model_key="digit_cnn", layer="relu2", n_images=400, grid=6, min_count=3,
                                            steps=8, method="tsne")
    serial = atlas_pipeline.build(loaded, settings)
    assert serial.icons.images.shape[1:] == (28, 28, 1) and serial.attribution.shape[1] == 10
    assert serial.sources.images.shape == (400, 28, 28, 1)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: atlas_pipeline.build(loaded, settings), range(3)))
    for result in results:
        np.testing.assert_array_equal(result.cells.kept, serial.cells.kept)
        np.testing.assert_allclose(result.icons.images, serial.icons.images, atol=1e-5)
    untouched(loaded, before)
