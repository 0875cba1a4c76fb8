"""Lesson page: the activation atlas — a map of everything a layer has learned to see."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from lessons.atlas import compute as atlas
from lessons.atlas import exercises as atlas_exercises
from lessons.atlas import pipeline as atlas_pipeline
from lessons.core import registry, runtime
from lessons.core.tiles import montage
from lessons.warm import ATLAS_RECORDS
from ui import atlas_views
from ui.atlas_charts import atlas_picture, evidence_table, icon_strip, layout_scatter
from ui.downloads import download_row
from ui.exercises import exercises_at, notice
from ui.jobs import queued_result
from ui.models import load_with_progress, model_picker
from ui.navigation import lesson_by_path
from ui.presenter import section
from ui.result_store import shared_store
from ui.routing import route_through_app
from ui.settings.activation_atlas import MIN_DISTS, NETWORKS, STATE
from ui.state import stop_page

route_through_app()
STATE.start()
LESSON = lesson_by_path("pages/activation_atlas.py")
LABELS = {"efficientnet_lite0": "EfficientNet-Lite0 on random crops of the shipped photos",
          "digit_cnn": "Small digit CNN on the shipped MNIST digits"}
METHODS = {"umap": "UMAP (cosine)", "tsne": "t-SNE (cosine, PCA start)"}
STORE = shared_store(ATLAS_RECORDS, 12, persist=True)  # where `python -m lessons.warm` leaves the default atlas
Pictures = list[tuple[str, np.ndarray]]


@section
def introduction() -> None:
    """The title and Carter et al.'s recipe."""
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
        "UMAP, so that a few loud channels cannot decide the layout alone, and score a cell by the logits of a "
        "feature map filled with its average. Pick either under *Recipe* below."
    )


@section
def choices() -> tuple[registry.LoadedModel, atlas_pipeline.AtlasSettings, Pictures]:
    """The network, layer, images, recipe and layout knobs: the loaded network, the atlas's settings, uploads."""
    with st.container(border=True):
        model_key, weights_kind, _ = model_picker("atlas_network", NETWORKS, labels=LABELS, label="Network and images",
                                                  without_weights="The atlas is built from its random twin instead.")
        loaded = load_with_progress(model_key, weights_kind)
        if loaded is None:
            stop_page()
        digits = loaded.spec.family == "digits"
        row = st.columns(2)
        layers = loaded.spatial_layers
        STATE.bind("atlas_layer", options=layers, default=atlas.DEFAULT_LAYER.get(model_key, layers[-1]))
        layer = row[0].selectbox("Layer", layers, key="atlas_layer",
                                 format_func=lambda n: f"{n} — {loaded.output_shapes[n][0]} channels")
        n_images = row[1].slider("Images", 300, 4000, step=100, key="atlas_images",
                                 help="Random crops (position, scale, mirror) of the 14 shipped photos and your "
                                      "uploads" if not digits else "Drawn at random from the 5,000 shipped digits.")
        recipe_key = st.radio("Recipe", list(atlas_pipeline.RECIPES), key="atlas_recipe",
                              format_func=lambda k: atlas_pipeline.RECIPES[k].title,
                              help="Switching the recipe resets n_neighbors and min_dist to its presets.")
        recipe = atlas_pipeline.RECIPES[recipe_key]
        row = st.columns([2, 2, 2, 2])
        grid = row[0].slider("Grid (cells per side)", 8, 20, key="atlas_grid")
        min_count = row[0].slider("Drop cells with fewer points than", 1, 30, key="atlas_min_count")
        method = row[1].radio("Layout", list(METHODS), key="atlas_method", format_func=METHODS.get)
        STATE.bind("atlas_neighbors", default=recipe.n_neighbors)
        n_neighbors = row[2].slider("UMAP n_neighbors", 2, 100, key="atlas_neighbors", disabled=method != "umap",
                                    help="How many neighbours shape each point's place: small = local detail, "
                                         "large = global structure.")
        STATE.bind("atlas_min_dist", options=MIN_DISTS, default=str(recipe.min_dist))
        min_dist = row[2].select_slider("UMAP min_dist", MIN_DISTS, key="atlas_min_dist", disabled=method != "umap",
                                        help="How tightly points may pack: 0 = dense clumps, 0.5 = evenly spread.")
        steps = row[3].slider("Inversion steps per icon", 8, 256, step=8, key="atlas_steps",
                              help="More steps give sharper icons and cost proportionally more time.")
        seed = int(row[3].number_input("Seed", 0, 999, key="atlas_seed"))
        extra, digest = ([], "") if digits else atlas_views.uploads()
    settings = atlas_pipeline.AtlasSettings(model_key=model_key, layer=layer, n_images=n_images, grid=grid,
                                            min_count=min_count, method=method, n_neighbors=n_neighbors,
                                            min_dist=float(min_dist), steps=steps, seed=seed, uploads_digest=digest,
                                            recipe=recipe_key, weights=weights_kind)
    return loaded, settings, extra


