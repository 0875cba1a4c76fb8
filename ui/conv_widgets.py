"""Streamlit glue for the Convolution page: cached lesson calls, its controls, the hand-made kernel editor, and the
displays (pictures, tables and charts in columns) the page's sections place under their narrative.

The cached wrappers only call `lessons.convolution`; each is keyed by the picked image's id, never by its pixels (the
underscore-prefixed arrays are left out of the cache key).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from lessons.convolution import compute as convolution
from lessons.convolution import conclusions, hog, kernels, template_matching
from lessons.convolution.compute import ConvGeometry, Filtered, Padding
from lessons.convolution.exercises import MYSTERY_KERNEL
from lessons.convolution.kernels import KernelError
from lessons.convolution.template_matching import SMALLEST_TEMPLATE, TEMPLATE_STEP
from ui import conv_charts as charts
from ui.course import active_course
from ui.downloads import download_row
from ui.exercises import exercises_at
from ui.settings.convolution import EDITOR_SIDES, FOLLOW_THE_IMAGE, STATE

SIGNAL_LABELS = {"step": "Step", "noisy_sine": "Noisy sine", "chirp": "Chirp (audio-like: rising pitch)"}
FILTER_LABELS = {"box": "Box (plain average)", "gaussian": "Gaussian"}
PADDING_LABELS = {"zeros": "zeros", "reflect": "reflect (mirror)", "replicate": "replicate (repeat edge)"}
FLIP_LABEL = "Flip (true convolution)"


# ------------------------------------------------------------------------------------------------------ cached compute
@st.cache_data(max_entries=32, show_spinner=False)
def teaching_image(image_id: str, _image: np.ndarray) -> np.ndarray:
    """The picked image as small grayscale floats in [0, 1] (cached per image)."""
    return convolution.to_gray(_image)


@st.cache_data(max_entries=128, show_spinner=False)
def named_output(image_id: str, key: str, size: int, sigma: float, padding: Padding, flipped: bool,
                 _gray: np.ndarray) -> Filtered:
    """A named kernel applied to the image (cached per image and settings)."""
    return convolution.apply_named(_gray, key, size=size, sigma=sigma, padding=padding, flipped=flipped)


@st.cache_data(max_entries=64, show_spinner=False)
def custom_output(image_id: str, kernel: np.ndarray, padding: Padding, flipped: bool, _gray: np.ndarray) -> Filtered:
    """A hand-made kernel applied to the image (cached per image, kernel values and settings)."""
    return convolution.apply_kernel(_gray, kernel, padding=padding, flipped=flipped)


@st.cache_data(max_entries=64, show_spinner=False)
def template_spot(image_id: str, size: int, _gray: np.ndarray) -> tuple[int, int]:
    """A distinctive template position for this image (cached)."""
    return template_matching.distinctive_spot(_gray, size)


@st.cache_data(max_entries=64, show_spinner=False)
def distinctive_pixel(image_id: str, _gray: np.ndarray) -> tuple[int, int]:
    """A distinctive pixel of this image, where the by-hand breakdown starts (cached)."""
    return template_matching.distinctive_pixel(_gray)


@st.cache_data(max_entries=64, show_spinner=False)
def template_scores(image_id: str, row: int, col: int, size: int, _gray: np.ndarray) -> np.ndarray:
    """The NCC map of the template cut at (row, col) over the image itself (cached)."""
    return template_matching.ncc_map(_gray, template_matching.extract(_gray, row, col, size))


@st.cache_data(max_entries=64, show_spinner=False)
def moved_search(image_id: str, row: int, col: int, size: int, angle: float, scale: float,
                 _gray: np.ndarray) -> template_matching.MovedSearch:
    """The template searched for in the rotated and scaled image (cached)."""
    return template_matching.search_moved(_gray, row, col, size, angle, scale)


@st.cache_data(max_entries=32, show_spinner=False)
def sweep(image_id: str, row: int, col: int, size: int, scale: float,
          _gray: np.ndarray) -> template_matching.RotationSweep:
    """Best score against rotation angle for one template (cached)."""
    return template_matching.rotation_sweep(_gray, row, col, size, template_matching.SWEEP_ANGLES, scale)


@st.cache_data(max_entries=32, show_spinner=False)
def hog_of(image_id: str, orientations: int, pixels_per_cell: int, cells_per_block: int,
           _gray: np.ndarray) -> hog.HogResult:
    """HOG descriptor, drawing and cell histograms of the image (cached)."""
    return hog.hog_descriptor(_gray, orientations, pixels_per_cell, cells_per_block)


@st.cache_data(max_entries=32, show_spinner=False)
def tolerance_of(image_id: str, row: int, col: int, size: int, kind: str, orientations: int, pixels_per_cell: int,
                 cells_per_block: int, _gray: np.ndarray) -> hog.Tolerance:
    """Similarity of the template to its shifted or rotated self, three ways (cached)."""
    return hog.tolerance(_gray, row, col, size, kind, hog.tolerance_amounts(kind), orientations, pixels_per_cell,
                         cells_per_block)


# ---------------------------------------------------------------------------------------------------------- page state
def follow_the_image(image_id: str) -> None:
    """A new image (another photo or an upload): its pixel and template start again from its own defaults."""
    STATE.reset_on_change("image", image_id, *FOLLOW_THE_IMAGE)


def bind_place(keys: tuple[str, str], shape: tuple[int, int], spot: Callable[[], tuple[int, int]]) -> None:
    """Bind a (row, column) pair of sliders to a grid of `shape`; a value unset or off the grid starts at `spot()`."""
    usable = all(STATE.value(key) is not None and 0 <= STATE.value(key) < n for key, n in zip(keys, shape))
    start = (0, 0) if usable else spot()
    for key, n, default in zip(keys, shape, start):
        STATE.bind(key, high=n - 1, default=int(default))


# ------------------------------------------------------------------------------------------------------------ controls
def signal_and_filter() -> tuple[np.ndarray, np.ndarray]:
    """The signal, the 1-D filter and its width or σ, side by side; returns (signal, filter)."""
    controls = st.columns([2, 2, 3])
    signal_kind = controls[0].radio("Signal", convolution.SIGNALS, format_func=SIGNAL_LABELS.get, key="conv_signal")
    filter_kind = controls[1].radio("Filter", convolution.FILTERS_1D, key="conv_filter1d",
                                    format_func=FILTER_LABELS.get)
    if filter_kind == "box":
        kernel = convolution.filter_1d("box", width=controls[2].slider("Width (samples)", 1, 21, step=2,
                                                                       key="conv_width1d"))
    else:
        kernel = convolution.filter_1d("gaussian", sigma=controls[2].slider("σ (samples)", 0.5, 6.0, step=0.5,
                                                                            key="conv_sigma1d"))
    return convolution.make_signal(signal_kind), kernel


def kernel_controls() -> None:
    """The kernel chooser, its size or σ, the padding, the flip and the editor switch."""
    parameter = kernels.kernel_info(st.selectbox("Kernel", STATE["conv_kernel"].options, key="conv_kernel",
                                                 format_func=lambda k: kernels.kernel_info(k).title)).parameter
    params = st.columns(2)
    params[0].slider("Box size", 3, 15, step=2, key="conv_size", disabled=parameter != "size",
                     help="Side of the box blur's square (odd, so there is a centre pixel).")
    params[1].slider("Gaussian σ (pixels)", 0.5, 8.0, step=0.1, key="conv_sigma", disabled=parameter != "sigma",
                     help="Spread of the Gaussian. The kernel is made 2·⌈3σ⌉ + 1 pixels wide, enough to hold 99.7 % "
                          "of its weight.")
    st.radio("Padding at the border", convolution.PADDINGS, key="conv_padding", format_func=PADDING_LABELS.get,
             horizontal=True)
    st.toggle(FLIP_LABEL, key="conv_flip",
              help="Mathematical convolution rotates the kernel by 180° before sliding; deep learning does not. "
                   "See section 3.")
    st.toggle("Edit the numbers", key="conv_edit", help="Start from the selected kernel and type your own numbers.")


def template_picker(image_id: str, gray: np.ndarray) -> tuple[int, int, int, int]:
    """Template size, top row and left column (a distinctive spot of each new image at first), and how many
    matches to show; returns (row, column, size, count). The image must fit a template (`template_fits`)."""
    height, width = gray.shape
    controls = st.columns(4)
    largest = template_matching.largest_template(gray.shape)
    STATE.bind("conv_tpl_size", high=largest, default=template_matching.default_template_size(largest))
    size = controls[0].slider("Template size", SMALLEST_TEMPLATE, largest, step=TEMPLATE_STEP, key="conv_tpl_size")
    bind_place(("conv_tpl_row", "conv_tpl_col"), (height - size + 1, width - size + 1),
               lambda: template_spot(image_id, size, gray))
    row = controls[1].slider("Template top row", 0, height - size, key="conv_tpl_row")
    col = controls[2].slider("Template left column", 0, width - size, key="conv_tpl_col")
    count = controls[3].slider("Matches shown", 1, 5, key="conv_matches")
    return row, col, size, count


def cell_picker(described: hog.HogResult) -> tuple[int, int]:
    """The HOG cell to look at (the strongest one at first); a single row or column needs no slider."""
    cells_r, cells_c = described.cells.shape[:2]
    bind_place(("conv_cell_row", "conv_cell_col"), (cells_r, cells_c), lambda: hog.strongest_cell(described.cells))
    cell_controls = st.columns(2)
    row = cell_controls[0].slider("Cell row", 0, cells_r - 1, key="conv_cell_row") if cells_r > 1 else 0
    col = cell_controls[1].slider("Cell column", 0, cells_c - 1, key="conv_cell_col") if cells_c > 1 else 0
    return row, col


# ------------------------------------------------------------------------------------------------------- kernel editor
LINKED_EDITOR = "_conv_linked_editor"  # (the first editor's key, the link's kernel text) of this session


def _start_again() -> None:
    """The editor's reset: a fresh table, seeded from the selected kernel (a callback, so that the click counts
    however the run that follows it goes)."""
    st.session_state["conv_editor_round"] = st.session_state.get("conv_editor_round", 0) + 1


def linked_kernel(editor_key: str, side: int) -> np.ndarray | None:
    """A shared link's hand-made kernel, for the editor the page first showed (another size, another named kernel
    or "Start again" seed the editor from the selected kernel instead)."""
    first_key, text = st.session_state.setdefault(LINKED_EDITOR, (editor_key, STATE.value("conv_kernel_numbers")))
    return kernels.kernel_from_text(text, side) if first_key == editor_key else None


def kernel_frame(kernel: np.ndarray) -> pd.DataFrame:
    """A kernel as a small table whose row and column labels are offsets from the centre."""
    r = kernel.shape[0] // 2
    labels = [f"{o:+d}".replace("+0", "0").replace("-", "−") for o in range(-r, r + 1)]
    return pd.DataFrame(kernel, index=labels, columns=labels)


def kernel_from_frame(frame: pd.DataFrame) -> np.ndarray:
    """The edited table back as numbers (empty cells become NaN, which the kernel check then explains)."""
    return frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)


def kernel_editor(key: str, size: int, sigma: float) -> np.ndarray | None:
    """The table of a hand-made kernel, seeded from the named kernel `key`: returns the kernel to slide (normalised
    when asked), or None when it cannot be used yet (the reason is shown, the student's numbers are kept)."""
    info = kernels.kernel_info(key)
    st.subheader("Your kernel")
    edit_cols = st.columns([2, 3])
    side = edit_cols[0].radio("Kernel size", EDITOR_SIDES, key="conv_editor_side", horizontal=True,
                              format_func=lambda n: f"{n}×{n}")
    st.session_state.setdefault("conv_editor_round", 0)
    edit_cols[0].button("Start again from the selected kernel", key="conv_editor_reset", on_click=_start_again)
    editor_key = (f"conv_editor_{key}_{size if info.parameter == 'size' else ''}"
                  f"{sigma if info.parameter == 'sigma' else ''}_{side}_{st.session_state['conv_editor_round']}")
    named_seed = kernels.fit_kernel(kernels.named_kernel(key, size=size, sigma=sigma), int(side))
    linked = linked_kernel(editor_key, int(side))
    seed_frame = kernel_frame(named_seed if linked is None else linked)
    with edit_cols[0]:
        edited = st.data_editor(seed_frame, key=editor_key, width="content",
                                column_config={"_index": st.column_config.TextColumn(disabled=True),
                                               **{c: st.column_config.NumberColumn(c, format="%.4g")
                                                  for c in seed_frame.columns}})
        normalised = st.checkbox("Normalise (divide by the sum)", key="conv_normalise",
                                 help="Makes the numbers add up to 1, so flat areas keep their brightness.")
    seeded_from = f"**{info.title}**{' (Sobel x)' if key == 'sobel' else ''}"
    edit_cols[1].markdown(
        f"Seeded from {'the shared link' if linked is not None else seeded_from}. Click a cell and type; the output "
        "below follows. Row and column labels are offsets from the centre pixel. Ideas: a single 1 off-centre "
        "(shifts the image), a row of 1/3 (horizontal blur), the Sobel x kernel turned by 90° or 45°."
    )
    try:
        custom = kernels.validate_kernel(kernel_from_frame(edited), allowed_sides=[int(s) for s in EDITOR_SIDES])
    except KernelError as error:
        st.error(f"**This kernel can't be used yet.** {error} Your numbers are kept in the table above.")
        return None
    STATE.set("conv_kernel_numbers", "" if np.array_equal(custom, named_seed) else kernels.kernel_text(custom))
    edit_cols[1].markdown(kernels.brightness_note(custom))
    if not normalised:
        return custom
    if kernels.sums_to_zero(custom):
        edit_cols[1].info("This kernel's numbers add up to 0, so there is nothing to divide by: it measures "
                          "change, and flat areas come out 0 however it is scaled. Showing it as typed.")
        return custom
    edit_cols[1].markdown(f"**Normalised:** every number is divided by {kernels.kernel_sum(custom):.3g}, "
                          "so the kernel that is slid (shown below) adds up to 1.")
    return kernels.normalise(custom)


def filtered(image_id: str, gray: np.ndarray) -> tuple[Filtered | None, kernels.Display]:
    """The image through the selected kernel, or through the hand-made one while editing (None while it cannot be
    used yet), and how its output is coloured. Not editing, no hand-made kernel goes in the link."""
    key, size, sigma = STATE.value("conv_kernel"), STATE.value("conv_size"), STATE.value("conv_sigma")
    padding, flipped = STATE.value("conv_padding"), STATE.value("conv_flip")
    if not STATE.value("conv_edit"):
        STATE.set("conv_kernel_numbers", "")
        return named_output(image_id, key, size, sigma, padding, flipped, gray), kernels.kernel_info(key).display
    custom = kernel_editor(key, size, sigma)
    if custom is None:
        return None, "gray"
    return custom_output(image_id, custom, padding, flipped, gray), kernels.display_for(custom)


def hand_made_kernel(result: Filtered | None) -> np.ndarray | None:
    """The hand-made kernel exactly as it is slid (normalised or flipped when asked), or None when not editing or
    while the editor's numbers cannot be used."""
    return result.kernels[0] if STATE.value("conv_edit") and result is not None else None


# ------------------------------------------------------------------------------------------------------------ displays
def mystery_question(page: str, image_id: str, gray: np.ndarray) -> None:
    """The mystery map (a named kernel's output on the photo, its name kept back) with its downloads, and beside it
    the course's questions about it (nothing at all when the course asks none)."""
    if not active_course().exercises(page, "mystery"):
        return
    st.markdown("**A mystery map.** One of the named kernels above made this picture from the same photo. Which?")
    left, right = st.columns([2, 3], gap="medium")
    result = named_output(image_id, MYSTERY_KERNEL, 3, 1.0, "reflect", False, gray)
    picture, scale_note = charts.render(result.output, kernels.kernel_info(MYSTERY_KERNEL).display)
    show_picture(left, picture, f"Mystery map — {scale_note}")
    with left:
        download_row(_stem(image_id, "mystery-map"), picture=picture, array=result.output, key="conv_dl_mystery",
                     what="the mystery map")
    with right:
        exercises_at(page, "mystery")


def _stem(image_id: str, *what: object) -> str:
    """A download's file name: the lesson, the image (photo or upload) and what the figure shows."""
    return "-".join(["convolution", image_id, *(str(w) for w in what)])


def _kernel_name() -> str:
    """The kernel as a file name part: the hand-made one, or the named one with its size or σ, flipped or not."""
    info = kernels.kernel_info(STATE.value("conv_kernel"))
    if STATE.value("conv_edit"):
        name = "hand-made-kernel"
    elif info.parameter == "size":
        name = f"{info.key}-{STATE.value('conv_size')}"
    elif info.parameter == "sigma":
        name = f"{info.key}-sigma-{STATE.value('conv_sigma')}"
    else:
        name = info.key
    return f"{name}{'-flipped' if STATE.value('conv_flip') else ''}-{STATE.value('conv_padding')}-padding"


def show_slide(signal: np.ndarray, output: np.ndarray, step: convolution.SlideStep) -> None:
    """The four aligned panels of the 1-D filter at one position, with a PNG of them and a CSV of the signal and the
    whole output."""
    specs = charts.slide_specs(signal, output, step)
    for spec in specs:
        st.vega_lite_chart(spec=spec, width="stretch")
    table = pd.DataFrame({"position": np.arange(len(signal)), "signal": signal, "output": output})
    download_row(f"convolution-1d-{STATE.value('conv_signal')}-{STATE.value('conv_filter1d')}-position-"
                 f"{step.position}", chart=tuple(specs), table=table, key="conv_dl_signal",
                 what="the signal, the filter at this position and the output")


def show_picture(column: DeltaGenerator, rgb: np.ndarray, caption: str) -> None:
    """An image filling its column, with a caption."""
    column.image(rgb, caption=caption, width="stretch", output_format="JPEG")


def show_filtered(gray: np.ndarray, result: Filtered | None, display: kernels.Display, image_id: str) -> None:
    """The kernel(s) as slid, what they do, and the input beside the output (Sobel's two parts below), each output
    with its PNG (as coloured here) and its numbers as NPY."""
    if result is None:
        left, right = st.columns(2, gap="medium")
        show_picture(left, charts.gray_rgb(gray), "Input")
        right.info("The output appears as soon as every cell holds an ordinary number and at least one is non-zero.")
        return
    editing, flipped = STATE.value("conv_edit"), STATE.value("conv_flip")
    info = kernels.kernel_info(STATE.value("conv_kernel"))
    about, grids = st.columns([3, 4], gap="medium")
    titles = charts.kernel_titles(len(result.kernels), "Your kernel" if editing else info.title, flipped)
    for grid_col, title, k in zip(grids.columns(len(titles)), titles, result.kernels):
        grid_col.html(charts.kernel_html(k, title))
    if editing:
        about.markdown("**Your kernel**, exactly as it is slid over the image"
                       + (" (flipped by 180°)." if flipped else "."))
    else:
        about.markdown(f"**{info.title}.** {info.about}")
        about.markdown(kernels.brightness_note(result.kernels[0]) if len(result.kernels) == 1 else
                       "Each Sobel kernel sums to **0**; their combined magnitude is never negative.")
    left, right = st.columns(2, gap="medium")
    show_picture(left, charts.gray_rgb(gray), "Input")
    picture, scale_note = charts.render(result.output, display)
    show_picture(right, picture, f"Output — {scale_note}")
    with right:
        download_row(_stem(image_id, _kernel_name()), picture=picture, array=result.output, key="conv_dl_output",
                     what="the filtered image")
    if len(result.parts) == 2:
        st.markdown("The magnitude combines two signed responses, shown here with one shared colour scale:")
        limit = charts.robust_limit(*result.parts)
        pair = st.columns(2, gap="medium")
        for column, part, name, edges in zip(pair, result.parts, ("x", "y"), ("vertical", "horizontal")):
            part_picture = charts.signed_rgb(part, limit)
            show_picture(column, part_picture, f"Sobel {name}: {edges} edges (blue < 0 < red, ±{limit:.3g})")
            with column:
                download_row(_stem(image_id, f"sobel-{name}", STATE.value("conv_padding"), "padding"),
                             picture=part_picture, array=part, key=f"conv_dl_sobel_{name}",
                             what=f"the Sobel {name} response")


def show_pixel(gray: np.ndarray, result: Filtered, row: int, col: int, padding: Padding) -> None:
    """Output pixel (row, col) by hand: where its patch lies, a close-up, the sum, and the products table."""
    side = result.kernels[0].shape[0]
    parts = [convolution.pixel_breakdown(gray, k, row, col, padding) for k in result.kernels]
    value = float(result.output[row, col])
    shown, zoomed, summary = st.columns([3, 2, 3], gap="medium")
    show_picture(shown, charts.patch_picture(gray, row, col, side), f"Input: the patch around row {row}, column {col}")
    show_picture(zoomed, charts.patch_close_up(gray, row, col, side), "Close-up: the patch (orange) and its centre "
                                                                      "(blue)")
    if len(parts) == 2:
        summary.markdown(f"Sobel x gives **{parts[0].total:.4f}**, Sobel y **{parts[1].total:.4f}**. Combined: "
                         f"√({parts[0].total:.4f}² + {parts[1].total:.4f}²) = **{value:.4f}** — the output pixel "
                         f"at row {row}, column {col}.")
    else:
        summary.markdown(f"Sum of the {side * side} products: **{parts[0].total:.4f}**.\n\n"
                         f"The output image holds **{value:.4f}** at row {row}, column {col} — the same number.")
    if side > 7:
        summary.caption(f"A {side}×{side} kernel means {side**2} multiplications for every single pixel — which is "
                        "why large blurs are usually done as two 1-D passes.")
    st.html(charts.breakdown_html(list(zip(["Sobel x", "Sobel y"] if len(parts) == 2 else [""], parts))))


def show_tolerance(measured: hog.Tolerance, kind: str, verdict: str, image_id: str) -> None:
    """The similarity curves after a shift or turn (with their PNG and CSV) beside the verdict on them."""
    tol_chart, tol_text = st.columns([3, 2], gap="medium")
    spec = charts.tolerance_spec(measured, kind)
    tol_chart.vega_lite_chart(spec=spec, width="stretch")
    with tol_chart:
        download_row(_stem(image_id, "template-tolerance", kind), chart=spec,
                     table=pd.DataFrame({"amount": measured.amounts, "raw_pixels": measured.pixels,
                                         "edge_map": measured.edges, "hog": measured.hog}),
                     key="conv_dl_tolerance", what="the similarity curves")
    tol_text.markdown(verdict)


def show_geometry(geometry: ConvGeometry) -> None:
    """The output-size formula filled in, the drawing with a chosen output cell, and what PyTorch says."""
    st.latex(conclusions.output_size_latex(geometry))
    g = geometry
    torch_shape = convolution.torch_output_shape(g.n, g.k, g.padding, g.stride, g.dilation)
    if not g.valid:
        st.error(f"**No output.** {convolution.geometry_problem(g)}")
        st.image(charts.sandbox_svg(g, 0, 0))
        st.caption(conclusions.torch_verdict(torch_shape))
        return
    draw_col, pick_col = st.columns([3, 1])
    out_i = out_j = 0
    if g.out > 1:
        STATE.bind("conv_sb_i", high=g.out - 1, default=0)
        STATE.bind("conv_sb_j", high=g.out - 1, default=0)
        out_i = pick_col.slider("Output row", 0, g.out - 1, key="conv_sb_i")
        out_j = pick_col.slider("Output column", 0, g.out - 1, key="conv_sb_j")
    else:
        pick_col.caption("A single output cell.")
    draw_col.image(charts.sandbox_svg(g, out_i, out_j))
    st.markdown(conclusions.geometry_notes(g, torch_shape))


def show_matches(gray: np.ndarray, row: int, col: int, size: int, scores: np.ndarray,
                 matches: Sequence[template_matching.Match], image_id: str) -> None:
    """Where the template was cut and matched, the score map (with its PNG and its scores as NPY), and the template
    with its best matches listed."""
    img_col, map_col, tpl_col = st.columns([4, 4, 3], gap="medium")
    show_picture(img_col, charts.matches_picture(gray, row, col, size, matches),
                 "Where the template was cut (blue, just outside) and the best matches, best first: "
                 + ", ".join(charts.MATCH_COLOUR_NAMES[:len(matches)]))
    response = charts.ncc_picture(scores, size, matches)
    show_picture(map_col, response, "NCC score for each window's top-left corner (blue −1, white 0, red +1)")
    with map_col:
        download_row(_stem(image_id, "template", row, col, size, "ncc-map"), picture=response, array=scores,
                     key="conv_dl_ncc", what="the template's response map (NCC scores)")
    tpl_col.image(charts.template_picture(template_matching.extract(gray, row, col, size)), caption="The template",
                  width="stretch")
    tpl_col.markdown("\n".join(f"{i}. row {m.row}, column {m.col}: **{m.score:.3f}** "
                                f"({charts.MATCH_COLOUR_NAMES[i - 1]})" for i, m in enumerate(matches, start=1)))


def show_moved_search(search: template_matching.MovedSearch, swept: template_matching.RotationSweep, size: int,
                      angle: float, moved_at_all: bool, image_id: str) -> None:
    """The moved image with the template's true place and best match, the score and verdict, the rotation sweep
    (with its PNG and CSV)."""
    fail_img, fail_chart = st.columns([4, 5], gap="medium")
    show_picture(fail_img, charts.moved_picture(search, size),
                 "Blue: where the template's content went. Green/red: the best match (red when it is in the wrong "
                 "place).")
    metrics = fail_chart.columns(2)
    metrics[0].metric("Best score", f"{search.best.score:.3f}",
                      delta=f"{search.drop:.3f} vs. unmoved" if moved_at_all else None)
    metrics[1].metric("Best match", "right place" if search.found else "wrong place")
    spec = charts.rotation_spec(swept, angle, search.best.score)
    fail_chart.vega_lite_chart(spec=spec, width="stretch")
    with fail_chart:
        download_row(_stem(image_id, "template-rotation-sweep"), chart=spec, key="conv_dl_sweep",
                     table=pd.DataFrame({"rotation_degrees": swept.angles, "best_score": swept.peak,
                                         "best_match_at_true_place": swept.found}),
                     what="the best match score against rotation")


def show_hog(gray: np.ndarray, described: hog.HogResult, row: int, col: int, image_id: str) -> None:
    """The chosen cell on the input, the HOG drawing (with its PNG and the cells' histograms as NPY), the cell's
    histogram and a close-up of the cell."""
    size = described.pixels_per_cell
    cells_r, cells_c = described.cells.shape[:2]
    hog_left, hog_right = st.columns(2, gap="medium")
    show_picture(hog_left, charts.cell_picture(gray, row, col, size), "Input, with the chosen cell outlined")
    drawing = charts.hog_overlay(gray, described.drawing, (row, col), size)
    show_picture(hog_right, drawing,
                 f"HOG: per cell, one line per direction bin along the edge, brighter = stronger "
                 f"({cells_r}×{cells_c} cells, {described.features.size:,} numbers after block normalisation)")
    with hog_right:
        download_row(_stem(image_id, "hog", f"{described.orientations}-bins", f"{size}-px-cells"), picture=drawing,
                     array=described.cells, key="conv_dl_hog",
                     what="the HOG drawing (NPY: every cell's histogram, rows × columns × bins)")
    hist_col, cell_col = st.columns([4, 1], gap="medium")
    hist_col.vega_lite_chart(spec=charts.histogram_spec(described.cells[row, col],
                                                        hog.bin_edges(described.orientations)), width="stretch")
    cell_col.image(charts.cell_close_up(gray, row, col, size), caption=f"Cell ({row}, {col})", width="stretch")
