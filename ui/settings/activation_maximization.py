"""Declared settings of the activation-maximisation page ("What does a neuron want to see?")."""

from __future__ import annotations

from dataclasses import dataclass

from ui.models import model_settings
from ui.state import PageState, choice, flag, integer, number

NETWORKS = ("efficientnet_lite0", "digit_cnn")
TARGETS = {"class": "A class score", "channel": "A channel (whole feature map)",
           "neuron": "One neuron (centre of a feature map)"}
METHODS = {"fft": "Gradient ascent, Fourier pixels", "pixel": "Gradient ascent, raw pixels",
           "evolution": "Evolution (no gradients)", "generator": "Generator prior (digits)"}


@dataclass(frozen=True)
class Prior:
    """One prior p(x) the student can switch on: its toggle, and the slider of its weight when it has one."""

    label: str
    help: str
    on: bool = False  # switched on by default
    weight_key: str | None = None
    low: float = 0.0
    high: float = 0.0
    weight: float = 0.0  # default weight
    whole_steps: bool = False  # the weight is a whole number of steps (blur every k steps)


PRIORS = {
    "transforms": Prior("Jitter, scale, rotate",
                        "Mordvintsev et al. 2015: shift, zoom and turn the image a little every step, so only patterns "
                        "that survive small changes grow.", on=True),
    "tv": Prior("Total variation",
                "Mahendran & Vedaldi 2015: penalise differences between neighbouring pixels (piecewise-smooth images).",
                weight_key="am_w_tv", low=10.0, high=2000.0, weight=200.0),
    "l2": Prior("L2 decay", "Simonyan et al. 2014: penalise distance from mid-grey, so no pixel runs to an extreme.",
                weight_key="am_w_l2", low=10.0, high=3000.0, weight=300.0),
    "blur": Prior("Blur every k steps",
                  "Yosinski et al. 2015: blur the image every k steps, which removes high frequencies as they appear.",
                  weight_key="am_w_blur", low=2, high=16, weight=4, whole_steps=True),
    "centre": Prior("Centre bias",
                    "Nguyen et al. 2016: penalise anything away from the centre, where objects usually sit in photos.",
                    weight_key="am_w_centre", low=10.0, high=3000.0, weight=300.0),
    "mean_init": Prior("Start from the mean image",
                       "Nguyen et al. 2016: start from the average of the shipped images instead of noise "
                       "(raw pixels only)."),
}


def _prior_settings() -> list:
    settings = []
    for name, prior in PRIORS.items():
        settings.append(flag(f"am_{name}", prior.on))
        if prior.weight_key and prior.whole_steps:
            settings.append(integer(prior.weight_key, int(prior.weight), int(prior.low), int(prior.high)))
        elif prior.weight_key:
            settings.append(number(prior.weight_key, prior.weight, prior.low, prior.high))
    return settings


STATE = PageState(
    "am_",
    *model_settings("am_model", NETWORKS, "efficientnet_lite0", weights_key="am_weights"),
    choice("am_target", "channel", list(TARGETS)),
    choice("am_method", "fft"),  # options bound on the page: the generator prior only for the digit CNN
    choice("am_layer"),  # the network's layers with feature maps, bound on the page
    integer("am_class", 5, 0, None),  # the class whose score is maximised; the network's classes, bound on the page
    integer("am_unit", 5, 0, None),  # the channel (or the neuron at its centre): the layer's channels, bound on page
    *_prior_settings(),
    integer("am_steps", 64, 4, 256),
    integer("am_seed", 0, 0, 999),
    number("am_diversity", 20.0, 0.0, 100.0, step=5.0),
)
