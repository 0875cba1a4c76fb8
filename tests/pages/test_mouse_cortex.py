"""AppTest runs of the mouse-cortex lesson: render, change the controls, restore a shared view, bundle uploads and an
offline import, never an exception."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lessons.cortex import exercises as ex
from tests.pages.apptest import (
    all_texts,
    answer_exercise,
    commit_prediction,
    exercise_feedback,
    exercise_record,
    finish_jobs,
    keyed_elements,
    open_lesson,
    predictions_of,
    show_hint,
    skip_from_the_start,
)
from ui.settings.mouse_cortex import STATE

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGE = "pages/mouse_cortex.py"
HEADERS = ["1 · The neurons", "2 · From pixels to predictions", "3 · Which layer predicts which area?",
           "4 · What did training buy?", "5 · How good could it be? The noise ceiling", "6 · One neuron, up close",
           "7 · Representational similarity", "8 · Take the numbers with you"]




def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _skipping_predictions(at: AppTest, keep: tuple[str, ...] = ()) -> AppTest:
    """The app about to run with this lesson's predictions skipped (their results shown), except those in `keep`."""
    return skip_from_the_start(at, (i for i in predictions_of(PAGE) if i not in keep))


def _open(query: dict[str, str] | None = None, keep: tuple[str, ...] = ()) -> AppTest:
    """`open_lesson` with the predictions skipped (except `keep`), so the results of every section show."""
    at = _skipping_predictions(AppTest.from_file(APP, default_timeout=300), keep)
    at.query_params.update(query or {})
    at.run()
    at.switch_page(PAGE).run()
    _ok(at)
    return at


def _param(at: AppTest, key: str) -> str:
    value = at.query_params[key]
    return value[0] if isinstance(value, list) else value


@pytest.fixture(scope="module")
def page() -> AppTest:
    return _open()


def _chart_titles(at: AppTest) -> str:
    return " ".join(c.proto.spec for c in at.get("vega_lite_chart"))


def test_default_view_runs_the_pipeline_and_labels_the_simulation(page):
    assert page.title[0].value == "Predicting mouse visual cortex"
    assert [h.value for h in page.header] == HEADERS
    assert len(page.get("vega_lite_chart")) >= 7
    assert "(simulated)" in _chart_titles(page)
    assert any("simulated" in i.value for i in page.info)
    assert page.selectbox(key="mc_model").value == "efficientnet_lite0"
    assert page.radio(key="mc_subset").value == "250"
    assert _param(page, "mc_model") == "efficientnet_lite0" and _param(page, "mc_weights") == "pretrained"
    assert _param(page, "mc_layer") == page.selectbox(key="mc_layer").value
    assert _param(page, "mc_area") == page.selectbox(key="mc_area").value
    assert _param(page, "mc_shuffles") == "20"
    text = " ".join(m.value for m in page.markdown)
    assert "relabelled at random 200 times" in text and "Solid points beat chance" in text
    labels = [m.label for m in page.metric]
    assert "Model score" in labels and "Chance (shuffled)" in labels
    assert any("above chance" in b.value for b in page.success)  # the simulated cortex carries real signal
    above = next(m for m in page.metric if m.label == "Cells above chance").value
    assert int(above.rstrip("%")) > 20
    assert any("Pipeline done" in s.label for s in page.get("status"))
    assert any("simulated-mouse-cortex-scores-efficientnet-lite0-pretrained.csv" in m.value for m in page.markdown)


@pytest.fixture(scope="module")
def default_facts() -> dict:
    """The facts the default view hands its exercises, computed here from the same scores (for the right answers)."""
    from lessons.cortex import facts, pipeline, simulated

    bundle = simulated.load_or_build()
    result = pipeline.score_subset(bundle, "efficientnet_lite0", "pretrained", 250)[1]
    return {**facts.results_facts(result, "EfficientNet-Lite0", True),
            **facts.ceiling_facts(result.area_summary(), True), "table": result.cell_table()}


