"""The topographic-maps pipeline: layout, maps, order, quality table; the trained digit MLP gives structured maps."""

from __future__ import annotations

import numpy as np
import pytest

from lessons.core.nets import mnist_mlp
from lessons.topomap import compute as topomap
from lessons.topomap import data as topomap_sources
from lessons.topomap import layouts as topomap_layouts
from lessons.topomap import pipeline as topomap_pipeline


def test_build_draws_one_map_per_class_blank_outside_the_hull():
    rng = np.random.default_rng(0)
    profiles = rng.normal(size=(40, 10))
    result = topomap_pipeline.build(profiles, "pca", refined=True)
    assert result.coords.shape == (40, 2) and result.maps.shape == (10, 100, 100)
    assert result.maps.dtype == np.float32 and sorted(result.order) == list(range(10))
    inside = np.isfinite(result.maps[0])
    assert 0.3 < inside.mean() < 1.0 and (np.isfinite(result.maps) == inside).all()
    assert (np.isfinite(result.interpolated) == np.isfinite(result.maps)).all()  # smoothing keeps the hull
    assert not np.allclose(np.nan_to_num(result.maps), np.nan_to_num(result.interpolated), atol=1e-3)  # smoothed
    # at every unit's own position the map shows that unit's value (linear interpolation is exact at the nodes)
    unit = int(np.argmin(np.abs(result.coords - 0.5).sum(axis=1)))
    gx, gy = np.rint(result.coords[unit] * 99).astype(int)
    assert np.isfinite(result.maps[:, gy, gx]).all()
    values = rng.normal(size=(40, 3))
    assert topomap_pipeline.build(profiles, "pca", values=values).maps.shape == (3, 100, 100)


def test_compare_layouts_scores_every_requested_method_stage_by_stage():
    profiles = np.random.default_rng(1).normal(size=(30, 10))
    seen: list[tuple[float, str]] = []
    comparison = topomap_pipeline.compare(profiles, ("pca", "graph", "force"),
                                          progress=lambda f, m: seen.append((f, m)))
    rows = comparison.rows
    names = [topomap_layouts.LAYOUTS[m] for m in ("pca", "graph", "force")] + [topomap_pipeline.CHANCE]
    assert [r["layout"] for r in rows] == names and list(comparison.maps) == names
    built = [topomap_pipeline.build(profiles, method) for method in ("pca", "graph", "force")]
    redrawn = [b.interpolated for b in built] + [topomap_pipeline.chance_maps(profiles, None, 0)]
    for row, maps in zip(rows, redrawn):  # each row holds the quality of that layout's own (unsmoothed) maps
        expected = topomap.quality(maps)
        assert {name: row[name] for name in expected} == pytest.approx(expected), row["layout"]
        assert row["seconds"] >= 0
    for b, name in zip(built, names):  # ...and the thumbnails are the maps as drawn
        np.testing.assert_array_equal(comparison.maps[name], b.maps)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0 and fractions[-1] == 1.0
    messages = " ".join(m for _, m in seen)  # every stage names the layout being computed
    assert all(f"Layout {i} of 3: Laying out 30 units by {name}" in messages for i, name in enumerate(names[:3], 1))
    assert "Random placement of the units (chance)" in messages
    assert [r["layout"] for r in topomap_pipeline.compare_layouts(profiles, ("pca",))] == ["PCA", names[-1]]


def test_trained_mlp_maps_are_smoother_than_a_random_layout_of_the_same_units():
    model, meta = mnist_mlp.load_or_train()
    assert meta["test_accuracy"] > 0.9
    source = topomap_sources.digit_activations(model, "relu1", per_class=50)
    profiles = topomap_sources.unit_profiles(source)
    laid_out = topomap_pipeline.build(profiles, "force")
    shuffled = np.random.default_rng(0).permutation(len(profiles))
    scrambled = topomap.topomaps(laid_out.coords[shuffled], profiles)  # same positions, units shuffled among them
    assert topomap.quality(laid_out.interpolated)["blur_auc"] < topomap.quality(scrambled)["blur_auc"]


def test_the_trained_pca_layout_beats_the_chance_row_and_the_sentence_says_so():
    model, _ = mnist_mlp.load_or_train()
    profiles = topomap_sources.unit_profiles(topomap_sources.digit_activations(model, "relu1", per_class=30))
    rows = {row["layout"]: row for row in topomap_pipeline.compare_layouts(profiles, ("pca",))}
    assert rows["PCA"]["blur_auc"] < rows[topomap_pipeline.CHANCE]["blur_auc"]
    assert "Every layout is smoother than the random placement" in topomap_pipeline.ranking_summary(rows)
