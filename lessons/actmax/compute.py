"""Lesson compute for "What does a neuron want to see?": units, runs by method, and the comparisons the page draws."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from PIL import Image

from lessons.core import data, preprocess, registry
from lessons.core.nets import mnist_cnn
from lessons.core.progress import Progress
from lessons.core.registry import LoadedModel
from lessons.core.stages import run_stages
from lessons.optvis import evolution, generator, objectives
from lessons.optvis import render as render_mod

METHODS = ("fft", "pixel", "evolution", "generator")
UNIT_KINDS = ("class", "channel", "neuron")


@dataclass(frozen=True)
class Unit:
    """What to maximise: a class logit, a channel (mean of its map), or one neuron (the channel at the centre)."""

    kind: str  # "class" | "channel" | "neuron"
    layer: str
    index: int


@dataclass(frozen=True)
class Request:
    """One visualisation: unit, method, engine settings and the weight of the batch-diversity term."""

    unit: Unit
    method: str = "fft"
    settings: render_mod.Settings = field(default_factory=render_mod.Settings)
    diversity: float = 0.0



def diversity_layer(loaded: LoadedModel, unit: Unit) -> str:
    """Where the diversity term compares images: the unit's own layer, or the last feature maps for a class."""
    return loaded.spatial_layers[-1] if unit.kind == "class" else unit.layer


def objective_for(loaded: LoadedModel, unit: Unit, diversity: float = 0.0) -> objectives.Objective:
    """The objective that maximises `unit`, plus `diversity` × the batch-diversity term when asked."""
    if unit.kind == "class":
        objective = objectives.class_logit(loaded.layer_names[-1], unit.index)
    elif unit.kind == "neuron":
        objective = objectives.neuron(unit.layer, unit.index)
    elif unit.kind == "channel":
        objective = objectives.channel(unit.layer, unit.index)
    else:
        raise ValueError(f"unknown unit kind {unit.kind!r}; use one of {UNIT_KINDS}")
    if diversity:
        objective = objective + diversity * objectives.diversity(diversity_layer(loaded, unit))
    return objective


def unit_count(loaded: LoadedModel, unit_kind: str, layer: str) -> int:
    """How many units of that kind the layer has (classes for "class")."""
    if unit_kind == "class":
        return len(registry.class_names(loaded.spec))
    return int(loaded.output_shapes[layer][0])


def image_size(loaded: LoadedModel) -> int:
    """Side of the optimised image: 28 px for the digit CNN, 128 px for ImageNet models."""
    return loaded.spec.input_size if loaded.spec.family == "digits" else 128


def mean_image(loaded: LoadedModel, size: int) -> np.ndarray:
    """Mean of the shipped images as a (C, size, size) start image (Nguyen et al. 2016's mean-image init)."""
    _, images = shipped_images(loaded, size)
    return images.mean(axis=0).transpose(2, 0, 1)


def run(loaded: LoadedModel, request: Request, progress: Progress | None = None,
        on_snapshot: render_mod.SnapshotFn | None = None) -> render_mod.Result:
    """Run one visualisation by its method (gradient ascent on pixels or spectrum, evolution, or generator);
    `progress` hears the fraction of steps done and "step i/n, objective v"."""
    settings = request.settings
    diverse = request.diversity if settings.batch > 1 and request.method != "evolution" else 0.0
    objective = objective_for(loaded, request.unit, diverse)  # (evolution's population is not a batch of facets)
    if request.method == "evolution":
        return evolution.evolve(loaded, objective, settings.size, generations=settings.steps, seed=settings.seed,
                                progress=progress, snapshots=settings.snapshots, on_snapshot=on_snapshot)
    if request.method == "generator":
        if loaded.spec.family != "digits":
            raise ValueError("the generator prior is trained on digits: use it with the digit CNN")
        return generator.render_latent(loaded, objective, digit_generator(), steps=settings.steps,
                                       batch=settings.batch, seed=settings.seed, progress=progress,
                                       snapshots=settings.snapshots, on_snapshot=on_snapshot)
    if request.method not in ("fft", "pixel"):
        raise ValueError(f"unknown method {request.method!r}; use one of {METHODS}")
    init = mean_image(loaded, settings.size) if settings.init == "mean" else None
    return render_mod.render(loaded, objective, settings, progress=progress, init_image=init,
                             on_snapshot=on_snapshot)


