"""Lesson page: Predicting mouse visual cortex — which layers of which networks predict which visual areas."""

from __future__ import annotations

import streamlit as st

from lessons.core import chance, registry
from lessons.cortex import brain_score
from lessons.cortex import compute as cortex_compute
from lessons.cortex import conclusions as cortex_conclusions
from lessons.cortex import facts as cortex_facts
from lessons.cortex import pipeline as cortex_pipeline
from lessons.cortex.data import NeuralBundle
from ui import brain_charts as charts
from ui import cortex_data
from ui.cortex_data import ScoredRun
from ui.downloads import download_row
from ui.exercises import exercises_at, notice
from ui.models import load_with_progress, model_picker
from ui.navigation import lesson_by_path
from ui.presenter import section
from ui.routing import route_through_app
from ui.settings import mouse_cortex as settings
from ui.settings.mouse_cortex import STATE
from ui.state import stop_page

route_through_app()
STATE.start()
LESSON = lesson_by_path("pages/mouse_cortex.py")


@section
def choose_data() -> NeuralBundle:
    """Title, introduction and the neural data (simulated, an upload or imported Allen data)."""
    st.title(LESSON.title)
    st.markdown(
        "The course ends where it began: with a line. Here the line is a **linear readout** that tries to predict a "
        "real neuron's response to a photo from a network's features. The data set this lesson is built around is "
        "the **Allen Brain Observatory**: tens of thousands of neurons in six visual areas of the mouse cortex were "
        "filmed through a two-photon microscope while the mice watched 118 natural photos (each for a quarter of a "
        "second, about 50 times, with a grey screen as a 119th condition). A neuron's activity shows as a change in "
        "fluorescence, **dF/F**: how much brighter its calcium indicator glows than at baseline. "
        "**DeepMouseTrap** (Conwell et al.) used it to ask which layers of which networks predict which areas. "
        "You can ask the same question here, with real statistics."
    )
    source = st.radio("Neural data", list(settings.DATA_LABELS), key="mc_data", format_func=settings.DATA_LABELS.get,
                      horizontal=True)
    bundle = cortex_data.bundle_from(source, "mc")
    if bundle.simulated:
        st.info(
            "**These neurons are simulated.** Without internet the lesson uses a stand-in built the classical way, "
            "with no network involved: each cell sums oriented edge detectors (Gabor filters) over its receptive "
            "field, then applies a threshold. From VISp to the higher areas the receptive fields grow, prefer coarser "
            "patterns, pool over more positions and orientations and respond more steeply; trial-to-trial noise "
            "gives each cell its own reliability. The photos are crops of the app's own images at the Allen aspect "
            "ratio. Because we built it, we know the answer the networks should find: VISp is the simplest area."
        )
    conditions = cortex_conclusions.conditions_text(bundle.n_images, bundle.blank_condition is not None)
    st.caption(f"{bundle.name}: {bundle.n_cells:,} cells; {conditions}. {bundle.citation}")
    return bundle


@section
def section_neurons(bundle: NeuralBundle) -> None:
    """1 · The neurons: the filtered cell table and one cell's responses."""
    st.header("1 · The neurons")
    st.markdown(
        "Each row is one cell: its visual **area** (VISp is the primary visual cortex; VISl, VISal, VISrl, VISpm and "
        "VISam are higher areas around it), its cortical **layer** and imaging depth, the **Cre line** that made it "
        "glow (a genetic label for a cell type), and its **reliability** — how well the average of half its trials "
        "predicts the other half (split-half correlation, Spearman–Brown corrected). A cell with reliability 0.2 is "
        "mostly noise; no model can predict it well."
    )
    cells, sim = bundle.cells, bundle.simulated
    filtered = cortex_data.cell_filters(cells, STATE, "mc")
    shown_cols = ["cell_specimen_id", "cortical_area", "cortical_layer", "imaging_depth", "cre_line", "reliability"]
    id_header = "simulated cell id" if sim else "cell_specimen_id"
    st.dataframe(filtered[shown_cols].rename(columns={"cell_specimen_id": id_header}), hide_index=True, height=220,
                 width="stretch")
    negative = cortex_compute.negative_reliability_count(filtered)
    st.caption(f"{len(filtered):,} of {len(cells):,}{' simulated' if sim else ''} cells match; most reliable first"
               + (f"; {negative:,} of them have a negative reliability (their trial halves disagree)." if negative
                  else "."))
    if filtered.empty:
        st.warning("No cell matches these filters; widen them to see a response profile.")
    else:
        cortex_data.cell_profile(bundle, filtered["cell_specimen_id"].head(cortex_compute.CELL_LIST_LIMIT).tolist(),
                                 STATE, "mc_cell")


