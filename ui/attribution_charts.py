"""Charts, tables and figures of the attribution lesson: deletion curves and their areas, the sanity checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from lessons.attribution.ranking import DeletionCurve
from lessons.core.tiles import montage

AREA_COLUMN = "area (lower = better)"


def curves_table(curves: Sequence[DeletionCurve]) -> pd.DataFrame:
    """Every deletion curve's points as one long table (method, fraction removed, class probability)."""
    return pd.DataFrame([{"method": c.title, "removed": float(f), "probability": float(p)}
                         for c in curves for f, p in zip(c.removed, c.probability)])


def deletion_chart(curves: Sequence[DeletionCurve], class_name: str) -> alt.Chart:
    """Every map's deletion curve: the class probability against the fraction of pixels removed (legend below, so
    a phone-wide column keeps the whole plot)."""
    return alt.Chart(curves_table(curves)).mark_line(point=True).encode(
        x=alt.X("removed:Q", title="fraction of pixels removed (most attributed first)",
                axis=alt.Axis(format="%", labelFlush=True)),
        y=alt.Y("probability:Q", title=f"P({class_name})", axis=alt.Axis(titleLimit=260)),
        color=alt.Color("method:N", title=None, sort=[c.title for c in curves],
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=220)),
        tooltip=["method", alt.Tooltip("removed:Q", format=".0%"), alt.Tooltip("probability:Q", format=".3f")],
    ).properties(height=400, width="container")


def areas_table(ranked: Sequence[tuple[str, float]]) -> pd.DataFrame:
    """The deletion areas as a two-column table (method, area), in the order given."""
    return pd.DataFrame(list(ranked), columns=["method", AREA_COLUMN])


def correlations_table(correlations: Mapping[str, Mapping[str, float]], method_titles: Mapping[str, str],
                       twin_titles: Mapping[str, str]) -> pd.DataFrame:
    """The sanity checks' rank correlations as a table (method, damaged network, rho; empty where undefined)."""
    return pd.DataFrame([{"method": method_titles.get(method, method), "damaged network": twin_titles[twin],
                          "rank correlation with trained": None if np.isnan(rho) else round(float(rho), 4)}
                         for method, by_twin in correlations.items() for twin, rho in by_twin.items()])


def sanity_figure(rows: Sequence[Sequence[np.ndarray]]) -> np.ndarray:
    """The maps over the image as one picture: one row per network (trained, then each damaged one), one column per
    method, in the order the page shows them."""
    tiles = [tile for row in rows for tile in row]
    return montage(tiles, columns=len(rows[0]), pad=6)