# ------------------------------------------------------------------------------------------ real images to compare
def shipped_images(loaded: LoadedModel, size: int) -> tuple[list[str], np.ndarray]:
    """Names and (N, size, size, C) float images in [0, 1] of the images that ship with the app for this model."""
    if loaded.spec.family == "digits":
        digits, labels = data.mnist_digits()
        picks = np.concatenate([np.flatnonzero(labels == d)[:20] for d in range(10)])
        images = digits[picks].reshape(-1, 28, 28, 1).astype(np.float32) / 255.0
        return [f"digit {labels[i]} (#{i})" for i in picks], images
    names, images = [], []
    for key in data.photo_keys():
        photo = preprocess.center_crop(preprocess.resize_shorter_side(data.load_photo(key), size), size)
        names.append(data.photo_info(key).caption)
        images.append(photo.astype(np.float32) / 255.0)
    return names, np.stack(images)


def as_model_image(rgb: np.ndarray, loaded: LoadedModel, size: int) -> np.ndarray:
    """An uploaded H×W×3 uint8 image as this model sees it: (size, size, C) in [0, 1].

    For the digit CNN: grey, centre-cropped, 28×28, and inverted when the background is light (MNIST digits are
    white on black, a photo of a written digit is usually dark on white).
    """
    square = preprocess.center_crop(preprocess.resize_shorter_side(np.asarray(rgb, dtype=np.uint8), size), size)
    if loaded.spec.channels == 3:
        return square.astype(np.float32) / 255.0
    grey = np.asarray(Image.fromarray(square).convert("L"), dtype=np.float32) / 255.0
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if border.mean() > 0.5:
        grey = 1.0 - grey
    return grey[:, :, None]


def top_images(loaded: LoadedModel, unit: Unit, names: list[str], images: np.ndarray,
               k: int = 5) -> list[tuple[str, np.ndarray, float]]:
    """The k images that drive the unit most: (name, image, activation), best first."""
    scores = render_mod.score(loaded, objective_for(loaded, unit), images)
    order = np.argsort(-scores)[:k]
    return [(names[i], images[i], float(scores[i])) for i in order]


def top_shipped(loaded: LoadedModel, unit: Unit, size: int, k: int = 5) -> list[tuple[str, np.ndarray, float]]:
    """The k shipped images that drive the unit most: (name, image, activation), best first."""
    names, images = shipped_images(loaded, size)
    return top_images(loaded, unit, names, images, k)


# ------------------------------------------------------------------------------------------ reading the results
def class_probabilities(loaded: LoadedModel, images: np.ndarray) -> np.ndarray:
    """Softmax class probabilities (B, classes) of (B, H, W, C) images in [0, 1]."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).permute(0, 3, 1, 2).to(loaded.device)
    with torch.inference_mode():
        logits, _ = run_stages(loaded.stages, render_mod.model_input(loaded, x))
    return torch.softmax(logits.float(), dim=1).cpu().numpy()


def feature_similarity(loaded: LoadedModel, layer: str, images: np.ndarray) -> float:
    """Mean pairwise cosine similarity of the images' spatially averaged activations at `layer` (1 = identical)."""
    if len(images) < 2:
        return 1.0
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).permute(0, 3, 1, 2).to(loaded.device)
    with torch.inference_mode():
        acts = render_mod.activations(loaded, objectives.channel(layer, 0), x)[layer]
    v = torch.nn.functional.normalize(acts.float().mean(dim=(-2, -1)), dim=1)
    sim = v @ v.T
    n = len(images)
    return float((sim.sum() - sim.diagonal().sum()) / (n * (n - 1)))


def nearest_real_digit(image: np.ndarray) -> tuple[int, float, np.ndarray]:
    """The shipped MNIST digit closest in pixels to a (28, 28[, 1]) image in [0, 1]: (index, distance, digit)."""
    digits, _ = data.mnist_digits()
    real = digits.reshape(len(digits), -1).astype(np.float32) / 255.0
    flat = np.asarray(image, dtype=np.float32).reshape(1, -1)
    distances = np.sqrt(((real - flat) ** 2).sum(axis=1))
    best = int(np.argmin(distances))
    return best, float(distances[best]), digits[best]


def digit_generator() -> generator.DigitVAE:
    """The registry's small digit VAE, whose decoder is the generator prior (trained once in seconds, then cached)."""
    return registry.load_model("digit_vae").module


