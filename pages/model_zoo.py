"""Lesson page: Is a better classifier a better brain model? — a sweep of networks against the (simulated) mouse
visual cortex, and the trends Conwell et al. looked for, each with its honest uncertainty."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lessons.core import registry
from lessons.core.exports import file_stem
from lessons.cortex import facts as zoo_facts
from lessons.cortex import zoo
from lessons.cortex import zoo_conclusions as conclusions
from lessons.cortex.data import NeuralBundle
from ui import cortex_data
from ui import zoo_charts as charts
from ui.downloads import download_row
from ui.exercises import exercises_at, notice
from ui.jobs import queued_result
from ui.models import offer_download
from ui.navigation import lesson_by_path
from ui.presenter import section
from ui.result_store import shared_store
from ui.routing import route_through_app
from ui.settings import model_zoo as settings
from ui.settings.model_zoo import STATE

route_through_app()
STATE.start()
LESSON = lesson_by_path("pages/model_zoo.py")
FACT_COLUMNS = {"title": "network", "task": "task", "trained_on": "trained on", "top1": "ImageNet top-1 (%)",
                "depth": "depth", "params": "parameters", "weights_here": "trained weights"}
SUMMARY_COLUMNS = {"title": "network", "weights": "weights", "top1": "ImageNet top-1 (%)", "depth": "depth",
                   "best_layer": "best layer", "features": "features there", "score": "score",
                   "chance": "chance (shuffled)"}


def top1_text(value: float) -> str:
    """A published top-1 accuracy as the tables show it ('—' for none: digit networks, random weights)."""
    return "—" if pd.isna(value) else f"{value:.1f}"


@section
def introduction(bundle: NeuralBundle, members: list[zoo.Member]) -> None:
    """Title, what the papers found, and where this page differs from them."""
    st.title(LESSON.title)
    st.markdown(
        "The last lesson scored one network at a time. Here many networks go through the same pipeline — the same "
        "cells, the same shuffles for chance — and each becomes **one point**: its best-layer score. Then the "
        "questions of a model-zoo study: do networks that classify ImageNet better, that are deeper, or that have "
        "more features predict visual cortex better? Does training beat random weights? Does the training task "
        "matter?")
    st.markdown(conclusions.PAPER_FINDINGS)
    st.info(conclusions.differences_text(len({k for k, _ in members}), bundle.simulated))


def online_keys() -> list[str]:
    """Zoo networks whose trained weights come from the internet on request."""
    offline = set(registry.zoo_keys())
    return [k for k in registry.zoo_keys(offline_only=False) if k not in offline]


def zoo_members() -> list[zoo.Member]:
    """The offline zoo, and each online network whose weights are on this computer, each with its random twin."""
    present = [k for k in online_keys() if registry.availability(k).ok]
    return zoo.offline_members() + [(k, w) for k in present for w in ("pretrained", "random")]


def facts_table(keys: list[str]) -> pd.DataFrame:
    """One row of facts per network (from the registry; architecture only, nothing scored)."""
    rows = []
    for key in keys:
        facts = registry.model_facts(key)
        spec = registry.spec_for(key)
        here = "ship with the app" if spec.offline else ("downloaded" if registry.availability(key).ok else
                                                          "online, on request")
        rows.append({"model": key, "title": facts.title, "task": facts.task, "trained_on": facts.trained_on,
                     "top1": float("nan") if facts.top1 is None else facts.top1, "depth": facts.depth,
                     "params": facts.params, "weights_here": here})
    return pd.DataFrame(rows)


@section
def section_zoo(members: list[zoo.Member]) -> None:
    """1 · The zoo: the networks and their facts, and the online networks a student may add."""
    st.header("1 · The zoo")
    keys = list(dict.fromkeys(k for k, _ in members))
    facts = facts_table(keys)
    st.dataframe(facts.drop(columns="model").assign(top1=facts["top1"].map(top1_text)).rename(columns=FACT_COLUMNS),
                 hide_index=True, width="stretch",
                 column_config={"parameters": st.column_config.NumberColumn(format="localized")})
    st.caption(f"{len(keys)} networks, each scored with its trained weights and with random weights: "
               f"{len(members)} members. ImageNet top-1: the published accuracy of the trained weights (none for "
               "the digit networks). Depth: the layers scored against the cells.")
    download_row(file_stem("model-zoo", "facts"), table=facts, key="zoo_facts_dl", what="the networks' facts")
    extra = online_keys()
    if extra:
        with st.expander(f"Add online networks ({len(extra)} torchvision ImageNet models)"):
            st.markdown("These architectures come with torchvision; their trained weights need an internet connection "
                        "once. A downloaded network joins the zoo on the next build (only the new networks are "
                        "scored; the others come from the disk).")
            for key in extra:
                spec = registry.spec_for(key)
                if registry.availability(key).ok:
                    st.markdown(f"**{spec.title}** — downloaded, in the zoo.")
                else:
                    st.markdown(f"**{spec.title}** — {spec.about}")
                    offer_download(key)


@section
def section_build(bundle: NeuralBundle, members: list[zoo.Member]) -> pd.DataFrame | None:
    """2 · Build the zoo: cells and shuffles, then the sweep through the shared queue (None until the table is
    in)."""
    st.header("2 · Build the zoo")
    c = st.columns(2)
    cells = c[0].radio("Cells per network", list(settings.CELL_LABELS), key="zoo_cells",
                       format_func=settings.CELL_LABELS.get, horizontal=True)
    shuffles = int(c[1].selectbox("Shuffles for chance", settings.SHUFFLE_CHOICES, key="zoo_shuffles"))
    st.caption("Every network scores the same cells with the same shuffles, as in the mouse-cortex lesson: every "
               "layer's features, a random projection, a ridge readout per cell, held-out scores. Each finished "
               "network is kept on disk, so a second build — or a bigger zoo — only scores what is new.")
    n_cells = settings.CELL_COUNTS[cells]
    offline_only = all(registry.spec_for(k).offline for k, _ in members)
    label = "Build the offline zoo" if offline_only else "Build the zoo"
    key = (bundle.fingerprint, tuple(members), n_cells, shuffles)
    table = queued_result(shared_store("model_zoo", 8), key, f"Scoring {len(members)} networks against the cells",
                          lambda report: zoo.sweep(bundle, members, n_cells=n_cells, shuffles=shuffles,
                                                   progress=report),
                          button=label, button_key="zoo_build")
    if table is None:
        st.info("The plots and their verdicts appear here once the zoo is built.")
        return None
    st.success(f"{len(members)} networks scored against {table['cell'].nunique():,} cells with {shuffles} "
               "shuffles each.")
    return table


def plot(chart, name: str, table: pd.DataFrame, what: str) -> None:
    """A chart across the column, with its PNG and CSV downloads."""
    st.altair_chart(chart, width="stretch")
    download_row(file_stem("simulated", "model-zoo", name), chart=chart, table=table, key=f"zoo_{name}_dl",
                 what=what)


def trend_with_family(trained: pd.DataFrame, field: str, label: str, more: str, cortex: str) -> None:
    """A trend's verdict over every trained network, then among the ImageNet networks alone (when the zoo mixes
    tasks, a trend over all of them may only say which family scores higher)."""
    st.markdown(conclusions.trend_sentence(conclusions.trend(trained[field], trained["score"]), label, cortex, more))
    imagenet = trained.dropna(subset=["top1"])
    if 0 < len(imagenet) < len(trained):
        st.markdown("Among the ImageNet networks alone — so that digit networks (shallow, small, trained on 28×28 "
                    "digits) do not decide the trend: " + conclusions.trend_sentence(
                        conclusions.trend(imagenet[field], imagenet["score"]), label, cortex, more))


@section
def section_trends(summary: pd.DataFrame, cortex: str, tag: str, facts: dict) -> None:
    """3–5 · Score against ImageNet top-1, depth and features at the best layer, each with its verdict (the first
    shown once the student has predicted it)."""
    trained = conclusions.trained_only(summary)
    st.header("3 · Does a better classifier predict the cortex better?")
    st.markdown("One point per trained network with a published ImageNet accuracy; the grey tick under each point "
                "is its chance level (shuffled images at its best layer). Hover a point for its name.")
    imagenet = trained.dropna(subset=["top1"])
    top1 = conclusions.trend(imagenet["top1"], imagenet["score"])
    facts = {**facts, **zoo_facts.trend_facts("top1", top1)}
    if exercises_at(LESSON.url_path, "top1", facts):
        if (summary["chance"] < 0).all():
            st.caption("Every chance level is below zero: with shuffled images a held-out readout predicts a little "
                       "*against* the truth (the mouse-cortex lesson's notes on signed r² explain why).")
        plot(charts.score_scatter(imagenet, "top1", "ImageNet top-1 (%)", f"Best-layer score vs ImageNet top-1{tag}",
                                  x_format=".1f"), "top1", imagenet, "score vs ImageNet top-1")
        st.markdown(conclusions.trend_sentence(top1, "ImageNet top-1", cortex))
        notice(conclusions.trend_power_notice(top1))
        exercises_at(LESSON.url_path, "ranking", facts)
    st.header("4 · Do deeper networks predict it better?")
    plot(charts.score_scatter(trained, "depth", "depth (brain layers)", f"Best-layer score vs depth{tag}"),
         "depth", trained, "score vs depth")
    trend_with_family(trained, "depth", "depth", "more brain layers", cortex)
    st.header("5 · Do more features predict it better?")
    st.markdown("Features: the numbers per image at each network's best layer (before the random projection).")
    plot(charts.score_scatter(trained, "features", "features at the best layer (log scale)",
                              f"Best-layer score vs features{tag}", log_x=True), "features", trained,
         "score vs features")
    trend_with_family(trained, "features", "number of features", "more features at their best layer", cortex)


@section
def section_training(summary: pd.DataFrame, cortex: str, tag: str, cells: int) -> None:
    """6 · Trained against random weights, pair by pair."""
    st.header("6 · What did training buy?")
    st.markdown("Each line joins one architecture's random weights (left) to its trained weights (right).")
    plot(charts.trained_vs_random(summary, f"Trained vs random weights{tag}"), "trained-vs-random", summary,
         "trained and random scores")
    pairs = conclusions.pair_table(summary)
    verdict = conclusions.paired_verdict(pairs["trained"], pairs["random"])
    st.markdown(conclusions.pairs_sentence(verdict, cortex))
    notice(conclusions.pairs_notice(verdict, cells))
    exercises_at(LESSON.url_path, "training", zoo_facts.pairs_facts(verdict))


@section
def section_task(summary: pd.DataFrame, cortex: str, tag: str) -> None:
    """7 · Scores by training task."""
    st.header("7 · Does the training task matter?")
    trained = conclusions.trained_only(summary)
    plot(charts.by_task(trained, f"Best-layer score by training task{tag}"), "by-task", trained,
         "scores by training task")
    st.caption("Points: trained networks; black bar: the task's mean; grey ticks: chance.")
    st.markdown(conclusions.task_sentence(conclusions.task_comparison(trained["task"], trained["score"]), cortex))
    exercises_at(LESSON.url_path, "task")


@section
def section_numbers(table: pd.DataFrame, summary: pd.DataFrame) -> None:
    """8 · The summary per network and the full per-cell table to download."""
    st.header("8 · Take the numbers with you")
    st.markdown(conclusions.chance_sentence(summary["score"], summary["chance"]))
    shown = summary[list(SUMMARY_COLUMNS)].replace({"weights": {"pretrained": "trained"}})
    shown = shown.assign(top1=shown["top1"].map(top1_text))
    st.dataframe(shown.rename(columns=SUMMARY_COLUMNS), hide_index=True, width="stretch",
                 height=35 * (len(shown) + 1) + 3,
                 column_config={"score": st.column_config.NumberColumn(format="%.3f"),
                                "chance (shuffled)": st.column_config.NumberColumn(format="%.3f")})
    st.caption("Score: mean held-out signed r² over the cells at the network's best layer; chance: the same mean "
               "with the images shuffled against the responses, at that layer.")
    download_row(file_stem("simulated", "model-zoo", "summary"), table=summary, key="zoo_summary_dl",
                 what="one row per network")
    st.markdown(f"The full table: one row per network, weights, layer and cell ({len(table):,} rows) — score, the "
                "layer's chance level and the cell's permutation p-value at that layer.")
    download_row(file_stem("simulated", "model-zoo", "scores"), table=table, key="zoo_table_dl",
                 what=f"all {len(table):,} scores")


neural_bundle = cortex_data.simulated_bundle()
zoo_list = zoo_members()
introduction(neural_bundle, zoo_list)
section_zoo(zoo_list)
zoo_table = section_build(neural_bundle, zoo_list)
if zoo_table is not None:
    zoo_summary = zoo.summary(zoo_table)
    cortex_name = "the simulated cortex" if neural_bundle.simulated else "these cells"
    title_tag = " (simulated)" if neural_bundle.simulated else ""
    scored_cells = zoo_table["cell"].nunique()
    section_trends(zoo_summary, cortex_name, title_tag, {"simulated": neural_bundle.simulated, "cells": scored_cells})
    section_training(zoo_summary, cortex_name, title_tag, scored_cells)
    section_task(zoo_summary, cortex_name, title_tag)
    section_numbers(zoo_table, zoo_summary)
STATE.write_url()