def test_exercises_hide_the_results_until_predicted_then_judge_hint_and_explain(default_facts):
    at = open_lesson(PAGE, timeout=300)
    labels = [m.label for m in at.metric]
    assert "Model score" not in labels and "Held-out score by layer" not in _chart_titles(at)  # hidden: predict first
    assert any("stays hidden until you commit" in c.value for c in at.caption)
    commit_prediction(at, "cortex.visp_layer", ex.MIDDLE)
    record, right = exercise_record(at, "cortex.visp_layer"), ex.visp_third(default_facts)
    assert record.done and record.answer == ex.MIDDLE and record.correct == (right == ex.MIDDLE)
    assert "Model score" in [m.label for m in at.metric] and "Held-out score by layer" in _chart_titles(at)
    texts = all_texts(at)
    assert f"**Why.** VISp's curve on these simulated cells peaks at **{default_facts['visp_peak_layer']}**" in texts
    assert any(i.value.startswith("**What to notice.** Read the score from the dashed chance line") for i in at.info)
    assert any("**What to notice.** Even at their own best layers" in i.value for i in at.info)

    # a wrong number: feedback, then the hints one at a time; then the right one: the explanation
    answer_exercise(at, "cortex.visp_ceiling", 0.95)
    assert exercise_feedback(at, "cortex.visp_ceiling") == (False, "Too high.")
    assert not exercise_record(at, "cortex.visp_ceiling").done
    show_hint(at, "cortex.visp_ceiling")
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Hint 1:") for c in captions) and not any(c.startswith("Hint 2:") for c in captions)
    show_hint(at, "cortex.visp_ceiling")
    assert any(c.value.startswith("Hint 2:") for c in at.caption)
    answer_exercise(at, "cortex.visp_ceiling", round(default_facts["visp_ceiling"], 2))
    assert exercise_feedback(at, "cortex.visp_ceiling")[0] and exercise_record(at, "cortex.visp_ceiling").done
    assert "**Why.** The simulated VISp cells' mean split-half reliability" in all_texts(at)

    # the task, checked on the page: the default close-up is not a VISp cell; the best VISp cell at its layer is
    answer_exercise(at, "cortex.visp_cell")
    ok, said = exercise_feedback(at, "cortex.visp_cell")
    assert not ok and "Pick a VISp cell" in said
    table = default_facts["table"]
    visp = table[table["cortical_area"] == "VISp"].sort_values("score")
    best_cell, best_layer = str(visp["cell_specimen_id"].iloc[-1]), visp["best_layer"].iloc[-1]
    at.selectbox(key="mc_view_cell").set_value(best_cell).run()
    at.selectbox(key="mc_layer").set_value(best_layer).run()
    answer_exercise(at, "cortex.visp_cell")
    assert exercise_feedback(at, "cortex.visp_cell")[0] and exercise_record(at, "cortex.visp_cell").done


def test_every_figure_offers_its_downloads_in_the_default_view(page):
    keys = {b.key for b in page.get("download_button")}
    for figure, files in {"curves": "png csv", "ceiling": "png csv", "neuron": "png csv",
                          "similarity": "png csv", "rdm0": "png npy", "rdm1": "png npy"}.items():
        assert {f"mc_{figure}_dl_{kind}" for kind in files.split()} <= keys, figure
    assert "mc_download_csv" in keys
    helps = " ".join(b.proto.help for b in page.get("download_button"))
    assert "the scores of 250 cells as CSV" in helps and "RDM as NPY" in helps


def test_the_twin_is_scored_on_request_then_joins_every_later_run(monkeypatch):
    from ui import cortex_data
    from ui.result_store import ResultStore

    stores: dict[str, ResultStore] = {}
    monkeypatch.setattr(cortex_data, "shared_store", lambda name, size=64: stores.setdefault(name, ResultStore(size)))
    at = _open(keep=("cortex.trained_vs_random",))
    assert at.radio(key="ex_cortex_trained_vs_random_predict")  # predict before scoring the twin
    commit_prediction(at, "cortex.trained_vs_random", ex.TRAINED)
    assert exercise_record(at, "cortex.trained_vs_random").answer == ex.TRAINED
    assert not exercise_record(at, "cortex.trained_vs_random").done  # nothing to judge it on yet
    assert any("Now score the other weights" in c.value for c in at.caption)
    twin_buttons = [b for b in at.button if b.key == "mc_score_twin"]
    assert [b.label for b in twin_buttons] == ["Score the random weights too"]
    assert "trained vs random" not in _chart_titles(at)
    assert not {"mc_training_dl_png", "mc_training_dl_csv"} & {b.key for b in at.get("download_button")}
    twin_buttons[0].click().run()
    _ok(at)
    finish_jobs(at)  # the twin waits its turn in the shared queue
    assert "trained vs random weights" in _chart_titles(at)
    assert {"mc_training_dl_png", "mc_training_dl_csv"} <= {b.key for b in at.get("download_button")}
    judged = exercise_record(at, "cortex.trained_vs_random")  # judged as soon as the twin's scores are in
    assert judged.done and judged.correct  # trained beats random on the simulated cortex (the interval excludes 0)
    assert "**Why.** Best-layer scores: trained" in all_texts(at)
    at.selectbox(key="mc_layer").set_value("stem").run()  # a later run finds the twin's scores in the store
    _ok(at)
    assert "trained vs random weights" in _chart_titles(at)
    assert not [b for b in at.button if b.key == "mc_score_twin"]


