"""Unit tests of the HOG part of the Convolution lesson."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage.feature import hog as skimage_hog

from lessons.convolution import compute as convolution
from lessons.convolution import hog, template_matching
from lessons.core import data


@pytest.fixture(scope="module")
def camera() -> np.ndarray:
    return convolution.to_gray(data.load_photo("camera"))


@pytest.mark.parametrize(("ppc", "cpb", "orientations"), [(8, 2, 9), (6, 3, 12), (16, 1, 4), (4, 2, 18)])
def test_hog_shapes(camera, ppc, cpb, orientations):
    result = hog.hog_descriptor(camera, orientations, ppc, cpb)
    cells = (camera.shape[0] // ppc, camera.shape[1] // ppc)
    assert result.cells.shape == (*cells, orientations)
    assert result.features.shape == (cells[0] - cpb + 1, cells[1] - cpb + 1, cpb, cpb, orientations)
    assert result.drawing.shape == camera.shape
    flat = skimage_hog(camera, orientations=orientations, pixels_per_cell=(ppc, ppc),
                       cells_per_block=(cpb, cpb))
    assert flat.size == result.features.size


@pytest.mark.parametrize(("orientations", "ppc"), [(9, 8), (7, 5), (12, 6), (4, 10)])
def test_cell_histograms_match_scikit_image(camera, orientations, ppc):
    ours = hog.cell_histograms(camera, orientations, ppc)
    # with 1×1 blocks and L1 normalisation, scikit-image returns each cell's histogram divided by its sum (+1e-5)
    ref = skimage_hog(camera.astype(np.float64), orientations=orientations, pixels_per_cell=(ppc, ppc),
                      cells_per_block=(1, 1), block_norm="L1", feature_vector=False)[:, :, 0, 0, :]
    np.testing.assert_allclose(ours / (ours.sum(axis=-1, keepdims=True) + 1e-5), ref, atol=1e-6)


def test_a_vertical_edge_votes_for_the_0_degree_bin_and_a_horizontal_one_for_90():
    image = np.zeros((32, 32))
    image[:, 12:] = 1.0  # vertical edge inside the cells of columns 8–15
    cells = hog.cell_histograms(image, orientations=9, pixels_per_cell=8)
    edge_cell = cells[1, 1]
    assert np.argmax(edge_cell) == 0  # gradient points along the columns: 0–20°
    assert edge_cell[0] > 0 and np.all(edge_cell[1:] == 0)
    assert np.all(cells[:, 0] == 0) and np.all(cells[:, 2:] == 0)  # flat cells have no gradient
    horizontal = hog.cell_histograms(image.T.copy(), orientations=9, pixels_per_cell=8)[1, 1]
    assert np.argmax(horizontal) == 4  # 90° lies in the 80–100° bin
    diagonal = hog.cell_histograms(np.add.outer(np.arange(32.0), np.arange(32.0)) / 64, 8, 8)[1, 1]
    assert np.argmax(diagonal) == 2  # brighter down-right: 45° is the start of the 45–67.5° bin
    assert hog.strongest_cell(cells) in {(r, 1) for r in range(4)}


def test_bin_edges_and_gradients():
    np.testing.assert_allclose(hog.bin_edges(6), [0, 30, 60, 90, 120, 150, 180])
    g_row, g_col = hog.gradients(np.arange(25.0).reshape(5, 5))
    assert np.all(g_col[:, 1:-1] == 2) and np.all(g_col[:, [0, -1]] == 0)
    assert np.all(g_row[1:-1] == 10)


def test_hog_needs_one_block():
    with pytest.raises(ValueError, match="at least one block"):
        hog.hog_descriptor(np.zeros((20, 20)), 9, 8, 3)
    assert hog.fit_cells(32, 8, 2) == (8, 2)
    ppc, cpb = hog.fit_cells(12, 8, 2)
    assert 12 // ppc >= cpb


def test_correlation():
    a = np.arange(10.0)
    assert hog.correlation(a, 2 * a + 3) == pytest.approx(1.0)
    assert hog.correlation(a, -a) == pytest.approx(-1.0)
    assert hog.correlation(a, np.ones(10)) == 0.0


def test_hog_tolerates_small_shifts_better_than_its_own_edge_map_and_than_pixels_on_texture():
    texture = ndi.gaussian_filter(np.random.default_rng(1).random((120, 120)), 0.8).astype(np.float32)
    texture = (texture - texture.min()) / (texture.max() - texture.min())
    shifted = hog.tolerance(texture, 40, 40, 32, "shift", np.arange(0, 5))
    assert shifted.pixels[0] == pytest.approx(1.0) and shifted.hog[0] == pytest.approx(1.0)
    assert shifted.edges[0] == pytest.approx(1.0)
    assert shifted.hog[2] > shifted.pixels[2] + 0.2  # 2 pixels: fine texture decorrelates, its HOG much less
    assert shifted.hog[2] > shifted.edges[2]


def test_tolerance_on_a_photo_under_rotation(camera):
    row, col = template_matching.distinctive_spot(camera, 32)
    turned = hog.tolerance(camera, row, col, 32, "rotation", np.array([0, 5, 10, 20]))
    assert turned.hog[0] == pytest.approx(1.0, abs=1e-6) and turned.pixels[0] == pytest.approx(1.0, abs=1e-6)
    assert np.all(np.diff(turned.edges) < 0)  # the more it turns, the less alike
    assert np.all(turned.hog[1:3] > turned.edges[1:3] + 0.1)  # a few degrees: HOG keeps much more than edges
    with pytest.raises(ValueError):
        hog.tolerance(camera, 0, 0, 32, "zoom", np.array([1]))


# ------------------------------------------------------------------------------------------ tolerance in words
def test_tolerance_summary_when_hog_wins_as_the_textbook_expects():
    text = hog.tolerance_summary("shift", 2, pixels=0.72, edges=0.47, hog_similarity=0.88)
    assert text.startswith("After a 2-pixel shift: raw pixels **0.72**, edge map **0.47**, HOG **0.88**")
    assert "**HOG tolerated the shift better than raw pixels**" in text
    assert "kept **0.16** more correlation (0.88 vs 0.72)" in text
    assert "HOG kept **0.41** more than the edge map it is built from (0.88 vs 0.47)" in text
    assert "The edge map dropped most (0.47), as the textbook expects." in text
    assert "did not" not in text and "against the textbook" not in text


def test_tolerance_summary_says_so_when_hog_does_not_win():
    text = hog.tolerance_summary("rotation", 10, pixels=0.79, edges=0.81, hog_similarity=0.67)
    assert text.startswith("After a 10° turn: raw pixels **0.79**, edge map **0.81**, HOG **0.67**")
    assert "**HOG did not tolerate the turn better than raw pixels**" in text
    assert "the raw pixels kept **0.12** more correlation (0.79 vs 0.67)" in text
    assert "HOG kept **0.14** less than the edge map" in text and "did not win tolerance back" in text
    assert "The edge map was not the most fragile here, against the textbook expectation" in text
    assert "HOG dropped most (0.67)" in text
    assert "tolerated the turn better" not in text


def test_tolerance_summary_compares_the_numbers_as_shown():
    # 0.801 and 0.799 both show as 0.80: a tie on screen is a tie in the text
    text = hog.tolerance_summary("shift", 2, pixels=0.801, edges=0.799, hog_similarity=0.7996)
    assert "**HOG and raw pixels tolerated the shift equally** (both 0.80)" in text
    assert "HOG kept exactly as much as the edge map it is built from (both 0.80)" in text
    assert "The edge map dropped most, tied with raw pixels and HOG (0.80)" in text
    assert "-0.00" not in hog.tolerance_summary("shift", 2, -0.001, 0.5, 0.5)
    with pytest.raises(ValueError, match="shift"):
        hog.tolerance_summary("zoom", 2, 0.5, 0.5, 0.5)


# ------------------------------------------------------------------------------------------- the page's helpers
def test_blocks_fit_needs_one_block_of_cells():
    assert hog.blocks_fit((32, 40), 8, 4) and hog.blocks_fit((16, 16), 16, 1)
    assert not hog.blocks_fit((31, 100), 8, 4) and not hog.blocks_fit((100, 15), 16, 1)
    hog.hog_descriptor(np.zeros((32, 40)), 9, 8, 4)  # what fits is accepted by the descriptor too
    with pytest.raises(ValueError):
        hog.hog_descriptor(np.zeros((31, 100)), 9, 8, 4)


def test_cell_patch_is_the_cells_pixels():
    image = np.arange(40 * 48, dtype=np.float32).reshape(40, 48)
    np.testing.assert_array_equal(hog.cell_patch(image, 2, 3, 8), image[16:24, 24:32])
    assert hog.cell_patch(image, 4, 5, 8).shape == (8, 8)


def test_tolerance_amounts_and_the_verdict_at_the_probe_step(camera):
    np.testing.assert_array_equal(hog.tolerance_amounts("shift"), np.arange(9))
    np.testing.assert_array_equal(hog.tolerance_amounts("rotation"), [0, 5, 10, 15, 20, 25, 30, 35, 40, 45])
    with pytest.raises(ValueError):
        hog.tolerance_amounts("zoom")
    assert hog.tolerance_amounts("shift")[hog.PROBE_STEP] == 2
    assert hog.tolerance_amounts("rotation")[hog.PROBE_STEP] == 10
    row, col = template_matching.distinctive_spot(camera, 32)
    measured = hog.tolerance(camera, row, col, 32, "rotation", hog.tolerance_amounts("rotation"))
    verdict = hog.tolerance_verdict(measured, "rotation")
    assert verdict.startswith("After a 10° turn")
    assert verdict == hog.tolerance_summary("rotation", 10, measured.pixels[2], measured.edges[2], measured.hog[2])