@section
def built_atlas(loaded: registry.LoadedModel, settings: atlas_pipeline.AtlasSettings,
                extra: Pictures) -> atlas_pipeline.Atlas | None:
    """The atlas for these settings from the shared store, or built when the student presses the button."""
    result = STORE.get(settings)
    if result is not None:
        return result
    st.markdown(f"Up to **{settings.grid * settings.grid} icons** (one per cell with enough points) to grow with "
                f"{settings.steps} steps each, on this computer's {runtime.resolve_device(None).type.upper()}; the "
                "progress bar shows every stage. An atlas built once is kept, so coming back to the same settings is "
                "instant — for everyone using this app.")
    return queued_result(STORE, settings, "Building the atlas",
                         lambda report: atlas_pipeline.build(loaded, settings, extra, progress=report),
                         button="Build the atlas", button_key="atlas_build")


@section
def section_atlas(result: atlas_pipeline.Atlas, digits: bool) -> None:
    """The atlas picture next to the layout's points."""
    st.header("1 · The atlas")
    st.caption(f"Atlas built in {result.total_seconds:.0f} s when it was first asked for; it is kept, so anyone "
               "choosing the same settings sees it at once.")
    cells, grid = result.cells, result.settings.grid
    chosen = int(STATE.bind("atlas_cell", high=len(cells.kept) - 1))
    left, right = st.columns([3, 2])
    left.image(atlas_picture(result, selected=tuple(cells.kept[chosen])), width="stretch",
               caption=f"{len(cells.kept)} of {grid * grid} cells hold at least {result.settings.min_count} of the "
                       f"{len(result.xy):,} points; each icon is grown to produce its cell's average activation.")
    with left:
        download_row(atlas_views.download_stem(result.settings, "atlas"), picture=atlas_picture(result),
                     array=atlas.icon_grid(result.icons.images, cells.kept, grid), key="atlas_picture_dl",
                     what="the atlas (NPY: grid × grid icons, NaN where a cell was dropped)")
    scatter = layout_scatter(result.xy, atlas_pipeline.point_sources(result), grid,
                             title=f"{len(result.xy):,} activations of {result.settings.layer}")
    right.altair_chart(scatter, width="stretch")
    with right:
        download_row(atlas_views.download_stem(result.settings, "layout"), chart=scatter, key="atlas_layout_dl",
                     table=atlas_pipeline.layout_table(result), what="the layout's points")
    right.caption(f"Each dot is one image's activation at a random position, coloured by the "
                  f"{'digit' if digits else 'photo'} it came from; the grid lines are the atlas's cells. "
                  f"Time: {atlas_pipeline.timing_summary(result.seconds)}.")
    notice(atlas.spread_notice(cells.counts, len(cells.kept), result.settings.min_count))
    exercises_at(LESSON.url_path, "atlas", {"grid": grid, "kept": len(cells.kept)})


