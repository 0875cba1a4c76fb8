"""Pictures, charts and HTML tables for the Convolution lesson (arrays in; RGB arrays, Altair charts or HTML out)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from functools import lru_cache

import altair as alt
import numpy as np
import pandas as pd
from matplotlib import colormaps

from lessons.convolution.compute import ConvGeometry, PixelBreakdown, SlideStep
from lessons.convolution.hog import Tolerance, cell_patch
from lessons.convolution.kernels import Display
from lessons.convolution.template_matching import Match, MovedSearch, RotationSweep

SIGNED_CMAP = "RdBu_r"  # blue below zero, white at zero, red above
_SIGNED_LUT = colormaps[SIGNED_CMAP](np.linspace(0.0, 1.0, 256))[:, :3]  # looked up, not re-made, per pixel
ORANGE = (232, 89, 12)
BLUE = (25, 113, 194)
GREEN = (47, 158, 68)
RED = (224, 49, 49)
CYAN = (76, 201, 240)
MATCH_COLOURS = [(47, 158, 68), (174, 62, 201), (240, 140, 0), (12, 166, 120), (230, 73, 128)]
MATCH_COLOUR_NAMES = ["green", "purple", "orange", "teal", "pink"]


# -------------------------------------------------------------------------------------------------- image colours
def gray_rgb(image: np.ndarray, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """H×W values → H×W×3 uint8 grey, `lo` black and `hi` white (values outside are clipped)."""
    scaled = np.clip((np.asarray(image, dtype=np.float32) - lo) / max(hi - lo, 1e-12), 0, 1)
    return np.repeat((scaled * 255).round().astype(np.uint8)[:, :, None], 3, axis=2)


def signed_rgb(image: np.ndarray, limit: float) -> np.ndarray:
    """H×W signed values → diverging colours centred on 0 (white), ±limit fully blue / red."""
    t = np.clip(np.asarray(image, dtype=np.float32) / max(limit, 1e-12) * 0.5 + 0.5, 0, 1)
    return (_SIGNED_LUT[np.round(t * 255).astype(np.intp)] * 255).round().astype(np.uint8)


def robust_limit(*images: np.ndarray, percentile: float = 99.5) -> float:
    """A shared colour limit for signed or magnitude images: a high percentile of |value| (never 0)."""
    values = np.concatenate([np.abs(np.asarray(i, dtype=np.float32)).ravel() for i in images])
    return float(max(np.percentile(values, percentile), 1e-6))


def render(output: np.ndarray, display: Display, limit: float | None = None) -> tuple[np.ndarray, str]:
    """Colour an output map for display; returns the RGB picture and a caption describing the colour scale."""
    if display == "signed":
        limit = robust_limit(output) if limit is None else limit
        return signed_rgb(output, limit), f"blue < 0 < red; full colour at ±{limit:.3g}"
    if display == "magnitude":
        limit = robust_limit(output) if limit is None else limit
        return gray_rgb(output, 0.0, limit), f"black = 0, white ≥ {limit:.3g}"
    clipped = float(np.mean((output < 0) | (output > 1)))
    note = f"; {clipped:.1%} of pixels fall outside and are clipped" if clipped >= 0.0005 else ""
    return gray_rgb(output), f"grey scale 0 (black) … 1 (white){note}"


def enlarge(rgb: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement (every pixel becomes a factor×factor block)."""
    return np.repeat(np.repeat(rgb, factor, axis=0), factor, axis=1)


def draw_box(rgb: np.ndarray, top: float, left: float, height: float, width: float,
             colour: tuple[int, int, int] = ORANGE, thickness: int = 2) -> np.ndarray:
    """Return a copy of `rgb` with a rectangle outline; the box may stick out of the picture (it is clipped)."""
    out = rgb.copy()
    h, w = out.shape[:2]
    t, l = round(top), round(left)
    b, r = t + round(height) - 1, l + round(width) - 1
    for i in range(thickness):
        for row in (t - i, b + i):
            if 0 <= row < h:
                out[row, max(0, l - i):min(w, r + i + 1)] = colour
        for col in (l - i, r + i):
            if 0 <= col < w:
                out[max(0, t - i):min(h, b + i + 1), col] = colour
    return out


