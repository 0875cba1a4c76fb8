"""Turn an uploaded file's bytes into a safe RGB image, or into a short message a student can act on.

Pure compute (Pillow and numpy only, no Streamlit), so pages, tests and notebooks share it. Every failure is an
``ImageInputError`` whose text can be shown as-is. The size checks read the image header before any pixel is decoded,
and Pillow's global settings (``Image.MAX_IMAGE_PIXELS``, ``ImageFile.LOAD_TRUNCATED_IMAGES``) are never changed.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

#: Keep in sync with ``.streamlit/config.toml`` ``maxUploadSize = 25`` (MB).
MAX_UPLOAD_BYTES: int = 25 * 1024 * 1024
#: Decompression-bomb limit on width × height, checked from the header before decoding.
MAX_PIXELS: int = 40_000_000
#: Smallest usable side in pixels.
MIN_SIDE: int = 16
#: Larger images are downscaled (aspect kept) with a note.
MAX_SIDE_AFTER_DECODE: int = 2048

#: Formats Pillow may open here (JPEG covers camera MPO files). Others, EPS (which calls Ghostscript) among them,
#: are refused as "not an image".
ACCEPTED_FORMATS: tuple[str, ...] = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")
#: The one list of image file types the app accepts (uploads, and images inside a .zip).
IMAGE_TYPES = ("png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp")
_UPLOAD_HINT = "Upload a PNG, JPEG, GIF, BMP, TIFF or WebP."
_ANIMATION_FORMATS = {"GIF", "PNG", "WEBP"}
_GRAYSCALE_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
_SIXTEEN_BIT_MODES = {"I;16", "I;16B", "I;16L", "I;16N"}
_STRETCHED_MODES = {"I": "high-bit-depth", "F": "32-bit float"}
_ALPHA_MODES = {"RGBA", "RGBa", "LA", "PA"}
_OTHER_COLOUR_SPACES = {"YCbCr", "LAB", "HSV"}
_BYTES_PER_MB = 1024 * 1024
_TURNED_ORIENTATIONS = range(2, 9)  # EXIF orientation 1 is "as stored"; 2–8 mirror and/or rotate

NOTE_16_BIT = "16-bit image converted to 8-bit"
NOTE_TRANSPARENT = "transparent areas shown on white"
NOTE_GRAYSCALE = "grayscale image: the same value is used for red, green and blue"
NOTE_CMYK = "CMYK (print) colours converted to RGB"


class ImageInputError(ValueError):
    """A user-supplied image that cannot be used; str(error) is a short, friendly message for the page."""


@dataclass(frozen=True)
class DecodedImage:
    """An uploaded image as H×W×3 uint8 RGB, with what it was before and what was done to it."""

    array: np.ndarray
    notes: tuple[str, ...]
    original_format: str
    original_mode: str
    original_size: tuple[int, int]


def decode_upload(
    data: bytes,
    filename: str | None = None,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_pixels: int = MAX_PIXELS,
    min_side: int = MIN_SIDE,
    max_side: int = MAX_SIDE_AFTER_DECODE,
) -> DecodedImage:
    """Decode uploaded bytes into an RGB uint8 image, or raise ImageInputError with a clear message."""
    _check_byte_count(len(data), max_bytes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with _open(data, filename, max_pixels) as image:
            original_format, original_mode, original_size = image.format or "unknown", image.mode, image.size
            _check_pixel_count(original_size, max_pixels)
            _check_min_side(original_size, min_side)
            _decode_at_reduced_scale(image, max_side)
            frame_notes = _load_first_frame(image)
            upright, orientation_notes = _upright(image)
            rgb, colour_notes = _to_rgb(upright)  # inside the block: a closed image has no pixels
    resized = _fit_within(rgb, max_side)
    size_notes = _downscale_notes(original_size, resized.size, max_side)
    return DecodedImage(
        array=np.array(resized, dtype=np.uint8, order="C"),
        notes=tuple(frame_notes + orientation_notes + colour_notes + size_notes),
        original_format=original_format,
        original_mode=original_mode,
        original_size=original_size,
    )


def describe(image: DecodedImage) -> str:
    """One-line description for captions, e.g. 'PNG, 640×480, RGBA → RGB'."""
    width, height = image.original_size
    final_height, final_width = image.array.shape[:2]
    size = f"{width}×{height}"
    if (final_width, final_height) != (width, height):
        size += f" → {final_width}×{final_height}"
    mode = image.original_mode if image.original_mode == "RGB" else f"{image.original_mode} → RGB"
    return f"{image.original_format}, {size}, {mode}"


# --- checks ------------------------------------------------------------------------------------------------------


def _megabytes(byte_count: int) -> str:
    """A byte count as a short MB figure ("26.3 MB")."""
    return f"{byte_count / _BYTES_PER_MB:.3g} MB"


def _check_byte_count(byte_count: int, max_bytes: int) -> None:
    """Refuse empty files and files over the upload limit."""
    if byte_count == 0:
        raise ImageInputError("The file is empty (0 bytes). Choose the image file again, or pick another one.")
    if byte_count > max_bytes:
        raise ImageInputError(
            f"The file is {_megabytes(byte_count)}, more than the {_megabytes(max_bytes)} limit. "
            "Upload a smaller file, or resize or compress the image first."
        )


def _too_many_pixels(pixel_count: int, max_pixels: int) -> ImageInputError:
    """The error for an image whose header promises more pixels than allowed."""
    return ImageInputError(
        f"This image is too large: {pixel_count:,} pixels, more than the limit of {max_pixels:,}. "
        "Resize it (for example to 2000×2000) and upload it again."
    )


def _check_pixel_count(size: tuple[int, int], max_pixels: int) -> None:
    """Refuse a decompression bomb from the header's width × height, before any pixel is decoded."""
    width, height = size
    if width * height > max_pixels:
        raise _too_many_pixels(width * height, max_pixels)


