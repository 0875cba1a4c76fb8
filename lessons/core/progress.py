"""The one progress type: a callable taking (fraction done in [0, 1], a short message), and its sub-range helper."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float, str], None]


def silent(fraction: float, message: str) -> None:
    """A progress callback that reports nothing."""


def sub_range(progress: Progress | None, start: float, end: float, prefix: str = "") -> Progress:
    """A callback whose 0…1 maps onto `start`…`end` of `progress` (a stage of a longer job), with an optional prefix.

    `None` gives a silent callback, so compute can always call the result.
    """
    if progress is None:
        return silent
    span = end - start

    def report(fraction: float, message: str) -> None:
        done = start + span * min(max(float(fraction), 0.0), 1.0)
        progress(done, f"{prefix}{message}" if prefix else message)

    return report


def steps(progress: Progress | None, total: int, message: str) -> Callable[[int], None]:
    """A callback `tick(i)` reporting step i of `total` as a fraction, with `message` formatted by `{i}` / `{total}`."""
    report = progress or silent

    def tick(i: int) -> None:
        report(i / max(total, 1), message.format(i=i, total=total))

    return tick
