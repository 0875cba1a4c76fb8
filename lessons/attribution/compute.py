"""Attribution: which input pixels made a network pick a class — saliency, SmoothGrad, Grad-CAM, integrated gradients
and occlusion, computed with Captum on any registry model without ever touching the shared cached model.

Captum's layer methods hook the module they are given. The shared model must never carry hooks, so every call builds
a small private `StagedNet`: it runs the model's named stages in order (the same stages the feature-maps lesson
lists) and sends the chosen stage's output through an `nn.Identity` that it owns. Captum hooks that Identity and
nothing else. Gradients with respect to the input need no parameter gradients, so the frozen weights stay frozen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn

from lessons.core import registry
from lessons.core.progress import Progress, sub_range
from lessons.core.registry import LoadedModel
from lessons.core.stages import Stage

Method = Literal["saliency", "gradcam", "integrated_gradients", "occlusion"]
Baseline = Literal["black", "grey", "blur"]
METHODS: tuple[Method, ...] = ("saliency", "gradcam", "integrated_gradients", "occlusion")
METHOD_TITLES: dict[str, str] = {"saliency": "Saliency (SmoothGrad)", "gradcam": "Grad-CAM",
                                 "integrated_gradients": "Integrated gradients", "occlusion": "Occlusion"}
BASELINES: tuple[Baseline, ...] = ("black", "grey", "blur")
#: Registry networks without feature maps: Grad-CAM needs a layer with spatial maps, so the lesson does not offer them.
#: Bytes for one internal batch of forward + backward passes. On a CPU four 224-px images per batch run fastest (two
#: are ~10 % slower, ten ~30 % slower and hold 2.5× the memory), so the budget stays small and the server's peak with
#: it; a GPU gets a larger one, where batching is what makes it fast.
GRADIENT_MEMORY_BUDGET = {"cpu": 192 * 2**20, "accelerator": 512 * 2**20}


@dataclass(frozen=True)
class Settings:
    """The parameters a student sets for the four methods."""

    layer: str  # Grad-CAM's layer: a stage name from the feature-maps lesson
    noise_samples: int = 10  # SmoothGrad: noisy copies averaged (1 = plain gradient)
    noise_level: float = 0.15  # SmoothGrad: noise std as a fraction of the input's value range
    ig_steps: int = 32  # integrated gradients: points on the straight path from baseline to image
    baseline: Baseline = "black"  # integrated gradients and occlusion: what "absent" means
    window: int = 32  # occlusion: side of the square patch, in input pixels
    stride: int = 16  # occlusion: step between patches


@dataclass(frozen=True)
class Completeness:
    """Integrated gradients' completeness check: the class score (logit) on the image and on the baseline, what the
    map actually adds up to, and the gap Σ map − (f(x) − f(baseline)) left by integrating in finitely many steps."""

    score: float  # f(x): the class's logit on the image
    baseline_score: float  # f(baseline): the class's logit on the baseline
    total: float  # the sum of every attribution (all pixels and colour channels)
    gap: float  # total − (score − baseline_score); zero for exact integration
    steps: int
    baseline: str

    @property
    def difference(self) -> float:
        """f(x) − f(baseline): what the attributions add up to in theory."""
        return self.score - self.baseline_score

    def note(self) -> str:
        """The caption under the map: steps and baseline, both scores, the sum and the gap."""
        return (f"{self.steps} steps from a {self.baseline} baseline; f(x) = {self.score:.2f}, f(baseline) = "
                f"{self.baseline_score:.2f}; sum {self.total:+.2f}, completeness gap {self.gap:+.3f}")


@dataclass(frozen=True)
class Attribution:
    """One method's result: an H×W importance map (higher = more evidence for the class) and its run time."""

    method: str
    heatmap: np.ndarray
    seconds: float
    note: str = ""
    completeness: Completeness | None = None  # integrated gradients only: the scores its map must add up to