def test_every_control_is_declared_state_in_the_link(page):
    """Every widget a student sets is a declared setting that a link carries; the cell filters' widgets keep their
    values in declared settings of their own (areas and layers as text, the depth range as its two ends)."""
    controls = {node.key for node in keyed_elements(page) if node.type not in ("button", "download_button")
                and not node.key.startswith(("ex_", "exercise_"))}  # answers are course progress, not settings
    kept_elsewhere = {"mc_areas": "mc_area_filter", "mc_layers": "mc_layer_filter", "mc_depth": "mc_depth_min"}
    assert controls - set(STATE.settings) == set(kept_elsewhere)
    assert all(STATE[key].in_link for key in (controls & set(STATE.settings)) | set(kept_elsewhere.values()))
    assert STATE["mc_depth_max"].in_link


def test_the_similarity_heatmap_gives_every_area_a_readable_row(page):
    import json

    specs = [json.loads(c.proto.spec) for c in page.get("vega_lite_chart")]
    titled = {json.dumps(s.get("title"), ensure_ascii=False): s for s in specs}
    heatmap = next(s for title, s in titled.items() if "RDM similarity, areas × layers" in title)
    areas = heatmap["encoding"]["y"]["sort"]  # the rows, top to bottom
    assert len(areas) == 6 and heatmap["height"] / len(areas) >= 22  # the plot's own height: axes come on top
    assert heatmap["autosize"]["type"] == "fit-x" and heatmap["width"] == "container"
    assert heatmap["encoding"]["color"]["legend"]["orient"] == "bottom"  # a phone keeps the width for the layers
    assert heatmap["encoding"]["y"]["axis"]["labelOverlap"] is False


def test_controls_change_the_view_without_errors(page):
    page.selectbox(key="mc_layer").set_value("stem").run()
    _ok(page)
    assert _param(page, "mc_layer") == "stem"
    assert "from stem" in _chart_titles(page)
    page.radio(key="mc_weights").set_value("random").run()
    _ok(page)
    assert _param(page, "mc_weights") == "random"
    assert "random weights" in _chart_titles(page)
    page.selectbox(key="mc_area").set_value("VISam").run()
    _ok(page)
    assert "VISam RDM (simulated)" in _chart_titles(page)
    page.multiselect(key="mc_areas").set_value(["VISp"]).run()
    page.slider(key="mc_min_rel").set_value(0.8).run()
    _ok(page)
    assert _param(page, "mc_area_filter") == "VISp"  # the filters travel in the link
    options = page.selectbox(key="mc_cell").options
    assert options and all("VISp" in o for o in options)
    page.selectbox(key="mc_cell").select_index(len(options) - 1).run()
    view = page.selectbox(key="mc_view_cell")
    view.select_index(3).run()
    _ok(page)
    page.multiselect(key="mc_areas").set_value([]).run()
    _ok(page)
    assert any("No cell matches" in w.value for w in page.warning)
    assert _param(page, "mc_area_filter") == "none"
    page.multiselect(key="mc_areas").set_value(["VISp", "VISl", "VISal", "VISrl", "VISpm", "VISam"]).run()
    assert "mc_area_filter" not in page.query_params  # every area: the default, left out of the link
    page.radio(key="mc_subset").set_value("1000").run()
    _ok(page)
    finish_jobs(page)  # more cells than the default: scored through the shared queue
    assert any("1,000 scored cells" in m.value for m in page.markdown)
    page.radio(key="mc_subset").set_value("250").run()
    page.radio(key="mc_weights").set_value("pretrained").run()
    _ok(page)


