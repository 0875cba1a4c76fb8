"""Folded batch norm: the private twin computes what the shared model computes, and the shared model is untouched."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lessons.core import fusion, registry
from lessons.core.stages import run_stages


def _hooks(module: nn.Module) -> int:
    names = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
    return sum(len(getattr(m, n)) for m in module.modules() for n in names)


@pytest.mark.parametrize(("key", "weights_kind", "size", "layer"), [
    ("efficientnet_lite0", "pretrained", 128, "blocks.8"),
    ("efficientnet_lite0", "random", 96, "blocks.4"),
    ("resnet18", "random", 96, "layer2.1"),
    ("alexnet", "random", 96, "features.7"),
    ("digit_cnn", "pretrained", 28, None),
])
def test_fused_twin_matches_outputs_and_input_gradients(key, weights_kind, size, layer):
    shared = registry.load_model(key, weights_kind, device_name="cpu")
    batch_norms = sum(isinstance(m, nn.BatchNorm2d) for m in shared.module.modules())
    fused = registry.fused_model(shared)
    assert fused is registry.fused_model(shared) and fused.module is not shared.module
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.module.modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in shared.module.modules()) == batch_norms  # shared untouched
    layer = layer or shared.layer_names[1]
    x = torch.rand(2, shared.spec.channels, size, size, generator=torch.Generator().manual_seed(0))
    grads, outputs = [], []
    for model in (shared, fused):
        xi = x.clone().requires_grad_(True)
        with torch.enable_grad():
            out, kept = run_stages(model.stages, xi, keep={layer})
            kept[layer].square().mean().backward()
        grads.append(xi.grad)
        outputs.append(out.detach())
    scale = outputs[0].abs().max()
    torch.testing.assert_close(outputs[1], outputs[0], rtol=1e-4, atol=1e-4 * float(scale))
    # Rounding can flip a ReLU or max-pool choice at a handful of pixels; the gradient as a whole must agree.
    assert float((grads[1] - grads[0]).norm() / grads[0].norm()) < 1e-2
    for model in (shared, fused):
        assert _hooks(model.module) == 0
        assert not any(p.requires_grad for p in model.module.parameters())
        with pytest.raises(registry.ReadOnlyModelError):
            model.module.train()
    assert not shared.module.training


def test_folding_a_conv_bn_pair_by_hand():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
    bn = model[1]
    bn.running_mean.uniform_(-1, 1)
    bn.running_var.uniform_(0.5, 2)
    bn.weight.data.uniform_(0.5, 1.5)
    bn.bias.data.uniform_(-1, 1)
    model.eval()
    x = torch.randn(2, 3, 8, 8)
    expected = model(x)
    assert fusion.fold_batch_norms(model) == 1
    assert isinstance(model[1], nn.Identity)
    torch.testing.assert_close(model(x), expected, rtol=1e-5, atol=1e-5)
    # A batch norm still in training mode (batch statistics) is never folded.
    training = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    assert fusion.fold_batch_norms(training) == 0


def test_symmetric_same_padding_moves_into_the_conv():
    class SamePadConv(nn.Conv2d):
        def __init__(self) -> None:
            super().__init__(2, 2, 3, bias=False)
            self.static_padding = nn.ZeroPad2d((1, 1, 1, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return nn.functional.conv2d(self.static_padding(x), self.weight, None, self.stride, self.padding)

    conv = SamePadConv()
    x = torch.randn(1, 2, 9, 9)
    expected = conv(x)
    assert fusion.merge_static_padding(conv) == 1 and conv.padding == (1, 1)
    torch.testing.assert_close(conv(x), expected)
    asymmetric = SamePadConv()
    asymmetric.static_padding = nn.ZeroPad2d((0, 1, 0, 1))
    assert fusion.merge_static_padding(asymmetric) == 0
