"""Streamlit glue for the Linear-classifier page: cached lesson calls, the buttons' callbacks, the hand edits of the
points (table and clicks), the controls and run of training and of the small network, and the displays of numbers
(the editable points table, the training metrics) the page's sections place under their narrative.

The cached wrappers only call `lessons.linear`; each is keyed by the point set's key, never by its points (the
underscore-prefixed arrays are left out of the cache key).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from lessons.linear import compute as lc
from lessons.linear import conclusions
from lessons.linear import data as ld
from lessons.linear import mlp as lm
from ui import linear_charts as charts
from ui.downloads import download_row
from ui.progress import progress_bar
from ui.result_store import shared_store
from ui.settings import linear_classifier as settings
from ui.settings.linear_classifier import STATE

INIT_LABELS = {"random": "Random (from the seed)", "manual": "Set by hand"}
HAND_EDITS = "lc_hand_edits"  # the edit text in force (the `lc_edits` setting is what a link carries of it)
PAGE_RUN = "lc_page_run"  # set by a button whose change the whole page must draw, not only the live view
#: The two big-step experiments of section 4: too big a step on the overlapping clouds, then the same annealed.
BIG_STEP = {"lc_preset": "overlapping", "lc_opt": "momentum", "lc_lr": "10", "lc_anneal": "none"}
ANNEALED_BIG_STEP = {**BIG_STEP, "lc_anneal": "exponential"}


# ------------------------------------------------------------------------------------------------------ cached compute
@st.cache_data(max_entries=32, show_spinner=False)
def line_facts(data_key: str, _points: np.ndarray, _labels: np.ndarray) -> tuple[bool, lc.ManyStarts]:
    """Whether a line splits these points, and descent in (w1, w2, b) from many random starts (cached per data)."""
    return lc.linearly_separable(_points, _labels), lc.descent_from_many_starts(_points, _labels)


# ----------------------------------------------------------------------------------------------------------- callbacks
def _bump(key: str) -> None:
    st.session_state[key] = st.session_state.get(key, 0) + 1


def set_edits(text: str) -> None:
    """Replace the hand edits and start the table editor afresh from them."""
    st.session_state[HAND_EDITS] = text
    _bump("lc_editor_gen")


_LAST_FRAME = "_lc_last_frame_at"  # session state: when the last frame of a playing run was drawn


def change(playing: bool | None = None, step: bool = False, restart: bool = False, **values: str) -> None:
    """A button's work: change declared settings, start or stop playing, take one step, or restart training; then
    the whole page runs (see `run_whole_page_if_asked`)."""
    for key, value in values.items():
        STATE.set(key, value)
    if playing is not None:
        st.session_state["lc_playing"] = playing
    if step:
        st.session_state["lc_trainer"].run(1)
    if restart:
        st.session_state.pop("lc_trainer_key", None)
    st.session_state[PAGE_RUN] = True


def run_whole_page_if_asked() -> None:
    """First thing in the live view: when a button pressed inside it changed what the rest of the page holds.

    A click inside a fragment reruns only the fragment. The settings' widgets, the training run (built outside)
    and the frame timer (set when the whole page runs) would then stay as they were, and the browser, never told of
    the new settings, would send its old values back with the next click. A whole-page run draws every widget with
    its new value and restarts the timer. (When the click came with a whole-page run, `current_trainer` has
    already taken the request.)"""
    if st.session_state.pop(PAGE_RUN, False):
        st.rerun()


# ------------------------------------------------------------------------------------------------------------- points
def point_controls() -> tuple[str, float, int, DeltaGenerator]:
    """Data set, noise and seed side by side; returns them and the column left for the reset button."""
    cols = st.columns([3, 3, 2, 2], vertical_alignment="bottom")
    preset = cols[0].selectbox("Data set", ld.PRESETS, key="lc_preset", format_func=ld.PRESET_TITLES.get)
    noise = cols[1].slider("Noise", 0.0, 1.0, step=0.05, key="lc_noise",
                           help="How far points scatter around their class's shape.")
    seed = int(cols[2].number_input("Seed", 0, 9999, step=1, key="lc_seed",
                                    help="Same seed, same points and the same random starting line."))
    return preset, float(noise), seed, cols[3]


def hand_edits(source: tuple[str, float, int]) -> ld.Edits:
    """The hand edits in force: a shared link's on the first run, none after the data set changes."""
    if HAND_EDITS not in st.session_state:
        from_link = ld.decode_edits(STATE.value("lc_edits"), ld.DEFAULT_POINTS)
        st.session_state.update({HAND_EDITS: ld.encode_edits(from_link), "lc_edits_source": source,
                                 "lc_editor_gen": 0})
    elif st.session_state.get("lc_edits_source") != source:  # new data: hand edits belonged to the old points
        st.session_state["lc_edits_source"] = source
        set_edits("")
    return ld.decode_edits(st.session_state[HAND_EDITS], ld.DEFAULT_POINTS)