def boxed(image_rgb: np.ndarray, boxes: Sequence[tuple[float, float, float, float, tuple[int, int, int]]],
          factor: int = 2, thickness: int = 2) -> np.ndarray:
    """Enlarge a picture and draw boxes given as (top, left, height, width, colour) in original pixels."""
    out = enlarge(image_rgb, factor)
    for top, left, height, width, colour in boxes:
        out = draw_box(out, top * factor, left * factor, height * factor, width * factor, colour, thickness)
    return out


def zoom(image: np.ndarray, row: int, col: int, side: int, radius: int, factor: int = 16) -> np.ndarray:
    """A close-up of the (2·radius + 1)² neighbourhood of (row, col), with the side×side kernel footprint outlined."""
    r = max(radius, side // 2)
    padded = np.pad(np.asarray(image, dtype=np.float32), r, mode="constant", constant_values=np.nan)
    crop = padded[row:row + 2 * r + 1, col:col + 2 * r + 1]
    rgb = gray_rgb(np.nan_to_num(crop, nan=0.0))
    rgb[np.isnan(crop)] = (233, 236, 239)  # outside the image
    big = enlarge(rgb, factor)
    k = side // 2
    big = draw_box(big, (r - k) * factor, (r - k) * factor, side * factor, side * factor, ORANGE, 3)
    return draw_box(big, r * factor, r * factor, factor, factor, BLUE, 2)


def hog_overlay(image: np.ndarray, drawing: np.ndarray, cell: tuple[int, int] | None = None,
                pixels_per_cell: int = 8) -> np.ndarray:
    """The HOG drawing in yellow over a dimmed copy of the image; `cell` (row, col) is outlined."""
    base = gray_rgb(image).astype(np.float32) * 0.45
    strength = np.clip(drawing / max(float(np.percentile(drawing[drawing > 0], 99)) if np.any(drawing > 0)
                                     else 1.0, 1e-12), 0, 1)[..., None]
    yellow = np.array([255, 212, 59], dtype=np.float32)
    out = (base * (1 - strength) + yellow * strength).round().astype(np.uint8)
    out = enlarge(out, 2)
    if cell is not None:
        size = pixels_per_cell * 2
        out = draw_box(out, cell[0] * size, cell[1] * size, size, size, CYAN, 2)
    return out


# ------------------------------------------------------------------------------------------- the page's pictures
def patch_picture(gray: np.ndarray, row: int, col: int, side: int) -> np.ndarray:
    """The image with the side×side patch a kernel centred on (row, col) covers outlined in orange."""
    half = side // 2
    return boxed(gray_rgb(gray), [(row - half, col - half, side, side, ORANGE)])


def patch_close_up(gray: np.ndarray, row: int, col: int, side: int) -> np.ndarray:
    """A close-up of that patch with a little context (at least 4, at most 12 pixels around the centre)."""
    return zoom(gray, row, col, side, radius=min(max(side // 2 + 2, 4), 12))


def kernel_titles(count: int, title: str, flipped: bool) -> list[str]:
    """Titles of the kernel grids: Sobel x and y for the magnitude's two kernels, else the kernel's title."""
    titles = ["Sobel x", "Sobel y"] if count == 2 else [title]
    return [t + (" (flipped)" if flipped else "") for t in titles]


def matches_picture(gray: np.ndarray, row: int, col: int, size: int, matches: Sequence[Match]) -> np.ndarray:
    """The image with the template's place (blue, just outside) and the best matches in their colours."""
    boxes = [(row - 1.5, col - 1.5, size + 3, size + 3, BLUE)] + [
        (m.row, m.col, size, size, MATCH_COLOURS[i]) for i, m in enumerate(matches)][::-1]
    return boxed(gray_rgb(gray), boxes)


def ncc_picture(scores: np.ndarray, size: int, matches: Sequence[Match]) -> np.ndarray:
    """The NCC map on the image's grid (blue −1, white 0, red +1), each match's corner marked in black."""
    padded = np.pad(scores, ((0, size - 1), (0, size - 1)), constant_values=0.0)
    return boxed(signed_rgb(padded, 1.0), [(m.row, m.col, 1, 1, (0, 0, 0)) for m in matches], thickness=3)


def template_picture(template: np.ndarray) -> np.ndarray:
    """The template enlarged to about 128 pixels."""
    return enlarge(gray_rgb(template), max(1, 128 // template.shape[0]))


def moved_picture(search: MovedSearch, size: int) -> np.ndarray:
    """The moved image: where the template's content went (blue) and the best match (green if right, red if not)."""
    side = search.content_side
    return boxed(gray_rgb(search.image), [
        (search.content_top, search.content_left, side, side, BLUE),
        (search.best.row, search.best.col, size, size, GREEN if search.found else RED)])


def cell_picture(gray: np.ndarray, row: int, col: int, pixels_per_cell: int) -> np.ndarray:
    """The image with HOG cell (row, col) outlined."""
    size = pixels_per_cell
    return boxed(gray_rgb(gray), [(row * size, col * size, size, size, CYAN)])


def cell_close_up(gray: np.ndarray, row: int, col: int, pixels_per_cell: int) -> np.ndarray:
    """HOG cell (row, col) enlarged to about 96 pixels."""
    return enlarge(gray_rgb(cell_patch(gray, row, col, pixels_per_cell)), max(1, 96 // pixels_per_cell))


# -------------------------------------------------------------------------------------------------- HTML tables
def _hex(rgb: Sequence[float]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb[:3])


def _signed_colour(value: float, limit: float) -> tuple[str, str]:
    """Background and text colour of a signed number on the diverging scale."""
    rgba = _SIGNED_LUT[round(255 * (0.5 + 0.5 * float(np.clip(value / max(limit, 1e-12), -1, 1))))]
    luminance = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2]
    return _hex(rgba), "#ffffff" if luminance < 0.5 else "#212529"


def _gray_colour(value: float) -> tuple[str, str]:
    v = float(np.clip(value, 0, 1))
    return _hex((v, v, v)), "#ffffff" if v < 0.55 else "#212529"


def format_number(value: float, digits: int = 4) -> str:
    """A short number for a grid cell: integers bare, others to `digits` decimals (trailing zeros dropped),
    tiny non-zero values as 2e-05."""
    value = float(value)
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e6:
        return f"{int(value)}"
    if abs(value) < 0.5 * 10 ** -digits:
        return f"{value:.0e}"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


_TABLE = ('border-collapse:collapse;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;'
          'font-size:{size}px;margin:0')
_CELL = 'border:1px solid #ced4da;padding:{pad}px;text-align:center;min-width:{width}px;background:{bg};color:{fg}'


def grid_html(values: np.ndarray, colours: str = "signed", digits: int = 3, size: int = 13,
              outside: np.ndarray | None = None, limit: float | None = None) -> str:
    """A numeric grid as an HTML table, cells coloured by value ("signed", "gray" or "plain")."""
    values = np.asarray(values, dtype=np.float64)
    limit = float(np.max(np.abs(values))) if limit is None else limit
    width = 34 if values.shape[1] > 5 else 44
    pad = 2 if values.shape[1] > 5 else 4
    rows = []
    for i, line in enumerate(values):
        cells = []
        for j, v in enumerate(line):
            if colours == "signed":
                bg, fg = _signed_colour(v, limit)
            elif colours == "gray":
                bg, fg = _gray_colour(v)
            else:
                bg, fg = "#ffffff", "#212529"
            style = _CELL.format(pad=pad, width=width, bg=bg, fg=fg)
            text = format_number(v, digits)
            if outside is not None and outside[i, j]:
                style += ";font-style:italic;border-style:dashed"
                text = f"{text}*"
            cells.append(f'<td style="{style}">{html.escape(text)}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<div style="overflow-x:auto;max-width:100%"><table style="{_TABLE.format(size=size)}">'
            f'{"".join(rows)}</table></div>')


def kernel_html(kernel: np.ndarray, title: str = "") -> str:
    """The kernel's numbers as a colour-coded grid (blue negative, white zero, red positive) with its sum."""
    big = kernel.shape[0] > 9
    if big:  # show only the middle 9×9 of a large blur kernel
        start = (kernel.shape[0] - 9) // 2
        shown = kernel[start:start + 9, start:start + 9]
    else:
        shown = kernel
    digits = 4 if np.any((np.abs(kernel) > 0) & (np.abs(kernel) < 0.01)) else 3
    note = (f'<div style="font-size:12px;color:#495057">middle 9×9 of {kernel.shape[0]}×{kernel.shape[1]}</div>'
            if big else "")
    heading = f'<div style="font-weight:600;margin-bottom:4px">{html.escape(title)}</div>' if title else ""
    grid = grid_html(shown, "signed", digits, size=12 if shown.shape[0] > 5 else 14,
                     limit=float(np.max(np.abs(kernel))))
    return (f"<div>{heading}{grid}"
            f'{note}<div style="font-size:12px;color:#495057;margin-top:4px">{kernel.shape[0]}×{kernel.shape[1]}, '
            f"sum = {format_number(float(kernel.sum()), 4)}</div></div>")


def _middle(values: np.ndarray, side: int) -> np.ndarray:
    start = max(0, (values.shape[0] - side) // 2)
    return values[start:start + side, start:start + side]


def breakdown_html(parts: Sequence[tuple[str, PixelBreakdown]], max_side: int = 11) -> str:
    """Patch × kernel = products, summed, for one or more kernels, with every number visible (kernels up to
    max_side wide; for larger ones the middle max_side × max_side is shown while the sum covers all products)."""
    blocks = []
    cropped = any(part.kernel.shape[0] > max_side for _, part in parts)
    if cropped:
        parts = [(label, PixelBreakdown(p.row, p.col, _middle(p.patch, max_side), _middle(p.outside, max_side),
                                        _middle(p.kernel, max_side), _middle(p.products, max_side), p.total))
                 for label, p in parts]
    op = 'style="align-self:center;font-size:22px;color:#495057;padding:0 6px"'
    for label, part in parts:
        heading = f'<div style="font-weight:600;margin:6px 0 4px">{html.escape(label)}</div>' if label else ""
        limit = float(np.max(np.abs(part.products))) or 1.0
        blocks.append(
            f'{heading}<div style="display:flex;flex-wrap:wrap;gap:4px;align-items:flex-start">'
            f'<div><div style="font-size:12px;color:#495057">input patch</div>'
            f'{grid_html(part.patch, "gray", 3, outside=part.outside)}</div>'
            f"<div {op}>×</div>"
            f'<div><div style="font-size:12px;color:#495057">kernel</div>{grid_html(part.kernel, "signed", 3)}</div>'
            f"<div {op}>=</div>"
            f'<div><div style="font-size:12px;color:#495057">products</div>'
            f'{grid_html(part.products, "signed", 4, limit=limit)}</div>'
            f"<div {op}>→</div>"
            f'<div style="align-self:center;font-size:15px">sum = <b>{part.total:.4f}</b></div></div>'
        )
    note = ""
    if cropped:
        note += (f'<div style="font-size:12px;color:#495057;margin-top:4px">Only the middle {max_side}×{max_side} '
                 "of the grids is shown; the sum adds up every product of the full kernel.</div>")
    if any(part.outside.any() for _, part in parts):
        note += ('<div style="font-size:12px;color:#495057;margin-top:4px">* outside the image: a value made up '
                 "by the padding.</div>")
    return "".join(blocks) + note


# ------------------------------------------------------------------------------------------------ chart specs
# Charts are built once per shape with Altair (named, empty data sets) and cached as Vega-Lite dicts; each rerun
# only swaps in the data. Building and validating an Altair chart costs tens of milliseconds, a swap almost nothing.
def _spec(chart: alt.TopLevelMixin) -> dict:
    spec = chart.to_dict()
    spec.pop("config", None)  # Altair's default theme would fix the width; the page's theme applies instead
    spec.pop("datasets", None)
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}  # stretch the width; height is the plot's own
    return spec


def with_data(base: dict, **tables: pd.DataFrame) -> dict:
    """A copy of a cached Vega-Lite spec with its named data sets filled in."""
    spec = dict(base)
    spec["datasets"] = dict(tables)  # Streamlit sends each table as Arrow
    return spec


_Y_EXTENT = 58  # room for the y-axis labels, the same in every panel so the x axes line up


@lru_cache(maxsize=64)
def _slide_bases(n: int, r: int, lo: float, hi: float, w_lo: float, w_hi: float, p_max: float) -> tuple[dict, ...]:
    domain = [-r - 0.5, n - 1 + r + 0.5]
    x_axis = alt.X("x:Q", scale=alt.Scale(domain=domain, nice=False), title=None)
    y_scale = alt.Scale(domain=[lo, hi], nice=False)
    band = alt.Chart(alt.NamedData("band")).mark_rect(color="#ffe8cc", opacity=0.8).encode(
        x=alt.X("start:Q", scale=alt.Scale(domain=domain, nice=False), title=None), x2="end:Q")

    def y(field: str, title: str, scale: alt.Scale) -> alt.Y:
        """A y encoding with the shared axis width."""
        return alt.Y(f"{field}:Q", scale=scale, title=title, axis=alt.Axis(minExtent=_Y_EXTENT, tickCount=4))

    line = alt.Chart(alt.NamedData("signal")).mark_line(color="#868e96", strokeWidth=1.5).encode(
        x=x_axis, y=y("value", "signal", y_scale))
    dots = alt.Chart(alt.NamedData("window")).mark_circle(color="#1971c2", size=30, opacity=1).encode(
        x=x_axis, y=alt.Y("value:Q", scale=y_scale), tooltip=["x:Q", alt.Tooltip("value:Q", format=".3f")])
    signal = alt.layer(band, line, dots).properties(
        height=120, title="Signal — the blue samples lie under the kernel")

    weights = alt.layer(band, alt.Chart(alt.NamedData("window")).mark_bar(color="#e8590c").encode(
        x=alt.X("left:Q", scale=alt.Scale(domain=domain, nice=False), title=None), x2="right:Q",
        y=y("weight", "weight", alt.Scale(domain=[w_lo, w_hi], nice=False)), y2=alt.datum(0),
        tooltip=["x:Q", alt.Tooltip("weight:Q", format=".4f")])).properties(
        height=70, title="The kernel, placed at this position")

    products = alt.layer(band, alt.Chart(alt.NamedData("window")).mark_bar(color="#1971c2").encode(
        x=alt.X("left:Q", scale=alt.Scale(domain=domain, nice=False), title=None), x2="right:Q",
        y=y("product", "product", alt.Scale(domain=[-p_max, p_max], nice=False)), y2=alt.datum(0),
        tooltip=["x:Q", alt.Tooltip("product:Q", format=".4f")])).properties(
        height=70, title="Sample × weight, element by element")

    built = alt.Chart(alt.NamedData("done")).mark_line(color="#2f9e44", strokeWidth=2).encode(
        x=alt.X("x:Q", scale=alt.Scale(domain=domain, nice=False), title="position"),
        y=y("value", "output", y_scale))
    here = alt.Chart(alt.NamedData("here")).mark_circle(color="#2f9e44", size=90, opacity=1).encode(
        x=x_axis, y=alt.Y("value:Q", scale=y_scale), tooltip=["x:Q", alt.Tooltip("value:Q", format=".4f")])
    output = alt.layer(built, here).properties(height=120, title="Output, built up to this position")
    return tuple(_spec(chart) for chart in (signal, weights, products, output))


def slide_specs(signal: np.ndarray, output: np.ndarray, step: SlideStep) -> list[dict]:
    """Four aligned Vega-Lite panels: the signal, the kernel placed at one position, the products, the output so far."""
    n = len(signal)
    r = len(step.weights) // 2
    lo, hi = float(min(signal.min(), output.min(), 0)), float(max(signal.max(), output.max()))
    pad = 0.08 * (hi - lo or 1.0)
    w_max = float(np.max(np.abs(step.weights))) or 1.0
    w_lo = -1.1 * w_max if step.weights.min() < 0 else 0.0
    p_max = 1.1 * float(np.max(np.abs(signal))) * w_max or 1.0
    bases = _slide_bases(n, r, round(lo - pad, 6), round(hi + pad, 6), round(w_lo, 6), round(1.1 * w_max, 6),
                         round(p_max, 6))
    tables = {
        "band": pd.DataFrame({"start": [step.indices[0] - 0.5], "end": [step.indices[-1] + 0.5]}),
        "signal": pd.DataFrame({"x": np.arange(n), "value": np.asarray(signal, dtype=float)}),
        "window": pd.DataFrame({"x": step.indices, "left": step.indices - 0.4, "right": step.indices + 0.4,
                                "value": step.values, "weight": step.weights, "product": step.products}),
        "done": pd.DataFrame({"x": np.arange(step.position + 1),
                              "value": np.asarray(output[:step.position + 1], dtype=float)}),
        "here": pd.DataFrame({"x": [step.position], "value": [float(output[step.position])]}),
    }
    return [with_data(base, **tables) for base in bases]


# ----------------------------------------------------------------------------------------------- sandbox drawing
def sandbox_svg(geometry: ConvGeometry, out_row: int, out_col: int, cell: int = 22) -> str:
    """SVG of a square input (padding cells shaded), the kernel taps of one output cell, and the output grid."""
    g = geometry
    side = g.padded
    gap = 60
    out_n = g.out
    width = side * cell + (gap + out_n * cell if out_n > 0 else 0) + 2
    height = max(side, out_n) * cell + 24
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
              f'style="font-family:sans-serif;font-size:11px">')]
    parts.append('<text x="0" y="11" fill="#495057">input '
                 f'{g.n}×{g.n}{f" + padding {g.padding}" if g.padding else ""}</text>')
    taps = set(g.taps(out_row)) if g.valid else set()
    taps_c = set(g.taps(out_col)) if g.valid else set()
    y0 = 16
    for i in range(side):
        for j in range(side):
            is_pad = not (g.padding <= i < g.padding + g.n and g.padding <= j < g.padding + g.n)
            fill = "#f1f3f5" if is_pad else "#ffffff"
            if i in taps and j in taps_c:
                fill = "#ffa94d"
            dash = ' stroke-dasharray="3,2"' if is_pad else ""
            parts.append(f'<rect x="{j * cell + 1}" y="{y0 + i * cell}" width="{cell}" height="{cell}" '
                         f'fill="{fill}" stroke="#adb5bd"{dash}/>')
            if is_pad:
                parts.append(f'<text x="{j * cell + cell / 2 + 1}" y="{y0 + i * cell + cell / 2 + 4}" '
                             'text-anchor="middle" fill="#adb5bd">0</text>')
    if g.valid:
        r0, c0 = g.start(out_row), g.start(out_col)
        parts.append(f'<rect x="{c0 * cell + 1}" y="{y0 + r0 * cell}" width="{g.span * cell}" '
                     f'height="{g.span * cell}" fill="none" stroke="#e8590c" stroke-width="2.5"/>')
        x0 = side * cell + gap
        mid = y0 + side * cell / 2
        parts.append(f'<text x="{side * cell + gap / 2}" y="{mid}" text-anchor="middle" font-size="20" '
                     'fill="#868e96">→</text>')
        parts.append(f'<text x="{x0}" y="11" fill="#495057">output {out_n}×{out_n}</text>')
        for i in range(out_n):
            for j in range(out_n):
                fill = "#2f9e44" if (i, j) == (out_row, out_col) else "#d3f9d8"
                parts.append(f'<rect x="{x0 + j * cell}" y="{y0 + i * cell}" width="{cell}" height="{cell}" '
                             f'fill="{fill}" stroke="#8ce99a"/>')
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------- small charts
_FOUND = ["at the true place", "somewhere else"]


@lru_cache(maxsize=4)
def _rotation_base() -> dict:
    base = alt.Chart(alt.NamedData("sweep")).encode(
        x=alt.X("angle:Q", title="rotation (degrees)"),
        y=alt.Y("score:Q", title="best score", scale=alt.Scale(domain=[0, 1], clamp=True)))
    line = base.mark_line(color="#adb5bd")
    dots = base.mark_circle(size=70, opacity=1).encode(
        color=alt.Color("best match:N", scale=alt.Scale(domain=_FOUND, range=["#2f9e44", "#e03131"]),
                        legend=alt.Legend(orient="bottom", title=None, labelLimit=0, columns=2)),  # fits a phone
        tooltip=[alt.Tooltip("angle:Q", format=".0f"), alt.Tooltip("score:Q", format=".3f"), "best match:N"])
    now = alt.Chart(alt.NamedData("now")).mark_point(shape="diamond", size=170, color="#1971c2", filled=True).encode(
        x="angle:Q", y="score:Q", tooltip=[alt.Tooltip("angle:Q", title="this angle"),
                                           alt.Tooltip("score:Q", format=".3f")])
    return _spec(alt.layer(line, dots, now).properties(height=200, title="Best match score as the image turns"))


def rotation_spec(sweep: RotationSweep, angle: float, score: float) -> dict:
    """Best template score vs rotation angle (green: best window at the true place, red: elsewhere); the
    current angle is a blue diamond."""
    frame = pd.DataFrame({"angle": sweep.angles, "score": sweep.peak,
                          "best match": np.where(sweep.found, _FOUND[0], _FOUND[1])})
    return with_data(_rotation_base(), sweep=frame, now=pd.DataFrame({"angle": [angle], "score": [score]}))


@lru_cache(maxsize=32)
def _histogram_base(labels: tuple[str, ...]) -> dict:
    return _spec(alt.Chart(alt.NamedData("bins")).mark_bar(color="#f08c00").encode(
        x=alt.X("direction:N", sort=list(labels), title="gradient direction (the edge runs at 90° to it)",
                axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("strength:Q", title="mean gradient strength"),
        tooltip=["direction:N", alt.Tooltip("strength:Q", format=".4f")],
    ).properties(height=180, title="This cell's histogram of gradient directions"))


def histogram_spec(histogram: np.ndarray, edges: np.ndarray) -> dict:
    """One cell's orientation histogram as bars, labelled by gradient-direction range."""
    labels = tuple(f"{edges[i]:.0f}–{edges[i + 1]:.0f}°" for i in range(len(histogram)))
    return with_data(_histogram_base(labels), bins=pd.DataFrame({"direction": labels, "strength": histogram}))


_DESCRIPTIONS = ["raw pixels", "edge map (Sobel magnitude)", "HOG"]


@lru_cache(maxsize=4)
def _tolerance_base(kind: str) -> dict:
    unit = "shift (pixels)" if kind == "shift" else "rotation (degrees)"
    return _spec(alt.Chart(alt.NamedData("curves")).mark_line(point=True).encode(
        x=alt.X("amount:Q", title=unit, axis=alt.Axis(tickMinStep=1)),  # whole pixels and degrees only
        y=alt.Y("similarity:Q", title="correlation with the unmoved patch",
                scale=alt.Scale(domain=[-0.2, 1], clamp=True)),
        color=alt.Color("description:N", scale=alt.Scale(domain=_DESCRIPTIONS, range=["#868e96", "#1971c2",
                                                                                      "#f08c00"]),
                        legend=alt.Legend(orient="bottom", title=None, labelLimit=0, columns=2)),  # fits a phone
        tooltip=["description:N", alt.Tooltip("amount:Q"), alt.Tooltip("similarity:Q", format=".3f")],
    ).properties(height=220, title=f"Similarity after a {kind}"))


def tolerance_spec(tolerance: Tolerance, kind: str) -> dict:
    """Similarity to the unmoved patch for raw pixels, the edge map and HOG, against the shift or rotation."""
    frame = pd.DataFrame({
        "amount": np.tile(tolerance.amounts, 3),
        "similarity": np.concatenate([tolerance.pixels, tolerance.edges, tolerance.hog]),
        "description": np.repeat(_DESCRIPTIONS, len(tolerance.amounts)),
    })
    return with_data(_tolerance_base(kind), curves=frame)
