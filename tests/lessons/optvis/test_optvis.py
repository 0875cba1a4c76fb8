"""The feature-visualisation engine: it beats real images, its priors act, it is deterministic and leaves no trace."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from lessons.actmax import compute as am
from lessons.core import capture, registry
from lessons.optvis import evolution, objectives, param, priors, transform
from lessons.optvis import render as R


def untouched(loaded: registry.LoadedModel) -> None:
    """The shared model: no hooks of any kind, eval mode everywhere, no parameter asking for gradients."""
    assert R.hook_count(loaded.module) == 0
    assert not any(sub.training for sub in loaded.module.modules())
    assert not any(p.requires_grad for p in loaded.module.parameters())
    fused = registry.fused_model(loaded)
    assert R.hook_count(fused.module) == 0 and not any(p.requires_grad for p in fused.module.parameters())


def _strongest_shipped_class(lite: registry.LoadedModel) -> int:
    _names, images = am.shipped_images(lite, 128)
    logits = np.log(am.class_probabilities(lite, images))
    return int(np.unravel_index(np.argmax(logits), logits.shape)[1])


@pytest.mark.parametrize("unit", [am.Unit("channel", "blocks.8", 5), am.Unit("channel", "blocks.4", 3),
                                  am.Unit("neuron", "blocks.6", 7), am.Unit("channel", "head", 100),
                                  am.Unit("class", "fc", -1)])
def test_optimised_image_beats_every_shipped_image(lite, unit):
    if unit.kind == "class":  # the class some shipped photo is most sure of: the hardest class to beat
        unit = am.Unit("class", "fc", _strongest_shipped_class(lite))
    best_photo = am.top_shipped(lite, unit, 128, k=1)[0][2]
    result = am.run(lite, am.Request(unit, "fft", R.Settings(size=128, steps=64, lr=0.1)))
    assert result.scores[0] > best_photo, (unit, result.scores[0], best_photo)
    untouched(lite)


def test_more_total_variation_weight_gives_smoother_images(lite):
    obj = objectives.channel("blocks.4", 3)
    tv = lambda r: float(priors.total_variation(torch.as_tensor(r.images).permute(0, 3, 1, 2))[0])
    values = [tv(R.render(lite, obj, R.Settings(size=64, steps=16, lr=0.1, param="pixel", tv=w)))
              for w in (0.0, 200.0, 1000.0)]
    assert values[0] > values[1] > values[2], values


def test_each_prior_moves_the_image_the_way_it_should(lite):
    obj = objectives.channel("blocks.4", 3)
    base = R.Settings(size=64, steps=16, lr=0.1, param="pixel", transforms=False)
    as_tensor = lambda r: torch.as_tensor(r.images).permute(0, 3, 1, 2)
    plain = as_tensor(R.render(lite, obj, base))
    l2 = as_tensor(R.render(lite, obj, R.Settings(**{**base.__dict__, "l2": 1000.0})))
    centre = as_tensor(R.render(lite, obj, R.Settings(**{**base.__dict__, "centre": 1000.0})))
    blurred = as_tensor(R.render(lite, obj, R.Settings(**{**base.__dict__, "blur_every": 2})))
    assert float(priors.l2(l2)) < float(priors.l2(plain))
    assert float(priors.centre_bias(centre)) < float(priors.centre_bias(plain))
    assert float(priors.total_variation(blurred)) < float(priors.total_variation(plain))


def test_fixed_seed_is_reproducible_and_seeds_differ(lite):
    obj = objectives.channel("blocks.2", 1)
    settings = R.Settings(size=32, steps=6, seed=3)
    a, b = R.render(lite, obj, settings), R.render(lite, obj, settings)
    np.testing.assert_array_equal(a.images, b.images)
    assert a.history == b.history
    c = R.render(lite, obj, R.Settings(size=32, steps=6, seed=4))
    assert not np.array_equal(a.images, c.images)


def test_cancel_and_errors_leave_the_shared_model_untouched(lite):
    obj = objectives.channel("blocks.2", 1)
    calls = []
    result = R.render(lite, obj, R.Settings(size=32, steps=10), cancel=lambda: len(calls) >= 3,
                      progress=lambda fraction, message: calls.append(fraction))
    assert result.cancelled and result.steps_done == 3 and result.images.shape == (1, 32, 32, 3)
    untouched(lite)

    def boom(fraction: float, message: str) -> None:
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        R.render(lite, obj, R.Settings(size=32, steps=5), progress=boom)
    untouched(lite)


def test_stopping_at_the_layer_gives_the_full_forward_result(lite):
    obj = objectives.channel("blocks.5", 2)
    settings = R.Settings(size=48, steps=5, seed=1)
    short, full = R.render(lite, obj, settings), R.render(lite, obj, settings, full_forward=True)
    np.testing.assert_allclose(short.images, full.images, atol=1e-5)


def test_concurrent_runs_share_the_model_and_get_their_own_results(lite):
    units = [objectives.channel("blocks.3", n) for n in range(4)]
    settings = R.Settings(size=48, steps=6)
    expected = [R.render(lite, u, settings).images for u in units]
    got: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(units) + 1)

    def work(i: int) -> None:
        try:
            barrier.wait()
            got[i] = R.render(lite, units[i], settings).images
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def capture_meanwhile() -> None:
        barrier.wait()
        for _ in range(5):
            capture.capture(lite, torch.rand(1, 3, 64, 64), ["blocks.3"])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(units))]
    threads.append(threading.Thread(target=capture_meanwhile))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    for i in range(len(units)):
        np.testing.assert_allclose(got[i], expected[i], atol=1e-5)
    untouched(lite)


def test_snapshots_callbacks_and_objective_algebra(lite):
    a, b = objectives.channel("blocks.2", 1), objectives.channel("blocks.3", 2)
    combo = 2 * a - b + (-a)
    x = torch.rand(2, 3, 32, 32)
    acts = R.activations(lite, combo, x)
    assert set(acts) == {"blocks.2", "blocks.3"}
    torch.testing.assert_close(combo(acts), a(acts) - b(acts))
    d = objectives.direction("blocks.2", np.eye(lite.output_shapes["blocks.2"][0])[1])
    torch.testing.assert_close(d(acts), a(acts))
    n = objectives.neuron("blocks.2", 1, x=3, y=4)
    torch.testing.assert_close(n(acts), acts["blocks.2"][:, 1, 4, 3])
    assert objectives.diversity("blocks.2")(acts).shape == (2,)
    seen = []
    r = R.render(lite, a, R.Settings(size=32, steps=4, snapshots=(2, 4), batch=2, param="pixel", blur_every=2),
                 on_snapshot=lambda step, images: seen.append((step, images.shape)))
    assert [s for s, _ in r.snapshots] == [2, 4] and r.images.shape == (2, 32, 32, 3)
    assert seen == [(2, (2, 32, 32, 3)), (4, (2, 32, 32, 3))]
    assert 0.0 <= r.images.min() and r.images.max() <= 1.0


def test_fourier_parameterisation_starts_with_a_1_over_f_spectrum():
    image = param.fft_image(64, 3, 1, generator=torch.Generator().manual_seed(0)).image().detach()[0].mean(0)
    power = torch.fft.rfft2(image - image.mean()).abs()
    freqs = torch.as_tensor(param.rfft2d_freqs(64, 64))
    low, high = power[(freqs > 0) & (freqs < 0.1)].mean(), power[freqs > 0.3].mean()
    assert float(low) > 5 * float(high)  # energy concentrated at low frequencies, like a photo
    pixels = param.pixel_image(64, 3, 1, generator=torch.Generator().manual_seed(0)).image().detach()[0].mean(0)
    flat = torch.fft.rfft2(pixels - pixels.mean()).abs()
    assert float(flat[(freqs > 0) & (freqs < 0.1)].mean()) < 2 * float(flat[freqs > 0.3].mean())  # white noise


def test_one_resampling_view_keeps_size_and_shifts_content():
    x = torch.zeros(1, 1, 32, 32)
    x[..., 16, 16] = 1.0
    moved = transform._affine(x, 1.0, 0.0, (3.0, 0.0))
    assert moved.shape == x.shape
    assert torch.nonzero(moved[0, 0] > 0.5).tolist() == [[16, 19]]
    view = transform.compose(transform.standard(64))(torch.rand(2, 3, 64, 64), torch.Generator().manual_seed(0))
    assert view.shape == (2, 3, 64, 64)
    chain = transform.compose(transform.lucent_chain(64))(torch.rand(2, 3, 64, 64), torch.Generator().manual_seed(0))
    assert chain.shape == (2, 3, 70, 70)  # padded by 6 a side (76), cropped by 4 then by 2


def test_evolution_raises_the_score_without_gradients(digits):
    seen = []
    r = evolution.evolve(digits, objectives.class_logit("fc", 3), size=28, generations=15, seed=0,
                         snapshots=(5, 15), on_snapshot=lambda s, im: seen.append(s))
    assert r.history[-1] > r.history[0] and seen == [5, 15]
    assert all(b >= a for a, b in zip(r.history, r.history[1:]))  # elitism: the best never gets worse
    untouched(digits)


def test_evolution_reports_the_one_progress_type(digits):
    heard: list[tuple[float, str]] = []
    r = evolution.evolve(digits, objectives.class_logit("fc", 2), size=28, generations=4, seed=0,
                         progress=lambda fraction, message: heard.append((fraction, message)))
    assert [f for f, _ in heard] == [0.25, 0.5, 0.75, 1.0]
    assert [m.split(",")[0] for _, m in heard] == ["step 1/4", "step 2/4", "step 3/4", "step 4/4"]
    assert heard[-1][1] == f"step 4/4, objective {r.history[-1]:.3g}"


def test_the_step_reporter_turns_steps_into_fractions():
    assert R.step_reporter(None) is None
    heard = []
    R.step_reporter(lambda f, m: heard.append((f, m)))(3, 12, 1.23456)
    assert heard == [(0.25, "step 3/12, objective 1.23")]