def second_opinion_reader() -> torch.nn.Module:
    """The registry's second digit CNN, trained here from a different random start (read-only, shared)."""
    return registry.load_model("digit_cnn_second").module


def digit_readings(model: torch.nn.Module, images: np.ndarray) -> np.ndarray:
    """Class probabilities (B, 10) that a digit CNN gives (B, 28, 28[, 1]) images in [0, 1]."""
    u8 = (np.clip(np.asarray(images, dtype=np.float32), 0, 1) * 255).round().astype(np.uint8).reshape(-1, 28, 28)
    return mnist_cnn.predict_digits(model, u8)


# ------------------------------------------------------------------------------------------ sentences from the scores
#: A diverse batch shows "other facets" when it keeps at least this share of the plain runs' rise above the start.
FACET_SHARE = 0.5
#: Independent starts this alike (mean cosine similarity of their features) landed on one optimum: mode collapse.
MODE_COLLAPSE_SIMILARITY = 0.9
#: Two prior runs whose activations differ by less than this share of the no-prior activation count as a tie.
PRIOR_TIE = 0.02


def unit_scores(loaded: LoadedModel, unit: Unit, images: np.ndarray) -> np.ndarray:
    """The unit's own activation for (B, H, W, C) images in [0, 1] (no diversity term, no prior penalties)."""
    return render_mod.score(loaded, objective_for(loaded, unit), images)


def start_score(loaded: LoadedModel, request: Request) -> float:
    """The unit's mean activation for the images a request starts from (before any step)."""
    start = Request(request.unit, request.method, replace(request.settings, steps=0, snapshots=()))
    return float(np.mean(unit_scores(loaded, request.unit, run(loaded, start).images)))


def real_image_summary(optimised: float, best: float, best_name: str) -> str:
    """Whether the optimised image drives the unit more than the best real image, and what that means."""
    if optimised > best:
        return (f"The optimised image drives the unit to **{optimised:.3g}**, more than the best real image here "
                f"(**{best:.3g}**, {best_name}). Real images are a tiny corner of image space; optimisation can leave "
                "it, which is why it finds stronger stimuli — and why priors are needed to stay near it.")
    return (f"The optimised image drives the unit to **{optimised:.3g}**, less than the best real image here "
            f"(**{best:.3g}**, {best_name}). The textbook expects optimisation to beat every real image, since it "
            "may leave the corner of image space that photos occupy; here it has not. Would more steps, or weaker "
            "priors, get there?")


def evolution_summary(probability: float, class_name: str, generations: int) -> str:
    """What an evolved class image shows: a fooling image when the network is sure of it, else a question."""
    reference = ("Nguyen, Yosinski & Clune (2015) bred images that a network calls a class with high confidence "
                 "while a person sees noise, and called them **fooling images**")
    if probability >= 0.5:
        return (f"Evolution never saw a gradient, only the network's scores, yet after {generations} generations "
                f"the network is {probability:.0%} sure this image is {class_name}. {reference}. If this one looks "
                "like noise to you, it is one: p(y | x) alone is not a picture of the class — the prior p(x) is "
                "missing.")
    return (f"After {generations} generations the network is only {probability:.0%} sure this image is {class_name}: "
            f"not (yet) a fooling image. {reference}. Would more generations get there?")


