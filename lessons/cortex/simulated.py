"""A simulated mouse visual cortex: the offline stand-in for the Allen Brain Observatory's natural-scenes data.

Built without any neural network, from classical models of visual neurons, so which CNN layer predicts it best is a
genuine result rather than a foregone conclusion:

* **Stimuli.** 118 grayscale crops of the photos shipped with the app, at the Allen stimulus aspect ratio
  (918 × 1174, height × width) and a modest resolution, plus a blank grey screen: 119 conditions.
* **Subunits.** Gabor filters (8 orientations, even and odd phase). A *simple* subunit is one phase, half-wave
  rectified; a *complex* subunit is the energy of the quadrature pair (phase-invariant).
* **Areas.** From VISp through VISl, VISal/VISrl to VISpm/VISam the preferred spatial wavelength grows, receptive
  fields pool subunits over larger regions, more orientations are mixed, complex (invariant) subunits dominate and
  the output nonlinearity becomes steeper. Layers add small effects: layer 4 has more simple cells, layer 5 pools
  more widely, layer 6 is noisier.
* **A cell** is a weighted sum of subunits of its area (its *generating features*), passed through a threshold and
  a power law, scaled to a dF/F-like peak.
* **Trials.** 50 per condition, with Gaussian noise whose variance grows with the response (Poisson-like) and a
  per-cell signal-to-noise ratio drawn from a broad distribution, giving a realistic spread of split-half
  reliabilities. Even- and odd-trial means are kept for the noise ceiling.

Deterministic from a seed; built once (10–40 s on a laptop CPU, reported stage by stage through a `Progress`
callback) and cached as a neural bundle in the app's cache folder ($ZERO_TO_BRAINS_CACHE, else
~/.cache/zero-to-brains), from which it is read in well under a second. Every piece of it is labelled "simulated".
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from lessons.core import cache, data
from lessons.core.progress import Progress, silent, sub_range
from lessons.cortex import brain_score
from lessons.cortex import data as neural_data

SEED = 0
N_CELLS = 3000
N_IMAGES = 118
N_TRIALS = 50
IMAGE_SHAPE = (144, 184)  # height × width: the Allen stimulus aspect ratio, 918 : 1174
WORK_SHRINK = 2  # the neurons see the stimuli at half resolution (72 × 92)
N_ORIENTATIONS = 8
PHASES = (0.0, 0.5 * math.pi, math.pi, 1.5 * math.pi)
_CACHE_VERSION = 1
NAME = "Simulated mouse visual cortex"
STAGE = "Simulated cortex: "  # every progress message of the build starts with this


@dataclass(frozen=True)
class AreaModel:
    """How the cells of one visual area are built (lengths in pixels of the half-resolution stimulus)."""

    wavelengths: tuple[float, ...]  # preferred spatial wavelengths
    pool_sigma: float  # Gaussian pooling of subunits around the receptive-field centre (0: one position)
    grid_step: float  # spacing of receptive-field centres
    complex_share: float  # probability that a cell pools phase-invariant (energy) subunits
    orientations: tuple[int, int]  # how many orientations a cell mixes (min, max)
    exponent: tuple[float, float]  # output power-law exponent range
    share: float  # fraction of all cells


AREA_MODELS: dict[str, AreaModel] = {
    "VISp": AreaModel((5.0, 7.0), 1.5, 4.0, 0.6, (1, 2), (1.0, 1.2), 0.30),
    "VISl": AreaModel((7.0, 9.0), 3.0, 6.0, 0.75, (1, 2), (1.2, 1.6), 0.20),
    "VISal": AreaModel((9.0, 12.0), 6.0, 8.0, 0.9, (2, 3), (1.5, 2.0), 0.13),
    "VISrl": AreaModel((9.0, 12.0), 6.0, 8.0, 0.9, (2, 3), (1.5, 2.0), 0.10),
    "VISpm": AreaModel((12.0, 18.0), 10.0, 12.0, 1.0, (2, 4), (1.8, 2.4), 0.15),
    "VISam": AreaModel((12.0, 18.0), 13.0, 14.0, 1.0, (3, 4), (1.8, 2.4), 0.12),
}
LAYER_SHARE = {"2/3": 0.35, "4": 0.25, "5": 0.25, "6": 0.15}
LAYER_DEPTH = {"2/3": (150, 250), "4": (250, 350), "5": (350, 500), "6": (500, 650)}
LAYER_CRE = {
    "2/3": ("Cux2-CreERT2", "Emx1-IRES-Cre", "Slc17a7-IRES2-Cre"),
    "4": ("Rorb-IRES2-Cre", "Scnn1a-Tg3-Cre", "Nr5a1-Cre"),
    "5": ("Rbp4-Cre_KL100", "Tlx3-Cre_PL56", "Fezf2-CreER"),
    "6": ("Ntsr1-Cre_GN220",),
}


@dataclass(frozen=True)
class SimulatedCortex:
    """The bundle plus the simulation's ground truth: each area's generating features and each cell's drive."""

    bundle: neural_data.NeuralBundle
    basis: dict[str, np.ndarray]  # area → (conditions × features) subunit outputs the area's cells are built from
    columns: list[np.ndarray]  # per cell: the columns of its area's basis that its drive sums
    drive: np.ndarray  # (cells × conditions) each cell's linear drive before its nonlinearity
    rate: np.ndarray  # (cells × conditions) noise-free mean response

    def generating_features(self, cell: int) -> np.ndarray:
        """The subunit outputs (conditions × m) whose weighted sum is this cell's drive."""
        area = self.bundle.cells.at[cell, "cortical_area"]
        return self.basis[area][:, self.columns[cell]]


