"""Declared page state: each page lists its settings once; reading, validating and writing the URL happen here.

In the spirit of tensorflow/playground's `State`: a `Setting` names a session key, its kind, default and allowed
values, and whether it travels in a shared link. A page builds one `PageState` from its settings (kept in
`ui/settings/<page>.py`), calls `start()` first thing, `bind()` for settings whose options are known only at run
time (a network's layers), gives each widget the setting's key, and calls `write_url()` last. Values come from the
session when set, else from the URL when valid, else from the default. Keys start with the page's prefix, except
the short list in `SHARED_KEYS`, which several pages read on purpose.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, NoReturn

import streamlit as st

Kind = Literal["choice", "int", "float", "bool", "text"]

#: Keys deliberately read by more than one page (none today: every page keeps its own).
SHARED_KEYS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Setting:
    """One declared piece of page state: a session key, its kind, default and allowed values."""

    key: str
    kind: Kind
    default: Any = None
    options: tuple[str, ...] | None = None  # choices; None when known only at run time (see `PageState.bind`)
    low: float | None = None
    high: float | None = None
    step: float | None = None  # grid of valid numbers from `low` (sliders with a step)
    in_link: bool = True  # written to the URL, so a shared link restores it
    resets_with: tuple[str, ...] = ()  # when any of these keys changes value, this one returns to its default

    def valid(self, value: Any) -> bool:
        """Whether `value` (already parsed) is allowed for this setting."""
        if self.kind == "choice":
            return self.options is None or value in self.options
        if self.kind == "text":
            return isinstance(value, str)
        if self.kind == "bool":
            return isinstance(value, bool)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if not math.isfinite(value) or (self.kind == "int" and int(value) != value):
            return False
        if self.step and self.low is not None:
            steps = (value - self.low) / self.step
            if abs(steps - round(steps)) > 1e-6:
                return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    @property
    def known_in_full(self) -> bool:
        """Whether the declaration alone says which values are valid (else the page binds them at run time)."""
        if self.kind == "choice":
            return bool(self.options)
        if self.kind in ("int", "float"):
            return self.low is not None and self.high is not None
        return True

    def parse(self, raw: str | None) -> Any:
        """The value a URL string stands for, or None when it is missing or does not parse."""
        if raw is None:
            return None
        if self.kind in ("choice", "text"):
            return raw
        if self.kind == "bool":
            return {"True": True, "False": False}.get(raw)
        try:
            number = float(raw)
        except ValueError:
            return None
        if number != number:  # NaN
            return None
        if self.kind == "int":
            return int(number) if number.is_integer() else None
        return number

    def fitted(self, value: Any) -> Any:
        """`value` with the setting's type (an int slider gets an int, a float slider a float)."""
        if self.kind == "int":
            return int(value)
        if self.kind == "float":
            return float(value)
        return value

    def random_value(self, rng: random.Random) -> Any:
        """A random valid value (for tests that open a page from a random shared link)."""
        if self.kind == "choice":
            return rng.choice(self.options) if self.options else self.default
        if self.kind == "text":
            return self.default
        if self.kind == "bool":
            return rng.random() < 0.5
        low, high = self.low, self.high
        if self.step:
            count = int(round((high - low) / self.step))
            return self.fitted(round(low + self.step * rng.randint(0, count), 10))
        if self.kind == "int":
            return rng.randint(int(low), int(high))
        return round(rng.uniform(low, high), 3)


def choice(key: str, default: str | None = None, options: Sequence[str] | None = None, **more: Any) -> Setting:
    """A setting chosen from a list of strings (selectbox, radio, segmented control)."""
    return Setting(key, "choice", default, None if options is None else tuple(options), **more)


def integer(key: str, default: int, low: int | None = None, high: int | None = None, **more: Any) -> Setting:
    """A whole-number setting (an integer slider or number input)."""
    return Setting(key, "int", default, low=low, high=high, **more)


def number(key: str, default: float, low: float | None = None, high: float | None = None, **more: Any) -> Setting:
    """A real-number setting (a float slider)."""
    return Setting(key, "float", float(default), low=low, high=high, **more)


def flag(key: str, default: bool, **more: Any) -> Setting:
    """An on/off setting (a toggle or checkbox)."""
    return Setting(key, "bool", bool(default), **more)


def text(key: str, default: str = "", **more: Any) -> Setting:
    """A free-text setting (an encoded list of edits, for example)."""
    return Setting(key, "text", default, **more)


def bound_key(key: str) -> str:
    """The session key under which `PageState.bind` keeps a setting's run-time options and range."""
    return f"_{key}_bound"


_RUNNING = "_running_page_state"  # session state: the PageState of the page running now


def stop_page() -> NoReturn:
    """Stop the page here, its link first brought up to date (the URL is otherwise written last thing on the
    page, which a stopped run never reaches)."""
    running = st.session_state.get(_RUNNING)
    if running is not None:
        running.write_url()
    st.stop()


