"""Altair charts shared by pages."""

from __future__ import annotations

import html
from collections.abc import Sequence

import altair as alt
import pandas as pd


def top_k_bars(pairs: Sequence[tuple[str, float]], title: str = "") -> alt.Chart:
    """Horizontal bars of (class, probability), best on top, with percentages."""
    frame = pd.DataFrame({"class": [p[0] for p in pairs], "probability": [p[1] for p in pairs]})
    frame["label"] = frame["probability"].map(lambda v: f"{v:.1%}")
    base = alt.Chart(frame, title=title).encode(
        y=alt.Y("class:N", sort=None, title=None, axis=alt.Axis(labelLimit=220, labelOverlap=False, labelFontSize=12)),
        x=alt.X("probability:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"), title="probability"),
        tooltip=["class", alt.Tooltip("probability:Q", format=".2%")],
    )
    bars = base.mark_bar(color="#3b5bdb", cornerRadiusEnd=3)
    text = base.mark_text(align="left", dx=4, color="#343a40").encode(text="label:N")
    return (bars + text).properties(height=40 * len(frame) + 30)


_KIND_COLOURS = {
    "conv": "#dbe4ff", "block": "#d3f9d8", "relu": "#fff3bf", "pool": "#ffe8cc", "norm": "#f1f3f5",
    "linear": "#ffdeeb", "flatten": "#f1f3f5", "input": "#e9ecef",
}


def stage_strip_html(stages: Sequence[tuple[str, str, str]], highlight: str | None = None) -> str:
    """The network as a wrapping row of cards (name, kind, output shape) joined by arrows; `highlight` is outlined."""
    cards = []
    for name, kind, shape in stages:
        border = "2px solid #e8590c" if name == highlight else "1px solid #adb5bd"
        cards.append(
            f'<div style="background:{_KIND_COLOURS.get(kind, "#f1f3f5")};border:{border};border-radius:8px;'
            f'padding:4px 8px;text-align:center;font-size:12px;line-height:1.3;min-width:72px">'
            f'<b>{html.escape(name)}</b><br><span style="color:#495057">{html.escape(kind)}</span><br>'
            f'<code style="font-size:11px;background:none">{html.escape(shape)}</code></div>'
        )
    arrow = '<div style="align-self:center;color:#868e96">→</div>'
    legend = " ".join(
        f'<span style="background:{colour};border:1px solid #adb5bd;border-radius:4px;padding:0 6px;'
        f'font-size:11px">{kind}</span>' for kind, colour in _KIND_COLOURS.items() if kind != "input"
    )
    return (f'<div style="display:flex;flex-wrap:wrap;gap:6px;align-items:stretch">{arrow.join(cards)}</div>'
            f'<div style="margin-top:6px">{legend}</div>')
