"""Lesson page: Convolution — a kernel sliding along a signal and over a photo, template matching, HOG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from lessons.convolution import compute as convolution
from lessons.convolution import hog
from lessons.convolution import kernels
from lessons.convolution import template_matching
from lessons.convolution.compute import Filtered, Padding
from lessons.convolution.kernels import KernelError
from lessons.convolution.template_matching import TemplateError
from ui import conv_charts as charts
from ui.images import PickedImage, photo_picker
from ui.navigation import lesson_by_path
from ui.routing import route_through_app
from ui.state import init_from_url, init_number_from_url, mirror_to_url

route_through_app()
LESSON = lesson_by_path("pages/convolution.py")
SIGNAL_LABELS = {"step": "Step", "noisy_sine": "Noisy sine", "chirp": "Chirp (audio-like: rising pitch)"}
PADDING_LABELS = {"zeros": "zeros", "reflect": "reflect (mirror)", "replicate": "replicate (repeat edge)"}
KERNEL_KEYS = kernels.kernel_keys()
EDITOR_SIDES = (3, 5)
ANGLES = np.array([-60, -45, -30, -20, -10, -5, 0, 5, 10, 20, 30, 45, 60])
HOG_CELL_SIZES = [4, 6, 8, 10, 12, 16]
FAIL_HEADER = "6 · Where a fixed template fails"
FLIP_LABEL = "Flip (true convolution)"


# --------------------------------------------------------------------------------------------------- cached compute
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
def default_spot(image_id: str, size: int, _gray: np.ndarray) -> tuple[int, int]:
    """A distinctive template position for this image (cached)."""
    return template_matching.distinctive_spot(_gray, size)


@st.cache_data(max_entries=64, show_spinner=False)
def moved_image(image_id: str, angle: float, scale: float, _gray: np.ndarray) -> np.ndarray:
    """The image rotated and scaled about its centre (cached)."""
    return template_matching.transform_image(_gray, angle, scale)


@st.cache_data(max_entries=64, show_spinner=False)
def scores(image_id: str, row: int, col: int, size: int, angle: float, scale: float, _gray: np.ndarray) -> np.ndarray:
    """The NCC map of the template cut at (row, col) over the (rotated, scaled) image (cached)."""
    template = template_matching.extract(_gray, row, col, size)
    return template_matching.ncc_map(moved_image(image_id, angle, scale, _gray), template)


@st.cache_data(max_entries=32, show_spinner=False)
def sweep(image_id: str, row: int, col: int, size: int, scale: float,
          _gray: np.ndarray) -> template_matching.RotationSweep:
    """Best score against rotation angle for one template (cached)."""
    return template_matching.rotation_sweep(_gray, row, col, size, ANGLES, scale)


@st.cache_data(max_entries=32, show_spinner=False)
def hog_of(image_id: str, orientations: int, pixels_per_cell: int, cells_per_block: int,
           _gray: np.ndarray) -> hog.HogResult:
    """HOG descriptor, drawing and cell histograms of the image (cached)."""
    return hog.hog_descriptor(_gray, orientations, pixels_per_cell, cells_per_block)


@st.cache_data(max_entries=32, show_spinner=False)
def tolerance_of(image_id: str, row: int, col: int, size: int, kind: str, orientations: int, pixels_per_cell: int,
                 cells_per_block: int, _gray: np.ndarray) -> hog.Tolerance:
    """Similarity of the template to its shifted or rotated self, three ways (cached)."""
    amounts = np.arange(0, 9) if kind == "shift" else np.arange(0, 46, 5)
    return hog.tolerance(_gray, row, col, size, kind, amounts, orientations, pixels_per_cell, cells_per_block)


# ---------------------------------------------------------------------------------------------------- state glue
def clamp_state(key: str, low: int, high: int, default: int) -> None:
    """Keep an integer slider's stored value inside [low, high] (images differ in size), else set a default."""
    value = st.session_state.get(key)
    if not isinstance(value, int) or not low <= value <= high:
        st.session_state[key] = int(min(max(default, low), high))


def kernel_frame(kernel: np.ndarray) -> pd.DataFrame:
    """A kernel as a small table whose row and column labels are offsets from the centre."""
    r = kernel.shape[0] // 2
    labels = [f"{o:+d}".replace("+0", "0").replace("-", "−") for o in range(-r, r + 1)]
    return pd.DataFrame(kernel, index=labels, columns=labels)


def kernel_from_frame(frame: pd.DataFrame) -> np.ndarray:
    """The edited table back as numbers (empty cells become NaN, which the kernel check then explains)."""
    return frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)