def diversity_summary(plain: Sequence[float], diverse: Sequence[float], start: float, similar: float,
                      spread: float, layer: str) -> str:
    """Whether a diversity batch still drives the unit (other facets) or the diversity term overwhelmed it.

    Rule: the plain runs raise the unit from `start` to mean(plain); the diverse images show other facets when they
    keep at least FACET_SHARE of that rise; at or below the start (or negative where the plain runs are positive),
    the diversity term overwhelmed the objective; in between, it is left as a question.
    """
    plain_mean, diverse_mean = float(np.mean(plain)), float(np.mean(diverse))
    alike = (f"Similarity of the images' features at `{layer}` (1 = the same): **{similar:.2f}** for independent "
             f"starts, **{spread:.2f}** with the diversity term")
    alike += ", which pulled the batch apart. " if spread < similar else ", which did not make them less alike. "
    if similar >= MODE_COLLAPSE_SIMILARITY:
        alike += (f"The independent starts landed on nearly the same features (similarity ≥ "
                  f"{MODE_COLLAPSE_SIMILARITY:g}): *mode collapse*. ")
    else:
        alike += (f"The independent starts already differ (similarity below {MODE_COLLAPSE_SIMILARITY:g}), so there "
                  "was little mode collapse to undo. ")
    levels = (f"The unit's activation: {start:.3g} at the start, {plain_mean:.3g} on average after the plain runs, "
              f"{diverse_mean:.3g} for the diverse batch. ")
    rise = plain_mean - start
    if rise <= 0:
        return alike + levels + ("The plain runs did not climb above their start, so there is nothing to compare "
                                 "yet: would more steps help?")
    kept = (diverse_mean - start) / rise
    rule = f"(rule: other facets when a batch keeps at least {FACET_SHARE:.0%} of the plain runs' rise above the start)"
    if diverse_mean <= start or (plain_mean > 0 > diverse_mean):
        return alike + levels + ("The diversity term overwhelmed the objective: these images drive the unit no more "
                                 "than where they started, so they are not facets the unit likes. Lower the "
                                 f"diversity weight {rule}.")
    if kept >= FACET_SHARE:
        return alike + levels + (f"The diverse images keep {kept:.0%} of the rise, so they still drive the unit: "
                                 "other facets it responds to (Nguyen et al. 2016, Olah et al. 2017) " + rule + ".")
    return alike + levels + (f"The diverse images keep only {kept:.0%} of the rise {rule}: are they other facets "
                             "the unit likes, or is the diversity term winning? Try a lower weight and compare.")


def prior_summary(scores: dict[str, float], baseline: str = "no prior") -> str:
    """Which prior on its own scored highest, which beat no prior, and that a score is not interpretability.

    A prior counts as above or below no prior only when it differs from it by more than PRIOR_TIE of its size.
    """
    best = max(scores, key=scores.get)
    base = scores[baseline]
    tie = PRIOR_TIE * abs(base)
    others = {name: value for name, value in scores.items() if name != baseline}
    above = [name for name, value in others.items() if value > base + tie]
    same = [name for name, value in others.items() if abs(value - base) <= tie]
    text = f"Highest activation: **{best}** ({scores[best]:.3g}); with no prior {base:.3g}. "
    within = f"within {PRIOR_TIE:.0%} of no prior: {', '.join(same)}. " if same else ""
    if above:
        text += (f"The textbook expects each prior to cost a little activation, yet {len(above)} of {len(others)} "
                 f"scored more than {PRIOR_TIE:.0%} above no prior here ({', '.join(above)}): a prior can also help "
                 "the optimiser out of a poor start. " + within[:1].upper() + within[1:])
    elif same:
        text += (f"None scored more than {PRIOR_TIE:.0%} above no prior, roughly as the textbook expects (each prior "
                 "costs a little activation); " + within)
    else:
        text += ("Every prior scored below no prior, as the textbook expects: each trades some activation for a "
                 "more natural image. ")
    return text + "Either way, a higher score is not a more interpretable image: judge the pictures."


@dataclass(frozen=True)
class DigitRun:
    """One optimised digit image, read three ways: by the network it was made for, by a second CNN, by pixels."""

    score: float  # the class logit in the network it was made for
    own_probability: float  # that network's probability for the target digit
    judge_digit: int  # what an independently trained digit CNN reads it as
    judge_probability: float  # that CNN's probability for the target digit
    distance: float  # pixel distance to the nearest real digit


@dataclass(frozen=True)
class DigitReading:
    """An optimised digit read three ways (`run`), the real digit nearest to it, and the second CNN's confidence."""

    run: DigitRun
    nearest: np.ndarray  # (28, 28) uint8: the shipped MNIST digit closest in pixels
    judge_confidence: float  # the second CNN's probability for the digit it reads


def read_digit(loaded: LoadedModel, judge: torch.nn.Module, digit: int, result: render_mod.Result) -> DigitReading:
    """Read the first image of an optimised digit run by the network it was made for, a second CNN and pixels."""
    image = result.images[:1]
    _, distance, nearest = nearest_real_digit(image[0])
    reading = digit_readings(judge, image)[0]
    own = float(class_probabilities(loaded, image)[0, digit])
    run = DigitRun(float(result.scores[0]), own, int(reading.argmax()), float(reading[digit]), distance)
    return DigitReading(run, nearest, float(reading.max()))


