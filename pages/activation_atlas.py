"""Lesson page: the activation atlas — a map of everything a layer has learned to see."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import streamlit as st

from lessons.core.tiles import montage
from lessons.atlas import compute as atlas
from lessons.atlas import layout as atlas_layout
from lessons.atlas import pipeline as atlas_pipeline
from lessons.atlas import data as atlas_sources
from lessons.core import registry, runtime
from ui.atlas_charts import evidence_table, framed_mosaic, layout_scatter
from ui.models import load_with_progress
from ui.navigation import lesson_by_path
from ui.result_store import shared_store
from ui.routing import route_through_app
from ui.state import forget_when_changed, init_from_url, init_number_from_url, mirror_to_url

route_through_app()
LESSON = lesson_by_path("pages/activation_atlas.py")
NETWORKS = {"efficientnet_lite0": "EfficientNet-Lite0 on random crops of the shipped photos",
            "digit_cnn": "Small digit CNN on the shipped MNIST digits"}
METHODS = {"umap": "UMAP (cosine)", "tsne": "t-SNE (cosine, PCA start)"}
MIN_DISTS = [0.0, 0.01, 0.05, 0.1, 0.25, 0.5]
UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp", "zip"]
STORE = shared_store("activation_atlas", 12)


@st.cache_data(max_entries=8, show_spinner="Reading your images…")
def decoded_uploads(digest: str, _files: list[tuple[str, bytes]]) -> atlas_sources.Decoded:
    """Uploaded images and zips decoded into pictures, with a message per unusable file (cached per content)."""
    return atlas_sources.decode_uploads(_files)


@st.cache_data(max_entries=16, show_spinner="Laying the points out again…")
def alternative_layout(settings: atlas_pipeline.AtlasSettings, n_neighbors: int, min_dist: float,
                       _acts: np.ndarray) -> tuple[np.ndarray, float]:
    """The same activations laid out with other UMAP settings, and how well it keeps neighbours (cached)."""
    whitened = atlas_pipeline.RECIPES[settings.recipe].whitened
    xy = atlas_layout.layout(_acts, "umap", n_neighbors, min_dist, seed=settings.seed, whitened=whitened)
    return atlas_layout.normalise(xy), atlas_layout.trustworthiness(_acts, xy, whitened=whitened)


def class_label(names: tuple[str, ...], digits: bool) -> Callable[[int], str]:
    """How a class index is shown: 'digit 3' for the digit network, the ImageNet name otherwise."""
    return (lambda c: f"digit {names[c]}") if digits else (lambda c: names[c])


st.title(LESSON.title)
st.markdown(
    "Activation maximisation shows what **one** unit wants to see. But a layer works with *combinations* of its "
    "channels, and there are far too many to look at one by one. Carter et al. (2019) asked instead: **what do "
    "the activations of real images look like, all at once?** Their recipe, the *activation atlas*:\n\n"
    "1. Run many images through the network and keep **one activation vector per image**, at a random position "
    "of the layer's feature map.\n"
    "2. Lay the raw vectors out in 2-D so that similar vectors land close together (UMAP on cosine distance; "
    "Lucid's atlas used n_neighbors ≈ 50, min_dist ≈ 0.05).\n"
    "3. Put a grid over the layout, **average the vectors in each cell**, drop the cells with too few points.\n"
    "4. For every cell, grow an image that produces that average by **feature inversion** — the same engine as "
    "the activation-maximisation lesson, with a direction objective — and place it in its cell.\n"
    "5. Label the cells with classes: **activation × gradient** of each class logit, averaged over the cell's "
    "points.\n\n"
    "This app also offers its own variant (**not** part of the published recipe): whiten the activations before "
    "UMAP, so that a few loud channels cannot decide the layout alone, and score a cell by the logits of a feature "
    "map filled with its average. Pick either under *Recipe* below."
)

# ------------------------------------------------------------------------------------------------------ choices
init_from_url("atlas_network", list(NETWORKS), "efficientnet_lite0")
with st.container(border=True):
    row = st.columns([3, 2, 2])
    model_key = row[0].selectbox("Network and images", list(NETWORKS), key="atlas_network", format_func=NETWORKS.get)
    loaded = load_with_progress(model_key, "pretrained")
    if loaded is None:
        st.stop()
    digits = loaded.spec.family == "digits"
    layers = loaded.spatial_layers
    forget_when_changed("atlas_layers_of", model_key, "atlas_layer")
    init_from_url("atlas_layer", layers, atlas.DEFAULT_LAYER.get(model_key, layers[-1]))
    layer = row[1].selectbox("Layer", layers, key="atlas_layer",
                             format_func=lambda n: f"{n} — {loaded.output_shapes[n][0]} channels")
    init_number_from_url("atlas_images", 2000, 300, 4000, integer=True)
    n_images = row[2].slider("Images", 300, 4000, step=100, key="atlas_images",
                             help="Random crops (position, scale, mirror) of the 14 shipped photos and your uploads"
                                  if not digits else "Drawn at random from the 5,000 shipped digits.")
    init_from_url("atlas_recipe", list(atlas_pipeline.RECIPES), atlas_pipeline.DEFAULT_RECIPE)
    recipe_key = st.radio("Recipe", list(atlas_pipeline.RECIPES), key="atlas_recipe",
                          format_func=lambda k: atlas_pipeline.RECIPES[k].title,
                          help="Switching the recipe resets n_neighbors and min_dist to its presets.")
    recipe = atlas_pipeline.RECIPES[recipe_key]
    forget_when_changed("atlas_recipe_of", recipe_key, "atlas_neighbors", "atlas_min_dist")
    row = st.columns([2, 2, 2, 2])
    init_number_from_url("atlas_grid", 10, 8, 20, integer=True)
    grid = row[0].slider("Grid (cells per side)", 8, 20, key="atlas_grid")
    init_number_from_url("atlas_min_count", 5, 1, 30, integer=True)
    min_count = row[0].slider("Drop cells with fewer points than", 1, 30, key="atlas_min_count")
    init_from_url("atlas_method", list(METHODS), "umap")
    method = row[1].radio("Layout", list(METHODS), key="atlas_method", format_func=METHODS.get)
    init_number_from_url("atlas_neighbors", recipe.n_neighbors, 2, 100, integer=True)
    n_neighbors = row[2].slider("UMAP n_neighbors", 2, 100, key="atlas_neighbors", disabled=method != "umap",
                                help="How many neighbours shape each point's place: small = local detail, "
                                     "large = global structure.")
    if st.session_state.get("atlas_min_dist") not in MIN_DISTS:
        raw = st.query_params.get("atlas_min_dist")
        st.session_state["atlas_min_dist"] = float(raw) if raw in [str(v) for v in MIN_DISTS] else recipe.min_dist
    min_dist = row[2].select_slider("UMAP min_dist", MIN_DISTS, key="atlas_min_dist", disabled=method != "umap",
                                    help="How tightly points may pack: 0 = dense clumps, 0.5 = evenly spread.")
    init_number_from_url("atlas_steps", 64, 8, 256, integer=True)
    steps = row[3].slider("Inversion steps per icon", 8, 256, step=8, key="atlas_steps",
                          help="More steps give sharper icons and cost proportionally more time.")
    seed = int(row[3].number_input("Seed", 0, 999, 0, key="atlas_seed"))
    extra: list[tuple[str, np.ndarray]] = []
    digest = ""
    if not digits:
        uploads = st.file_uploader("Add your own images, or a .zip of images (optional)", type=UPLOAD_TYPES,
                                   accept_multiple_files=True, key="atlas_uploads")
        if uploads:
            files = [(u.name, u.getvalue()) for u in uploads]
            digest = hashlib.sha256(b"".join(hashlib.sha256(raw).digest() for _, raw in files)).hexdigest()[:16]
            decoded = decoded_uploads(digest, files)
            for problem in decoded.problems:
                st.warning(problem)
            extra = decoded.pictures
            if extra:
                st.caption(f"{len(extra)} of your images join the 14 photos; crops are drawn from all of them.")
            else:
                digest = ""
mirror_to_url("atlas_network", "atlas_layer", "atlas_images", "atlas_grid", "atlas_method", "atlas_neighbors",
              "atlas_min_dist", "atlas_steps", "atlas_recipe")
settings = atlas_pipeline.AtlasSettings(model_key=model_key, layer=layer, n_images=n_images, grid=grid,
                                        min_count=min_count, method=method, n_neighbors=n_neighbors,
                                        min_dist=float(min_dist), steps=steps, seed=seed, uploads_digest=digest,
                                        recipe=recipe_key)
names = registry.class_names(loaded.spec)
label_of = class_label(names, digits)

result: atlas_pipeline.Atlas | None = STORE.get(settings)
if result is None:
    st.markdown(f"Up to **{grid * grid} icons** (one per cell with enough points) to grow with {steps} steps "
                f"each, on this computer's {runtime.resolve_device(None).type.upper()}; the progress bar shows "
                "every stage. An atlas built once is kept, so coming back to the same settings is instant — for "
                "everyone using this app.")
    if st.button("Build the atlas", type="primary", key="atlas_build"):
        with st.status("Building the atlas…", expanded=True) as box:
            bar = st.progress(0.0, text="Starting…")
            result = atlas_pipeline.build(loaded, settings, extra,
                                          progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m))
            STORE.put(settings, result)
            box.update(label=f"Atlas built in {result.total_seconds:.0f} s", state="complete", expanded=False)

if result is not None:
    cells = result.cells
    if len(cells.kept) == 0:
        st.error(f"No cell has {min_count} or more points: lower the threshold, use fewer cells or more images.")
        st.stop()
    # ------------------------------------------------------------------------------------------------ the atlas
    st.header("1 · The atlas")
    init_number_from_url("atlas_cell", 0, 0, 10_000, integer=True)
    if st.session_state["atlas_cell"] >= len(cells.kept):
        st.session_state["atlas_cell"] = 0
    chosen = int(st.session_state["atlas_cell"])
    picture = atlas.mosaic(result.icons.images, cells.kept, grid)
    left, right = st.columns([3, 2])
    left.image(framed_mosaic(picture, grid, tuple(cells.kept[chosen])), width="stretch",
               caption=f"{len(cells.kept)} of {grid * grid} cells hold at least {min_count} of the "
                       f"{len(result.xy):,} points; each icon is grown to produce its cell's average activation.")
    sources = [result.sources.names[o] for o in result.sources.origin]
    right.altair_chart(layout_scatter(result.xy, sources, grid, title=f"{len(result.xy):,} activations of {layer}"),
                       width="stretch")
    timing = ", ".join(f"{stage} {result.seconds[stage]:.1f} s" for stage in atlas_pipeline.STAGES)
    right.caption(f"Each dot is one image's activation at a random position, coloured by the "
                  f"{'digit' if digits else 'photo'} it came from; the grid lines are the atlas's cells. "
                  f"Time: {timing}.")

    # ------------------------------------------------------------------------------------------- inspect a cell
    st.header("2 · Inspect a cell")
    labels = atlas_pipeline.cell_labels(result, [label_of(i) for i in range(len(names))])
    chosen = int(st.selectbox("Cell", list(range(len(cells.kept))), key="atlas_cell", format_func=lambda k: labels[k],
                              help="The outlined cell in the atlas above."))
    row, col = cells.kept[chosen]
    members = cells.members(chosen)
    cols = st.columns([1, 1, 2])
    icon = result.icons.images[chosen]
    cols[0].image(montage((icon * 255).astype(np.uint8)[None], side=192), caption="The cell's icon (feature inversion)",
                  width="stretch")
    cols[0].metric("Points in this cell", int(cells.counts[row, col]))
    strongest = np.argsort(-result.attribution[chosen])[:5]
    top = [(label_of(int(c)), float(result.attribution[chosen, c])) for c in strongest]
    evidence_meaning = ("activation × gradient of each logit, averaged over the cell's points"
                        if atlas_pipeline.RECIPES[result.settings.recipe].attribution == "gradient" else
                        "how much this cell's average raises each logit over the average of all points")
    cols[1].markdown(f"**Strongest classes** ({evidence_meaning}):")
    cols[1].dataframe(evidence_table(top).style.format({"logit evidence": "{:+.2f}"}), hide_index=True,
                      width="stretch")
    share = atlas_pipeline.source_share(result, chosen)
    cols[1].caption("From: " + "; ".join(f"{name} ×{count}" for name, count in share[:3]))
    crops = result.sources.images[members[:12]]
    cols[2].image(montage(crops, 6, side=72 if not digits else 48), width="stretch",
                  caption=f"Real {'crops' if not digits else 'digits'} whose activation fell in this cell "
                          f"({min(12, len(members))} of {len(members)})")
    cols[2].markdown("Compare the icon with the real images: the icon shows what the cell's *average* activation "
                     "looks like to the network. Do the real images share a texture or a part that you can see in "
                     "the icon?")

    # ------------------------------------------------------------------------------------------ classes on the map
    st.header("3 · Where does a class live?")
    totals = atlas_pipeline.class_totals(result)
    ranked = [int(c) for c in np.argsort(-totals)]
    init_from_url("atlas_class", [str(c) for c in ranked], str(ranked[0]))
    focus = int(st.selectbox("Highlight a class", [str(c) for c in ranked], key="atlas_class",
                             format_func=lambda c: label_of(int(c)),
                             help="Sorted by how much evidence the atlas holds for each class; type to search."))
    shaded = atlas.mosaic(result.icons.images, cells.kept, grid, highlight=atlas.class_share(result.attribution, focus))
    left, right = st.columns([3, 2])
    left.image(framed_mosaic(shaded, grid), width="stretch",
               caption=f"Cells faded by how strongly they speak for {label_of(focus)}.")
    regions = atlas.class_regions(result.attribution[:, focus], cells.kept, grid)
    right.markdown(f"Bright cells push the network towards **{label_of(focus)}**. "
                   + atlas.class_region_summary(label_of(focus), regions))

    st.subheader("Two classes side by side")
    st.markdown("Carter et al. used this view to find a failure: the cells for *great white shark* sat next to "
                "*baseball*, because both share a white-with-red-stitches texture — and pasting a baseball onto a "
                "photo of a grey whale turned it into a shark. Pick two classes and look for cells that serve both.")
    pair = st.columns(2)
    init_from_url("atlas_first", [str(c) for c in ranked], str(ranked[0]))
    init_from_url("atlas_second", [str(c) for c in ranked], str(ranked[1]))
    first = int(pair[0].selectbox("First class", [str(c) for c in ranked], key="atlas_first",
                                  format_func=lambda c: label_of(int(c))))
    second = int(pair[1].selectbox("Second class", [str(c) for c in ranked], key="atlas_second",
                                   format_func=lambda c: label_of(int(c))))
    for column, c in zip(pair, (first, second)):
        column.image(framed_mosaic(atlas.mosaic(result.icons.images, cells.kept, grid,
                                                highlight=atlas.class_share(result.attribution, c)), grid),
                     width="stretch", caption=label_of(c))
    favour_first, favour_second = atlas_pipeline.compare_classes(result, first, second)
    shared = atlas.shared_cells(result.attribution[:, first], result.attribution[:, second])
    st.markdown(atlas.shared_cells_summary(label_of(first), label_of(second), shared, cells.kept))
    both = shared[:4] if len(shared) else np.argsort(-np.minimum(atlas.class_share(result.attribution, first),
                                                                 atlas.class_share(result.attribution, second)))[:4]
    strips = st.columns(3)
    for column, picked, title in zip(strips, (favour_first, both, favour_second),
                                     (f"most {label_of(first)} rather than {label_of(second)}",
                                      "raise both logits" if len(shared) else "closest to serving both",
                                      f"most {label_of(second)} rather than {label_of(first)}")):
        column.image(montage((result.icons.images[picked] * 255).astype(np.uint8), side=96), caption=title,
                     width="stretch")

    # ------------------------------------------------------------------------------------------- weaknesses
    st.header("4 · What the atlas hides")
    st.markdown(
        "- **Composition is lost.** One random position per image, averaged within a cell: the atlas knows that "
        "*eyes* and *fur* exist, not that a face has two eyes above a nose.\n"
        f"- **It is expensive.** {atlas_pipeline.cost_summary(result.seconds)} Every icon is an optimisation of "
        "its own; the app grows all icons of a chunk in one batch (`python -m bench atlas` times that against one "
        "cell at a time).\n"
        "- **The picture depends on the layout's knobs.** UMAP's `n_neighbors` and `min_dist` (and the seed) "
        "can move cells around, merge or split regions. Change them above and rebuild, or compare layouts of the same "
        "activations here:"
    )
    if st.toggle("Lay the same activations out with three n_neighbors values", key="atlas_sensitivity",
                 help="Three UMAP runs on the same points; about as long as the layout step above, three times."):
        cols = st.columns(3)
        kept_by: dict[int, float] = {}
        for column, k in zip(cols, (5, 20, 50)):
            xy, kept_by[k] = alternative_layout(settings, k, float(min_dist), result.activations)
            column.altair_chart(layout_scatter(xy, sources, grid, title=f"n_neighbors = {k}", height=260),
                                width="stretch")
            column.caption(f"Neighbourhoods kept (trustworthiness): {kept_by[k]:.3f}")
        st.markdown(atlas_pipeline.neighbours_summary(kept_by))
    st.markdown("The atlas is a good map for **exploring** a layer and a poor one for **proving** anything: check "
                "what you find with attribution on real images, or with a controlled experiment like the "
                "baseball patch.")
else:
    st.info("Choose the settings, then press **Build the atlas**. Small grids and few steps build fastest.")
    st.header("What the atlas hides")
    st.markdown("An atlas averages single positions of many images, so it loses how parts compose; it costs one "
                "optimisation per cell; and its layout depends on UMAP's hyper-parameters. Build one and the page "
                "lets you test each of these.")