class PageState:
    """The declared settings of one page, with the one way to seed, bind, reset and share them."""

    def __init__(self, prefix: str, *settings: Setting) -> None:
        self.prefix = prefix
        self.settings: dict[str, Setting] = {}
        for setting in settings:
            if setting.key in self.settings:
                raise ValueError(f"{setting.key!r} is declared twice")
            if not setting.key.startswith(prefix) and setting.key not in SHARED_KEYS:
                raise ValueError(f"{setting.key!r} must start with {prefix!r} or be in SHARED_KEYS")
            self.settings[setting.key] = setting
        for setting in settings:
            unknown = set(setting.resets_with) - set(self.settings)
            if unknown:
                raise ValueError(f"{setting.key!r} resets with undeclared {sorted(unknown)}")

    # -------------------------------------------------------------------------------------------------- declaring
    def __getitem__(self, key: str) -> Setting:
        return self.settings[key]

    def link_keys(self) -> list[str]:
        """Keys that a shared link carries, in declaration order."""
        return [key for key, setting in self.settings.items() if setting.in_link]

    # ------------------------------------------------------------------------------------------------ on the page
    def start(self) -> None:
        """First thing on the page: keep every setting the session holds, seed every setting whose allowed values
        are declared, then apply resets (a setting whose `resets_with` keys changed since the last run goes back to
        its default).

        Keeping means writing each held value back before any widget is drawn: Streamlit forgets a widget's value
        after a run that does not draw it, so a setting whose widget is hidden for a while (the layer while a class
        is chosen instead) would come back at its default."""
        st.session_state[_RUNNING] = self  # what `stop_page` brings the link up to date from
        for key in self.settings:
            if key in st.session_state:
                st.session_state[key] = st.session_state[key]
        static = [s for s in self.settings.values() if s.known_in_full]
        for setting in static:
            self._seed(setting)
        self._apply_resets()
        for setting in static:
            self._seed(setting)

    def bind(self, key: str, *, options: Sequence[str] | None = None, low: float | None = None,
             high: float | None = None, default: Any = None) -> Any:
        """Seed a setting whose options, range or default are known only now; returns its current value."""
        setting = self.settings[key]
        changes: dict[str, Any] = {}
        if options is not None:
            changes["options"] = tuple(options)
        if low is not None:
            changes["low"] = low
        if high is not None:
            changes["high"] = high
        if default is not None:
            changes["default"] = default
        bound = replace(setting, **changes)
        if bound.kind == "choice" and bound.options and not bound.valid(bound.default):
            bound = replace(bound, default=bound.options[0])
        st.session_state[bound_key(key)] = bound  # what the page allows now (tests draw random links from it)
        return self._seed(bound)

    def value(self, key: str) -> Any:
        """The setting's current value (its default when not seeded yet)."""
        return st.session_state.get(key, self.settings[key].default)

    def set(self, key: str, value: Any) -> None:
        """Change a setting from code (before its widget is drawn on this run)."""
        st.session_state[key] = self.settings[key].fitted(value)

    def forget(self, *keys: str) -> None:
        """Send these settings back to their defaults on the next seeding (session and URL)."""
        for key in keys:
            st.session_state.pop(key, None)
            st.query_params.pop(key, None)

    def reset_on_change(self, name: str, value: Any, *keys: str) -> None:
        """When a run-time `value` (an image id, not a declared setting) differs from the last run's, send `keys`
        back to their defaults. The first run of a session never resets, so a shared link's values win."""
        marker = f"_{self.prefix}{name}_follows"
        before = st.session_state.get(marker)
        if before is not None and before != value:
            self.forget(*keys)
        st.session_state[marker] = value

    def write_url(self) -> None:
        """Last thing on the page: the URL carries the current value of every setting that goes in a link.

        A setting not seeded on this run (its section was not shown) keeps whatever the URL already says."""
        for key in self.link_keys():
            value = st.session_state.get(key)
            if value is None:
                continue
            if value == "" and self.settings[key].kind == "text":
                st.query_params.pop(key, None)  # an empty text setting stays out of the link
                continue
            if st.query_params.get(key) != str(value):
                st.query_params[key] = str(value)

    # ---------------------------------------------------------------------------------------------------- private
    def _seed(self, setting: Setting) -> Any:
        key = setting.key
        current = st.session_state.get(key)
        if key in st.session_state and setting.valid(current):
            return current
        from_url = setting.parse(st.query_params.get(key)) if key not in st.session_state else None
        value = from_url if from_url is not None and setting.valid(from_url) else setting.default
        if value is None and setting.kind == "choice" and setting.options:
            value = setting.options[0]
        if value is not None:
            value = setting.fitted(value)
            if not setting.valid(value) and setting.low is not None and setting.high is not None:
                value = setting.fitted(min(max(value, setting.low), setting.high))  # a default outside a range
                                                                                    # known only now
        st.session_state[key] = value
        return value

    def _apply_resets(self) -> None:
        for setting in self.settings.values():
            if not setting.resets_with:
                continue
            marker = f"_{setting.key}_follows"
            now = tuple(str(st.session_state.get(k, self.settings[k].default)) for k in setting.resets_with)
            before = st.session_state.get(marker)
            if before is not None and before != now:
                self.forget(setting.key)
            st.session_state[marker] = now


