"""AppTest runs of the linear-classifier page: every section renders, every control changes the view, the URL
round-trips it, the table editor edits points, bad links fall back to defaults."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
from streamlit.runtime.scriptrunner import RerunData, ScriptRunner
from streamlit.testing.v1 import AppTest

from lessons.core.exports import PNG_SIGNATURE
from lessons.linear import compute as lc
from lessons.linear import conclusions as cn
from lessons.linear import data as ld
from lessons.linear import exercises as ex
from lessons.linear import mlp as lm
from tests.pages.apptest import (
    answer_exercise,
    commit_prediction,
    exercise_feedback,
    exercise_record,
    keyed_elements,
    open_lesson,
    show_hint,
)
from ui import linear_charts as charts
from ui.downloads import EXPORT_WIDTH, chart_png, vega_spec
from ui.settings.linear_classifier import STATE
from ui.state import PageState, Setting, bound_key

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGE = "pages/linear_classifier.py"
QUICK = {"lc_mlp_steps": "250"}  # a shorter network training keeps these runs brisk
HEADERS = ["1 · Two clouds of points", "2 · A line, a squash and a score", "3 · Watch gradient descent",
           "4 · The energy landscape", "5 · From parameters to the line", "6 · Beyond a line: layers bend space"]


def _open(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE).run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.split(" (")[0] == label)


def _step(at: AppTest) -> str:
    """The step counter as "step / max"."""
    metric = next(m for m in at.metric if m.label.startswith("Step"))
    return f"{metric.value} / {metric.label.split('of ')[1].rstrip(')')}"


def _query(at: AppTest, key: str) -> str:
    value = at.query_params[key]
    return value[0] if isinstance(value, list) else value


def _summary(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "points of class" in m.value).replace("**", "")


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _button_keys(at: AppTest) -> list[str]:
    return [b.key for b in at.button]


def _charts(at: AppTest) -> list:
    return list(at.get("arrow_vega_lite_chart")) + list(at.get("vega_lite_chart"))


def widgets_outside_their_declaration(at: AppTest, state: PageState) -> dict[str, tuple]:
    """Widgets of declared settings whose range, step or options differ from the declaration (as bound on this
    run): {key: (what the widget takes, what the declaration allows)}."""
    def declared(key: str) -> Setting:
        return at.session_state[bound_key(key)] if bound_key(key) in at.session_state else state[key]

    wrong = {}
    for widget in [*at.slider, *at.number_input]:
        if widget.key in state.settings:
            setting = declared(widget.key)
            if (widget.min, widget.max, widget.step) != (setting.low, setting.high, setting.step or 1):
                wrong[widget.key] = ((widget.min, widget.max, widget.step), (setting.low, setting.high, setting.step))
    for widget in [*at.selectbox, *at.radio, *at.select_slider]:
        if widget.key in state.settings:
            setting = declared(widget.key)
            allowed = setting.options if setting.kind == "choice" else range(int(setting.low), int(setting.high) + 1)
            if [widget.format_func(option) for option in allowed] != list(widget.options):
                wrong[widget.key] = (list(widget.options), list(allowed))
    return wrong


@pytest.fixture(scope="module")
def page() -> AppTest:
    return _open()


def test_default_view_shows_every_section_and_the_real_parameters(page):
    assert page.title[0].value == "Linear classifier"
    assert [h.value for h in page.header] == HEADERS
    assert len(_charts(page)) >= 6  # sigmoid, field, curves, landscape, input space, hidden space
    assert _step(page) == "0 / 500"
    assert page.selectbox(key="lc_preset").value == "separable"
    assert _query(page, "lc_preset") == "separable" and _query(page, "lc_step") == "0"
    trainer: lc.Trainer = page.session_state["lc_trainer"]
    w1, w2, b = trainer.weights()
    latex = " ".join(item.value for item in page.latex)
    assert f"{w1:.3f}" in latex and f"{w2:.3f}" in latex and f"{b:.3f}" in latex
    form = lc.line_form(w1, w2, b)
    assert f"{form.slope:.3f}" in latex and f"{form.intercept:+.3f}" in latex
    line = trainer.line()
    shown = " ".join(m.value for m in page.markdown)
    assert f"{math.degrees(line.theta):.1f}°" in shown and f"{line.offset:.3f}" in shown
    assert any("trained for 1000 steps" in s.proto.label for s in page.status)
    # the result sentences are the ones computed from these points
    points, labels = ld.make_dataset("separable")
    runs = lc.descent_from_many_starts(points, labels)
    assert lc.landscape_summary(runs.start_losses, runs.final_losses, runs.steps, True, 1, line.sharpness) in shown
    assert "can be split by a straight line" in _summary(page) and "A bowl with no floor" in shown
    assert "boundary (black) is **straight**" in shown and "bending bought nothing here" in shown


def test_every_widget_takes_exactly_its_declared_range(page):
    assert widgets_outside_their_declaration(page, STATE) == {}
    assert page.session_state[bound_key("lc_step")].high == 500  # the step count is capped by the max steps
    at = _open({"lc_max_steps": "2000", "lc_step": "1500", **QUICK})
    assert at.session_state[bound_key("lc_step")].high == 2000 and _step(at) == "1500 / 2000"
    assert _open({"lc_max_steps": "200", "lc_step": "300", **QUICK}).session_state["lc_step"] == 0  # beyond the max


def test_training_buttons_step_play_pause_and_reset():
    at = _open(QUICK)
    at.button(key="lc_step_once").click().run()
    _ok(at)
    assert _step(at) == "1 / 500" and _query(at, "lc_step") == "1"
    at.button(key="lc_play").click().run()  # a full run while playing draws one frame of steps
    _ok(at)
    assert at.session_state["lc_playing"] is True
    assert _step(at) == f"{1 + lc.STEPS_PER_FRAME} / 500"
    assert not at.button(key="lc_pause").proto.disabled and "lc_play" not in _button_keys(at)  # Pause takes its place
    at.session_state["_lc_last_frame_at"] = time.monotonic() - 2.0  # a busy server drew no picture for 2 s
    at.run()
    _ok(at)  # the frames it skipped are trained now (at most MOST_FRAMES_AT_ONCE of them)
    assert _step(at) == f"{1 + (1 + lc.MOST_FRAMES_AT_ONCE) * lc.STEPS_PER_FRAME} / 500"
    at.button(key="lc_pause").click().run()
    _ok(at)
    assert at.session_state["lc_playing"] is False
    paused = _step(at)
    at.run()
    assert _step(at) == paused  # paused: a rerun does not train
    at.button(key="lc_reset").click().run()
    _ok(at)
    assert _step(at) == "0 / 500"
    at.selectbox(key="lc_max_steps").set_value("200").run()
    at.slider(key="lc_spf").set_value(50).run()
    at.button(key="lc_play").click().run()
    for _ in range(5):  # in AppTest the fragment's timer does not tick: each rerun stands for one frame
        at.run()
    _ok(at)
    assert _step(at) == "200 / 200"  # stops by itself at the max step count
    assert at.session_state["lc_playing"] is False and at.button(key="lc_play").proto.disabled
    assert any("max step count" in s.value for s in at.success)
    at.selectbox(key="lc_max_steps").set_value("500").run()  # no annealing: a higher limit carries on
    _ok(at)
    assert _step(at) == "200 / 500" and not at.button(key="lc_play").proto.disabled
    at.selectbox(key="lc_anneal").set_value("cosine").run()  # a schedule spans the run: it starts again
    assert _step(at) == "0 / 500"


def test_every_setting_changes_the_view():
    at = _open(QUICK)
    loss = _metric(at, "Loss")
    at.slider(key="lc_noise").set_value(1.0).run()
    _ok(at)
    assert _metric(at, "Loss") != loss and _query(at, "lc_noise") == "1.0"
    assert "No straight line splits these" in _summary(at)  # the "separable" preset, spread until it overlaps
    assert "One bowl, one bottom" in _markdown(at)
    at.slider(key="lc_noise").set_value(0.6).run()
    _ok(at)
    loss = _metric(at, "Loss")
    at.number_input(key="lc_seed").set_value(7).run()
    _ok(at)
    assert _metric(at, "Loss") != loss and _query(at, "lc_seed") == "7"

    at.radio(key="lc_init").set_value("manual").run()
    at.slider(key="lc_theta").set_value(-135).run()
    at.slider(key="lc_offset").set_value(1.5).run()
    at.slider(key="lc_sharp").set_value(4.0).run()
    _ok(at)
    line = at.session_state["lc_trainer"].line()
    assert math.degrees(line.theta) == pytest.approx(-135, abs=1e-3)
    assert line.offset == pytest.approx(1.5, abs=1e-4) and _metric(at, "Sharpness |w|") == "4.00"
    assert _query(at, "lc_theta") == "-135" and _query(at, "lc_init") == "manual"

    after_two_steps = {}
    for optimiser in lc.OPTIMISERS:
        at.radio(key="lc_opt").set_value(optimiser).run()
        at.button(key="lc_step_once").click().run()
        at.button(key="lc_step_once").click().run()
        _ok(at)
        assert _step(at) == "2 / 500"
        after_two_steps[optimiser] = _metric(at, "Loss")
    assert len(set(after_two_steps.values())) == 3  # momentum differs from SGD from the second step on

    at.select_slider(key="lc_lr").set_value("0.01").run()
    at.button(key="lc_step_once").click().run()
    _ok(at)
    assert _metric(at, "Learning rate") == "0.01" and _query(at, "lc_lr") == "0.01"
    at.selectbox(key="lc_anneal").set_value("cosine").run()
    at.selectbox(key="lc_max_steps").set_value("200").run()
    for _ in range(3):
        at.button(key="lc_step_once").click().run()
    _ok(at)
    assert _metric(at, "Learning rate") == f"{lc.annealed_lr(0.01, 3, 'cosine', 200):.3g}" != "0.01"

    at.selectbox(key="lc_preset").set_value("xor").run()
    _ok(at)
    assert "No straight line splits these" in _summary(at) and _step(at) == "0 / 200"
    assert "boundary (black) is **curved**" in _markdown(at) and "bending bought" in _markdown(at)
    at.select_slider(key="lc_mlp_width").set_value("4").run()
    at.slider(key="lc_mlp_depth").set_value(2).run()
    at.selectbox(key="lc_mlp_steps").set_value("500").run()
    _ok(at)
    assert any("2 → 4 → 4 → 2 → 1" in s.proto.label and "500 steps" in s.proto.label for s in at.status)
    at.selectbox(key="lc_mlp_steps").set_value("250").run()
    assert _query(at, "lc_mlp_width") == "4" and _query(at, "lc_mlp_depth") == "2"

    at.radio(key="lc_click_class").set_value("B").run()
    at.button(key="lc_try_big").click().run()
    _ok(at)
    assert at.select_slider(key="lc_lr").value == "10" and at.radio(key="lc_opt").value == "momentum"
    assert at.selectbox(key="lc_preset").value == "overlapping"
    assert at.session_state["lc_playing"] is True
    at.button(key="lc_try_anneal").click().run()
    _ok(at)
    assert at.selectbox(key="lc_anneal").value == "exponential"
    at.button(key="lc_pause").click().run()
    _ok(at)


def test_the_url_reproduces_the_view():
    query = {"lc_preset": "overlapping", "lc_noise": "0.45", "lc_seed": "12", "lc_opt": "momentum", "lc_lr": "0.2",
             "lc_anneal": "step", "lc_max_steps": "1000", "lc_spf": "25", "lc_init": "manual", "lc_theta": "45",
             "lc_offset": "-0.5", "lc_sharp": "2.0", "lc_step": "333", "lc_mlp_width": "8", "lc_mlp_depth": "2",
             "lc_mlp_steps": "250", "lc_edits": "r0,1|a1.5_-2_A"}
    at = _open(query)
    assert at.selectbox(key="lc_preset").value == "overlapping"
    assert at.slider(key="lc_noise").value == 0.45 and at.number_input(key="lc_seed").value == 12
    assert at.radio(key="lc_opt").value == "momentum" and at.select_slider(key="lc_lr").value == "0.2"
    assert at.selectbox(key="lc_anneal").value == "step" and at.selectbox(key="lc_max_steps").value == "1000"
    assert at.slider(key="lc_spf").value == 25 and at.radio(key="lc_init").value == "manual"
    assert at.slider(key="lc_theta").value == 45 and at.slider(key="lc_offset").value == -0.5
    assert at.slider(key="lc_sharp").value == 2.0
    assert at.select_slider(key="lc_mlp_width").value == "8" and at.slider(key="lc_mlp_depth").value == 2
    assert _step(at) == "333 / 1000"
    assert _summary(at).startswith("99 points of class A") and "2 removed and 1 added by hand" in _summary(at)
    # the restored training is the deterministic replay of the same settings
    points, labels, _ = ld.apply_edits(*ld.make_dataset("overlapping", 0.45, 12), ld.decode_edits("r0,1|a1.5_-2_A",
                                                                                                    200))
    replay = lc.train_to(points, labels, lc.TrainConfig(
        optimiser="momentum", lr=0.2, schedule="step", max_steps=1000, init="manual", seed=12,
        theta=math.radians(45), offset=-0.5, sharpness=2.0), 333)
    assert at.session_state["lc_trainer"].weights() == replay.weights()
    for key, value in query.items():
        assert _query(at, key) == value, key
    at.selectbox(key="lc_anneal").set_value("none").run()
    _ok(at)
    assert _query(at, "lc_anneal") == "none" and _query(at, "lc_step") == "0"  # new settings restart training


def test_bad_url_values_fall_back_to_defaults():
    at = _open({"lc_preset": "moons", "lc_noise": "loud", "lc_seed": "-4", "lc_lr": "7", "lc_opt": "rmsprop",
                "lc_anneal": "", "lc_max_steps": "123", "lc_spf": "1e9", "lc_theta": "45.5", "lc_sharp": "nan",
                "lc_step": "99999", "lc_mlp_width": "1000", "lc_mlp_depth": "0", "lc_edits": "r1,banana"})
    assert at.selectbox(key="lc_preset").value == "separable" and at.slider(key="lc_noise").value == 0.2
    assert at.number_input(key="lc_seed").value == 0 and at.select_slider(key="lc_lr").value == "0.5"
    assert at.radio(key="lc_opt").value == "sgd" and at.selectbox(key="lc_anneal").value == "none"
    assert at.selectbox(key="lc_max_steps").value == "500" and at.slider(key="lc_spf").value == lc.STEPS_PER_FRAME
    assert at.slider(key="lc_theta").value == 0 and at.slider(key="lc_sharp").value == 1.0
    assert at.select_slider(key="lc_mlp_width").value == "16" and at.slider(key="lc_mlp_depth").value == 1
    assert _step(at) == "0 / 500" and _summary(at).startswith("100 points of class A")
    assert "lc_edits" not in at.query_params and _query(at, "lc_preset") == "separable"  # no hand edits, no text


def test_points_are_edited_with_the_table_and_reset():
    at = _open(QUICK)
    editor = at.data_editor[0]
    assert editor.editing_mode == "dynamic" and len(editor.value) == 200
    at.session_state["lc_editor_0"] = {
        "edited_rows": {3: {"class": "B"}},
        "added_rows": [{"x": -2.0, "y": 2.0, "class": "B"}, {"x": 1.0}],
        "deleted_rows": [0, 1],
    }
    at.run()
    _ok(at)
    assert _summary(at).startswith("97 points of class A (blue circles) and 102 of class B")
    at.run()
    assert _summary(at).startswith("97 points of class A (blue circles) and 102 of class B")  # kept on reruns
    assert _query(at, "lc_edits") == f"r0,1,3|a{_moved_point()}_B,-2_2_B"
    assert _step(at) == "0 / 500"
    at.button(key="lc_reset_points").click().run()
    _ok(at)
    assert _summary(at).startswith("100 points of class A (blue circles) and 100 of class B")
    assert "lc_edits" not in at.query_params
    assert at.data_editor[0].key == "lc_editor_1"  # the editor starts afresh from the reset points


def _moved_point() -> str:
    """The x_y text of preset point 3 (its class was changed in the table, so it is re-added as class B)."""
    points, _ = ld.make_dataset("separable")
    return f"{ld.snap(points[3, 0]):g}_{ld.snap(points[3, 1]):g}"


def test_a_shared_link_is_held_in_declared_state_and_written_back():
    query = {"lc_preset": "circles", "lc_noise": "0.35", "lc_seed": "3", "lc_init": "manual", "lc_theta": "-90",
             "lc_offset": "0.25", "lc_sharp": "3.5", "lc_opt": "adam", "lc_lr": "0.05", "lc_anneal": "cosine",
             "lc_max_steps": "200", "lc_spf": "7", "lc_step": "25", "lc_mlp_width": "4", "lc_mlp_depth": "2",
             "lc_mlp_steps": "250", "lc_edits": "r3|a0.5_0.5_B"}
    at = open_lesson(PAGE, timeout=120, query=query)
    for key, value in query.items():
        assert str(at.session_state[key]) == value, key
        assert _query(at, key) == value, key
    assert at.session_state["lc_hand_edits"] == "r3|a0.5_0.5_B" and _step(at) == "25 / 200"
    assert "1 removed and 1 added by hand" in _summary(at)


def test_edits_too_long_for_a_link_stay_in_the_session_but_leave_the_link():
    at = _open(QUICK)
    along = [x / 100 for x in range(-250, 251, 5)]  # 101 positions
    many = "a" + ",".join([f"{x:g}_1.5_B" for x in along] + [f"{x:g}_-1.5_A" for x in along])
    assert len(many) > ld.MAX_EDIT_TEXT
    at.session_state["lc_hand_edits"] = many
    at.session_state["lc_editor_gen"] = 1  # as a click does: the table starts afresh from the new edits
    at.run()
    _ok(at)
    assert _summary(at).startswith("201 points of class A") and "202 added by hand" in _summary(at)
    assert any("too many points for the link" in c.value for c in at.caption)
    assert "lc_edits" not in at.query_params and at.session_state["lc_hand_edits"] == many


# ------------------------------------------------------------------------------ clicks inside the live view (a fragment)
@contextmanager
def live_view_runs(at: AppTest) -> Iterator[list[float]]:
    """Inside the block every run is a run of the live view alone (the page's fragment), as in a browser after a
    click inside it or a tick of its frame timer (AppTest by itself always runs the whole page). Yields the
    intervals of the frame timers the runs start."""
    (fragment_id,) = at._fragment_storage._fragments  # the page's one fragment, as registered on the last run
    whole_run, enqueue = ScriptRunner._run_script, ForwardMsgQueue.enqueue
    timers: list[float] = []

    def fragment_run(runner: ScriptRunner, rerun_data: RerunData) -> None:
        return whole_run(runner, dataclasses.replace(rerun_data, fragment_id_queue=[fragment_id],
                                                     is_fragment_scoped_rerun=True))

    def recording(queue: ForwardMsgQueue, msg: ForwardMsg) -> None:
        if msg.HasField("auto_rerun"):
            timers.append(round(msg.auto_rerun.interval, 3))
        enqueue(queue, msg)

    with patch.object(ScriptRunner, "_run_script", fragment_run), patch.object(ForwardMsgQueue, "enqueue", recording):
        yield timers


def _run_of(at: AppTest) -> tuple[str, str, float, str]:
    """The training run in force: its points (as a data-set name), optimiser, learning rate and schedule."""
    trainer: lc.Trainer = at.session_state["lc_trainer"]
    names = [name for name in ld.PRESETS if np.array_equal(trainer.x.numpy(), ld.make_dataset(name)[0].astype(
        np.float32))]
    return (names[0] if names else "edited", trainer.config.optimiser, trainer.config.lr, trainer.config.schedule)


def test_the_big_step_buttons_play_their_run_from_step_0_and_play_pause_keep_it():
    """Regression: the buttons sit in the live view; their click reran only that fragment, which trained one frame
    of the old run, left the frame timer off (step count frozen) and never told the settings' widgets, whose old
    values the next Play then sent back (separable / SGD / 0.5)."""
    at = _open(QUICK)
    frame = lc.STEPS_PER_FRAME
    with live_view_runs(at) as timers:
        at.button(key="lc_try_big").click().run()
    _ok(at)
    assert _run_of(at) == ("overlapping", "momentum", 10.0, "none")
    assert _step(at) == f"{frame} / 500" and at.session_state["lc_playing"] is True  # one frame from step 0
    assert timers == [0.25]  # the frame timer runs
    for widget, value in ((at.selectbox(key="lc_preset"), "overlapping"), (at.radio(key="lc_opt"), "momentum"),
                          (at.select_slider(key="lc_lr"), "10"), (at.selectbox(key="lc_anneal"), "none")):
        assert widget.value == value and widget.proto.set_value, widget.key  # the browser is told the new value
    assert _query(at, "lc_preset") == "overlapping" and _query(at, "lc_lr") == "10"

    at.session_state["_lc_last_frame_at"] = time.monotonic()  # on time: a busy machine would catch up frames
    with live_view_runs(at):
        at.run()  # a tick of the frame timer
    assert _step(at) == f"{2 * frame} / 500" and _run_of(at) == ("overlapping", "momentum", 10.0, "none")
    with live_view_runs(at) as timers:
        at.button(key="lc_pause").click().run()
    _ok(at)
    assert at.session_state["lc_playing"] is False and timers == []  # paused: no timer
    assert _step(at) == f"{2 * frame} / 500" and _run_of(at) == ("overlapping", "momentum", 10.0, "none")
    with live_view_runs(at) as timers:
        at.button(key="lc_play").click().run()
    _ok(at)
    assert _step(at) == f"{3 * frame} / 500" and timers == [0.25]  # playing on, same run
    assert at.selectbox(key="lc_preset").value == "overlapping" and at.select_slider(key="lc_lr").value == "10"

    with live_view_runs(at) as timers:
        at.button(key="lc_try_anneal").click().run()
    _ok(at)
    assert _run_of(at) == ("overlapping", "momentum", 10.0, "exponential")
    assert _step(at) == f"{frame} / 500" and timers == [0.25]  # a new run from step 0, playing
    assert at.selectbox(key="lc_anneal").value == "exponential" and at.selectbox(key="lc_anneal").proto.set_value


def test_play_and_the_step_counter_sit_right_above_the_data_chart(page):
    order = [node for node in page.main if node.type in ("button", "metric", "radio", "arrow_vega_lite_chart",
                                                         "vega_lite_chart")]
    keys = [getattr(node, "key", None) or getattr(node, "label", None) or node.type for node in order]
    play = keys.index("lc_play")
    assert keys[play + 1:play + 4] == ["lc_step_once", "lc_reset", "Step (of 500)"]
    assert str(keys[play + 4]).startswith("lc_field_")  # then the data chart itself
    assert keys[play + 5] == "lc_click_class"  # and what a click on it adds, under it


LIVE_DOWNLOADS = ["lc_dl_curves_csv", "lc_dl_curves_png", "lc_dl_field_csv", "lc_dl_field_png", "lc_dl_landscape_csv",
                  "lc_dl_landscape_npy", "lc_dl_landscape_png"]
NETWORK_DOWNLOADS = ["lc_dl_hidden_space_csv", "lc_dl_hidden_space_png", "lc_dl_input_space_csv",
                     "lc_dl_input_space_png"]


def _download_keys(at: AppTest) -> list[str]:
    return sorted(b.key for b in at.get("download_button"))


def test_downloads_offer_the_charts_points_run_and_landscape_while_paused(page):
    assert _download_keys(page) == sorted(LIVE_DOWNLOADS + NETWORK_DOWNLOADS)
    helps = {b.key: b.proto.help for b in page.get("download_button")}
    assert helps["lc_dl_curves_csv"] == "Download the training curves and the run step by step as CSV"
    assert helps["lc_dl_landscape_npy"] == "Download the loss landscape as NPY"
    at = _open(QUICK)
    at.button(key="lc_play").click().run()
    assert _download_keys(at) == NETWORK_DOWNLOADS  # a moving frame offers none: they come back on Pause


def test_the_exported_tables_and_pictures_hold_what_the_charts_show():
    points, labels = ld.make_dataset("overlapping")
    trainer = lc.train_to(points, labels, lc.TrainConfig(optimiser="momentum", lr=10.0), 30)
    frame = lc.make_frame(trainer, lc.view_extent(points))
    run = lc.trajectory_columns(trainer.history)
    assert list(run["step"]) == list(range(31)) and run["loss"][-1] == trainer.history.loss[-1]
    w1, w2, b = trainer.weights()
    assert (run["w1"][-1], run["w2"][-1], run["b"][-1]) == pytest.approx((w1, w2, b), abs=1e-5)
    cells = lc.landscape_columns(frame)
    assert len(cells["loss"]) == frame.landscape.size and cells["loss"].min() == pytest.approx(frame.landscape.min())
    ids = [f"p{i}" for i in range(len(points))]
    specs = charts.frame_specs(frame, trainer.history, points, labels, ids, 500)
    for spec in (specs.field, specs.curves, specs.landscape):
        assert chart_png(spec).startswith(PNG_SIGNATURE)
    exported = vega_spec(specs.landscape)
    assert exported["width"] == EXPORT_WIDTH and len(exported["datasets"]["land"]) == frame.landscape.size


def test_the_class_legend_shows_each_class_with_its_own_mark():
    """Colour and shape share one class legend (A a blue circle, B an orange square), not two legends of circles."""
    for template in (charts.field_template(3.0, 10), charts.network_template(1.0, 10, ("x", "y"), "t", 0.3)):
        spec = json.loads(template)
        assert spec["resolve"]["scale"]["shape"] == "independent" == spec["resolve"]["scale"]["color"]
        points = next(layer for layer in spec["layer"] if "shape" in layer.get("encoding", {}))
        colour, shape = points["encoding"]["color"], points["encoding"]["shape"]
        assert colour["legend"] == shape["legend"] and colour["legend"]["title"] == "class"
        assert shape["scale"]["range"] == list(charts.CLASS_SHAPES) and colour["scale"]["range"] == list(
            charts.CLASS_COLOURS)


def test_the_click_class_travels_in_the_link():
    at = _open({**QUICK, "lc_click_class": "B"})
    assert at.radio(key="lc_click_class").value == "B" and _query(at, "lc_click_class") == "B"


def test_every_control_is_declared_state(page):
    """Every widget a student sets is a declared setting (a link restores it); the rest are buttons, downloads, the
    exercises' answers, and the points table and chart, whose edits are the `lc_edits` setting."""
    controls = {node.key for node in keyed_elements(page) if node.type not in ("button", "download_button")
                and not node.key.startswith(("ex_", "exercise_"))}  # exercises: the student's, kept by the course
    undeclared = {key for key in controls - set(STATE.settings) if not key.startswith(("lc_editor_", "lc_field_"))}
    assert undeclared == set() and all(STATE[key].in_link for key in controls & set(STATE.settings))
    assert {"lc_editor_0", "lc_field_0"} <= controls and STATE["lc_edits"].in_link




# ------------------------------------------------------------------------------------------------------- exercises
def _info(at: AppTest) -> str:
    return "\n".join(i.value for i in at.info)


def _why(at: AppTest) -> str:
    return next((m.value for m in at.markdown if m.value.startswith("**Why.**")), "")


def test_exercise_a_wrong_number_gets_feedback_and_hints_then_the_right_one_its_explanation():
    at = open_lesson(PAGE, timeout=120, query=QUICK)
    exercise = "linear.sigmoid_at_distance"
    answer_exercise(at, exercise, 0.1)
    assert exercise_feedback(at, exercise) == (False, "Too low.")
    assert any(w.value == "Too low." for w in at.warning) and not _why(at)
    show_hint(at, exercise)
    hints = [c.value for c in at.caption if c.value.startswith("Hint ")]
    assert len(hints) == 1 and hints[0].startswith("Hint 1: For any point, w·x + b = |w|")
    show_hint(at, exercise)
    assert [c.value[:7] for c in at.caption if c.value.startswith("Hint ")] == ["Hint 1:", "Hint 2:"]
    sharpness = round(at.session_state["lc_trainer"].line().sharpness, 2)  # the starting line, at step 0
    answer_exercise(at, exercise, round(cn.sigmoid(sharpness), 3))
    assert exercise_feedback(at, exercise)[0] and exercise_record(at, exercise).done
    assert exercise_record(at, exercise).tries == 2 and exercise_record(at, exercise).hints == 2
    assert f"σ({sharpness:.2f})" in _why(at)


def test_exercise_the_climb_is_checked_on_the_run_the_page_shows():
    at = open_lesson(PAGE, timeout=120, query={**QUICK, "lc_preset": "xor", "lc_opt": "sgd", "lc_lr": "10"})
    assert "No step taken yet" in _info(at)
    answer_exercise(at, "linear.diverge")
    right, text = exercise_feedback(at, "linear.diverge")
    assert not right and "No step taken yet" in text and not exercise_record(at, "linear.diverge").done
    at.button(key="lc_step_once").click().run()  # one step of plain SGD at 10 on XOR lands higher than it started
    answer_exercise(at, "linear.diverge")
    right, text = exercise_feedback(at, "linear.diverge")
    assert right and "At step 1 the loss was above its start" in text and "XOR" in text
    assert exercise_record(at, "linear.diverge").done and "milder than the textbook" in _why(at)
    assert "climbed **above where it started**" in _info(at)  # the notice reads the same run


def test_exercise_the_spiral_prediction_hides_its_result_until_committed():
    at = open_lesson(PAGE, timeout=120, query=QUICK)
    assert any("trained for 250 steps" in s.proto.label for s in at.status)  # another experiment: shown
    at.button(key="lc_to_narrow_spirals").click().run()
    assert at.selectbox(key="lc_preset").value == "spiral" and at.select_slider(key="lc_mlp_width").value == "2"
    assert not any("trained for" in s.proto.label for s in at.status)  # the experiment's result waits
    assert "**Left:**" not in _markdown(at) and "lc_dl_hidden_space_png" not in _download_keys(at)
    assert any("stays hidden until you commit" in c.value for c in at.caption)
    commit_prediction(at, "linear.narrow_spirals", ex.BETTER_THAN_A_LINE)
    status = next(s.proto.label for s in at.status if "trained for" in s.proto.label)
    assert "2 → 2 → 2 → 1" in status and "**Left:**" in _markdown(at) and "lc_dl_hidden_space_png" in \
        _download_keys(at)
    record = exercise_record(at, "linear.narrow_spirals")
    assert record.done and record.answer == ex.BETTER_THAN_A_LINE  # judged on the run it now shows
    points, labels = ld.make_dataset("spiral")  # the same measurement, made here: the verdict follows it
    view = lm.mlp_view(points, labels, 2, 1, 250, 0, lc.view_extent(points))
    line = lc.descent_from_many_starts(points, labels).line_accuracy
    measured = ex.narrow_spirals_outcome(cn.network_facts("spiral", False, 2, 1, 250, view.parameters, view.accuracy,
                                                          line, view.hidden_line_accuracy))
    assert record.correct == (measured == ex.BETTER_THAN_A_LINE)
    verdicts = [m.value for m in [*at.success, *at.warning] if "the page measured" in m.value]
    assert len(verdicts) == 1 and f"**{measured}**" in verdicts[0]
    assert f"**{view.accuracy:.1%}**" in _why(at) and "In the warped plane (right)" in _info(at)
