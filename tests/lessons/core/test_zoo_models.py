"""The registry's model zoo: the offline EfficientNet-Lite family, the online torchvision architectures, the facts
used to compare networks with a brain, and which networks the zoo lists."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from lessons.core import capture, data, preprocess, registry, runtime, weights
from lessons.core.compat import import_torchvision
from lessons.core.stages import representation_layers, run_stages
from lessons.cortex import pipeline

LITES = {"efficientnet_lite0": (224, 75.1), "efficientnet_lite1": (240, 76.7), "efficientnet_lite2": (260, 77.6)}
TORCHVISION_ZOO = ["resnet34", "resnet50", "vgg11", "mobilenet_v3_large", "convnext_tiny", "regnet_y_400mf"]
DIGITS = ["digit_cnn", "digit_cnn_second", "digit_mlp"]
KNOWN_KINDS = {"conv", "relu", "activation", "pool", "norm", "block", "linear", "flatten"}


@pytest.fixture
def no_downloads(monkeypatch, tmp_path):
    """An empty weights cache and a download that fails: whatever passes here needs no internet."""
    monkeypatch.setattr(weights, "hub_checkpoint_dir", lambda: tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("tried to download weights")

    monkeypatch.setattr(weights, "download", refuse)


def _random_build(key: str) -> torch.nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(runtime.RANDOM_SEED)
        return registry.spec_for(key).build_random().eval()


@pytest.mark.parametrize("key", ["efficientnet_lite1", "efficientnet_lite2"])
def test_larger_lites_load_offline_and_see_the_espresso(key, no_downloads):
    assert registry.availability(key).ok
    loaded = registry.load_model(key, "pretrained")
    size, top1 = LITES[key]
    assert loaded.spec.offline and loaded.spec.listed and loaded.spec.input_size == size
    assert loaded.spec.mean == registry.LITE_MEAN and loaded.spec.std == registry.LITE_STD
    assert f"{top1:.1f} % top-1" in loaded.note
    photos = preprocess.prepare_batch([data.load_photo("coffee"), data.load_photo("chelsea")], loaded.spec)
    assert photos.shape == (2, 3, size, size)
    probs = capture.predict(loaded, photos)
    names = registry.class_names(loaded.spec)
    assert "espresso" in [name for name, _ in capture.top_k(probs[0], names)]
    assert "espresso" not in [name for name, _ in capture.top_k(probs[1], names)]  # the cat is no coffee


def test_lite_variants_differ_in_depth_and_size(no_downloads):
    facts = [registry.model_facts(key) for key in LITES]
    assert [f.top1 for f in facts] == [top1 for _, top1 in LITES.values()]
    assert 4.6e6 < facts[0].params < 4.75e6  # Lite0: 4.7 M weights, classifier included
    assert facts[0].params < facts[1].params < facts[2].params
    assert facts[0].depth < facts[1].depth
    assert all(f.task == "ImageNet classification" and "ImageNet" in f.trained_on for f in facts)


@pytest.mark.parametrize("key", list(LITES) + DIGITS)
def test_facts_match_the_loaded_random_network(key, no_downloads):
    facts = registry.model_facts(key)
    loaded = registry.load_model(key, "random")
    assert facts.key == key and facts.title == loaded.spec.title
    assert facts.params == sum(p.numel() for p in loaded.module.parameters())
    assert list(facts.features) == loaded.layer_names  # every stage, in forward order
    assert facts.features == {name: int(np.prod(shape)) for name, shape in loaded.output_shapes.items()}
    assert facts.depth == len(pipeline.brain_layers(loaded)) == len(representation_layers(loaded.stages))
    assert 0 < facts.depth <= len(loaded.layer_names)


def test_digit_networks_have_no_imagenet_accuracy():
    for key in DIGITS:
        facts = registry.model_facts(key)
        assert facts.top1 is None and registry.spec_for(key).top1 is None
        assert facts.task == "MNIST digit classification" and facts.trained_on == "4,000 MNIST digits"
    assert registry.spec_for("digit_vae").task == "MNIST digit generation"
    with pytest.raises(ValueError, match="does not read pictures"):
        registry.model_facts("digit_vae")


@pytest.mark.parametrize("key", TORCHVISION_ZOO)
def test_torchvision_zoo_stages_reproduce_the_forward_pass(key):
    model = _random_build(key)
    stages = registry.spec_for(key).stages(model)
    names = [s.name for s in stages]
    assert len(set(names)) == len(names)
    assert {s.kind for s in stages} <= KNOWN_KINDS, [(s.name, s.kind) for s in stages if s.kind not in KNOWN_KINDS]
    assert stages[-1].kind == "linear" and stages[-1].module.out_features == 1000
    assert sum(s.kind == "block" for s in stages) >= 8 or key == "vgg11"
    x = torch.rand(2, 3, 64, 64)
    with torch.inference_mode():
        staged, kept = run_stages(stages, x, keep=set(names))
        direct = model(x)
    torch.testing.assert_close(staged, direct, rtol=1e-4, atol=1e-4, msg=key)
    assert list(kept) == names  # every stage ran, in order


@pytest.mark.parametrize("key", TORCHVISION_ZOO)
def test_torchvision_zoo_facts_need_no_download(key, no_downloads):
    spec = registry.spec_for(key)
    assert not spec.offline and not spec.listed
    assert not registry.availability(key).ok  # its weights are not on this (empty) cache…
    facts = registry.model_facts.__wrapped__(key)  # …yet its facts are known (computed afresh, not from the cache)
    expected = import_torchvision().models.get_model_weights(key).IMAGENET1K_V1
    assert facts.top1 == pytest.approx(expected.meta["_metrics"]["ImageNet-1K"]["acc@1"]) == spec.top1
    assert registry._torchvision_weights_url(key) == expected.url
    assert spec.resize == expected.transforms().resize_size[0] and spec.input_size == expected.transforms().crop_size[0]
    model = _random_build(key)
    assert facts.params == sum(p.numel() for p in model.parameters())
    stages = spec.stages(model)
    with torch.inference_mode():
        _, outputs = run_stages(stages, torch.zeros(1, 3, 224, 224), keep={s.name for s in stages})
    assert facts.features == {name: int(out[0].numel()) for name, out in outputs.items()}
    assert facts.depth == len(representation_layers(stages)) and 10 < facts.depth < len(stages)


def test_facts_are_cached():
    assert registry.model_facts("efficientnet_lite0") is registry.model_facts("efficientnet_lite0")


def test_zoo_lists_offline_networks_by_default_and_never_the_generator():
    offline = registry.zoo_keys()
    every = registry.zoo_keys(offline_only=False)
    assert set(LITES) | set(DIGITS) == set(offline)
    assert all(registry.spec_for(k).offline for k in offline)
    assert set(TORCHVISION_ZOO) | {"resnet18", "alexnet"} | set(offline) == set(every)
    assert offline == [k for k in every if k in offline]  # same order
    assert "digit_vae" not in every
    assert all(registry.spec_for(k).task and registry.spec_for(k).trained_on for k in every)


def test_a_network_added_to_the_registry_joins_the_zoo(monkeypatch):
    extra = dataclasses.replace(registry.spec_for("efficientnet_lite0"), key="lite0_copy", title="Copy")
    monkeypatch.setitem(registry.REGISTRY, "lite0_copy", extra)
    assert "lite0_copy" in registry.zoo_keys()
    monkeypatch.setitem(registry.REGISTRY, "lite0_copy", dataclasses.replace(extra, offline=False))
    assert "lite0_copy" not in registry.zoo_keys() and "lite0_copy" in registry.zoo_keys(offline_only=False)
