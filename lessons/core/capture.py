"""Running a loaded model: memory-bounded batches, hook-free activation capture, class scores and probabilities."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from lessons.core.progress import Progress
from lessons.core.registry import LoadedModel, _to_model_input
from lessons.core.stages import run_stages

DEFAULT_MEMORY_BUDGET = 512 * 1024**2
CPU_WORKING_SET = 20 * 1024**2


def batch_size_for(loaded: LoadedModel, layers: Sequence[str] = (),
                   budget_bytes: int = DEFAULT_MEMORY_BUDGET, pixels: int | None = None) -> int:
    """Batch size for inference: kept activations plus working memory fit `budget_bytes` (1…256).

    On a CPU the batch is also kept small enough for the largest intermediate maps to stay in cache and under the
    32-MB block size glibc is told to keep in its heap (`memory.tune_allocator`): measured on EfficientNet-Lite0 at
    224 px (`python -m bench extract`), 4 images per batch ran 1.1-1.5× faster than 2 and 1.2-1.6× faster than 8,
    on the main thread and in a page's thread alike. `pixels` (H·W of the actual inputs) scales the
    estimate for inputs smaller or larger than the model's standard size: 128-px crops get a ~3× larger batch,
    which matters most where the work runs in a web server's worker thread (measured 2.5× faster there).
    """
    shapes = loaded.output_shapes
    scale = 1.0 if pixels is None else pixels / float(loaded.spec.input_size**2)
    largest = max(int(np.prod(s)) for s in shapes.values())
    working = int(4 * 3 * largest * scale)  # a stage's input, output and one temporary
    per_image = int(4 * sum(int(np.prod(shapes[name])) for name in layers) * scale) + working
    size = int(np.clip(budget_bytes // max(per_image, 1), 1, 256))
    if loaded.device.type == "cpu":
        size = min(size, max(1, CPU_WORKING_SET // working))
    return size


def _batches(n: int, size: int) -> list[slice]:
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def capture(loaded: LoadedModel, inputs: torch.Tensor, layers: Sequence[str], batch_size: int | None = None,
            progress: Progress | None = None) -> dict[str, np.ndarray]:
    """Activations of the named layers for preprocessed inputs (N×C×H×W), as CPU float32 arrays (N, …).

    No hook is ever registered: the model's stages are run in order and the requested outputs are kept, so any
    number of threads can capture from the same shared model at once.
    """
    for name in layers:
        loaded.stage(name)  # raises a clear KeyError for unknown names
    wanted = set(layers)
    deepest = max(layers, key=loaded.layer_names.index) if layers else None
    size = batch_size or batch_size_for(loaded, layers, pixels=int(inputs.shape[-2] * inputs.shape[-1]))
    parts: dict[str, list[np.ndarray]] = {name: [] for name in layers}
    chunks = _batches(len(inputs), size)
    with torch.inference_mode():
        for i, chunk in enumerate(chunks):
            x = _to_model_input(loaded, inputs[chunk])
            _, kept = run_stages(loaded.stages, x, keep=wanted, stop_after=deepest)
            for name, value in kept.items():
                parts[name].append(value.float().cpu().contiguous().numpy())
            if progress:
                progress((i + 1) / len(chunks), f"batch {i + 1} of {len(chunks)}")
    return {name: np.concatenate(chunks_) for name, chunks_ in parts.items()}


def logits(loaded: LoadedModel, inputs: torch.Tensor, batch_size: int | None = None) -> np.ndarray:
    """Class scores (N, classes) for preprocessed inputs, computed in memory-bounded batches."""
    size = batch_size or batch_size_for(loaded)
    outs = []
    with torch.inference_mode():
        for chunk in _batches(len(inputs), size):
            x = _to_model_input(loaded, inputs[chunk])
            outs.append(loaded.module(x).float().cpu().numpy())
    return np.concatenate(outs) if outs else np.zeros((0, 0), np.float32)


def softmax(scores: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def predict(loaded: LoadedModel, inputs: torch.Tensor, batch_size: int | None = None) -> np.ndarray:
    """Class probabilities (N, classes) for preprocessed inputs."""
    return softmax(logits(loaded, inputs, batch_size))


def top_k(probabilities: np.ndarray, names: Sequence[str], k: int = 5) -> list[tuple[str, float]]:
    """The k most probable (class name, probability) pairs of one probability vector, best first."""
    order = np.argsort(probabilities)[::-1][:k]
    return [(names[i], float(probabilities[i])) for i in order]


def flops_per_image(loaded: LoadedModel) -> int:
    """Floating-point operations of one forward pass (multiply and add counted separately)."""
    from torch.utils.flop_counter import FlopCounterMode

    blank = torch.zeros(1, loaded.spec.channels, loaded.spec.input_size, loaded.spec.input_size,
                        device=loaded.device)
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        loaded.module(blank)
    return int(counter.get_total_flops())
