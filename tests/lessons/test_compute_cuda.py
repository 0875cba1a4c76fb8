"""CPU and GPU runs of the same call agree to float32 tolerance (runs only where CUDA exists)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lessons import compute, data

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")]


def test_cuda_is_the_default_device():
    assert compute.device().type == "cuda"


@pytest.mark.parametrize("weights_kind", ["pretrained", "random"])
def test_cpu_and_gpu_agree(weights_kind):
    cpu = compute.load_model("efficientnet_lite0", weights_kind, device_name="cpu")
    gpu = compute.load_model("efficientnet_lite0", weights_kind, device_name="cuda")
    x = compute.prepare_batch([data.load_photo(k) for k in ("coffee", "chelsea", "rocket")], cpu.spec)
    layers = ["stem", "blocks.6", "head", "fc"]
    on_cpu, on_gpu = compute.capture(cpu, x, layers), compute.capture(gpu, x, layers)
    for name in layers:
        np.testing.assert_allclose(on_gpu[name], on_cpu[name], rtol=1e-3, atol=1e-4, err_msg=name)
    np.testing.assert_allclose(compute.predict(gpu, x), compute.predict(cpu, x), atol=1e-5)
    assert gpu.module._fc.weight.device.type == "cuda"
