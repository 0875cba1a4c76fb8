"""Inference-only rewrites of a private model copy: batch norm folded into the convolution before it, and
static "same" padding moved into the convolution when it is symmetric. Outputs match the original to float32
rounding; forward and backward passes through the copy do less work (no separate normalisation or padding ops).
"""

from __future__ import annotations

import torch
from torch import nn


def _fold_pair(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    bias = conv.bias.detach() if conv.bias is not None else torch.zeros_like(bn.running_mean)
    weight = conv.weight.detach() * scale.view(-1, *([1] * (conv.weight.dim() - 1)))
    conv.weight = nn.Parameter(weight.clone(memory_format=torch.preserve_format), requires_grad=False)
    conv.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias.detach(), requires_grad=False)


def fold_batch_norms(module: nn.Module) -> int:
    """Fold every eval-mode BatchNorm2d registered right after a Conv2d into that conv (in place); return the count.

    The pair is read from registration order inside each parent, the way conv → bn is written in torchvision's
    ResNets and in EfficientNet blocks. Only use on a model whose forward applies each such bn straight to its conv's
    output (tests compare outputs for every registry model).
    """
    folded = 0
    for parent in list(module.modules()):
        children = list(parent.named_children())
        for (_, conv), (bn_name, bn) in zip(children, children[1:]):
            if (isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d) and not bn.training
                    and bn.track_running_stats and bn.num_features == conv.out_channels):
                _fold_pair(conv, bn)
                setattr(parent, bn_name, nn.Identity())
                folded += 1
    return folded


def merge_static_padding(module: nn.Module) -> int:
    """Move symmetric ZeroPad2d "same" padding of a conv (attribute `static_padding`) into the conv itself."""
    merged = 0
    for sub in module.modules():
        pad = getattr(sub, "static_padding", None)
        if isinstance(sub, nn.Conv2d) and isinstance(pad, nn.ZeroPad2d):
            left, right, top, bottom = pad.padding
            if left == right and top == bottom and sub.padding == (0, 0):
                sub.padding = (top, left)
                sub.static_padding = nn.Identity()
                merged += 1
    return merged


def optimise_for_inference(module: nn.Module) -> nn.Module:
    """Apply every rewrite here to `module` in place (pass a private copy) and return it."""
    fold_batch_norms(module)
    merge_static_padding(module)
    return module
