"""AppTest runs of the Convolution page: every section renders, every control changes what is shown, bad kernels get
a clear message, the shareable view round-trips through the URL; plus the page's picture and chart builders."""

from __future__ import annotations

import base64
import re

import numpy as np
import pandas as pd
import pytest
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from lessons.convolution import compute as convolution
from lessons.convolution import exercises, hog, kernels, template_matching
from lessons.core import data
from lessons.core.exports import PNG_SIGNATURE
from tests.pages.apptest import (
    all_texts,
    answer_exercise,
    commit_prediction,
    exercise_feedback,
    exercise_record,
    image_captions,
    keyed_elements,
    no_exception,
    open_lesson,
    predictions_of,
    show_hint,
)
from ui import conv_charts as charts
from ui.downloads import EXPORT_WIDTH, chart_png, vega_spec

PAGE = "pages/convolution.py"
HEADERS = [
    "1 · A filter sliding along a signal", "2 · Kernels on a photo", "3 · One output pixel, by hand",
    "4 · Padding, stride and kernel size", "5 · Template matching: the simplest part detector",
    "6 · Where a fixed template fails", "7 · Histograms of oriented gradients", "8 · From parts to deep networks",
]




def _open(query: dict[str, str] | None = None, predictions_open: bool = False) -> AppTest:
    """The lesson opened with the URL's `query`; its predictions skipped (every result shown) unless
    `predictions_open`."""
    return open_lesson(PAGE, 120, query, skipped=() if predictions_open else predictions_of(PAGE))


@pytest.fixture()
def page() -> AppTest:
    return _open()


def _images(at: AppTest) -> list[str]:
    """Every picture's address (it changes whenever the picture's content does)."""
    return [img.url for element in at.get("image") for img in element.proto.imgs]


def _image_with_caption(at: AppTest, start: str, exact: bool = False) -> str:
    matches = [img.url for element in at.get("image") for img in element.proto.imgs
               if (img.caption == start if exact else img.caption.startswith(start))]
    assert len(matches) == 1, (start, image_captions(at))
    return matches[0]


