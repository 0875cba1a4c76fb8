"""Which runs the activation-maximisation lesson asks for, built from a student's choices."""

from __future__ import annotations

import pytest

from lessons.actmax import compute as am
from lessons.actmax import plan

WEIGHTS = {"tv": 250.0, "l2": 400.0, "blur": 6.0, "centre": 90.0}
ALL_ON = dict.fromkeys(plan.PRIOR_NAMES, True)


def test_snapshots_are_evenly_spaced_and_end_at_the_last_step():
    assert plan.snapshot_steps(64) == (8, 16, 24, 32, 40, 48, 56, 64)
    assert plan.snapshot_steps(4) == (1, 2, 3, 4)  # no step 0, no repeats
    assert plan.snapshot_steps(13)[-1] == 13


def test_the_generator_is_offered_for_digits_only():
    assert "generator" in plan.offered_methods("digits")
    assert plan.offered_methods("imagenet") == ["fft", "pixel", "evolution"]


def test_priors_that_are_on_carry_their_weights_and_those_that_are_off_carry_nothing():
    on = plan.engine_settings("fft", 128, 32, 7, {"tv": True, "blur": True}, WEIGHTS)
    assert (on.tv, on.l2, on.blur_every, on.centre) == (250.0, 0.0, 6, 0.0)
    assert not on.transforms and on.init == "noise" and on.param == "fft"
    assert (on.steps, on.seed, on.lr, on.size) == (32, 7, plan.LR, 128)
    assert on.snapshots == plan.snapshot_steps(32)
    every = plan.engine_settings("pixel", 128, 32, 0, ALL_ON, WEIGHTS)
    assert every.transforms and every.init == "mean" and every.param == "pixel" and every.centre == 90.0


@pytest.mark.parametrize("method", ["evolution", "generator"])
def test_priors_act_on_gradient_ascent_only(method):
    settings = plan.engine_settings(method, 128, 16, 0, ALL_ON, WEIGHTS)
    assert not settings.transforms and settings.init == "noise"
    assert (settings.tv, settings.l2, settings.blur_every, settings.centre) == (0.0, 0.0, 0, 0.0)


def test_digits_are_too_small_to_jitter():
    assert not plan.engine_settings("fft", 28, 16, 0, ALL_ON, WEIGHTS).transforms
    assert plan.engine_settings("fft", 29, 16, 0, ALL_ON, WEIGHTS).transforms


def _request(method: str = "fft", size: int = 128) -> am.Request:
    return am.Request(am.Unit("channel", "blocks.8", 5), method, plan.engine_settings(method, size, 16, 0, ALL_ON,
                                                                                      WEIGHTS))


def test_comparison_runs_drop_the_snapshots_and_change_only_what_they_compare():
    request = _request()
    seeds = plan.seed_requests(request)
    assert [r.settings.seed for r in seeds] == list(plan.COMPARISON_SEEDS)
    assert all(r.settings.snapshots == () and r.settings.tv == request.settings.tv for r in seeds)
    twin = plan.twin_request(request)
    assert twin.settings.snapshots == () and twin.settings.seed == request.settings.seed
    diverse = plan.diverse_request(request, 35.0)
    assert diverse.diversity == 35.0 and diverse.settings.batch == plan.DIVERSE_BATCH and diverse.unit == request.unit
    assert plan.diverse_request(request, 0.0) is None
    assert plan.diverse_request(_request("evolution"), 35.0) is None


def test_each_prior_on_its_own_switches_on_exactly_one_prior():
    runs = plan.prior_requests(_request(), WEIGHTS)
    assert list(runs) == ["no prior", "jitter/scale/rotate", "total variation", "L2 decay", "blur every 6",
                          "centre bias", "mean-image start"]

    def priors_on(settings) -> list[str]:
        flags = {"transforms": settings.transforms, "tv": settings.tv, "l2": settings.l2,
                 "blur": settings.blur_every, "centre": settings.centre, "mean": settings.init == "mean"}
        return [name for name, value in flags.items() if value]

    assert [priors_on(r.settings) for r in runs.values()] == [[], ["transforms"], ["tv"], ["l2"], ["blur"],
                                                              ["centre"], ["mean"]]
    assert runs["total variation"].settings.tv == 250.0 and runs["blur every 6"].settings.blur_every == 6
    assert runs["mean-image start"].settings.param == "pixel"
    assert all(r.settings.snapshots == () for r in runs.values())


def test_the_digit_comparison_runs_pixels_and_the_generator_alike():
    request = _request(size=28)
    runs = plan.digit_requests(request)
    assert [r.method for r in runs.values()] == ["pixel", "generator"]
    pixel, generated = runs.values()
    assert pixel.settings == generated.settings and pixel.settings.param == "pixel"
    assert not pixel.settings.transforms and pixel.unit == request.unit
