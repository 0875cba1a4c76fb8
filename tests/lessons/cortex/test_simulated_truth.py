"""The simulated cortex's ground truth: it reproduces the simulation's rates, its noise averages to them, its
receptive fields are the cells' real filters, and the shipped copy equals a fresh build."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lessons.cortex import simulated as sc

#: Computed from float32 FFTs: equal up to the last bits on another machine.
_FROM_FFTS = ("drive_mean", "drive_sd", "top")


@pytest.fixture(scope="module")
def sim() -> sc.SimulatedCortex:
    return sc.simulate()


@pytest.fixture(scope="module")
def sample(sim) -> np.ndarray:
    """Up to four cells of every area and kind (VISpm and VISam have complex cells only)."""
    truth, rng = sim.truth, np.random.default_rng(0)
    chosen = []
    for area in sc.AREA_MODELS:
        for simple in (False, True):
            members = np.flatnonzero((truth.area == area) & (truth.is_simple() == simple))
            chosen += list(rng.choice(members, size=min(4, len(members)), replace=False))
    return np.sort(np.array(chosen))


def test_the_truth_describes_the_bundles_cells(sim):
    truth, cells = sim.truth, sim.bundle.cells
    assert truth.n_cells == sc.N_CELLS and truth.seed == sc.SEED and truth.n_trials == sc.N_TRIALS
    assert truth.image_shape == sc.IMAGE_SHAPE and truth.work_shape == (72, 92)
    np.testing.assert_array_equal(truth.cell_specimen_id, cells["cell_specimen_id"])
    np.testing.assert_array_equal(truth.area, cells["cortical_area"])
    np.testing.assert_array_equal(truth.wavelength * sc.WORK_SHRINK, cells["sim_wavelength_px"])
    np.testing.assert_array_equal(truth.pool_sigma * sc.WORK_SHRINK, cells["sim_pool_px"])
    np.testing.assert_array_equal(np.where(truth.is_simple(), "simple", "complex"), cells["sim_subunit"])
    np.testing.assert_array_equal((truth.orientations >= 0).sum(axis=1), cells["sim_orientations"])
    np.testing.assert_array_equal(truth.exponent, cells["sim_exponent"])
    np.testing.assert_allclose(truth.snr, cells["sim_snr"], atol=5e-4)
    np.testing.assert_allclose(truth.weights.sum(axis=1), 1.0)
    assert set(np.unique(truth.kind)) == {0, 1, 2, 3, 4}
    np.testing.assert_allclose(truth.drive_mean, sim.drive.mean(axis=1))
    np.testing.assert_allclose(truth.peak, sim.rate.max(axis=1))  # the best condition reaches the peak
    one = truth.cell(5)
    assert one.area == "VISp" and one.kind in ("simple", "complex") and len(one.weights) == len(one.orientations)
    assert (one.phase is None) == (one.kind == "complex") and 0 <= one.centre[0] < 72 and 0 <= one.centre[1] < 92
    assert one.centre_stimulus == (2 * one.centre[0] + 0.5, 2 * one.centre[1] + 0.5)
    with pytest.raises(IndexError):
        truth.cell(sc.N_CELLS)


def test_true_rates_reproduce_the_simulation_for_every_area_and_kind(sim, sample):
    truth, bundle = sim.truth, sim.bundle
    assert len(set(truth.area[sample])) == 6 and set(truth.is_simple(sample)) == {False, True}
    rates = sc.true_rates(truth, sample, bundle.stimuli)
    assert rates.shape == (len(sc.make_stimuli()), len(sample))
    np.testing.assert_allclose(rates, sim.rate[sample, :sc.N_IMAGES].T, rtol=0, atol=1e-6)
    np.testing.assert_allclose(sc.true_drive(truth, sample, bundle.stimuli), sim.drive[sample, :sc.N_IMAGES].T,
                               rtol=1e-5, atol=1e-6)
    grey = sc.true_rates(truth, sample, np.full((1, *sc.IMAGE_SHAPE), 127.5))  # the blank condition
    np.testing.assert_allclose(grey[0], sim.rate[sample, bundle.blank_condition], atol=1e-9)
    one = sc.true_rates(truth, int(sample[0]), bundle.stimuli[3])  # one cell, one image
    assert one.shape == (1, 1) and one[0, 0] == pytest.approx(rates[3, 0])
    with pytest.raises(ValueError):
        sc.true_rates(truth, sample, np.zeros((2, 72, 92), dtype=np.uint8))  # not stimulus-sized
    with pytest.raises(IndexError):
        sc.true_rates(truth, [sc.N_CELLS], bundle.stimuli[:1])


DRAWS = 40  # repeated 50-trial means: enough for the spread of a mean to within about 2 %


def test_measured_responses_average_to_the_rate_with_the_cells_own_noise(sim, sample):
    truth, stimuli = sim.truth, sim.bundle.stimuli[:6]
    rates = sc.true_rates(truth, sample, stimuli)
    sd = sc.trial_sd(truth, sample, rates)
    np.testing.assert_allclose(sd, truth.peak[sample] / truth.snr[sample] * np.sqrt(1 + rates / truth.peak[sample]))
    assert truth.cell(int(sample[0])).trial_sd(rates[0, 0]) == pytest.approx(sd[0, 0])
    many = sc.measured_responses(truth, sample, stimuli, trials=1_000_000, seed=1)
    assert np.abs(many - rates).max() < 5 * (sd / 1000).max()
    draws = np.stack([sc.measured_responses(truth, sample, stimuli, trials=50, seed=s) for s in range(DRAWS)])
    np.testing.assert_allclose(draws.mean(axis=0), rates, atol=float(5 * (sd / math.sqrt(50 * DRAWS)).max()))
    ratio = draws.std(axis=0) / (sd / math.sqrt(50))  # the spread of a 50-trial mean
    assert 0.9 < np.median(ratio) < 1.1
    again = sc.measured_responses(truth, sample, stimuli, seed=7)
    np.testing.assert_array_equal(again, sc.measured_responses(truth, sample, stimuli, seed=7))
    assert not np.array_equal(again, sc.measured_responses(truth, sample, stimuli, seed=8))
    # the bundle's trial means were drawn the same way: same sd around the rate
    cells = sample[truth.is_simple(sample) | (truth.area[sample] == "VISp")]
    residual = sim.bundle.responses[cells, :sc.N_IMAGES].T - sim.rate[cells, :sc.N_IMAGES].T
    expected = sc.trial_sd(truth, cells, sim.rate[cells, :sc.N_IMAGES].T) / math.sqrt(sc.N_TRIALS)
    assert 0.85 < np.sqrt(np.mean((residual / expected) ** 2)) < 1.15


def test_a_simple_cells_filter_is_its_pooled_linear_response(sim):
    truth = sim.truth
    cells = np.flatnonzero(truth.is_simple() & (truth.area == "VISp"))[:4]
    images = np.random.default_rng(2).integers(0, 256, size=(3, *sc.IMAGE_SHAPE)).astype(np.uint8)
    work = sc._work_images(images, None)
    for cell in cells:
        field = sc.simple_cell_filter(truth, cell)
        assert field.shape == sc.IMAGE_SHAPE
        np.testing.assert_array_equal(field, sc.true_receptive_field(truth, cell))
        even, odd = sc._filter_tensor(torch.from_numpy(work), float(truth.wavelength[cell]))  # as the cells see
        phase = sc.PHASES[truth.kind[cell] - 1]
        used = truth.orientations[cell] >= 0
        linear = (math.cos(phase) * even + math.sin(phase) * odd)[:, truth.orientations[cell][used]].numpy()
        pooled = (linear * sc._pool_map(truth, cell)).sum(axis=(2, 3)) @ truth.weights[cell][used]
        np.testing.assert_allclose((field * (images / 255 - 0.5)).sum(axis=(1, 2)), pooled, atol=1e-12)
    complex_cell = int(np.flatnonzero(~truth.is_simple())[0])
    with pytest.raises(ValueError):
        sc.simple_cell_filter(truth, complex_cell)
    np.testing.assert_array_equal(sc.true_receptive_field(truth, complex_cell),
                                  sc.receptive_field_footprint(truth, complex_cell))


def test_the_footprint_is_where_the_cell_looks(sim):
    truth = sim.truth
    for cell in (int(np.flatnonzero(truth.area == area)[0]) for area in sc.AREA_MODELS):
        footprint = sc.receptive_field_footprint(truth, cell)
        assert footprint.shape == sc.IMAGE_SHAPE and footprint.min() >= 0 and footprint.max() == pytest.approx(1)
        cy, cx = truth.cell(cell).centre_stimulus
        wy, wx = np.mgrid[0:sc.IMAGE_SHAPE[0], 0:sc.IMAGE_SHAPE[1]]
        weight = footprint / footprint.sum()
        spread = 2 * math.hypot(truth.pool_sigma[cell], 0.5 * truth.wavelength[cell])  # stimulus pixels
        assert math.hypot((weight * wy).sum() - cy, (weight * wx).sum() - cx) < spread  # borders cut the footprint
        small = sc.receptive_field_footprint(truth, cell, shape=(72, 92))
        assert small.shape == (72, 92) and small.min() >= 0 and small.max() == pytest.approx(1, abs=0.05)
    simple = np.flatnonzero(truth.is_simple() & (truth.area == "VISp"))[:20]
    overlap = [np.corrcoef(np.abs(sc.simple_cell_filter(truth, c)).ravel(),
                           sc.receptive_field_footprint(truth, c).ravel())[0, 1] for c in simple]
    assert np.median(overlap) > 0.7  # |filter| sits under the footprint


def test_showing_a_simple_cell_its_own_filter_drives_it_beyond_its_best_natural_image(sim):
    truth = sim.truth
    cells = np.flatnonzero(truth.is_simple() & (truth.area == "VISp"))[:30]
    own = np.stack([sc.preferred_image(truth, c) for c in cells])
    assert own.dtype == np.uint8 and own.shape == (len(cells), *sc.IMAGE_SHAPE)
    rates = sc.true_rates(truth, cells, own)[np.arange(len(cells)), np.arange(len(cells))]
    best_natural = sim.rate[cells, :sc.N_IMAGES].max(axis=1)
    assert np.median(rates / best_natural) > 1.5 and (rates > best_natural).mean() > 0.8
    flipped = sc.true_rates(truth, cells, 255 - own)[np.arange(len(cells)), np.arange(len(cells))]
    assert (rates > flipped).mean() > 0.9  # the sign of the filter matters to a simple cell
    grey = sc.preferred_image(truth, int(cells[0]), contrast=0.0)
    assert (grey == 128).all() and sc.true_rates(truth, int(cells[0]), grey)[0, 0] == 0.0
    complex_cells = np.flatnonzero(~truth.is_simple() & (truth.area == "VISp"))[:20]
    gratings = np.stack([sc.preferred_image(truth, c) for c in complex_cells])
    driven = sc.true_rates(truth, complex_cells, gratings)[np.arange(20), np.arange(20)]
    assert np.median(driven / sim.rate[complex_cells, :sc.N_IMAGES].max(axis=1)) > 1.2


def test_the_shipped_truth_equals_a_fresh_build(sim, tmp_path, monkeypatch):
    monkeypatch.setenv("ZERO_TO_BRAINS_CACHE", str(tmp_path))
    path = sc.truth_shipped_path()
    assert path.is_file() and path.stat().st_size < 1_000_000
    seen = []
    shipped = sc.ground_truth(progress=lambda f, m: seen.append((f, m)))
    assert seen == [(1.0, "Simulated cortex: ground truth read from the copy shipped with the app")]
    assert not sc.truth_cache_path().exists()  # nothing was built
    fresh = sim.truth
    assert (shipped.seed, shipped.n_trials, shipped.image_shape, shipped.work_shape) == (
        fresh.seed, fresh.n_trials, fresh.image_shape, fresh.work_shape)
    for name in sc._TRUTH_ARRAYS:
        if name in _FROM_FFTS:
            np.testing.assert_allclose(getattr(shipped, name), getattr(fresh, name), rtol=1e-5, err_msg=name)
        else:  # the random draws themselves: exact
            np.testing.assert_array_equal(getattr(shipped, name), getattr(fresh, name), err_msg=name)
    assert not shipped.weights.flags.writeable


def test_a_missing_truth_is_built_once_and_cached(sim, tmp_path, monkeypatch):
    monkeypatch.setenv("ZERO_TO_BRAINS_CACHE", str(tmp_path))
    monkeypatch.setattr(sc, "truth_shipped_path", lambda seed=0, n_cells=0: tmp_path / "absent.npz")
    builds = []
    monkeypatch.setattr(sc, "simulate", lambda seed, n_cells, progress=None: builds.append(seed) or sim)
    seen = []
    built = sc.ground_truth(progress=lambda f, m: seen.append((f, m)))
    assert builds == [sc.SEED] and sc.truth_cache_path().is_file() and seen[-1] == (1.0, "Simulated cortex: ready")
    assert not sc.cache_path().exists()  # the bundle ships: not cached again
    again = []
    cached = sc.ground_truth(progress=lambda f, m: again.append((f, m)))
    assert builds == [sc.SEED] and again == [(1.0, "Simulated cortex: ground truth read from the cache")]
    for name in sc._TRUTH_ARRAYS:
        np.testing.assert_array_equal(getattr(cached, name), getattr(built, name), err_msg=name)
    sc.truth_cache_path().write_bytes(b"not a truth file")  # unreadable: built again
    sc.ground_truth()
    assert builds == [sc.SEED, sc.SEED]