# ------------------------------------------------------------------------------------------------------- stimuli
def _photos_gray() -> list[np.ndarray]:
    out = []
    for key in data.photo_keys():
        rgb = data.load_photo(key)
        out.append(np.asarray(Image.fromarray(rgb).convert("L")))
    return out


def make_stimuli(seed: int = SEED, n_images: int = N_IMAGES, shape: tuple[int, int] = IMAGE_SHAPE) -> np.ndarray:
    """n grayscale uint8 crops (n × H × W) of the shipped photos at the Allen aspect ratio, varied scale and place."""
    rng = np.random.default_rng(seed)
    photos = _photos_gray()
    height, width = shape
    aspect = width / height
    images = np.empty((n_images, height, width), dtype=np.uint8)
    order = np.concatenate([rng.permutation(len(photos)) for _ in range(n_images // len(photos) + 1)])
    for i in range(n_images):
        photo = photos[order[i]]
        ph, pw = photo.shape
        full_h = min(ph, pw / aspect)
        crop_h = full_h * rng.uniform(0.35, 1.0)
        crop_w = crop_h * aspect
        top = rng.uniform(0, ph - crop_h)
        left = rng.uniform(0, pw - crop_w)
        box = (left, top, left + crop_w, top + crop_h)
        crop = Image.fromarray(photo).resize((width, height), Image.Resampling.BILINEAR, box=box, reducing_gap=2.0)
        array = np.asarray(crop)
        images[i] = array[:, ::-1] if rng.random() < 0.5 else array
    return images


# ------------------------------------------------------------------------------------------------------ subunits
def _gabor_pair(wavelength: float, theta: float) -> tuple[np.ndarray, np.ndarray]:
    sigma = 0.5 * wavelength
    half = math.ceil(3 * sigma)
    yy, xx = np.mgrid[-half:half + 1, -half:half + 1].astype(np.float64)
    along = xx * math.cos(theta) + yy * math.sin(theta)
    envelope = np.exp(-(xx**2 + yy**2) / (2 * sigma**2))
    even = envelope * np.cos(2 * math.pi * along / wavelength)
    odd = envelope * np.sin(2 * math.pi * along / wavelength)
    even -= even.mean()  # no response to uniform light
    norm = math.sqrt((even**2).sum())
    return even / norm, odd / math.sqrt((odd**2).sum())


def _fft_size(n: int) -> int:
    """Smallest 2^a·3^b·5^c ≥ n (fast FFT lengths)."""
    while True:
        m = n
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


def _filter_maps(images: np.ndarray, wavelength: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Even and odd Gabor responses (conditions × orientations × H × W) by FFT convolution ('same' size)."""
    _, h, w = images.shape
    kernels = [_gabor_pair(wavelength, math.pi * k / N_ORIENTATIONS) for k in range(N_ORIENTATIONS)]
    size = kernels[0][0].shape[0]
    ph, pw = _fft_size(h + size - 1), _fft_size(w + size - 1)
    x = torch.from_numpy(images).to(torch.float32)
    fx = torch.fft.rfft2(x, s=(ph, pw))
    bank = torch.from_numpy(np.stack([np.stack(pair) for pair in kernels])).to(torch.float32)  # (O, 2, k, k)
    fk = torch.fft.rfft2(bank, s=(ph, pw))
    out = torch.fft.irfft2(fx[:, None, None] * fk[None], s=(ph, pw))
    off = size // 2
    out = out[..., off:off + h, off:off + w]
    return out[:, :, 0].contiguous(), out[:, :, 1].contiguous()


def _grid(extent: int, step: float) -> np.ndarray:
    count = max(1, int(extent // step))
    margin = (extent - (count - 1) * step) / 2
    return margin + step * np.arange(count)


def _pool_matrix(h: int, w: int, step: float, sigma: float) -> tuple[np.ndarray, int]:
    """(H·W × centres) weights: a Gaussian of `sigma` around each grid centre (a single pixel when sigma is 0)."""
    ys, xs = _grid(h, step), _grid(w, step)
    cy, cx = np.meshgrid(ys, xs, indexing="ij")
    cy, cx = cy.ravel(), cx.ravel()
    if sigma <= 0:
        weights = np.zeros((h * w, len(cy)))
        weights[np.round(cy).astype(int).clip(0, h - 1) * w + np.round(cx).astype(int).clip(0, w - 1),
                np.arange(len(cy))] = 1.0
        return weights, len(cy)
    py, px = np.mgrid[0:h, 0:w]
    d2 = (py.ravel()[:, None] - cy[None]) ** 2 + (px.ravel()[:, None] - cx[None]) ** 2
    weights = np.exp(-d2 / (2 * sigma**2))
    return weights / weights.sum(axis=0, keepdims=True), len(cy)


def _subunit_maps(images: np.ndarray, wavelength: float, simple: bool) -> torch.Tensor:
    """Subunit maps (conditions × types × orientations × H × W): type 0 is complex (quadrature energy), types 1–4
    are simple (one phase of PHASES, half-wave rectified); only the complex type when `simple` is False."""
    even, odd = _filter_maps(images, wavelength)
    maps = [torch.sqrt(even**2 + odd**2)]
    if simple:
        maps += [torch.relu(math.cos(p) * even + math.sin(p) * odd) for p in PHASES]
    return torch.stack(maps, dim=1)


def _area_basis(maps: dict[float, torch.Tensor], area: AreaModel, pool_scale: float = 1.0
                ) -> tuple[np.ndarray, tuple[int, ...]]:
    """Subunit outputs pooled at the area's grid: (conditions × [λ, type, orientation, centre]) and that shape."""
    types = slice(None) if area.complex_share < 1.0 else slice(0, 1)
    first = maps[area.wavelengths[0]][:, types]
    n, n_types, n_ori, h, w = first.shape
    pool, n_centres = _pool_matrix(h, w, area.grid_step, area.pool_sigma * pool_scale)
    if area.pool_sigma * pool_scale > 0:
        pool_t = torch.from_numpy(pool).to(torch.float32)
        blocks = [(maps[lam][:, types].reshape(-1, h * w) @ pool_t).reshape(n, n_types, n_ori, n_centres)
                  for lam in area.wavelengths]
    else:  # one position per centre: pick the pixels instead of multiplying by a one-hot matrix
        pixels = torch.from_numpy(pool.argmax(axis=0))
        blocks = [maps[lam][:, types].reshape(n, n_types, n_ori, h * w)[..., pixels] for lam in area.wavelengths]
    basis = torch.stack(blocks, dim=1)  # (n, λ, types, O, centres)
    return basis.reshape(n, -1).to(torch.float64).numpy(), tuple(basis.shape[1:])


def _work_images(stimuli: np.ndarray, blank_condition: int | None) -> np.ndarray:
    """Conditions × h × w float images, centred on mid-grey and shrunk for the simulated neurons."""
    n, h, w = stimuli.shape
    x = stimuli.astype(np.float64) / 255.0 - 0.5
    x = x[:, : h - h % WORK_SHRINK, : w - w % WORK_SHRINK]
    x = x.reshape(n, h // WORK_SHRINK, WORK_SHRINK, w // WORK_SHRINK, WORK_SHRINK).mean(axis=(2, 4))
    if blank_condition is None:
        return x
    return np.insert(x, blank_condition, np.zeros_like(x[0]), axis=0)


# ---------------------------------------------------------------------------------------------------------- cells
def _cell_table(rng: np.random.Generator, n_cells: int) -> pd.DataFrame:
    areas = list(AREA_MODELS)
    share = np.array([AREA_MODELS[a].share for a in areas])
    counts = np.floor(share / share.sum() * n_cells).astype(int)
    counts[np.argsort(-share)[: n_cells - counts.sum()]] += 1
    area_col = np.repeat(areas, counts)
    layers = list(LAYER_SHARE)
    layer_col = rng.choice(layers, size=n_cells, p=np.array(list(LAYER_SHARE.values())))
    depth = np.array([5 * round(rng.uniform(*LAYER_DEPTH[layer]) / 5) for layer in layer_col])
    cre = np.array([LAYER_CRE[layer][int(rng.integers(len(LAYER_CRE[layer])))] for layer in layer_col])
    return pd.DataFrame({
        "cell_specimen_id": 700_000_000 + np.arange(n_cells),
        "cortical_area": area_col,
        "cortical_layer": layer_col,
        "imaging_depth": depth,
        "cre_line": cre,
    })


def simulate(seed: int = SEED, n_cells: int = N_CELLS, n_trials: int = N_TRIALS,
             progress: Progress | None = None) -> SimulatedCortex:
    """Build the simulated cortex (stimuli, cells, responses, halves) and its ground truth, deterministically,
    reporting each stage (the stimuli, each area's subunits and cells, the trials) to `progress`."""
    if n_cells < len(AREA_MODELS):
        raise ValueError(f"need at least {len(AREA_MODELS)} cells (one per area)")
    report = progress or silent
    report(0.0, f"{STAGE}cutting {N_IMAGES} stimuli from the shipped photos")
    rng = np.random.default_rng(seed)
    stimuli = make_stimuli(seed)
    blank = N_IMAGES  # the blank is the last condition
    work = _work_images(stimuli, blank)
    cells = _cell_table(rng, n_cells)
    n_cond = work.shape[0]
    drive = np.zeros((n_cells, n_cond))
    rows: dict[str, list] = {k: [] for k in ("sim_subunit", "sim_wavelength_px", "sim_pool_px", "sim_orientations",
                                             "sim_exponent", "sim_snr")}
    bases: dict[str, np.ndarray] = {}
    maps: dict[float, torch.Tensor] = {}
    columns: list[np.ndarray] = []
    areas = sub_range(report, 0.05, 0.9)
    for number, (area_name, area) in enumerate(AREA_MODELS.items()):
        members = np.flatnonzero(cells["cortical_area"].to_numpy() == area_name)
        areas(number / len(AREA_MODELS), f"{STAGE}Gabor subunits and {len(members):,} cells of {area_name} "
                                         f"(area {number + 1} of {len(AREA_MODELS)})")
        simple = area.complex_share < 1.0
        for lam in area.wavelengths:
            if lam not in maps or (simple and maps[lam].shape[1] == 1):
                maps[lam] = _subunit_maps(work, lam, simple)
        basis, shape = _area_basis(maps, area)
        wide = area.pool_sigma > 0  # layer-5 cells pool 1.5× more widely: a second block of the basis
        bases[area_name] = np.hstack([basis, _area_basis(maps, area, pool_scale=1.5)[0]]) if wide else basis
        n_lambda, n_types, n_ori, n_centres = shape
        for cell in members:
            layer = cells.at[cell, "cortical_layer"]
            complex_share = area.complex_share * (0.6 if layer == "4" else 1.0)
            offset = basis.shape[1] if layer == "5" and wide else 0
            lam = int(rng.integers(n_lambda))
            kind = 0 if n_types == 1 or rng.random() < complex_share else int(rng.integers(1, n_types))
            n_mix = int(rng.integers(area.orientations[0], area.orientations[1] + 1))
            oris = rng.choice(n_ori, size=n_mix, replace=False)
            weights = rng.dirichlet(np.full(n_mix, 2.0))
            centre = int(rng.integers(n_centres))
            cols = np.array([offset + ((lam * n_types + kind) * n_ori + o) * n_centres + centre for o in oris])
            columns.append(cols)
            drive[cell] = bases[area_name][:, cols] @ weights
            rows["sim_subunit"].append("complex" if kind == 0 else "simple")
            rows["sim_wavelength_px"].append(area.wavelengths[lam] * WORK_SHRINK)
            rows["sim_pool_px"].append(area.pool_sigma * WORK_SHRINK * (1.5 if offset else 1.0))
            rows["sim_orientations"].append(n_mix)
            rows["sim_exponent"].append(round(float(rng.uniform(*area.exponent)), 2))
            rows["sim_snr"].append(float(rng.lognormal(math.log(1.2), 0.9) * (0.4 if layer == "6" else 1.0)))
    for key, values in rows.items():  # cells are grouped by area, in AREA_MODELS order
        cells[key] = values
    cells["sim_orientations"] = cells["sim_orientations"].astype(int)

    report(0.9, f"{STAGE}thresholds, {n_trials} noisy trials per image and split-half reliabilities")
    # output nonlinearity: threshold in units of the drive's spread over conditions, then a power law
    spread = drive.std(axis=1, keepdims=True)
    z = (drive - drive.mean(axis=1, keepdims=True)) / np.where(spread > 0, spread, 1.0)
    threshold = rng.uniform(-0.2, 1.0, size=(n_cells, 1))
    exponent = cells["sim_exponent"].to_numpy()[:, None]
    shaped = np.maximum(z - threshold, 0.0) ** exponent
    peak = rng.lognormal(math.log(0.12), 0.5, size=(n_cells, 1))
    top = shaped.max(axis=1, keepdims=True)
    rate = shaped / np.where(top > 0, top, 1.0) * peak

    # trials: noise variance grows with the response; sd per trial set by each cell's SNR
    snr = cells["sim_snr"].to_numpy()[:, None]
    sd_trial = peak / snr * np.sqrt(1.0 + rate / peak)
    half = n_trials // 2
    even = rate + rng.normal(size=rate.shape) * sd_trial / math.sqrt(half)
    odd = rate + rng.normal(size=rate.shape) * sd_trial / math.sqrt(n_trials - half)
    responses = (even * half + odd * (n_trials - half)) / n_trials
    cells.insert(5, "reliability", brain_score.split_half_reliability(even[:, :N_IMAGES], odd[:, :N_IMAGES]))
    cells["sim_snr"] = cells["sim_snr"].round(3)
    cells["reliability"] = cells["reliability"].round(4)
    bundle = neural_data.NeuralBundle(
        name=NAME, source=f"simulated in this app from classical models (seed {seed})", simulated=True,
        stimuli=stimuli, responses=responses.astype(np.float32), cells=cells, blank_condition=blank,
        even=even.astype(np.float32), odd=odd.astype(np.float32),
        citation="Simulated data; the layout follows the Allen Brain Observatory Visual Coding natural-scenes set.",
        license="Stimuli: crops of the app's public-domain / CC0 / CC BY photos (see the photo credits).",
        meta={"n_trials": n_trials, "seed": seed,
              "notes": "Simulated: Gabor simple/complex subunits, area-dependent pooling and nonlinearity."})
    report(1.0, f"{STAGE}built")
    return SimulatedCortex(bundle, bases, columns, drive, rate)


# ------------------------------------------------------------------------------------------------------- caching
def cache_path(seed: int = SEED, n_cells: int = N_CELLS) -> Path:
    """Folder of the cached bundle for these settings."""
    return cache.cache_dir() / f"simulated_cortex_v{_CACHE_VERSION}_seed{seed}_cells{n_cells}"


def is_stored(seed: int = SEED, n_cells: int = N_CELLS) -> bool:
    """Whether the bundle for these settings is in the cache (then `load_or_build` only reads it)."""
    return cache_path(seed, n_cells).is_dir()


def load_or_build(seed: int = SEED, n_cells: int = N_CELLS,
                  progress: Progress | None = None) -> neural_data.NeuralBundle:
    """The simulated bundle, read from the cache when present and valid, else built stage by stage (reported to
    `progress`) and cached when possible."""
    report = progress or silent
    path = cache_path(seed, n_cells)
    if path.is_dir():
        try:
            bundle = neural_data.load_bundle(path)
        except neural_data.BundleError:
            shutil.rmtree(path, ignore_errors=True)
        else:
            report(1.0, f"{STAGE}read from the cache")
            return bundle
    bundle = simulate(seed, n_cells, progress=sub_range(report, 0.0, 0.97)).bundle
    report(0.97, f"{STAGE}saving it to the cache, so that it is built only once")
    cache.save_folder_atomically(path, lambda folder: neural_data.save_bundle(bundle, folder))
    report(1.0, f"{STAGE}ready")
    return bundle
