"""Altair charts of the model-zoo lesson: one point per network (hover for its name and numbers), Conwell-style."""

from __future__ import annotations

import altair as alt
import pandas as pd

TRAINED_COLOUR = "#3b5bdb"
RANDOM_COLOUR = "#e8590c"
CHANCE_COLOUR = "#adb5bd"
HEIGHT = 280


def _tooltip(extra: list[alt.Tooltip] | None = None) -> list:
    return [alt.Tooltip("title:N", title="network"), alt.Tooltip("weights_label:N", title="weights"),
            *(extra or []), alt.Tooltip("score:Q", title="best-layer score", format=".3f"),
            alt.Tooltip("chance:Q", title="chance at that layer", format=".3f"),
            alt.Tooltip("best_layer:N", title="best layer")]


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["weights_label"] = out["trained"].map({True: "trained", False: "random"})
    return out


def _chance_ticks(base: alt.Chart, x: alt.X) -> alt.Chart:
    """Each network's chance level (shuffled images at its best layer), a grey tick under its point."""
    return base.mark_tick(color=CHANCE_COLOUR, thickness=2, size=14).encode(
        x=x, y=alt.Y("chance:Q"), tooltip=_tooltip())


def score_scatter(frame: pd.DataFrame, x_field: str, x_title: str, title: str, *, log_x: bool = False,
                  x_format: str = "") -> alt.Chart:
    """Best-layer score against one property of the networks (one point each), chance as a grey tick below."""
    data = _labelled(frame.dropna(subset=[x_field, "score"]))
    scale = alt.Scale(type="log") if log_x else alt.Scale(zero=False, padding=12)
    x = alt.X(f"{x_field}:Q", title=x_title, scale=scale, axis=alt.Axis(format=x_format) if x_format else
              alt.Axis())
    base = alt.Chart(data, title=title)
    points = base.mark_circle(size=110, color=TRAINED_COLOUR, opacity=0.9).encode(
        x=x, y=alt.Y("score:Q", title="best-layer score (mean signed r²)"),
        tooltip=_tooltip([alt.Tooltip(f"{x_field}:Q", title=x_title, format=x_format or ",")]))
    return (_chance_ticks(base, x) + points).properties(height=HEIGHT)


def trained_vs_random(frame: pd.DataFrame, title: str) -> alt.Chart:
    """Each network's trained and random scores joined by a line (one line per architecture), chance ticks."""
    data = _labelled(frame)
    x = alt.X("weights_label:N", title=None, sort=["random", "trained"], scale=alt.Scale(padding=0.4),
              axis=alt.Axis(labelAngle=0))
    base = alt.Chart(data, title=title)
    lines = base.mark_line(color="#868e96", strokeWidth=1.5).encode(x=x, y="score:Q", detail="model:N",
                                                                   tooltip=_tooltip())
    points = base.mark_circle(size=110, opacity=0.95).encode(
        x=x, y=alt.Y("score:Q", title="best-layer score (mean signed r²)"),
        color=alt.Color("weights_label:N", scale=alt.Scale(domain=["trained", "random"],
                                                           range=[TRAINED_COLOUR, RANDOM_COLOUR]), legend=None),
        tooltip=_tooltip())
    return (_chance_ticks(base, x) + lines + points).properties(height=HEIGHT)


def by_task(frame: pd.DataFrame, title: str) -> alt.Chart:
    """Trained networks' scores by training task (one row per task, one point per network, the task's mean as a
    bar mark), chance ticks; tasks on the vertical axis so long names stay readable on a phone."""
    data = _labelled(frame)
    order = list(data.groupby("task")["score"].mean().sort_values(ascending=False).index)
    y = alt.Y("task:N", title=None, sort=order, axis=alt.Axis(labelLimit=220))
    base = alt.Chart(data, title=title)
    means = base.mark_tick(color="#212529", thickness=3, size=26).encode(
        x=alt.X("mean(score):Q"), y=y, tooltip=[alt.Tooltip("task:N"),
                                                 alt.Tooltip("mean(score):Q", title="mean score", format=".3f"),
                                                 alt.Tooltip("count():Q", title="networks")])
    chance = base.mark_tick(color=CHANCE_COLOUR, thickness=2, size=14).encode(x="chance:Q", y=y, tooltip=_tooltip())
    points = base.mark_circle(size=100, color=TRAINED_COLOUR, opacity=0.8).encode(
        x=alt.X("score:Q", title="best-layer score (mean signed r²)"), y=y, tooltip=_tooltip())
    return (chance + means + points).properties(height=alt.Step(48))
