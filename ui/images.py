"""Picking an input image in a page: the shipped photo catalogue or an upload, with friendly errors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

from lessons.core import data
from lessons.core import uploads as images
from ui.state import Setting, choice


@dataclass(frozen=True)
class PickedImage:
    """The image a student chose, with a stable id for caching and a caption that credits its source."""

    image_id: str
    array: np.ndarray
    caption: str


UPLOAD_TYPES = list(images.IMAGE_TYPES)


def photo_setting(key: str, default: str = "coffee") -> Setting:
    """The declared setting behind `photo_picker(key)`: one of the shipped photos."""
    return choice(key, default, data.photo_keys())


def _photo_label(key: str) -> str:
    return data.photo_info(key).caption


def photo_picker(key: str) -> PickedImage:
    """Selectbox over the catalogue plus an uploader; a bad upload shows a message and keeps the last image.

    The page declares the choice with `photo_setting(key, default)`."""
    choice = st.selectbox("Photo", data.photo_keys(), key=key, format_func=_photo_label)
    upload = st.file_uploader("…or upload your own image", type=UPLOAD_TYPES, key=f"{key}_upload",
                              help=f"Up to {images.MAX_UPLOAD_BYTES // 2**20} MB; PNG, JPEG, GIF, BMP, TIFF, WebP.")
    if upload is not None:
        picked = decode_or_explain(upload.getvalue(), upload.name)
        if picked is not None:
            return picked
    info = data.photo_info(choice)
    return PickedImage(f"photo:{choice}", data.load_photo(choice),
                       f"{info.caption} — {info.credit}, {info.license}")


def decode_or_explain(raw: bytes, name: str) -> PickedImage | None:
    """Decode an upload; on failure show why in the page and return None (the caller keeps its last image)."""
    digest = hashlib.sha1(raw).hexdigest()[:16]
    try:
        decoded = images.decode_upload(raw, name)
    except images.ImageInputError as error:
        st.error(f"**{name}** can't be used: {error} The photo selected above is shown instead.")
        return None
    for note in decoded.notes:
        st.info(note)
    return PickedImage(f"upload:{digest}", decoded.array, f"Your upload: {name} ({images.describe(decoded)})")

