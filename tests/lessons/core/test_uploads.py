"""decode_upload: every upload becomes an H×W×3 uint8 image or an ImageInputError with a message a student can act on.

Each case is built in memory with Pillow/numpy; no file on disk is read.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from lessons.core.uploads import (
    MAX_SIDE_AFTER_DECODE,
    MAX_UPLOAD_BYTES,
    DecodedImage,
    ImageInputError,
    decode_upload,
    describe,
)


def encode(image: Image.Image, image_format: str, **save_options: object) -> bytes:
    """The bytes of image saved in image_format."""
    buffer = io.BytesIO()
    image.save(buffer, image_format, **save_options)
    return buffer.getvalue()


def gradient_rgb(width: int = 40, height: int = 30) -> np.ndarray:
    """A deterministic H×W×3 uint8 test pattern with distinct values in every channel."""
    rows, cols = np.mgrid[0:height, 0:width]
    return np.stack([rows * 8 % 256, cols * 6 % 256, (rows + cols) * 3 % 256], axis=-1).astype(np.uint8)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk: length, type, payload and a correct CRC."""
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def header_only_png(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width×height (8-bit RGB) but whose IDAT holds almost nothing."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + png_chunk(b"IEND", b"")
    )


def assert_valid_rgb(decoded: DecodedImage, height: int, width: int) -> None:
    """The array contract: uint8, H×W×3, C-contiguous."""
    assert decoded.array.dtype == np.uint8
    assert decoded.array.shape == (height, width, 3)
    assert decoded.array.flags.c_contiguous


def error_message(data: bytes, filename: str | None = None, **limits: int) -> str:
    """The message of the ImageInputError decode_upload raises (any other exception fails the test)."""
    with pytest.raises(ImageInputError) as caught:
        decode_upload(data, filename, **limits)
    assert type(caught.value) is ImageInputError
    return str(caught.value)


# --- valid images ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("image_format", ["PNG", "BMP", "TIFF"])
def test_lossless_formats_round_trip_exactly(image_format: str) -> None:
    pixels = gradient_rgb()
    decoded = decode_upload(encode(Image.fromarray(pixels), image_format), f"pattern.{image_format.lower()}")
    assert_valid_rgb(decoded, 30, 40)
    np.testing.assert_array_equal(decoded.array, pixels)
    assert decoded.notes == ()
    assert (decoded.original_format, decoded.original_mode, decoded.original_size) == (image_format, "RGB", (40, 30))


def test_jpeg_round_trip_is_close() -> None:
    pixels = np.full((32, 48, 3), (200, 60, 30), dtype=np.uint8)
    decoded = decode_upload(encode(Image.fromarray(pixels), "JPEG", quality=95))
    assert_valid_rgb(decoded, 32, 48)
    assert np.abs(decoded.array.astype(int) - pixels).max() <= 4
    assert decoded.original_format == "JPEG"


def test_lossless_webp_round_trip() -> None:
    pixels = gradient_rgb()
    decoded = decode_upload(encode(Image.fromarray(pixels), "WEBP", lossless=True))
    np.testing.assert_array_equal(decoded.array, pixels)


def test_returned_array_is_writable() -> None:
    decoded = decode_upload(encode(Image.fromarray(gradient_rgb()), "PNG"))
    assert decoded.array.flags.writeable  # pages may draw on it


def test_constant_image_is_valid() -> None:
    decoded = decode_upload(encode(Image.new("RGB", (20, 20), (7, 7, 7)), "PNG"))
    assert np.all(decoded.array == 7)


# --- refused uploads ---------------------------------------------------------------------------------------------


def test_empty_bytes() -> None:
    assert "The file is empty" in error_message(b"")


def test_oversized_bytes_name_size_and_limit_in_mb() -> None:
    data = encode(Image.fromarray(gradient_rgb()), "PNG")
    message = error_message(data, max_bytes=100)
    assert "MB" in message and "limit" in message


def test_default_byte_limit_matches_streamlit_config() -> None:
    assert MAX_UPLOAD_BYTES == 25 * 1024 * 1024


RANDOM_BYTES = np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes()


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"hello", None),
        (b"name,score\nada,3\nalan,5\n", "scores.csv"),
        (RANDOM_BYTES, "noise.bin"),
        (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n", "slides.pdf"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 32 32\n", "figure.eps"),
    ],
)
def test_not_an_image(data: bytes, filename: str | None) -> None:
    message = error_message(data, filename)
    assert "not an image" in message
    assert "PNG, JPEG" in message
    if filename:
        assert filename[filename.rindex(".") :] in message