def _check_min_side(size: tuple[int, int], min_side: int) -> None:
    """Refuse images too small to show or filter."""
    width, height = size
    if min(width, height) < min_side:
        raise ImageInputError(
            f"This image is only {width}×{height} pixels; each side needs at least {min_side} pixels. "
            "Upload a larger image."
        )


# --- decoding ----------------------------------------------------------------------------------------------------


def _not_an_image(filename: str | None) -> ImageInputError:
    """The error for bytes that no accepted image format recognises."""
    extension = PurePath(filename).suffix.lower() if filename else ""
    detail = f"{extension} file" if extension else "format not recognised"
    return ImageInputError(f"This file is not an image this app can read ({detail}). {_UPLOAD_HINT}")


def _damaged() -> ImageInputError:
    """The error for an image whose data is cut off or corrupt."""
    return ImageInputError(
        "The image file is damaged or incomplete (it may have been cut off while downloading or copying). "
        "Save or export it again, or upload a different image."
    )


def _bomb_error(error: Exception, max_pixels: int) -> ImageInputError:
    """Pillow's own decompression-bomb error or warning, reworded with the pixel count it names."""
    pillow_limit = Image.MAX_IMAGE_PIXELS or max_pixels
    match = re.search(r"(\d+) pixels", str(error))
    pixel_count = int(match.group(1)) if match else pillow_limit + 1
    return _too_many_pixels(pixel_count, min(max_pixels, pillow_limit))


def _open(data: bytes, filename: str | None, max_pixels: int) -> Image.Image:
    """Open lazily (header only); call inside a filter that turns DecompressionBombWarning into an error."""
    try:
        return Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _bomb_error(error, max_pixels) from error
    except UnidentifiedImageError as error:
        raise _not_an_image(filename) from error
    except Exception as error:  # a plugin failing on a malformed header raises assorted types
        raise _damaged() from error


def _scale_to_fit(size: tuple[int, int], max_side: int) -> float:
    """The factor (at most 1) that brings the longer side of size down to max_side."""
    return min(1.0, max_side / max(size))


def _decode_at_reduced_scale(image: Image.Image, max_side: int) -> None:
    """Let a JPEG decoder skip detail the downscale would discard (no effect on other formats); call before load."""
    scale = _scale_to_fit(image.size, max_side)
    if scale < 1.0:
        width, height = image.size
        image.draft(image.mode, (math.ceil(width * scale), math.ceil(height * scale)))


def _load_first_frame(image: Image.Image) -> list[str]:
    """Decode the pixels of frame 0; the notes say when other frames were dropped."""
    try:
        frame_count = getattr(image, "n_frames", 1)
        image.seek(0)
        image.load()
    except Exception as error:  # truncated or corrupt data surfaces as OSError, SyntaxError, ValueError, EOFError...
        raise _damaged() from error
    if frame_count <= 1:
        return []
    if image.format in _ANIMATION_FORMATS:
        return [f"animated image: using the first of {frame_count} frames"]
    return [f"the file holds {frame_count} pictures: using the first"]


def _upright(image: Image.Image) -> tuple[Image.Image, list[str]]:
    """Apply the EXIF orientation tag; the note says when the image was turned or flipped."""
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
        if orientation not in _TURNED_ORIENTATIONS:
            return image, []  # no copy: the colour conversion makes one
        return ImageOps.exif_transpose(image), ["turned upright using the camera's orientation tag (EXIF)"]
    except Exception:  # a malformed EXIF block must not cost the student the picture
        return image, ["the orientation tag (EXIF) could not be read, so the image is shown as stored"]