def edited_points() -> ld.PointSet:
    """The chosen points with the hand edits in force, a reset button beside them and the table editor below."""
    preset, noise, seed, reset_column = point_controls()
    edits = hand_edits((preset, noise, seed))
    reset_column.button("Reset points", key="lc_reset_points", on_click=set_edits, args=("",), width="stretch",
                       help="Forget the points you added or removed.")
    data = ld.edited_points(preset, noise, seed, edits)
    with st.expander("Edit the points as a table"):
        from_table = edit_table(data)
    if from_table != edits:
        st.session_state[HAND_EDITS] = ld.encode_edits(from_table)
        data = ld.edited_points(preset, noise, seed, from_table)
    return data


def edit_table(data: ld.PointSet) -> ld.Edits:
    """The points as an editable table; returns the edits it now stands for."""
    st.caption("Change a coordinate or a class, add rows at the bottom, or select rows and delete them. "
               "Clicking the chart in section 3 does the same.")
    table_key = f"lc_editor_{st.session_state['lc_editor_gen']}"
    if f"{table_key}_base" not in st.session_state:
        for stale in [k for k in st.session_state if str(k).startswith("lc_editor_") and str(k).endswith("_base")]:
            del st.session_state[stale]
        st.session_state[f"{table_key}_base"] = pd.DataFrame(ld.points_table(data.points, data.labels, data.ids))
    rows = points_editor(st.session_state[f"{table_key}_base"], table_key)
    return ld.edits_from_table(data.preset_points, data.preset_labels, rows)


def points_editor(table: pd.DataFrame, key: str) -> list[dict[str, Any]]:
    """The points as an editable table (id, x, y, class; rows can be added and deleted); returns its rows now."""
    edited = st.data_editor(
        table, key=key, num_rows="dynamic", hide_index=True, height=260,
        column_config={
            "id": st.column_config.TextColumn("point", disabled=True, help="p = from the data set, a = added"),
            "x": st.column_config.NumberColumn("x", min_value=-10.0, max_value=10.0, format="%.2f"),
            "y": st.column_config.NumberColumn("y", min_value=-10.0, max_value=10.0, format="%.2f"),
            "class": st.column_config.SelectboxColumn("class", options=list(ld.CLASS_NAMES), required=True),
        },
    )
    return edited.to_dict("records")


def edits_fit_the_link() -> bool:
    """Whether a shared link carries the hand edits in force (long edit lists stay out of it)."""
    return ld.link_edits(st.session_state[HAND_EDITS]) == st.session_state[HAND_EDITS]


def clickable_field(data: ld.PointSet, spec: dict[str, Any]) -> None:
    """The data chart and, under it, the class a click adds: a click on an empty spot adds a point, on a point
    removes it. (The chart comes first, so that on a phone it sits right under Play.)"""
    chart_slot = st.container()
    add_as = st.radio("Click adds", ld.CLASS_NAMES, key="lc_click_class", horizontal=True,
                      format_func=lambda c: f"class {c}",
                      help="Click an empty spot of the chart to add a point there; click a point to remove it.")
    event = chart_slot.vega_lite_chart(spec, key=f"lc_field_{st.session_state.get('lc_click_gen', 0)}",
                                       on_select="rerun", selection_mode=["cell", "pt"], width="content")
    selection = dict(event.selection) if event is not None else {}
    by_click = ld.edit_from_click(data.edits, selection, ld.CLASS_NAMES.index(add_as), data.n_preset)
    if by_click is not None:
        _bump("lc_click_gen")  # a fresh chart: its selection is cleared, so one click is one edit
        if by_click != data.edits:
            set_edits(ld.encode_edits(by_click))
        st.rerun()