def show_picture(column: DeltaGenerator, rgb: np.ndarray, caption: str) -> None:
    """An image filling its column, with a caption."""
    column.image(rgb, caption=caption, width="stretch", output_format="JPEG")


# ============================================================================================================ page
st.title(LESSON.title)
st.markdown(
    "A **convolution** slides a small grid of numbers — the **kernel** — over a signal or an image. At every "
    "position it multiplies the kernel with what lies underneath, adds the products up, and writes that one number "
    "to the output. Blurring, sharpening and edge detection are all this one operation with different numbers, and "
    "the first layers of every CNN are nothing else — except that there the numbers are *learned*."
)

# ------------------------------------------------------------------------------------------------------------ 1-D
st.header("1 · A filter sliding along a signal")
st.markdown(
    "Start in one dimension. The orange bars are the filter's weights, placed at one position of the signal; the "
    "blue dots are the samples underneath. Multiply pairwise, add up, and you get the output at that position. "
    "Drag the position to slide the filter and watch the output being built."
)
controls = st.columns([2, 2, 3])
signal_kind = controls[0].radio("Signal", list(SIGNAL_LABELS), format_func=SIGNAL_LABELS.get, key="conv_signal")
filter_kind = controls[1].radio("Filter", ["box", "gaussian"], key="conv_filter1d",
                                format_func={"box": "Box (plain average)", "gaussian": "Gaussian"}.get)
if filter_kind == "box":
    width = controls[2].slider("Width (samples)", 1, 21, 5, step=2, key="conv_width1d")
    kernel_1d = convolution.filter_1d("box", width=width)
else:
    sigma_1d = controls[2].slider("σ (samples)", 0.5, 6.0, 2.0, step=0.5, key="conv_sigma1d")
    kernel_1d = convolution.filter_1d("gaussian", sigma=sigma_1d)
