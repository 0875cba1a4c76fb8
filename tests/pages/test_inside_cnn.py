"""AppTest runs of the Inside-a-CNN page: render, change every control, never an exception."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from lessons.cnn import exercises
from lessons.core import registry
from tests.pages.apptest import (
    all_texts,
    answer_exercise,
    commit_prediction,
    exercise_feedback,
    exercise_record,
    image_captions,
    no_exception,
    open_lesson,
    predictions_of,
    show_hint,
)

PAGE = "pages/inside_cnn.py"


def _open(predictions_open: bool = False) -> AppTest:
    """The lesson at its defaults; its predictions skipped (every result shown) unless `predictions_open`."""
    return open_lesson(PAGE, 120, skipped=() if predictions_open else predictions_of(PAGE))


@pytest.fixture()
def page() -> AppTest:
    return _open()


def test_default_view_shows_every_section(page):
    assert [h.value for h in page.header] == [
        "1 · From photo to tensor", "2 · What the network says", "3 · The network's stages",
        "4 · First-layer filters", "5 · Feature maps"]
    assert len(page.get("image")) >= 6  # 4 preprocessing steps, filters, feature maps
    assert any("blocks.15" in h.proto.body for h in page.get("html"))
    assert page.get("arrow_vega_lite_chart") or page.get("vega_lite_chart")
    assert page.selectbox(key="cnn_model").value == registry.DEFAULT_MODEL
    assert _param(page, "cnn_model") == registry.DEFAULT_MODEL
    text = _markdown(page)
    assert "1,000 classes of ImageNet photos" in text and "Mid-grey is a weight of 0" in text
    assert any(c.value.startswith("Colour: black =") for c in page.caption)


def _download_keys(at: AppTest) -> set[str]:
    return {b.proto.id.rsplit("-", 1)[-1] for b in at.get("download_button")}


def _colour_bar(at: AppTest) -> dict:
    specs = [json.loads(c.proto.spec) for c in at.get("arrow_vega_lite_chart") + at.get("vega_lite_chart")]
    found = [spec for spec in specs if spec.get("description", "").startswith(("black = ", "each map stretched"))]
    assert len(found) == 1, [spec.get("description") for spec in specs]
    assert "title" not in found[0] and found[0]["height"] == {"step": 24}  # one band of a fixed height
    return found[0]


def test_figures_offer_downloads_and_the_maps_have_a_colour_bar(page):
    assert {"cnn_top5_png", "cnn_top5_csv", "cnn_filters_png", "cnn_filters_npy", "cnn_maps_png",
            "cnn_maps_npy"} <= _download_keys(page)
    assert "A shared link carries the photo chosen from the list, not an uploaded file." in [c.value for c in
                                                                                           page.caption]
    shared = _colour_bar(page)
    assert shared["layer"][0]["encoding"]["x"]["axis"]["title"] == "activation value"
    assert shared["description"].startswith("black = ") and "in every map" in shared["description"]
    page.toggle(key="cnn_shared_scale").set_value(False).run()
    no_exception(page)
    own = _colour_bar(page)
    assert own["layer"][0]["encoding"]["x"]["axis"]["title"] == "each map's own range"


def test_switching_image_layer_weights_and_controls(page):
    page.selectbox(key="cnn_photo").set_value("chelsea").run()
    no_exception(page)
    for layer in ("stem", "blocks.10", "head"):
        page.selectbox(key="cnn_layer").set_value(layer).run()
        no_exception(page)
    closer = page.selectbox(key="cnn_closer_channel")
    closer.select_index(len(closer.options) - 1).run()
    no_exception(page)
    captions = [i.caption for img in page.get("image") for i in img.proto.imgs]
    assert any(c.startswith("head, channel") and c.endswith("over the input") for c in captions), captions
    page.slider(key="cnn_maps_shown").set_value(32).run()
    page.toggle(key="cnn_shared_scale").set_value(False).run()
    no_exception(page)
    page.radio(key="cnn_weights").set_value("random").run()
    no_exception(page)
    assert any("random weights" in i.value for i in page.info)


def test_offline_model_without_weights_explains_and_falls_back(page, monkeypatch, tmp_path):
    from lessons.core import weights

    monkeypatch.setattr(weights, "hub_checkpoint_dir", lambda: tmp_path)  # an empty weights folder
    assert not registry.availability("alexnet").ok
    page.selectbox(key="cnn_model").set_value("alexnet").run()
    no_exception(page)
    assert any("not on this computer" in w.value for w in page.warning)
    assert any(b.label.startswith("Download AlexNet") for b in page.button)
    # the architecture is still shown (random weights) with AlexNet's conv → relu → pool shape
    assert any("features.0" in h.proto.body for h in page.get("html"))
    page.selectbox(key="cnn_layer").set_value("features.0").run()
    no_exception(page)


def test_download_offline_says_why_within_seconds(page, monkeypatch, tmp_path):
    import time
    import urllib.error

    from lessons.core import weights

    def no_network(*args, **kwargs):
        raise urllib.error.URLError(OSError(-2, "Name or service not known"))

    monkeypatch.setattr(weights.urllib.request, "urlopen", no_network)
    monkeypatch.setattr(weights, "hub_checkpoint_dir", lambda: tmp_path)
    page.selectbox(key="cnn_model").set_value("resnet18").run()
    download = next(b for b in page.button if b.label.startswith("Download ResNet-18"))
    start = time.monotonic()
    download.click().run()
    assert time.monotonic() - start < 10
    no_exception(page)
    assert any("Could not download the ResNet-18 weights" in e.value and "offline" in e.value for e in page.error)
    assert any("45 MB" in w.value for w in page.warning)


def test_digit_model_uses_digits(page):
    page.selectbox(key="cnn_model").set_value("digit_cnn").run()
    no_exception(page)
    assert page.selectbox(key="cnn_digit_class").value == "3"
    page.selectbox(key="cnn_digit_class").set_value("7").run()
    page.slider(key="cnn_digit_example").set_value(5).run()
    no_exception(page)
    text = _markdown(page)
    assert "the 10 classes of handwritten MNIST digits" in text and "ImageNet" not in text
    assert "White is a weight of 0, red positive, blue negative" in text and "Grey is zero" not in text
    assert "The true label is **7**" in text and "gradient descent shaped all" in text
    page.radio(key="cnn_weights").set_value("random").run()
    no_exception(page)
    assert "1/10 = 10%" in page.info[0].value and "random draw" in _markdown(page)


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _param(at: AppTest, key: str) -> str:
    value = at.query_params[key]
    return value[0] if isinstance(value, list) else value


def test_view_is_restored_from_the_url():
    at = open_lesson(PAGE, 120, query={"cnn_model": "efficientnet_lite0", "cnn_photo": "rocket",
                                       "cnn_layer": "blocks.7"})
    assert at.selectbox(key="cnn_photo").value == "rocket"
    assert at.selectbox(key="cnn_layer").value == "blocks.7"


def test_a_shared_link_restores_every_setting_and_is_written_back():
    shared = {"cnn_model": "digit_cnn", "cnn_weights": "random", "cnn_digit_class": "7", "cnn_digit_example": "5",
              "cnn_layer": "relu2", "cnn_maps_shown": "8", "cnn_shared_scale": "False", "cnn_closer_channel": "3"}
    at = open_lesson(PAGE, 120, query=shared)
    expected = {"cnn_model": "digit_cnn", "cnn_weights": "random", "cnn_digit_class": "7", "cnn_digit_example": 5,
                "cnn_layer": "relu2", "cnn_maps_shown": 8, "cnn_shared_scale": False, "cnn_closer_channel": "3"}
    assert {key: at.session_state[key] for key in expected} == expected
    assert {key: _param(at, key) for key in shared} == shared
    assert any(c == "relu2, channel 3, over the input" for c in image_captions(at))
    assert any("1/10 = 10%" in i.value for i in at.info)  # random weights, judged against chance
    assert any("(label 7)" in c.value for c in at.caption)


def test_an_invalid_shared_link_falls_back_to_defaults():
    at = open_lesson(PAGE, 120, query={"cnn_model": "no_such_net", "cnn_layer": "nowhere", "cnn_maps_shown": "80",
                                       "cnn_closer_channel": "99999"})
    assert at.session_state["cnn_model"] == registry.DEFAULT_MODEL
    assert at.session_state["cnn_layer"] == "blocks.1" and at.session_state["cnn_maps_shown"] == 16
    assert _param(at, "cnn_layer") == "blocks.1" and _param(at, "cnn_maps_shown") == "16"
    strongest = at.selectbox(key="cnn_closer_channel").options[0]
    assert at.selectbox(key="cnn_closer_channel").value == strongest.split()[1]


def _png(array: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buffer, format="PNG")
    return buffer.getvalue()


BAD_UPLOADS = {
    "notes.txt": b"this is not an image",
    "half.png": _png(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))[:6000],
    "dot.png": _png(np.zeros((1, 1, 3), np.uint8)),
    "empty.png": b"",
}


def _upload_script(raw: bytes, name: str) -> None:
    import streamlit as st

    from ui.images import decode_or_explain

    picked = decode_or_explain(raw, name)
    st.write("kept previous image" if picked is None else f"using {picked.image_id}")


@pytest.mark.parametrize("name", list(BAD_UPLOADS))
def test_bad_uploads_show_a_message_not_a_traceback(name):
    at = AppTest.from_function(_upload_script, args=(BAD_UPLOADS[name], name), default_timeout=30).run()
    no_exception(at)
    assert len(at.error) == 1 and name in at.error[0].value
    assert at.markdown[-1].value == "kept previous image"


def test_odd_but_usable_upload_is_explained():
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[..., 3] = 0  # fully transparent
    at = AppTest.from_function(_upload_script, args=(_png(rgba, "RGBA"), "clear.png"), default_timeout=30).run()
    no_exception(at)
    assert not at.error and at.info
    assert at.markdown[-1].value.startswith("using upload:")


# ------------------------------------------------------------------------------------------------------ exercises
def test_a_question_coaches_and_explains_and_the_stages_stay_hidden_until_the_prediction():
    at = _open(predictions_open=True)
    strip = "blocks.15"
    assert not any(strip in h.proto.body for h in at.get("html")) and "Layer table" not in [e.label for e in
                                                                                          at.expander]
    assert any("stays hidden until you commit" in c.value for c in at.caption)

    stem = "cnn.stem_output"  # in section 1: answerable before any prediction
    answer_exercise(at, stem, 111)
    assert exercise_feedback(at, stem) == (False, "Too low.") and not exercise_record(at, stem).done
    show_hint(at, stem)
    assert "Hint 1:" in all_texts(at) and "Hint 2:" not in all_texts(at)
    show_hint(at, stem)
    assert "Hint 2:" in all_texts(at)
    answer_exercise(at, stem, 112)
    assert exercise_feedback(at, stem)[0] and exercise_record(at, stem).done
    assert any(m.value.startswith("**Why.**") and "**stem**, turns its 224×224 input into 32×112×112 maps: halved"
               in m.value for m in at.markdown)
    assert not any(strip in h.proto.body for h in at.get("html"))  # still waiting for the prediction

    commit_prediction(at, "cnn.maps_shrink", exercises.SMALLER_MORE)
    assert any(strip in h.proto.body for h in at.get("html"))
    record = exercise_record(at, "cnn.maps_shrink")
    assert record.done and record.correct  # stem 32×112×112 → head 1280×7×7
    assert any("maps **shrink** from 112×112 to 7×7 — 256× fewer positions" in i.value for i in at.info)
    assert any("That is the textbook picture." in m.value for m in at.markdown)
    answer_exercise(at, "cnn.unsure")  # the default photo, an espresso, is no puzzle for the network
    right, text = exercise_feedback(at, "cnn.unsure")
    assert not right and "**espresso**" in text
