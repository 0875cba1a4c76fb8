"""Pictures for the topographic-maps lesson: class maps in a diverging colormap, the unit scatter with top images."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import altair as alt
import numpy as np
import pandas as pd
from matplotlib import colormaps
from PIL import Image, ImageDraw, ImageFont

from lessons.core.tiles import montage
from lessons.topomap import compute as topomap
from lessons.topomap.data import UnitActivations
from lessons.topomap.pipeline import CHANCE

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

BLANK = (255, 255, 255, 0)  # outside the units' hull: transparent


def map_rgba(one_map: np.ndarray, limit: float, upscale: int = 2) -> np.ndarray:
    """A 2-D map as an RGBA uint8 image in the `bwr` colormap on [−limit, limit]; NaN (outside the hull) is clear.

    Row 0 of the map is y = 0, so the image is flipped to put y = 0 at the bottom like the scatter plot.
    """
    m = np.asarray(one_map, dtype=np.float64)[::-1]
    rgba = (colormaps["bwr"](np.clip(0.5 + 0.5 * np.nan_to_num(m) / limit, 0, 1)) * 255).astype(np.uint8)
    rgba[~np.isfinite(m)] = BLANK
    if upscale > 1:
        rgba = np.repeat(np.repeat(rgba, upscale, axis=0), upscale, axis=1)
    return rgba


def colour_bar(width: int = 240, height: int = 14) -> np.ndarray:
    """A horizontal `bwr` colour bar, RGB uint8: the low end of the symmetric scale on the left, the high on the
    right (the caption beside it gives the numbers)."""
    ramp = np.linspace(0, 1, width)[None, :].repeat(height, axis=0)
    return (colormaps["bwr"](ramp)[..., :3] * 255).astype(np.uint8)


def data_uri(image: np.ndarray) -> str:
    """A small image as a data URI: PNG for grayscale (digits), JPEG for colour (a few kB per photo strip)."""
    buffer = io.BytesIO()
    if image.ndim == 2:
        Image.fromarray(image).save(buffer, format="PNG", optimize=True)
        kind = "png"
    else:
        Image.fromarray(image).save(buffer, format="JPEG", quality=80)
        kind = "jpeg"
    return f"data:image/{kind};base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def unit_scatter(coords: np.ndarray, colour_values: np.ndarray, preferred: Sequence[str],
                 top_strips: Sequence[np.ndarray] | None = None, title: str = "", colour_title: str = "value",
                 limit: float | None = None, selected: int | None = None) -> alt.Chart:
    """Scatter of the units on the sheet, coloured on a symmetric `bwr` scale; hovering shows the unit's number,
    preferred class and (if given) a strip of its top images; clicking selects it."""
    frame = pd.DataFrame({"x": coords[:, 0], "y": coords[:, 1], "unit": np.arange(len(coords)),
                          "value": np.asarray(colour_values, dtype=np.float64), "preferred": list(preferred)})
    tooltip = [alt.Tooltip("unit:Q", title="unit"), alt.Tooltip("preferred:N", title="prefers"),
               alt.Tooltip("value:Q", title=colour_title, format=".3f")]
    if top_strips is not None:
        frame["image"] = [data_uri(strip) for strip in top_strips]
        tooltip.append(alt.Tooltip("image:N", title="image"))  # vega-tooltip draws a field called "image"
    limit = limit or float(np.nanmax(np.abs(frame["value"]))) or 1.0
    pick = alt.selection_point(name="unit", fields=["unit"], on="click")
    frame["chosen"] = frame["unit"] == (selected if selected is not None else -1)
    chart = alt.Chart(frame, title=title).mark_circle(size=90, stroke="#212529").encode(
        x=alt.X("x:Q", scale=alt.Scale(domain=[0, 1]), title=None, axis=alt.Axis(labels=False, ticks=False)),
        y=alt.Y("y:Q", scale=alt.Scale(domain=[0, 1]), title=None, axis=alt.Axis(labels=False, ticks=False)),
        color=alt.Color("value:Q", scale=alt.Scale(scheme="redblue", reverse=True, domain=[-limit, limit]),
                        title=colour_title),
        strokeWidth=alt.condition("datum.chosen", alt.value(3), alt.value(0.3)),
        tooltip=tooltip,
    ).add_params(pick)
    return chart.properties(height=420)


LABEL_LIMIT = 240  # pixels: the longest layout name, "Graph (Fruchterman–Reingold)", fits whole
QUALITY_COLUMNS = {"resample_auc": "down/up-sampling AUC", "blur_auc": "blur AUC", "components": "blobs per map",
                   "component_px": "mean blob size (px)"}


def quality_bars(table: pd.DataFrame, column: str, title: str, width: int | str = "container") -> alt.Chart:
    """Horizontal bars of one quality column per layout method, best (lowest) on top, every name written in full;
    the random placement (chance) in grey."""
    frame = table.reset_index()
    label = QUALITY_COLUMNS.get(column, column)
    return alt.Chart(frame, title=title).mark_bar().encode(
        color=alt.condition(alt.datum.layout == CHANCE, alt.value("#adb5bd"), alt.value("#4263eb")),
        y=alt.Y("layout:N", sort=alt.EncodingSortField(column, order="ascending"), title=None,
                axis=alt.Axis(labelLimit=LABEL_LIMIT, labelOverlap=False, labelFontSize=12)),
        x=alt.X(f"{column}:Q", title=label, axis=alt.Axis(tickCount=4, format=".3~f")),
        tooltip=[alt.Tooltip("layout:N"), alt.Tooltip(f"{column}:Q", title=label, format=".4f")],
    ).properties(height=30 * len(frame), width=width)


def quality_figure(table: pd.DataFrame, width: int = 420) -> alt.VConcatChart:
    """Both error bars of the layout comparison, one above the other, at a fixed width (the picture to download)."""
    return alt.vconcat(
        quality_bars(table, "resample_auc", "Down/up-sampling error (lower = smoother)", width),
        quality_bars(table, "blur_auc", "Blur error (lower = smoother)", width),
    )


def thumbnail_captions(table: pd.DataFrame) -> list[str]:
    """One short caption per layout for its map thumbnail: the name and its two errors."""
    return [f"{name} · blur {row['blur_auc']:.4f} · resample {row['resample_auc']:.4f}"
            for name, row in table.iterrows()]


def maps_sheet(maps: np.ndarray, order: Sequence[int], names: Sequence[str], limit: float, per_row: int = 5,
               side: int = 200) -> np.ndarray:
    """Every class map in `order` on one white RGB sheet, each with its class name above, and a labelled colour bar
    at the bottom (the picture a student downloads)."""
    font = ImageFont.load_default(size=15)
    title_h, gap, rows = 24, 12, -(-len(order) // per_row)
    sheet = Image.new("RGB", (per_row * (side + gap) + gap, rows * (side + title_h + gap) + gap + 48), "white")
    draw = ImageDraw.Draw(sheet)
    for i, c in enumerate(order):
        x, y = gap + (i % per_row) * (side + gap), gap + (i // per_row) * (side + title_h + gap)
        tile = Image.fromarray(map_rgba(maps[c], limit, upscale=1)).resize((side, side), Image.Resampling.BILINEAR)
        sheet.paste(tile, (x, y + title_h), tile)
        draw.text((x, y), _fit(draw, str(names[c]), font, side), fill="black", font=font)
    bar_y = sheet.height - 40
    bar = Image.fromarray(colour_bar(width=side * 2, height=12))
    sheet.paste(bar, (gap, bar_y))
    draw.text((gap + side * 2 + gap, bar_y - 2), f"blue -{limit:.3g} · white 0 · red +{limit:.3g}", fill="black",
              font=font)  # an ASCII minus: the default font has no U+2212
    return np.asarray(sheet)


def _fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
         width: int) -> str:
    """`text` cut with an ellipsis so that it fits `width` pixels in `font`."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def top_image_strips(source: UnitActivations, k: int) -> list[np.ndarray]:
    """For every unit, a strip of the images that drive it hardest: k digits, or at most 3 photo crops."""
    side, k = (28, k) if source.images.ndim == 3 else (32, min(k, 3))
    return [montage(source.images[topomap.top_images(source.activations, u, k)], side=side)
            for u in range(source.units)]