@section
def section_inspect(result: atlas_pipeline.Atlas, names: list[str], digits: bool) -> None:
    """One cell: its icon, point count, strongest classes, where its points came from, and real images in it."""
    st.header("2 · Inspect a cell")
    cells = result.cells
    labels = atlas_pipeline.cell_labels(result, names)
    chosen = int(st.selectbox("Cell", list(range(len(cells.kept))), key="atlas_cell", format_func=lambda k: labels[k],
                              help="The outlined cell in the atlas above."))
    row, col = cells.kept[chosen]
    members = cells.members(chosen)
    cols = st.columns([1, 1, 2])
    cols[0].image(icon_strip(result.icons.images[chosen:chosen + 1], side=192),
                  caption="The cell's icon (feature inversion)", width="stretch")
    cols[0].metric("Points in this cell", int(cells.counts[row, col]))
    evidence_meaning = ("activation × gradient of each logit, averaged over the cell's points"
                        if atlas_pipeline.RECIPES[result.settings.recipe].attribution == "gradient" else
                        "how much this cell's average raises each logit over the average of all points")
    cols[1].markdown(f"**Strongest classes** ({evidence_meaning}):")
    top = atlas_pipeline.strongest_classes(result, chosen, names, k=5)
    cols[1].dataframe(evidence_table(top).style.format({"logit evidence": "{:+.2f}"}), hide_index=True,
                      width="stretch")
    share = atlas_pipeline.source_share(result, chosen)
    cols[1].caption("From: " + "; ".join(f"{name} ×{count}" for name, count in share[:3]))
    cols[2].image(montage(result.sources.images[members[:12]], 6, side=72 if not digits else 48), width="stretch",
                  caption=f"Real {'crops' if not digits else 'digits'} whose activation fell in this cell "
                          f"({min(12, len(members))} of {len(members)})")
    cols[2].markdown("Compare the icon with the real images: the icon shows what the cell's *average* activation "
                     "looks like to the network. Do the real images share a texture or a part that you can see in "
                     "the icon?")
    readings, confidences = atlas_views.icon_readings(result.settings, result.icons.images)
    facts = atlas_pipeline.inspect_facts(result, chosen, readings, confidences, names)
    cols[0].caption(f"Shown on its own, the network reads this icon as **{facts['cell_name']}** "
                    f"({facts['cell_probability']:.0%}).")
    notice(atlas.icon_notice(names, facts["cell_class"], facts["cell_probability"],
                             int(result.attribution[chosen].argmax()), atlas_pipeline.agreeing_icons(result, readings),
                             len(cells.kept)))
    if atlas_views.shows_exercise(LESSON.url_path, "inspect", atlas_exercises.FIND_CELL.id):
        st.markdown(f"**Your target class** for the task below: **{facts['target_name']}**.")
    exercises_at(LESSON.url_path, "inspect", facts)


def class_picker(column: DeltaGenerator, label: str, key: str, ranked: list[str],
                 default: str, names: list[str], help_text: str | None = None) -> int:
    """A selectbox over the classes, most evidence first; returns the chosen class index."""
    STATE.bind(key, options=ranked, default=default)
    return int(column.selectbox(label, ranked, key=key, format_func=lambda c: names[int(c)], help=help_text))


@section
def section_classes(result: atlas_pipeline.Atlas, names: list[str]) -> None:
    """Where one class lives on the atlas, then two classes side by side."""
    st.header("3 · Where does a class live?")
    cells, grid = result.cells, result.settings.grid
    ranked = [str(c) for c in atlas_pipeline.ranked_classes(result)]
    focus = class_picker(st.container(), "Highlight a class", "atlas_class", ranked, ranked[0], names,
                         "Sorted by how much evidence the atlas holds for each class; type to search.")
    regions = atlas.class_regions(result.attribution[:, focus], cells.kept, grid)
    revealed = exercises_at(LESSON.url_path, "classes", {"class_name": names[focus], "regions": regions})
    if revealed:
        left, right = st.columns([3, 2])
        left.image(atlas_picture(result, highlight_class=focus), width="stretch",
                   caption=f"Cells faded by how strongly they speak for {names[focus]}.")
        right.markdown(f"Bright cells push the network towards **{names[focus]}**. "
                       + atlas.class_region_summary(names[focus], regions))

    st.subheader("Two classes side by side")
    st.markdown("Carter et al. used this view to find a failure: the cells for *great white shark* sat next to "
                "*baseball*, because both share a white-with-red-stitches texture — and pasting a baseball onto a "
                "photo of a grey whale turned it into a shark. Pick two classes and look for cells that serve both.")
    pair = st.columns(2)
    first = class_picker(pair[0], "First class", "atlas_first", ranked, ranked[0], names)
    second = class_picker(pair[1], "Second class", "atlas_second", ranked, ranked[1], names)
    if not revealed:
        st.caption("The maps of this section appear once you commit your prediction above (or skip it).")
        return
    for column, c in zip(pair, (first, second)):
        column.image(atlas_picture(result, highlight_class=c), width="stretch", caption=names[c])
    favour_first, favour_second = atlas_pipeline.compare_classes(result, first, second)
    shared = atlas.shared_cells(result.attribution[:, first], result.attribution[:, second])
    st.markdown(atlas.shared_cells_summary(names[first], names[second], shared, cells.kept))
    both, truly_shared = atlas_pipeline.cells_serving_both(result, first, second)
    strips = st.columns(3)
    for column, picked, title in zip(strips, (favour_first, both, favour_second),
                                     (f"most {names[first]} rather than {names[second]}",
                                      "raise both logits" if truly_shared else "closest to serving both",
                                      f"most {names[second]} rather than {names[first]}")):
        column.image(icon_strip(result.icons.images[picked], side=96), caption=title, width="stretch")


