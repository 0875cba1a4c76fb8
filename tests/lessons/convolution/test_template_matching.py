"""Unit tests of template matching: NCC against scikit-image, planted templates, peaks, rotation and scale."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage.feature import match_template

from lessons.convolution import compute as convolution
from lessons.convolution import template_matching as tm
from lessons.convolution.template_matching import TemplateError
from lessons.core import data


def _texture(shape: tuple[int, int] = (90, 120), seed: int = 3) -> np.ndarray:
    """Smooth random texture in [0, 1]: every window has contrast, nothing repeats exactly."""
    noise = np.random.default_rng(seed).random(shape)
    smooth = ndi.gaussian_filter(noise, 1.5)
    return ((smooth - smooth.min()) / (smooth.max() - smooth.min())).astype(np.float32)


@pytest.fixture(scope="module")
def camera() -> np.ndarray:
    return convolution.to_gray(data.load_photo("camera"))


def test_ncc_equals_skimage_match_template_on_texture():
    image = _texture()
    for row, col, size in [(10, 20, 16), (40, 70, 24), (0, 0, 9), (60, 85, 30)]:
        template = tm.extract(image, row, col, size)
        ours = tm.ncc_map(image, template, device="cpu")
        ref = match_template(image.astype(np.float64), template.astype(np.float64))
        assert ours.shape == ref.shape == (90 - size + 1, 120 - size + 1)
        np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_ncc_equals_skimage_on_a_photo_wherever_the_window_is_not_flat(camera):
    template = tm.extract(camera, 100, 110, 32)
    ours = tm.ncc_map(camera, template)
    ref = match_template(camera.astype(np.float64), template.astype(np.float64))
    window_std = np.sqrt(np.maximum(
        ndi.uniform_filter(camera.astype(np.float64) ** 2, 32, origin=(-16, -16))
        - ndi.uniform_filter(camera.astype(np.float64), 32, origin=(-16, -16)) ** 2, 0))[:ref.shape[0], :ref.shape[1]]
    textured = window_std > 0.01
    assert textured.mean() > 0.95
    np.testing.assert_allclose(ours[textured], ref[textured], atol=1e-4)
    assert np.all(np.abs(ours) <= 1.0)


def test_a_planted_template_is_found_at_its_exact_place():
    image = _texture((100, 140), seed=11)
    pattern = _texture((20, 20), seed=99)
    image[37:57, 81:101] = pattern
    scores = tm.ncc_map(image, pattern)
    best = tm.best_match(scores)
    assert (best.row, best.col) == (37, 81)
    assert best.score == pytest.approx(1.0, abs=1e-5)
    peaks = tm.match_peaks(scores, pattern.shape, 4)
    assert peaks[0] == best
    assert all(p.score < 0.9 for p in peaks[1:])  # nothing else looks like it


def test_ncc_ignores_brightness_and_contrast_changes():
    image = _texture((80, 80), seed=5)
    template = image[20:40, 30:50].copy()
    brighter = 0.2 + 0.5 * image
    np.testing.assert_allclose(tm.ncc_map(brighter, template), tm.ncc_map(image, template), atol=1e-4)
    inverted = tm.ncc_map(1 - image, template)
    assert inverted[20, 30] == pytest.approx(-1.0, abs=1e-4)


def test_peaks_are_kept_apart_by_non_maximum_suppression():
    scores = np.zeros((50, 50))
    scores[10, 10], scores[11, 11], scores[30, 35], scores[10, 16] = 0.9, 0.89, 0.8, 0.7
    peaks = tm.match_peaks(scores, (8, 8), 3)
    assert [(p.row, p.col) for p in peaks[:2]] == [(10, 10), (30, 35)]  # (11, 11) is suppressed by (10, 10)
    for a in peaks:
        for b in peaks:
            if a is not b:
                assert max(abs(a.row - b.row), abs(a.col - b.col)) > 4
    # in a 3×3 map of a 3×3 template only the four corners overlap each other by less than half a template
    assert {(p.row, p.col) for p in tm.match_peaks(np.zeros((3, 3)), (3, 3), 9)} == {(0, 0), (0, 2), (2, 0), (2, 2)}


def test_flat_or_oversized_templates_are_explained():
    image = _texture()
    with pytest.raises(TemplateError, match="flat"):
        tm.ncc_map(image, np.full((10, 10), 0.5, np.float32))
    with pytest.raises(TemplateError, match="bigger than the image"):
        tm.ncc_map(image, _texture((100, 10)))
    flat_area = image.copy()
    flat_area[:30, :30] = 0.5
    scores = tm.ncc_map(flat_area, image[40:50, 40:50])
    assert np.all(scores[:21, :21] == 0)  # windows with no contrast score 0, not noise


def test_transform_moves_points_where_the_image_content_goes():
    image = np.zeros((80, 100), np.float32)
    image[20, 70] = 1.0
    for angle, scale in [(0, 1), (30, 1), (-45, 1), (0, 1.3), (20, 0.8)]:
        moved = tm.transform_image(ndi.gaussian_filter(image, 2), angle, scale)
        r, c = np.unravel_index(np.argmax(moved), moved.shape)
        expect = tm.transform_point(image.shape, 20, 70, angle, scale)
        assert abs(r - expect[0]) <= 1 and abs(c - expect[1]) <= 1, (angle, scale)
    # counter-clockwise on screen: a point right of the centre moves up
    up = tm.transform_point((81, 101), 40, 90, angle=90)
    assert up == pytest.approx((0.0, 50.0), abs=1e-9)
    assert tm.transform_image(image, 0, 1).shape == image.shape


def test_rotation_lowers_the_peak_score_and_loses_the_place(camera):
    row, col = tm.distinctive_spot(camera, 32)
    template = tm.extract(camera, row, col, 32)
    assert 16 <= row <= camera.shape[0] - 48 and 16 <= col <= camera.shape[1] - 48
    angles = np.array([0, 5, 10, 20, 30, 45])
    sweep = tm.rotation_sweep(camera, row, col, 32, angles)
    assert sweep.peak[0] == pytest.approx(1.0, abs=1e-5) and sweep.found[0]
    assert np.all(sweep.peak[1:] < 0.99)
    assert sweep.peak[3:].max() < sweep.peak[:2].min()  # 20° and more are clearly worse than 0–5°
    assert not sweep.found[-1]
    # scaling hurts too
    zoomed = tm.best_match(tm.ncc_map(tm.transform_image(camera, 0, 1.4), template))
    assert zoomed.score < 0.97


def test_default_spot_is_more_distinctive_than_a_random_textured_one(camera):
    row, col = tm.distinctive_spot(camera, 32)
    runner_up = tm.match_peaks(tm.ncc_map(camera, tm.extract(camera, row, col, 32)), (32, 32), 2)[1].score
    assert runner_up < 0.9


def test_default_spot_survives_flat_images():
    flat = np.full((60, 80), 0.5, np.float32)
    row, col = tm.distinctive_spot(flat, 20)
    assert 0 <= row <= 40 and 0 <= col <= 60
    half = flat.copy()
    half[:, 40:] = _texture((60, 40))
    row, col = tm.distinctive_spot(half, 20)
    assert tm.extract(half, row, col, 20).std() > 0.05  # it picks the textured side


# ------------------------------------------------------------------------------------------- the sweep in words
SWEEP_ANGLES = np.array([-60, -45, -30, -20, -10, -5, 0, 5, 10, 20, 30, 45, 60])


def test_rotation_summary_says_so_when_the_match_never_fails():
    peaks = 1 - np.abs(SWEEP_ANGLES) / 200
    text = tm.rotation_summary(SWEEP_ANGLES, np.ones(13, bool), peaks, 1.0)
    assert "stays in the right place at every rotation shown (-60° to 60°)" in text
    assert "falls to **0.700** at -60°" in text  # the lowest best score, named with its angle
    assert "wrong place" not in text


def test_rotation_summary_names_the_smallest_failing_angle_with_its_sign():
    found = np.abs(SWEEP_ANGLES) < 20
    found[SWEEP_ANGLES == 20] = True  # fails at −20° but not at +20°
    text = tm.rotation_summary(SWEEP_ANGLES, found, np.ones(13), 1.2)
    assert text.startswith("At scale 1.2, this template's best match first lands in the wrong place at -20° of")
    assert "(wrong at 7 of the 13 angles shown)" in text
    assert "every rotation" not in text
    both = tm.rotation_summary(SWEEP_ANGLES, np.abs(SWEEP_ANGLES) < 10, np.ones(13), 1.0)
    assert "at -10° and 10° of rotation (wrong at 10 of the 13" in both


def test_rotation_summary_when_scaling_alone_loses_the_place():
    text = tm.rotation_summary(SWEEP_ANGLES, np.zeros(13, bool), np.full(13, 0.5), 1.5)
    assert "wrong place even without rotation (wrong at 13 of the 13 angles shown)" in text


def test_rotation_summary_refuses_a_mismatched_sweep():
    with pytest.raises(ValueError, match="one angle"):
        tm.rotation_summary(SWEEP_ANGLES, np.ones(3, bool), np.ones(13), 1.0)
    with pytest.raises(ValueError, match="one angle"):
        tm.rotation_summary(np.array([]), np.array([], bool), np.array([]), 1.0)


# --------------------------------------------------------------------------------------- the page's template range
@pytest.mark.parametrize(("shape", "largest"), [((256, 256), 64), ((100, 300), 48), ((202, 256), 64), ((60, 44), 20),
                                                ((30, 300), 12)])
def test_largest_template_is_a_multiple_of_4_within_half_the_image(shape, largest):
    assert tm.largest_template(shape) == largest
    assert tm.template_fits(shape) == (largest >= tm.MIN_LARGEST_TEMPLATE)
    assert tm.default_template_size(largest) == min(32, largest)
    if tm.template_fits(shape):  # the size slider's range is not empty and its default lies on it
        size = tm.default_template_size(largest)
        assert tm.SMALLEST_TEMPLATE <= size <= largest and (size - tm.SMALLEST_TEMPLATE) % tm.TEMPLATE_STEP == 0


def test_search_moved_without_a_move_finds_the_template_where_it_was_cut():
    image = _texture()
    found = tm.search_moved(image, 30, 50, 20, 0.0, 1.0)
    assert found.found and (found.best.row, found.best.col) == (30, 50)
    assert found.best.score == pytest.approx(1.0, abs=1e-5) and found.drop == pytest.approx(0.0, abs=1e-5)
    centre = (20 - 1) / 2  # the square of the template's side around its centre pixel
    assert (found.content_top, found.content_left) == pytest.approx((30 + centre - 10, 50 + centre - 10))
    assert found.content_side == 20
    np.testing.assert_array_equal(found.image, image)


def test_search_moved_reports_where_the_content_went_and_the_score_lost(camera):
    row, col = tm.distinctive_spot(camera, 32)
    turned = tm.search_moved(camera, row, col, 32, 30.0, 1.2)
    centre = (32 - 1) / 2
    true_r, true_c = tm.transform_point(camera.shape, row + centre, col + centre, 30.0, 1.2)
    side = 32 * 1.2
    assert turned.content_side == pytest.approx(side)
    assert (turned.content_top + side / 2, turned.content_left + side / 2) == pytest.approx((true_r, true_c))
    assert turned.drop == pytest.approx(turned.best.score - 1) and turned.drop < -0.01
    scores = tm.ncc_map(tm.transform_image(camera, 30.0, 1.2), tm.extract(camera, row, col, 32))
    assert turned.best == tm.best_match(scores)
    assert turned.found == tm.matched_true_place(camera.shape, row, col, 32, turned.best, 30.0, 1.2)


def test_distinctive_pixel_is_the_centre_of_the_distinctive_spot(camera):
    row, col = tm.distinctive_spot(camera, 32)
    assert tm.distinctive_pixel(camera) == (row + 16, col + 16)
    small = _texture((20, 24))
    r, c = tm.distinctive_pixel(small)  # a template side larger than the image shrinks to fit
    spot_r, spot_c = tm.distinctive_spot(small, 20)
    assert (r, c) == (spot_r + 10, spot_c + 10) and 0 <= r < 20 and 0 <= c < 24