def test_shared_view_is_restored_from_the_url():
    at = _skipping_predictions(AppTest.from_file(APP, default_timeout=300))
    at.query_params["mc_weights"] = "random"
    at.query_params["mc_layer"] = "blocks.3"
    at.query_params["mc_area"] = "VISl"
    at.query_params["mc_model"] = "no_such_model"  # invalid values fall back to the default
    at.run()
    at.switch_page(PAGE).run()
    _ok(at)
    assert at.radio(key="mc_weights").value == "random"
    assert at.selectbox(key="mc_layer").value == "blocks.3"
    assert at.selectbox(key="mc_area").value == "VISl"
    assert at.selectbox(key="mc_model").value == "efficientnet_lite0"


def test_a_shared_link_restores_every_setting_and_is_written_back():
    from lessons.cortex import compute, pipeline, simulated

    bundle = simulated.load_or_build()
    scored = bundle.cells["cell_specimen_id"].to_numpy()[pipeline.select_cells(bundle, compute.SUBSET_SIZES["1000"])]
    view_cell = str(scored[10])
    shown = compute.filter_cells(bundle.cells, ["VISp", "VISam"], ["2/3", "5"], (200, 500), 0.5, -1.0)
    cell = str(shown["cell_specimen_id"].iloc[3])
    shared = {"mc_data": "upload", "mc_area_filter": "VISp,VISam", "mc_layer_filter": "2/3,5", "mc_depth_min": "200",
              "mc_depth_max": "500", "mc_min_rel": "0.5", "mc_cell": cell, "mc_weights": "random",
              "mc_subset": "1000", "mc_shuffles": "50", "mc_layer": "blocks.3", "mc_view_cell": view_cell,
              "mc_area": "VISl"}
    at = _open(shared)
    assert {key: _param(at, key) for key in shared} == shared  # kept while the scores wait in the shared queue
    finish_jobs(at)
    expected = {**shared, "mc_min_rel": 0.5, "mc_depth_min": 200, "mc_depth_max": 500}
    assert {key: at.session_state[key] for key in shared} == expected
    assert {key: _param(at, key) for key in shared} == shared
    assert at.multiselect(key="mc_areas").value == ["VISp", "VISam"]
    assert at.multiselect(key="mc_layers").value == ["2/3", "5"]
    assert tuple(at.slider(key="mc_depth").value) == (200, 500)
    assert at.selectbox(key="mc_cell").value == cell
    assert any("Upload a bundle" in i.value for i in at.info)
    assert any("not your uploaded file" in c.value for c in at.caption)  # a link cannot carry the upload
    shown_table = at.dataframe[0].value
    assert all(r >= 0.5 for r in shown_table["reliability"]) and len(shown_table) == len(shown)
    assert set(shown_table["cortical_area"]) == {"VISp", "VISam"}
    assert any("1,000 scored cells" in m.value for m in at.markdown)
    titles = _chart_titles(at)
    assert f"Cell {view_cell} (simulated)" in titles and "from blocks.3" in titles and "VISl RDM" in titles
    assert "on 50 shuffles" in " ".join(m.proto.help for m in at.metric if m.label == "Chance (shuffled)")


def test_an_invalid_shared_link_falls_back_to_defaults():
    from lessons.cortex import compute, simulated

    floor = compute.reliability_floor(simulated.load_or_build().cells)
    at = _open({"mc_subset": "999", "mc_min_rel": "7", "mc_view_cell": "not a cell",
                                       "mc_data": "elsewhere"})
    assert at.session_state["mc_subset"] == "250" and _param(at, "mc_subset") == "250"
    assert at.session_state["mc_min_rel"] == floor < 0 and _param(at, "mc_min_rel") == str(floor)
    assert at.session_state["mc_data"] == "simulated"
    view_cell = at.session_state["mc_view_cell"]
    assert any(o.startswith(f"{view_cell} — ") for o in at.selectbox(key="mc_view_cell").options)
    assert _param(at, "mc_view_cell") == view_cell


