"""Unit tests of the Convolution lesson's compute: the kernel bank, torch convolutions against scipy/numpy, the
sliding dot product, one output pixel by hand, and output sizes against PyTorch's conv2d."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.signal
import torch
import torch.nn.functional as F

from lessons.convolution import compute as convolution
from lessons.convolution import kernels
from lessons.convolution.kernels import KernelError
from lessons.core import data

RNG = np.random.default_rng(7)
IMAGE = RNG.random((37, 52)).astype(np.float32)
TINY = RNG.random((5, 4)).astype(np.float32)  # smaller than big kernels: padding must reflect more than once
PADDINGS = list(convolution.PADDINGS)
NAMED = [(key, {}) for key in kernels.kernel_keys() if key not in ("box", "gaussian", "sobel")] + [
    ("box", {"size": 3}), ("box", {"size": 9}),
    ("gaussian", {"sigma": 0.5}), ("gaussian", {"sigma": 1.7}), ("gaussian", {"sigma": 6.0}),
]


def _scipy(image: np.ndarray, kernel: np.ndarray, padding: str, true_convolution: bool = False) -> np.ndarray:
    op = ndi.convolve if true_convolution else ndi.correlate
    return op(image.astype(np.float64), kernel, mode=convolution.SCIPY_MODE[padding], cval=0.0)


# ---------------------------------------------------------------------------------------------------- kernel bank
@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.3, 8.0])
def test_gaussian_kernel_sums_to_one_is_symmetric_and_peaks_in_the_middle(sigma):
    k = kernels.gaussian_kernel(sigma)
    side = 2 * int(np.ceil(3 * sigma)) + 1
    assert k.shape == (side, side)
    assert k.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(k, k.T, atol=1e-15)
    np.testing.assert_allclose(k, k[::-1, ::-1], atol=1e-15)
    assert np.unravel_index(np.argmax(k), k.shape) == (side // 2, side // 2)
    # the profile through the middle is a Gaussian of that σ
    line = k[side // 2] / k[side // 2].max()
    x = np.arange(side) - side // 2
    np.testing.assert_allclose(line, np.exp(-0.5 * (x / sigma) ** 2), rtol=1e-10)


def test_sobel_kernels_are_each_others_transpose_and_sum_to_zero():
    np.testing.assert_array_equal(kernels.SOBEL_Y, kernels.SOBEL_X.T)
    for k in (kernels.SOBEL_X, kernels.SOBEL_Y, kernels.LAPLACIAN):
        assert kernels.sums_to_zero(k)
    for k in (kernels.SHARPEN, kernels.EMBOSS, kernels.IDENTITY, kernels.box_kernel(5)):
        assert kernels.kernel_sum(k) == pytest.approx(1.0)


def test_every_named_kernel_has_a_description_and_builds():
    for key in kernels.kernel_keys():
        info = kernels.kernel_info(key)
        assert info.title and info.about.endswith(".")
        assert info.display in ("gray", "signed", "magnitude")
        k = kernels.named_kernel(key, size=5, sigma=1.0)
        assert k.ndim == 2 and k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1
    with pytest.raises(KeyError):
        kernels.named_kernel("nope")


def test_fit_kernel_crops_or_pads_around_the_centre():
    padded = kernels.fit_kernel(kernels.SOBEL_X, 5)
    assert padded.shape == (5, 5)
    np.testing.assert_array_equal(padded[1:4, 1:4], kernels.SOBEL_X)
    assert np.count_nonzero(padded) == np.count_nonzero(kernels.SOBEL_X)
    cropped = kernels.fit_kernel(kernels.gaussian_kernel(2.0), 3)
    assert cropped.shape == (3, 3) and cropped.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(cropped, cropped.T)


def test_flip_rotates_by_180_degrees():
    k = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(kernels.flip(k), [[8, 7, 6], [5, 4, 3], [2, 1, 0]])
    np.testing.assert_array_equal(kernels.flip(kernels.SOBEL_X), -kernels.SOBEL_X)


# ---------------------------------------------------------------------------------------------------- bad kernels
@pytest.mark.parametrize(("values", "words"), [
    ([[1, 2, 3], [4, np.nan, 6], [7, 8, 9]], ["row 2, column 2", "empty or not a number", "Type a number"]),
    ([[np.nan] * 3] * 3, ["Cells", "and 6 more"]),
    ([[1, 2, 3], [4, np.inf, 6], [7, 8, -np.inf]], ["infinite", "row 2, column 2", "row 3, column 3"]),
    (np.zeros((3, 3)), ["Every entry is 0", "non-zero"]),
    (np.ones((2, 3)), ["2×3", "square with an odd side"]),
    (np.ones((4, 4)), ["4×4", "odd side"]),
    (np.ones(9), ["2-D grid", "1 dimension"]),
    (np.ones((3, 3, 3)), ["2-D grid", "3 dimension"]),
    ([["a", "b", "c"]] * 3, ["not numbers"]),
    (np.ones((51, 51)), ["largest allowed"]),
])
def test_bad_kernels_raise_a_clear_kernel_error(values, words):
    with pytest.raises(KernelError) as caught:
        kernels.validate_kernel(values)
    assert isinstance(caught.value, ValueError)
    for word in words:
        assert word in str(caught.value), str(caught.value)


def test_allowed_sides_are_enforced_and_good_kernels_pass():
    with pytest.raises(KernelError, match="use 3×3 or 5×5"):
        kernels.validate_kernel(np.ones((7, 7)), allowed_sides=(3, 5))
    k = kernels.validate_kernel([[0, 0, 0], [0, 2, 0], [0, 0, 0]], allowed_sides=(3, 5))
    assert k.dtype == np.float64 and k[1, 1] == 2


def test_a_kernel_survives_the_link_as_text_and_bad_text_gives_none():
    assert kernels.kernel_text(kernels.SOBEL_X) == "-1,0,1;-2,0,2;-1,0,1"
    assert np.array_equal(kernels.kernel_from_text("-1,0,1;-2,0,2;-1,0,1", 3), kernels.SOBEL_X)
    gaussian = kernels.gaussian_kernel(1.3, 5)
    assert np.allclose(kernels.kernel_from_text(kernels.kernel_text(gaussian), 5), gaussian, rtol=1e-5)
    for bad, side in (("", 3), ("-1,0,1;-2,0,2;-1,0,1", 5), ("1,2;3,4", 3), ("1,2,3;4,5;6,7,8", 3),
                      ("a,b,c;d,e,f;g,h,i", 3), ("nan,0,0;0,1,0;0,0,0", 3), ("0,0,0;0,0,0;0,0,0", 3),
                      ("inf,0,0;0,1,0;0,0,0", 3)):
        assert kernels.kernel_from_text(bad, side) is None, bad


def test_the_convolutions_refuse_bad_kernels_too():
    with pytest.raises(KernelError):
        convolution.correlate2d(IMAGE, np.full((3, 3), np.nan))
    with pytest.raises(KernelError):
        convolution.apply_kernel(IMAGE, np.zeros((5, 5)))
    with pytest.raises(KernelError):
        convolution.pixel_breakdown(IMAGE, np.ones((2, 2)), 0, 0)


def test_normalise_and_brightness_notes():
    k = np.full((3, 3), 1.0)
    assert kernels.normalise(k).sum() == pytest.approx(1.0)
    assert "9" in kernels.brightness_note(k) and "brighter" in kernels.brightness_note(k)
    assert "darker" in kernels.brightness_note(k / 18)
    assert "**1**" in kernels.brightness_note(kernels.box_kernel(3))
    assert "**0**" in kernels.brightness_note(kernels.SOBEL_X)
    assert kernels.display_for(kernels.SOBEL_X) == "signed" and kernels.display_for(k) == "gray"
    with pytest.raises(KernelError, match="add up to 0"):
        kernels.normalise(kernels.LAPLACIAN)
    # a kernel whose sum is 2 doubles the brightness of a flat area; normalised, it keeps it
    flat = np.full((20, 20), 0.3, np.float32)
    doubled = convolution.correlate2d(flat, 2 * kernels.box_kernel(3), "replicate")
    np.testing.assert_allclose(doubled, 0.6, atol=1e-6)
    kept = convolution.correlate2d(flat, kernels.normalise(2 * kernels.box_kernel(3)), "replicate")
    np.testing.assert_allclose(kept, 0.3, atol=1e-6)


# ---------------------------------------------------------------------------------------- 2-D against scipy.ndimage
def test_padding_names_map_to_the_right_scipy_modes():
    assert convolution.SCIPY_MODE == {"zeros": "constant", "reflect": "mirror", "replicate": "nearest"}
    # torch's reflect leaves out the edge pixel: it is scipy's "mirror", not scipy's "reflect"
    k = kernels.box_kernel(3)
    ours = convolution.correlate2d(IMAGE, k, "reflect")
    assert np.abs(ours - ndi.correlate(IMAGE.astype(np.float64), k, mode="reflect")).max() > 1e-3
    np.testing.assert_allclose(ours, ndi.correlate(IMAGE.astype(np.float64), k, mode="mirror"), atol=1e-5)


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize(("key", "params"), NAMED, ids=[f"{k}-{p}" for k, p in NAMED])
def test_named_kernels_match_scipy(key, params, padding):
    k = kernels.named_kernel(key, **params)
    for image in (IMAGE, TINY):
        ours = convolution.correlate2d(image, k, padding, device="cpu")
        assert ours.dtype == np.float32 and ours.shape == image.shape
        np.testing.assert_allclose(ours, _scipy(image, k, padding), atol=1e-5, rtol=0)
        np.testing.assert_allclose(convolution.convolve2d(image, k, padding, device="cpu"),
                                   _scipy(image, k, padding, true_convolution=True), atol=1e-5, rtol=0)


@pytest.mark.parametrize("padding", PADDINGS)
def test_apply_named_matches_scipy_including_the_sobel_magnitude(padding):
    for key in kernels.kernel_keys():
        for flipped in (False, True):
            result = convolution.apply_named(IMAGE, key, size=5, sigma=1.5, padding=padding, flipped=flipped)
            if key == "sobel":
                gx = _scipy(IMAGE, kernels.SOBEL_X, padding, flipped)
                gy = _scipy(IMAGE, kernels.SOBEL_Y, padding, flipped)
                np.testing.assert_allclose(result.output, np.hypot(gx, gy), atol=1e-5)
                np.testing.assert_allclose(result.parts[0], gx, atol=1e-5)
                # the magnitude agrees with scipy's own Sobel filters away from the border
                ref = np.hypot(ndi.sobel(IMAGE.astype(np.float64), axis=1), ndi.sobel(IMAGE.astype(np.float64), 0))
                np.testing.assert_allclose(result.output[1:-1, 1:-1], ref[1:-1, 1:-1], atol=1e-5)
            else:
                k = kernels.named_kernel(key, size=5, sigma=1.5)
                np.testing.assert_allclose(result.output, _scipy(IMAGE, k, padding, flipped), atol=1e-5)


def test_default_device_is_the_shared_one_and_results_are_cpu_numpy():
    out = convolution.correlate2d(IMAGE, kernels.LAPLACIAN)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_allclose(out, convolution.correlate2d(IMAGE, kernels.LAPLACIAN, device=torch.device("cpu")),
                               atol=1e-6)


def test_unknown_padding_is_refused():
    with pytest.raises(ValueError, match="unknown padding"):
        convolution.correlate2d(IMAGE, kernels.IDENTITY, "circular")


# ------------------------------------------------------------------------------------------------ named behaviour
def _vertical_edge() -> np.ndarray:
    image = np.zeros((12, 16), np.float32)
    image[:, 8:] = 1.0  # dark left half, bright right half: a vertical edge between columns 7 and 8
    return image


def test_sobel_x_sees_a_vertical_edge_and_sobel_y_does_not():
    image = _vertical_edge()
    gx = convolution.correlate2d(image, kernels.SOBEL_X, "replicate")
    gy = convolution.correlate2d(image, kernels.SOBEL_Y, "replicate")
    np.testing.assert_allclose(gx[:, [7, 8]], 4.0)  # brighter to the right → positive, 1 + 2 + 1
    assert np.all(gx[:, :7] == 0) and np.all(gx[:, 9:] == 0)
    assert np.all(gy == 0)
    # turned by 90°, the roles swap; a dark-to-bright step downwards is positive for y
    np.testing.assert_allclose(convolution.correlate2d(image.T.copy(), kernels.SOBEL_Y, "replicate"), gx.T)
    assert np.all(convolution.correlate2d(image.T.copy(), kernels.SOBEL_X, "replicate") == 0)
    # true convolution flips Sobel x and so flips the sign
    np.testing.assert_allclose(convolution.convolve2d(image, kernels.SOBEL_X, "replicate"), -gx)


def test_box_blur_keeps_a_constant_image_and_zero_padding_darkens_its_border():
    flat = np.full((20, 30), 0.42, np.float32)
    for padding in ("reflect", "replicate"):
        for size in (3, 7, 15):
            out = convolution.correlate2d(flat, kernels.box_kernel(size), padding)
            np.testing.assert_allclose(out, 0.42, atol=1e-6)
    zero_padded = convolution.correlate2d(flat, kernels.box_kernel(5), "zeros")
    assert zero_padded[10, 15] == pytest.approx(0.42, abs=1e-6)
    assert zero_padded[0, 0] == pytest.approx(0.42 * 9 / 25, abs=1e-6)
    assert zero_padded.mean() < 0.42


def test_identity_returns_the_image_and_edge_kernels_ignore_flat_areas():
    np.testing.assert_array_equal(convolution.correlate2d(IMAGE, kernels.IDENTITY, "zeros"), IMAGE)
    flat = np.full((10, 10), 0.7, np.float32)
    for k in (kernels.SOBEL_X, kernels.SOBEL_Y, kernels.LAPLACIAN):
        np.testing.assert_allclose(convolution.correlate2d(flat, k, "replicate"), 0.0, atol=1e-6)


# ------------------------------------------------------------------------------------------------ one pixel by hand
@pytest.mark.parametrize("padding", PADDINGS)
def test_pixel_breakdown_sums_to_the_output_pixel(padding):
    for k in (kernels.gaussian_kernel(1.3), kernels.SOBEL_X, kernels.EMBOSS, kernels.box_kernel(7)):
        for flipped in (False, True):
            result = convolution.apply_kernel(IMAGE, k, padding, flipped=flipped)
            for row, col in [(0, 0), (0, 51), (36, 0), (36, 51), (18, 25), (2, 49)]:
                part = convolution.pixel_breakdown(IMAGE, result.kernels[0], row, col, padding)
                assert part.total == pytest.approx(float(result.output[row, col]), abs=1e-5)
                np.testing.assert_allclose(part.products, part.patch * part.kernel)
                assert part.patch.shape == k.shape
                assert part.outside.any() == (row < k.shape[0] // 2 or col < k.shape[0] // 2
                                              or row > 36 - k.shape[0] // 2 or col > 51 - k.shape[0] // 2)


def test_pixel_breakdown_shows_the_padding_values():
    part = convolution.pixel_breakdown(IMAGE, kernels.box_kernel(3), 0, 0, "zeros")
    assert part.outside[0].all() and part.outside[:, 0].all() and not part.outside[1:, 1:].any()
    assert np.all(part.patch[part.outside] == 0)
    np.testing.assert_allclose(part.patch[1:, 1:], IMAGE[:2, :2])
    mirrored = convolution.pixel_breakdown(IMAGE, kernels.box_kernel(3), 0, 0, "reflect")
    assert mirrored.patch[0, 1] == pytest.approx(IMAGE[1, 0])  # the edge pixel is not repeated
    repeated = convolution.pixel_breakdown(IMAGE, kernels.box_kernel(3), 0, 0, "replicate")
    assert repeated.patch[0, 1] == pytest.approx(IMAGE[0, 0])
    with pytest.raises(IndexError):
        convolution.pixel_breakdown(IMAGE, kernels.box_kernel(3), 37, 0)


# ---------------------------------------------------------------------------------------------------------- 1-D
@pytest.mark.parametrize("kind", convolution.SIGNALS)
@pytest.mark.parametrize("kernel", [convolution.filter_1d("box", width=5), convolution.filter_1d("gaussian", sigma=2.0),
                                    np.array([0.5, -1.0, 0.25])], ids=["box5", "gauss2", "asymmetric"])
def test_sliding_dot_product_matches_conv1d_and_numpy(kind, kernel):
    signal = convolution.make_signal(kind)
    assert signal.shape == (120,)
    out = convolution.correlate1d(signal, kernel)
    # correlation slides the kernel as it is: numpy's convolve of the flipped kernel, scipy's correlate
    np.testing.assert_allclose(out, np.convolve(signal, kernel[::-1], mode="same"), atol=1e-5)
    np.testing.assert_allclose(out, scipy.signal.correlate(signal, kernel, mode="same"), atol=1e-5)
    np.testing.assert_allclose(convolution.convolve1d(signal, kernel), np.convolve(signal, kernel, mode="same"),
                               atol=1e-5)
    for position in range(len(signal)):
        step = convolution.slide_step(signal, kernel, position)
        assert step.total == pytest.approx(float(out[position]), abs=1e-5)
        np.testing.assert_allclose(step.products, step.values * step.weights)
        assert len(step.indices) == len(kernel) and step.indices[len(kernel) // 2] == position


@pytest.mark.parametrize("padding", PADDINGS)
def test_1d_padding_modes_match_scipy(padding):
    signal = convolution.make_signal("noisy_sine", n=40)
    kernel = convolution.filter_1d("gaussian", sigma=3.0)  # 19 taps
    np.testing.assert_allclose(convolution.correlate1d(signal, kernel, padding),
                               ndi.correlate1d(signal, kernel, mode=convolution.SCIPY_MODE[padding], cval=0.0),
                               atol=1e-5)


def test_slide_step_uses_zeros_beyond_the_ends():
    signal = np.arange(1.0, 11.0)
    step = convolution.slide_step(signal, np.ones(5) / 5, 0)
    np.testing.assert_array_equal(step.indices, [-2, -1, 0, 1, 2])
    np.testing.assert_array_equal(step.values, [0, 0, 1, 2, 3])
    assert step.total == pytest.approx(6 / 5)


def test_1d_filters_and_signals():
    assert convolution.filter_1d("box", width=7).sum() == pytest.approx(1.0)
    g = convolution.filter_1d("gaussian", sigma=1.5)
    assert g.sum() == pytest.approx(1.0) and len(g) == 2 * 5 + 1 and np.allclose(g, g[::-1])
    with pytest.raises(KernelError):
        convolution.filter_1d("box", width=4)
    with pytest.raises(KernelError):
        convolution.correlate1d(np.ones(10), np.ones(4) / 4)
    step = convolution.make_signal("step")
    assert set(np.unique(step)) == {0.0, 1.0}
    np.testing.assert_array_equal(convolution.make_signal("noisy_sine"), convolution.make_signal("noisy_sine"))
    with pytest.raises(ValueError):
        convolution.make_signal("square")
    for kind in convolution.SIGNALS:  # the filter-position slider runs over SIGNAL_SAMPLES positions
        assert len(convolution.make_signal(kind)) == convolution.SIGNAL_SAMPLES
    for kind in convolution.FILTERS_1D:
        assert convolution.filter_1d(kind).sum() == pytest.approx(1.0)


def test_a_blur_is_a_low_pass_filter_on_the_chirp():
    chirp = convolution.make_signal("chirp")
    blurred = convolution.correlate1d(chirp, convolution.filter_1d("gaussian", sigma=2.0))
    slow, fast = slice(5, 25), slice(95, 115)
    assert np.std(blurred[slow]) / np.std(chirp[slow]) > 0.85
    assert np.std(blurred[fast]) / np.std(chirp[fast]) < 0.25


# -------------------------------------------------------------------------------------------------- output sizes
def test_output_size_formula_matches_conv2d_over_a_sweep():
    checked = refused = 0
    for n, k, p, s, d in itertools.product(range(1, 11), range(1, 7), range(4), range(1, 4), range(1, 4)):
        geometry = convolution.conv_geometry(n, k, p, s, d)
        try:
            shape = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), padding=p, stride=s,
                             dilation=d).shape
        except RuntimeError:
            assert not geometry.valid and geometry.out == 0, (n, k, p, s, d)
            assert "padding of at least" in convolution.geometry_problem(geometry)
            refused += 1
            continue
        assert geometry.valid and tuple(shape) == (1, 1, geometry.out, geometry.out), (n, k, p, s, d)
        assert convolution.output_size(n, k, p, s, d) == geometry.out
        if d == 1:
            assert geometry.out == (n + 2 * p - k) // s + 1
        # the last output cell's last tap is inside the padded input, and one more stride would not fit
        assert geometry.taps(geometry.out - 1)[-1] <= geometry.padded - 1
        assert geometry.taps(geometry.out - 1)[-1] + s > geometry.padded - 1 - geometry.leftover
        checked += 1
    assert checked > 1000 and refused > 50


def test_torch_output_shape_and_geometry_details():
    assert convolution.torch_output_shape(7, 3, 1, 1) == (1, 1, 7, 7)
    assert convolution.torch_output_shape(3, 7, 0, 1) is None
    g = convolution.conv_geometry(7, 3, padding=0, stride=2, dilation=2)
    assert g.span == 5 and g.out == 2 and g.taps(1) == [2, 4, 6]
    assert convolution.conv_geometry(8, 3, 0, 2).leftover == 1
    assert convolution.geometry_problem(g) == ""
    with pytest.raises(ValueError):
        convolution.conv_geometry(0, 3)


# ---------------------------------------------------------------------------------------------- teaching image
def test_teaching_image_is_small_grayscale_in_unit_range():
    photo = data.load_photo("coffee")  # 400×600 RGB
    gray = convolution.to_gray(photo)
    assert gray.dtype == np.float32 and gray.shape == (171, 256)
    assert 0.0 <= gray.min() and gray.max() <= 1.0
    small = np.full((20, 30, 3), 255, np.uint8)
    np.testing.assert_allclose(convolution.to_gray(small), 1.0, atol=1e-6)  # not enlarged, white stays 1
    assert convolution.to_gray(small).shape == (20, 30)
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 255
    assert convolution.to_gray(red)[0, 0] == pytest.approx(0.299, abs=1e-6)
    assert convolution.to_gray(np.zeros((300, 1000), np.uint8)).shape == (77, 256)


# ------------------------------------------------------------------------------------------------------------ GPU
@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cpu_and_gpu_convolutions_agree():
    from lessons.convolution import template_matching

    for padding in PADDINGS:
        for k in (kernels.gaussian_kernel(3.0), kernels.SOBEL_X, kernels.box_kernel(5)):
            on_cpu = convolution.correlate2d(TINY, k, padding, device="cpu")
            np.testing.assert_allclose(convolution.correlate2d(TINY, k, padding, device="cuda"), on_cpu, atol=1e-5)
            np.testing.assert_allclose(convolution.correlate2d(IMAGE, k, padding, device="cuda"),
                                       convolution.correlate2d(IMAGE, k, padding, device="cpu"), atol=1e-5)
    template = IMAGE[5:20, 10:25]
    np.testing.assert_allclose(template_matching.ncc_map(IMAGE, template, device="cuda"),
                               template_matching.ncc_map(IMAGE, template, device="cpu"), atol=1e-4)
