"""AppTest run of the model-zoo lesson: the facts table, a small zoo built through the queue, every plot with its
computed verdict and its downloads."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lessons.cortex import simulated, zoo
from lessons.cortex import zoo_conclusions as zc
from tests.pages.apptest import finish_jobs, no_exception, open_lesson

PAGE = "pages/model_zoo.py"
SMALL = {"zoo_cells": "50", "zoo_shuffles": "10"}
HEADERS = ["1 · The zoo", "2 · Build the zoo", "3 · Does a better classifier predict the cortex better?",
           "4 · Do deeper networks predict it better?", "5 · Do more features predict it better?",
           "6 · What did training buy?", "7 · Does the training task matter?", "8 · Take the numbers with you"]
FIGURES = ("top1", "depth", "features", "trained-vs-random", "by-task")


@pytest.fixture(scope="module")
def built() -> AppTest:
    at = open_lesson(PAGE, timeout=900, query=SMALL)
    assert [h.value for h in at.header] == HEADERS[:2]
    assert at.button(key="zoo_build").label == "Build the offline zoo"
    at.button(key="zoo_build").click().run()
    no_exception(at)
    return finish_jobs(at, timeout=1800)


def _text(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [i.value for i in at.info] + [s.value for s in at.success])


def test_before_the_build_the_page_shows_the_papers_and_the_facts():
    at = open_lesson(PAGE, query=SMALL)
    assert at.title[0].value == "Is a better classifier a better brain model?"
    text = _text(at)
    assert "weakly" in text and "simulated cells" in text and "6 networks" in text
    facts = at.dataframe[0].value
    assert list(facts["network"])[:3] == ["EfficientNet-Lite0", "EfficientNet-Lite1", "EfficientNet-Lite2"]
    assert {b.key for b in at.get("download_button")} == {"zoo_facts_dl_csv"}
    assert at.radio(key="zoo_cells").value == "50" and at.selectbox(key="zoo_shuffles").value == "10"


def test_the_built_zoo_shows_every_plot_with_its_computed_verdict(built):
    assert [h.value for h in built.header] == HEADERS
    assert len(built.get("vega_lite_chart")) == len(FIGURES)
    table = zoo.sweep(simulated.load_or_build(), zoo.offline_members(), n_cells=50, shuffles=10)  # from the disk
    summary = zoo.summary(table)
    trained = zc.trained_only(summary)
    imagenet = trained.dropna(subset=["top1"])
    pairs = zc.pair_table(summary)
    cortex = "the simulated cortex"
    expected = [
        zc.trend_sentence(zc.trend(imagenet["top1"], imagenet["score"]), "ImageNet top-1", cortex),
        zc.trend_sentence(zc.trend(trained["depth"], trained["score"]), "depth", cortex, "more brain layers"),
        zc.trend_sentence(zc.trend(trained["features"], trained["score"]), "number of features", cortex,
                          "more features at their best layer"),
        zc.pairs_sentence(zc.paired_verdict(pairs["trained"], pairs["random"]), cortex),
        zc.task_sentence(zc.task_comparison(trained["task"], trained["score"]), cortex),
        zc.chance_sentence(summary["score"], summary["chance"]),
    ]
    shown = "\n".join(m.value for m in built.markdown)
    for sentence in expected:
        assert sentence in shown
    assert shown.count("Among the ImageNet networks alone") == 2
    assert len(pairs) == 6 and len(imagenet) == 3
    assert "12 networks scored against 50 cells with 10 shuffles each." in _text(built)


def test_every_figure_and_table_offers_its_downloads(built):
    keys = {b.key for b in built.get("download_button")}
    for figure in FIGURES:
        assert {f"zoo_{figure}_dl_png", f"zoo_{figure}_dl_csv"} <= keys, figure
    assert {"zoo_facts_dl_csv", "zoo_summary_dl_csv", "zoo_table_dl_csv"} <= keys
    helps = " ".join(b.proto.help for b in built.get("download_button"))
    table = zoo.sweep(simulated.load_or_build(), zoo.offline_members(), n_cells=50, shuffles=10)  # from the disk
    assert f"Download all {len(table):,} scores as CSV" in helps
    assert "Download score vs ImageNet top-1 as PNG" in helps


def test_the_link_carries_the_small_settings(built):
    params = {k: (v[0] if isinstance(v, list) else v) for k, v in built.query_params.items()}
    assert params["zoo_cells"] == "50" and params["zoo_shuffles"] == "10"