@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
def test_truncated_file_is_damaged(image_format: str) -> None:
    noise = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise), image_format)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert "damaged or incomplete" in error_message(data[: len(data) // 2])


def test_one_pixel_image_is_too_small() -> None:
    message = error_message(encode(Image.new("RGB", (1, 1)), "PNG"))
    assert "1×1" in message and "16" in message


def test_pixel_limit_applies_to_small_real_image() -> None:
    message = error_message(encode(Image.new("RGB", (100, 100)), "PNG"), max_pixels=5_000)
    assert "10,000" in message and "5,000" in message


@pytest.mark.parametrize("side", [60_000, 10_000])  # past Pillow's error limit, and past only its warning limit
def test_header_only_bomb_is_refused_quickly(side: int) -> None:
    pillow_limit = Image.MAX_IMAGE_PIXELS
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning may leak out either
        message = error_message(header_only_png(side, side))
    assert time.perf_counter() - start < 1.0
    assert f"{side * side:,}" in message and "limit" in message
    assert Image.MAX_IMAGE_PIXELS == pillow_limit


def test_header_only_bomb_within_pillow_limits_is_refused_by_our_limit() -> None:
    message = error_message(header_only_png(8_000, 6_000))  # 48 M pixels: under Pillow's limit, over MAX_PIXELS
    assert "48,000,000" in message and "40,000,000" in message


# --- conversions -------------------------------------------------------------------------------------------------


def test_sixteen_bit_grayscale_divides_by_257() -> None:
    values = np.tile(np.array([0, 257, 32896, 65535], dtype=np.uint16), (16, 4))
    decoded = decode_upload(encode(Image.fromarray(values), "PNG"))
    assert decoded.original_mode == "I;16"
    assert_valid_rgb(decoded, 16, 16)
    np.testing.assert_array_equal(decoded.array[0, :4, 0], [0, 1, 128, 255])
    np.testing.assert_array_equal(decoded.array[..., 0], decoded.array[..., 2])
    assert "16-bit image converted to 8-bit" in decoded.notes


def test_big_endian_sixteen_bit_tiff() -> None:
    values = np.tile(np.array([0, 257, 65535], dtype=">u2"), (16, 6))
    big_endian = Image.frombytes("I;16B", (18, 16), values.tobytes())
    decoded = decode_upload(encode(big_endian, "TIFF"))
    assert decoded.original_mode == "I;16B"
    np.testing.assert_array_equal(decoded.array[0, :3, 1], [0, 1, 255])


def test_float_image_is_stretched_and_nan_is_black() -> None:
    values = np.linspace(-1.0, 3.0, 20 * 20, dtype=np.float32).reshape(20, 20)
    values[5, 5] = np.nan
    decoded = decode_upload(encode(Image.fromarray(values), "TIFF"))
    assert decoded.original_mode == "F"
    assert decoded.array[0, 0, 0] == 0 and decoded.array[-1, -1, 0] == 255
    assert decoded.array[5, 5, 0] == 0
    assert any("NaN" in note for note in decoded.notes)


def test_constant_float_image_does_not_crash() -> None:
    decoded = decode_upload(encode(Image.fromarray(np.full((20, 20), 100.0, np.float32)), "TIFF"))
    assert np.all(decoded.array == 100)


def test_all_nan_float_image_does_not_crash() -> None:
    decoded = decode_upload(encode(Image.fromarray(np.full((20, 20), np.nan, np.float32)), "TIFF"))
    assert np.all(decoded.array == 0)


def test_32_bit_integer_image_is_stretched() -> None:
    values = np.tile(np.array([-5000, 0, 100_000], dtype=np.int32), (20, 7))[:, :20]
    decoded = decode_upload(encode(Image.fromarray(values), "TIFF"))
    assert decoded.original_mode == "I"
    assert decoded.array[..., 0].min() == 0 and decoded.array[..., 0].max() == 255


def test_cmyk_jpeg_becomes_rgb_with_note() -> None:
    decoded = decode_upload(encode(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG", quality=95))
    assert decoded.original_mode == "CMYK"
    red, green, blue = decoded.array[16, 16].astype(int)
    assert red > 230 and green < 30 and blue < 30
    assert any("CMYK" in note for note in decoded.notes)


def test_transparent_rgba_pixel_becomes_white() -> None:
    pixels = np.zeros((20, 20, 4), dtype=np.uint8)
    pixels[..., 0] = 200
    pixels[..., 3] = 255
    pixels[0, 0] = (0, 0, 0, 0)
    decoded = decode_upload(encode(Image.fromarray(pixels, mode="RGBA"), "PNG"))
    assert tuple(decoded.array[0, 0]) == (255, 255, 255)
    assert tuple(decoded.array[1, 1]) == (200, 0, 0)
    assert any("transparent" in note for note in decoded.notes)


def test_opaque_rgba_has_no_transparency_note() -> None:
    decoded = decode_upload(encode(Image.new("RGBA", (20, 20), (1, 2, 3, 255)), "PNG"))
    assert tuple(decoded.array[0, 0]) == (1, 2, 3)
    assert decoded.notes == ()


def test_palette_png_with_transparent_index() -> None:
    palette_image = Image.new("P", (20, 20), 1)
    palette_image.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    palette_image.putpixel((0, 0), 0)
    decoded = decode_upload(encode(palette_image, "PNG", transparency=0))
    assert decoded.original_mode == "P"
    assert tuple(decoded.array[0, 0]) == (255, 255, 255)
    assert tuple(decoded.array[5, 5]) == (0, 0, 255)
    assert "transparent areas shown on white" in decoded.notes


def test_palette_without_transparency_is_plain_rgb() -> None:
    decoded = decode_upload(encode(Image.new("RGB", (20, 20), (255, 0, 0)).convert("P"), "PNG"))
    assert tuple(decoded.array[0, 0]) == (255, 0, 0)
    assert decoded.notes == ()


@pytest.mark.parametrize(("mode", "image_format"), [("L", "PNG"), ("1", "PNG"), ("LA", "PNG")])
def test_grayscale_modes_copy_value_to_each_channel(mode: str, image_format: str) -> None:
    gray = Image.fromarray(np.tile(np.array([0, 255], dtype=np.uint8), (20, 10)))
    decoded = decode_upload(encode(gray.convert(mode), image_format))
    assert decoded.original_mode == mode
    assert tuple(decoded.array[0, 0]) == (0, 0, 0) and tuple(decoded.array[0, 1]) == (255, 255, 255)
    assert any("grayscale" in note for note in decoded.notes)


@pytest.mark.parametrize("mode", ["LAB", "YCbCr"])
def test_other_colour_spaces_convert_to_rgb(mode: str) -> None:
    source = Image.new("RGB", (20, 20), (30, 120, 220))
    decoded = decode_upload(encode(source.convert(mode), "TIFF"))
    assert decoded.original_mode == mode
    assert np.abs(decoded.array[0, 0].astype(int) - (30, 120, 220)).max() <= 6
    assert any(mode in note for note in decoded.notes)


def test_animated_gif_uses_first_frame() -> None:
    frames = [Image.new("RGB", (20, 20), colour) for colour in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    decoded = decode_upload(data)
    assert tuple(decoded.array[10, 10]) == (255, 0, 0)
    assert any("3 frames" in note for note in decoded.notes)


def test_multi_picture_jpeg_uses_first_picture() -> None:
    pictures = [Image.new("RGB", (32, 24), colour) for colour in [(200, 30, 30), (30, 30, 200)]]
    decoded = decode_upload(encode(pictures[0], "MPO", save_all=True, append_images=pictures[1:]))
    assert decoded.array[10, 10, 0] > 180 and decoded.array[10, 10, 2] < 60
    assert any("2 pictures" in note for note in decoded.notes)


def test_large_image_is_downscaled_keeping_aspect() -> None:
    decoded = decode_upload(encode(Image.new("RGB", (3000, 1000), (10, 20, 30)), "PNG"))
    assert_valid_rgb(decoded, 683, MAX_SIDE_AFTER_DECODE)
    assert decoded.original_size == (3000, 1000)
    assert tuple(decoded.array[300, 1000]) == (10, 20, 30)
    assert any("downscaled" in note and "3000×1000" in note for note in decoded.notes)


def test_large_jpeg_decoded_at_reduced_scale_still_has_note() -> None:
    decoded = decode_upload(encode(Image.new("RGB", (4096, 1024), (200, 100, 50)), "JPEG", quality=95))
    assert_valid_rgb(decoded, 512, 2048)  # the decoder's 1/2 scale lands exactly on max_side
    assert np.abs(decoded.array[256, 1024].astype(int) - (200, 100, 50)).max() <= 4
    assert any("downscaled from 4096×1024" in note for note in decoded.notes)


def test_max_side_can_be_lowered() -> None:
    decoded = decode_upload(encode(Image.new("RGB", (100, 400)), "PNG"), max_side=200)
    assert decoded.array.shape == (200, 50, 3)


def test_exif_orientation_is_applied() -> None:
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:, :20] = (255, 0, 0)  # left half red, right half blue
    pixels[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored image must be rotated 90° clockwise to be upright
    decoded = decode_upload(encode(Image.fromarray(pixels), "JPEG", quality=95, exif=exif.tobytes()))
    assert decoded.original_size == (40, 20)
    assert_valid_rgb(decoded, 40, 20)
    assert decoded.array[5, 10, 0] > 200 and decoded.array[35, 10, 2] > 200  # red on top after rotation
    assert any("orientation" in note for note in decoded.notes)


def test_no_orientation_note_without_rotation() -> None:
    exif = Image.Exif()
    exif[0x0112] = 1
    decoded = decode_upload(encode(Image.new("RGB", (20, 20)), "JPEG", exif=exif.tobytes()))
    assert decoded.notes == ()


# --- describe and module hygiene ---------------------------------------------------------------------------------


def test_describe_names_format_size_and_mode() -> None:
    decoded = decode_upload(encode(Image.new("RGBA", (64, 48), (0, 0, 0, 0)), "PNG"))
    assert describe(decoded) == "PNG, 64×48, RGBA → RGB"


def test_describe_plain_rgb_and_resized() -> None:
    assert describe(decode_upload(encode(Image.new("RGB", (20, 30)), "BMP"))) == "BMP, 20×30, RGB"
    resized = decode_upload(encode(Image.new("RGB", (400, 100)), "PNG"), max_side=200)
    assert describe(resized) == "PNG, 400×100 → 200×50, RGB"


def test_module_does_not_import_streamlit() -> None:
    check = "import sys, lessons.core.uploads; sys.exit('streamlit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], check=False).returncode == 0
