"""Lesson page: Predicting mouse visual cortex — which layers of which networks predict which visual areas."""

from __future__ import annotations

import numpy as np
import streamlit as st

from lessons.cortex import brain_score
from lessons.core import chance
from lessons.core import preprocess, registry
from lessons.cortex import conclusions as cortex_conclusions
from lessons.cortex import pipeline as cortex_pipeline
from lessons.cortex import data as neural_data
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
SHUFFLE_CHOICES = [str(k) for k in (chance.SHUFFLES, 50, 100)]


# ------------------------------------------------------------------------------------------------------ caching
@st.cache_data(max_entries=8, show_spinner=False)
def cell_scores(bundle_id: str, model_key: str, weights: str, subset: str, shuffles: int,
                _grams: cortex_pipeline.LayerGrams, _bundle: neural_data.NeuralBundle) -> cortex_pipeline.BrainScores:
    """Held-out scores and chance of a subset of cells on every layer (cached per data, model, weights, subset and
    number of shuffles)."""
    return cortex_pipeline.score_cells(_grams, _bundle, cortex_pipeline.select_cells(_bundle, SUBSETS[subset]),
                                       shuffles=shuffles)


@st.cache_data(max_entries=8, show_spinner=False)
def loo_trap(bundle_id: str, model_key: str, weights: str, subset: str, layer: str,
             _grams: cortex_pipeline.LayerGrams, _bundle: neural_data.NeuralBundle) -> tuple[np.ndarray, np.ndarray]:
    """Plain leave-one-out r² and r of the shuffled responses at one layer (cached)."""
    return cortex_pipeline.loo_r2_of_shuffled(_grams, _bundle, layer,
                                              cortex_pipeline.select_cells(_bundle, SUBSETS[subset]))


@st.cache_data(max_entries=8, show_spinner=False)
def similarity(bundle_id: str, model_key: str, weights: str, subset: str, _grams: cortex_pipeline.LayerGrams,
               _bundle: neural_data.NeuralBundle) -> cortex_pipeline.RsaResult:
    """RSA of areas (their reliable cells) against layers (cached)."""
    idx = cortex_pipeline.select_cells(_bundle, SUBSETS[subset])
    reliable = idx[_bundle.cells["reliability"].to_numpy()[idx] >= 0.5]
    return cortex_pipeline.rsa(_grams, _bundle, reliable if len(reliable) >= 12 else idx)


@st.cache_data(max_entries=16, show_spinner=False)
def rdm_null(bundle_id: str, model_key: str, weights: str, subset: str, area: str, layer: str,
             _area_rdm: np.ndarray, _layer_rdm: np.ndarray) -> np.ndarray:
    """RDM matches with the area's images relabelled at random (cached)."""
    return brain_score.shuffled_rdm_matches(_area_rdm, _layer_rdm, shuffles=200)


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
HAS_BLANK = bundle.blank_condition is not None
CONDITIONS = cortex_conclusions.conditions_text(bundle.n_images, HAS_BLANK)
st.caption(f"{bundle.name}: {bundle.n_cells:,} cells; {CONDITIONS}. {bundle.citation}")
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
rel_floor = float(np.floor(min(0.0, float(cells["reliability"].min(skipna=True))) * 20) / 20) \
    if cells["reliability"].notna().any() else 0.0
min_rel = f[3].slider("Minimum reliability", rel_floor, 1.0, rel_floor, 0.05, key="mc_min_rel",
                      help="Reliability can be negative: the two halves of the trials disagree more than chance "
                           "would suggest. Such cells are pure noise for this lesson; they are shown at the lowest "
                           "setting.")
mask = (cells["cortical_area"].isin(areas_picked) & cells["cortical_layer"].isin(layers_picked)
        & cells["imaging_depth"].between(*depth) & (cells["reliability"].fillna(rel_floor) >= min_rel))
filtered = cells[mask].sort_values("reliability", ascending=False)
shown_cols = ["cell_specimen_id", "cortical_area", "cortical_layer", "imaging_depth", "cre_line", "reliability"]
id_header = "simulated cell id" if SIM else "cell_specimen_id"
st.dataframe(filtered[shown_cols].rename(columns={"cell_specimen_id": id_header}), hide_index=True, height=220,
             width="stretch")
