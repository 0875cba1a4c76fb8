"""Attribution methods: known answers on a constructed model, completeness, deletion, randomisation, no hooks left."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from torch import nn

from lessons.attribution import compute as attribution
from lessons.core import capture, data, preprocess, registry
from lessons.core.stages import Stage

ROWS, COLS = slice(4, 12), slice(16, 24)  # the only region the constructed model looks at


def _region_model() -> registry.LoadedModel:
    """A 1×28×28 model whose class-0 score depends only on pixels in ROWS×COLS (positive weights, no bias)."""
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 4, 3, padding=1, bias=False)
    fc = nn.Linear(4, 10)
    with torch.no_grad():
        conv.weight.copy_(conv.weight.abs())
        fc.weight.zero_()
        fc.weight[0] = torch.tensor([1.0, 2.0, 0.5, 1.5])
        fc.bias.zero_()
    module = nn.Sequential(conv, fc).requires_grad_(False).eval()
    mask = torch.zeros(1, 1, 28, 28)
    mask[..., ROWS, COLS] = 1.0
    stages = [
        Stage("mask", "norm", "keep one region", lambda x: x * mask),
        Stage("conv", "conv", "Conv 1→4, 3×3", conv, conv),
        Stage("relu", "relu", "ReLU", torch.relu),
        Stage("pool", "pool", "Global average pool", lambda x: x.mean((2, 3))),
        Stage("fc", "linear", "Linear 4→10", fc, fc),
    ]
    spec = dataclasses.replace(registry.spec_for("digit_cnn"), key="region_toy", stages=lambda m: stages)
    return registry.LoadedModel(spec, "random", module, torch.device("cpu"), stages)


def _region_input() -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(1).uniform(0.5, 2.0, (1, 1, 28, 28)).astype(np.float32))


def _inside_share(heatmap: np.ndarray) -> float:
    mass = np.abs(heatmap)
    return float(mass[ROWS, COLS].sum() / mass.sum())


def _hook_count(module: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
               + len(getattr(m, "_backward_pre_hooks", {})) for m in module.modules())


def _digit(index: int) -> np.ndarray:
    return data.mnist_split()[2][index]


def test_every_method_puts_the_attribution_on_the_region_the_model_reads():
    toy = _region_model()
    settings = attribution.Settings(layer="relu", noise_samples=4, ig_steps=16, baseline="grey", window=2, stride=2)
    results = attribution.attribute_all(toy, _region_input(), 0, settings)
    assert [r.method for r in results] == list(attribution.METHODS)
    for result in results:
        assert result.heatmap.shape == (28, 28)
        assert result.seconds >= 0
        # Grad-CAM's layer sees one pixel of conv padding around the region; every other method is exact
        assert _inside_share(result.heatmap) > (0.8 if result.method == "gradcam" else 0.99), result.method


def test_integrated_gradients_are_complete_on_the_constructed_model_and_the_digit_cnn(digits):
    for loaded, x, target in ((_region_model(), _region_input(), 0),
                              (digits, preprocess.prepare_batch([_digit(0)], digits.spec), 7)):
        attr, gap = attribution.integrated_gradients(loaded, x, target, steps=64, baseline="black")
        net = attribution.staged_net(loaded)
        base = attribution.baseline_input(x, "black", loaded.spec.mean, loaded.spec.std)
        with torch.inference_mode():
            difference = float(net(x)[0, target] - net(base)[0, target])
        assert abs(difference) > 0.1
        assert abs(float(attr.sum()) - difference) <= 0.01 * abs(difference)
        assert abs(gap) <= 0.01 * abs(difference)


def test_deletion_curve_of_the_true_attribution_falls_faster_than_a_random_one():
    toy, x = _region_model(), _region_input()
    attr, _ = attribution.integrated_gradients(toy, x, 0, steps=16, baseline="grey")
    heatmap = attr[0, 0].numpy()
    fractions, true_curve = attribution.deletion_curve(toy, x, 0, heatmap, steps=10, baseline="grey")
    _, random_curve = attribution.deletion_curve(toy, x, 0, attribution.random_heatmap((28, 28)), steps=10,
                                                 baseline="grey")
    assert fractions[0] == 0 and fractions[-1] == 1 and len(fractions) == 11
    assert true_curve[0] == pytest.approx(random_curve[0]) and true_curve[-1] == pytest.approx(random_curve[-1])
    # the region is 64 of 784 pixels: removing the top 10% of the true map already removes all of it
    assert true_curve[1] == pytest.approx(0.1, abs=1e-4)
    floor = float(true_curve[-1])  # the probability with the whole image deleted
    true_excess = attribution.area_under(fractions, true_curve) - floor
    random_excess = attribution.area_under(fractions, random_curve) - floor
    assert true_excess < 0.3 * random_excess


def test_randomising_the_model_changes_the_gradient_maps(digits):
    x = preprocess.prepare_batch([_digit(0)], digits.spec)
    trained = attribution.saliency(digits, x, 7)
    assert attribution.rank_correlation(trained, trained) == pytest.approx(1.0)
    redrawn = attribution.saliency(digits, x, 7, net=attribution.staged_net(digits, randomise_classifier=True))
    twin = registry.load_model("digit_cnn", "random", device_name="cpu")
    random_twin = attribution.saliency(twin, x, 7)
    assert attribution.rank_correlation(trained, redrawn) < 0.8
    assert attribution.rank_correlation(trained, random_twin) < 0.8
    assert attribution.rank_correlation(trained, attribution.saliency(digits, x, 7)) == pytest.approx(1.0)


def test_randomised_classifier_leaves_the_shared_model_untouched(digits):
    before = digits.stages[-1].module.weight.clone()
    net = attribution.staged_net(digits, randomise_classifier=True, seed=3)
    again = attribution.staged_net(digits, randomise_classifier=True, seed=3)
    assert torch.equal(net._stages[-1].module.weight, again._stages[-1].module.weight)
    assert not torch.equal(net._stages[-1].module.weight, before)
    assert torch.equal(digits.stages[-1].module.weight, before)


def test_no_hook_remains_and_concurrent_callers_get_their_own_answers(digits):
    settings = attribution.Settings(layer="conv2", noise_samples=3, ig_steps=8, window=4, stride=4)
    inputs = [preprocess.prepare_batch([_digit(i)], digits.spec) for i in range(4)]
    targets = [int(np.argmax(capture.predict(digits, x)[0])) for x in inputs]
    grads_before = [None if p.grad is None else p.grad.clone() for p in digits.module.parameters()]
    serial = [attribution.attribute_all(digits, x, t, settings) for x, t in zip(inputs, targets)]
    parallel: dict[int, list[attribution.Attribution]] = {}
    seen_hooks: list[int] = []

    def work(i: int) -> None:
        for _ in range(2):
            parallel[i] = attribution.attribute_all(digits, inputs[i], targets[i], settings)
            seen_hooks.append(_hook_count(digits.module))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen_hooks == [0] * 8 and _hook_count(digits.module) == 0
    assert not any(p.requires_grad for p in digits.module.parameters())
    for p, before in zip(digits.module.parameters(), grads_before):  # no parameter gradient was accumulated
        assert (p.grad is None) if before is None else torch.equal(p.grad, before)
    for i in range(4):
        for mine, reference in zip(parallel[i], serial[i]):
            # SmoothGrad draws its noise from the global generator, which threads share: compare the rest exactly
            if mine.method != "saliency":
                np.testing.assert_allclose(mine.heatmap, reference.heatmap, rtol=1e-4, atol=1e-6)
    assert not np.allclose(serial[0][2].heatmap, serial[1][2].heatmap)


def test_every_listed_network_with_feature_maps_is_offered():
    assert attribution.offered_models() == [k for k in registry.model_keys() if k != "digit_mlp"]
    assert not registry.load_model("digit_mlp", "random", device_name="cpu").spatial_layers  # nothing for Grad-CAM


@pytest.mark.parametrize("key", attribution.offered_models())
def test_every_offered_model_works(key):
    loaded = registry.load_model(key, "random", device_name="cpu")
    size = loaded.spec.input_size
    image = _digit(0) if loaded.spec.family == "digits" else data.load_photo("coffee")
    x = preprocess.prepare_batch([image], loaded.spec)
    settings = attribution.Settings(layer=attribution.default_cam_layer(loaded), noise_samples=1, ig_steps=4,
                                    baseline="blur", window=size // 2, stride=size // 2)
    for result in attribution.attribute_all(loaded, x, 1, settings):
        assert result.heatmap.shape == (size, size)
        assert np.isfinite(result.heatmap).all()


def test_baselines_mean_what_they_say(lite):
    x = preprocess.prepare_batch([data.load_photo("coffee")], lite.spec)
    mean = torch.tensor(lite.spec.mean).view(1, 3, 1, 1)
    std = torch.tensor(lite.spec.std).view(1, 3, 1, 1)
    black = attribution.baseline_input(x, "black", lite.spec.mean, lite.spec.std)
    assert torch.allclose(black * std + mean, torch.zeros_like(x), atol=1e-6)
    assert torch.equal(attribution.baseline_input(x, "grey", lite.spec.mean, lite.spec.std), torch.zeros_like(x))
    blur = attribution.baseline_input(x, "blur", lite.spec.mean, lite.spec.std)
    assert blur.shape == x.shape
    assert torch.allclose(blur.mean((2, 3)), x.mean((2, 3)), atol=0.05)  # same colours on average
    assert float((blur[..., 1:, :] - blur[..., :-1, :]).abs().mean()) < 0.3 * float(
        (x[..., 1:, :] - x[..., :-1, :]).abs().mean())  # no edges left
    with pytest.raises(ValueError):
        attribution.baseline_input(x, "white", lite.spec.mean, lite.spec.std)  # type: ignore[arg-type]


def test_internal_batches_keep_a_224_px_attribution_inside_the_device_budget(lite):
    size = attribution.grad_batch_size(lite)
    floats = sum(int(np.prod(s)) for s in lite.output_shapes.values())
    assert 1 <= size <= 64
    assert size * 4 * 12 * floats <= attribution.gradient_budget(lite.device) < 2**30
    if lite.device.type == "cpu":  # a CPU gains nothing from big batches: they would only raise the server's peak
        assert size <= 4 and attribution.gradient_budget(lite.device) <= 256 * 2**20
    assert attribution.grad_batch_size(lite, budget_bytes=2**30) > size  # an explicit budget still counts
    assert attribution.gradient_budget(torch.device("cuda")) > attribution.gradient_budget(torch.device("cpu"))


def test_gradcam_rejects_unknown_and_flat_layers(digits):
    x = preprocess.prepare_batch([_digit(0)], digits.spec)
    with pytest.raises(KeyError):
        attribution.gradcam(digits, x, 0, "nope")
    with pytest.raises(ValueError):
        attribution.gradcam(digits, x, 0, "flatten")


def test_rank_correlation_known_values():
    a = np.arange(10.0)
    assert attribution.rank_correlation(a, a * 3 + 1) == pytest.approx(1.0)
    assert attribution.rank_correlation(a, -a) == pytest.approx(-1.0)
    assert attribution.area_under(np.linspace(0, 1, 5), np.ones(5)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="differ in size"):
        attribution.rank_correlation(a, np.arange(9.0))


def _blob(row: int, col: int, size: int = 32) -> np.ndarray:
    """A Grad-CAM-like map: exact zeros except one 8×8 bump."""
    heatmap = np.zeros((size, size), np.float32)
    heatmap[row:row + 8, col:col + 8] = np.outer(np.hanning(8), np.hanning(8)) + 0.1
    return heatmap


def test_rank_correlation_gives_tied_pixels_their_average_rank_like_spearman():
    rng = np.random.default_rng(0)
    pairs = [(_blob(2, 2), _blob(20, 20)),  # non-overlapping blobs: tie-breaking by index made these look alike
             (_blob(2, 2), _blob(4, 5)),
             (rng.integers(0, 3, (16, 16)).astype(float), rng.integers(0, 4, (16, 16)).astype(float)),
             (rng.random((16, 16)), rng.random((16, 16)))]
    for a, b in pairs:
        expected = spearmanr(a.ravel(), b.ravel()).statistic
        assert attribution.rank_correlation(a, b) == pytest.approx(expected, abs=1e-9)
    assert attribution.rank_correlation(*pairs[0]) < 0  # the blobs share no pixel: no positive correlation


def test_a_constant_map_has_no_rank_correlation():
    flat, ordinary = np.zeros((8, 8)), np.arange(64.0).reshape(8, 8)
    assert np.isnan(attribution.rank_correlation(flat, ordinary))
    assert np.isnan(attribution.rank_correlation(ordinary, np.full((8, 8), 3.0)))
    assert attribution.format_correlation(float("nan")) == "undefined"
    assert attribution.format_correlation(0.4821) == "0.48"
    assert attribution.format_correlation(-0.001) == "0.00"
    assert attribution.undefined_reason(flat, ordinary) == "undefined — the trained network's map is constant"
    assert attribution.undefined_reason(ordinary, flat) == "undefined — this map is constant"
    assert attribution.undefined_reason(flat, flat) == "undefined — both maps are constant"
    assert attribution.is_constant(flat) and not attribution.is_constant(ordinary)


@pytest.mark.parametrize(("rho", "verdict"), [
    (0.95, "barely changed"), (0.6951, "barely changed"), (0.695, "changed partly"), (0.69, "changed partly"),
    (0.30, "changed partly"),
    (0.29, "changed a lot"), (-0.8, "changed a lot"), (float("nan"), "undefined — the map is constant")])
def test_change_verdict_follows_the_stated_thresholds_on_the_shown_value(rho, verdict):
    assert attribution.change_verdict(rho) == verdict


REFERENCE = attribution.RANDOM_MAP_TITLE


def _deletion_parts(text: str) -> tuple[str, str]:
    """The summary split into its "beat the random map" and "no better than the random map" sentences."""
    beat = text.split("Beat the random map")[1].split(". ")[0] if "Beat the random map" in text else ""
    no_better = text.split("No better than the random map")[1].split("—")[0] if "No better" in text else ""
    return beat, no_better


def test_deletion_summary_names_the_methods_that_beat_the_random_map_and_those_that_do_not():
    areas = {"Saliency (SmoothGrad)": 0.45, "Grad-CAM": 0.30, "Integrated gradients": 0.52, "Occlusion": 0.355,
             REFERENCE: 0.412}
    text = attribution.deletion_summary(areas, REFERENCE)
    beat, no_better = _deletion_parts(text)
    assert "**Grad-CAM** (0.300)" in beat and "**Occlusion** (0.355)" in beat
    assert "Saliency" in no_better and "Integrated gradients" in no_better
    assert "Saliency" not in beat and "Grad-CAM" not in no_better
    assert "**0.412**" in text and "chance" in text
    assert "No method beat" not in text and "Every method beat" not in text


def test_deletion_summary_says_plainly_when_the_random_map_beats_every_method():
    areas = {"Saliency (SmoothGrad)": 0.45, "Grad-CAM": 0.30, "Integrated gradients": 0.52, "Occlusion": 0.355,
             REFERENCE: 0.25}
    text = attribution.deletion_summary(areas, REFERENCE)
    beat, no_better = _deletion_parts(text)
    assert "**No method beat the random map here.**" in text
    assert beat == "" and all(name in no_better for name in areas if name != REFERENCE)


def test_deletion_summary_when_every_method_beats_the_random_map():
    areas = {"Saliency (SmoothGrad)": 0.2, "Grad-CAM": 0.1, REFERENCE: 0.5}
    text = attribution.deletion_summary(areas, REFERENCE)
    assert "Every method beat the random map." in text and "No better" not in text and "No method" not in text
    with pytest.raises(ValueError, match="no area for the reference map"):
        attribution.deletion_summary({"Grad-CAM": 0.1}, REFERENCE)


def test_deletion_summary_compares_the_areas_as_shown_and_sets_constant_maps_apart():
    text = attribution.deletion_summary({"Occlusion": 0.41196, "Grad-CAM": 0.1, REFERENCE: 0.41204}, REFERENCE,
                                        constant_maps=["Grad-CAM"])
    beat, no_better = _deletion_parts(text)
    assert "Occlusion" in no_better and beat == ""  # 0.412 on screen for both: no better
    assert "this map's order" in text and "Every method with a non-constant map" not in text
    assert "**Grad-CAM**: the map is constant" in text and "Grad-CAM" not in beat + no_better


TWIN_TITLES = {"random_classifier": "classifier re-drawn", "random": "random twin"}


def test_sanity_summary_says_which_maps_changed_with_the_thresholds_stated():
    correlations = {"saliency": {"random_classifier": 0.1, "random": 0.05},
                    "gradcam": {"random_classifier": 0.48, "random": float("nan")},
                    "occlusion": {"random_classifier": 0.92, "random": 0.71}}
    text = attribution.sanity_summary(correlations, TWIN_TITLES)
    assert "ρ ≥ 0.70 **barely changed**" in text and "ρ < 0.30 **changed a lot**" in text
    lines = {line.split("**")[1]: line for line in text.splitlines() if line.startswith("- ")}
    saliency = lines["Saliency (SmoothGrad)"]
    assert saliency.count("changed a lot") == 2 and "barely" not in saliency
    assert "changed partly (classifier re-drawn: ρ = 0.48)" in lines["Grad-CAM"]
    assert "has no rank correlation (random twin: a map is constant)" in lines["Grad-CAM"]
    assert lines["Occlusion"].count("barely changed") == 2 and "changed a lot" not in lines["Occlusion"]


def test_paper_comparison_agrees_or_differs_with_the_measured_correlations():
    agree = {"saliency": {"random_classifier": 0.1, "random": 0.0},
             "gradcam": {"random_classifier": 0.2, "random": 0.1}}
    text = attribution.paper_comparison(agree, TWIN_TITLES)
    assert text.count("as in the paper") == 2 and "differs" not in text
    differ = {"saliency": {"random_classifier": 0.1, "random": 0.85},
              "gradcam": {"random_classifier": 0.5, "random": 0.1}}
    text = attribution.paper_comparison(differ, TWIN_TITLES)
    assert "**Saliency (SmoothGrad)** differs from the paper here: it barely changed (random twin: ρ = 0.85)" in text
    assert ("**Grad-CAM** changed less clearly than in the paper: it changed partly "
            "(classifier re-drawn: ρ = 0.50)") in text
    assert "as in the paper" not in text
    undefined = {"gradcam": {"random_classifier": float("nan"), "random": 0.1}}
    assert "can only partly be compared" in attribution.paper_comparison(undefined, TWIN_TITLES)


def test_empty_map_note_only_for_maps_that_point_at_nothing():
    assert "at this layer" in attribution.empty_map_note("gradcam", np.zeros((4, 4)))
    assert attribution.empty_map_note("occlusion", np.zeros((4, 4))).startswith("Constant map (every pixel 0)")
    assert "No pixel has a positive value" in attribution.empty_map_note("integrated_gradients", -np.eye(4) - 1)
    assert attribution.empty_map_note("saliency", np.eye(4)) is None


def test_an_occlusion_stride_longer_than_the_window_is_capped_and_said_so(digits):
    x = preprocess.prepare_batch([_digit(0)], digits.spec)
    capped = attribution.occlusion(digits, x, 3, window=4, stride=9)
    np.testing.assert_allclose(capped, attribution.occlusion(digits, x, 3, window=4, stride=4))
    assert attribution.occlusion_note(4, 9) == "4-px window, stride 4 (stride 9 capped at the window: a longer one " \
                                               "would skip pixels)"
    assert attribution.occlusion_note(4, 2) == "4-px window, stride 2"


@pytest.mark.parametrize("size", [28, 224])
def test_the_default_settings_are_light_and_dearer_ones_are_not(size):
    window = attribution.default_window(size)
    default = attribution.Settings(layer="any", window=window, stride=window)
    assert attribution.is_light(default, size)
    assert attribution.is_light(dataclasses.replace(default, noise_samples=2, ig_steps=8), size)
    assert not attribution.is_light(dataclasses.replace(default, ig_steps=128), size)
    assert not attribution.is_light(dataclasses.replace(default, stride=1), size)
