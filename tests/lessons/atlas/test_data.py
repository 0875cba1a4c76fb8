"""The atlas's images: random crops of the photos, the digits, and uploads (images and zips, good and bad)."""

from __future__ import annotations

import io
import zipfile

import numpy as np

from lessons.atlas import data as sources
from lessons.core import data


def _png(array: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


def test_random_crops_are_reproducible_squares_from_every_picture():
    pictures = [np.full((60, 90, 3), 10, np.uint8), np.full((120, 80, 3), 200, np.uint8)]
    crops, origin = data.random_crops(pictures, 40, 32, seed=3)
    assert crops.shape == (40, 32, 32, 3) and crops.dtype == np.uint8 and set(origin) == {0, 1}
    for crop, o in zip(crops, origin):
        assert (crop == (10 if o == 0 else 200)).all()  # a crop shows only its own picture
    again, origin_again = data.random_crops(pictures, 40, 32, seed=3)
    np.testing.assert_array_equal(again, crops)
    np.testing.assert_array_equal(origin_again, origin)


def test_photo_crops_name_every_photo_and_uploads():
    extra = [("mine.png", np.zeros((64, 64, 3), np.uint8))]
    found = sources.photo_crops(30, 48, extra=extra)
    assert found.images.shape == (30, 48, 48, 3)
    assert len(found.names) == len(data.photo_keys()) + 1 and found.names[-1] == "mine.png"
    assert found.origin.max() < len(found.names)


def test_digit_sources_are_the_shipped_digits_with_labels():
    found = sources.digit_sources()
    assert found.images.shape == (5000, 28, 28, 1)
    assert found.names[3] == "digit 3" and np.bincount(found.origin).min() > 300


def test_zip_uploads_keep_the_good_images_and_explain_the_rest():
    good = _png(np.random.default_rng(0).integers(0, 255, (40, 50, 3), dtype=np.uint8))
    archive = _zip({"a/good.png": good, "a/broken.jpg": b"not an image", "__MACOSX/._good.png": b"junk",
                    "notes.txt": b"hello"})
    decoded = sources.decode_uploads([("set.zip", archive), ("single.png", good), ("bad.png", b"\x89PNG\r\n")])
    names = [name for name, _ in decoded.pictures]
    assert names == ["set.zip/a/good.png", "single.png"]
    assert decoded.pictures[0][1].shape == (40, 50, 3)
    assert any("broken.jpg" in p for p in decoded.problems) and any("bad.png" in p for p in decoded.problems)
    assert len(decoded.problems) == 2  # hidden files and non-images are skipped silently
    assert sources.decode_zip(b"PK not a zip", "x.zip").problems == ["**x.zip** is not a readable zip file."]
    assert "holds no images" in sources.decode_zip(_zip({"readme.md": b"#"}), "docs.zip").problems[0]


def test_zip_limits_on_count_and_size():
    good = _png(np.zeros((20, 20, 3), np.uint8))
    many = _zip({f"{i}.png": good for i in range(5)})
    decoded = sources.decode_zip(many, "many.zip", max_members=3)
    assert len(decoded.pictures) == 3 and "first 3 are used" in decoded.problems[0]
    capped = sources.decode_zip(many, "many.zip", max_total=2 * len(good))
    assert len(capped.pictures) == 2 and "uncompressed" in capped.problems[0]