negative = int((filtered["reliability"] < 0).sum())
st.caption(f"{len(filtered):,} of {len(cells):,}{' simulated' if SIM else ''} cells match; most reliable first"
           + (f"; {negative:,} of them have a negative reliability (their trial halves disagree)." if negative
              else "."))
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
                  if HAS_BLANK else "")
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
N_COND = bundle.n_conditions
st.markdown(
    f"Every one of the {CONDITIONS} goes through the network **once**, and the activations of every layer are "
    f"kept. A first layer has hundreds of thousands of numbers per image — far more than {N_COND} conditions can "
    f"constrain — so each layer is squeezed by a **sparse random projection** to at most "
    f"{brain_score.jl_dim(N_COND):,} numbers, the Johnson–Lindenstrauss dimension at which distances between "
    f"{N_COND} points survive within 10 %. Then, for every "
    "cell and every layer, a **ridge regression** (a linear readout with a penalty that keeps its weights small) "
    "learns to predict the cell's responses; the penalty's strength is chosen per cell from seven values by "
    "generalised cross-validation. A linear readout is the fair referee: it can only use what the layer already "
    "makes explicit, and it is the same for every layer and every network."
)
model_keys = registry.model_keys("imagenet")
init_from_url("mc_model", model_keys, registry.DEFAULT_MODEL)
init_from_url("mc_weights", list(WEIGHT_LABELS), "pretrained")
init_from_url("mc_subset", list(SUBSETS), "250")
init_from_url("mc_shuffles", SHUFFLE_CHOICES, SHUFFLE_CHOICES[0])
c = st.columns([2, 2, 2, 1])
model_key = c[0].selectbox("Network", model_keys, key="mc_model", format_func=lambda k: registry.spec_for(k).title)
weights = c[1].radio("Weights", list(WEIGHT_LABELS), key="mc_weights", format_func=WEIGHT_LABELS.get)
subset = c[2].radio("Cells to score", list(SUBSETS), key="mc_subset", format_func=SUBSET_LABELS.get,
                    horizontal=True)
shuffles = int(c[3].selectbox("Shuffles for chance", SHUFFLE_CHOICES, key="mc_shuffles",
                              help="How many times the images are shuffled against the responses to measure "
                                   "chance. More shuffles give finer p-values (the smallest is 1 / (shuffles + 1)) "
                                   "and cost more time."))
st.caption(
    "Speed trade-off: the network pass and the projection cost the same for any number of cells (once per "
    "network; kept on disk afterwards). The regression grows with the cells, and measuring chance adds about "
    "twice its cost (the shuffles score a sample of the cells) — for the trained network and for its "
    "random twin. The times of this run are shown when it finishes."
)
spec = registry.spec_for(model_key)
pretrained_ok = registry.availability(model_key).ok
if not pretrained_ok:
    st.warning(f"**{spec.title}**'s trained weights are not on this computer: {registry.availability(model_key).reason}."
               " Until then only its random twin is scored.")
    offer_download(model_key)
    weights = "random"
loaded = load_with_progress(model_key, weights)
if loaded is None:
    st.stop()
seen_left, seen_right, _ = st.columns([2, 2, 3])
example = bundle.stimuli[0]
seen_left.image(example, caption=f"A stimulus as shown to the mouse (here {example.shape[1]}×{example.shape[0]} px)",
                width=240)
seen_right.image(preprocess.fit_image(example, spec, cortex_pipeline.STIMULUS_FIT),
                 caption=f"What the network sees: the whole picture resized to {spec.input_size}×{spec.input_size}",
                 width=190)
st.caption("As in DeepMouseTrap, the whole stimulus is squeezed into the network's square input: nothing is cut "
           "off, so a neuron whose receptive field lies near the screen's edge still sees its part of the picture. "
           "(Photos on the other lessons are centre-cropped, the way ImageNet networks are evaluated.)")
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
                                   f"10 folds (+ {shuffles} shuffles for chance)")
        results[w] = cell_scores(bundle.fingerprint, model_key, w, subset, shuffles, grams[w], bundle)
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
verdict = result.model_verdict()
above = cell_table["above_chance"].to_numpy()
m = st.columns(4)
m[0].metric("Model score", f"{best_value:.3f}",
            help=f"{spec.title}{TAG}: mean held-out signed r² over cells at its best layer.")
m[1].metric("Best layer", best_layer)
m[2].metric("Chance (shuffled)", f"{verdict.chance_level:.3f}",
            help=f"The model score of the same pipeline on {result.shuffles} shuffles of the images against the "
                 "responses, each choosing its own best layer: the mean over shuffles "
                 f"(95th percentile {verdict.chance_95:.3f}).")
m[3].metric("Cells above chance", f"{above.mean():.0%}",
            help="Share of cells whose best-layer score beats the shuffled best-layer scores, with the "
                 f"false-discovery rate held at {result.fdr:.0%} (Benjamini–Hochberg).")
