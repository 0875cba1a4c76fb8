"""A differentiable model of mouse neurons: network (up to one layer) → the layer's random projection → each cell's
ridge readout, as one torch module, built from the cortex lesson's fitted readouts without refitting.

Callable from a notebook::

    from lessons.cortex import neuron_model, simulated
    bundle = simulated.load_or_build()
    readouts = neuron_model.fit_readouts(bundle, "efficientnet_lite0", "pretrained", "blocks.9", [0, 7])
    model = neuron_model.NeuronModel.from_readouts(readouts)
    model.predict_stimuli(bundle.stimuli[:4])          # (4, 2): what the pipeline predicts
    neuron_model.receptive_field(model, 7)            # (H, W): the linear receptive-field estimate of cell 7

The readout is the pipeline's own: the full-data GCV ridge fit (`brain_score.gcv_fit`) on the layer's Gram matrix of
projected features, scaled by `brain_score.scaled_gram` (one factor c), from `pipeline.layer_grams` (shipped or
cached). Its predictions for the training conditions are ``c · Fc Fcᵀ · dual + y_mean`` with Fc the projected
features F minus their mean m over the conditions. Because the intercept is unpenalised, Σ dual = 0 per cell, so any
image x (its projected features f(x)) is predicted by the same formula as a linear readout::

    prediction(x) = (f(x) − m) · w + y_mean = f(x) · w + bias,   w = c · Fcᵀ · dual,   bias = y_mean − m · w

The features F of the one layer are recomputed exactly as the pipeline does (same batches, same seeded projection)
and cached on disk, so the readout needs no new fit and gives the page's predictions.

The network is a private batch-norm-folded twin of the shared model (`registry.fused_model`), run only as far as
the layer (`stages.run_stages(..., stop_after=layer)`). Gradients flow to the input image only: the network's
parameters never require gradients, nothing is switched to training mode and no hook is registered, so any number
of threads may use one model at once.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import torch
import torch.nn.functional as F

from lessons.core import cache, capture, preprocess, registry, runtime
from lessons.core.progress import Progress, silent, sub_range
from lessons.core.stages import run_stages
from lessons.cortex import brain_score, pipeline
from lessons.cortex.data import BLANK_GREY, NeuralBundle

_FEATURES_VERSION = 1  # the projected features of one layer, as `pipeline.project_layers` makes them


class ReadoutError(ValueError):
    """A neuron model that cannot be built or used; the message says why, in words for a student."""


def default_layer(loaded: registry.LoadedModel) -> str:
    """The layer the cortex page shows close-ups of by default: the middle of the network's brain layers."""
    layers = pipeline.brain_layers(loaded)
    return layers[len(layers) // 2]


def _layer_index(loaded: registry.LoadedModel, layer: str) -> int:
    layers = pipeline.brain_layers(loaded)
    if layer not in layers:
        raise ReadoutError(f"{loaded.spec.title} has no layer called {layer!r} that is compared with the brain; "
                           f"choose one of {', '.join(layers)}.")
    return layers.index(layer)


# ------------------------------------------------------------------------------------------------------ readouts
@dataclass(frozen=True, eq=False)
class Readouts:
    """The fitted linear readouts of some cells from one layer: prediction = projected features · w + bias."""

    model_key: str
    weights: str
    layer: str
    layer_index: int  # the layer's index among `pipeline.brain_layers` (it seeds the projection)
    cells: np.ndarray  # (C,) int: indices of the cells in the bundle
    cell_ids: np.ndarray  # (C,) int: their cell_specimen_id
    w: np.ndarray  # (k, C) float64: weights on the projected features
    bias: np.ndarray  # (C,) float64
    alphas: np.ndarray  # (C,) the GCV alpha of each cell
    constant: np.ndarray  # (C,) bool: the largest alpha won, so the readout predicts almost a constant
    n_features: int  # D: numbers per image at the layer
    n_components: int  # k: dimensions after the projection
    projection_seed: int
    stimulus_shape: tuple[int, int]  # (H, W) of the bundle's stimuli
    gram_error: float  # largest |Gram of the recomputed features − the fitted Gram|, relative to its largest entry

    @property
    def n_cells(self) -> int:
        """Number of cells (columns of the predictions)."""
        return int(len(self.cells))

    def column(self, cell: int, allow_constant: bool = False) -> int:
        """The column of a bundle cell in the predictions; refuses a cell not fitted here, or one whose readout is
        constant (unless `allow_constant`)."""
        hits = np.flatnonzero(self.cells == int(cell))
        if hits.size == 0:
            raise ReadoutError(f"cell {cell} has no readout here: it was not among the cells fitted at {self.layer}.")
        col = int(hits[0])
        if self.constant[col] and not allow_constant:
            raise ReadoutError(
                f"cell {int(self.cell_ids[col])}'s readout from {self.layer} is almost a constant: ridge regression "
                f"chose its strongest shrinkage (alpha {self.alphas[col]:g}) because the layer's features did not "
                "predict this cell better than its average response. There is no image it prefers; pick a cell the "
                "layer predicts, or another layer.")
        return col


def _features_file(bundle: NeuralBundle, model_key: str, weights: str, layer: str, index: int, seed: int) -> str:
    key = "|".join([bundle.stimulus_fingerprint, model_key, weights, layer, str(index), str(seed),
                    str(pipeline.STIMULUS_FIT), str(pipeline._CACHE_VERSION)])
    return f"v{_FEATURES_VERSION}_{model_key}_{weights}_{hashlib.sha1(key.encode()).hexdigest()[:16]}.npy"


def _load_features(path: Path, shape: tuple[int, int]) -> np.ndarray | None:
    if not path.is_file():
        return None
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if not isinstance(array, np.ndarray) or array.shape != shape or array.dtype != np.float32:
        return None
    return array


def projected_features(bundle: NeuralBundle, loaded: registry.LoadedModel, layer: str, seed: int = pipeline.SEED,
                       progress: Progress | None = None) -> np.ndarray:
    """The projected features (conditions × k float32) of one layer, exactly as `pipeline.project_layers` makes them
    for the whole network (same batches, same projection seed); cached on disk."""
    index = _layer_index(loaded, layer)
    images = bundle.condition_images()
    n = len(images)
    dim = int(np.prod(loaded.output_shapes[layer]))
    k = brain_score.projection_dim(n, dim)
    path = cache.cache_dir() / "cortex_features" / _features_file(bundle, loaded.spec.key, loaded.weights, layer,
                                                                   index, seed)
    cached = _load_features(path, (n, k))
    report = progress or silent
    if cached is not None:
        report(1.0, f"Features of {layer}: reused from the cache")
        return cached
    # The seed depends on the layer's index among all brain layers, as in `pipeline.project_layers`.
    projection = brain_score.SparseProjection(dim, k, pipeline._layer_seed(seed, index), device=loaded.device)
    out = np.empty((n, k), dtype=np.float32)
    starts = list(range(0, n, pipeline.IMAGE_BATCH))
    for step, start in enumerate(starts):
        stop = min(start + pipeline.IMAGE_BATCH, n)
        report(step / len(starts), f"Features of {layer}: images {start + 1}–{stop} of {n} through "
               f"{loaded.spec.title}")
        inputs = preprocess.prepare_batch(list(images[start:stop]), loaded.spec, fit=pipeline.STIMULUS_FIT)
        acts = capture.capture(loaded, inputs, [layer], batch_size=pipeline.CAPTURE_BATCH)
        with torch.inference_mode():
            out[start:stop] = projection.transform(torch.from_numpy(acts[layer])).cpu().numpy()
    projection.release()

    def write(handle: IO[bytes]) -> None:
        np.save(handle, out, allow_pickle=False)

    cache.save_atomically(path, write)
    report(1.0, f"Features of {layer}: done")
    return out


def _gram_scale(layer: brain_score.LayerGram) -> float:
    """The one factor `brain_score.scaled_gram` multiplies the Gram matrix by (read back from it)."""
    gram = layer.gram
    norm = float((gram * gram).sum())
    return float((brain_score.scaled_gram(layer) * gram).sum() / norm) if norm > 0 else 1.0


def fit_readouts(bundle: NeuralBundle, model_key: str, weights: registry.Weights, layer: str,
                 cells: Sequence[int] | np.ndarray, seed: int = pipeline.SEED, progress: Progress | None = None,
                 device: str | None = None) -> Readouts:
    """The cortex page's full-data GCV readouts of `cells` (bundle indices) at `layer`, as weights on the layer's
    projected features (from the shipped or cached Gram matrices; no new fit of the alphas)."""
    idx = np.asarray(cells, dtype=np.int64).reshape(-1)
    if idx.size == 0:
        raise ReadoutError("choose at least one cell to model.")
    if idx.min() < 0 or idx.max() >= bundle.n_cells:
        raise ReadoutError(f"the data set has {bundle.n_cells:,} cells, numbered 0 to {bundle.n_cells - 1}; "
                           f"cell {int(idx.max() if idx.max() >= bundle.n_cells else idx.min())} is not one of them.")
    if len(np.unique(idx)) != len(idx):
        raise ReadoutError("each cell can be modelled once: the list of cells repeats one.")
    loaded = registry.load_model(model_key, weights, device_name=device)
    index = _layer_index(loaded, layer)
    grams = pipeline.layer_grams(bundle, model_key, weights, seed=seed, progress=sub_range(progress, 0.0, 0.2),
                                 device=device)
    layer_gram = grams.gram(layer)
    features = projected_features(bundle, loaded, layer, seed, sub_range(progress, 0.2, 0.95))
    (progress or silent)(0.95, f"Readouts of {len(idx)} cells from {layer}")

    dev = runtime.device(device)
    dtype = brain_score.float_dtype(dev)
    gram = torch.as_tensor(brain_score.scaled_gram(layer_gram), device=dev).to(dtype)
    y = torch.as_tensor(bundle.responses[idx].T.astype(np.float64), device=dev).to(dtype)  # conditions × cells
    fit = brain_score.gcv_fit(gram, y)
    feats = torch.as_tensor(features, device=dev).to(dtype)
    mean = feats.mean(dim=0)
    centred = feats - mean
    w = _gram_scale(layer_gram) * (centred.T @ fit.dual)  # k × C
    bias = fit.y_mean - mean @ w
    rebuilt = (centred @ centred.T).cpu().numpy()
    scale = max(float(np.abs(layer_gram.gram).max()), 1e-300)
    grid = np.asarray(brain_score.ALPHAS)
    alpha_index = fit.alpha_index.cpu().numpy()
    (progress or silent)(1.0, "Readouts ready")
    return Readouts(
        model_key=model_key, weights=weights, layer=layer, layer_index=index, cells=idx,
        cell_ids=bundle.cells["cell_specimen_id"].to_numpy(np.int64)[idx],
        w=w.cpu().numpy().astype(np.float64), bias=bias.cpu().numpy().astype(np.float64),
        alphas=grid[alpha_index], constant=alpha_index == len(grid) - 1,
        n_features=int(np.prod(loaded.output_shapes[layer])), n_components=int(features.shape[1]),
        projection_seed=pipeline._layer_seed(seed, index), stimulus_shape=tuple(int(s) for s in bundle.stimuli.shape[1:3]),
        gram_error=float(np.abs(rebuilt - layer_gram.gram).max() / scale))


# ---------------------------------------------------------------------------------------------------- projection
class _Project(torch.autograd.Function):
    """y = P x with P's blocks; the backward pass multiplies by the transposed blocks made once, up front."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, projection: DifferentiableProjection) -> torch.Tensor:
        """P x, block by block, exactly as `SparseProjection.transform` computes it."""
        ctx.projection = projection
        return projection.sparse.transform(x)  # the pipeline's own arithmetic, so the features match bit for bit

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        """Pᵀ grad, from the transposed blocks."""
        g = grad.to(torch.float32).T.contiguous()  # k × B
        return torch.cat([(t @ g).T for t in ctx.projection.transposed], dim=1), None


class DifferentiableProjection:
    """`brain_score.SparseProjection` (the same seeded matrix) with a gradient for its input: (B, …) → (B, k).

    torch's CSR @ dense does have a backward for the dense side, but it transposes every block again on each call
    (measured: 35 ms per block and step for 21,952 → 4,096); here the transposed blocks are made once (0.5 ms).
    """

    def __init__(self, n_features: int, n_components: int, seed: int, device: torch.device) -> None:
        self.sparse = brain_score.SparseProjection(n_features, n_components, seed, device=device)
        self.transposed: list[torch.Tensor] | None = []
        with torch.inference_mode(False), warnings.catch_warnings():  # "sparse CSR support is in beta"
            warnings.simplefilter("ignore", UserWarning)
            # generated once, now: later calls, from any thread, only read them
            blocks = [] if self.sparse.identity else [csr for _, _, csr in self.sparse.blocks()]
            try:
                self.transposed = [csr.t().to_sparse_csr() for csr in blocks]
            except (RuntimeError, NotImplementedError):  # a device without sparse transposes: torch's own backward
                self.transposed = None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Project (B, …) features (flattened) to (B, k) float32."""
        x = x.reshape(len(x), -1).to(torch.float32)
        if self.sparse.identity:
            return x
        if self.transposed is None:
            return self.sparse.transform(x)
        return _Project.apply(x, self)


# --------------------------------------------------------------------------------------------------------- model
class NeuronModel(torch.nn.Module):
    """Network up to the readouts' layer → random projection → the cells' readouts: images in, (B, C) predictions.

    The network is the shared model's private fused twin, held outside the module's parameters (this module has
    none: `parameters()` is empty and nothing here can be trained). Lives on the loaded model's device.
    """

    def __init__(self, loaded: registry.LoadedModel, readouts: Readouts) -> None:
        super().__init__()
        if (loaded.spec.key, loaded.weights) != (readouts.model_key, readouts.weights):
            raise ReadoutError(f"these readouts were fitted on {readouts.model_key} ({readouts.weights} weights), "
                               f"not on {loaded.spec.key} ({loaded.weights} weights).")
        if _layer_index(loaded, readouts.layer) != readouts.layer_index:
            raise ReadoutError(f"{readouts.layer} is not where these readouts expect it in {loaded.spec.title}.")
        self.readouts = readouts
        self.dtype = brain_score.float_dtype(loaded.device)
        with torch.inference_mode(False):  # tensors made here take part in backward passes later
            self._network = registry.fused_model(loaded)
            self._projection = DifferentiableProjection(readouts.n_features, readouts.n_components,
                                                        readouts.projection_seed, loaded.device)
            self.register_buffer("w", torch.as_tensor(readouts.w).to(loaded.device, self.dtype))
            self.register_buffer("bias", torch.as_tensor(readouts.bias).to(loaded.device, self.dtype))
            spec = loaded.spec
            self.register_buffer("mean", torch.tensor(spec.mean, device=loaded.device).view(1, -1, 1, 1))
            self.register_buffer("std", torch.tensor(spec.std, device=loaded.device).view(1, -1, 1, 1))

    @classmethod
    def from_readouts(cls, readouts: Readouts, device: str | None = None) -> NeuronModel:
        """The model of these readouts on the shared network from the registry."""
        return cls(registry.load_model(readouts.model_key, readouts.weights, device_name=device), readouts)

    @property
    def device(self) -> torch.device:
        """Where the network and the readouts live."""
        return self._network.device

    @property
    def input_size(self) -> int:
        """Side of the network's input square."""
        return self._network.spec.input_size

    def train(self, mode: bool = True) -> NeuronModel:
        """Refused: the network inside is shared and read-only (eval mode is kept)."""
        if mode:
            raise registry.ReadOnlyModelError("a neuron model is read-only: its network is shared")
        return super().train(False)

    def from_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """(B, C) predictions for network inputs (B, channels, S, S) exactly as `preprocess.prepare_batch` makes
        them (float64 except on MPS)."""
        x = inputs.to(self.device, torch.float32)
        if self.device.type == "cpu":  # the registry's models run channels-last on the CPU
            x = x.contiguous(memory_format=torch.channels_last)
        acts, _ = run_stages(self._network.stages, x, stop_after=self.readouts.layer)
        projected = self._projection(acts)
        return projected.to(self.dtype) @ self.w + self.bias

    def to_inputs(self, images: torch.Tensor) -> torch.Tensor:
        """Network inputs (B, channels, S, S) from grayscale images (B, 1, H, W) in [0, 1], differentiably."""
        if images.dim() != 4 or images.shape[1] != 1:
            raise ValueError(f"expected grayscale images shaped (B, 1, H, W), got {tuple(images.shape)}")
        x = images.to(self.device, torch.float32)
        size = self.input_size
        if tuple(x.shape[-2:]) != (size, size):
            # "stretch": the whole image to the input square. Antialiased bilinear with half-pixel centres is
            # PIL's BILINEAR resize (`preprocess.resize_to`) as a float computation; PIL works on uint8 pixels and
            # rounds to whole grey levels (after each of its two passes), so the two differ by up to about one grey
            # level per pixel.
            x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        x = x.expand(-1, self._network.spec.channels, -1, -1)
        return (x - self.mean) / self.std

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, C) predictions for grayscale stimulus-space images (B, 1, H, W) in [0, 1]; gradients reach the images."""
        return self.from_inputs(self.to_inputs(images))

    def predict_stimuli(self, images: np.ndarray, batch: int = pipeline.CAPTURE_BATCH) -> np.ndarray:
        """(N, C) predictions for uint8 stimuli (N, H, W), preprocessed exactly as the pipeline does (no gradients)."""
        images = np.asarray(images)
        if images.ndim == 2:
            images = images[None]
        out = []
        with torch.inference_mode():
            for start in range(0, len(images), batch):
                inputs = preprocess.prepare_batch(list(images[start:start + batch]), self._network.spec,
                                                  fit=pipeline.STIMULUS_FIT)
                out.append(self.from_inputs(inputs).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.readouts.n_cells))


def receptive_field(model: NeuronModel, cell_index: int, shape: tuple[int, int] | None = None) -> np.ndarray:
    """(H, W) gradient of a cell's prediction (`cell_index` into the bundle) at a uniform mid-grey image: the
    linear receptive-field estimate. Refuses a cell whose readout is constant."""
    col = model.readouts.column(cell_index)
    h, w = shape or model.readouts.stimulus_shape
    with torch.inference_mode(False), torch.enable_grad():
        image = torch.full((1, 1, h, w), BLANK_GREY / 255.0, device=model.device, requires_grad=True)
        (grad,) = torch.autograd.grad(model(image)[0, col], image)
    return grad[0, 0].detach().cpu().numpy().astype(np.float64)

