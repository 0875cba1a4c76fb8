"""The neuron model: the cortex pipeline's readouts as one differentiable torch module (network → projection → ridge).

Runs on the shipped simulated cortex and the default network at blocks.1, whose Gram matrices ship with the app
(one network pass over the 119 conditions to rebuild the layer's features, one more to predict them).
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
import torch

from lessons.core import preprocess, registry
from lessons.cortex import brain_score, mei, neuron_model, pipeline, simulated
from lessons.cortex.data import NeuralBundle
from lessons.optvis.render import hook_count

LAYER = "blocks.1"  # early (cheap to reach) and not the first layer, so the projection's seed index matters
CELLS = [0, 1, 5, 9]  # at blocks.1 cells 0, 1 and 5 are predicted; cell 9's GCV picks the largest alpha
CONSTANT_CELL = 9
#: Predictions on the stimulus-space images (a float resize) against those of PIL's uint8 resize, as a fraction of
#: the spread of the predictions over the same images; measured over all 118 images 0.3–0.6 % for these cells
#: (0.7–1.7 % at blocks.9). PIL's rounding moves a pixel by one grey level at most, a quarter of one on average.
RESIZE_TOLERANCE = 0.05


@pytest.fixture(scope="module")
def bundle():
    """The shipped simulated cortex."""
    return simulated.load_or_build()


@pytest.fixture(scope="module")
def readouts(bundle, lite) -> neuron_model.Readouts:
    """The page's readouts of the test cells at LAYER."""
    return neuron_model.fit_readouts(bundle, registry.DEFAULT_MODEL, "pretrained", LAYER, CELLS, device="cpu")


@pytest.fixture(scope="module")
def model(lite, readouts) -> neuron_model.NeuronModel:
    """The neuron model of the test cells."""
    return neuron_model.NeuronModel(lite, readouts)


def _full_fit(bundle, layer: str, cells) -> tuple[torch.Tensor, brain_score.GcvFit]:
    return _full_fit_of(bundle, registry.DEFAULT_MODEL, layer, cells)


def _full_fit_of(bundle, model_key: str, layer: str, cells) -> tuple[torch.Tensor, brain_score.GcvFit]:
    grams = pipeline.layer_grams(bundle, model_key, "pretrained", device="cpu")
    gram = torch.as_tensor(brain_score.scaled_gram(grams.gram(layer)), dtype=torch.float64)
    y = torch.as_tensor(bundle.responses[cells].T.astype(np.float64))
    return gram, brain_score.gcv_fit(gram, y)


def test_readouts_are_the_pages_full_data_fits(bundle, readouts):
    gram, fit = _full_fit(bundle, LAYER, CELLS)
    assert fit.dual.sum(dim=0).abs().max() < 1e-10 * fit.dual.abs().max()  # the intercept: Σ dual = 0 per cell
    folds = brain_score.kfold_indices(bundle.n_conditions, pipeline.FOLDS, pipeline.SEED)
    page = brain_score.score_layer(pipeline.layer_grams(bundle, registry.DEFAULT_MODEL, "pretrained").gram(LAYER),
                                   bundle.responses[CELLS].T.astype(np.float64), folds, device="cpu")
    np.testing.assert_array_equal(readouts.alphas, page.alpha)
    np.testing.assert_array_equal(readouts.constant, page.at_max_alpha)
    assert readouts.constant.tolist() == [c == CONSTANT_CELL for c in CELLS]
    assert readouts.gram_error < 1e-6  # the recomputed features rebuild the shipped Gram matrix
    assert readouts.w.shape == (readouts.n_components, len(CELLS)) and readouts.stimulus_shape == (144, 184)
    # the readout as a formula on the layer's projected features: f · w + bias gives the Gram's predictions
    features = neuron_model.projected_features(bundle, registry.load_model(device_name="cpu"), LAYER)
    n = bundle.n_conditions
    expected = brain_score.predict_from_gram(gram, torch.arange(n), torch.arange(n), fit).numpy()
    np.testing.assert_allclose(features.astype(np.float64) @ readouts.w + readouts.bias, expected, rtol=0, atol=1e-10)