# ----------------------------------------------------------------------------------------------------------- training
def start_line_controls() -> DeltaGenerator:
    """The starting line: random or by hand, with its rotation, offset and sharpness; returns the choice's column."""
    cols = st.columns([2, 2, 2, 2])
    init = cols[0].radio("Starting line", settings.INIT_MODES, key="lc_init", format_func=INIT_LABELS.get)
    by_hand = init == "manual"
    cols[1].slider("Rotation θ (°)", -180, 180, step=5, key="lc_theta", disabled=not by_hand)
    cols[2].slider("Offset", -3.0, 3.0, step=0.05, key="lc_offset", disabled=not by_hand)
    cols[3].slider("Sharpness |w|", 0.1, 10.0, step=0.1, key="lc_sharp", disabled=not by_hand)
    return cols[0]


def training_controls() -> lc.TrainConfig:
    """The optimiser, learning rate, annealing and step controls, with the starting line as one config."""
    cols = st.columns([3, 3, 2, 2, 2])
    cols[0].radio("Optimiser", list(lc.OPTIMISERS), key="lc_opt", format_func=lc.OPTIMISERS.get)
    cols[1].select_slider("Learning rate", settings.LR_CHOICES, key="lc_lr",
                          help="Step size, on a log scale from 0.0001 to 10.")
    cols[2].selectbox("Annealing", list(lc.SCHEDULES), key="lc_anneal", format_func=lc.SCHEDULES.get,
                      help="Shrink the learning rate as training goes on.")
    cols[3].selectbox("Max steps", settings.MAX_STEP_CHOICES, key="lc_max_steps")
    cols[4].slider("Steps per frame", 1, 50, key="lc_spf",
                   help="Optimisation steps between two pictures while playing (a busy server that draws fewer "
                        "pictures takes the steps of the ones it skipped, so a run keeps its pace).")
    return config_from_state()


def config_from_state() -> lc.TrainConfig:
    """The training config of the page's declared settings, as they stand in this run."""
    value = STATE.value
    return lc.train_config(value("lc_opt"), float(value("lc_lr")), value("lc_anneal"), int(value("lc_max_steps")),
                           value("lc_init"), value("lc_seed"), value("lc_theta"), value("lc_offset"), value("lc_sharp"))


def starting_line() -> lc.LineParams:
    """The starting line of the page's settings (the seeded draw, or the line set by hand)."""
    return lc.params_from_weights(*lc.initial_weights(config_from_state()))


def descent_facts(trainer: lc.Trainer) -> dict[str, Any]:
    """What the landscape section's exercises judge: the run's whole loss history and the settings that made it."""
    return {"losses": tuple(trainer.history.loss), "optimiser": lc.OPTIMISERS[trainer.config.optimiser],
            "learning_rate": trainer.config.lr, "data_set": ld.PRESET_TITLES[STATE.value("lc_preset")]}


def current_trainer(data: ld.PointSet, config: lc.TrainConfig) -> lc.Trainer:
    """The training run for these points and settings: kept while they stay, replayed to a link's step count once
    (with a progress bar)."""
    st.session_state.pop(PAGE_RUN, None)  # this is the whole-page run a button asked for
    linked_step = STATE.bind("lc_step", high=config.max_steps)  # a step count above the max is no valid link
    if "lc_restore_step" not in st.session_state:
        st.session_state["lc_restore_step"] = linked_step  # a shared link's step count, used once
    training_key = (data.key, lc.run_key(config))
    if st.session_state.get("lc_trainer_key") != training_key or st.session_state["lc_trainer"].step > config.max_steps:
        target = min(int(st.session_state.pop("lc_restore_step", 0) or 0), config.max_steps)
        st.session_state["lc_trainer"] = replayed_run(data, config, target)
        st.session_state["lc_trainer_key"] = training_key
        st.session_state["lc_restore_step"] = 0
    st.session_state.setdefault("lc_playing", False)
    trainer: lc.Trainer = st.session_state["lc_trainer"]
    if trainer.config.max_steps != config.max_steps:  # no annealing: a new limit continues the same run
        trainer.set_max_steps(config.max_steps)
    if trainer.done:
        st.session_state["lc_playing"] = False
    return trainer


