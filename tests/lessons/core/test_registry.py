"""Unit tests of the shared compute module on the real offline model."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest
import torch
from torch import nn

from lessons.core import capture, data, preprocess, registry, runtime, weights
from lessons.core.stages import run_stages

CAT_CLASSES = {"tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"}


@pytest.fixture(scope="module")
def lite() -> registry.LoadedModel:
    return registry.load_model("efficientnet_lite0", "pretrained")


@pytest.fixture(scope="module")
def lite_random() -> registry.LoadedModel:
    return registry.load_model("efficientnet_lite0", "random")


@pytest.fixture(scope="module")
def photos(lite) -> torch.Tensor:
    return preprocess.prepare_batch([data.load_photo(k) for k in ("coffee", "chelsea", "rocket", "astronaut")],
                                 lite.spec)


def _hook_count(module: nn.Module) -> int:
    per_module = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
                     + len(getattr(m, "_backward_pre_hooks", {})) for m in module.modules())
    global_hooks = len(nn.modules.module._global_forward_hooks) + len(nn.modules.module._global_forward_pre_hooks)
    return per_module + global_hooks


def test_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv("ZERO_TO_BRAINS_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert runtime.device().type == "cpu"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert runtime.device().type == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(runtime, "_configure_cuda", lambda: None)
    assert runtime.device().type == "cuda"
    assert runtime.device("cpu").type == "cpu"
    monkeypatch.setenv("ZERO_TO_BRAINS_DEVICE", "cpu")
    assert runtime.device().type == "cpu"


def test_pretrained_top5_on_shipped_photos(lite, photos):
    names = registry.class_names(lite.spec)
    probs = capture.predict(lite, photos)
    assert probs.shape == (4, 1000)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    coffee_top5 = [name for name, _ in capture.top_k(probs[0], names)]
    cat_top5 = [name for name, _ in capture.top_k(probs[1], names)]
    assert coffee_top5[0] == "espresso"
    assert probs[0][names.index("espresso")] > 0.5
    assert CAT_CLASSES & set(cat_top5), cat_top5


def test_random_twin_disagrees_and_is_deterministic(lite, lite_random, photos):
    trained = capture.predict(lite, photos).argmax(axis=1)
    random_probs = capture.predict(lite_random, photos)
    assert (random_probs.argmax(axis=1) != trained).sum() >= 3
    assert random_probs.max() < 0.2  # untrained: no confident answer
    again = registry.spec_for("efficientnet_lite0")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(runtime.RANDOM_SEED)
        rebuilt = again.build_random().eval()
    for a, b in zip(rebuilt.parameters(), lite_random.module.parameters()):
        assert torch.equal(a, b)


def test_stages_reproduce_forward_for_every_architecture():
    x = torch.rand(2, 3, 224, 224)
    for key in ("efficientnet_lite0", "efficientnet_lite2", "resnet18", "alexnet"):
        loaded = registry.load_model(key, "random")
        with torch.inference_mode():
            staged, _ = run_stages(loaded.stages, x)
            direct = loaded.module(x)
        torch.testing.assert_close(staged, direct, rtol=1e-5, atol=1e-5, msg=key)
        assert len(set(loaded.layer_names)) == len(loaded.layer_names)


def test_capture_shapes_match_registry(lite, photos):
    layers = ["stem", "blocks.3", "head", "pool", "fc"]
    acts = capture.capture(lite, photos, layers)
    assert set(acts) == set(layers)
    for name in layers:
        assert acts[name].shape == (4, *lite.output_shapes[name])
        assert acts[name].dtype == np.float32
    assert lite.output_shapes["stem"] == (32, 112, 112)
    assert lite.output_shapes["head"] == (1280, 7, 7)
    # The last stage's output is the model's logits.
    np.testing.assert_allclose(acts["fc"], capture.logits(lite, photos), rtol=1e-4, atol=1e-4)


def test_capture_batching_gives_the_same_result(lite, photos):
    whole = capture.capture(lite, photos, ["blocks.5"], batch_size=4)["blocks.5"]
    pieces = capture.capture(lite, photos, ["blocks.5"], batch_size=1)["blocks.5"]
    np.testing.assert_allclose(whole, pieces, rtol=1e-4, atol=1e-5)


def test_batch_size_respects_memory_budget_and_cpu_cache(lite):
    # Pretend the model sits on a GPU (no CPU cache cap) to check the memory budget alone.
    on_gpu = dataclasses.replace(lite, device=torch.device("cuda"))
    on_gpu.__dict__["output_shapes"] = lite.output_shapes
    small = capture.batch_size_for(on_gpu, ["stem"], budget_bytes=64 * 2**20)
    large = capture.batch_size_for(on_gpu, ["stem"], budget_bytes=1024 * 2**20)
    assert 1 <= small < large <= 256
    assert small * 4 * np.prod(lite.output_shapes["stem"]) <= 64 * 2**20
    assert capture.batch_size_for(on_gpu, ["stem"], budget_bytes=1) == 1
    # On the CPU the largest intermediate maps of a batch stay within the cache-sized working set.
    largest = max(int(np.prod(s)) for s in lite.output_shapes.values())
    cpu_size = capture.batch_size_for(lite, ["stem"], budget_bytes=1024 * 2**20)
    assert cpu_size == max(1, capture.CPU_WORKING_SET // (12 * largest)) < small


def test_capture_rejects_unknown_layer(lite, photos):
    with pytest.raises(KeyError, match="no layer"):
        capture.capture(lite, photos, ["nope"])


def test_capture_leaves_no_hooks_even_when_forward_raises(lite, photos):
    before = _hook_count(lite.module)
    capture.capture(lite, photos[:1], ["blocks.2", "head"])
    assert _hook_count(lite.module) == before
    wrong_channels = torch.rand(1, 2, 224, 224)
    with pytest.raises(RuntimeError):
        capture.capture(lite, wrong_channels, ["head"])
    assert _hook_count(lite.module) == before == 0


def test_shared_model_is_read_only(lite, photos):
    assert not lite.module.training
    assert all(not p.requires_grad for p in lite.module.parameters())
    with pytest.raises(registry.ReadOnlyModelError):
        lite.module.train()
    with pytest.raises(registry.ReadOnlyModelError):
        lite.module._blocks[0].train(True)
    lite.module.eval()  # eval stays allowed
    copy = registry.trainable_copy(lite)
    copy.train()
    assert copy.training and all(p.requires_grad for p in copy.parameters())
    assert not lite.module.training and all(not p.requires_grad for p in lite.module.parameters())


def test_notes_say_what_the_weights_are(lite, lite_random):
    assert "75.1 %" in lite.note
    assert lite_random.note.startswith("Untrained")
    digits = registry.load_model("digit_cnn")
    assert "held-out digits" in digits.note and float(digits.note.split(": ")[1].split("%")[0]) >= 95


def test_load_model_returns_one_shared_object():
    assert registry.load_model("efficientnet_lite0") is registry.load_model("efficientnet_lite0", "pretrained")
    assert registry.is_loaded("efficientnet_lite0", "pretrained")


def test_concurrent_first_loads_build_one_shared_model(monkeypatch):
    key = ("resnet18", "random", "cpu")
    monkeypatch.delitem(registry._cache, key, raising=False)
    builds = []
    original = registry.spec_for("resnet18").build_random
    monkeypatch.setitem(registry.REGISTRY, "resnet18", dataclasses.replace(
        registry.spec_for("resnet18"), build_random=lambda: builds.append(1) or original()))
    loaded: list[registry.LoadedModel] = []
    threads = [threading.Thread(target=lambda: loaded.append(registry.load_model("resnet18", "random", "cpu")))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(loaded) == 6 and len({id(m) for m in loaded}) == 1
    assert builds == [1]


def test_eight_threads_capture_concurrently_and_each_gets_its_own_result(lite):
    keys = ["coffee", "chelsea", "rocket", "astronaut", "grace_hopper", "china", "flower", "camera"]
    inputs = [preprocess.prepare_batch([data.load_photo(k)], lite.spec) for k in keys]
    expected = [capture.capture(lite, x, ["blocks.4", "fc"]) for x in inputs]
    results: dict[int, dict] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(keys))

    def work(i: int) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                results[i] = capture.capture(lite, inputs[i], ["blocks.4", "fc"])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(keys))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert _hook_count(lite.module) == 0
    for i in range(len(keys)):
        for layer in ("blocks.4", "fc"):
            np.testing.assert_allclose(results[i][layer], expected[i][layer], rtol=1e-4, atol=1e-4)
    # and they really differ between images (each thread got its own)
    assert not np.allclose(results[0]["fc"], results[1]["fc"])


def test_online_models_say_why_they_are_unavailable(monkeypatch, tmp_path):
    monkeypatch.setattr(weights, "hub_checkpoint_dir", lambda: tmp_path)
    status = registry.availability("resnet18")
    assert not status.ok and "download" in status.reason
    assert registry.availability("resnet18", "random").ok
    with pytest.raises(weights.WeightsUnavailable):
        registry.load_model("alexnet", "pretrained", device_name="cpu")


def test_online_weights_load_from_local_cache(monkeypatch, tmp_path):
    monkeypatch.setattr(weights, "hub_checkpoint_dir", lambda: tmp_path)
    url = registry._torchvision_weights_url("alexnet")
    reference = registry.spec_for("alexnet").build_random()
    torch.save(reference.state_dict(), weights.cached_path(url))
    assert registry.availability("alexnet").ok
    model, note = registry.spec_for("alexnet").build_pretrained(None)
    for a, b in zip(model.parameters(), reference.parameters()):
        assert torch.equal(a, b)
    assert note == "Published ImageNet accuracy: 56.5 % top-1, 79.1 % top-5."


def test_download_fails_fast_and_clearly_offline(monkeypatch, tmp_path):
    monkeypatch.setattr(weights, "hub_checkpoint_dir", lambda: tmp_path)
    import time

    start = time.monotonic()
    with pytest.raises(weights.WeightsUnavailable, match="offline|connection|within"):
        weights.download("http://127.0.0.1:9/resnet18-f37072fd.pth", timeout_s=5, connect_timeout_s=2)
    assert time.monotonic() - start < 6
    assert not list(tmp_path.iterdir())  # no partial file left behind


def test_download_checks_the_checksum(monkeypatch, tmp_path):
    monkeypatch.setattr(weights, "hub_checkpoint_dir", lambda: tmp_path)
    served = tmp_path / "served"
    served.mkdir()
    (served / "model-deadbeef.pth").write_bytes(b"not the right bytes")
    with pytest.raises(weights.WeightsUnavailable, match="corrupt"):
        weights.download((served / "model-deadbeef.pth").as_uri(), timeout_s=5)


def test_preprocessing_steps_shapes_and_values():
    image = np.zeros((300, 400, 3), np.uint8)
    image[:, 200:] = 255
    resized = preprocess.resize_shorter_side(image, 256)
    assert resized.shape == (256, 341, 3)
    cropped = preprocess.center_crop(resized, 224)
    assert cropped.shape == (224, 224, 3)
    chw = preprocess.normalize(cropped, registry.IMAGENET_MEAN, registry.IMAGENET_STD)
    assert chw.shape == (3, 224, 224)
    np.testing.assert_allclose(chw[:, 0, 0], -np.array(registry.IMAGENET_MEAN) / np.array(registry.IMAGENET_STD),
                               rtol=1e-5)
    np.testing.assert_allclose(chw[:, 0, -1], (1 - np.array(registry.IMAGENET_MEAN)) / np.array(registry.IMAGENET_STD),
                               rtol=1e-5)


def test_grayscale_photo_is_prepared_for_colour_and_digit_models():
    gray = np.full((64, 64), 128, np.uint8)
    assert preprocess.prepare_image(gray, registry.spec_for("efficientnet_lite0")).shape == (3, 224, 224)
    digit = preprocess.prepare_image(np.zeros((28, 28), np.uint8), registry.spec_for("digit_cnn"))
    assert digit.shape == (1, 28, 28)


def test_flops_of_efficientnet_lite0(lite):
    # 0.39 G multiply-adds, counted as 2 FLOPs each.
    assert 0.7e9 < capture.flops_per_image(lite) < 0.85e9


def test_seed_everything_is_repeatable():
    runtime.seed_everything(3)
    a = (np.random.rand(), torch.rand(1).item())
    runtime.seed_everything(3)
    assert a == (np.random.rand(), torch.rand(1).item())


def test_configure_threads():
    assert runtime.configure_threads(1) == 1
    assert runtime.configure_threads() == runtime.usable_cores()


def test_imagenet_class_names():
    names = registry.imagenet_classes()
    assert len(names) == 1000 and names[967] == "espresso" and names[281] == "tabby"


def test_torchvision_imports_and_nms_works():
    from lessons.core.compat import import_torchvision, nms_reference

    tv = import_torchvision()
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60.0]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    assert tv.ops.nms(boxes, scores, 0.5).tolist() == [0, 2]
    assert nms_reference(boxes, scores, 0.99).tolist() == [0, 1, 2]


def test_every_network_the_app_uses_is_in_the_one_registry_and_loads_read_only():
    every = registry.model_keys(listed_only=False)
    assert {"efficientnet_lite0", "digit_cnn", "digit_cnn_second", "digit_mlp", "digit_vae"} <= set(every)
    for key in ("digit_cnn_second", "digit_mlp", "digit_vae"):
        loaded = registry.load_model(key)
        assert loaded is registry.load_model(key)
        assert not loaded.module.training and not any(p.requires_grad for p in loaded.module.parameters())
        with pytest.raises(registry.ReadOnlyModelError):
            loaded.module.train()


def test_the_second_digit_reader_is_an_independent_copy():
    first, second = registry.load_model("digit_cnn").module, registry.load_model("digit_cnn_second").module
    assert type(first) is type(second)
    assert not torch.equal(next(first.parameters()), next(second.parameters()))


def test_pickers_list_only_listed_networks_and_can_ask_for_feature_maps():
    listed = registry.model_keys()
    assert "digit_vae" not in listed and "digit_cnn_second" not in listed and "digit_mlp" in listed
    assert listed[:3] == ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"]
    assert not {"resnet34", "resnet50", "vgg11", "mobilenet_v3_large", "convnext_tiny", "regnet_y_400mf"} & set(listed)
    with_maps = registry.model_keys(feature_maps=True)
    assert "digit_mlp" not in with_maps and {"efficientnet_lite0", "digit_cnn"} <= set(with_maps)
    assert registry.model_keys("digits", feature_maps=True) == ["digit_cnn"]
