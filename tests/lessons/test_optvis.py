"""The feature-visualisation engine: it beats real images, its priors act, it is deterministic and leaves no trace."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lessons import activation_maximization as am
from lessons import compute, data, mnist_cnn
from lessons.optvis import evolution, generator, objectives, priors
from lessons.optvis import render as R

SMALL = R.Settings(size=64, steps=24, lr=0.05)


@pytest.fixture(scope="module")
def lite() -> compute.LoadedModel:
    return compute.load_model("efficientnet_lite0", "pretrained", device_name="cpu")


@pytest.fixture(scope="module")
def digits() -> compute.LoadedModel:
    return compute.load_model("digit_cnn", "pretrained", device_name="cpu")


def _untouched(loaded: compute.LoadedModel) -> None:
    assert R.hook_count(loaded.module) == 0
    for sub in loaded.module.modules():
        assert not sub.training
        assert not sub._forward_hooks and not sub._forward_pre_hooks and not sub._backward_hooks
    assert not any(p.requires_grad for p in loaded.module.parameters())


@pytest.mark.parametrize("unit", [am.Unit("channel", "blocks.8", 5), am.Unit("channel", "blocks.4", 3),
                                  am.Unit("neuron", "blocks.6", 7)])
def test_optimised_image_beats_every_shipped_image(lite, unit):
    size = 64
    best_photo = am.top_shipped(lite, unit, size, k=1)[0][2]
    result = R.render(lite, am.objective_for(lite, unit), R.Settings(size=size, steps=24, lr=0.05))
    assert result.scores[0] > best_photo, (result.scores[0], best_photo)
    _untouched(lite)


def test_more_total_variation_weight_gives_smoother_images(lite):
    obj = objectives.channel("blocks.4", 3)
    rough = R.render(lite, obj, R.Settings(size=48, steps=16, param="pixel", tv=0.0))
    smooth = R.render(lite, obj, R.Settings(size=48, steps=16, param="pixel", tv=20.0))
    tv = lambda r: float(priors.total_variation(torch.as_tensor(r.images).permute(0, 3, 1, 2))[0])  # noqa: E731
    assert tv(smooth) < tv(rough)


def test_fixed_seed_is_reproducible_and_seeds_differ(lite):
    obj = objectives.channel("blocks.2", 1)
    settings = R.Settings(size=32, steps=6, seed=3)
    a, b = R.render(lite, obj, settings), R.render(lite, obj, settings)
    np.testing.assert_array_equal(a.images, b.images)
    c = R.render(lite, obj, R.Settings(size=32, steps=6, seed=4))
    assert not np.array_equal(a.images, c.images)


def test_cancel_and_errors_leave_the_shared_model_untouched(lite):
    obj = objectives.channel("blocks.2", 1)
    calls = []
    result = R.render(lite, obj, R.Settings(size=32, steps=10), cancel=lambda: len(calls) >= 3,
                      progress=lambda s, n, v: calls.append(s))
    assert result.cancelled and result.steps_done == 3
    _untouched(lite)

    def boom(step: int, steps: int, value: float) -> None:
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        R.render(lite, obj, R.Settings(size=32, steps=5), progress=boom)
    _untouched(lite)


def test_snapshots_and_objective_algebra(lite):
    a, b = objectives.channel("blocks.2", 1), objectives.channel("blocks.3", 2)
    combo = 2 * a - b + (-a)
    x = torch.rand(2, 3, 32, 32)
    acts = R.activations(lite, combo, x)
    assert set(acts) == {"blocks.2", "blocks.3"}
    torch.testing.assert_close(combo(acts), a(acts) - b(acts))
    d = objectives.direction("blocks.2", np.eye(lite.output_shapes["blocks.2"][0])[1])
    torch.testing.assert_close(d(acts), a(acts))
    assert objectives.diversity("blocks.2")(acts).shape == (2,)
    r = R.render(lite, a, R.Settings(size=32, steps=4, snapshots=(2, 4), batch=2, param="pixel", blur_every=2))
    assert [s for s, _ in r.snapshots] == [2, 4] and r.images.shape == (2, 32, 32, 3)
    assert 0.0 <= r.images.min() and r.images.max() <= 1.0


def test_evolution_raises_the_score(digits):
    r = evolution.evolve(digits, objectives.class_logit("fc", 3), size=28, generations=15, seed=0)
    assert r.history[-1] > r.history[0]
    _untouched(digits)


def test_generator_prior_gives_recognisable_natural_digits(digits):
    vae = generator.load_or_train()
    images, _ = data.mnist_digits()
    real = images.reshape(len(images), -1).astype(np.float32) / 255.0
    hits, dist = {"gen": 0, "pix": 0}, {"gen": [], "pix": []}
    for d in range(0, 10, 2):
        obj = objectives.class_logit("fc", d)
        runs = {"gen": generator.render_latent(digits, obj, vae, steps=30, seed=d),
                "pix": R.render(digits, obj, R.Settings(size=28, steps=30, param="pixel", transforms=False, seed=d))}
        for name, r in runs.items():
            img = r.images[0, :, :, 0]
            hits[name] += int(mnist_cnn.predict_digits(digits.module, (img * 255).astype(np.uint8)).argmax() == d)
            dist[name].append(float(np.sqrt(((real - img.reshape(1, -1)) ** 2).sum(1)).min()))
    assert hits["gen"] >= 4 and hits["gen"] >= hits["pix"]
    assert np.mean(dist["gen"]) < 0.6 * np.mean(dist["pix"]), dist
    _untouched(digits)
