"""Lesson page: Convolution — a kernel sliding along a signal and over a photo, template matching, HOG."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lessons.convolution import compute as convolution
from lessons.convolution import exercises, hog, kernels, template_matching
from lessons.convolution.compute import Filtered
from lessons.convolution.template_matching import TemplateError
from ui import conv_charts as charts
from ui import conv_widgets as widgets
from ui.conv_widgets import FLIP_LABEL
from ui.exercises import exercises_at, notice
from ui.images import PickedImage, photo_picker
from ui.navigation import lesson_by_path
from ui.presenter import section
from ui.routing import route_through_app
from ui.settings.convolution import STATE, TOLERANCE_KINDS

route_through_app()
STATE.start()
LESSON = lesson_by_path("pages/convolution.py")
FAIL_HEADER = "6 · Where a fixed template fails"
Template = tuple[int, int, int]  # top row, left column, side


@section
def introduction() -> None:
    """The title and what a convolution is."""
    st.title(LESSON.title)
    st.markdown(
        "A **convolution** slides a small grid of numbers — the **kernel** — over a signal or an image. At every "
        "position it multiplies the kernel with what lies underneath, adds the products up, and writes that one "
        "number to the output. Blurring, sharpening and edge detection are all this one operation with different "
        "numbers, and the first layers of every CNN are nothing else — except that there the numbers are *learned*."
    )


@section
def section_signal() -> None:
    """1 · A 1-D filter sliding along a signal, one position at a time."""
    st.header("1 · A filter sliding along a signal")
    st.markdown(
        "Start in one dimension. The orange bars are the filter's weights, placed at one position of the signal; the "
        "blue dots are the samples underneath. Multiply pairwise, add up, and you get the output at that position. "
        "Drag the position to slide the filter and watch the output being built."
    )
    signal, kernel = widgets.signal_and_filter()
    output = convolution.correlate1d(signal, kernel)
    position = st.slider("Filter position — drag to slide the filter along the signal", 0,
                         convolution.SIGNAL_SAMPLES - 1, key="conv_position")
    step = convolution.slide_step(signal, kernel, position)
    widgets.show_slide(signal, output, step)
    st.caption(
        f"At position {position}: {len(kernel)} products add up to **{step.total:.4f}**, the value PyTorch's "
        f"`conv1d` wrote there ({output[position]:.4f}). Near the ends the filter hangs over the edge; the missing "
        "samples count as 0 (*zero padding*), which pulls the output towards 0 there."
    )
    st.markdown(
        "A wider box or a larger σ averages more neighbours: noise and fast wiggles cancel out, a step becomes a "
        "ramp. A blur is called a **low-pass filter**: on the chirp, which oscillations survive it — the slow ones "
        "or the fast ones? Every weight here is positive and they sum to 1, so the output stays on the scale of the "
        "signal."
    )
    exercises_at(LESSON.url_path, "signal")


@section
def section_kernels() -> tuple[PickedImage, np.ndarray, Filtered | None]:
    """2 · A photo, a kernel (named or hand-made) and its output; returns the image, its grayscale and the output."""
    st.header("2 · Kernels on a photo")
    st.markdown(
        "In two dimensions the kernel is a small square, and it visits every pixel. Pick a photo (or upload your "
        "own) and a kernel. The page works on a small grayscale copy so that everything reruns instantly."
    )
    if STATE.value("conv_size") % 2 == 0:  # a box needs a centre pixel: a link's even size gives way to the default
        STATE.set("conv_size", STATE["conv_size"].default)
    with st.container(border=True):
        pick_col, kernel_col = st.columns([2, 3], gap="large")
        with pick_col:
            picked: PickedImage = photo_picker("conv_photo")
            st.caption("A shared link carries every setting on this page, but not an uploaded image: it opens with "
                       "the photo chosen above.")
        with kernel_col:
            widgets.kernel_controls()
    widgets.follow_the_image(picked.image_id)
    gray = widgets.teaching_image(picked.image_id, picked.array)
    height, width = gray.shape
    st.caption(f"{picked.caption}. Working copy: {width}×{height} pixels, grayscale, values 0 (black) … 1 (white).")
    result, display = widgets.filtered(picked.image_id, gray)
    widgets.show_filtered(gray, result, display, picked.image_id)
    st.markdown(
        "**Reading the colours.** Blurs and sharpening give ordinary brightness, shown in grey. Edge kernels sum to "
        "zero: they answer 0 on flat areas and a *signed* number at edges, shown blue (negative) – white (zero) – "
        "red (positive). **Padding** decides what the kernel sees beyond the border — try *zeros* with a big blur "
        "and look at the dark frame it leaves. Most photo-editing buttons are convolutions too: *sharpen* and "
        "*unsharp mask*, *blur* and simple *noise reduction* (averaging away speckle), *emboss*; even a hue or "
        "colour-balance change is a 1×1 convolution that mixes the red, green and blue values of each pixel."
    )
    if result is not None:
        notice(exercises.edge_notice(exercises.edge_response(result.kernels)))
    exercises_at(LESSON.url_path, "kernels", {"kernel": widgets.hand_made_kernel(result)})
    widgets.mystery_question(LESSON.url_path, picked.image_id, gray)
    return picked, gray, result


@section
def section_pixel(picked: PickedImage, gray: np.ndarray, result: Filtered | None) -> None:
    """3 · One output pixel as patch × kernel, summed by hand."""
    st.header("3 · One output pixel, by hand")
    st.markdown(
        "Choose an output pixel. The orange square on the input is the patch the kernel covers there; below, its "
        "numbers are multiplied cell by cell with the kernel's and added up — giving exactly the output pixel's "
        "value."
    )
    height, width = gray.shape
    widgets.bind_place(("conv_row", "conv_col"), gray.shape, lambda: widgets.distinctive_pixel(picked.image_id, gray))
    pixel_cols = st.columns(2)
    row = pixel_cols[0].slider("Row", 0, height - 1, key="conv_row")
    col = pixel_cols[1].slider("Column", 0, width - 1, key="conv_col")
    if result is None:
        st.info("Fix the kernel in section 2 to see this breakdown.")
    else:
        widgets.show_pixel(gray, result, row, col, STATE.value("conv_padding"))
    exercises_at(LESSON.url_path, "pixel")


@section
def explain_the_flip(result: Filtered | None) -> None:
    """Correlation or convolution: the kernel beside its 180° turn."""
    with st.expander("Correlation or convolution? (the flip)", expanded=False):
        example = result.kernels[0] if result is not None and not STATE.value("conv_flip") else kernels.SOBEL_X
        flip_cols = st.columns([2, 2, 5])
        flip_cols[0].html(charts.kernel_html(example, "As slid by a CNN"))
        flip_cols[1].html(charts.kernel_html(kernels.flip(example), "Flipped by 180°"))
        flip_cols[2].markdown(
            "What this page (and PyTorch's `conv2d`) computes is, strictly, **cross-correlation**: the kernel is laid "
            "on the image as it is. The textbook **convolution** first rotates the kernel by 180°, which gives it "
            "nice mathematical properties (convolving with two kernels in a row equals convolving once with their "
            "convolution). For symmetric kernels — box, Gaussian, Laplacian — the two are identical. For Sobel x, "
            "flipping swaps the signs: edges that were red turn blue. A CNN does not care, because it *learns* its "
            "kernels: a learned kernel would simply come out flipped. Is the kernel on the left the same as its "
            f"flipped copy? Switch on *{FLIP_LABEL}* in section 2 and compare the output."
        )


@section
def section_sandbox() -> None:
    """4 · Output size from input size, kernel size, padding, stride and dilation, drawn and checked by PyTorch."""
    st.header("4 · Padding, stride and kernel size")
    st.markdown(
        "How big is the output? Set the sizes of a square input and kernel, the padding added around the input, the "
        "**stride** (how far the kernel jumps between positions) and the **dilation** (gaps between the kernel's "
        "taps). The drawing shows one kernel position and the output cell it writes."
    )
    sandbox = st.columns(5)
    n = sandbox[0].slider("Input size n", 3, 12, key="conv_sb_n")
    k = sandbox[1].slider("Kernel size k", 1, 7, key="conv_sb_k")
    p = sandbox[2].slider("Padding p", 0, 3, key="conv_sb_p")
    s = sandbox[3].slider("Stride s", 1, 3, key="conv_sb_s")
    d = sandbox[4].slider("Dilation d", 1, 3, key="conv_sb_d")
    widgets.show_geometry(convolution.conv_geometry(n, k, p, s, d))
    exercises_at(LESSON.url_path, "sandbox")


@section
def section_template(picked: PickedImage, gray: np.ndarray) -> Template | None:
    """5 · A piece of the image as a kernel, found again by normalised cross-correlation; returns the template."""
    st.header("5 · Template matching: the simplest part detector")
    st.markdown(
        "A kernel answers *how much does this patch look like me?* So cut a piece out of the image and use it as the "
        "kernel: it will respond most where the image looks like that piece. To make the answer fair, both the "
        "template and each image window are shifted to mean 0 and scaled to the same spread first — the "
        "**normalised cross-correlation** (NCC), 1 for a perfect match, 0 for nothing in common, −1 for the "
        "negative. It is still one convolution, plus a division by each window's standard deviation."
    )
    if not template_matching.template_fits(gray.shape):
        st.info(f"This image ({gray.shape[1]}×{gray.shape[0]} pixels) is too narrow to cut a template from. Pick "
                "another photo.")
        st.header(FAIL_HEADER)
        st.info("Template matching needs a wider image.")
        return None
    row, col, size, count = widgets.template_picker(picked.image_id, gray)
    try:
        scores = widgets.template_scores(picked.image_id, row, col, size, gray)
    except TemplateError as error:
        st.warning(f"**No template to match.** {error}")
        st.header(FAIL_HEADER)
        st.info("Choose a template with some texture first.")
        return None
    widgets.show_matches(gray, row, col, size, scores, template_matching.match_peaks(scores, (size, size), count),
                         picked.image_id)
    st.markdown(
        "A template matches its own place perfectly, with a score of 1: is that your first match? The others are "
        "windows that happen to have a similar light-and-dark layout. Move the template onto an eye, a letter or a "
        "corner and see what else in the picture resembles it; does a template on a flat area match many places?"
    )
    exercises_at(LESSON.url_path, "template")
    return row, col, size


@section
def section_failure(picked: PickedImage, gray: np.ndarray, template: Template) -> None:
    """6 · The same template after the image is rotated or scaled."""
    st.header(FAIL_HEADER)
    st.markdown(
        "Now turn or resize the picture, keep the template as it was cut, and search again. The template is a rigid "
        "pattern of pixels: after a few degrees of rotation or a modest zoom the pattern under it no longer lines "
        "up. Expect the best score to drop and the best window soon to sit somewhere else entirely; the score, the "
        "verdict and the curve below show what this template does."
    )
    move_controls = st.columns(2)
    angle = move_controls[0].slider("Rotate the image (degrees)", -60, 60, step=5, key="conv_angle")
    scale = move_controls[1].slider("Scale the image", 0.6, 1.5, step=0.05, key="conv_scale")
    search = widgets.moved_search(picked.image_id, *template, float(angle), float(scale), gray)
    swept = widgets.sweep(picked.image_id, *template, float(scale), gray)
    if not exercises_at(LESSON.url_path, "failure", exercises.turn_facts(swept.angles, swept.found, swept.peak)):
        return
    widgets.show_moved_search(search, swept, template[2], float(angle), angle != 0 or scale != 1, picked.image_id)
    st.markdown(
        template_matching.rotation_summary(swept.angles, swept.found, swept.peak, float(scale))
        + " Real objects also bend, open and turn in depth, so a detector needs patterns that tolerate small "
        "changes instead of demanding an exact pixel match."
    )


@section
def section_hog(picked: PickedImage, gray: np.ndarray, template: Template | None) -> None:
    """7 · Histograms of oriented gradients, and (with a template) how much binning tolerates small moves."""
    st.header("7 · Histograms of oriented gradients")
    st.markdown(
        "The fix that ruled object detection before deep learning (Dalal & Triggs, 2005): don't compare pixels, "
        "compare **statistics of edges**. Compute the gradient at every pixel (two tiny edge kernels, as in section "
        "2), cut the image into small cells, and in each cell build a histogram: how much edge strength points in "
        "each direction. Neighbouring cells are grouped into blocks and normalised, so lighting matters less. Small "
        "shifts and turns move an edge within its cell or into a neighbouring bin, so the histogram should change "
        "little — *Why binning helps* below measures how much."
    )
    hog_controls = st.columns(3)
    orientations = hog_controls[0].slider("Orientation bins", 4, 18, key="conv_hog_bins")
    cell = int(hog_controls[1].select_slider("Pixels per cell", STATE["conv_hog_cell"].options, key="conv_hog_cell"))
    block = hog_controls[2].slider("Cells per block", 1, 4, key="conv_hog_block")
    if not hog.blocks_fit(gray.shape, cell, block):
        st.warning(f"This image is too small for blocks of {block}×{block} cells of {cell} pixels. Choose fewer "
                   "cells per block or smaller cells.")
        return
    described = widgets.hog_of(picked.image_id, orientations, cell, block, gray)
    widgets.show_hog(gray, described, *widgets.cell_picker(described), picked.image_id)
    st.caption(
        "Directions are those of the gradient (from dark to light, folded into 0°–180°): 0° means brightness "
        "changes left–right, i.e. a vertical edge; 90° a horizontal edge. The picture above draws each bin as a "
        "line along the edge, at right angles to its gradient."
    )
    if template is not None:
        section_tolerance(picked, gray, template, orientations, cell, block)


@section
def section_tolerance(picked: PickedImage, gray: np.ndarray, template: Template, orientations: int, cell: int,
                      block: int) -> None:
    """Why binning helps: the template moved a little, compared with itself as pixels, edges and HOG."""
    st.subheader("Why binning helps")
    st.markdown(
        "Take the template from section 5 and move it a little — a few pixels sideways, or a few degrees of turn — "
        "then measure how similar it still is to itself, three ways: its raw pixels, its edge map, and its HOG "
        "descriptor (this section's settings)."
    )
    st.markdown(
        "**What the textbook expects.** The edge map is the most fragile, because edges are thin and a small move "
        "slides them off each other; HOG is made from those very edges, yet pooling them into cells and direction "
        "bins wins most of the tolerance back. Raw pixels can look tolerant on smooth patches, because blurry blobs "
        "still overlap after a small move — but smooth blobs are also what makes a template match in many wrong "
        "places. On detailed patches (texture, fur, writing) HOG is expected to beat the raw pixels too. The "
        "numbers with the chart say what this template actually does."
    )
    kind = st.radio("Move by", TOLERANCE_KINDS, horizontal=True, key="conv_tol_kind",
                    format_func={"shift": "Shifting right", "rotation": "Rotating"}.get)
    measured = widgets.tolerance_of(picked.image_id, *template, kind, orientations, cell, block, gray)
    if not exercises_at(LESSON.url_path, "hog", exercises.tolerance_facts(
            kind, measured.amounts, measured.pixels, measured.edges, measured.hog, hog.PROBE_STEP)):
        return
    widgets.show_tolerance(measured, kind, hog.tolerance_verdict(measured, kind), picked.image_id)


@section
def section_towards_cnns() -> None:
    """8 · From hand-made parts to learned networks."""
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
    exercises_at(LESSON.url_path, "parts")


introduction()
section_signal()
picked, gray, result = section_kernels()
section_pixel(picked, gray, result)
explain_the_flip(result)
section_sandbox()
template = section_template(picked, gray)
if template is not None:
    section_failure(picked, gray, template)
section_hog(picked, gray, template)
section_towards_cnns()
STATE.write_url()