@section
def section_weaknesses(result: atlas_pipeline.Atlas) -> None:
    """What the atlas hides, with the same activations laid out by three n_neighbors values on request."""
    st.header("4 · What the atlas hides")
    st.markdown(
        "- **Composition is lost.** One random position per image, averaged within a cell: the atlas knows that "
        "*eyes* and *fur* exist, not that a face has two eyes above a nose.\n"
        f"- **It is expensive.** {atlas_pipeline.cost_summary(result.seconds)} Every icon is an optimisation of "
        "its own; the app grows the icons of a chunk of cells together in one batch rather than one cell at a "
        "time. How much time would one cell at a time cost on your computer?\n"
        "- **The picture depends on the layout's knobs.** UMAP's `n_neighbors` and `min_dist` (and the seed) "
        "can move cells around, merge or split regions. Change them above and rebuild, or compare layouts of the "
        "same activations here:"
    )
    if st.toggle("Lay the same activations out with three n_neighbors values", key="atlas_sensitivity",
                 help="Three UMAP runs on the same points; about as long as the layout step above, three times."):
        layouts = atlas_views.compared_layouts(result)
        if layouts is not None:
            atlas_views.show_layout_comparison(result, layouts)
            st.markdown(atlas_pipeline.neighbours_summary({k: kept for k, (_, kept) in layouts.items()}))
    st.markdown("The atlas is a good map for **exploring** a layer and a poor one for **proving** anything: check "
                "what you find with attribution on real images, or with a controlled experiment like the "
                "baseball patch.")
    exercises_at(LESSON.url_path, "weaknesses")


@section
def before_building() -> None:
    """What the page says until an atlas exists."""
    st.info("Choose the settings, then press **Build the atlas**. Small grids and few steps build fastest.")
    st.header("What the atlas hides")
    st.markdown("An atlas averages single positions of many images, so it loses how parts compose; it costs one "
                "optimisation per cell; and its layout depends on UMAP's hyper-parameters. Build one and the page "
                "lets you test each of these.")
    exercises_at(LESSON.url_path, "weaknesses")


def explore(loaded: registry.LoadedModel, settings: atlas_pipeline.AtlasSettings, result: atlas_pipeline.Atlas) -> None:
    """Every view of a built atlas, or a message when no cell kept enough points."""
    if len(result.cells.kept) == 0:
        st.error(f"No cell has {settings.min_count} or more points: lower the threshold, use fewer cells or more "
                 "images.")
        return
    digits = loaded.spec.family == "digits"
    names = atlas_pipeline.display_names(registry.class_names(loaded.spec), digits)
    section_atlas(result, digits)
    section_inspect(result, names, digits)
    section_classes(result, names)
    section_weaknesses(result)


introduction()
LOADED, SETTINGS, EXTRA = choices()
RESULT = built_atlas(LOADED, SETTINGS, EXTRA)
if RESULT is None:
    before_building()
else:
    explore(LOADED, SETTINGS, RESULT)
STATE.write_url()