def quality_table(table: pd.DataFrame) -> Styler:
    """The layout comparison with readable column names and rounded numbers, for st.dataframe."""
    shown = table.rename(columns=QUALITY_COLUMNS)
    return (shown.style.format("{:.4f}", subset=["down/up-sampling AUC", "blur AUC"])
            .format("{:.1f}", subset=["blobs per map", "mean blob size (px)"])
            .format("{:.2f}", subset=["seconds"]))


CENTRED = "activation (centred)"
CENTRED_HELP = ("The unit's mean activation over this class's images minus its average over all classes: positive = "
                "this class drives the unit more than the others do, negative = less.")


def unit_profile_table(names: Sequence[str], class_means: np.ndarray) -> pd.DataFrame:
    """One unit's centred class-mean activation for every class (full class names: the table to download)."""
    return pd.DataFrame({"class": list(names), CENTRED: np.asarray(class_means, dtype=np.float64)})


def short_names(table: pd.DataFrame, limit: int = 22) -> pd.DataFrame:
    """The table with class names longer than `limit` characters cut with an ellipsis (for a narrow column)."""
    cut = [n if len(n) <= limit else n[:limit - 1].rstrip() + "…" for n in table["class"]]
    return table.assign(**{"class": cut})


def units_table(coords: np.ndarray, class_profiles: np.ndarray, names: Sequence[str],
                preferred: Sequence[str]) -> pd.DataFrame:
    """Every unit's place on the sheet, preferred class and centred class means (the table behind the maps)."""
    frame = pd.DataFrame({"unit": np.arange(len(coords)), "x": coords[:, 0], "y": coords[:, 1],
                          "prefers": list(preferred)})
    values = pd.DataFrame(np.asarray(class_profiles, dtype=np.float64), columns=list(names))
    return pd.concat([frame, values], axis=1)
