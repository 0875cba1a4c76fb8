"""Finished results on disk without pickle: dataclasses of arrays, numbers, strings, tuples, lists and dicts.

A record is one `.npz` file: every array under its own name (read back with `allow_pickle=False`) and a JSON tree
describing the rest. Only dataclasses defined under `lessons.` are rebuilt, so a tampered file can name no other
code to run. Anything unreadable or of an unknown shape loads as None ("compute it again").
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from lessons.core.cache import cache_dir, save_atomically

#: Bump when the codec itself changes; results whose recipe changes put their own version in their key.
CODEC_VERSION = 1
_TREE = "__tree__"


class UnsupportedRecord(TypeError):
    """A value the record codec cannot store (an object that is not a dataclass, array or plain value)."""


def _encode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise UnsupportedRecord("object arrays cannot be stored")
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"array": name}
    if isinstance(value, np.generic):
        return _encode(value.item(), arrays)
    if value is None or isinstance(value, bool | int | float | str):
        return {"value": value}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = type(value)
        if not kind.__module__.startswith("lessons."):
            raise UnsupportedRecord(f"{kind.__module__}.{kind.__qualname__} is not a lesson dataclass")
        fields = {f.name: _encode(getattr(value, f.name), arrays) for f in dataclasses.fields(value) if f.init}
        return {"dataclass": f"{kind.__module__}:{kind.__qualname__}", "fields": fields}
    if isinstance(value, tuple | list):
        return {"tuple" if isinstance(value, tuple) else "list": [_encode(v, arrays) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str | int) for k in value):
            raise UnsupportedRecord("dict keys must be strings or integers")
        return {"dict": [[_encode(k, arrays), _encode(v, arrays)] for k, v in value.items()]}
    raise UnsupportedRecord(f"cannot store a {type(value).__name__}")


def _decode(node: dict, arrays: Any) -> Any:
    if "array" in node:
        return arrays[node["array"]]
    if "value" in node:
        return node["value"]
    if "tuple" in node:
        return tuple(_decode(v, arrays) for v in node["tuple"])
    if "list" in node:
        return [_decode(v, arrays) for v in node["list"]]
    if "dict" in node:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in node["dict"]}
    module_name, _, qualname = node["dataclass"].partition(":")
    if not module_name.startswith("lessons."):
        raise UnsupportedRecord(f"refusing to build {module_name}")
    kind: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        kind = getattr(kind, part)
    if not dataclasses.is_dataclass(kind):
        raise UnsupportedRecord(f"{qualname} is not a dataclass")
    return kind(**{name: _decode(v, arrays) for name, v in node["fields"].items()})


def record_bytes(value: Any) -> bytes:
    """`value` as the bytes of one record file (raises UnsupportedRecord for values it cannot hold)."""
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(value, arrays)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, **{_TREE: np.frombuffer(json.dumps(tree).encode("utf-8"), np.uint8)})
    return buffer.getvalue()


def record_from_bytes(data: bytes) -> Any | None:
    """The value stored by `record_bytes`, or None when the bytes are not a readable record."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            tree = json.loads(arrays[_TREE].tobytes().decode("utf-8"))
            return _decode(tree, {name: arrays[name] for name in arrays.files if name != _TREE})
    except Exception:  # noqa: BLE001  (truncated, foreign, stale or tampered: compute again)
        return None


def record_path(group: str, key: Any) -> Path:
    """Where the record for `key` (anything with a stable repr, e.g. a frozen dataclass) of `group` lives."""
    digest = hashlib.sha256(f"{CODEC_VERSION}|{key!r}".encode()).hexdigest()[:24]
    return cache_dir() / "results" / group / f"{digest}.npz"


def save_record(group: str, key: Any, value: Any) -> bool:
    """Write `value` for `key` atomically; False if it cannot be stored (unsupported value, unwritable folder)."""
    try:
        data = record_bytes(value)
    except UnsupportedRecord:
        return False
    return save_atomically(record_path(group, key), lambda handle: handle.write(data))


def load_record(group: str, key: Any) -> Any | None:
    """The stored value for `key`, or None."""
    path = record_path(group, key)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return record_from_bytes(data)


def stable_key(key: Any) -> bool:
    """Whether `key`'s repr is the same in every process (no object addresses), so it may name a file."""
    return " at 0x" not in repr(key)