say = st.success if verdict.above_chance else st.warning
say(cortex_conclusions.model_verdict_sentence(loaded.title, verdict, best_layer, result.shuffles, SIM))
st.markdown(cortex_conclusions.cells_sentence(int(above.sum()), len(above), result.fdr))
st.altair_chart(layer_curves(table, layers, f"Held-out score by layer and area — {loaded.title}{TAG}",
                             highlight=layer), width="stretch")
peaks = result.best_layer_by_area()
signal_cells = cell_table.groupby("cortical_area")["above_chance"].sum().to_dict()
st.markdown(
    "Solid lines: mean score of each area's cells at each layer; dashed grey: the same layer's mean score on "
    "shuffled images (chance, before any layer is picked). "
    + cortex_conclusions.peaks_sentence(peaks, {a: result.peak_depth_samples(a) for a in peaks}, signal_cells,
                                        verdict.above_chance, SIM)
)
with st.expander("How the score and chance are computed — and two traps they avoid"):
    plain_r2, loo_r = loo_trap(bundle.fingerprint, model_key, weights, subset, best_layer, grams[weights], bundle)
    st.markdown(
        f"* **Held out, never in-sample.** The {N_COND} conditions are split into 10 folds; the readout is fitted "
        "on 9 and predicts the 10th, until every condition has a prediction it was not trained on. The penalty is "
        "chosen by generalised cross-validation *inside* each training fold.\n"
        "* **Signed r².** The score is the squared correlation between predicted and measured responses, with the "
        "sign of the correlation kept (r·|r|). Why the sign? With strong shrinkage the readout predicts little more "
        "than the mean of the *training* responses — and leaving out an image with a high response lowers that "
        "mean, leaving out a low one raises it. Leave-one-out predictions then **anti-correlate** with the truth, "
        "and a plain r² of them can look like signal. "
        + cortex_conclusions.loo_trap_sentence(plain_r2, loo_r) + "\n"
        f"* **Chance, through the same selection.** A cell's best-layer score is the best of {len(layers)} "
        "layers, so even pure noise gets a positive-looking best score. Chance is therefore measured by running "
        f"the whole pipeline — every layer, and the choice of the best one — on {result.shuffles} shuffles of the "
        "images against the responses. Each cell's p-value is its rank among all shuffled best-layer scores "
        "(pooled over cells); the cells called above chance are chosen with Benjamini–Hochberg, so at most "
        f"{result.fdr:.0%} of them are expected to be false discoveries. The model score is compared with the "
        "model scores of the shuffles (p = (1 + shuffles scoring at least as high) / (1 + shuffles)).\n"
        "* **Constant readouts.** Cells whose chosen penalty is the largest one (`constant_prediction` in the "
        "table) effectively predict a constant.\n"
        "* **One scale per layer.** Ridge penalties depend on the size of the features, so each layer's projected "
        "features are rescaled by one number (average variance 1) before the same alpha grid is applied.")

# ----------------------------------------------------------------------------------------- 4 · trained vs random
st.header("4 · What did training buy?")
if len(results) == 2:
    st.altair_chart(trained_vs_random({w: results[w].area_layer_table() for w in ("pretrained", "random")}, layers,
                                      f"{spec.title}: trained vs random weights{TAG}"), width="stretch")
    pre, rnd = results["pretrained"], results["random"]
    difference = cortex_conclusions.paired_difference(pre.score[pre.model_layer_index()],
                                                      rnd.score[rnd.model_layer_index()])
    st.markdown(cortex_conclusions.training_sentence(pre.model_score()[1], rnd.model_score()[1],
                                                     pre.model_verdict(), rnd.model_verdict(), difference))
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
st.markdown(cortex_conclusions.ceiling_sentence(cell_table["reliability"].to_numpy(),
                                                cell_table["above_chance"].to_numpy()))
by_area = result.area_summary().set_index("area")
by_area.index.name = f"area{TAG}"
by_area = by_area.rename(columns={
    "above_chance": "above chance", "score_at_model_layer": f"score at {best_layer}",
    "score_at_own_best_layer": "score at own best layer", "normalised": "normalised (median)",
    "constant": "constant readout"})
st.dataframe(by_area.style.format({f"score at {best_layer}": "{:.3f}", "score at own best layer": "{:.3f}",
                                   "ceiling": "{:.2f}",
                                   "normalised (median)": "{:.2f}", "constant readout": "{:.0%}"}), width="stretch")
