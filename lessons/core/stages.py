"""Each supported network as an ordered list of named stages, so activations are read without hooks.

Running the stages one after another reproduces the model's own forward pass (tests check this), so capturing a
layer is just keeping that stage's output: nothing is ever registered on a shared model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Stage:
    """One step of a network's forward pass."""

    name: str  # unique, e.g. "features.0", "blocks.3"
    kind: str  # conv | relu | pool | norm | block | linear | flatten
    description: str  # for people, e.g. "Conv 3→64, 11×11, stride 4"
    run: Callable[[torch.Tensor], torch.Tensor]
    module: nn.Module | None = None


def _pair(value: int | tuple | list) -> str:
    if isinstance(value, (tuple, list)):
        value = value[0] if len(set(value)) == 1 else "×".join(map(str, value))
    return str(value)


def describe_module(module: nn.Module) -> tuple[str, str]:
    """Return (kind, description) for a plain torch layer."""
    if isinstance(module, nn.Conv2d):
        k = _pair(module.kernel_size)
        text = f"Conv {module.in_channels}→{module.out_channels}, {k}×{k}, stride {_pair(module.stride)}"
        if module.groups == module.in_channels and module.groups > 1:
            text = f"Depthwise conv {module.in_channels} ch, {k}×{k}, stride {_pair(module.stride)}"
        return "conv", text
    if isinstance(module, (nn.ReLU, nn.ReLU6)):
        return "relu", "ReLU6 (max(0, x) capped at 6)" if isinstance(module, nn.ReLU6) else "ReLU: max(0, x)"
    if isinstance(module, nn.MaxPool2d):
        return "pool", f"Max-pool {_pair(module.kernel_size)}×{_pair(module.kernel_size)}, stride {_pair(module.stride)}"
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AvgPool2d)):
        return "pool", "Average pool"
    if isinstance(module, nn.BatchNorm2d):
        return "norm", f"Batch norm over {module.num_features} channels"
    if isinstance(module, nn.Linear):
        return "linear", f"Linear {module.in_features}→{module.out_features}"
    if isinstance(module, nn.Flatten):
        return "flatten", "Flatten to a vector"
    return "other", type(module).__name__


def _plain(name: str, module: nn.Module) -> Stage:
    kind, text = describe_module(module)
    return Stage(name, kind, text, module, module)


def sequential_stages(model: nn.Module, container: str = "layers") -> list[Stage]:
    """Stages of a model whose forward is one nn.Sequential (the in-app digit CNN)."""
    seq = getattr(model, container)
    return [_plain(f"{name}", child) for name, child in seq.named_children()]


def alexnet_stages(model: nn.Module) -> list[Stage]:
    """Stages of torchvision's AlexNet (dropout skipped: it is the identity at test time)."""
    stages = [_plain(f"features.{n}", m) for n, m in model.features.named_children()]
    stages.append(_plain("avgpool", model.avgpool))
    stages.append(Stage("flatten", "flatten", "Flatten to a vector", lambda x: torch.flatten(x, 1)))
    stages += [
        _plain(f"classifier.{n}", m) for n, m in model.classifier.named_children() if not isinstance(m, nn.Dropout)
    ]
    return stages


def _resnet_block_text(block: nn.Module) -> str:
    c1, c2 = block.conv1, block.conv2
    skip = "projected" if block.downsample is not None else "identity"
    return (f"Residual block: conv {c1.in_channels}→{c1.out_channels} 3×3 stride {_pair(c1.stride)}, "
            f"conv 3×3 {c2.out_channels}, + {skip} skip, ReLU")


def resnet_stages(model: nn.Module) -> list[Stage]:
    """Stages of torchvision's ResNet-18/34 (one stage per residual block)."""
    stages = [_plain(n, getattr(model, n)) for n in ("conv1", "bn1", "relu", "maxpool")]
    for layer in ("layer1", "layer2", "layer3", "layer4"):
        for idx, block in getattr(model, layer).named_children():
            stages.append(Stage(f"{layer}.{idx}", "block", _resnet_block_text(block), block, block))
    stages.append(_plain("avgpool", model.avgpool))
    stages.append(Stage("flatten", "flatten", "Flatten to a vector", lambda x: torch.flatten(x, 1)))
    stages.append(_plain("fc", model.fc))
    return stages


def _mbconv_text(block: nn.Module) -> str:
    args = block._block_args
    stride = args.stride[0] if isinstance(args.stride, (list, tuple)) else args.stride
    expand = f"expand ×{args.expand_ratio} (1×1), " if args.expand_ratio != 1 else ""
    skip = " + skip" if block.id_skip and stride == 1 and args.input_filters == args.output_filters else ""
    return (f"Inverted-residual block: {expand}depthwise {args.kernel_size}×{args.kernel_size} stride {stride}, "
            f"project 1×1 → {args.output_filters}{skip}")


def efficientnet_lite_stages(model: nn.Module) -> list[Stage]:
    """Stages of an EfficientNet-Lite (stem, 16 inverted-residual blocks, head, pool, classifier)."""
    m = model
    stages = [Stage("stem", "conv", "Conv 3→32, 3×3, stride 2 + batch norm + ReLU6",
                    lambda x: m._swish(m._bn0(m._conv_stem(x))), nn.ModuleList([m._conv_stem, m._bn0]))]
    n_blocks = len(m._blocks)
    for idx, block in enumerate(m._blocks):
        rate = (m._global_params.drop_connect_rate or 0.0) * idx / n_blocks

        def run(x: torch.Tensor, block: nn.Module = block, rate: float = rate) -> torch.Tensor:
            return block(x, drop_connect_rate=rate)

        stages.append(Stage(f"blocks.{idx}", "block", _mbconv_text(block), run, block))
    stages.append(Stage("head", "conv", f"Conv {m._conv_head.in_channels}→{m._conv_head.out_channels}, 1×1 "
                        "+ batch norm + ReLU6", lambda x: m._swish(m._bn1(m._conv_head(x))),
                        nn.ModuleList([m._conv_head, m._bn1])))
    stages.append(Stage("pool", "pool", "Global average pool", lambda x: torch.flatten(m._avg_pooling(x), 1)))
    stages.append(_plain("fc", m._fc))
    return stages


def run_stages(stages: list[Stage], x: torch.Tensor, keep: frozenset[str] | set[str] = frozenset(),
               stop_after: str | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Run stages in order on x; return the last output computed and the outputs of the stages named in keep."""
    kept: dict[str, torch.Tensor] = {}
    for stage in stages:
        x = stage.run(x)
        if stage.name in keep:
            kept[stage.name] = x
        if stage.name == stop_after:
            break
    return x, kept
