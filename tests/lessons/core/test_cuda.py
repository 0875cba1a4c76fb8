"""CPU and GPU runs of the same call agree to float32 tolerance (runs only where CUDA exists)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lessons.core import capture, data, preprocess, registry, runtime

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")]


def test_cuda_is_the_default_device():
    assert runtime.device().type == "cuda"


@pytest.mark.parametrize("weights_kind", ["pretrained", "random"])
def test_cpu_and_gpu_agree(weights_kind):
    cpu = registry.load_model("efficientnet_lite0", weights_kind, device_name="cpu")
    gpu = registry.load_model("efficientnet_lite0", weights_kind, device_name="cuda")
    x = preprocess.prepare_batch([data.load_photo(k) for k in ("coffee", "chelsea", "rocket")], cpu.spec)
    layers = ["stem", "blocks.6", "head", "fc"]
    on_cpu, on_gpu = capture.capture(cpu, x, layers), capture.capture(gpu, x, layers)
    for name in layers:
        np.testing.assert_allclose(on_gpu[name], on_cpu[name], rtol=1e-3, atol=1e-4, err_msg=name)
    np.testing.assert_allclose(capture.predict(gpu, x), capture.predict(cpu, x), atol=1e-5)
    assert gpu.module._fc.weight.device.type == "cuda"


def test_activation_maximisation_runs_on_the_gpu_and_matches_the_cpu_start():
    from lessons.optvis import objectives
    from lessons.optvis import render as R

    cpu = registry.load_model("efficientnet_lite0", "pretrained", device_name="cpu")
    gpu = registry.load_model("efficientnet_lite0", "pretrained", device_name="cuda")
    fused = registry.fused_model(gpu)
    assert next(fused.module.parameters()).device.type == "cuda"
    obj = objectives.channel("blocks.8", 5)
    settings = R.Settings(size=64, steps=1, lr=0.0, transforms=False)  # lr 0: both score the same start image
    np.testing.assert_allclose(R.render(gpu, obj, settings).scores, R.render(cpu, obj, settings).scores, rtol=1e-3)
    trained = R.render(gpu, obj, R.Settings(size=128, steps=32, lr=0.1))
    assert trained.scores[0] > R.render(gpu, obj, settings).scores[0] + 5
    assert not any(p.requires_grad for p in gpu.module.parameters())
