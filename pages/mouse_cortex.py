"""Lesson page: Predicting mouse visual cortex — which layers of which networks predict which visual areas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from lessons import brain_score, compute, cortex_pipeline, neural_data
from ui.brain_charts import (ceiling_scatter, heatmap, layer_curves, prediction_profile, response_profile,
                             trained_vs_random)
from ui.cortex_data import allen_import_panel, decode_bundle_upload, simulated_bundle, stored_allen_bundle
from ui.models import WEIGHT_LABELS, load_with_progress, offer_download
from ui.navigation import lesson_by_path
from ui.routing import route_through_app
from ui.state import init_from_url, mirror_to_url

route_through_app()
LESSON = lesson_by_path("pages/mouse_cortex.py")
DATA_LABELS = {"simulated": "Simulated cortex (offline)", "upload": "Your bundle (.zip)",
               "allen": "Real Allen data (download)"}
SUBSETS = {"250": 250, "1000": 1000, "all": None}
SUBSET_LABELS = {"250": "250 cells", "1000": "1,000 cells", "all": "all cells"}


# ------------------------------------------------------------------------------------------------------ caching
@st.cache_data(max_entries=8, show_spinner=False)
def cell_scores(bundle_id: str, model_key: str, weights: str, subset: str, _grams: cortex_pipeline.LayerGrams,
                _bundle: neural_data.NeuralBundle) -> cortex_pipeline.BrainScores:
    """Held-out scores of a subset of cells on every layer (cached per data, model, weights and subset)."""
    return cortex_pipeline.score_cells(_grams, _bundle, cortex_pipeline.select_cells(_bundle, SUBSETS[subset]))


@st.cache_data(max_entries=8, show_spinner=False)
def similarity(bundle_id: str, model_key: str, weights: str, subset: str, _grams: cortex_pipeline.LayerGrams,
               _bundle: neural_data.NeuralBundle) -> cortex_pipeline.RsaResult:
    """RSA of areas (their reliable cells) against layers (cached)."""
    idx = cortex_pipeline.select_cells(_bundle, SUBSETS[subset])
    reliable = idx[_bundle.cells["reliability"].to_numpy()[idx] >= 0.5]
    return cortex_pipeline.rsa(_grams, _bundle, reliable if len(reliable) >= 12 else idx)


def image_labels(bundle: neural_data.NeuralBundle) -> list[str]:
    """A label per condition."""
    return [bundle.condition_label(c) for c in range(bundle.n_conditions)]


# ------------------------------------------------------------------------------------------------------- intro
st.title(LESSON.title)
st.markdown(
    "The course ends where it began: with a line. Here the line is a **linear readout** that tries to predict a "
    "real neuron's response to a photo from a network's features. The data set this lesson is built around is the "
    "**Allen Brain Observatory**: tens of thousands of neurons in six visual areas of the mouse cortex were filmed "
    "through a two-photon microscope while the mice watched 118 natural photos (each for a quarter of a second, "
    "about 50 times, with a grey screen as a 119th condition). A neuron's activity shows as a change in "
    "fluorescence, **dF/F**: how much brighter its calcium indicator glows than at baseline. "
    "**DeepMouseTrap** (Conwell et al.) used it to ask which layers of which networks predict which areas. "
    "You can ask the same question here, with real statistics."
)
source = st.radio("Neural data", list(DATA_LABELS), key="mc_data", format_func=DATA_LABELS.get, horizontal=True)
bundle = simulated_bundle()
if source == "upload":
    upload = st.file_uploader("A neural data bundle (.zip)", type=["zip"], key="mc_upload",
                              help="stimuli.npy, responses.npy, cells.csv, bundle.json and optionally "
                                   "responses_even.npy / responses_odd.npy — see docs/neural_bundle.md.")
    if upload is None:
        st.info("Upload a bundle to use your own data; until then the simulated cortex is shown.")
    else:
        bundle = decode_bundle_upload(upload.getvalue(), upload.name) or bundle
elif source == "allen":
    stored = stored_allen_bundle()
    if stored is not None:
        bundle = stored
    else:
        st.info("No Allen data on this computer yet; the simulated cortex is shown until you import some.")
    with st.expander("Import real Allen data", expanded=stored is None):
        allen_import_panel("mc_import")
SIM = bundle.simulated
TAG = " (simulated)" if SIM else ""
if SIM:
    st.info(
        "**These neurons are simulated.** Without internet the lesson uses a stand-in built the classical way, "
        "with no network involved: each cell sums oriented edge detectors (Gabor filters) over its receptive field, "
        "then applies a threshold. From VISp to the higher areas the receptive fields grow, prefer coarser "
        "patterns, pool over more positions and orientations and respond more steeply; trial-to-trial noise gives "
        "each cell its own reliability. The photos are crops of the app's own images at the Allen aspect ratio. "
        "Because we built it, we know the answer the networks should find: VISp is the simplest area."
    )
st.caption(f"{bundle.name}: {bundle.n_cells:,} cells × {bundle.n_images} images"
           f"{' + blank' if bundle.blank_condition is not None else ''}. {bundle.citation}")
labels = image_labels(bundle)
images_only = bundle.image_conditions

# --------------------------------------------------------------------------------------------- 1 · the neurons
st.header("1 · The neurons")
st.markdown(
    "Each row is one cell: its visual **area** (VISp is the primary visual cortex; VISl, VISal, VISrl, VISpm and "
    "VISam are higher areas around it), its cortical **layer** and imaging depth, the **Cre line** that made it "
    "glow (a genetic label for a cell type), and its **reliability** — how well the average of half its trials "
    "predicts the other half (split-half correlation, Spearman–Brown corrected). A cell with reliability 0.2 is "
    "mostly noise; no model can predict it well."
)
cells = bundle.cells
present_areas = [a for a in neural_data.AREAS if a in set(cells["cortical_area"])]
present_layers = [layer for layer in neural_data.LAYERS if layer in set(cells["cortical_layer"])]
depth_lo, depth_hi = int(cells["imaging_depth"].min()), int(cells["imaging_depth"].max())
f = st.columns([3, 2, 2, 2])
areas_picked = f[0].multiselect("Areas", present_areas, default=present_areas, key="mc_areas")
layers_picked = f[1].multiselect("Layers", present_layers, default=present_layers, key="mc_layers")
depth = f[2].slider("Imaging depth (µm)", depth_lo, max(depth_hi, depth_lo + 1), (depth_lo, max(depth_hi, depth_lo + 1)),
                    key="mc_depth")
min_rel = f[3].slider("Minimum reliability", 0.0, 1.0, 0.0, 0.05, key="mc_min_rel")
mask = (cells["cortical_area"].isin(areas_picked) & cells["cortical_layer"].isin(layers_picked)
        & cells["imaging_depth"].between(*depth) & (cells["reliability"].fillna(-1) >= min_rel))
filtered = cells[mask].sort_values("reliability", ascending=False)
shown_cols = ["cell_specimen_id", "cortical_area", "cortical_layer", "imaging_depth", "cre_line", "reliability"]
id_header = "simulated cell id" if SIM else "cell_specimen_id"
st.dataframe(filtered[shown_cols].rename(columns={"cell_specimen_id": id_header}), hide_index=True, height=220,
             width="stretch")
st.caption(f"{len(filtered):,} of {len(cells):,}{' simulated' if SIM else ''} cells match; most reliable first.")
if filtered.empty:
    st.warning("No cell matches these filters; widen them to see a response profile.")
else:
    options = filtered["cell_specimen_id"].head(400).tolist()
    if st.session_state.get("mc_cell") not in options:
        st.session_state["mc_cell"] = options[0]
    cell_id = st.selectbox("Look at one cell", options, key="mc_cell",
                           format_func=lambda c: f"{c} — {cells.loc[cells['cell_specimen_id'] == c, 'cortical_area'].iat[0]}")
    row = int(np.flatnonzero(cells["cell_specimen_id"].to_numpy() == cell_id)[0])
    response = bundle.responses[row, images_only]
    info = cells.iloc[row]
    left, right = st.columns([3, 2])
    left.altair_chart(response_profile(response, [labels[c] for c in images_only],
                                       f"Cell {cell_id}{TAG}: mean dF/F per image"), width="stretch")
    blank_text = (f" To the grey blank: {bundle.responses[row, bundle.blank_condition]:.3f}."
                  if bundle.blank_condition is not None else "")
    right.markdown(f"**{info['cortical_area']}, layer {info['cortical_layer']}**, {info['imaging_depth']:.0f} µm, "
                   f"{info['cre_line']}; reliability **{info['reliability']:.2f}**.{blank_text}")
    order = np.argsort(-response)
    stim = bundle.stimuli
    right.caption("Most driving images")
    right.image([stim[i] for i in order[:4]], width=92, caption=[f"{response[i]:.3f}" for i in order[:4]])
    right.caption("Least driving images")
    right.image([stim[i] for i in order[-4:]], width=92, caption=[f"{response[i]:.3f}" for i in order[-4:]])

# --------------------------------------------------------------------------------------------- 2 · the network
st.header("2 · From pixels to predictions")
st.markdown(
    "Every image (and the grey blank) goes through the network **once**, and the activations of every layer are "
    "kept. A first layer has hundreds of thousands of numbers per image — far more than 119 images can "
    "constrain — so each layer is squeezed by a **sparse random projection** to 4,096 numbers, the "
    "Johnson–Lindenstrauss dimension at which distances between 119 points survive within 10 %. Then, for every "
    "cell and every layer, a **ridge regression** (a linear readout with a penalty that keeps its weights small) "
    "learns to predict the cell's responses; the penalty's strength is chosen per cell from seven values by "
    "generalised cross-validation. A linear readout is the fair referee: it can only use what the layer already "
    "makes explicit, and it is the same for every layer and every network."
)
model_keys = compute.model_keys("imagenet")
init_from_url("mc_model", model_keys, compute.DEFAULT_MODEL)
init_from_url("mc_weights", list(WEIGHT_LABELS), "pretrained")
init_from_url("mc_subset", list(SUBSETS), "250")
c = st.columns([2, 2, 2])
model_key = c[0].selectbox("Network", model_keys, key="mc_model", format_func=lambda k: compute.spec_for(k).title)
weights = c[1].radio("Weights", list(WEIGHT_LABELS), key="mc_weights", format_func=WEIGHT_LABELS.get)
subset = c[2].radio("Cells to score", list(SUBSETS), key="mc_subset", format_func=SUBSET_LABELS.get,
                    horizontal=True)
st.caption(
    "Speed trade-off: the network pass and the projection cost the same for any number of cells (a few seconds, "
    "once per network; kept on disk afterwards). The regression grows with the cells: 250 cells take about a "
    "second, all of them several seconds per network on a laptop — and the page scores both the trained network "
    "and its random twin."
)
spec = compute.spec_for(model_key)
pretrained_ok = compute.availability(model_key).ok
if not pretrained_ok:
    st.warning(f"**{spec.title}**'s trained weights are not on this computer: {compute.availability(model_key).reason}."
               " Until then only its random twin is scored.")
    offer_download(model_key)
    weights = "random"
loaded = load_with_progress(model_key, weights)
if loaded is None:
    st.stop()
layers = cortex_pipeline.brain_layers(loaded)
init_from_url("mc_layer", layers, layers[len(layers) // 2])
layer = st.selectbox("Layer for the close-ups below", layers, key="mc_layer",
                     format_func=lambda n: f"{n} — {'×'.join(map(str, loaded.output_shapes[n]))}")
twin = "random" if weights == "pretrained" else "pretrained"
runs = [weights] + ([twin] if twin == "random" or pretrained_ok else [])

results: dict[str, cortex_pipeline.BrainScores] = {}
grams: dict[str, cortex_pipeline.LayerGrams] = {}
with st.status(f"Running the pipeline on {spec.title}…", expanded=True) as status:
    bar = st.progress(0.0, text="starting")
    for j, w in enumerate(runs):
        lo, hi = j / len(runs), (j + 1) / len(runs)
        name = "trained" if w == "pretrained" else "random"

        def report(stage: str, fraction: float, message: str, lo: float = lo, hi: float = hi,
                   name: str = name) -> None:
            bar.progress(min(lo + (hi - lo) * fraction, 1.0), text=f"{name} weights — {message}")

        grams[w] = cortex_pipeline.layer_grams(bundle, model_key, w, progress=report, span=(0.0, 0.8))
        report("regression", 0.85, f"Regression: {SUBSET_LABELS[subset]} × {len(layers)} layers × 7 alphas × "
                                   "10 folds (+ the shuffled null)")
        results[w] = cell_scores(bundle.fingerprint, model_key, w, subset, grams[w], bundle)
    seconds = results[weights].seconds
    bar.progress(1.0, text="done")
    status.update(label=f"Pipeline done — extraction {seconds.get('extraction', 0):.1f} s, projection "
                        f"{seconds.get('projection', 0):.1f} s, regression {seconds.get('regression', 0):.1f} s "
                        "(0 s: reused from the cache)", state="complete", expanded=False)
result = results[weights]
table = result.area_layer_table()
cell_table = result.cell_table()

# -------------------------------------------------------------------------------------------------- 3 · results
st.header("3 · Which layer predicts which area?")
best_layer, best_value = result.model_score()
m = st.columns(4)
m[0].metric("Model score", f"{best_value:.3f}",
            help=f"{spec.title}{TAG}: mean held-out signed r² over cells at its best layer.")
m[1].metric("Best layer", best_layer)
m[2].metric("Shuffled-stimulus null", f"{cell_table['shuffled_null'].mean():.3f}",
            help="The same pipeline with the images shuffled relative to the responses: chance level.")
m[3].metric("Cells above null", f"{(cell_table['score'] > cell_table['shuffled_null'] + 0.05).mean():.0%}",
            help="Share of cells whose best-layer score beats their own shuffled score by more than 0.05.")
st.altair_chart(layer_curves(table, layers, f"Held-out score by layer and area — {loaded.title}{TAG}",
                             highlight=layer), width="stretch")
peaks = result.best_layer_by_area()
st.markdown(
    "Solid lines: mean score of each area's cells at each layer; dashed: the same with shuffled stimuli (chance). "
    "Peak layers here: " + ", ".join(f"**{a}** → {peaks[a]}" for a in peaks) + ". "
    + ("In the simulation VISp cells are built from small, fine, position-specific edge detectors and the higher "
       "areas from larger, coarser, pooled ones, so VISp should peak at an earlier layer."
       if SIM else "In DeepMouseTrap the differences between areas were small and intermediate layers did best.")
)
with st.expander("How the score is computed — and a trap it avoids"):
    st.markdown(
        "* **Held out, never in-sample.** The 119 conditions are split into 10 folds; the readout is fitted on 9 "
        "and predicts the 10th, until every condition has a prediction it was not trained on. The penalty is "
        "chosen by generalised cross-validation *inside* each training fold.\n"
        "* **Signed r².** The score is the squared correlation between predicted and measured responses, with the "
        "sign of the correlation kept (r·|r|). Why the sign? With strong shrinkage the readout predicts little more "
        "than the mean of the *training* responses — and leaving out an image with a high response lowers that "
        "mean, leaving out a low one raises it. Leave-one-out predictions then **anti-correlate** with the truth, "
        "and a plain r² of them looks impressive for pure noise (0.3 and more, with r strongly negative). The "
        "signed score of such a cell is negative instead.\n"
        "* **Chance level, shown.** The whole pipeline is rerun with the images shuffled against the responses; "
        "that dashed null sits beside every result. Cells whose chosen penalty is the largest one "
        "(`constant_prediction` in the table) effectively predict a constant.\n"
        "* **One scale per layer.** Ridge penalties depend on the size of the features, so each layer's projected "
        "features are rescaled by one number (average variance 1) before the same alpha grid is applied.")

# ----------------------------------------------------------------------------------------- 4 · trained vs random
st.header("4 · What did training buy?")
if len(results) == 2:
    st.altair_chart(trained_vs_random({w: results[w].area_layer_table() for w in ("pretrained", "random")}, layers,
                                      f"{spec.title}: trained vs random weights{TAG}"), width="stretch")
    pre, rnd = results["pretrained"].model_score()[1], results["random"].model_score()[1]
    st.markdown(
        f"Best-layer score: trained **{pre:.3f}**, random **{rnd:.3f}**. A random network is not useless — random "
        "filters still measure local contrast — but the features learned from ImageNet predict visual cortex "
        "better, which is the central observation of this line of research. The same architecture, different "
        "numbers in its filters: the difference is what learning from natural images bought."
    )
else:
    st.info("Only the random twin can be scored until the trained weights are downloaded.")

# ------------------------------------------------------------------------------------------- 5 · noise ceiling
st.header("5 · How good could it be? The noise ceiling")
st.markdown(
    "A neuron never answers the same image twice in exactly the same way. Its **split-half reliability** — the "
    "correlation between the average of its even-numbered trials and of its odd-numbered trials, corrected to the "
    "full number of trials (Spearman–Brown) — estimates the share of its response variance that is repeatable. "
    "No model can explain more than that, so it is the **ceiling** for r². Points near the dashed diagonal are "
    "predicted as well as their noise allows."
)
st.altair_chart(ceiling_scatter(cell_table, f"Best-layer score vs noise ceiling{TAG}"), width="stretch")
by_area = cell_table.groupby("cortical_area").agg(
    cells=("score", "size"), score=("score", "mean"), ceiling=("reliability", "mean"),
    normalised=("normalised_score", "median"), constant=("constant_prediction", "mean")).reindex(
    [a for a in neural_data.AREAS if a in set(cell_table["cortical_area"])])
by_area.index.name = f"area{TAG}"
st.dataframe(by_area.style.format({"score": "{:.3f}", "ceiling": "{:.2f}", "normalised": "{:.2f}",
                                   "constant": "{:.0%}"}), width="stretch")
st.caption("normalised: median of score ÷ ceiling over cells with a ceiling of at least 0.1; constant: share "
              "of cells whose best readout is nearly constant (largest penalty won).")

# -------------------------------------------------------------------------------------------- 6 · one neuron
st.header("6 · One neuron, up close")
scored_ids = cell_table["cell_specimen_id"].tolist()
default_cell = st.session_state.get("mc_cell")
if default_cell not in scored_ids:
    reliable = cell_table[cell_table["reliability"] >= 0.7]
    default_cell = int((reliable if not reliable.empty else cell_table).sort_values("score").iloc[-1]["cell_specimen_id"])
if st.session_state.get("mc_view_cell") not in scored_ids:
    st.session_state["mc_view_cell"] = default_cell
view_cell = st.selectbox("Scored cell", scored_ids, key="mc_view_cell",
                         format_func=lambda c: f"{c} — {cell_table.loc[cell_table['cell_specimen_id'] == c, 'cortical_area'].iat[0]}")
col = scored_ids.index(view_cell)
li = layers.index(layer)
actual = result.actual[images_only, col]
predicted = result.predictions[li][images_only, col]
row_info = cell_table.iloc[col]
st.altair_chart(prediction_profile(actual, predicted, [labels[c] for c in images_only],
                                   f"Cell {view_cell}{TAG} ({row_info['cortical_area']}) from {layer}: signed r² "
                                   f"{result.score[li, col]:.3f} (null {result.null[li, col]:.3f})"),
                width="stretch")
st.caption(f"Its best layer is {row_info['best_layer']} (signed r² {row_info['score']:.3f}; noise ceiling "
           f"{row_info['reliability']:.2f}). Every predicted point comes from a readout that never saw that image.")

# --------------------------------------------------------------------------------------------------- 7 · RSA
st.header("7 · Representational similarity")
st.markdown(
    "A second, readout-free comparison. For an area, take the pattern of responses its cells give to each image "
    "and ask how *different* every pair of images looks to them: 1 − the correlation of the two patterns. That "
    "118 × 118 **representational dissimilarity matrix** (RDM) is a fingerprint of the area; a layer has one "
    "too. Two RDMs are compared by the rank correlation of their entries — no fitting at all."
)
rsa = similarity(bundle.fingerprint, model_key, weights, subset, grams[weights], bundle)
if not rsa.areas:
    st.info("RSA needs at least two cells of an area among the scored cells; choose more cells above.")
else:
    init_from_url("mc_area", rsa.areas, rsa.areas[0])
    area = st.selectbox("Area", rsa.areas, key="mc_area")
    st.altair_chart(heatmap(rsa.similarity, rsa.areas, rsa.layers, f"RDM similarity, areas × layers{TAG}",
                            "Spearman r", scheme="blues", size=32 * len(rsa.areas)), width="stretch")
    ceil_text = ", ".join(f"{a} {v:.2f}" for a, v in rsa.area_ceiling.items())
    st.caption("Cells with reliability ≥ 0.5. Split-half ceiling of each area's RDM (even vs odd trials): "
               + (ceil_text or "no trial halves in this bundle") + ".")
    r1, r2 = st.columns(2)
    r1.altair_chart(heatmap(rsa.area_rdms[area], labels[: len(images_only)], labels[: len(images_only)],
                            f"{area} RDM{TAG}", "1 − r", scheme="viridis", size=300, labels=False), width="content")
    r2.altair_chart(heatmap(rsa.layer_rdms[layer], labels[: len(images_only)], labels[: len(images_only)],
                            f"{layer} RDM", "1 − r", scheme="viridis", size=300, labels=False), width="content")
    match = rsa.similarity[rsa.areas.index(area), rsa.layers.index(layer)]
    st.caption(f"{area} vs {layer}: Spearman r = {match:.3f}. The images are in the bundle's order.")

# ------------------------------------------------------------------------------------------------ 8 · download
st.header("8 · Take the numbers with you")
export = cell_table.copy()
if len(results) == 2:
    export[f"score_{twin}"] = results[twin].cell_table()["score"].to_numpy()
export.insert(0, "data", "simulated" if SIM else bundle.source)
file_name = f"{'simulated_' if SIM else ''}mouse_cortex_scores_{model_key}_{weights}.csv"
st.download_button(f"Download per-cell scores ({len(export):,} cells, CSV)", export.to_csv(index=False),
                   file_name=file_name, mime="text/csv", key="mc_download")
st.caption(f"`{file_name}`: area, layer, depth, Cre line, reliability, best layer, held-out score, shuffled "
           "null, normalised score, chosen alpha and the constant-prediction flag for each cell.")
mirror_to_url("mc_model", "mc_weights", "mc_layer", "mc_area")