def replayed_run(data: ld.PointSet, config: lc.TrainConfig, steps: int) -> lc.Trainer:
    """A fresh run on these points, trained to `steps` steps (a shared link's count) under a progress bar."""
    if not steps:
        return lc.train_to(data.points, data.labels, config, 0)
    with progress_bar(f"Replaying the shared run to step {steps}…") as report:
        return lc.train_to(data.points, data.labels, config, steps, report)


def training_bar(trainer: lc.Trainer) -> None:
    """Play (or Pause while playing), one step and reset beside the step counter: one compact row right above the
    live chart, so that a phone shows the controls and the chart together."""
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    if st.session_state["lc_playing"]:
        row.button("Pause", key="lc_pause", icon=":material/pause:", on_click=change, kwargs={"playing": False})
    else:
        row.button("Play", key="lc_play", icon=":material/play_arrow:", type="primary", on_click=change,
                   kwargs={"playing": True}, disabled=trainer.done)
    row.button("Step", key="lc_step_once", icon=":material/skip_next:", on_click=change,
               kwargs={"playing": False, "step": True}, disabled=trainer.done, help="One optimisation step.")
    row.button("Reset", key="lc_reset", icon=":material/restart_alt:", on_click=change,
               kwargs={"playing": False, "restart": True}, help="Back to the starting line, step 0.")
    row.metric(f"Step (of {trainer.config.max_steps})", f"{trainer.step}", width="content")


def advance(trainer: lc.Trainer, frame_s: float) -> None:
    """While playing, train the steps due since the last frame (one frame's worth, more when the server was slow to
    draw it); a run that reaches its max step count stops playing."""
    if not st.session_state.get("lc_playing"):
        st.session_state.pop(_LAST_FRAME, None)
        return
    now = time.monotonic()
    last = st.session_state.get(_LAST_FRAME)
    st.session_state[_LAST_FRAME] = now
    trainer.run(int(STATE.value("lc_spf")) * lc.frames_due(None if last is None else now - last, frame_s))
    if trainer.done:
        st.session_state["lc_playing"] = False
        st.rerun()  # a full run turns the timer off


def training_metrics(trainer: lc.Trainer, sharpness: float) -> None:
    """The numbers of the moment in one wrapping row: loss, accuracy, learning rate now, sharpness |w|."""
    history = trainer.history
    row = st.container(horizontal=True, horizontal_alignment="distribute", gap="small")
    row.metric("Loss", f"{history.loss[-1]:.4f}", width="content")
    row.metric("Accuracy", f"{history.accuracy[-1]:.1%}", width="content")
    row.metric("Learning rate", f"{trainer.current_lr():.3g}", width="content")
    row.metric("Sharpness |w|", f"{sharpness:.2f}", width="content")


def _stem(what: str, step: int) -> str:
    return f"linear-classifier-{STATE.value('lc_preset')}-{what}-step-{step}"


def field_downloads(data: ld.PointSet, spec: dict[str, Any], step: int) -> None:
    """PNG of the data chart (points, line, probability field) and CSV of the points."""
    download_row(_stem("data", step), chart=spec, key="lc_dl_field",
                 table=pd.DataFrame(ld.points_table(data.points, data.labels, data.ids)),
                 what="the points, the line and its probability field")


def curves_downloads(trainer: lc.Trainer, spec: dict[str, Any]) -> None:
    """PNG of the loss, accuracy and learning-rate curves, and CSV of the run step by step (the line's numbers
    too)."""
    download_row(_stem("training", trainer.step), chart=spec, key="lc_dl_curves",
                 table=pd.DataFrame(lc.trajectory_columns(trainer.history)),
                 what="the training curves and the run step by step")


def landscape_downloads(frame: lc.Frame, spec: dict[str, Any]) -> None:
    """PNG of the loss landscape with the path, its cells as CSV and its grid as NPY (offsets × rotations)."""
    download_row(_stem("landscape", frame.step), chart=spec,
                 table=pd.DataFrame(lc.landscape_columns(frame)), array=frame.landscape, key="lc_dl_landscape",
                 what="the loss landscape")


