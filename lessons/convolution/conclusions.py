"""What the output-size sandbox of the Convolution lesson says: its formula filled in, and the notes under the drawing.

Pure functions (no Streamlit): a `ConvGeometry` in, LaTeX or markdown text out.
"""

from __future__ import annotations

from lessons.convolution.compute import ConvGeometry


def output_size_latex(geometry: ConvGeometry) -> str:
    """The output-size formula as LaTeX, filled in with the geometry's numbers step by step (≤ 0 when invalid)."""
    n, k, p, s, d = geometry.n, geometry.k, geometry.padding, geometry.stride, geometry.dilation
    if d == 1:
        formula = (r"\text{output} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1 = "
                   rf"\left\lfloor \frac{{{n} + 2\cdot{p} - {k}}}{{{s}}} \right\rfloor + 1")
    else:
        formula = (r"\text{output} = \left\lfloor \frac{n + 2p - d\,(k-1) - 1}{s} \right\rfloor + 1 = "
                   rf"\left\lfloor \frac{{{n} + 2\cdot{p} - {d}\cdot{k - 1} - 1}}{{{s}}} \right\rfloor + 1")
    numerator = geometry.padded - geometry.span
    formula += rf" = \left\lfloor \frac{{{numerator}}}{{{s}}} \right\rfloor + 1"
    return formula + (rf" = {geometry.out}" if geometry.valid else r" \le 0")


def geometry_notes(geometry: ConvGeometry, torch_shape: tuple[int, ...] | None) -> str:
    """The notes under a valid sandbox drawing: PyTorch's shape, dropped rows, same/valid padding, stride, dilation."""
    g = geometry
    notes = [(f"PyTorch's `conv2d` on a 1×1×{g.n}×{g.n} input gives shape {torch_shape} — the formula's "
              f"{g.out}×{g.out}.")]
    if g.leftover:
        notes.append(f"The floor in the formula drops the last {g.leftover} padded row(s) and column(s): "
                     "the kernel's next jump would run off the edge, so they are never read.")
    if g.out == g.n:
        notes.append("Output size = input size: this padding is called *same* padding.")
    elif g.padding == 0 and g.stride == 1:
        notes.append(f"Without padding (*valid* convolution) every layer shrinks the map by "
                     f"{'k − 1' if g.dilation == 1 else 'd·(k − 1)'} = {g.span - 1}.")
    if g.stride > 1:
        notes.append(f"Stride {g.stride} keeps about one position in {g.stride} along each axis — the cheap way "
                     "CNNs shrink maps.")
    if g.dilation > 1:
        notes.append(f"Dilation {g.dilation} spreads {g.k} taps over {g.span} cells: a wider view for the same "
                     "number of weights.")
    return " ".join(notes)


def torch_verdict(torch_shape: tuple[int, ...] | None) -> str:
    """What PyTorch says about a geometry the formula finds invalid (it refuses, or the shape it gives)."""
    if torch_shape is None:
        return "PyTorch agrees: `conv2d` refuses this combination with an error."
    return f"PyTorch's `conv2d` gives shape {torch_shape}."
