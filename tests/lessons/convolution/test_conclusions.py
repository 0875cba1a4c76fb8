"""Unit tests of the output-size sandbox's words: the formula filled in, and the notes under the drawing."""

from __future__ import annotations

import pytest

from lessons.convolution import compute as convolution
from lessons.convolution import conclusions


def _geometry(n: int, k: int, p: int = 0, s: int = 1, d: int = 1) -> convolution.ConvGeometry:
    return convolution.conv_geometry(n, k, p, s, d)


def test_the_formula_is_filled_in_step_by_step():
    latex = conclusions.output_size_latex(_geometry(7, 3, 1, 2))
    assert latex.startswith(r"\text{output} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1")
    assert r"\frac{7 + 2\cdot1 - 3}{2}" in latex and r"\frac{6}{2}" in latex
    assert latex.endswith("= 4") and convolution.output_size(7, 3, 1, 2) == 4


def test_dilation_uses_the_general_formula():
    latex = conclusions.output_size_latex(_geometry(7, 3, 0, 1, 2))
    assert r"d\,(k-1)" in latex and r"2\cdot2 - 1" in latex and latex.endswith("= 3")


def test_an_invalid_geometry_ends_below_zero():
    geometry = _geometry(3, 7)
    latex = conclusions.output_size_latex(geometry)
    assert not geometry.valid and latex.endswith(r" \le 0") and r"\frac{-4}{1}" in latex


@pytest.mark.parametrize(("sizes", "present", "absent"), [
    ((7, 3, 1, 1, 1), ["gives shape (1, 1, 7, 7) — the formula's 7×7", "*same* padding"], ["shrinks", "Stride"]),
    ((7, 3, 0, 1, 1), ["shrinks the map by k − 1 = 2"], ["*same*", "Dilation"]),
    ((7, 3, 0, 1, 2), ["shrinks the map by d·(k − 1) = 4", "Dilation 2 spreads 3 taps over 5 cells"], ["Stride"]),
    ((8, 3, 0, 2, 1), ["drops the last 1 padded row(s)", "Stride 2 keeps about one position in 2"], ["shrinks"]),
])
def test_geometry_notes_say_what_applies(sizes, present, absent):
    geometry = _geometry(*sizes)
    notes = conclusions.geometry_notes(geometry, convolution.torch_output_shape(*sizes))
    assert notes.startswith(f"PyTorch's `conv2d` on a 1×1×{sizes[0]}×{sizes[0]} input")
    for words in present:
        assert words in notes, (words, notes)
    for words in absent:
        assert words not in notes, (words, notes)


def test_torch_verdict_for_an_invalid_geometry():
    assert conclusions.torch_verdict(convolution.torch_output_shape(3, 7)).startswith("PyTorch agrees")
    assert conclusions.torch_verdict((1, 1, 0, 0)) == "PyTorch's `conv2d` gives shape (1, 1, 0, 0)."