@section
def section_pipeline(bundle: NeuralBundle) -> ScoredRun:
    """2 · From pixels to predictions: network, weights, cells and shuffles, the stimulus as seen, and the run."""
    st.header("2 · From pixels to predictions")
    n_cond = bundle.n_conditions
    conditions = cortex_conclusions.conditions_text(bundle.n_images, bundle.blank_condition is not None)
    st.markdown(
        f"Every one of the {conditions} goes through the network **once**, and the activations of every layer are "
        f"kept. A first layer has hundreds of thousands of numbers per image — far more than {n_cond} conditions can "
        f"constrain — so each layer is squeezed by a **sparse random projection** to at most "
        f"{brain_score.jl_dim(n_cond):,} numbers, the Johnson–Lindenstrauss dimension at which distances between "
        f"{n_cond} points survive within 10 %. Then, for every "
        "cell and every layer, a **ridge regression** (a linear readout with a penalty that keeps its weights small) "
        "learns to predict the cell's responses; the penalty's strength is chosen per cell from seven values by "
        "generalised cross-validation. A linear readout is the fair referee: it can only use what the layer already "
        "makes explicit, and it is the same for every layer and every network."
    )
    model_key, weights, spec = model_picker("mc_model", settings.NETWORKS, weights_key="mc_weights",
                                            without_weights="Until then only its random twin is scored.")
    c = st.columns([2, 1, 2])
    subset = c[0].radio("Cells to score", list(settings.SUBSET_LABELS), key="mc_subset",
                        format_func=settings.SUBSET_LABELS.get, horizontal=True)
    shuffles = int(c[1].selectbox("Shuffles for chance", settings.SHUFFLE_CHOICES, key="mc_shuffles",
                                  help="How many times the images are shuffled against the responses to measure "
                                       "chance. More shuffles give finer p-values (the smallest is 1 / (shuffles + "
                                       "1)) and cost more time."))
    st.caption(
        "Speed trade-off: the network pass and the projection cost the same for any number of cells (once per "
        "network; kept on disk afterwards). The regression grows with the cells, and measuring chance adds about "
        "twice its cost (the shuffles score a sample of the cells) — for the chosen weights now, and for the "
        "twin when you ask for it in section 4. The times of this run are shown when it finishes."
    )
    loaded = load_with_progress(model_key, weights)
    if loaded is None:
        stop_page()
    cortex_data.stimulus_as_seen(bundle.stimuli[0], spec)
    st.caption("As in DeepMouseTrap, the whole stimulus is squeezed into the network's square input: nothing is cut "
               "off, so a neuron whose receptive field lies near the screen's edge still sees its part of the "
               "picture. (Photos on the other lessons are centre-cropped, the way ImageNet networks are evaluated.)")
    layers = cortex_pipeline.brain_layers(loaded)
    STATE.bind("mc_layer", options=layers, default=layers[len(layers) // 2])
    layer = st.selectbox("Layer for the close-ups below", layers, key="mc_layer",
                         format_func=lambda n: f"{n} — {'×'.join(map(str, loaded.output_shapes[n]))}")
    runs = cortex_compute.weights_to_score(weights, registry.availability(model_key).ok)
    return cortex_data.score_with_progress(bundle, loaded, runs, subset, shuffles, layers, layer)


@section
def section_results(run: ScoredRun) -> None:
    """3 · Which layer predicts which area? The verdict, the layer curves and how score and chance are computed."""
    st.header("3 · Which layer predicts which area?")
    result, sim, tag, title = run.result, run.bundle.simulated, run.tag, run.loaded.title
    cell_table = result.cell_table()
    best_layer, best_value = result.model_score()
    verdict = result.model_verdict()
    facts = cortex_facts.results_facts(result, title, sim)
    if not exercises_at(LESSON.url_path, "results", facts):
        return
    m = st.columns(4)
    m[0].metric("Model score", f"{best_value:.3f}",
                help=f"{run.loaded.spec.title}{tag}: mean held-out signed r² over cells at its best layer.")
    m[1].metric("Best layer", best_layer)
    m[2].metric("Chance (shuffled)", f"{verdict.chance_level:.3f}",
                help=f"The model score of the same pipeline on {result.shuffles} shuffles of the images against the "
                     "responses, each choosing its own best layer: the mean over shuffles "
                     f"(95th percentile {verdict.chance_95:.3f}).")
    m[3].metric("Cells above chance", f"{cortex_compute.share_above_chance(cell_table):.0%}",
                help="Share of cells whose best-layer score beats the shuffled best-layer scores, with the "
                     f"false-discovery rate held at {result.fdr:.0%} (Benjamini–Hochberg).")
    say = st.success if verdict.above_chance else st.warning
    say(cortex_conclusions.model_verdict_sentence(title, verdict, best_layer, result.shuffles, sim))
    notice(cortex_conclusions.chance_notice(best_value, verdict, sim))
    st.markdown(cortex_conclusions.cells_sentence(cortex_compute.above_chance_count(cell_table), len(cell_table),
                                                  result.fdr))
    curves = result.area_layer_table()
    chart = charts.layer_curves(curves, run.layers, f"Held-out score by layer and area — {title}{tag}",
                                highlight=run.layer)
    st.altair_chart(chart, width="stretch")
    download_row(run.stem("layer-scores"), chart=chart, table=curves, key="mc_curves_dl", what="the layer scores")
    peaks = result.best_layer_by_area()
    st.markdown(
        "Solid lines: mean score of each area's cells at each layer; dashed grey: the same layer's mean score on "
        "shuffled images (chance, before any layer is picked). "
        + cortex_conclusions.peaks_sentence(peaks, {a: result.peak_depth_samples(a) for a in peaks},
                                            cortex_compute.above_chance_by_area(cell_table), verdict.above_chance,
                                            sim)
    )
    exercises_at(LESSON.url_path, "chance", facts)
    with st.expander("How the score and chance are computed — and two traps they avoid"):
        plain_r2, loo_r = cortex_data.loo_trap(*run.cache_key(), best_layer, run.grams[run.loaded.weights], run.bundle)
        st.markdown(cortex_conclusions.method_notes(run.bundle.n_conditions, len(run.layers), result.shuffles,
                                                    result.fdr, cortex_conclusions.loo_trap_sentence(plain_r2, loo_r)))


@section
def section_training(run: ScoredRun) -> ScoredRun:
    """4 · What did training buy? Trained against random weights, the twin scored on request (the run, with the
    twin's scores once they exist)."""
    st.header("4 · What did training buy?")
    prediction = st.container()  # the prediction comes first; it is judged below, once the twin's scores are in
    if run.pending:
        twin = cortex_data.weights_name(run.pending[0])
        st.markdown(f"The same network with **{twin} weights** goes through the same pipeline — same layers, same "
                    f"{len(run.result.cells):,} cells, same {run.shuffles} shuffles — so the two can be compared "
                    "cell by cell. It is scored on request, so that the page above is ready sooner.")
        scored = cortex_data.score_pending(run, f"Score the {twin} weights too", "mc_score_twin")
        if scored is None:
            with prediction:
                exercises_at(LESSON.url_path, "training")
            return run
        run = scored
    if len(run.results) != 2:
        st.info("Only the random twin can be scored until the trained weights are downloaded.")
        return run
    pre, rnd = run.results["pretrained"], run.results["random"]
    difference = cortex_conclusions.paired_difference(pre.score[pre.model_layer_index()],
                                                      rnd.score[rnd.model_layer_index()])
    with prediction:
        if not exercises_at(LESSON.url_path, "training", cortex_facts.training_facts(pre, rnd, difference)):
            return run
    tables = {w: run.results[w].area_layer_table() for w in ("pretrained", "random")}
    chart = charts.trained_vs_random(tables, run.layers, f"{run.loaded.spec.title}: trained vs random weights{run.tag}")
    st.altair_chart(chart, width="stretch")
    download_row(run.stem("trained-vs-random"), chart=chart, table=cortex_compute.weights_table(tables),
                 key="mc_training_dl", what="trained vs random scores")
    st.markdown(cortex_conclusions.training_sentence(pre.model_score()[1], rnd.model_score()[1],
                                                     pre.model_verdict(), rnd.model_verdict(), difference))
    return run


@section
def section_ceiling(run: ScoredRun) -> None:
    """5 · The noise ceiling: score against reliability, and the per-area summary."""
    st.header("5 · How good could it be? The noise ceiling")
    st.markdown(
        "A neuron never answers the same image twice in exactly the same way. Its **split-half reliability** — the "
        "correlation between the average of its even-numbered trials and of its odd-numbered trials, corrected to "
        "the full number of trials (Spearman–Brown) — estimates the share of its response variance that is "
        "repeatable. No model can explain more than that, so it is the **ceiling** for r². Points near the dashed "
        "diagonal are predicted as well as their noise allows."
    )
    result, cell_table = run.result, run.result.cell_table()
    best_layer, best_value = result.model_score()
    chart = charts.ceiling_scatter(cell_table, f"Best-layer score vs noise ceiling{run.tag}")
    st.altair_chart(chart, width="stretch")
    download_row(run.stem("noise-ceiling"), chart=chart, table=cell_table, key="mc_ceiling_dl",
                 what="scores and ceilings")
    st.markdown(cortex_conclusions.ceiling_sentence(cell_table["reliability"].to_numpy(),
                                                    cell_table["above_chance"].to_numpy()))
    area_summary = result.area_summary()
    st.dataframe(charts.area_summary_table(area_summary, best_layer, run.tag), width="stretch")
    st.caption(
        f"Score at {best_layer}: every cell read out from the model's best layer — averaged over all "
        f"{len(cell_table):,} cells it is the headline model score ({best_value:.3f}). Score at own best layer: each "
        "cell at the layer that suits it best, which is always higher — partly because picking the best of "
        f"{len(run.layers)} layers flatters noise too: shuffled images score {result.chance_after_selection():.3f} "
        "on average after the same pick. Normalised: median of score ÷ ceiling over cells with a "
        "ceiling of at least 0.1. Constant readout: share of cells whose best readout is nearly constant (largest "
        "penalty won).")
    notice(cortex_conclusions.ceiling_notice(cell_table["normalised_score"].to_numpy(), run.bundle.simulated))
    exercises_at(LESSON.url_path, "ceiling", cortex_facts.ceiling_facts(area_summary, run.bundle.simulated))


@section
def section_one_neuron(run: ScoredRun) -> None:
    """6 · One neuron, up close: a scored cell's measured and held-out predicted responses at the chosen layer."""
    st.header("6 · One neuron, up close")
    result, cell_table = run.result, run.result.cell_table()
    scored_ids = [str(c) for c in cell_table["cell_specimen_id"]]
    area_of = dict(zip(scored_ids, cell_table["cortical_area"]))
    STATE.bind("mc_view_cell", options=scored_ids,
               default=str(cortex_compute.showcase_cell(cell_table, STATE.value("mc_cell"))))
    view_cell = st.selectbox("Scored cell", scored_ids, key="mc_view_cell",
                             format_func=lambda c: f"{c} — {area_of[c]}")
    col, li = scored_ids.index(view_cell), run.layers.index(run.layer)
    images_only = run.bundle.image_conditions
    labels = cortex_compute.condition_labels(run.bundle)
    row_info = cell_table.iloc[col]
    title = (f"Cell {view_cell}{run.tag} ({row_info['cortical_area']}) from {run.layer}: signed r² "
             f"{result.score[li, col]:.3f} (chance at this layer {result.layer_chance()[li]:.3f})")
    measured, predicted = result.actual[images_only, col], result.predictions[li][images_only, col]
    chart = charts.prediction_profile(measured, predicted, [labels[c] for c in images_only], title)
    st.altair_chart(chart, width="stretch")
    download_row(run.stem(f"cell-{view_cell}-{run.layer}"), chart=chart, key="mc_neuron_dl", what="this cell's fit",
                 table=cortex_compute.prediction_table([labels[c] for c in images_only], measured, predicted))
    cell_words = "above chance" if row_info["above_chance"] else "not above chance"
    st.caption(f"Its best layer is {row_info['best_layer']} (signed r² {row_info['score']:.3f}, "
               f"{chance.format_p(row_info['p_value'])}: {cell_words} after the false-discovery control; noise "
               f"ceiling {row_info['reliability']:.2f}). Every predicted point comes from a readout that never saw "
               "that image.")
    exercises_at(LESSON.url_path, "neuron", cortex_facts.neuron_facts(result, cell_table, view_cell, run.layer,
                                                                         run.bundle.simulated))


@section
def section_similarity(run: ScoredRun) -> None:
    """7 · Representational similarity: RDMs of areas and layers, and how well they match."""
    st.header("7 · Representational similarity")
    n_images = len(run.bundle.image_conditions)
    st.markdown(
        "A second, readout-free comparison. For an area, take the pattern of responses its cells give to each image "
        "and ask how *different* every pair of images looks to them: 1 − the correlation of the two patterns. That "
        f"{n_images} × {n_images} **representational dissimilarity matrix** (RDM) is a fingerprint of the area; a "
        "layer has one too. Two RDMs are compared by the rank correlation of their entries — no fitting at all."
    )
    rsa = cortex_data.similarity(*run.cache_key(), run.grams[run.loaded.weights], run.bundle)
    if not rsa.areas:
        st.info("RSA needs at least two cells of an area among the scored cells; choose more cells above.")
        return
    STATE.bind("mc_area", options=rsa.areas, default=rsa.areas[0])
    area, layer, tag = st.selectbox("Area", rsa.areas, key="mc_area"), run.layer, run.tag
    chart = charts.heatmap(rsa.similarity, rsa.areas, rsa.layers, f"RDM similarity, areas × layers{tag}",
                           "Spearman r", scheme="blues")
    st.altair_chart(chart, width="stretch")
    download_row(run.stem("rdm-similarity"), chart=chart, key="mc_similarity_dl", what="the RDM similarities",
                 table=cortex_compute.similarity_table(rsa.similarity, rsa.areas, rsa.layers))
    ceil_text = ", ".join(f"{a} {v:.2f}" for a, v in rsa.area_ceiling.items())
    st.caption("Cells with reliability ≥ 0.5. Ceiling of each area's RDM: the Spearman r between its even-trial "
               "and odd-trial RDMs, Spearman–Brown corrected to all trials (a layer cannot match an area better "
               "than the area matches itself): " + (ceil_text or "no trial halves in this bundle") + ".")
    cortex_data.rdm_pair(run, {f"{area} RDM{tag}": rsa.area_rdms[area], f"{layer} RDM": rsa.layer_rdms[layer]})
    match = rsa.similarity[rsa.areas.index(area), rsa.layers.index(layer)]
    shuffled = cortex_data.rdm_null(*run.cache_key(), area, layer, rsa.area_rdms[area], rsa.layer_rdms[layer])
    st.markdown(cortex_conclusions.rsa_sentence(area, layer, match, shuffled, rsa.area_ceiling.get(area)))
    st.caption("The images are in the bundle's order.")


@section
def section_download(run: ScoredRun) -> None:
    """8 · Take the numbers with you: the per-cell table as CSV."""
    st.header("8 · Take the numbers with you")
    export = run.scores_table()
    st.markdown(f"The per-cell scores of the {len(export):,} scored cells, `{run.stem('scores')}.csv`: area, layer, "
                "depth, Cre line, reliability, best layer, held-out score, score at the model's layer, p-value "
                "against the shuffled best-layer scores, the above-chance call (false-discovery rate 5 %), "
                "normalised score, chosen alpha and the constant-prediction flag for each cell.")
    download_row(run.stem("scores"), table=export, key="mc_download", what=f"the scores of {len(export):,} cells")


neural_bundle = choose_data()
section_neurons(neural_bundle)
scored = section_pipeline(neural_bundle)
section_results(scored)
scored = section_training(scored)
section_ceiling(scored)
section_one_neuron(scored)
section_similarity(scored)
section_download(scored)
STATE.write_url()