def test_model_reproduces_the_pipelines_predictions(bundle, model):
    gram, fit = _full_fit(bundle, LAYER, CELLS)
    n = bundle.n_conditions
    expected = brain_score.predict_from_gram(gram, torch.arange(n), torch.arange(n), fit).numpy()
    predicted = model.predict_stimuli(bundle.condition_images())
    assert predicted.shape == (n, len(CELLS))
    assert np.abs(predicted - expected).max() < 1e-5


def test_forward_on_stimulus_images_matches_prepared_inputs(bundle, lite, model):
    images = bundle.stimuli[[3, 40, 77, 117]]
    prepared = preprocess.prepare_batch(list(images), lite.spec, fit=pipeline.STIMULUS_FIT)
    with torch.inference_mode():
        reference = model.from_inputs(prepared).numpy()
        # the same pixels the pipeline's resize made: identical up to float32 rounding
        resized = np.stack([preprocess.fit_image(img, lite.spec, pipeline.STIMULUS_FIT)[:, :, 0] for img in images])
        exact = model(torch.from_numpy(resized[:, None] / 255.0)).numpy()
        stimulus = torch.from_numpy(images[:, None] / 255.0)
        inputs = model.to_inputs(stimulus)
        smooth = model(stimulus).numpy()
    np.testing.assert_allclose(exact, reference, rtol=0, atol=1e-6)
    grey_levels = (inputs - prepared).abs().max().item() * 255 * lite.spec.std[0]
    assert grey_levels <= 1.0 + 1e-3  # PIL rounds to whole grey levels; the float resize does not
    spread = reference.max(axis=0) - reference.min(axis=0)
    assert (np.abs(smooth - reference).max(axis=0) <= RESIZE_TOLERANCE * spread).all()


def test_gradients_reach_the_image_only(lite, model):
    fused = registry.fused_model(lite)
    image = torch.full((2, 1, 144, 184), 0.5).requires_grad_(True)
    model(image)[:, 0].sum().backward()
    assert image.grad is not None and torch.isfinite(image.grad).all() and image.grad.abs().sum() > 0
    assert list(model.parameters()) == []
    for network in (lite.module, fused.module):
        assert all(p.grad is None and not p.requires_grad for p in network.parameters())
        # (the fused twin's folded batch norms are nn.Identity modules left in their default training flag: inert)
        assert not any(m.training for m in network.modules() if not isinstance(m, torch.nn.Identity))
        assert hook_count(network) == 0
    assert hook_count(model) == 0
    with pytest.raises(registry.ReadOnlyModelError):
        model.train()