signal = convolution.make_signal(signal_kind)
output_1d = convolution.correlate1d(signal, kernel_1d)
position = st.slider("Filter position — drag to slide the filter along the signal", 0, len(signal) - 1,
                     len(signal) // 2, key="conv_position")
step = convolution.slide_step(signal, kernel_1d, position)
for spec in charts.slide_specs(signal, output_1d, step):
    st.vega_lite_chart(spec=spec, width="stretch")
st.caption(
    f"At position {position}: {len(kernel_1d)} products add up to **{step.total:.4f}**, the value PyTorch's "
    f"`conv1d` wrote there ({output_1d[position]:.4f}). Near the ends the filter hangs over the edge; the missing "
    "samples count as 0 (*zero padding*), which pulls the output towards 0 there."
)
st.markdown(
    "A wider box or a larger σ averages more neighbours: noise and fast wiggles cancel out, a step becomes a ramp. "
    "A blur is called a **low-pass filter**: on the chirp, which oscillations survive it — the slow ones or the "
    "fast ones? Every weight here is positive and they sum to 1, so the output stays on the scale of the signal."
)

# ------------------------------------------------------------------------------------------------------------ 2-D
st.header("2 · Kernels on a photo")
st.markdown(
    "In two dimensions the kernel is a small square, and it visits every pixel. Pick a photo (or upload your own) "
    "and a kernel. The page works on a small grayscale copy so that everything reruns instantly."
)
init_from_url("conv_kernel", KERNEL_KEYS, "gaussian")
init_number_from_url("conv_sigma", 1.0, 0.5, 8.0)
init_number_from_url("conv_size", 5, 3, 15, integer=True)
if st.session_state["conv_size"] % 2 == 0:
    st.session_state["conv_size"] = 5
init_from_url("conv_padding", list(PADDING_LABELS), "reflect")

with st.container(border=True):
    pick_col, kernel_col = st.columns([2, 3], gap="large")
    with pick_col:
        picked: PickedImage = photo_picker("conv_photo", default="camera")
    with kernel_col:
        key = st.selectbox("Kernel", KERNEL_KEYS, key="conv_kernel",
                           format_func=lambda k: kernels.kernel_info(k).title)
        info = kernels.kernel_info(key)
        params = st.columns(2)
        size = params[0].slider("Box size", 3, 15, step=2, key="conv_size", disabled=info.parameter != "size",
                                help="Side of the box blur's square (odd, so there is a centre pixel).")
        sigma = params[1].slider("Gaussian σ (pixels)", 0.5, 8.0, step=0.1, key="conv_sigma",
                                 disabled=info.parameter != "sigma",
                                 help="Spread of the Gaussian. The kernel is made 2·⌈3σ⌉ + 1 pixels wide, enough "
                                      "to hold 99.7 % of its weight.")
        padding: Padding = st.radio("Padding at the border", list(PADDING_LABELS), key="conv_padding",
                                    format_func=PADDING_LABELS.get, horizontal=True)
        flipped = st.toggle(FLIP_LABEL, key="conv_flip",
                            help="Mathematical convolution rotates the kernel by 180° before sliding; deep learning "
                                 "does not. See section 3.")
        editing = st.toggle("Edit the numbers", key="conv_edit",
                            help="Start from the selected kernel and type your own numbers.")
mirror_to_url("conv_photo", "conv_kernel", "conv_sigma", "conv_size")
gray = teaching_image(picked.image_id, picked.array)
height, width_px = gray.shape
st.caption(f"{picked.caption}. Working copy: {width_px}×{height} pixels, grayscale, values 0 (black) … 1 (white).")

# Which kernel is in force: a named one, or the student's own numbers.
result: Filtered | None = None
display: kernels.Display = info.display
kernel_title = info.title
if editing:
    st.subheader("Your kernel")
    seed = kernels.named_kernel(key, size=size, sigma=sigma)
    edit_cols = st.columns([2, 3])
    side = edit_cols[0].radio("Kernel size", EDITOR_SIDES, key="conv_editor_side", horizontal=True,
                              format_func=lambda n: f"{n}×{n}")
    st.session_state.setdefault("conv_editor_round", 0)
    if edit_cols[0].button("Start again from the selected kernel", key="conv_editor_reset"):
        st.session_state["conv_editor_round"] += 1
    editor_key = (f"conv_editor_{key}_{size if info.parameter == 'size' else ''}"
                  f"{sigma if info.parameter == 'sigma' else ''}_{side}_{st.session_state['conv_editor_round']}")
    seed_frame = kernel_frame(kernels.fit_kernel(seed, side))
    with edit_cols[0]:
        edited = st.data_editor(seed_frame, key=editor_key, width="content",
                                column_config={"_index": st.column_config.TextColumn(disabled=True),
                                               **{c: st.column_config.NumberColumn(c, format="%.4g")
                                                  for c in seed_frame.columns}})
        normalised = st.checkbox("Normalise (divide by the sum)", key="conv_normalise",
                                 help="Makes the numbers add up to 1, so flat areas keep their brightness.")
    edit_cols[1].markdown(
        f"Seeded from **{info.title}**{' (Sobel x)' if key == 'sobel' else ''}. Click a cell and type; the output "
        "below follows. Row and column labels are offsets from the centre pixel. Ideas: a single 1 off-centre "
        "(shifts the image), a row of 1/3 (horizontal blur), the Sobel x kernel turned by 90° or 45°."
    )
    kernel_title = "Your kernel"
    try:
        custom = kernels.validate_kernel(kernel_from_frame(edited), allowed_sides=EDITOR_SIDES)
        edit_cols[1].markdown(kernels.brightness_note(custom))
        if normalised:
            if kernels.sums_to_zero(custom):
                edit_cols[1].info("This kernel's numbers add up to 0, so there is nothing to divide by: it measures "
                                  "change, and flat areas come out 0 however it is scaled. Showing it as typed.")
            else:
                edit_cols[1].markdown(f"**Normalised:** every number is divided by {kernels.kernel_sum(custom):.3g}, "
                                      "so the kernel that is slid (shown below) adds up to 1.")
                custom = kernels.normalise(custom)
        display = kernels.display_for(custom)
        result = custom_output(picked.image_id, custom, padding, flipped, gray)
    except KernelError as error:
        st.error(f"**This kernel can't be used yet.** {error} Your numbers are kept in the table above.")
else:
    result = named_output(picked.image_id, key, size, sigma, padding, flipped, gray)

if result is not None:
    about, grids = st.columns([3, 4], gap="medium")
    with grids:
        labels = ["Sobel x", "Sobel y"] if len(result.kernels) == 2 else [kernel_title]
        for grid_col, label, k in zip(st.columns(len(labels)), labels, result.kernels):
            grid_col.html(charts.kernel_html(k, label + (" (flipped)" if flipped else "")))
    with about:
        if editing:
            st.markdown("**Your kernel**, exactly as it is slid over the image"
                        + (" (flipped by 180°)." if flipped else "."))
        else:
            st.markdown(f"**{info.title}.** {info.about}")
            st.markdown(kernels.brightness_note(result.kernels[0]) if len(result.kernels) == 1 else
                        "Each Sobel kernel sums to **0**; their combined magnitude is never negative.")
    left, right = st.columns(2, gap="medium")
    show_picture(left, charts.gray_rgb(gray), "Input")
    picture, scale_note = charts.render(result.output, display)
    show_picture(right, picture, f"Output — {scale_note}")
    if len(result.parts) == 2:
        st.markdown("The magnitude combines two signed responses, shown here with one shared colour scale:")
        limit = charts.robust_limit(*result.parts)
        pair = st.columns(2, gap="medium")
        show_picture(pair[0], charts.signed_rgb(result.parts[0], limit),
                     f"Sobel x: vertical edges (blue < 0 < red, ±{limit:.3g})")
        show_picture(pair[1], charts.signed_rgb(result.parts[1], limit),
                     f"Sobel y: horizontal edges (blue < 0 < red, ±{limit:.3g})")
else:
    left, right = st.columns(2, gap="medium")
    show_picture(left, charts.gray_rgb(gray), "Input")
    right.info("The output appears as soon as every cell holds an ordinary number and at least one is non-zero.")

st.markdown(
    "**Reading the colours.** Blurs and sharpening give ordinary brightness, shown in grey. Edge kernels sum to "
    "zero: they answer 0 on flat areas and a *signed* number at edges, shown blue (negative) – white (zero) – red "
    "(positive). **Padding** decides what the kernel sees beyond the border — try *zeros* with a big blur and look "
    "at the dark frame it leaves. Most photo-editing buttons are convolutions too: *sharpen* and *unsharp mask*, "
    "*blur* and simple *noise reduction* (averaging away speckle), *emboss*; even a hue or colour-balance change is "
    "a 1×1 convolution that mixes the red, green and blue values of each pixel."
)

# --------------------------------------------------------------------------------------------- one pixel by hand
st.header("3 · One output pixel, by hand")
st.markdown(
    "Choose an output pixel. The orange square on the input is the patch the kernel covers there; below, its "
    "numbers are multiplied cell by cell with the kernel's and added up — giving exactly the output pixel's value."
)
if st.session_state.get("conv_pixel_for") != picked.image_id:  # a new photo: start on its most distinctive spot
    st.session_state["conv_pixel_for"] = picked.image_id
    spot_size = min(32, height, width_px)
    spot_r, spot_c = default_spot(picked.image_id, spot_size, gray)
    st.session_state["conv_row"], st.session_state["conv_col"] = spot_r + spot_size // 2, spot_c + spot_size // 2
clamp_state("conv_row", 0, height - 1, height // 2)
clamp_state("conv_col", 0, width_px - 1, width_px // 2)
pixel_cols = st.columns(2)
row = pixel_cols[0].slider("Row", 0, height - 1, key="conv_row")
col = pixel_cols[1].slider("Column", 0, width_px - 1, key="conv_col")
if result is None:
    st.info("Fix the kernel in section 2 to see this breakdown.")
else:
    side_px = result.kernels[0].shape[0]
    half = side_px // 2
    parts = [convolution.pixel_breakdown(gray, k, row, col, padding) for k in result.kernels]
    value = float(result.output[row, col])
    shown, zoomed, summary = st.columns([3, 2, 3], gap="medium")
    show_picture(shown, charts.boxed(charts.gray_rgb(gray), [(row - half, col - half, side_px, side_px,
                                                            charts.ORANGE)]),
                 f"Input: the patch around row {row}, column {col}")
    show_picture(zoomed, charts.zoom(gray, row, col, side_px, radius=min(max(half + 2, 4), 12)),
                 "Close-up: the patch (orange) and its centre (blue)")
    with summary:
        if len(parts) == 2:
            st.markdown(f"Sobel x gives **{parts[0].total:.4f}**, Sobel y **{parts[1].total:.4f}**. Combined: "
                        f"√({parts[0].total:.4f}² + {parts[1].total:.4f}²) = **{value:.4f}** — the output pixel at "
                        f"row {row}, column {col}.")
        else:
            st.markdown(f"Sum of the {side_px * side_px} products: **{parts[0].total:.4f}**.\n\n"
                        f"The output image holds **{value:.4f}** at row {row}, column {col} — the same number.")
        if side_px > 7:
            st.caption(f"A {side_px}×{side_px} kernel means {side_px**2} multiplications for every single pixel — "
                       "which is why large blurs are usually done as two 1-D passes.")
    labels = ["Sobel x", "Sobel y"] if len(parts) == 2 else [""]
    st.html(charts.breakdown_html(list(zip(labels, parts))))

with st.expander("Correlation or convolution? (the flip)", expanded=False):
    example = result.kernels[0] if result is not None and not flipped else kernels.SOBEL_X
    flip_cols = st.columns([2, 2, 5])
    flip_cols[0].html(charts.kernel_html(example, "As slid by a CNN"))
    flip_cols[1].html(charts.kernel_html(kernels.flip(example), "Flipped by 180°"))
    flip_cols[2].markdown(
        "What this page (and PyTorch's `conv2d`) computes is, strictly, **cross-correlation**: the kernel is laid on "
        "the image as it is. The textbook **convolution** first rotates the kernel by 180°, which gives it nice "
        "mathematical properties (convolving with two kernels in a row equals convolving once with their "
        "convolution). For symmetric kernels — box, Gaussian, Laplacian — the two are identical. For Sobel x, "
        "flipping swaps the signs: edges that were red turn blue. A CNN does not care, because it *learns* its "
        "kernels: a learned kernel would simply come out flipped. Is the kernel on the left the same as its flipped "
        f"copy? Switch on *{FLIP_LABEL}* in section 2 and compare the output."
    )

# ------------------------------------------------------------------------------------------------------- sandbox
st.header("4 · Padding, stride and kernel size")
st.markdown(
    "How big is the output? Set the sizes of a square input and kernel, the padding added around the input, the "
    "**stride** (how far the kernel jumps between positions) and the **dilation** (gaps between the kernel's taps). "
    "The drawing shows one kernel position and the output cell it writes."
)
sandbox = st.columns(5)
n = sandbox[0].slider("Input size n", 3, 12, 7, key="conv_sb_n")
k = sandbox[1].slider("Kernel size k", 1, 7, 3, key="conv_sb_k")
p = sandbox[2].slider("Padding p", 0, 3, 1, key="conv_sb_p")
s = sandbox[3].slider("Stride s", 1, 3, 1, key="conv_sb_s")
d = sandbox[4].slider("Dilation d", 1, 3, 1, key="conv_sb_d")
geometry = convolution.conv_geometry(n, k, p, s, d)
if d == 1:
    formula = (r"\text{output} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1 = "
               rf"\left\lfloor \frac{{{n} + 2\cdot{p} - {k}}}{{{s}}} \right\rfloor + 1")
else:
    formula = (r"\text{output} = \left\lfloor \frac{n + 2p - d\,(k-1) - 1}{s} \right\rfloor + 1 = "
               rf"\left\lfloor \frac{{{n} + 2\cdot{p} - {d}\cdot{k - 1} - 1}}{{{s}}} \right\rfloor + 1")
numerator = geometry.padded - geometry.span
formula += rf" = \left\lfloor \frac{{{numerator}}}{{{s}}} \right\rfloor + 1"
formula += rf" = {geometry.out}" if geometry.valid else r" \le 0"
st.latex(formula)
torch_shape = convolution.torch_output_shape(n, k, p, s, d)
if not geometry.valid:
    st.error(f"**No output.** {convolution.geometry_problem(geometry)}")
    st.image(charts.sandbox_svg(geometry, 0, 0))
    st.caption("PyTorch agrees: `conv2d` refuses this combination with an error." if torch_shape is None else
               f"PyTorch's `conv2d` gives shape {torch_shape}.")
else:
    clamp_state("conv_sb_i", 0, geometry.out - 1, 0)
    clamp_state("conv_sb_j", 0, geometry.out - 1, 0)
    draw_col, pick_cols = st.columns([3, 1])
    with pick_cols:
        if geometry.out > 1:
            out_i = st.slider("Output row", 0, geometry.out - 1, key="conv_sb_i")
            out_j = st.slider("Output column", 0, geometry.out - 1, key="conv_sb_j")
        else:
            out_i = out_j = 0
            st.caption("A single output cell.")
    draw_col.image(charts.sandbox_svg(geometry, out_i, out_j))
    notes = [f"PyTorch's `conv2d` on a 1×1×{n}×{n} input gives shape {torch_shape} — the formula's "
             f"{geometry.out}×{geometry.out}."]
    if geometry.leftover:
        notes.append(f"The floor in the formula drops the last {geometry.leftover} padded row(s) and column(s): "
                     "the kernel's next jump would run off the edge, so they are never read.")
    if geometry.out == n:
        notes.append("Output size = input size: this padding is called *same* padding.")
    elif p == 0 and s == 1:
        notes.append(f"Without padding (*valid* convolution) every layer shrinks the map by "
                     f"{'k − 1' if d == 1 else 'd·(k − 1)'} = {geometry.span - 1}.")
    if s > 1:
        notes.append(f"Stride {s} keeps about one position in {s} along each axis — the cheap way CNNs shrink maps.")
    if d > 1:
        notes.append(f"Dilation {d} spreads {k} taps over {geometry.span} cells: a wider view for the same number "
                     "of weights.")
    st.markdown(" ".join(notes))

# ------------------------------------------------------------------------------------------------ template matching
st.header("5 · Template matching: the simplest part detector")
st.markdown(
    "A kernel answers *how much does this patch look like me?* So cut a piece out of the image and use it as the "
    "kernel: it will respond most where the image looks like that piece. To make the answer fair, both the "
    "template and each image window are shifted to mean 0 and scaled to the same spread first — the "
    "**normalised cross-correlation** (NCC), 1 for a perfect match, 0 for nothing in common, −1 for the negative. "
    "It is still one convolution, plus a division by each window's standard deviation."
)
largest_template = min(64, height // 2, width_px // 2) // 4 * 4
ncc: np.ndarray | None = None
if largest_template < 16:
    st.info(f"This image ({width_px}×{height} pixels) is too narrow to cut a template from. Pick another photo.")
    st.header(FAIL_HEADER)
    st.info("Template matching needs a wider image.")
else:
    tpl_controls = st.columns(4)
    tpl_size = tpl_controls[0].slider("Template size", 12, largest_template, min(32, largest_template), step=4,
                                      key="conv_tpl_size")
    spot_key = f"{picked.image_id}:{tpl_size}"
    if st.session_state.get("conv_tpl_for") != spot_key:
        st.session_state["conv_tpl_for"] = spot_key
        if st.session_state.get("conv_tpl_image") != picked.image_id:  # a new photo: start on a distinctive spot
            st.session_state["conv_tpl_image"] = picked.image_id
            st.session_state["conv_tpl_row"], st.session_state["conv_tpl_col"] = default_spot(
                picked.image_id, tpl_size, gray)
    clamp_state("conv_tpl_row", 0, height - tpl_size, 0)
    clamp_state("conv_tpl_col", 0, width_px - tpl_size, 0)
    tpl_row = tpl_controls[1].slider("Template top row", 0, height - tpl_size, key="conv_tpl_row")
    tpl_col = tpl_controls[2].slider("Template left column", 0, width_px - tpl_size, key="conv_tpl_col")
    match_count = tpl_controls[3].slider("Matches shown", 1, 5, 3, key="conv_matches")
    template = template_matching.extract(gray, tpl_row, tpl_col, tpl_size)
    try:
        ncc = scores(picked.image_id, tpl_row, tpl_col, tpl_size, 0.0, 1.0, gray)
    except TemplateError as error:
        ncc = None
        st.warning(f"**No template to match.** {error}")
        st.header(FAIL_HEADER)
        st.info("Choose a template with some texture first.")
    if ncc is not None:
        matches = template_matching.match_peaks(ncc, template.shape, match_count)
        boxes = [(tpl_row - 1.5, tpl_col - 1.5, tpl_size + 3, tpl_size + 3, charts.BLUE)] + [
            (m.row, m.col, tpl_size, tpl_size, charts.MATCH_COLOURS[i]) for i, m in enumerate(matches)][::-1]
        img_col, map_col, tpl_col_ui = st.columns([4, 4, 3], gap="medium")
        show_picture(img_col, charts.boxed(charts.gray_rgb(gray), boxes),
                     "Where the template was cut (blue, just outside) and the best matches, best first: "
                     + ", ".join(charts.MATCH_COLOUR_NAMES[:len(matches)]))
        ncc_rgb = charts.signed_rgb(np.pad(ncc, ((0, tpl_size - 1), (0, tpl_size - 1)), constant_values=0.0), 1.0)
        show_picture(map_col, charts.boxed(ncc_rgb, [(m.row, m.col, 1, 1, (0, 0, 0)) for m in matches], thickness=3),
                     "NCC score for each window's top-left corner (blue −1, white 0, red +1)")
        with tpl_col_ui:
            st.image(charts.enlarge(charts.gray_rgb(template), max(1, 128 // tpl_size)), caption="The template",
                     width="stretch")
            st.markdown("\n".join(f"{i}. row {m.row}, column {m.col}: **{m.score:.3f}** "
                                   f"({charts.MATCH_COLOUR_NAMES[i - 1]})" for i, m in enumerate(matches, start=1)))
        st.markdown(
            "A template matches its own place perfectly, with a score of 1: is that your first match? The others "
            "are windows that happen to have a similar light-and-dark layout. Move the template onto an eye, a "
            "letter or a corner and see what else in the picture resembles it; does a template on a flat area match "
            "many places?"
        )

        # ------------------------------------------------------------------------------------------ where it fails
        st.header(FAIL_HEADER)
        st.markdown(
            "Now turn or resize the picture, keep the template as it was cut, and search again. The template is a "
            "rigid pattern of pixels: after a few degrees of rotation or a modest zoom the pattern under it no "
            "longer lines up. Expect the best score to drop and the best window soon to sit somewhere else "
            "entirely; the score, the verdict and the curve below show what this template does."
        )
        move_controls = st.columns(2)
        angle = move_controls[0].slider("Rotate the image (degrees)", -60, 60, 0, step=5, key="conv_angle")
        scale = move_controls[1].slider("Scale the image", 0.6, 1.5, 1.0, step=0.05, key="conv_scale")
        moved = moved_image(picked.image_id, float(angle), float(scale), gray)
        moved_scores = scores(picked.image_id, tpl_row, tpl_col, tpl_size, float(angle), float(scale), gray)
        best = template_matching.best_match(moved_scores)
        found = template_matching.matched_true_place(gray.shape, tpl_row, tpl_col, tpl_size, best, angle, scale)
        centre = (tpl_size - 1) / 2
        true_r, true_c = template_matching.transform_point(gray.shape, tpl_row + centre, tpl_col + centre, angle, scale)
        size_there = tpl_size * scale
        fail_img, fail_chart = st.columns([4, 5], gap="medium")
        show_picture(fail_img, charts.boxed(charts.gray_rgb(moved), [
            (true_r - size_there / 2, true_c - size_there / 2, size_there, size_there, charts.BLUE),
            (best.row, best.col, tpl_size, tpl_size, charts.GREEN if found else (224, 49, 49))]),
            "Blue: where the template's content went. Green/red: the best match (red when it is in the wrong place).")
        with fail_chart:
            metrics = st.columns(2)
            moved_at_all = angle != 0 or scale != 1
            metrics[0].metric("Best score", f"{best.score:.3f}",
                              delta=f"{best.score - 1:.3f} vs. unmoved" if moved_at_all else None)
            metrics[1].metric("Best match", "right place" if found else "wrong place")
            swept = sweep(picked.image_id, tpl_row, tpl_col, tpl_size, float(scale), gray)
            st.vega_lite_chart(spec=charts.rotation_spec(swept, float(angle), best.score), width="stretch")
        st.markdown(
            template_matching.rotation_summary(swept.angles, swept.found, swept.peak, float(scale))
            + " Real objects also bend, open and turn in depth, so a detector needs patterns that tolerate small "
            "changes instead of demanding an exact pixel match."
        )

# --------------------------------------------------------------------------------------------------------- HOG
st.header("7 · Histograms of oriented gradients")
st.markdown(
    "The fix that ruled object detection before deep learning (Dalal & Triggs, 2005): don't compare pixels, "
    "compare **statistics of edges**. Compute the gradient at every pixel (two tiny edge kernels, as in section 2), "
    "cut the image into small cells, and in each cell build a histogram: how much edge strength points in each "
    "direction. Neighbouring cells are grouped into blocks and normalised, so lighting matters less. Small shifts "
    "and turns move an edge within its cell or into a neighbouring bin, so the histogram should change little — "
    "*Why binning helps* below measures how much."
)
hog_controls = st.columns(3)
orientations = hog_controls[0].slider("Orientation bins", 4, 18, 9, key="conv_hog_bins")
pixels_per_cell = hog_controls[1].select_slider("Pixels per cell", HOG_CELL_SIZES, value=8, key="conv_hog_cell")
cells_per_block = hog_controls[2].slider("Cells per block", 1, 4, 2, key="conv_hog_block")
if min(height, width_px) < pixels_per_cell * cells_per_block:
    st.warning(f"This image is too small for blocks of {cells_per_block}×{cells_per_block} cells of "
               f"{pixels_per_cell} pixels. Choose fewer cells per block or smaller cells.")
else:
    described = hog_of(picked.image_id, orientations, pixels_per_cell, cells_per_block, gray)
    cells_r, cells_c = described.cells.shape[:2]
    strongest = hog.strongest_cell(described.cells)
    clamp_state("conv_cell_row", 0, cells_r - 1, strongest[0])
    clamp_state("conv_cell_col", 0, cells_c - 1, strongest[1])
    cell_controls = st.columns(2)
    cell_row = cell_controls[0].slider("Cell row", 0, cells_r - 1, key="conv_cell_row") if cells_r > 1 else 0
    cell_col = cell_controls[1].slider("Cell column", 0, cells_c - 1, key="conv_cell_col") if cells_c > 1 else 0
    hog_left, hog_right = st.columns(2, gap="medium")
    show_picture(hog_left, charts.boxed(charts.gray_rgb(gray), [
        (cell_row * pixels_per_cell, cell_col * pixels_per_cell, pixels_per_cell, pixels_per_cell,
         (76, 201, 240))]), "Input, with the chosen cell outlined")
    show_picture(hog_right, charts.hog_overlay(gray, described.drawing, (cell_row, cell_col), pixels_per_cell),
                 f"HOG: per cell, one line per direction bin along the edge, brighter = stronger "
                 f"({cells_r}×{cells_c} cells, {described.features.size:,} numbers after block normalisation)")
    hist_col, cell_col_ui = st.columns([4, 1], gap="medium")
    hist_col.vega_lite_chart(spec=charts.histogram_spec(described.cells[cell_row, cell_col],
                                                        hog.bin_edges(orientations)), width="stretch")
    with cell_col_ui:
        patch = gray[cell_row * pixels_per_cell:(cell_row + 1) * pixels_per_cell,
                     cell_col * pixels_per_cell:(cell_col + 1) * pixels_per_cell]
        st.image(charts.enlarge(charts.gray_rgb(patch), max(1, 96 // pixels_per_cell)),
                 caption=f"Cell ({cell_row}, {cell_col})", width="stretch")
    st.caption(
        "Directions are those of the gradient (from dark to light, folded into 0°–180°): 0° means brightness "
        "changes left–right, i.e. a vertical edge; 90° a horizontal edge. The picture above draws each bin as a "
        "line along the edge, at right angles to its gradient."
    )

    if ncc is not None:
        st.subheader("Why binning helps")
        st.markdown(
            "Take the template from section 5 and move it a little — a few pixels sideways, or a few degrees of "
            "turn — then measure how similar it still is to itself, three ways: its raw pixels, its edge map, and "
            "its HOG descriptor (this section's settings)."
        )
        st.markdown(
            "**What the textbook expects.** The edge map is the most fragile, because edges are thin and a small "
            "move slides them off each other; HOG is made from those very edges, yet pooling them into cells and "
            "direction bins wins most of the tolerance back. Raw pixels can look tolerant on smooth patches, because "
            "blurry blobs still overlap after a small move — but smooth blobs are also what makes a template match "
            "in many wrong places. On detailed patches (texture, fur, writing) HOG is expected to beat the raw "
            "pixels too. The numbers with the chart say what this template actually does."
        )
        kind = st.radio("Move by", ["shift", "rotation"], horizontal=True, key="conv_tol_kind",
                        format_func={"shift": "Shifting right", "rotation": "Rotating"}.get)
        tol = tolerance_of(picked.image_id, tpl_row, tpl_col, tpl_size, kind, orientations, pixels_per_cell,
                           cells_per_block, gray)
        tol_chart, tol_text = st.columns([3, 2], gap="medium")
        tol_chart.vega_lite_chart(spec=charts.tolerance_spec(tol, kind), width="stretch")
        probe = 2  # 2 pixels of shift, or 10° of rotation
        tol_text.markdown(hog.tolerance_summary(kind, float(tol.amounts[probe]), float(tol.pixels[probe]),
                                                float(tol.edges[probe]), float(tol.hog[probe])))

# ------------------------------------------------------------------------------------------------ towards CNNs
st.header("8 · From parts to deep networks")
st.markdown(
    "The next step in the story was the **deformable part model** (Felzenszwalb et al., 2008–2010). A person "
    "detector there is a coarse HOG template for the whole body plus a few finer templates for parts — head, "
    "arms, legs. Each part template is **convolved** over the HOG map, then the best response **near** the "
    "expected place is kept (a **max** over small displacements, minus a cost for moving too far), and the "
    "scores are **summed**. Read that again: filters, a nonlinearity, max pooling, a weighted sum. It is already "
    "a small deep network — just with hand-designed first layers and only a couple of layers.\n\n"
    "A convolutional network takes the last step: it **learns** every kernel, including the ones that compute "
    "the features, stacks many such layers, and lets gradient descent decide what to be tolerant to."
)
st.page_link("pages/inside_cnn.py", label="Next: look inside a real CNN — its learned kernels and feature maps",
             icon=":material/arrow_forward:")
