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
    kind: str  # conv | relu | activation | pool | norm | block | linear | flatten
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
    if isinstance(module, nn.LayerNorm):
        return "norm", f"Layer norm over {module.normalized_shape[0]} channels"
    if isinstance(module, nn.Hardswish):
        return "activation", "Hard-swish: x · ReLU6(x + 3) / 6"
    if isinstance(module, nn.GELU):
        return "activation", "GELU (a smooth ReLU)"
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


def features_classifier_stages(model: nn.Module) -> list[Stage]:
    """Stages of a torchvision network built as features → average pool → flatten → classifier (AlexNet, VGG,
    MobileNetV3; dropout skipped: it is the identity at test time)."""
    stages = [_named_block(f"features.{n}", m) for n, m in model.features.named_children()]
    stages.append(_plain("avgpool", model.avgpool))
    stages.append(Stage("flatten", "flatten", "Flatten to a vector", lambda x: torch.flatten(x, 1)))
    stages += [
        _plain(f"classifier.{n}", m) for n, m in model.classifier.named_children() if not isinstance(m, nn.Dropout)
    ]
    return stages


def _conv_text(conv: nn.Conv2d) -> str:
    k = _pair(conv.kernel_size)
    stride = f" stride {_pair(conv.stride)}" if _pair(conv.stride) != "1" else ""
    if conv.groups == conv.in_channels and conv.groups > 1:
        return f"depthwise {k}×{k}{stride}"
    groups = f" in {conv.groups} groups" if conv.groups > 1 else ""
    return f"{k}×{k} → {conv.out_channels}{groups}{stride}"


def _convs_text(block: nn.Module) -> str:
    """The convolutions of a block in forward order, squeeze-and-excitation gates left out."""
    gates = {id(conv) for sub in block.modules() if "SqueezeExcit" in type(sub).__name__
             for conv in sub.modules() if isinstance(conv, nn.Conv2d)}
    return ", ".join(_conv_text(c) for c in block.modules() if isinstance(c, nn.Conv2d) and id(c) not in gates)


def _has_gate(block: nn.Module) -> str:
    return ", with squeeze-and-excitation" if any("SqueezeExcit" in type(m).__name__ for m in block.modules()) else ""


def _resnet_block_text(block: nn.Module) -> str:
    kind = "Bottleneck residual block" if hasattr(block, "conv3") else "Residual block"
    main = [c for c in (block.conv1, block.conv2, getattr(block, "conv3", None)) if c is not None]
    skip = "projected" if block.downsample is not None else "identity"
    return (f"{kind} {main[0].in_channels}→{main[-1].out_channels}: "
            f"{', '.join(_conv_text(c) for c in main)}, + {skip} skip, ReLU")