st.caption(
    f"Score at {best_layer}: every cell read out from the model's best layer — averaged over all "
    f"{len(cell_table):,} cells it is the headline model score ({best_value:.3f}). Score at own best layer: each cell "
    "at the layer that suits it best, which is always higher — partly because picking the best of "
    f"{len(layers)} layers flatters noise too: shuffled images score {result.null_best_scores().mean():.3f} on "
    "average after the same pick. Normalised: median of score ÷ ceiling over cells with a "
    "ceiling of at least 0.1. Constant readout: share of cells whose best readout is nearly constant (largest "
    "penalty won).")

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
                                   f"{result.score[li, col]:.3f} (chance at this layer "
                                   f"{result.layer_chance()[li]:.3f})"),
                width="stretch")
cell_words = "above chance" if row_info["above_chance"] else "not above chance"
st.caption(f"Its best layer is {row_info['best_layer']} (signed r² {row_info['score']:.3f}, "
           f"{chance.format_p(row_info['p_value'])}: {cell_words} after the false-discovery control; noise "
           f"ceiling {row_info['reliability']:.2f}). Every predicted point comes from a readout that never saw that "
           "image.")

# --------------------------------------------------------------------------------------------------- 7 · RSA
st.header("7 · Representational similarity")
st.markdown(
    "A second, readout-free comparison. For an area, take the pattern of responses its cells give to each image "
    "and ask how *different* every pair of images looks to them: 1 − the correlation of the two patterns. That "
    f"{len(images_only)} × {len(images_only)} **representational dissimilarity matrix** (RDM) is a fingerprint of "
    "the area; a layer has one "
    "too. Two RDMs are compared by the rank correlation of their entries — no fitting at all."
)
rsa = similarity(bundle.fingerprint, model_key, weights, subset, grams[weights], bundle)
if not rsa.areas:
    st.info("RSA needs at least two cells of an area among the scored cells; choose more cells above.")
else:
    init_from_url("mc_area", rsa.areas, rsa.areas[0])
    area = st.selectbox("Area", rsa.areas, key="mc_area")
    st.altair_chart(heatmap(rsa.similarity, rsa.areas, rsa.layers, f"RDM similarity, areas × layers{TAG}",
                            "Spearman r", scheme="blues", size=max(36 * len(rsa.areas), 110)), width="stretch")
    ceil_text = ", ".join(f"{a} {v:.2f}" for a, v in rsa.area_ceiling.items())
    st.caption("Cells with reliability ≥ 0.5. Ceiling of each area's RDM: the Spearman r between its even-trial "
               "and odd-trial RDMs, Spearman–Brown corrected to all trials (a layer cannot match an area better "
               "than the area matches itself): " + (ceil_text or "no trial halves in this bundle") + ".")
    r1, r2 = st.columns(2)
    r1.altair_chart(heatmap(rsa.area_rdms[area], labels[: len(images_only)], labels[: len(images_only)],
                            f"{area} RDM{TAG}", "1 − r", scheme="viridis", size=300, labels=False), width="content")
    r2.altair_chart(heatmap(rsa.layer_rdms[layer], labels[: len(images_only)], labels[: len(images_only)],
                            f"{layer} RDM", "1 − r", scheme="viridis", size=300, labels=False), width="content")
    match = rsa.similarity[rsa.areas.index(area), rsa.layers.index(layer)]
    shuffled = rdm_null(bundle.fingerprint, model_key, weights, subset, area, layer, rsa.area_rdms[area],
                        rsa.layer_rdms[layer])
    st.markdown(cortex_conclusions.rsa_sentence(area, layer, match, shuffled, rsa.area_ceiling.get(area)))
    st.caption("The images are in the bundle's order.")

# ------------------------------------------------------------------------------------------------ 8 · download
st.header("8 · Take the numbers with you")
export = cell_table.copy()
if len(results) == 2:
    export[f"score_{twin}"] = results[twin].cell_table()["score"].to_numpy()
export.insert(0, "data", "simulated" if SIM else bundle.source)
file_name = f"{'simulated_' if SIM else ''}mouse_cortex_scores_{model_key}_{weights}.csv"
st.download_button(f"Download per-cell scores ({len(export):,} cells, CSV)", export.to_csv(index=False),
                   file_name=file_name, mime="text/csv", key="mc_download")
st.caption(f"`{file_name}`: area, layer, depth, Cre line, reliability, best layer, held-out score, score at the "
           "model's layer, p-value against the shuffled best-layer scores, the above-chance call (false-discovery "
           "rate 5 %), normalised score, chosen alpha and the constant-prediction flag for each cell.")
mirror_to_url("mc_model", "mc_weights", "mc_subset", "mc_shuffles", "mc_layer", "mc_area")
