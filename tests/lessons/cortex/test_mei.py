"""Most exciting images: the contrast budget, the MEI of a linear neuron, batched = one at a time, diversity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lessons.cortex import mei, simulated
from lessons.optvis.priors import blur

SMALL = (40, 52)  # a small image at about the Allen aspect ratio, for the fast tests


def smooth_fields(n: int, shape: tuple[int, int], seed: int, sigma: float = 4.0) -> torch.Tensor:
    """n smooth random fields (n, H, W) of unit norm: extended receptive fields a blurred MEI can reach."""
    noise = torch.randn(n, 1, *shape, generator=torch.Generator().manual_seed(seed))
    w = blur(noise, sigma)[:, 0]
    w = w - w.mean(dim=(1, 2), keepdim=True)
    return w / w.norm(dim=(1, 2), keepdim=True)


class Linear(torch.nn.Module):
    """r_c = <w_c, image − 0.5>, counting its calls and the batch size of each."""

    def __init__(self, weights: torch.Tensor) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(weights.clone())
        self.batches: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.batches.append(x.shape[0])
        return torch.einsum("bhw,chw->bc", x[:, 0] - 0.5, self.w)


class ConvNet(torch.nn.Module):
    """A small conv net with a per-cell linear readout (a CNN-like stand-in for the neuron model)."""

    def __init__(self, shape: tuple[int, int], cells: int) -> None:
        super().__init__()
        torch.manual_seed(3)
        self.conv = torch.nn.Conv2d(1, 8, 5, padding=2)
        self.readout = torch.nn.Linear(8 * shape[0] * shape[1] // 16, cells)
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.nn.functional.avg_pool2d(torch.nn.functional.softplus(self.conv(x - 0.5)), 4)
        return self.readout(h.flatten(1))


class Energy(torch.nn.Module):
    """A complex cell with a simple-cell part: r = <e, x − 0.5>² + <o, x − 0.5>² + 2<e, x − 0.5> for a quadrature
    pair (e, o) of wide gratings: every phase of the grating drives it almost equally, the even phase a little more,
    so MEIs from different starts all settle on the even phase."""

    def __init__(self, shape: tuple[int, int]) -> None:
        super().__init__()
        yy, xx = torch.meshgrid(torch.arange(shape[0]) - shape[0] / 2, torch.arange(shape[1]) - shape[1] / 2,
                                indexing="ij")
        envelope = torch.exp(-(xx**2 + yy**2) / (2 * (shape[0] / 3) ** 2))
        phase = 2 * math.pi * xx / 16
        pair = torch.stack([envelope * torch.cos(phase), envelope * torch.sin(phase)])
        self.register_buffer("pair", pair / pair.norm(dim=(1, 2), keepdim=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        proj = torch.einsum("bhw,khw->bk", x[:, 0] - 0.5, self.pair)
        return (proj**2).sum(dim=1, keepdim=True) + 2 * proj[:, :1]


def fast(**kw: object) -> mei.MeiSettings:
    """Settings for the small, fast runs."""
    return mei.MeiSettings(**{"shape": SMALL, "steps": 24, "jitter": 2, **kw})


# ------------------------------------------------------------------------------------------------ contrast
def test_to_budget_is_exact_in_range_and_scale_free() -> None:
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(6, 30, 40, generator=gen) ** 3 * torch.tensor([1e-3, 1, 10, 100, 1, 1])[:, None, None]
    z[5, 3, 4] = 1e4  # one extreme pixel clips
    for contrast in (0.05, 0.18, 0.45):
        x = mei.to_budget(z, contrast)
        assert np.allclose(mei.rms_contrast(x), contrast, atol=1e-5)
        assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    assert torch.allclose(mei.to_budget(z * 7.0, 0.18), mei.to_budget(z, 0.18), atol=1e-5)
    assert torch.equal(mei.to_budget(torch.zeros(1, 4, 4), 0.2), torch.full((1, 4, 4), 0.5))


def test_stimulus_contrast_and_the_default_budget() -> None:
    assert mei.stimulus_contrast(np.full((2, 4, 4), 77, np.uint8)) == 0.0
    assert mei.stimulus_contrast(np.array([[[0, 255]]], np.uint8)) == pytest.approx(0.5)
    stimuli = simulated.make_stimuli(n_images=20)
    assert 0.1 < mei.stimulus_contrast(stimuli) < 0.3
    with pytest.raises(ValueError):
        mei.MeiSettings(contrast=0.5)


# --------------------------------------------------------------------------------------------- a linear cell
def test_linear_cell_mei_is_its_weights_and_beats_every_stimulus_at_the_same_contrast() -> None:
    weights = smooth_fields(2, mei.IMAGE_SHAPE, seed=1)
    model = Linear(weights)
    settings = mei.MeiSettings(steps=96)
    result = mei.most_exciting(model, [1, 0], settings)
    assert result.images.shape == (2, *mei.IMAGE_SHAPE) and result.images_uint8.dtype == np.uint8
    assert result.history.shape == (96, 2) and not result.cancelled
    for image, cell in zip(result.images, result.cells):
        assert np.corrcoef(image.ravel(), weights[cell].numpy().ravel())[0, 1] > 0.9
    assert np.allclose(mei.rms_contrast(result.images), settings.contrast, atol=1e-4)
    assert result.images.min() >= 0.0 and result.images.max() <= 1.0
    # natural stimuli of the simulated cortex, centred on grey at the same contrast budget
    stimuli = torch.as_tensor(simulated.make_stimuli() / 255.0, dtype=torch.float32)
    natural = mei.to_budget(stimuli, settings.contrast)
    assert np.allclose(mei.rms_contrast(natural), settings.contrast, atol=1e-4)
    with torch.no_grad():
        natural_responses = model(natural[:, None]).numpy()
    for i, cell in enumerate(result.cells):
        assert result.responses[i] > natural_responses[:, cell].max()
    # the bound of Cauchy–Schwarz: contrast · sqrt(pixels) · |w| = 1 · 0.18 · sqrt(144 · 184)
    assert result.responses.max() <= settings.contrast * math.sqrt(144 * 184) + 1e-3
    assert result.history[-1].mean() > result.history[0].mean()


# ------------------------------------------------------------------------------------ batching and bookkeeping
def test_batched_equals_one_at_a_time_and_one_pass_per_step() -> None:
    model = ConvNet(SMALL, cells=5)
    settings = fast(seed=4)
    cells = [4, 0, 2, 2]
    calls: list[int] = []
    original = model.forward
    model.forward = lambda x: (calls.append(x.shape[0]), original(x))[1]  # type: ignore[method-assign]
    batched = mei.most_exciting(model, cells, settings)
    # one pass of the whole batch per step, plus one no-gradient pass that scores the returned images
    assert calls == [len(cells)] * (settings.steps + 1)
    calls.clear()
    single = mei.one_at_a_time(model, cells, settings)
    assert calls == [1] * ((settings.steps + 1) * len(cells))
    assert np.array_equal(batched.cells, single.cells)
    # the same images up to float rounding: pixels agree to 1e-4, responses to 1e-4 relative
    assert np.abs(batched.images - single.images).max() < 1e-4
    assert np.allclose(batched.responses, single.responses, rtol=1e-4, atol=1e-6)
    assert np.allclose(batched.history, single.history, rtol=1e-4, atol=1e-6)
    # two copies of cell 2 start from different spectra (the generator is per image, not per cell)
    assert batched.similarity[2, 3] < 0.999
    calls.clear()
    chunked = mei.most_exciting(model, cells, settings, chunk=3)
    assert calls == [3] * (settings.steps + 1) + [1] * (settings.steps + 1)
    assert np.abs(chunked.images - batched.images).max() < 1e-4
    assert chunked.history.shape == batched.history.shape and not chunked.cancelled


def test_chunk_size_batches_everything_on_a_gpu_and_a_few_on_a_cpu() -> None:
    assert mei.chunk_size(torch.device("cuda")) >= 10_000
    assert 1 < mei.chunk_size(torch.device("cpu")) == mei.CPU_CHUNK < 32
    with pytest.raises(ValueError, match="chunk"):
        mei.most_exciting(Linear(smooth_fields(1, SMALL, seed=0)), [0], fast(), chunk=0)


def test_cancel_stops_early_and_progress_reports() -> None:
    model = Linear(smooth_fields(3, SMALL, seed=2))
    reports: list[tuple[float, str]] = []
    result = mei.most_exciting(model, [0, 1, 2], fast(), progress=lambda f, m: reports.append((f, m)),
                               cancel=lambda: len(reports) >= 5)
    assert result.cancelled and result.steps_done == 5 and result.history.shape == (5, 3)
    assert result.images.shape == (3, *SMALL) and reports[-1][0] == pytest.approx(5 / 24)
    assert np.allclose(mei.rms_contrast(result.images), 0.18, atol=1e-4)
    single = mei.one_at_a_time(model, [0, 1, 2], fast(), cancel=lambda: True)
    assert single.cancelled and len(single.cells) == 0
    full = mei.most_exciting(model, [0], fast(), progress=lambda f, m: reports.append((f, m)))
    assert not full.cancelled and reports[-1][0] == 1.0 and "step 24/24" in reports[-1][1]


def test_model_parameters_are_untouched() -> None:
    model = ConvNet(SMALL, cells=3)
    model.conv.weight.requires_grad_(False)  # a mix of frozen and trainable parameters
    before = {name: (p.detach().clone(), p.requires_grad) for name, p in model.named_parameters()}
    mei.most_exciting(model, [0, 1], fast(steps=6))
    mei.diverse(model, 2, fast(steps=6), n=3)
    assert not model.training
    for name, p in model.named_parameters():
        assert torch.equal(p, before[name][0]) and p.requires_grad == before[name][1] and p.grad is None


# ----------------------------------------------------------------------------------------------- diversity
def test_diverse_meis_are_less_alike_than_without_the_term() -> None:
    model = Energy(SMALL)
    settings = fast(steps=48, diverse=4, jitter=1)
    plain = mei.diverse(model, 0, settings, diversity=0.0)
    varied = mei.diverse(model, 0, settings)
    assert varied.images.shape == (4, *SMALL) and varied.similarity.shape == (4, 4)
    assert np.allclose(np.diag(varied.similarity), 1.0)
    off = ~np.eye(4, dtype=bool)
    assert varied.similarity[off].mean() < plain.similarity[off].mean() - 0.2
    assert plain.similarity[off].min() > 0.85  # without the term: the same image four times
    # diversity is nearly free for a phase-invariant cell: every image still drives it strongly
    assert varied.responses.min() > 0.7 * plain.responses.max()
    assert np.allclose(mei.rms_contrast(varied.images), settings.contrast, atol=1e-4)
