"""The topographic-maps lesson's exercises and "what to notice" sentence, judged on constructed facts: answers come
from the page's scores, checks accept the right state and refuse the wrong one and the edge cases."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from lessons.core.exercises import SUMMARY, MissingFacts, judge
from lessons.exercises import MODULES
from lessons.topomap import exercises as ex
from lessons.topomap import layouts as topomap_layouts
from lessons.topomap import pipeline as topomap_pipeline

# the digit MLP's last layer, cosine distance, seed 0: the comparison's blur errors, to three digits
SCORES = {"PCA": 0.0186, "t-SNE": 0.0147, "UMAP": 0.0030, "Self-organising map": 0.0195,
          "Graph (Fruchterman–Reingold)": 0.0104, "Force-directed (particles)": 0.0199, ex.CHANCE: 0.0208}


def shown(layout_key: str = "tsne", blur: float = 0.0147, pca: float = 0.0186, refined: bool = False) -> dict:
    """The facts of the maps section for one layout."""
    return {"layout_key": layout_key, "layout": topomap_layouts.LAYOUTS[layout_key], "refined": refined,
            "blur_error": blur, "pca_blur_error": pca, "chance_blur_error": 0.0208}


def test_the_lesson_declares_three_to_six_exercises_of_every_needed_kind_in_page_order():
    declared = ex.EXERCISES
    assert MODULES[declared.lesson] == "lessons.topomap.exercises"
    assert 3 <= len(declared.exercises) <= 6 and 3 <= len(declared.takeaways) <= 5 and declared.minutes > 0
    assert {"predict", "task", "choice"} <= {e.kind for e in declared.exercises}
    assert all(e.id.startswith("topomap.") for e in declared.exercises)
    order = [declared.sections.index(e.section) for e in declared.exercises if e.section != SUMMARY]
    assert order == sorted(order)
    for e in declared.exercises:
        assert e.explanation and e.hints, e.id
        assert all(option.feedback for option in e.options), e.id  # feedback on every option


def test_the_exercises_module_loads_no_torch_streamlit_or_scipy():
    code = ("import sys, lessons.topomap.exercises; "
            "print(sorted(m for m in ('torch', 'streamlit', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_names_and_the_rounding_agree_with_the_pipeline():
    assert ex.LAYOUT_NAMES == tuple(topomap_layouts.LAYOUTS.values())
    assert ex.SMOOTHEST_PREDICTION.labels == ex.LAYOUT_NAMES
    assert ex.CHANCE == topomap_pipeline.CHANCE
    for value in (0.018546, 0.00299, 0.1, 0.0104999):
        assert ex.as_shown(value) == float(topomap_pipeline.score_text(value))


def test_the_layout_is_ours_choice():
    assert judge(ex.LAYOUT_IS_OURS, "Nothing: only where we draw its units", {}).correct
    wrong = judge(ex.LAYOUT_IS_OURS, "The network's accuracy", {})
    assert not wrong.correct and "never sees the sheet" in wrong.feedback
    assert not judge(ex.LAYOUT_IS_OURS, "The units' activations", {}).correct


def test_beating_pca_is_judged_on_the_scores_as_shown():
    right = ex.beats_pca(shown())
    assert right.correct and "**t-SNE**" in right.feedback and "0.0147" in right.feedback
    assert "21% lower" in right.feedback
    worse = ex.beats_pca(shown("som", blur=0.0195))
    assert not worse.correct and "not below PCA's 0.0186" in worse.feedback
    itself = ex.beats_pca(shown("pca", blur=0.0186))
    assert not itself.correct and "This *is* PCA" in itself.feedback
    # shown differently at three digits: the student sees it lower, so it counts
    assert ex.beats_pca(shown("force", blur=0.018549, pca=0.018551)).correct
    # lower only beyond the three digits the page shows: the student sees a tie, so it is not accepted
    tie = ex.beats_pca(shown("force", blur=0.018541, pca=0.018549))
    assert not tie.correct and "the same as PCA's as shown" in tie.feedback
    refined = ex.beats_pca(shown("umap", blur=0.0177, pca=0.0194, refined=True))
    assert refined.correct and "both with the refinement" in refined.feedback
    assert judge(ex.BEAT_PCA, None, shown()).correct
    with pytest.raises(MissingFacts):
        judge(ex.BEAT_PCA, None, {"layout_key": "tsne"})
    assert "0.0208" in ex.explain_beats_pca(shown()) and "chance level" in ex.explain_beats_pca(shown())


def test_the_random_splits_choice():
    right = judge(ex.RANDOM_SPLITS, "The gap expected by chance alone, with no real difference between the groups", {})
    assert right.correct
    assert not judge(ex.RANDOM_SPLITS, "How many images the network gets wrong", {}).correct
    assert not judge(ex.RANDOM_SPLITS, "How different the two maps look", {}).correct


def test_the_smoothest_layout_is_read_from_the_comparison_and_never_chance():
    facts = {"layout_scores": SCORES}
    assert ex.smoothest_layout(facts) == "UMAP"
    assert judge(ex.SMOOTHEST_PREDICTION, "UMAP", facts).correct
    verdict = judge(ex.SMOOTHEST_PREDICTION, "PCA", facts)
    assert not verdict.correct and "**UMAP**" in verdict.feedback
    chance_lowest = {"layout_scores": {**SCORES, ex.CHANCE: 0.001}}
    assert ex.smoothest_layout(chance_lowest) == "UMAP"  # the random placement is the yardstick, not a method
    assert not ex.SMOOTHEST_PREDICTION.ready({})  # before the comparison it waits, unjudged


def test_the_smoothest_explanation_says_which_methods_beat_pca_here():
    some = ex.explain_smoothest({"layout_scores": SCORES})
    assert "**UMAP** (0.003)" in some and "PCA 0.0186" in some and "random placement (chance) 0.0208" in some
    assert "Here t-SNE, UMAP, Graph (Fruchterman–Reingold) did; Self-organising map, Force-directed" in some
    every = {name: (0.01 if name != "PCA" else 0.02) for name in ex.LAYOUT_NAMES}
    assert "every one of them did" in ex.explain_smoothest({"layout_scores": every})
    none = {name: (0.03 if name != "PCA" else 0.02) for name in ex.LAYOUT_NAMES}
    text = ex.explain_smoothest({"layout_scores": none})
    assert "none of them did: PCA was the smoothest" in text and "chance" not in text.split("PCA 0.02")[1][:5]


def test_the_smoothness_notice_flips_with_the_chance_level():
    better = topomap_pipeline.smoothness_notice("t-SNE", topomap_pipeline.Smoothness(0.0147, 0.0186, 0.0208))
    assert "**0.0147**" in better and "**0.0208** (chance)" in better and "29% smoother than chance" in better
    no_better = topomap_pipeline.smoothness_notice("SOM", topomap_pipeline.Smoothness(0.0215, 0.0186, 0.0208))
    assert "no smoother than chance" in no_better and "smoother than chance." not in no_better
    tie = topomap_pipeline.smoothness_notice("SOM", topomap_pipeline.Smoothness(0.020801, 0.0186, 0.020799))
    assert "no smoother than chance" in tie  # equal as shown is not smoother


def test_the_maps_section_scores_are_the_comparisons_scores():
    profiles = np.random.default_rng(3).normal(size=(30, 6))
    comparison = topomap_pipeline.compare(profiles, ("pca", "graph"), seed=2)
    shown_maps = topomap_pipeline.build(profiles, "graph", seed=2)
    pca = topomap_pipeline.build(profiles, "pca", seed=2)
    scores = topomap_pipeline.smoothness(shown_maps, pca, profiles, seed=2)
    table = comparison.scores()
    assert scores.layout == pytest.approx(table["Graph (Fruchterman–Reingold)"])
    assert scores.pca == pytest.approx(table["PCA"]) and scores.chance == pytest.approx(table[ex.CHANCE])
    assert comparison.scores("components") == {row["layout"]: row["components"] for row in comparison.rows}
