"""What the atlas page shows of a built atlas, on a small hand-made one: class ranking, a cell's strongest classes,
cells serving two classes, timings, each point's source, another layout of the same points, and upload digests."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lessons.atlas import compute as atlas
from lessons.atlas import data as atlas_sources
from lessons.atlas import layout as atlas_layout
from lessons.atlas import pipeline as atlas_pipeline


def _atlas(attribution: np.ndarray, counts: tuple[int, ...] = (10, 1, 4)) -> atlas_pipeline.Atlas:
    """A 2×2-grid atlas whose kept cells (0, 0), (0, 1), (1, 0) hold `counts` points; three classes."""
    kept = np.array([[0, 0], [0, 1], [1, 0]])[:len(attribution)]
    assignment = np.repeat([r * 2 + c for r, c in kept], counts[:len(kept)])
    n = len(assignment)
    grid_counts = np.zeros((2, 2), int)
    for (r, c), count in zip(kept, counts):
        grid_counts[r, c] = count
    rng = np.random.default_rng(0)
    acts = rng.normal(size=(n, 6)).astype(np.float32)
    cells = atlas_layout.Cells(2, assignment, grid_counts, kept, np.zeros((len(kept), 6)), 1)
    sources = atlas_sources.Sources(np.zeros((n, 8, 8, 3), np.uint8), np.arange(n) % 2, ("coffee", "rocket"))
    icons = atlas.Icons(np.zeros((len(kept), 4, 4, 3), np.float32), np.zeros(len(kept), np.float32))
    settings = atlas_pipeline.AtlasSettings(grid=2, min_count=1, seed=3, recipe="app")
    return atlas_pipeline.Atlas(settings, sources, acts, rng.uniform(size=(n, 2)), cells, icons,
                                np.asarray(attribution, np.float64), {"layout": 2.0, "images": 0.5})


def test_display_names_prefix_digits_only():
    assert atlas_pipeline.display_names(("0", "7"), digits=True) == ["digit 0", "digit 7"]
    assert atlas_pipeline.display_names(("goldfish",), digits=False) == ["goldfish"]


def test_classes_are_ranked_by_positive_evidence_weighted_by_point_counts():
    # unweighted, class 1 would lead (5 > 1); weighted by the cells' 10 and 1 points, class 0 does (10 > 5)
    result = _atlas(np.array([[1.0, 0.0, -5.0], [0.0, 5.0, -1.0]]), counts=(10, 1))
    assert atlas_pipeline.ranked_classes(result) == [0, 1, 2]


def test_a_cells_strongest_classes_come_with_their_evidence():
    result = _atlas(np.array([[1.0, 0.0, -5.0], [0.5, 5.0, -1.0]]), counts=(10, 1))
    assert atlas_pipeline.strongest_classes(result, 1, ["a", "b", "c"], k=2) == [("b", 5.0), ("a", 0.5)]


def test_cells_serving_both_classes_strongest_shared_first_else_the_closest():
    shared = _atlas(np.array([[2.0, 1.0, 0.0], [3.0, 4.0, 0.0], [5.0, -1.0, 0.0]]))
    cells, truly = atlas_pipeline.cells_serving_both(shared, 0, 1)
    assert truly and list(cells) == [1, 0]  # cell 1 serves both by 3, cell 0 by 1; cell 2 not class 1
    apart = _atlas(np.array([[2.0, -1.0, 0.0], [-1.0, 3.0, 0.0], [-0.5, -0.5, 0.0]]))
    cells, truly = atlas_pipeline.cells_serving_both(apart, 0, 1, k=1)
    assert not truly and list(cells) == [2]  # no cell is positive for both; cell 2 is off the bottom of both


def test_timing_summary_follows_the_build_order():
    assert atlas_pipeline.timing_summary({"layout": 2.0, "images": 0.54}) == "images 0.5 s, layout 2.0 s"


def test_point_sources_name_the_picture_of_every_point():
    result = _atlas(np.zeros((3, 3)), counts=(2, 1, 1))
    assert atlas_pipeline.point_sources(result) == ["coffee", "rocket", "coffee", "rocket"]


@pytest.mark.parametrize("recipe", ["app", "carter"])
def test_alternative_layout_redoes_the_recipes_umap_on_the_same_points(recipe):
    result = replace(_atlas(np.zeros((3, 3)), counts=(20, 20, 20)),
                     settings=atlas_pipeline.AtlasSettings(grid=2, seed=3, recipe=recipe))
    whitened = atlas_pipeline.RECIPES[recipe].whitened
    xy, trust = atlas_pipeline.alternative_layout(result, 10, 0.1)
    expected = atlas_layout.layout(result.activations, "umap", 10, 0.1, seed=3, whitened=whitened)
    np.testing.assert_allclose(xy, atlas_layout.normalise(expected), atol=1e-6)
    assert trust == pytest.approx(atlas_layout.trustworthiness(result.activations, expected, whitened=whitened))
    assert 0.0 <= trust <= 1.0 and xy.min() >= 0.0 and xy.max() <= 1.0


def test_uploads_digest_depends_on_contents_and_order_not_names():
    one = atlas_sources.uploads_digest([("a.png", b"first"), ("b.zip", b"second")])
    assert len(one) == 16 and int(one, 16) >= 0
    assert atlas_sources.uploads_digest([("x.png", b"first"), ("y.zip", b"second")]) == one
    assert atlas_sources.uploads_digest([("b.zip", b"second"), ("a.png", b"first")]) != one
    assert atlas_sources.uploads_digest([("a.png", b"first!"), ("b.zip", b"second")]) != one


def test_comparing_layouts_reports_one_stage_per_n_neighbors_and_keeps_each_result():
    result = _atlas(np.zeros((3, 3)), counts=(20, 20, 20))
    seen = []
    layouts = atlas_pipeline.compare_layouts(result, (5, 12), 0.1, progress=lambda f, m: seen.append((f, m)))
    assert [f for f, _ in seen] == [0.0, 0.5, 1.0]
    assert "n_neighbors = 5 (1 of 2)" in seen[0][1] and "n_neighbors = 12 (2 of 2)" in seen[1][1]
    assert list(layouts) == [5, 12]
    xy, trust = atlas_pipeline.alternative_layout(result, 12, 0.1)
    np.testing.assert_allclose(layouts[12][0], xy)
    assert trust == layouts[12][1]
    table = atlas_pipeline.comparison_table(result, layouts)
    assert list(table.columns) == ["n_neighbors", "trustworthiness", "point", "source", "x", "y"]
    assert len(table) == 2 * len(result.xy) and table["n_neighbors"].tolist()[-1] == 12


def test_layout_table_gives_every_point_its_source_place_and_cell():
    result = _atlas(np.zeros((3, 3)), counts=(2, 1, 1))
    table = atlas_pipeline.layout_table(result)
    assert table["source"].tolist() == ["coffee", "rocket", "coffee", "rocket"]
    np.testing.assert_allclose(table[["x", "y"]].to_numpy(), result.xy, rtol=1e-6)
    rows, cols = atlas_layout.cell_of(result.xy, 2).T
    assert table["row"].tolist() == list(rows + 1) and table["column"].tolist() == list(cols + 1)


def test_icon_grid_puts_each_icon_in_its_cell_and_nan_elsewhere():
    icons = np.stack([np.full((4, 4, 3), v, np.float32) for v in (0.2, 0.5, 0.9)])
    grid = atlas.icon_grid(icons, np.array([[0, 0], [0, 1], [1, 0]]), 2)
    assert grid.shape == (2, 2, 4, 4, 3)
    assert grid[0, 1].max() == grid[0, 1].min() == 0.5 and grid[1, 0, 0, 0, 0] == pytest.approx(0.9)
    assert np.isnan(grid[1, 1]).all()