def test_projection_gradient_is_the_transposed_matrix():
    projection = neuron_model.DifferentiableProjection(3000, 200, seed=4, device=torch.device("cpu"))
    dense = projection.sparse.dense()  # D × k
    x = torch.randn(3, 3000, requires_grad=True)
    weights = torch.randn(3, 200)
    (projection(x) * weights).sum().backward()
    torch.testing.assert_close(projection(x.detach()), x.detach() @ dense, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(x.grad, weights @ dense.T, rtol=1e-5, atol=1e-5)


def test_receptive_field_and_concurrent_gradients_match_serial(model):
    serial = {cell: neuron_model.receptive_field(model, cell) for cell in (0, 5)}
    assert serial[0].shape == (144, 184) and np.abs(serial[0]).max() > 0
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(cell: int) -> None:
        try:
            start.wait()
            results[cell] = neuron_model.receptive_field(model, cell)
        except BaseException as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)

    threads = [threading.Thread(target=work, args=(cell,)) for cell in (0, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for cell in (0, 5):
        np.testing.assert_allclose(results[cell], serial[cell], rtol=1e-6, atol=1e-9 * np.abs(serial[cell]).max())
    assert not np.allclose(serial[0], serial[5])


def test_concurrent_meis_of_two_cells_match_serial_ones_and_leave_the_network_alone(lite, model):
    settings = mei.MeiSettings(steps=4, seed=3)
    columns = [model.readouts.column(cell) for cell in (0, 5)]
    serial = {c: mei.most_exciting(model, [c], settings) for c in columns}
    results: dict[int, mei.MeiResult] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(column: int) -> None:
        try:
            start.wait()
            results[column] = mei.most_exciting(model, [column], settings)
        except BaseException as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)

    threads = [threading.Thread(target=work, args=(c,)) for c in columns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for c in columns:
        np.testing.assert_allclose(results[c].images, serial[c].images, atol=1e-5)
        np.testing.assert_allclose(results[c].responses, serial[c].responses, rtol=1e-5, atol=1e-7)
    assert not np.allclose(serial[columns[0]].images, serial[columns[1]].images)
    for network in (lite.module, registry.fused_model(lite).module):
        assert all(p.grad is None and not p.requires_grad for p in network.parameters())
        assert hook_count(network) == 0


def test_constant_readouts_unknown_cells_and_layers_are_refused(bundle, model):
    with pytest.raises(neuron_model.ReadoutError, match="constant"):
        neuron_model.receptive_field(model, CONSTANT_CELL)
    assert model.readouts.column(CONSTANT_CELL, allow_constant=True) == CELLS.index(CONSTANT_CELL)
    with pytest.raises(neuron_model.ReadoutError, match="not among the cells"):
        model.readouts.column(2)
    with pytest.raises(neuron_model.ReadoutError, match="no layer called 'blocks.99'"):
        neuron_model.fit_readouts(bundle, registry.DEFAULT_MODEL, "pretrained", "blocks.99", [0])
    with pytest.raises(ValueError, match="numbered 0 to"):
        neuron_model.fit_readouts(bundle, registry.DEFAULT_MODEL, "pretrained", LAYER, [bundle.n_cells])


def test_a_second_fit_reads_the_features_from_the_cache(bundle, readouts, monkeypatch):
    monkeypatch.setattr(neuron_model.capture, "capture", lambda *a, **k: pytest.fail("the network ran again"))
    again = neuron_model.fit_readouts(bundle, registry.DEFAULT_MODEL, "pretrained", LAYER, CELLS, device="cpu")
    np.testing.assert_array_equal(again.w, readouts.w)
    np.testing.assert_array_equal(again.bias, readouts.bias)


def test_an_uploaded_bundle_without_a_blank_on_a_grayscale_network():
    rng = np.random.default_rng(0)
    contrast = rng.uniform(0.1, 1.0, (30, 1, 1))  # larger than the 28-px input: a downsampling
    stimuli = (128 + contrast * rng.uniform(-127, 127, (30, 60, 80))).astype(np.uint8)
    drive = stimuli[:, 15:45, 20:60].astype(np.float64).std(axis=(1, 2)) / 255
    responses = np.stack([(i + 1) * drive + 0.001 * rng.standard_normal(30) for i in range(3)]).astype(np.float32)
    cells = pd.DataFrame({"cell_specimen_id": [101, 102, 103], "cortical_area": "VISp", "cortical_layer": "2/3",
                          "imaging_depth": 175, "cre_line": "Cux2-CreERT2", "reliability": 0.5})
    bundle = NeuralBundle("a small upload", "test", False, stimuli, responses, cells)
    readouts = neuron_model.fit_readouts(bundle, "digit_cnn", "pretrained", "relu2", [0, 1, 2], device="cpu")
    assert readouts.n_components < readouts.n_features and readouts.stimulus_shape == (60, 80)
    assert not readouts.constant.any()
    model = neuron_model.NeuronModel.from_readouts(readouts, device="cpu")
    gram, fit = _full_fit_of(bundle, "digit_cnn", "relu2", [0, 1, 2])
    n = bundle.n_conditions
    expected = brain_score.predict_from_gram(gram, torch.arange(n), torch.arange(n), fit).numpy()
    predicted = model.predict_stimuli(stimuli)
    assert np.abs(predicted - expected).max() < 1e-5
    with torch.inference_mode():
        smooth = model(torch.from_numpy(stimuli[:, None] / 255.0)).numpy()
    spread = expected.max(axis=0) - expected.min(axis=0)
    assert (np.abs(smooth - predicted).max(axis=0) <= RESIZE_TOLERANCE * spread).all()
    field = neuron_model.receptive_field(model, 2)
    assert field.shape == (60, 80) and np.isfinite(field).all()
