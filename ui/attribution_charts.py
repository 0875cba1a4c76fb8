"""Charts and tables of the attribution lesson: deletion curves and their areas."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from lessons.attribution.ranking import DeletionCurve

AREA_COLUMN = "area (lower = better)"


def deletion_chart(curves: Sequence[DeletionCurve], class_name: str) -> alt.Chart:
    """Every map's deletion curve: the class probability against the fraction of pixels removed."""
    frame = pd.DataFrame([{"method": c.title, "removed": float(f), "probability": float(p)}
                          for c in curves for f, p in zip(c.removed, c.probability)])
    return alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("removed:Q", title="fraction of pixels removed (most attributed first)", axis=alt.Axis(format="%")),
        y=alt.Y("probability:Q", title=f"P({class_name})"),
        color=alt.Color("method:N", title=None), tooltip=["method", "removed", "probability"],
    ).properties(height=320)


def areas_table(ranked: Sequence[tuple[str, float]]) -> pd.DataFrame:
    """The deletion areas as a two-column table (method, area), in the order given."""
    return pd.DataFrame(list(ranked), columns=["method", AREA_COLUMN])