def generator_summary(digit: int, pixel: DigitRun, generated: DigitRun) -> str:
    """Pixels vs the generator prior for one digit class, from the scores, the second CNN and the pixel distances."""
    gap = generated.score - pixel.score
    if abs(gap) <= 0.05 * max(abs(pixel.score), abs(generated.score)):
        scored = "about the same"
    else:
        scored = f"{'the generator' if gap > 0 else 'pixel space'} higher by {abs(gap):.3g}"
    text = (f"The digit CNN scores **{digit}** at {pixel.score:.3g} for the pixel image and {generated.score:.3g} for "
            f"the generator's ({scored}); it is {pixel.own_probability:.0%} (pixels) and "
            f"{generated.own_probability:.0%} (generator) sure of it. ")
    pixel_ok, generated_ok = pixel.judge_digit == digit, generated.judge_digit == digit
    if generated_ok and not pixel_ok:
        text += (f"The second digit CNN reads the generator's image as {digit} but the pixel image as "
                 f"{pixel.judge_digit}: the pixel-space result fools the network it was made for more than it "
                 "convinces another one. ")
    elif pixel_ok and generated_ok:
        text += (f"The second digit CNN reads both as {digit} ({pixel.judge_probability:.0%} for pixels, "
                 f"{generated.judge_probability:.0%} for the generator): here the pixel image convinces another "
                 "network too. ")
    elif pixel_ok:
        text += (f"The second digit CNN reads the pixel image as {digit} but the generator's as "
                 f"{generated.judge_digit}: here the generator's image convinces another network less. ")
    else:
        text += (f"The second digit CNN reads neither as {digit} (pixels: {pixel.judge_digit}, generator: "
                 f"{generated.judge_digit}): neither convinces another network. ")
    nearer = "nearer to" if generated.distance < pixel.distance else "no nearer to"
    text += (f"The generator's image lies {nearer} a real digit than the pixel image (distance "
             f"{generated.distance:.1f} vs {pixel.distance:.1f}). Its decoder, a small VAE trained here on the 5,000 "
             "MNIST digits, can only draw digit-like images — a learned p(x) (Nguyen et al. 2016).")
    return text


# ------------------------------------------------------------------------------------------ "What to notice"
#: A run "climbed early" when the first half of its steps made at least this share of its whole rise.
EARLY_SHARE = 0.8


def curve_notice(history: Sequence[float]) -> str:
    """What to notice on the objective curve: whether the climb came early (levelled off) or was still going."""
    values = [float(v) for v in history]
    if len(values) < 2:
        return "A single step is not a curve yet: run more steps to see how the objective climbs."
    first, last, middle = values[0], values[-1], len(values) // 2
    ends = f"from {first:.3g} at step 1 to {last:.3g} at step {len(values)}"
    if last <= first:
        return (f"The objective did not climb: {ends}. Would another method, more steps or weaker priors help?")
    share = (values[middle - 1] - first) / (last - first)
    if share >= 1:
        return (f"The objective went {ends}, and by step {middle} (half the steps) it had already reached that "
                "level: the second half added nothing. Would more steps change the picture, or only the time it "
                "took?")
    if share >= EARLY_SHARE:
        return (f"Most of the climb came early: the objective went {ends}, and the first half of the steps (to step "
                f"{middle}) made {share:.0%} of that rise; the second half added only {1 - share:.0%}.")
    return (f"The objective was still climbing: it went {ends}, and the first half of the steps (to step {middle}) "
            f"made only {max(share, 0.0):.0%} of that rise. Would more steps raise it further?")


def prior_range_notice(scores: dict[str, float], baseline: str = "no prior") -> str:
    """What to notice in comparison (d): how far apart the runs landed, and what the costliest prior kept."""
    low = min(scores, key=scores.get)
    high = max(scores, key=scores.get)
    text = (f"Same unit, same steps, only p(x) changed: the {len(scores)} runs range from **{scores[low]:.3g}** "
            f"({low}) to **{scores[high]:.3g}** ({high}). ")
    base = scores[baseline]
    if low == baseline:
        text += "No prior scored lowest of all: every prior helped the optimiser here. "
    elif base > 0:
        text += f"The costliest prior, {low}, kept {scores[low] / base:.0%} of no prior's activation. "
    else:
        text += f"The costliest prior was {low}. "
    return text + "Which of the pictures would you show as \"what this unit wants to see\"?"