class StagedNet(nn.Module):
    """A private forward pass over a model's stages, with an owned `tap` Identity after one chosen stage.

    The shared modules are reached through the stages' closures, not registered as submodules, so a hook Captum
    puts on this wrapper (or on `tap`) never lands on the shared model.
    """

    def __init__(self, stages: Sequence[Stage], tap_after: str | None = None) -> None:
        super().__init__()
        self._stages = list(stages)
        self._tap_after = tap_after
        self.tap = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run every stage in order; the chosen stage's output passes through `tap`."""
        for stage in self._stages:
            x = stage.run(x)
            if stage.name == self._tap_after:
                x = self.tap(x)
        return x


def staged_net(loaded: LoadedModel, tap_after: str | None = None, randomise_classifier: bool = False,
               seed: int = 0) -> StagedNet:
    """A fresh private wrapper over `loaded`'s stages; optionally with the final linear layer re-drawn at random.

    The randomised classifier is a new private nn.Linear of the same shape (PyTorch's default initialisation), so
    the shared model is untouched: the "cascading randomisation" sanity check of Adebayo et al. (2018), top layer.
    """
    stages = list(loaded.stages)
    if randomise_classifier:
        last = stages[-1]
        if not isinstance(last.module, nn.Linear):
            raise ValueError(f"{loaded.spec.title}'s last stage is not a linear classifier")
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        fresh = nn.Linear(last.module.in_features, last.module.out_features).to(loaded.device).requires_grad_(False)
        torch.random.set_rng_state(generator_state)
        stages[-1] = Stage(last.name, last.kind, last.description + " (re-drawn at random)", fresh, fresh)
    return StagedNet(stages, tap_after)


def gradient_budget(device: torch.device) -> int:
    """Bytes one internal forward + backward batch may use on `device` (GRADIENT_MEMORY_BUDGET)."""
    return GRADIENT_MEMORY_BUDGET["cpu" if device.type == "cpu" else "accelerator"]