def _html(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _charts(at: AppTest) -> list:
    return list(at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"))


def _dataset(chart, name: str) -> pd.DataFrame:
    for dataset in chart.proto.datasets:
        if dataset.name == name:
            return dataset_util(dataset.data.data)
    raise KeyError(name)


def dataset_util(raw: bytes) -> pd.DataFrame:
    return dataframe_util.convert_arrow_bytes_to_pandas_df(raw)


def _set_edits(at: AppTest, edited_rows: dict[int, dict[str, float | None]]) -> None:
    key = at.data_editor[0].key
    at.session_state[key] = {"edited_rows": edited_rows, "added_rows": [], "deleted_rows": []}
    at.run()


def _sum_and_value(at: AppTest) -> tuple[float, float]:
    text = _markdown(at)
    total = float(re.search(r"Sum of the \d+ products: \*\*(-?[\d.]+)\*\*", text).group(1))
    value = float(re.search(r"The output image holds \*\*(-?[\d.]+)\*\*", text).group(1))
    return total, value


# -------------------------------------------------------------------------------------------------- default view
def test_default_view_shows_every_section(page):
    assert page.title[0].value == "Convolution"
    assert [h.value for h in page.header] == HEADERS
    assert len(_charts(page)) == 7  # four 1-D panels, the rotation sweep, a cell histogram, the tolerance curves
    captions = image_captions(page)
    for start in ("Input", "Output —", "Input: the patch around", "Close-up", "The template",
                  "Blue: where the template", "HOG: per cell", "Input, with the chosen cell"):
        assert any(c.startswith(start) for c in captions), (start, captions)
    html = _html(page)
    assert "Gaussian blur" in html and "sum = 1" in html  # the kernel grid
    assert "input patch" in html and "products" in html  # the pixel breakdown
    total, value = _sum_and_value(page)
    assert total == value
    assert "= 7" in page.latex[0].value
    assert page.selectbox(key="conv_kernel").value == "gaussian"
    assert page.selectbox(key="conv_photo").value == "camera"
    assert page.query_params["conv_kernel"] in ("gaussian", ["gaussian"])
    assert page.query_params["conv_photo"] in ("camera", ["camera"])
    assert [m.label for m in page.metric] == ["Best score", "Best match"]
    assert not page.error and not page.warning


# ----------------------------------------------------------------------------------------------------------- 1-D
def test_1d_controls_change_the_charts(page):
    def window(at: AppTest) -> pd.DataFrame:
        return _dataset(_charts(at)[0], "window")

    first = window(page)
    assert list(first["x"]) == [58, 59, 60, 61, 62] and list(first["value"]) == [0, 0, 1, 1, 1]  # on the step
    assert _dataset(_charts(page)[3], "here")["value"].iloc[0] == pytest.approx(0.6)
    page.slider(key="conv_position").set_value(0).run()
    no_exception(page)
    assert list(window(page)["x"]) == [-2, -1, 0, 1, 2]
    assert len(_dataset(_charts(page)[3], "done")) == 1
    assert "At position 0:" in page.caption[0].value
    page.slider(key="conv_width1d").set_value(11).run()
    assert len(window(page)) == 11
    page.radio(key="conv_filter1d").set_value("gaussian").run()
    no_exception(page)
    page.slider(key="conv_sigma1d").set_value(3.0).run()
    assert len(window(page)) == 19
    for kind in ("noisy_sine", "chirp"):
        before = _dataset(_charts(page)[0], "signal")["value"].to_numpy()
        page.radio(key="conv_signal").set_value(kind).run()
        no_exception(page)
        assert not np.allclose(_dataset(_charts(page)[0], "signal")["value"].to_numpy(), before)
    page.slider(key="conv_position").set_value(119).run()
    done = _dataset(_charts(page)[3], "done")
    signal = _dataset(_charts(page)[0], "signal")["value"].to_numpy()
    np.testing.assert_allclose(done["value"], convolution.correlate1d(signal, convolution.filter_1d(
        "gaussian", sigma=3.0)), atol=1e-5)


# ----------------------------------------------------------------------------------------------------------- 2-D
def test_every_kernel_shows_its_own_output(page):
    seen = {_image_with_caption(page, "Output —")}
    for key in kernels.kernel_keys():
        if key == "gaussian":
            continue
        page.selectbox(key="conv_kernel").set_value(key).run()
        no_exception(page)
        output = _image_with_caption(page, "Output —")
        assert output not in seen, key
        seen.add(output)
        assert page.query_params["conv_kernel"] in (key, [key])
        caption = next(c for c in image_captions(page) if c.startswith("Output —"))
        display = kernels.kernel_info(key).display
        assert ("blue < 0 < red" in caption) == (display == "signed"), (key, caption)
        if key == "sobel":
            assert any(c.startswith("Sobel x: vertical edges") for c in image_captions(page))
            assert "Sobel y" in _html(page)
            assert "Combined: √(" in _markdown(page)


def test_kernel_parameters_padding_and_flip_change_the_output(page):
    before = _image_with_caption(page, "Output —")
    page.slider(key="conv_sigma").set_value(3.0).run()
    no_exception(page)
    assert _image_with_caption(page, "Output —") != before
    assert "19×19, sum = 1" in _html(page) and "middle 9×9" in _html(page)
    assert page.query_params["conv_sigma"] in ("3.0", ["3.0"])
    page.selectbox(key="conv_kernel").set_value("box").run()
    assert page.slider(key="conv_sigma").disabled and not page.slider(key="conv_size").disabled
    box5 = _image_with_caption(page, "Output —")
    page.slider(key="conv_size").set_value(9).run()
    assert _image_with_caption(page, "Output —") != box5 and "9×9, sum = 1" in _html(page)
    by_padding = set()
    for padding in ("zeros", "reflect", "replicate"):
        page.radio(key="conv_padding").set_value(padding).run()
        no_exception(page)
        by_padding.add(_image_with_caption(page, "Output —"))
    assert len(by_padding) == 3
    page.selectbox(key="conv_kernel").set_value("sobel_x").run()
    plain = _image_with_caption(page, "Output —")
    page.toggle(key="conv_flip").set_value(True).run()
    no_exception(page)
    assert _image_with_caption(page, "Output —") != plain
    assert "Sobel x (vertical edges) (flipped)" in _html(page)


def test_the_flip_explanation_names_the_toggle_by_its_label(page):
    label = page.toggle(key="conv_flip").label
    assert label == "Flip (true convolution)"
    assert f"Switch on *{label}* in section 2" in _markdown(page) and "Flip the kernel" not in _markdown(page)


def test_kernel_editor_edits_and_explains_bad_kernels(page):
    page.toggle(key="conv_edit").set_value(True).run()
    no_exception(page)
    seed = page.data_editor[0].value
    assert seed.shape == (3, 3) and seed.to_numpy().sum() == pytest.approx(1.0, abs=1e-6)
    blurred = _image_with_caption(page, "Output —")

    identity = {0: {"−1": 0.0, "0": 0.0, "+1": 0.0}, 1: {"−1": 0.0, "0": 1.0, "+1": 0.0},
                2: {"−1": 0.0, "0": 0.0, "+1": 0.0}}
    _set_edits(page, identity)
    no_exception(page)
    assert _image_with_caption(page, "Output —") != blurred
    # the identity kernel gives the input back
    assert _image_with_caption(page, "Output —") == _image_with_caption(page, "Input", exact=True)
    total, value = _sum_and_value(page)
    assert total == value

    _set_edits(page, {**identity, 1: {"−1": 0.0, "0": None, "+1": 0.0}})
    no_exception(page)
    assert len(page.error) == 1
    message = page.error[0].value
    assert "can't be used yet" in message and "row 2, column 2" in message and "Type a number" in message
    assert "kept" in message
    assert not any(c.startswith("Output —") for c in image_captions(page))
    assert any("Fix the kernel in section 2" in i.value for i in page.info)
    assert page.session_state[page.data_editor[0].key]["edited_rows"][1]["0"] is None  # the edit is not lost
    assert [h.value for h in page.header] == HEADERS  # the rest of the page still works

    _set_edits(page, {1: {"0": float("inf")}})
    assert "infinite" in page.error[0].value

    zeros = {r: {"−1": 0.0, "0": 0.0, "+1": 0.0} for r in range(3)}
    _set_edits(page, zeros)
    assert len(page.error) == 1 and "Every entry is 0" in page.error[0].value

    ones = {r: {"−1": 1.0, "0": 1.0, "+1": 1.0} for r in range(3)}
    _set_edits(page, ones)
    assert not page.error and "add up to **9**" in _markdown(page)
    bright = _image_with_caption(page, "Output —")
    page.checkbox(key="conv_normalise").check().run()
    no_exception(page)
    assert _image_with_caption(page, "Output —") != bright

    _set_edits(page, {0: {"−1": -1.0, "0": 0.0, "+1": 1.0}, 1: {"−1": -2.0, "0": 0.0, "+1": 2.0},
                      2: {"−1": -1.0, "0": 0.0, "+1": 1.0}})
    assert any("nothing to divide by" in i.value for i in page.info)
    assert "blue < 0 < red" in next(c for c in image_captions(page) if c.startswith("Output —"))

    page.radio(key="conv_editor_side").set_value("5").run()
    no_exception(page)
    assert page.data_editor[0].value.shape == (5, 5)
    edited_key = page.data_editor[0].key
    _set_edits(page, {2: {"0": 3.0}})
    page.button(key="conv_editor_reset").click().run()
    no_exception(page)
    assert page.data_editor[0].key != edited_key  # a fresh editor, seeded again


def test_highlighted_pixel_follows_the_sliders(page):
    page.slider(key="conv_row").set_value(0).run()
    page.slider(key="conv_col").set_value(0).run()
    no_exception(page)
    assert "outside the image" in _html(page)
    total, value = _sum_and_value(page)
    assert total == value
    assert any(c == "Input: the patch around row 0, column 0" for c in image_captions(page))
    before = _html(page)
    page.slider(key="conv_row").set_value(200).run()
    page.slider(key="conv_col").set_value(17).run()
    assert _html(page) != before and "outside the image" not in _html(page)
    total, value = _sum_and_value(page)
    assert total == value
    page.selectbox(key="conv_kernel").set_value("sobel").run()
    assert "Combined: √(" in _markdown(page)


# -------------------------------------------------------------------------------------------------------- sandbox
def test_sandbox_formula_drawing_and_invalid_combinations(page):
    def svg(at: AppTest) -> str:
        data = next(url for url in _images(at) if url.startswith("data:image/svg+xml;base64,"))
        return base64.b64decode(data.split(",", 1)[1]).decode()

    assert "output 7×7" in svg(page)
    page.slider(key="conv_sb_s").set_value(2).run()
    no_exception(page)
    assert page.latex[0].value.rstrip("$\n ").endswith("= 4") and "output 4×4" in svg(page)
    assert "(1, 1, 4, 4)" in _markdown(page)
    page.slider(key="conv_sb_i").set_value(3).run()
    page.slider(key="conv_sb_j").set_value(2).run()
    assert svg(page).count('fill="#2f9e44"') == 1  # one highlighted output cell
    page.slider(key="conv_sb_d").set_value(2).run()
    assert r"d\,(k-1)" in page.latex[0].value and "Dilation 2" in _markdown(page)
    page.slider(key="conv_sb_n").set_value(3).run()
    page.slider(key="conv_sb_k").set_value(7).run()
    page.slider(key="conv_sb_p").set_value(0).run()
    no_exception(page)
    assert len(page.error) == 1 and "No output" in page.error[0].value
    assert "padding of at least" in page.error[0].value
    assert any("PyTorch agrees" in c.value for c in page.caption)
    page.slider(key="conv_sb_p").set_value(3).run()
    page.slider(key="conv_sb_d").set_value(1).run()
    no_exception(page)
    assert not page.error


def test_valid_convolution_note_states_the_shrinkage_the_formula_gives(page):
    page.slider(key="conv_sb_p").set_value(0).run()
    assert "shrinks the map by k − 1 = 2" in _markdown(page) and page.latex[0].value.rstrip("$\n ").endswith("= 5")
    page.slider(key="conv_sb_d").set_value(2).run()
    assert "shrinks the map by d·(k − 1) = 4" in _markdown(page)
    assert page.latex[0].value.rstrip("$\n ").endswith("= 3")  # 7 − 4
    page.slider(key="conv_sb_s").set_value(2).run()
    assert "shrinks the map" not in _markdown(page)  # with a stride the output is not n minus a constant


# ---------------------------------------------------------------------------------------------- template matching
def test_template_and_failure_controls(page):
    matches_text = next(m.value for m in page.markdown if m.value.startswith("1. row"))
    assert matches_text.count("\n") == 2 and "**1.000**" in matches_text
    page.slider(key="conv_matches").set_value(5).run()
    assert next(m.value for m in page.markdown if m.value.startswith("1. row")).count("\n") == 4
    before = _image_with_caption(page, "NCC score")
    page.slider(key="conv_tpl_size").set_value(20).run()
    page.slider(key="conv_tpl_row").set_value(30).run()
    page.slider(key="conv_tpl_col").set_value(200).run()
    no_exception(page)
    assert _image_with_caption(page, "NCC score") != before
    assert "row 30, column 200: **1.000** (green)" in _markdown(page)
    assert page.metric[0].value == "1.000" and page.metric[1].value == "right place"

    sweep = _dataset(_charts(page)[4], "sweep")
    assert list(sweep["angle"]) == [-60, -45, -30, -20, -10, -5, 0, 5, 10, 20, 30, 45, 60]
    assert sweep.loc[sweep["angle"] == 0, "score"].iloc[0] == pytest.approx(1.0, abs=1e-5)
    page.slider(key="conv_angle").set_value(30).run()
    no_exception(page)
    score = float(page.metric[0].value)
    assert score < 0.99 and "vs. unmoved" in page.metric[0].proto.delta
    assert _dataset(_charts(page)[4], "now")["angle"].iloc[0] == 30
    assert score == pytest.approx(sweep.loc[sweep["angle"] == 30, "score"].iloc[0], abs=1e-3)
    page.slider(key="conv_scale").set_value(1.4).run()
    no_exception(page)
    assert page.metric[1].value in ("right place", "wrong place")
    assert _sweep_sentence(page, 1.4) in _markdown(page)


def _sweep_sentence(at: AppTest, scale: float) -> str:
    """The rotation verdict recomputed from the sweep chart's own data."""
    shown = _dataset(_charts(at)[4], "sweep")
    return template_matching.rotation_summary(shown["angle"].to_numpy(), (shown["best match"] == "at the true place")
                                              .to_numpy(), shown["score"].to_numpy(), scale)


def test_rotation_verdict_follows_the_sweep_shown(page):
    text = _markdown(page)
    assert _sweep_sentence(page, 1.0) in text
    assert "first lands in the wrong place at -20° of rotation" in text  # the camera's default template


def test_flat_template_is_explained(monkeypatch):
    import ui.images

    array = np.full((120, 160, 3), 128, np.uint8)
    array[:, 80:] = np.random.default_rng(1).integers(0, 255, (120, 80, 3), dtype=np.uint8)  # texture on the right
    picked = ui.images.PickedImage("upload:half-flat", array, "Your upload: half-flat.png")
    monkeypatch.setattr(ui.images, "photo_picker", lambda key, default="coffee": picked)
    at = _open()
    at.slider(key="conv_tpl_row").set_value(0).run()
    at.slider(key="conv_tpl_col").set_value(0).run()
    no_exception(at)
    warning = next(w.value for w in at.warning if "No template to match" in w.value)
    assert "flat" in warning and "Move it onto something with edges" in warning
    assert [h.value for h in at.header] == HEADERS
    assert any("texture" in i.value for i in at.info)
    at.slider(key="conv_tpl_col").set_value(100).run()
    no_exception(at)
    assert not at.warning and "row 0, column 100: **1.000**" in _markdown(at)


# --------------------------------------------------------------------------------------------------------- HOG
def test_hog_controls(page):
    hist = _dataset(_charts(page)[5], "bins")
    assert len(hist) == 9 and hist["direction"].iloc[0] == "0–20°"
    hog_picture = _image_with_caption(page, "HOG: per cell")
    page.slider(key="conv_hog_bins").set_value(12).run()
    no_exception(page)
    assert len(_dataset(_charts(page)[5], "bins")) == 12
    assert _image_with_caption(page, "HOG: per cell") != hog_picture
    page.select_slider(key="conv_hog_cell").set_value("16").run()
    page.slider(key="conv_hog_block").set_value(3).run()
    no_exception(page)
    assert "16×16 cells" in next(c for c in image_captions(page) if c.startswith("HOG: per cell"))
    page.slider(key="conv_cell_row").set_value(2).run()
    page.slider(key="conv_cell_col").set_value(3).run()
    no_exception(page)
    assert "Cell (2, 3)" in image_captions(page)
    curves = _dataset(_charts(page)[6], "curves")
    assert set(curves["description"]) == {"raw pixels", "edge map (Sobel magnitude)", "HOG"}
    assert _tolerance_sentence(page, "shift", 2) in _markdown(page)
    page.radio(key="conv_tol_kind").set_value("rotation").run()
    no_exception(page)
    assert "After a 10° turn" in _markdown(page)
    assert _dataset(_charts(page)[6], "curves")["amount"].max() == 45
    assert _tolerance_sentence(page, "rotation", 10) in _markdown(page)


def _tolerance_sentence(at: AppTest, kind: str, amount: float) -> str:
    """The tolerance verdict recomputed from the curves the chart shows, at the amount the text reports."""
    curves = _dataset(_charts(at)[6], "curves")
    at_amount = curves[curves["amount"] == amount].set_index("description")["similarity"]
    return hog.tolerance_summary(kind, amount, at_amount["raw pixels"], at_amount["edge map (Sobel magnitude)"],
                                 at_amount["HOG"])


def test_hog_verdict_on_the_default_photo_is_honest_about_rotation(page):
    page.radio(key="conv_tol_kind").set_value("rotation").run()
    text = _markdown(page)
    assert "**HOG did not tolerate the turn better than raw pixels**" in text  # camera: 0.79 pixels vs 0.67 HOG


# ------------------------------------------------------------------------------------------------------------ URL
def test_view_is_restored_from_the_url():
    at = _open({"conv_photo": "coins", "conv_kernel": "sobel_x", "conv_sigma": "2.5", "conv_size": "7"})
    assert at.selectbox(key="conv_photo").value == "coins"
    assert at.selectbox(key="conv_kernel").value == "sobel_x"
    assert at.slider(key="conv_sigma").value == 2.5
    assert at.slider(key="conv_size").value == 7
    assert "Greek coins" in at.caption[1].value or any("Greek coins" in c.value for c in at.caption)
    at.selectbox(key="conv_kernel").set_value("laplacian").run()
    at.selectbox(key="conv_photo").set_value("brick").run()
    no_exception(at)
    assert at.query_params["conv_kernel"] in ("laplacian", ["laplacian"])
    assert at.query_params["conv_photo"] in ("brick", ["brick"])
    assert at.query_params["conv_sigma"] in ("2.5", ["2.5"])


def test_bad_url_values_fall_back_to_defaults():
    at = _open({"conv_photo": "nowhere", "conv_kernel": "<script>", "conv_sigma": "nan", "conv_size": "4"})
    assert at.selectbox(key="conv_photo").value == "camera"
    assert at.selectbox(key="conv_kernel").value == "gaussian"
    assert at.slider(key="conv_sigma").value == 1.0
    assert at.slider(key="conv_size").value == 5
    at2 = _open({"conv_sigma": "99", "conv_size": "abc"})
    assert at2.slider(key="conv_sigma").value == 1.0 and at2.slider(key="conv_size").value == 5


SHARED_LINK = {
    "conv_padding": "zeros", "conv_signal": "chirp", "conv_position": "7", "conv_edit": "True",
    "conv_editor_side": "5", "conv_row": "10", "conv_col": "20", "conv_sb_s": "2", "conv_sb_i": "3",
    "conv_tpl_size": "20", "conv_tpl_row": "30", "conv_tpl_col": "200", "conv_angle": "15", "conv_scale": "1.2",
    "conv_hog_cell": "16", "conv_cell_row": "2", "conv_cell_col": "3", "conv_tol_kind": "rotation",
}


def _in_url(at: AppTest, key: str) -> str:
    value = at.query_params[key]
    return value[0] if isinstance(value, list) else value


def test_a_shared_link_restores_every_section_and_the_url_carries_it_back():
    at = _open(SHARED_LINK)
    for key, raw in SHARED_LINK.items():
        assert str(at.session_state[key]) == raw, key
        assert _in_url(at, key) == raw, key  # conv_padding was read from links but never written back
    assert at.radio(key="conv_padding").value == "zeros" and at.data_editor[0].value.shape == (5, 5)
    assert at.slider(key="conv_tpl_row").value == 30 and at.slider(key="conv_cell_col").value == 3
    assert "Input: the patch around row 10, column 20" in image_captions(at)
    assert "row 30, column 200: **1.000** (green)" in _markdown(at) and "Cell (2, 3)" in image_captions(at)
    assert "After a 10° turn" in _markdown(at) and "At position 7:" in at.caption[0].value
    at.radio(key="conv_padding").set_value("replicate").run()
    assert _in_url(at, "conv_padding") == "replicate"


def test_a_new_photo_starts_the_pixel_and_the_template_on_its_own_distinctive_spots():
    at = _open(SHARED_LINK)
    at.selectbox(key="conv_photo").set_value("coins").run()
    no_exception(at)
    gray = convolution.to_gray(data.load_photo("coins"))
    assert (at.session_state["conv_row"], at.session_state["conv_col"]) == template_matching.distinctive_pixel(gray)
    spot = template_matching.distinctive_spot(gray, 20)
    assert (at.session_state["conv_tpl_row"], at.session_state["conv_tpl_col"]) == spot
    assert (_in_url(at, "conv_tpl_row"), _in_url(at, "conv_tpl_col")) == tuple(str(v) for v in spot)
    assert at.session_state["conv_padding"] == "zeros" and at.session_state["conv_tpl_size"] == 20  # the rest stays


# --------------------------------------------------------------------------------------------------- odd images
@pytest.mark.parametrize(("shape", "name"), [((16, 16, 3), "tiny"), ((16, 900, 3), "narrow"), ((700, 40, 3), "tall"),
                                             ((64, 64, 3), "blank")])
def test_odd_uploads_render_without_exceptions(monkeypatch, shape, name):
    import ui.images

    array = np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)
    if name == "blank":
        array[:] = 200  # one flat colour: no edges, no template, an empty HOG
    picked = ui.images.PickedImage(f"upload:{name}", array, f"Your upload: {name}.png")
    monkeypatch.setattr(ui.images, "photo_picker", lambda key, default="coffee": picked)
    at = _open()
    assert any(name in c.value for c in at.caption)
    for key in ("gaussian", "sobel", "box"):
        at.selectbox(key="conv_kernel").set_value(key).run()
        no_exception(at)
    at.selectbox(key="conv_kernel").set_value("gaussian").run()
    at.slider(key="conv_sigma").set_value(8.0).run()  # a 49×49 kernel on an image smaller than that
    no_exception(at)
    total, value = _sum_and_value(at)
    assert total == value
    assert [h.value for h in at.header] == HEADERS


# ----------------------------------------------------------------------------------------------- picture builders
def test_signed_colours_are_centred_on_zero():
    values = np.array([[-2.0, 0.0, 2.0, 9.0]])
    rgb = charts.signed_rgb(values, limit=2.0)
    assert rgb.dtype == np.uint8 and rgb.shape == (1, 4, 3)
    assert np.all(rgb[0, 1] > 240)  # zero is (near) white
    assert rgb[0, 0, 2] > rgb[0, 0, 0] and rgb[0, 2, 0] > rgb[0, 2, 2]  # negative blue, positive red
    np.testing.assert_array_equal(rgb[0, 2], rgb[0, 3])  # clipped beyond the limit
    _, note = charts.render(values, "signed", limit=2.0)
    assert "±2" in note
    gray, note = charts.render(np.array([[0.0, 0.5, 1.5]]), "gray")
    assert list(gray[0, :, 0]) == [0, 128, 255] and "clipped" in note


def test_boxes_zoom_and_grids():
    base = np.zeros((10, 12, 3), np.uint8)
    boxed = charts.boxed(base, [(2, 3, 4, 5, (255, 0, 0))], factor=2, thickness=1)
    assert boxed.shape == (20, 24, 3)
    assert tuple(boxed[4, 6]) == (255, 0, 0) and tuple(boxed[4 + 7, 6 + 9]) == (255, 0, 0)
    assert tuple(boxed[8, 10]) == (0, 0, 0)  # inside the box stays
    out_of_frame = charts.draw_box(base, -3, -3, 5, 5)  # clipped, no error
    assert out_of_frame.shape == base.shape
    close = charts.zoom(np.ones((6, 6), np.float32), 0, 0, side=3, radius=4, factor=4)
    assert close.shape == (36, 36, 3)
    assert tuple(close[0, 0]) == (233, 236, 239)  # outside the image
    grid = charts.grid_html(np.array([[1.0, -2.0], [0.000012, 1 / 9]]), "signed")
    assert "1e-05" in grid and "0.111" in grid and "-2" in grid
    assert charts.format_number(-0.0) == "0" and charts.format_number(0.25) == "0.25"
    svg = charts.sandbox_svg(convolution.conv_geometry(5, 3, 1, 2), 1, 2)
    assert svg.startswith("<svg") and "output 3×3" in svg and svg.count('fill="#ffa94d"') == 9


def test_chart_specs_carry_their_data_and_are_cached():
    signal = convolution.make_signal("step")
    kernel = convolution.filter_1d("box", width=3)
    output = convolution.correlate1d(signal, kernel)
    specs = charts.slide_specs(signal, output, convolution.slide_step(signal, kernel, 10))
    assert len(specs) == 4
    assert set(specs[0]["datasets"]) == {"band", "signal", "window", "done", "here"}
    again = charts.slide_specs(signal, output, convolution.slide_step(signal, kernel, 30))
    assert {k: v for k, v in again[0].items() if k != "datasets"} == {
        k: v for k, v in specs[0].items() if k != "datasets"}  # only the data differ between positions
    assert list(again[0]["datasets"]["done"]["x"]) == list(range(31))
    assert specs[0]["autosize"]["type"] == "fit-x"


def test_the_pages_pictures_outline_what_they_say():
    gray = np.full((40, 60), 0.5, np.float32)
    patch = charts.patch_picture(gray, 10, 20, 5)  # the 5×5 patch around (10, 20), drawn twice as large
    assert patch.shape == (80, 120, 3) and tuple(patch[16, 36]) == charts.ORANGE
    assert tuple(patch[20, 40]) != charts.ORANGE  # inside the box
    assert charts.patch_close_up(gray, 10, 20, 3).shape == (9 * 16, 9 * 16, 3)  # at least 4 pixels around the centre
    assert charts.patch_close_up(gray, 10, 20, 49).shape == (49 * 16, 49 * 16, 3)  # never less than the kernel
    assert charts.kernel_titles(2, "Sobel magnitude", True) == ["Sobel x (flipped)", "Sobel y (flipped)"]
    assert charts.kernel_titles(1, "Your kernel", False) == ["Your kernel"]
    matches = [template_matching.Match(5, 30, 0.9)]
    cut = charts.matches_picture(gray, 20, 10, 12, matches)
    assert tuple(cut[37, 17]) == charts.BLUE and tuple(cut[10, 60]) == charts.MATCH_COLOURS[0]
    scores = np.zeros((40 - 12 + 1, 60 - 12 + 1), np.float32)
    ncc = charts.ncc_picture(scores, 12, matches)
    assert ncc.shape == (80, 120, 3) and tuple(ncc[10, 60]) == (0, 0, 0) and np.all(ncc[60, 100] > 240)
    assert charts.template_picture(np.zeros((16, 16), np.float32)).shape == (128, 128, 3)
    search = template_matching.MovedSearch(gray, template_matching.Match(2, 3, 0.4), False, 10.0, 20.0, 8.0)
    moved = charts.moved_picture(search, 6)
    assert tuple(moved[20, 40]) == charts.BLUE and tuple(moved[4, 6]) == charts.RED
    right = charts.moved_picture(template_matching.MovedSearch(gray, search.best, True, 10.0, 20.0, 8.0), 6)
    assert tuple(right[4, 6]) == charts.GREEN
    assert tuple(charts.cell_picture(gray, 1, 2, 8)[16, 32]) == charts.CYAN
    assert charts.cell_close_up(gray, 1, 2, 8).shape == (96, 96, 3)


# ----------------------------------------------------------------------------------------- downloads, links, state
DOWNLOADS = {"conv_dl_signal": ("png", "csv"), "conv_dl_output": ("png", "npy"), "conv_dl_ncc": ("png", "npy"),
             "conv_dl_sweep": ("png", "csv"), "conv_dl_hog": ("png", "npy"), "conv_dl_tolerance": ("png", "csv"),
             "conv_dl_mystery": ("png", "npy")}


def _download_keys(at: AppTest) -> set[str]:
    return {b.key for b in at.get("download_button")}


def test_every_figure_a_report_needs_has_its_downloads_in_the_default_view(page):
    wanted = {f"{row}_{kind}" for row, kinds in DOWNLOADS.items() for kind in kinds}
    assert _download_keys(page) == wanted
    helps = {b.key: b.proto.help for b in page.get("download_button")}
    assert helps["conv_dl_output_npy"] == "Download the filtered image as NPY"
    assert helps["conv_dl_ncc_npy"] == "Download the template's response map (NCC scores) as NPY"
    page.selectbox(key="conv_kernel").set_value("sobel").run()
    assert {"conv_dl_sobel_x_png", "conv_dl_sobel_x_npy", "conv_dl_sobel_y_png", "conv_dl_sobel_y_npy"} <= (
        _download_keys(page))  # the magnitude's two signed parts too


def test_the_exported_charts_stack_their_panels_and_render():
    signal = convolution.make_signal("chirp")
    kernel = convolution.filter_1d("gaussian", sigma=2.0)
    output = convolution.correlate1d(signal, kernel)
    specs = charts.slide_specs(signal, output, convolution.slide_step(signal, kernel, 12))
    exported = vega_spec(tuple(specs))
    assert len(exported["vconcat"]) == 4 and {panel["width"] for panel in exported["vconcat"]} == {EXPORT_WIDTH}
    assert len(exported["datasets"]["signal"]) == len(signal) and "autosize" not in exported["vconcat"][0]
    assert exported["datasets"]["here"] == [{"x": 12, "value": pytest.approx(float(output[12]))}]
    assert chart_png(tuple(specs)).startswith(PNG_SIGNATURE)
    single = vega_spec(charts.histogram_spec(np.arange(9.0), hog.bin_edges(9)))
    assert "vconcat" not in single and single["width"] == EXPORT_WIDTH and len(single["datasets"]["bins"]) == 9


HAND_MADE = "0,0,0;0,0,1;0,0,0"  # takes each pixel's right-hand neighbour: the image moves one pixel left


def test_a_shared_link_restores_the_hand_made_kernel_and_carries_edits_back():
    at = _open({"conv_edit": "True", "conv_kernel_numbers": HAND_MADE, "conv_padding": "replicate"})
    no_exception(at)
    assert np.array_equal(at.data_editor[0].value.to_numpy(), kernels.kernel_from_text(HAND_MADE, 3))
    assert "Seeded from the shared link" in _markdown(at) and _in_url(at, "conv_kernel_numbers") == HAND_MADE
    gray = convolution.to_gray(data.load_photo("camera"))
    shifted = convolution.apply_kernel(gray, kernels.kernel_from_text(HAND_MADE, 3), padding="replicate")
    assert np.allclose(shifted.output[:, :-1], gray[:, 1:])
    total, value = _sum_and_value(at)
    row, col = at.session_state["conv_row"], at.session_state["conv_col"]
    assert total == value == pytest.approx(float(gray[row, min(col + 1, gray.shape[1] - 1)]), abs=5e-5)
    _set_edits(at, {0: {"−1": 1.0}})
    assert _in_url(at, "conv_kernel_numbers") == "1,0,0;0,0,1;0,0,0"  # the edit travels in the link
    at.toggle(key="conv_edit").set_value(False).run()
    assert "conv_kernel_numbers" not in at.query_params  # no hand-made kernel in force, none in the link


def test_a_link_kernel_of_another_size_or_garbled_is_ignored():
    for numbers in (HAND_MADE, "1,2,banana"):
        at = _open({"conv_edit": "True", "conv_editor_side": "5", "conv_kernel_numbers": numbers})
        no_exception(at)
        seeded = kernels.fit_kernel(kernels.named_kernel("gaussian", sigma=1.0), 5)
        assert np.allclose(at.data_editor[0].value.to_numpy(), seeded) and "Seeded from **Gaussian" in _markdown(at)
        assert "conv_kernel_numbers" not in at.query_params  # the seed as it is needs no numbers in the link


def test_every_widget_is_declared_state_or_says_why_not(page):
    """Every control a student sets is a declared setting (so a link restores it); the rest are actions,
    downloads, the kernel editor (its numbers are the `conv_kernel_numbers` setting), the exercises (answers are
    the student's, never in a link) and the upload, which a link cannot carry and the page says so beside it."""
    from ui.settings.convolution import STATE

    page.toggle(key="conv_edit").set_value(True).run()
    keys = {getattr(node, "key", None) for node in keyed_elements(page)} - {None}
    undeclared = {key for key in keys - set(STATE.settings)
                  if not key.startswith(("conv_dl_", "conv_editor_", "ex_", "exercise_"))}
    assert undeclared == {"conv_photo_upload"}
    assert any("not an uploaded image" in c.value for c in page.caption)
    assert STATE["conv_kernel_numbers"].in_link and STATE["conv_padding"].in_link and STATE["conv_flip"].in_link




# ------------------------------------------------------------------------------------------------------ exercises
EDGES = "convolution.horizontal_edges"


def _kernel_edits(kernel: np.ndarray) -> dict[int, dict[str, float]]:
    return {r: dict(zip(("−1", "0", "+1"), map(float, row))) for r, row in enumerate(kernel)}


def test_the_kernel_task_gives_feedback_and_hints_then_explains():
    at = _open()
    answer_exercise(at, EDGES)  # not editing yet: nothing to judge, and no try is counted
    assert not exercise_feedback(at, EDGES)[0] and exercise_record(at, EDGES).tries == 0
    at.toggle(key="conv_edit").set_value(True).run()
    _set_edits(at, _kernel_edits(kernels.SOBEL_X))
    assert any("vertical edges only" in i.value for i in at.info)  # what to notice, about the kernel shown
    answer_exercise(at, EDGES)
    right, text = exercise_feedback(at, EDGES)
    assert not right and "**4** on a vertical edge" in text and "Turn it by 90°" in text
    assert any(text in w.value for w in at.warning) and not exercise_record(at, EDGES).done
    show_hint(at, EDGES)
    assert "Hint 1:" in all_texts(at) and "Hint 2:" not in all_texts(at)
    show_hint(at, EDGES)
    assert "Hint 2:" in all_texts(at) and exercise_record(at, EDGES).hints == 2
    assert not any(m.value.startswith("**Why.**") for m in at.markdown)
    _set_edits(at, _kernel_edits(kernels.SOBEL_Y))
    assert any("horizontal edges only" in i.value for i in at.info)
    answer_exercise(at, EDGES)
    record = exercise_record(at, EDGES)
    assert exercise_feedback(at, EDGES)[0] and record.done and record.correct and record.tries == 2
    assert any(m.value.startswith("**Why.**") and "column sums are (0, 0, 0)" in m.value for m in at.markdown)


def test_the_template_prediction_hides_the_result_until_committed():
    at = _open(predictions_open=True)
    assert not at.metric and len(_charts(at)) == 5  # no moved search, no sweep, no tolerance curves yet
    assert sum("stays hidden until you commit" in c.value for c in at.caption) == 2
    commit_prediction(at, "convolution.template_turn", exercises.LOST)
    assert [m.label for m in at.metric] == ["Best score", "Best match"] and len(_charts(at)) == 6
    record = exercise_record(at, "convolution.template_turn")
    assert record.done and record.correct  # the camera's template is lost at 30°, as the sweep shows
    assert not _dataset(_charts(at)[4], "sweep").set_index("angle").loc[30, "best match"] == "at the true place"
    assert any("matches what the page measured: **No, somewhere else**" in s.value for s in at.success)
    assert any(m.value.startswith("**Why.**") and "as the textbook expects" in m.value for m in at.markdown)
    answer_exercise(at, "convolution.which_kernel", "Sobel x (vertical edges)")
    assert exercise_record(at, "convolution.which_kernel").first_try