# --- colour conversion -------------------------------------------------------------------------------------------


def _gray_to_rgb(gray: np.ndarray) -> Image.Image:
    """An H×W uint8 array as an RGB image."""
    return Image.fromarray(gray, mode="L").convert("RGB")


def _sixteen_bit_to_rgb(image: Image.Image) -> tuple[Image.Image, list[str]]:
    """16-bit grayscale to 8-bit by value / 257 (rounded), so 65535 → 255 and 0 → 0."""
    values = np.asarray(image).astype(np.uint32)
    return _gray_to_rgb(((values + 128) // 257).astype(np.uint8)), [NOTE_16_BIT]


def _stretch_to_uint8(values: np.ndarray) -> np.ndarray:
    """Map the finite min–max range to 0–255; NaN and -inf → 0, +inf → 255, a constant image keeps its value."""
    finite = np.isfinite(values)
    stretched = np.zeros(values.shape, dtype=np.float64)
    stretched[np.isposinf(values)] = 255.0
    if finite.any():
        finite_values = values[finite]
        low, high = float(finite_values.min()), float(finite_values.max())
        if high > low:
            stretched[finite] = (finite_values - low) * (255.0 / (high - low))
        else:
            stretched[finite] = np.clip(low, 0.0, 255.0)
    return np.rint(stretched).astype(np.uint8)


def _stretched_to_rgb(image: Image.Image) -> tuple[Image.Image, list[str]]:
    """32-bit integer ("I") or float ("F") grayscale to 8-bit by stretching its darkest–brightest range."""
    values = np.asarray(image, dtype=np.float64)
    notes = [f"{_STRETCHED_MODES[image.mode]} image converted to 8-bit (darkest → black, brightest → white)"]
    nan_count = int(np.isnan(values).sum())
    if nan_count:
        notes.append(f"{nan_count:,} pixels had no value (NaN) and are shown black")
    return _gray_to_rgb(_stretch_to_uint8(values)), notes


def _has_transparency(image: Image.Image) -> bool:
    """Whether the mode carries alpha or the file names a transparent colour or palette entry."""
    return image.mode in _ALPHA_MODES or "transparency" in image.info


def _composite_on_white(image: Image.Image) -> tuple[Image.Image, list[str]]:
    """Flatten transparency onto white; the note appears only when some pixel is not fully opaque."""
    rgba = image.convert("RGBA")
    lowest_alpha, _ = rgba.getchannel("A").getextrema()
    if lowest_alpha == 255:
        return rgba.convert("RGB"), []
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB"), [NOTE_TRANSPARENT]


def _convert_colours(image: Image.Image) -> tuple[Image.Image, list[str]]:
    """Any Pillow mode to RGB; the notes name conversions that change values or how colours are described."""
    if image.mode in _SIXTEEN_BIT_MODES:
        return _sixteen_bit_to_rgb(image)
    if image.mode in _STRETCHED_MODES:
        return _stretched_to_rgb(image)
    if _has_transparency(image):
        return _composite_on_white(image)
    if image.mode == "CMYK":
        return image.convert("RGB"), [NOTE_CMYK]
    if image.mode in _OTHER_COLOUR_SPACES:
        return image.convert("RGB"), [f"{image.mode} colours converted to RGB"]
    return image.convert("RGB"), []


def _to_rgb(image: Image.Image) -> tuple[Image.Image, list[str]]:
    """Convert any Pillow mode to RGB, or refuse a mode Pillow cannot convert."""
    try:
        rgb, notes = _convert_colours(image)
    except ValueError as error:
        raise ImageInputError(
            f"This image stores its colours in a format ({image.mode}) that cannot be converted to RGB. "
            "Save it as an ordinary RGB PNG or JPEG and upload it again."
        ) from error
    if image.mode in _GRAYSCALE_MODES:
        notes = [NOTE_GRAYSCALE, *notes]
    return rgb, notes


def _fit_within(image: Image.Image, max_side: int) -> Image.Image:
    """Shrink so the longer side is max_side (aspect kept, Lanczos); smaller images pass through."""
    scale = _scale_to_fit(image.size, max_side)
    if scale == 1.0:
        return image
    width, height = image.size
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(new_size, Image.Resampling.LANCZOS)


def _downscale_notes(original_size: tuple[int, int], final_size: tuple[int, int], max_side: int) -> list[str]:
    """A note when the image was made smaller, naming the size uploaded and the size kept."""
    if max(final_size) == max(original_size):
        return []
    width, height = original_size
    final_width, final_height = final_size
    return [
        f"downscaled from {width}×{height} to {final_width}×{final_height} pixels "
        f"(longest side limited to {max_side})"
    ]