def test_no_signal_data_is_called_no_better_than_chance(monkeypatch):
    import dataclasses

    import numpy as np

    from lessons.cortex import simulated as simulated_cortex
    from ui import cortex_data

    real = simulated_cortex.load_or_build()
    order = np.random.default_rng(7).permutation(real.n_conditions)
    silent = dataclasses.replace(real, responses=real.responses[:, order])  # images shuffled against responses
    monkeypatch.setattr(cortex_data, "simulated_bundle", lambda: silent)
    at = _skipping_predictions(AppTest.from_file(APP, default_timeout=300)).run()
    at.switch_page(PAGE).run()
    _ok(at)
    assert any("no better than chance" in w.value for w in at.warning)
    assert not any("above chance (" in b.value for b in at.success)
    above = next(m for m in at.metric if m.label == "Cells above chance").value
    assert int(above.rstrip("%")) <= 10
    text = " ".join(m.value for m in at.markdown)
    assert "Peak layers are not described" in text
    assert "predict these cells better" not in text


def test_offline_import_fails_fast_with_a_message(page, monkeypatch):
    import urllib.error

    from lessons.cortex import allen_import

    def no_network(*args, **kwargs):
        raise urllib.error.URLError(OSError(-2, "Name or service not known"))

    monkeypatch.setattr(allen_import.urllib.request, "urlopen", no_network)
    page.radio(key="mc_data").set_value("allen").run()
    _ok(page)
    assert any("No Allen data" in i.value for i in page.info)
    button = next(b for b in page.button if b.label == "Import real Allen data")
    start = time.monotonic()
    button.click().run()
    assert time.monotonic() - start < 30
    _ok(page)
    assert any("Could not import the Allen data" in e.value and "offline" in e.value for e in page.error)
    page.radio(key="mc_data").set_value("simulated").run()
    _ok(page)


def _upload_script(raw: bytes, name: str) -> None:
    import streamlit as st

    from ui.cortex_data import decode_bundle_upload

    bundle = decode_bundle_upload(raw, name)
    st.write("kept the simulated cortex" if bundle is None else f"using {bundle.name}: {bundle.n_cells} cells")


def _valid_zip() -> bytes:
    from lessons.cortex import data as neural_data
    from tests.lessons.cortex.test_data import make_bundle

    return neural_data.to_zip_bytes(make_bundle())


@pytest.mark.parametrize(("raw", "name", "expected"), [
    (b"not a zip", "notes.zip", "not a zip"),
    (b"", "empty.zip", "empty"),
])
def test_bad_bundle_uploads_show_a_message_not_a_traceback(raw, name, expected):
    at = AppTest.from_function(_upload_script, args=(raw, name), default_timeout=60).run()
    _ok(at)
    assert len(at.error) == 1 and name in at.error[0].value and expected in at.error[0].value
    assert at.markdown[-1].value == "kept the simulated cortex"


def test_valid_bundle_upload_is_used():
    at = AppTest.from_function(_upload_script, args=(_valid_zip(), "mine.zip"), default_timeout=60).run()
    _ok(at)
    assert not at.error
    assert at.markdown[-1].value == "using test: 5 cells"


def _bundle_script() -> None:
    import streamlit as st

    from ui import cortex_data

    st.write(f"{cortex_data.simulated_bundle().n_cells} cells")


def test_an_empty_cache_builds_the_simulated_cortex_under_a_staged_progress_bar(monkeypatch):
    from lessons.cortex import simulated
    from ui import cortex_data
    from ui.result_store import ResultStore

    real = simulated.load_or_build()
    reported = []

    def build(*args, progress=None, **kwargs):
        for fraction, stage in ((0.0, "stimuli"), (0.5, "VISp"), (1.0, "ready")):
            progress(fraction, f"Simulated cortex: {stage}")  # drawn on the page's bar (no callback: TypeError)
            reported.append((fraction, stage))
        return real

    monkeypatch.setattr(simulated, "is_stored", lambda *args, **kwargs: False)
    monkeypatch.setattr(simulated, "load_or_build", build)
    monkeypatch.setattr(cortex_data, "bundle_store", lambda: ResultStore(2))  # nothing built in this process yet
    at = AppTest.from_function(_bundle_script, default_timeout=60).run()
    _ok(at)
    assert [stage for _, stage in reported] == ["stimuli", "VISp", "ready"]
    assert at.markdown[-1].value == f"{real.n_cells} cells"