def big_step_buttons() -> None:
    """Two buttons that set up a too-big learning rate on the overlapping clouds, then the same annealed; each
    starts again from step 0 and plays."""
    st.button("Try lr = 10", key="lc_try_big", on_click=change, width="stretch",
              kwargs={"playing": True, "restart": True, **BIG_STEP},
              help="SGD + momentum at learning rate 10 on the overlapping clouds, from step 0, playing.")
    st.button("…then anneal it", key="lc_try_anneal", on_click=change, width="stretch",
              kwargs={"playing": True, "restart": True, **ANNEALED_BIG_STEP},
              help="The same with exponential decay of the learning rate, from step 0, playing.")


def link_the_run() -> None:
    """Put the steps trained so far and the hand edits (when short enough) into the declared state for the link."""
    STATE.set("lc_step", st.session_state["lc_trainer"].step)
    STATE.set("lc_edits", ld.link_edits(st.session_state[HAND_EDITS]))


# ------------------------------------------------------------------------------------------------- the small network
def network_controls() -> tuple[int, int, int]:
    """Hidden width, number of wide layers and training steps, with the architecture beside them."""
    cols = st.columns([3, 2, 2, 3])
    width = int(cols[0].select_slider("Hidden width", settings.MLP_WIDTHS, key="lc_mlp_width"))
    depth = int(cols[1].slider("Wide layers", 1, 3, key="lc_mlp_depth"))
    steps = int(cols[2].selectbox("Training steps", settings.MLP_STEPS, key="lc_mlp_steps"))
    cols[3].caption(f"Network: {lm.architecture(width, depth)}, tanh after every hidden layer; Adam, learning rate "
                    f"{lm.MLP_LR}, every point in every step.")
    return width, depth, steps


def network_charts(view: lm.MLPView, data: ld.PointSet, extent: float, architecture: str) -> None:
    """The input space with the network's boundary beside the hidden space with its straight line, each with its
    PNG and a CSV of the points it shows."""
    left, right = st.columns(2)
    stem = f"linear-classifier-{STATE.value('lc_preset')}-network-{architecture.replace(' → ', '-')}"
    with left:
        spec = charts.mlp_input_spec(view, data.points, data.labels, extent)
        st.vega_lite_chart(spec, width="content")
        download_row(f"{stem}-input-space", chart=spec, key="lc_dl_input_space",
                     table=pd.DataFrame(ld.points_table(data.points, data.labels, data.ids)),
                     what="the input space with the network's boundary")
    with right:
        spec = charts.hidden_space_spec(view, data.labels)
        st.vega_lite_chart(spec, width="content")
        hidden = pd.DataFrame({"id": data.ids, "hidden_1": view.hidden[:, 0], "hidden_2": view.hidden[:, 1],
                               "class": [ld.CLASS_NAMES[int(c)] for c in data.labels]})
        download_row(f"{stem}-hidden-space", chart=spec, table=hidden, key="lc_dl_hidden_space",
                     what="the hidden space with the output unit's line")


def trained_network(data: ld.PointSet, width: int, depth: int, steps: int, extent: float) -> lm.MLPView:
    """The small network trained on these points (`network_status` reports its accuracy).

    Training takes seconds, so it shows its steps on a bar; the result is kept for every visitor (the shared result
    store), so the same data and network come back at once, from a shared link too."""
    architecture = lm.architecture(width, depth)
    seed = int(STATE.value("lc_seed"))
    key = (data.key, width, depth, steps, seed, extent)
    store = shared_store("linear_network", 32)
    view = store.get(key)
    if view is None:
        with progress_bar(f"Training the {architecture} network…") as report:
            view = lm.mlp_view(data.points, data.labels, width, depth, steps, seed, extent, report)
        store.put(key, view)
    return view


def network_status(view: lm.MLPView, architecture: str, steps: int) -> None:
    """The trained network's size and accuracy, in a closed status box."""
    st.status(f"Network {architecture} ({view.parameters} numbers) trained for {steps} steps: "
              f"{view.accuracy:.1%} of the points right.", state="complete", expanded=False)


def network_facts(data: ld.PointSet, width: int, depth: int, steps: int, view: lm.MLPView,
                  many_starts: lc.ManyStarts) -> dict[str, Any]:
    """What the network section's exercises judge: the data set, the network and the accuracies the page shows."""
    return conclusions.network_facts(STATE.value("lc_preset"), not data.edits.empty, width, depth, steps,
                                     view.parameters, view.accuracy, many_starts.line_accuracy,
                                     view.hidden_line_accuracy)
