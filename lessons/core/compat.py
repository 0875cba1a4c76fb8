"""Import torchvision safely on a CPU-only torch.

The registry's torchvision wheel can be a CUDA build whose compiled extension cannot load next to a CPU torch; its
meta registrations then fail with ``operator torchvision::nms does not exist``. When (and only when) the extension
cannot load, this module defines the ``torchvision::nms``/``qnms`` schemas with a small pure-PyTorch CPU kernel before
the import. A working extension is left alone.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

import torch

_lock = threading.Lock()
_fallback_library: torch.library.Library | None = None
#: True once the fallback kernels were installed because the compiled extension could not load.
USING_FALLBACK_OPS = False


def nms_reference(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression on (x1, y1, x2, y2) boxes; returns kept indices by decreasing score."""
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.int64, device=boxes.device)
    order = torch.argsort(scores, descending=True, stable=True)
    x1, y1, x2, y2 = boxes.unbind(1)
    areas = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    suppressed = torch.zeros(len(boxes), dtype=torch.bool, device=boxes.device)
    keep = []
    for i in order.tolist():
        if suppressed[i]:
            continue
        keep.append(i)
        w = (torch.minimum(x2[i], x2) - torch.maximum(x1[i], x1)).clamp(min=0)
        h = (torch.minimum(y2[i], y2) - torch.maximum(y1[i], y1)).clamp(min=0)
        inter = w * h
        iou = inter / (areas[i] + areas - inter).clamp(min=torch.finfo(boxes.dtype).tiny)
        suppressed |= iou > iou_threshold
    return torch.tensor(keep, dtype=torch.int64, device=boxes.device)


def _extension_loads() -> bool:
    """Try to load torchvision's compiled extension without importing torchvision."""
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return False
    for folder in spec.submodule_search_locations:
        for lib in Path(folder).glob("_C*"):
            if lib.suffix in {".so", ".pyd", ".dylib"}:
                try:
                    torch.ops.load_library(str(lib))
                    return True
                except (OSError, RuntimeError):
                    return False
    return False


def _install_fallback_ops() -> None:
    global _fallback_library, USING_FALLBACK_OPS
    lib = torch.library.Library("torchvision", "DEF")
    lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.impl("nms", nms_reference, "CompositeExplicitAutograd")
    lib.impl("qnms", lambda d, s, t: nms_reference(d.dequantize(), s.dequantize(), t), "CompositeExplicitAutograd")
    _fallback_library = lib
    USING_FALLBACK_OPS = True


def import_torchvision() -> ModuleType:
    """Return the torchvision module, importing it with the CPU fallback ops when its extension cannot load."""
    with _lock:
        if "torchvision" in sys.modules and hasattr(sys.modules["torchvision"], "models"):
            return sys.modules["torchvision"]
        if not _extension_loads() and _fallback_library is None:
            _install_fallback_ops()
        import torchvision  # noqa: PLC0415  (import is the point of this function)

        if USING_FALLBACK_OPS:
            torchvision.extension._has_ops = lambda: True  # nms/qnms now resolve to the fallback kernels
        return torchvision
