"""AppTest run of the model-zoo lesson: the facts table, a small zoo built through the queue, every plot with its
computed verdict and its downloads."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lessons.cortex import facts, simulated, zoo
from lessons.cortex import zoo_conclusions as zc
from lessons.cortex import zoo_exercises as zx
from tests.pages.apptest import (
    all_texts,
    answer_exercise,
    commit_prediction,
    exercise_feedback,
    exercise_record,
    finish_jobs,
    no_exception,
    open_lesson,
    show_hint,
)

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
    finish_jobs(at, timeout=1800)
    at.button(key="ex_cortex_zoo_top1_skip").click().run()  # the top-1 plot waits for a prediction: skip it
    no_exception(at)
    return at


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


def test_exercises_hide_the_top1_plot_until_predicted_then_judge_hint_and_explain(built):
    at = open_lesson(PAGE, query=SMALL)  # the zoo built above comes from the shared store at once
    assert len(at.get("vega_lite_chart")) == len(FIGURES) - 1  # the top-1 plot waits for the prediction
    assert "zoo_top1_dl_png" not in {b.key for b in at.get("download_button")}
    commit_prediction(at, "cortex.zoo_top1", zx.CANT_TELL)
    record = exercise_record(at, "cortex.zoo_top1")
    assert record.done and record.correct  # three ImageNet networks can never show a trend
    assert len(at.get("vega_lite_chart")) == len(FIGURES)
    assert "**Why.** On the simulated cortex: Spearman ρ" in all_texts(at)
    notices = [i.value for i in at.info if i.value.startswith("**What to notice.**")]
    assert any("Even a perfect ranking of 3 networks would have p = 0.33" in n for n in notices)
    assert any("pairs" in n and "50 cells" in n for n in notices)

    # a wrong number (the one-sided p): feedback, the hints one at a time; then the right one: the explanation
    answer_exercise(at, "cortex.zoo_sign_limit", 0.016)
    assert exercise_feedback(at, "cortex.zoo_sign_limit") == (False, "Too low.")
    show_hint(at, "cortex.zoo_sign_limit")
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Hint 1:") for c in captions) and not any(c.startswith("Hint 2:") for c in captions)
    show_hint(at, "cortex.zoo_sign_limit")
    assert any(c.value.startswith("Hint 2:") for c in at.caption)
    answer_exercise(at, "cortex.zoo_sign_limit", 0.031)
    assert exercise_feedback(at, "cortex.zoo_sign_limit")[0] and exercise_record(at, "cortex.zoo_sign_limit").done
    assert "**Why.** Each of the 6 pairs is a coin flip" in all_texts(at)

    # the task is checked on this build's ranking (computed here from the same table)
    summary = zoo.summary(zoo.sweep(simulated.load_or_build(), zoo.offline_members(), n_cells=50, shuffles=10))
    imagenet = zc.trained_only(summary).dropna(subset=["top1"])
    expected = zx.ranking_check({"cells": 50, **facts.trend_facts("top1", zc.trend(imagenet["top1"],
                                                                                  imagenet["score"]))})
    answer_exercise(at, "cortex.zoo_ranking")
    assert exercise_feedback(at, "cortex.zoo_ranking") == (expected.correct, expected.feedback)


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