def resnet_stages(model: nn.Module) -> list[Stage]:
    """Stages of torchvision's ResNet-18/34/50 (one stage per residual block)."""
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
    """Stages of an EfficientNet-Lite0/1/2 (stem, its inverted-residual blocks, head, pool, classifier)."""
    m = model
    stem = m._conv_stem
    stages = [Stage("stem", "conv", f"Conv {stem.in_channels}→{stem.out_channels}, {_pair(stem.kernel_size)}×"
                    f"{_pair(stem.kernel_size)}, stride {_pair(stem.stride)} + batch norm + ReLU6",
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


_PART_NAMES = {nn.BatchNorm2d: "batch norm", nn.LayerNorm: "layer norm", nn.ReLU: "ReLU", nn.ReLU6: "ReLU6",
               nn.Hardswish: "hard-swish", nn.GELU: "GELU", nn.SiLU: "SiLU"}


def _part_name(module: nn.Module) -> str:
    for cls, name in _PART_NAMES.items():
        if isinstance(module, cls):
            return name
    return type(module).__name__


def _conv_with_extras(name: str, module: nn.Sequential) -> Stage:
    """A convolution packed with its normalisation and activation (or a norm, then a convolution) as one stage."""
    parts = list(module)
    conv = next(m for m in parts if isinstance(m, nn.Conv2d))
    _, text = describe_module(conv)
    before = [_part_name(m) for m in parts[:parts.index(conv)]]
    after = [_part_name(m) for m in parts[parts.index(conv) + 1:]]
    text = " + ".join([text, *after]) if not before else f"{' + '.join(before).capitalize()}, then {text.lower()}"
    return Stage(name, "conv", text, module, module)


def _block_stage(name: str, module: nn.Module) -> Stage:
    kind = type(module).__name__
    if kind == "InvertedResidual":
        convs = [m for m in module.modules() if isinstance(m, nn.Conv2d)]
        skip = " + skip" if module.use_res_connect else ""
        text = (f"Inverted-residual block {convs[0].in_channels}→{module.out_channels}: "
                f"{_convs_text(module)}{_has_gate(module)}{skip}")
    elif kind == "CNBlock":
        linear = next(m for m in module.modules() if isinstance(m, nn.Linear))
        text = (f"ConvNeXt block ({linear.in_features} ch): {_convs_text(module)}, layer norm, "
                f"per-pixel linear {linear.in_features}→{linear.out_features}, GELU, "
                f"linear {linear.out_features}→{linear.in_features}, + skip")
    else:  # RegNet's ResBottleneckBlock
        convs = [m for m in module.f.modules() if isinstance(m, nn.Conv2d)]
        skip = "projected" if module.proj is not None else "identity"
        text = (f"Residual bottleneck block {convs[0].in_channels}→{convs[-1].out_channels}: "
                f"{_convs_text(module.f)}{_has_gate(module)}, + {skip} skip, ReLU")
    return Stage(name, "block", text, module, module)


def _named_block(name: str, module: nn.Module) -> Stage:
    """One stage for a torchvision child: a packed convolution, a named block, or a plain layer."""
    if type(module).__name__ in ("InvertedResidual", "CNBlock", "ResBottleneckBlock"):
        return _block_stage(name, module)
    if isinstance(module, nn.Sequential) and any(isinstance(m, nn.Conv2d) for m in module.children()):
        return _conv_with_extras(name, module)
    return _plain(name, module)


def convnext_stages(model: nn.Module) -> list[Stage]:
    """Stages of torchvision's ConvNeXt (stem, one stage per ConvNeXt block, the downsampling layers between them,
    pool, classifier)."""
    stages = []
    for n, child in model.features.named_children():
        if isinstance(child, nn.Sequential) and type(child[0]).__name__ == "CNBlock":
            stages += [_block_stage(f"features.{n}.{j}", block) for j, block in child.named_children()]
        else:
            stages.append(_named_block(f"features.{n}", child))
    stages.append(_plain("avgpool", model.avgpool))
    stages += [_plain(f"classifier.{n}", m) for n, m in model.classifier.named_children()]
    return stages


def regnet_stages(model: nn.Module) -> list[Stage]:
    """Stages of torchvision's RegNet (stem, one stage per residual bottleneck block, pool, classifier)."""
    stages = [_named_block("stem", model.stem)]
    for n, part in model.trunk_output.named_children():
        stages += [_block_stage(f"{n}.{j}", block) for j, (_, block) in enumerate(part.named_children())]
    stages.append(_plain("avgpool", model.avgpool))
    stages.append(Stage("flatten", "flatten", "Flatten to a vector", lambda x: torch.flatten(x, 1)))
    stages.append(_plain("fc", model.fc))
    return stages


def representation_layers(stages: list[Stage]) -> list[str]:
    """The stages that count as a network's layers, in forward order: no batch-norm or flatten stages, and a
    convolution directly followed by its ReLU is represented by the ReLU's output."""
    keep = []
    for i, stage in enumerate(stages):
        if stage.kind in ("norm", "flatten"):
            continue
        following = stages[i + 1].kind if i + 1 < len(stages) else ""
        if stage.kind == "conv" and following == "relu":
            continue
        keep.append(stage.name)
    return keep


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
