"""The images an activation atlas is built from: random crops of the shipped photos, the MNIST digits, uploads.

Pure numpy/Pillow. Uploads (single images or a .zip of them) are decoded with the app's safe decoder; a zip is read
member by member with limits on the count and the uncompressed size, and anything unusable is reported, not raised.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np

from lessons.core import data
from lessons.core import uploads as images

MAX_ZIP_MEMBERS = 500
MAX_ZIP_UNCOMPRESSED = 200 * 1024**2
IMAGE_SUFFIXES = tuple(f".{kind}" for kind in images.IMAGE_TYPES)


@dataclass(frozen=True)
class Sources:
    """Model-ready square images (N, S, S, C) uint8 with, for each, the index of the picture it came from."""

    images: np.ndarray
    origin: np.ndarray  # (N,) index into `names`
    names: tuple[str, ...]  # one per source picture (photo caption, upload name, or "digit 3")


def photo_crops(n: int, size: int, seed: int = 0, extra: list[tuple[str, np.ndarray]] | None = None) -> Sources:
    """Random crops of every shipped photo plus any extra (name, H×W×3 uint8) pictures, e.g. uploads."""
    keys = data.photo_keys()
    names = [data.photo_info(k).caption for k in keys] + [name for name, _ in extra or []]
    pictures = [data.load_photo(k) for k in keys] + [np.asarray(p, np.uint8) for _, p in extra or []]
    crops, origin = data.random_crops(pictures, n, size, seed)
    return Sources(crops, origin, tuple(names))


def digit_sources() -> Sources:
    """The 5,000 shipped MNIST digits as (N, 28, 28, 1) images, each labelled by its digit."""
    digits, labels = data.mnist_digits()
    return Sources(np.asarray(digits)[:, :, :, None], np.asarray(labels), tuple(f"digit {d}" for d in range(10)))


@dataclass(frozen=True)
class Decoded:
    """Pictures decoded from uploads, and a message for each file that could not be used."""

    pictures: list[tuple[str, np.ndarray]]
    problems: list[str]


def _is_image_name(name: str) -> bool:
    path = PurePosixPath(name)
    hidden = any(part.startswith(".") or part == "__MACOSX" for part in path.parts)
    return not hidden and path.suffix.lower() in IMAGE_SUFFIXES


def decode_zip(raw: bytes, zip_name: str, max_members: int = MAX_ZIP_MEMBERS,
               max_total: int = MAX_ZIP_UNCOMPRESSED) -> Decoded:
    """Every usable image inside a zip (nested folders allowed); problems are collected, never raised."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError):
        return Decoded([], [f"**{zip_name}** is not a readable zip file."])
    pictures: list[tuple[str, np.ndarray]] = []
    problems: list[str] = []
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and _is_image_name(m.filename)]
        if not members:
            return Decoded([], [f"**{zip_name}** holds no images ({', '.join(IMAGE_SUFFIXES)})."])
        if len(members) > max_members:
            problems.append(f"**{zip_name}** holds {len(members)} images; the first {max_members} are used.")
            members = members[:max_members]
        total = 0
        for member in members:
            total += member.file_size
            if total > max_total:
                problems.append(f"**{zip_name}**: stopped after {len(pictures)} images — more than "
                                f"{max_total // 2**20} MB uncompressed.")
                break
            label = f"{zip_name}/{member.filename}"
            if member.file_size > images.MAX_UPLOAD_BYTES:
                problems.append(f"**{label}** is larger than {images.MAX_UPLOAD_BYTES // 2**20} MB and was skipped.")
                continue
            try:
                content = archive.read(member)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
                problems.append(f"**{label}** could not be read from the zip (damaged or encrypted).")
                continue
            try:
                pictures.append((label, images.decode_upload(content, member.filename).array))
            except images.ImageInputError as error:
                problems.append(f"**{label}** can't be used: {error}")
    return Decoded(pictures, problems)


def decode_uploads(files: list[tuple[str, bytes]]) -> Decoded:
    """Decode uploaded (name, bytes) files — images, or zips of images — into pictures and problem messages."""
    pictures: list[tuple[str, np.ndarray]] = []
    problems: list[str] = []
    for name, raw in files:
        if name.lower().endswith(".zip"):
            found = decode_zip(raw, name)
            pictures += found.pictures
            problems += found.problems
            continue
        try:
            pictures.append((name, images.decode_upload(raw, name).array))
        except images.ImageInputError as error:
            problems.append(f"**{name}** can't be used: {error}")
    return Decoded(pictures, problems)


def uploads_digest(files: list[tuple[str, bytes]]) -> str:
    """A short id of the uploaded files' contents (their order counts, their names do not), for keying caches."""
    return hashlib.sha256(b"".join(hashlib.sha256(raw).digest() for _, raw in files)).hexdigest()[:16]
