"""AppTest runs of the activation-maximisation page with a small step count."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGE = "pages/activation_maximization.py"


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_default_view_waits_for_run_then_runs_and_compares():
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page(PAGE).run()
    _ok(at)
    assert any("press **Run**" in i.value for i in at.info)
    at.slider(key="am_steps").set_value(4).run()
    at.button(key="am_run").click().run()
    _ok(at)
    assert [h.value for h in at.header][:2] == ["1 · Optimise an image", "2 · Real images that drive this unit most"]
    assert at.query_params["am_steps"] in (["4"], "4")
    at.button(key="am_compare").click().run()
    _ok(at)
    assert any(s.value.startswith("(c)") for s in at.subheader)


def test_digit_model_with_generator_prior_and_class_target():
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page(PAGE).run()
    at.radio(key="am_model").set_value("digits").run()
    at.radio(key="am_target").set_value("class").run()
    at.radio(key="am_method").set_value("generator").run()
    at.slider(key="am_steps").set_value(4).run()
    _ok(at)
    at.button(key="am_run").click().run()
    _ok(at)
    assert any("activation" in (i.caption or "") for img in at.get("imgs") for i in img.proto.imgs) or at.header