def grad_batch_size(loaded: LoadedModel, budget_bytes: int | None = None) -> int:
    """Images per internal batch so one forward + backward pass stays inside `budget_bytes` (default: the device's
    `gradient_budget`), 1…64.

    Estimate per image: every stage output kept for the backward pass, its gradient, and room for the wider
    temporaries inside blocks (inverted residuals expand channels six-fold), i.e. 12 float32 copies of all outputs.
    """
    floats = sum(int(np.prod(shape)) for shape in loaded.output_shapes.values())
    per_image = 4 * 12 * floats
    budget = gradient_budget(loaded.device) if budget_bytes is None else budget_bytes
    return int(np.clip(budget // max(per_image, 1), 1, 64))


def offered_models() -> list[str]:
    """The registry networks the lesson offers: every listed one that has feature maps for Grad-CAM."""
    return registry.model_keys(feature_maps=True)


def default_cam_layer(loaded: LoadedModel) -> str:
    """Grad-CAM's customary layer: the deepest convolutional stage that still has spatial maps."""
    spatial = [name for name, shape in loaded.output_shapes.items() if len(shape) == 3]
    convs = [name for name in spatial if loaded.stage(name).kind in ("conv", "block")]
    return (convs or spatial)[-1]


def default_window(input_size: int) -> int:
    """Occlusion patch side for an input: a seventh of the image (32 px at 224, 4 px for a 28-px digit)."""
    return max(2, input_size // 7)


def _as_input(loaded: LoadedModel, x: torch.Tensor) -> torch.Tensor:
    x = torch.as_tensor(x, dtype=torch.float32)
    return (x[None] if x.dim() == 3 else x).to(loaded.device)


def baseline_input(x: torch.Tensor, kind: Baseline, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """The reference input meaning "no evidence": black pixels, the dataset-mean grey (zero after normalising), or
    a heavily blurred copy of the image (keeps colours, removes shapes). Same shape as the normalised input x."""
    if kind == "grey":
        return torch.zeros_like(x)
    m = torch.tensor(mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    if kind == "black":
        return ((0 - m) / s).expand_as(x).clone()
    if kind == "blur":
        # shrink to 1/16 by area averaging, then stretch back smoothly: colours stay, shapes and edges go
        small = nn.functional.interpolate(x, scale_factor=1 / 16, mode="area")
        return nn.functional.interpolate(small, size=tuple(x.shape[-2:]), mode="bilinear", align_corners=False)
    raise ValueError(f"unknown baseline {kind!r}; choose from {', '.join(BASELINES)}")


#: With a progress callback, a method's internal batches are cut so the bar moves at least this many times.
PROGRESS_UPDATES = 8


def chunk(batch: int, total: int, progress: Progress | None) -> int:
    """Inputs per internal batch: `batch`, or smaller with a progress callback so it hears PROGRESS_UPDATES steps."""
    return batch if progress is None else max(1, min(batch, -(-total // PROGRESS_UPDATES)))


def counted(net: Callable[[torch.Tensor], torch.Tensor], progress: Progress | None, total: int, message: str,
            skip: int = 0) -> Callable[[torch.Tensor], torch.Tensor]:
    """`net` as a forward function that reports which of `total` inputs it is running (the methods run it on
    batches of noisy, scaled or occluded copies); `message` is formatted with `{i}` (the last input of the batch)
    and `{total}`. The first `skip` inputs (a method's own reference pass) are not counted. Without `progress`,
    `net` itself."""
    if progress is None:
        return net
    done = -skip

    def forward(x: torch.Tensor) -> torch.Tensor:
        nonlocal done
        batch = int(x.shape[0])
        if done >= 0:
            progress(min(done / max(total, 1), 1.0), message.format(i=min(done + batch, total), total=total))
        out = net(x)
        done += batch
        return out

    return forward


def _to_map(attr: torch.Tensor, absolute: bool) -> np.ndarray:
    values = attr.detach().float()[0]
    values = values.abs().amax(0) if absolute else values.sum(0)
    return values.cpu().numpy().astype(np.float32)


def saliency(loaded: LoadedModel, x: torch.Tensor, target: int, noise_samples: int = 1, noise_level: float = 0.15,
             seed: int = 0, net: nn.Module | None = None, progress: Progress | None = None) -> np.ndarray:
    """|∂score/∂pixel| (max over colour channels), averaged over noisy copies when noise_samples > 1 (SmoothGrad);
    `progress` hears "SmoothGrad: sample i of n"."""
    from captum.attr import NoiseTunnel, Saliency

    x = _as_input(loaded, x).requires_grad_(True)
    samples = max(int(noise_samples), 1)
    message = "SmoothGrad: sample {i} of {total}" if samples > 1 else "Saliency: one gradient"
    method = Saliency(counted(net or staged_net(loaded), progress, samples, message))
    if noise_samples <= 1:
        return _to_map(method.attribute(x, target=target, abs=True), absolute=True)
    spread = float(noise_level * (x.detach().max() - x.detach().min()))
    torch.manual_seed(seed)
    attr = NoiseTunnel(method).attribute(x, nt_type="smoothgrad", nt_samples=noise_samples, stdevs=spread,
                                         nt_samples_batch_size=chunk(grad_batch_size(loaded), samples, progress),
                                         target=target, abs=True)
    return _to_map(attr, absolute=True)


def gradcam(loaded: LoadedModel, x: torch.Tensor, target: int, layer: str,
            randomise_classifier: bool = False, progress: Progress | None = None) -> np.ndarray:
    """Grad-CAM on one spatial stage: ReLU(Σ_c mean-gradient_c × activation_c), upsampled to the input size."""
    from captum.attr import LayerAttribution, LayerGradCam

    loaded.stage(layer)  # clear KeyError for unknown names
    if progress:
        progress(0.0, f"Grad-CAM: layer {layer}")
    net = staged_net(loaded, tap_after=layer, randomise_classifier=randomise_classifier)
    x = _as_input(loaded, x)
    cam = LayerGradCam(net, net.tap).attribute(x, target=target, relu_attributions=True)
    if cam.dim() != 4:
        raise ValueError(f"layer {layer!r} has no spatial maps; pick a convolutional stage")
    up = LayerAttribution.interpolate(cam, tuple(x.shape[-2:]), interpolate_mode="bilinear")
    return up.detach()[0, 0].cpu().numpy().astype(np.float32)


def integrated_gradients(loaded: LoadedModel, x: torch.Tensor, target: int, steps: int = 32,
                         baseline: Baseline = "black", internal_batch_size: int | None = None,
                         net: nn.Module | None = None, progress: Progress | None = None) -> tuple[torch.Tensor, float]:
    """Integrated gradients (Sundararajan et al. 2017): per-input attributions (1×C×H×W) and the completeness gap.

    The gap is Σ attributions − (score(image) − score(baseline)): zero for exact integration. `progress` hears
    "Integrated gradients: step i of n".
    """
    from captum.attr import IntegratedGradients

    x = _as_input(loaded, x)
    base = baseline_input(x, baseline, loaded.spec.mean, loaded.spec.std)
    forward = counted(net or staged_net(loaded), progress, steps, "Integrated gradients: step {i} of {total}")
    attr, delta = IntegratedGradients(forward).attribute(
        x, baselines=base, target=target, n_steps=steps, return_convergence_delta=True,
        internal_batch_size=internal_batch_size or chunk(grad_batch_size(loaded), steps, progress))
    return attr.detach(), float(delta.detach().cpu()[0])


def occlusion_stride(window: int, stride: int) -> int:
    """The stride occlusion uses: at most the window, since a longer step would leave pixels no patch covers."""
    return min(stride, window)


def occlusion_note(window: int, stride: int) -> str:
    """How occlusion ran, saying so when the stride was capped at the window."""
    used = occlusion_stride(window, stride)
    capped = f" (stride {stride} capped at the window: a longer one would skip pixels)" if used < stride else ""
    return f"{window}-px window, stride {used}{capped}"


def occlusion_patches(size: int, window: int, stride: int) -> int:
    """How many patches occlusion slides over a size×size input (the window and stride clipped as `occlusion` does)."""
    window = int(np.clip(window, 1, size))
    stride = occlusion_stride(window, int(np.clip(stride, 1, size)))
    return ((size - window) // stride + 1) ** 2


def occlusion(loaded: LoadedModel, x: torch.Tensor, target: int, window: int = 32, stride: int = 16,
              baseline: Baseline = "black", net: nn.Module | None = None,
              progress: Progress | None = None) -> np.ndarray:
    """Score drop when a window×window patch is replaced by the baseline, averaged over the patches covering a pixel;
    `progress` hears "Occlusion: patch i of n"."""
    from captum.attr import Occlusion

    x = _as_input(loaded, x)
    size = x.shape[-1]
    patches = occlusion_patches(size, window, stride)
    window = int(np.clip(window, 1, size))
    stride = occlusion_stride(window, int(np.clip(stride, 1, size)))
    channels = x.shape[1]
    forward = counted(net or staged_net(loaded), progress, patches, "Occlusion: patch {i} of {total}", skip=1)
    attr = Occlusion(forward).attribute(
        x, sliding_window_shapes=(channels, window, window), strides=(channels, stride, stride),
        baselines=baseline_input(x, baseline, loaded.spec.mean, loaded.spec.std), target=target,
        perturbations_per_eval=chunk(min(64, 4 * grad_batch_size(loaded)), patches, progress))
    return attr.detach()[0].mean(0).cpu().numpy().astype(np.float32)


def attribute_all(loaded: LoadedModel, x: torch.Tensor, target: int, settings: Settings,
                  randomise_classifier: bool = False, progress: Progress | None = None) -> list[Attribution]:
    """All four methods on one image and class, each timed, in METHODS order; `progress` hears each method's steps
    ("Integrated gradients: step 12 of 32"), each method taking a share of the bar that follows its cost."""
    net = staged_net(loaded, randomise_classifier=randomise_classifier)
    jobs: dict[str, Callable[[Progress], tuple]] = {  # each gives (map, note) or, for IG, (map, note, completeness)
        "saliency": lambda report: (saliency(loaded, x, target, settings.noise_samples, settings.noise_level,
                                             net=net, progress=report), f"{settings.noise_samples} noisy copies"),
        "gradcam": lambda report: (gradcam(loaded, x, target, settings.layer, randomise_classifier, progress=report),
                                   f"layer {settings.layer}"),
        "integrated_gradients": lambda report: _ig_map(loaded, x, target, settings, net, report),
        "occlusion": lambda report: (occlusion(loaded, x, target, settings.window, settings.stride,
                                               settings.baseline, net=net, progress=report),
                                     occlusion_note(settings.window, settings.stride)),
    }
    costs = method_costs(settings, int(x.shape[-1]))
    total, done = sum(costs.values()), 0.0
    results = []
    for name, job in jobs.items():
        report = sub_range(progress, done / total, (done + costs[name]) / total) if progress else None
        start = time.perf_counter()
        heatmap, note, *checked = job(report)
        results.append(Attribution(name, heatmap, time.perf_counter() - start, note, *checked))
        done += costs[name]
    if progress:
        progress(1.0, "Attribution maps done")
    return results


def method_costs(settings: Settings, size: int) -> dict[str, float]:
    """Each method's rough cost in network passes (a backward pass counts as one more), for sharing a progress bar."""
    return {"saliency": 2.0 * max(settings.noise_samples, 1), "gradcam": 2.0,
            "integrated_gradients": 2.0 * settings.ig_steps,
            "occlusion": 1.0 + occlusion_patches(size, settings.window, settings.stride)}


def is_light(settings: Settings, size: int) -> bool:
    """Whether the four maps cost no more network passes than with the lesson's default settings at this input size
    (a few seconds on a CPU): heavier settings wait their turn in a server's shared queue."""
    window = default_window(size)
    default = Settings(layer=settings.layer, window=window, stride=window)
    return sum(method_costs(settings, size).values()) <= sum(method_costs(default, size).values())


SANITY_TWINS = ("random_classifier", "random")


def sanity_maps(loaded: LoadedModel, x: torch.Tensor, target: int, settings: Settings, twin: str,
                progress: Progress | None = None) -> list[Attribution]:
    """The four maps on one damaged network for the sanity checks: "random_classifier" re-draws `loaded`'s last
    layer at random, "random" expects `loaded` to be the random-weights twin. `progress` hears the stage first
    ("Sanity check: randomising layer classifier · Occlusion: patch 40 of 196")."""
    if twin not in SANITY_TWINS:
        raise ValueError(f"unknown sanity check {twin!r}; use one of {', '.join(SANITY_TWINS)}")
    if twin == "random_classifier":
        stage = f"Sanity check: randomising layer {loaded.stages[-1].name} · "
    else:
        stage = "Sanity check: random-weights twin · "
    return attribute_all(loaded, x, target, settings, randomise_classifier=twin == "random_classifier",
                         progress=sub_range(progress, 0.0, 1.0, stage) if progress else None)


def _ig_map(loaded: LoadedModel, x: torch.Tensor, target: int, settings: Settings, net: nn.Module,
            progress: Progress | None) -> tuple[np.ndarray, str, Completeness]:
    attr, gap = integrated_gradients(loaded, x, target, settings.ig_steps, settings.baseline, net=net,
                                     progress=progress)
    check = completeness_check(loaded, x, target, attr, gap, settings.ig_steps, settings.baseline, net=net)
    return _to_map(attr, absolute=False), check.note(), check


def completeness_check(loaded: LoadedModel, x: torch.Tensor, target: int, attributions: torch.Tensor, gap: float,
                       steps: int, baseline: Baseline, net: nn.Module | None = None) -> Completeness:
    """The numbers of integrated gradients' completeness check: f(x) and f(baseline) for the class (one forward pass
    of both), the attributions' sum and the gap Captum measured."""
    x = _as_input(loaded, x)
    base = baseline_input(x, baseline, loaded.spec.mean, loaded.spec.std)
    with torch.inference_mode():
        scores = (net or staged_net(loaded))(torch.cat([x, base]))[:, target].float().cpu()
    return Completeness(float(scores[0]), float(scores[1]), float(attributions.sum()), float(gap), int(steps),
                        str(baseline))


# ------------------------------------------------------------------------------------------------ comparing methods
CHANGED_A_LOT_BELOW = 0.3  # rank correlation with the trained map under this: the map changed a lot
BARELY_CHANGED_FROM = 0.7  # rank correlation with the trained map from this up: the map barely changed
RANDOM_MAP_TITLE = "Random map (reference)"  # the deletion test's chance reference
PAPER_PASSES = ("saliency", "gradcam")  # methods Adebayo et al. (2018) found to change when the network is randomised


def is_constant(heatmap: np.ndarray) -> bool:
    """True when every pixel of the map has the same value (e.g. all zero): it ranks no pixel above another."""
    values = np.ravel(heatmap)
    return bool(values.size == 0 or np.all(values == values[0]))


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two maps of the same shape (1 = same ordering of pixels); tied pixels share
    their average rank. NaN when either map is constant: a map without an ordering has no rank correlation."""
    from scipy.stats import rankdata

    a, b = np.ravel(a), np.ravel(b)
    if a.shape != b.shape:
        raise ValueError(f"the maps differ in size ({a.size} and {b.size} pixels)")
    if is_constant(a) or is_constant(b):
        return float("nan")
    ra, rb = rankdata(a), rankdata(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return float(np.clip((ra * rb).sum() / np.sqrt((ra**2).sum() * (rb**2).sum()), -1.0, 1.0))


def format_correlation(rho: float) -> str:
    """A rank correlation as the page shows it: two decimals, or "undefined" for a constant map."""
    if np.isnan(rho):
        return "undefined"
    shown = f"{rho:.2f}"
    return "0.00" if shown == "-0.00" else shown


def undefined_reason(trained_map: np.ndarray, other_map: np.ndarray) -> str:
    """Why a rank correlation is undefined: which of the two maps is constant."""
    if is_constant(trained_map) and is_constant(other_map):
        return "undefined — both maps are constant"
    return "undefined — the trained network's map is constant" if is_constant(trained_map) else \
        "undefined — this map is constant"


def change_verdict(rho: float) -> str:
    """How much a map changed, from its rank correlation with the trained map as shown (two decimals)."""
    if np.isnan(rho):
        return "undefined — the map is constant"
    shown = float(format_correlation(rho))
    if shown >= BARELY_CHANGED_FROM:
        return "barely changed"
    return "changed a lot" if shown < CHANGED_A_LOT_BELOW else "changed partly"


def _measured(rho: float, twin_title: str) -> str:
    """One twin's result in words: "changed partly (Random-weights twin: ρ = 0.48)"."""
    if np.isnan(rho):
        return f"has no rank correlation ({twin_title}: a map is constant)"
    return f"{change_verdict(rho)} ({twin_title}: ρ = {format_correlation(rho)})"


def sanity_summary(correlations: dict[str, dict[str, float]], twin_titles: dict[str, str]) -> str:
    """Markdown: per method, its rank correlation with the trained map on each damaged network and what that means.

    `correlations[method][twin]` is the rank correlation (NaN = undefined); `twin_titles[twin]` names the twin.
    """
    lines = [(f"Reading the numbers: ρ ≥ {BARELY_CHANGED_FROM:.2f} **barely changed** (the map hardly depends on "
             f"what was destroyed), ρ < {CHANGED_A_LOT_BELOW:.2f} **changed a lot**, in between **changed "
             "partly**. *Undefined* means one of the two maps is constant (e.g. all zero), so it has no pixel order "
             "to compare."), ""]
    for method, by_twin in correlations.items():
        parts = [_measured(rho, twin_titles[twin]) for twin, rho in by_twin.items()]
        lines.append(f"- **{METHOD_TITLES.get(method, method)}** " + "; ".join(parts) + ".")
    return "\n".join(lines)


def paper_comparison(correlations: dict[str, dict[str, float]], twin_titles: dict[str, str]) -> str:
    """Markdown: for each method the paper found to change (PAPER_PASSES), whether it changed a lot here too."""
    sentences = []
    for method in (m for m in PAPER_PASSES if m in correlations):
        by_twin = correlations[method]
        title = METHOD_TITLES[method]
        verdicts = [change_verdict(rho) for rho in by_twin.values()]
        if all(verdict == "changed a lot" for verdict in verdicts):
            sentences.append(f"**{title}** changed a lot on both damaged networks, as in the paper.")
            continue
        lead = ("differs from the paper here" if "barely changed" in verdicts else
                "changed less clearly than in the paper" if "changed partly" in verdicts else
                "can only partly be compared with the paper")
        odd = [_measured(rho, twin_titles[twin]) for twin, rho in by_twin.items()
               if change_verdict(rho) != "changed a lot"]
        sentences.append(f"**{title}** {lead}: it " + " and ".join(odd) + ".")
    return " ".join(sentences)


def empty_map_note(method: str, heatmap: np.ndarray) -> str | None:
    """A caption for a map that points at nothing (constant, or no positive value); None for an ordinary map."""
    if is_constant(heatmap):
        where = " at this layer" if method == "gradcam" else ""
        return (f"Constant map (every pixel {float(np.ravel(heatmap)[0]):.3g}): no pixel counts more than another "
                f"for this class{where}.")
    if float(np.max(heatmap)) <= 0:
        return "No pixel has a positive value: nothing here counts as evidence for this class."
    return None


def deletion_summary(areas: dict[str, float], reference: str, constant_maps: Sequence[str] = ()) -> str:
    """Markdown: which maps beat the random reference map in the deletion test (lower area = better) and which are
    no better, comparing the areas as shown (three decimals). Maps named in `constant_maps` are set apart: their
    deletion order is only the pixels' raster order."""
    if reference not in areas:
        raise ValueError(f"no area for the reference map {reference!r}; the areas are for {', '.join(areas)}")
    shown = {name: round(float(area), 3) for name, area in areas.items()}
    chance = shown[reference]
    ranked = [name for name in sorted(shown, key=shown.get) if name != reference and name not in constant_maps]
    beat = [name for name in ranked if shown[name] < chance]
    not_beat = [name for name in ranked if shown[name] >= chance]

    def listed(names: list[str]) -> str:
        return ", ".join(f"**{name}** ({shown[name]:.3f})" for name in names)

    lines = [f"The random map (a random pixel order: chance) has area **{chance:.3f}**."]
    if beat:
        lines.append(f"Beat the random map (lower area): {listed(beat)}.")
    if not_beat and not beat:
        lines.append("**No method beat the random map here.**")
    if not_beat:
        whose = "this map's" if len(not_beat) == 1 else "these maps'"
        lines.append(f"No better than the random map: {listed(not_beat)} — deleting pixels in {whose} order hurt "
                     "the class no faster than deleting them at random. One possible reason: random deletions "
                     "sprinkle baseline-coloured dots over the whole image, something the network never saw in "
                     "training.")
    elif beat:
        lines.append(f"Every method{' with a non-constant map' if constant_maps else ''} beat the random map.")
    if constant_maps:
        lines.append(f"{', '.join(f'**{name}**' for name in constant_maps)}: the map is constant, so its deletion "
                     "order is just row by row from the top; its area says nothing about the method.")
    return " ".join(lines)


def deletion_curve(loaded: LoadedModel, x: torch.Tensor, target: int, heatmap: np.ndarray, steps: int = 10,
                   baseline: Baseline = "black") -> tuple[np.ndarray, np.ndarray]:
    """Class probability as the most-attributed pixels are replaced by the baseline first (Petsiuk et al. 2018).

    Returns the fractions removed (0…1, steps + 1 points) and the target's probability at each. A faithful map
    makes the probability fall fast, so a lower area under the curve is better.
    """
    x = _as_input(loaded, x)
    base = baseline_input(x, baseline, loaded.spec.mean, loaded.spec.std)
    order = np.argsort(-np.ravel(heatmap), kind="stable")
    fractions = np.linspace(0.0, 1.0, steps + 1)
    masks = np.zeros((len(fractions), heatmap.size), np.float32)
    for i, fraction in enumerate(fractions):
        masks[i, order[:round(fraction * heatmap.size)]] = 1.0
    mask = torch.from_numpy(masks.reshape(len(fractions), 1, *heatmap.shape)).to(x.device)
    batch = x * (1 - mask) + base * mask
    with torch.inference_mode():
        probs = torch.softmax(staged_net(loaded)(batch).float(), dim=1)[:, target]
    return fractions, probs.cpu().numpy()


def area_under(fractions: np.ndarray, values: np.ndarray) -> float:
    """Trapezoidal area under a curve sampled at `fractions` (0…1)."""
    return float(np.sum((values[1:] + values[:-1]) / 2 * np.diff(fractions)))


def random_heatmap(shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A map of independent random values: the no-information reference for deletion curves."""
    return np.random.default_rng(seed).random(shape).astype(np.float32)
