"""Lesson page: Linear classifier — a line between two clouds of points, found by gradient descent, watched live on
the data and on the loss landscape; then a small network that bends space where no line will do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from lessons.linear import compute as lc
from lessons.linear import data as ld
from lessons.linear import mlp as lm
from ui import linear_charts as charts
from ui.navigation import lesson_by_path
from ui.routing import route_through_app
from ui.settings import linear_classifier as settings

route_through_app()
STATE = settings.STATE
STATE.start()
LESSON = lesson_by_path("pages/linear_classifier.py")
FRAME_SECONDS = 0.25
INIT_LABELS = {"random": "Random (from the seed)", "manual": "Set by hand"}
HAND_EDITS = "lc_hand_edits"  # the edit text in force (the `lc_edits` setting is what a link carries of it)


@st.cache_data(max_entries=32, show_spinner=False)
def network_view(data_key: str, width: int, depth: int, steps: int, seed: int, extent: float,
                 _points: np.ndarray, _labels: np.ndarray) -> lm.MLPView:
    """Train the small network on these points (cached per data, architecture and seed)."""
    return lm.mlp_view(_points, _labels, width, depth, steps, seed, extent)


@st.cache_data(max_entries=32, show_spinner=False)
def line_facts(data_key: str, _points: np.ndarray, _labels: np.ndarray) -> tuple[bool, lc.ManyStarts]:
    """Whether a line splits these points, and descent in (w1, w2, b) from many random starts (cached per data)."""
    return lc.linearly_separable(_points, _labels), lc.descent_from_many_starts(_points, _labels)


# ------------------------------------------------------------------------------------------------------ callbacks
def _bump(key: str) -> None:
    st.session_state[key] = st.session_state.get(key, 0) + 1


def _set_edits(text: str) -> None:
    """Replace the hand edits and start the table editor afresh from them."""
    st.session_state[HAND_EDITS] = text
    _bump("lc_editor_gen")


def _change(playing: bool | None = None, step: bool = False, restart: bool = False, **values: str) -> None:
    """A button's work: change declared settings, start or stop playing, take one step, or restart training."""
    for key, value in values.items():
        STATE.set(key, value)
    if playing is not None:
        st.session_state["lc_playing"] = playing
    if step:
        st.session_state["lc_trainer"].run(1)
    if restart:
        st.session_state.pop("lc_trainer_key", None)


# ------------------------------------------------------------------------------------------------------- sections
def intro() -> None:
    st.title(LESSON.title)
    st.markdown(
        "The simplest classifier there is: draw a **straight line** and call everything on one side *class A* and "
        "everything on the other *class B*. Finding a good line by hand is easy; the interesting part is how a "
        "computer finds it — by rolling downhill on a landscape of mistakes. Everything the big networks do later is "
        "this same recipe, repeated."
    )


def hand_edits(source: tuple[str, float, int]) -> ld.Edits:
    """The hand edits in force: a shared link's on the first run, none after the data set changes."""
    if HAND_EDITS not in st.session_state:
        from_link = ld.decode_edits(STATE.value("lc_edits"), ld.DEFAULT_POINTS)
        st.session_state.update({HAND_EDITS: ld.encode_edits(from_link), "lc_edits_source": source,
                                 "lc_editor_gen": 0})
    elif st.session_state.get("lc_edits_source") != source:  # new data: hand edits belonged to the old points
        st.session_state["lc_edits_source"] = source
        _set_edits("")
    return ld.decode_edits(st.session_state[HAND_EDITS], ld.DEFAULT_POINTS)


def edit_table(data: ld.PointSet) -> ld.Edits:
    """The points as an editable table; returns the edits it now stands for."""
    st.caption("Change a coordinate or a class, add rows at the bottom, or select rows and delete them. "
               "Clicking the chart in section 3 does the same.")
    table_key = f"lc_editor_{st.session_state['lc_editor_gen']}"
    if f"{table_key}_base" not in st.session_state:
        for stale in [k for k in st.session_state if str(k).startswith("lc_editor_") and str(k).endswith("_base")]:
            del st.session_state[stale]
        st.session_state[f"{table_key}_base"] = pd.DataFrame(ld.points_table(data.points, data.labels, data.ids))
    rows = charts.points_editor(st.session_state[f"{table_key}_base"], table_key)
    return ld.edits_from_table(data.preset_points, data.preset_labels, rows)


def section_points() -> ld.PointSet:
    """Section 1: the data set, noise, seed and hand edits; returns the points."""
    st.header("1 · Two clouds of points")
    cols = st.columns([3, 3, 2, 2], vertical_alignment="bottom")
    preset = cols[0].selectbox("Data set", ld.PRESETS, key="lc_preset", format_func=ld.PRESET_TITLES.get)
    noise = cols[1].slider("Noise", 0.0, 1.0, step=0.05, key="lc_noise",
                           help="How far points scatter around their class's shape.")
    seed = int(cols[2].number_input("Seed", 0, 9999, step=1, key="lc_seed",
                                    help="Same seed, same points and the same random starting line."))
    edits = hand_edits((preset, float(noise), seed))
    cols[3].button("Reset points", key="lc_reset_points", on_click=_set_edits, args=("",), width="stretch",
                   help="Forget the points you added or removed.")
    data = ld.edited_points(preset, noise, seed, edits)
    with st.expander("Edit the points as a table"):
        from_table = edit_table(data)
    if from_table != edits:
        st.session_state[HAND_EDITS] = ld.encode_edits(from_table)
        data = ld.edited_points(preset, noise, seed, from_table)
    count_a, count_b = ld.class_counts(data.labels)
    separable, _ = line_facts(data.key, data.points, data.labels)
    st.markdown(
        f"**{count_a}** points of class **A** (blue circles) and **{count_b}** of class **B** (orange squares)"
        f"{ld.edit_note(data.edits)}. Each point is just two numbers, its x and y. " + lc.separability_note(separable)
    )
    if ld.link_edits(st.session_state[HAND_EDITS]) != st.session_state[HAND_EDITS]:
        st.caption("A shared link carries the data set, noise and seed; you have edited too many points for the "
                   "link to carry them too, so it reproduces the data set without your edits.")
    else:
        st.caption("A shared link (the address bar) carries the data set, noise, seed, your hand edits and every "
                   "setting below, including the step count.")
    return data


def section_line() -> tuple[st.delta_generator.DeltaGenerator, st.delta_generator.DeltaGenerator]:
    """Section 2: the line's three numbers, the sigmoid and the loss; the starting line's controls.

    Returns the column for the sigmoid chart and the one under the starting-line choice (both filled later)."""
    st.header("2 · A line, a squash and a score")
    explain, curve = st.columns([3, 2])
    explain.markdown(
        "A line in the plane is **w₁·x + w₂·y + b = 0**. Three numbers, but it is easier to think of them as:\n"
        "- **rotation θ** — the direction the arrow (the line's *normal*, the vector w) points to: "
        "θ = atan2(w₂, w₁);\n"
        "- **offset** — how far the line sits from the origin, measured along that arrow: −b/|w|;\n"
        "- **sharpness |w|** — the arrow's length.\n\n"
        "For any point, **w·x + b = |w| × (signed distance to the line)**: positive on the arrow's side, negative "
        "on the other. The **sigmoid** σ(z) = 1/(1 + e⁻ᶻ) squashes that number into a probability of class B — 50 % "
        "on the line, near 100 % far on the arrow's side. Sharpness sets how fast it gets sure (the dashed lines in "
        "section 3 mark 90 % sure).\n\n"
        "The score is the **binary cross-entropy**: −log of the probability the model gave the *right* class, "
        "averaged over points. A confident right answer costs almost nothing, a confident wrong one costs a lot."
    )
    cols = st.columns([2, 2, 2, 2])
    by_hand = cols[0].radio("Starting line", list(INIT_LABELS), key="lc_init", format_func=INIT_LABELS.get) == "manual"
    cols[1].slider("Rotation θ (°)", -180, 180, step=5, key="lc_theta", disabled=not by_hand)
    cols[2].slider("Offset", -3.0, 3.0, step=0.05, key="lc_offset", disabled=not by_hand)
    cols[3].slider("Sharpness |w|", 0.1, 10.0, step=0.1, key="lc_sharp", disabled=not by_hand)
    return curve, cols[0]


def training_controls() -> lc.TrainConfig:
    """Section 3's optimiser, learning rate, annealing and step controls, with the starting line as one config."""
    cols = st.columns([3, 3, 2, 2, 2])
    cols[0].radio("Optimiser", list(lc.OPTIMISERS), key="lc_opt", format_func=lc.OPTIMISERS.get)
    cols[1].select_slider("Learning rate", settings.LR_CHOICES, key="lc_lr",
                          help="Step size, on a log scale from 0.0001 to 10.")
    cols[2].selectbox("Annealing", list(lc.SCHEDULES), key="lc_anneal", format_func=lc.SCHEDULES.get,
                      help="Shrink the learning rate as training goes on.")
    cols[3].selectbox("Max steps", settings.MAX_STEP_CHOICES, key="lc_max_steps")
    cols[4].slider("Steps per frame", 1, 50, key="lc_spf",
                   help="Optimisation steps between two pictures while playing.")
    value = STATE.value
    return lc.train_config(value("lc_opt"), float(value("lc_lr")), value("lc_anneal"), int(value("lc_max_steps")),
                           value("lc_init"), value("lc_seed"), value("lc_theta"), value("lc_offset"), value("lc_sharp"))


def current_trainer(data: ld.PointSet, config: lc.TrainConfig) -> lc.Trainer:
    """The training run for these points and settings: kept while they stay, replayed to a link's step count once."""
    if "lc_restore_step" not in st.session_state:
        st.session_state["lc_restore_step"] = STATE.value("lc_step")  # a shared link's step count, used once
    training_key = (data.key, lc.run_key(config))
    if st.session_state.get("lc_trainer_key") != training_key or st.session_state["lc_trainer"].step > config.max_steps:
        target = min(int(st.session_state.pop("lc_restore_step", 0) or 0), config.max_steps)
        st.session_state["lc_trainer"] = lc.train_to(data.points, data.labels, config, target)
        st.session_state["lc_trainer_key"] = training_key
        st.session_state["lc_restore_step"] = 0
    st.session_state.setdefault("lc_playing", False)
    trainer: lc.Trainer = st.session_state["lc_trainer"]
    if trainer.config.max_steps != config.max_steps:  # no annealing: a new limit continues the same run
        trainer.set_max_steps(config.max_steps)
    if trainer.done:
        st.session_state["lc_playing"] = False
    return trainer


def section_training(data: ld.PointSet, curve: st.delta_generator.DeltaGenerator,
                     start_note: st.delta_generator.DeltaGenerator) -> lc.TrainConfig:
    """Section 3's controls and buttons (the live view follows as a fragment); returns the training config."""
    st.header("3 · Watch gradient descent")
    st.markdown(
        "Training means: compute the loss, find which way is **downhill** for each of the three numbers (the "
        "gradient — the slope under your feet), and take a step that way. The **learning rate** is the step size. "
        "**Momentum** keeps some of the previous step's speed, so it rolls through small bumps; **Adam** gives each "
        "number its own step size from the history of its gradients, so you rarely have to tune it."
    )
    config = training_controls()
    trainer = current_trainer(data, config)
    playing = bool(st.session_state["lc_playing"])
    start = lc.params_from_weights(*lc.initial_weights(config))
    if config.init != "manual":
        start_note.caption(f"This seed starts at θ = {start.degrees:.0f}°, offset {start.offset:.2f}, "
                           f"|w| = {start.sharpness:.2f}.")
    curve.altair_chart(charts.sigmoid_chart(round(start.sharpness, 2)), width="stretch")
    curve.caption("The sigmoid of the signed distance, for the starting line's sharpness and for |w| = 1.")
    buttons = st.columns(4)
    buttons[0].button("Play", key="lc_play", icon=":material/play_arrow:", on_click=_change,
                      kwargs={"playing": True}, disabled=playing or trainer.done, width="stretch")
    buttons[1].button("Pause", key="lc_pause", icon=":material/pause:", on_click=_change,
                      kwargs={"playing": False}, disabled=not playing, width="stretch")
    buttons[2].button("Step", key="lc_step_once", icon=":material/skip_next:", on_click=_change,
                      kwargs={"playing": False, "step": True}, disabled=trainer.done, width="stretch",
                      help="One optimisation step.")
    buttons[3].button("Reset", key="lc_reset", icon=":material/restart_alt:", on_click=_change,
                      kwargs={"playing": False, "restart": True}, width="stretch",
                      help="Back to the starting line, step 0.")
    st.caption("Play runs until you pause or the max step count is reached. Changing a setting restarts from the "
               "starting line (raising the max steps without annealing carries on).")
    return config


def advance(trainer: lc.Trainer, steps_per_frame: int) -> None:
    """While playing, train one frame's worth of steps (and keep the link's step count up to date)."""
    if not st.session_state.get("lc_playing"):
        return
    trainer.run(steps_per_frame)
    STATE.set("lc_step", trainer.step)
    STATE.write_url()
    if trainer.done:
        st.session_state["lc_playing"] = False
        st.rerun()  # a full run turns the timer off


def data_view(data: ld.PointSet, trainer: lc.Trainer, frame: lc.Frame, specs: charts.FrameSpecs,
              config: lc.TrainConfig) -> None:
    """The metrics, the clickable data chart with the line and field, and the training curves."""
    charts.training_metrics(trainer, frame.line.sharpness)
    left, right = st.columns([3, 2])
    with left:
        add_as = st.radio("Click adds", ld.CLASS_NAMES, key="lc_click_class", horizontal=True,
                          format_func=lambda c: f"class {c}",
                          help="Click an empty spot of the chart to add a point there; click a point to remove it.")
        event = st.vega_lite_chart(specs.field, key=f"lc_field_{st.session_state.get('lc_click_gen', 0)}",
                                   on_select="rerun", selection_mode=["cell", "pt"], width="content")
        selection = dict(event.selection) if event is not None else {}
        by_click = ld.edit_from_click(data.edits, selection, ld.CLASS_NAMES.index(add_as), data.n_preset)
        if by_click is not None:
            _bump("lc_click_gen")  # a fresh chart: its selection is cleared, so one click is one edit
            if by_click != data.edits:
                _set_edits(ld.encode_edits(by_click))
            st.rerun()
    with right:
        st.vega_lite_chart(specs.curves, width="stretch")
        st.caption("Background of the data chart: the model's probability of class B. Solid line: the decision "
                   "boundary (50 %); dashed: 90 % sure either way; arrow: the normal w, pointing to class B's "
                   "side. Click an empty spot to add a point, click a point to remove it.")
        if trainer.done:
            st.success(f"Reached the max step count ({config.max_steps}). "
                       + ("Raise the max steps to go on, or reset." if config.schedule == "none" else
                          "Reset, or raise the max steps to run the whole annealing schedule again."))


def section_landscape(frame: lc.Frame, specs: charts.FrameSpecs, data: ld.PointSet) -> None:
    """Section 4: the loss over (rotation, offset) with the path so far, what many starts find, big steps."""
    separable, many_starts = line_facts(data.key, data.points, data.labels)
    st.header("4 · The energy landscape")
    st.vega_lite_chart(specs.landscape, width="stretch")
    land_left, land_right = st.columns([3, 2])
    with land_left:
        st.markdown(
            "Every line with the current sharpness is one cell here: across is its **rotation**, up is its "
            "**offset**, and the colour is its **loss** (dark = low). Training is a walk on this map: the white "
            "trail is the path so far (from the white ring), the pink dot is now, white diamonds are **local "
            "minima of this map** — cells lower than all their neighbours. The map is drawn for today's "
            "sharpness, which training also changes: as |w| grows, valleys become narrow and steep. Rotation wraps "
            "around (−180° and 180° are the same line), so the trail may leave on one side and come back on the "
            "other."
        )
        st.markdown(lc.landscape_summary(many_starts.start_losses, many_starts.final_losses, many_starts.steps,
                                         separable, len(frame.minima), frame.line.sharpness))
        lowest = lc.lowest_minimum(frame)
        lowest_text = "" if lowest is None else (f"The lowest marked valley of this slice: θ = {lowest[0]:.0f}°, "
                                                 f"offset {lowest[1]:.2f}. ")
        st.caption(f"{lowest_text}The {lc.DESCENT_STARTS} runs of plain gradient descent each start with w₁, w₂ and "
                   f"b drawn between −{lc.START_SPREAD:g} and {lc.START_SPREAD:g} and take {many_starts.steps} "
                   f"steps of size {many_starts.step_size:.2f}, worked out from the points so that every step goes "
                   "downhill.")
    with land_right:
        st.markdown(
            "**Too big a step** can jump across a valley instead of into it: watch for a trail that zig-zags, a "
            "sharpness that swings and a loss curve that saw-tooths. **Annealing** starts with big steps to travel "
            "far and shrinks them to settle in. Try both below and watch whether the trail settles."
        )
        st.button("Try lr = 10", key="lc_try_big", on_click=_change, width="stretch",
                  kwargs={"playing": True, "lc_preset": "overlapping", "lc_opt": "momentum", "lc_lr": "10",
                          "lc_anneal": "none"},
                  help="SGD + momentum at learning rate 10 on the overlapping clouds, playing.")
        st.button("…then anneal it", key="lc_try_anneal", on_click=_change, width="stretch",
                  kwargs={"playing": True, "lc_anneal": "exponential"},
                  help="The same with exponential decay of the learning rate.")
        st.caption("Try lr = 10 switches to SGD + momentum on the overlapping clouds and plays.")


def section_algebra(frame: lc.Frame) -> None:
    """Section 5: the model's three numbers, the line's rotation, sharpness and offset, and the line solved for y."""
    st.header("5 · From parameters to the line")
    (w1, w2, b), line = frame.weights, frame.line
    numbers_latex, solved_latex = lc.algebra_latex(w1, w2, b)
    numbers, params = st.columns([1, 1])
    with numbers:
        st.markdown("The model *is* these three numbers (`torch.nn.Linear(2, 1)`):")
        st.latex(numbers_latex)
    with params:
        st.markdown(
            f"- rotation θ = atan2(w₂, w₁) = **{line.degrees:.1f}°**\n"
            f"- sharpness |w| = √(w₁² + w₂²) = **{line.sharpness:.3f}**\n"
            f"- offset = −b / |w| = **{line.offset:.3f}**"
        )
    st.markdown("Set the logit to zero and solve for y — high-school algebra:")
    st.latex(solved_latex)
    if lc.line_form(w1, w2, b).vertical:
        st.caption("w₂ is (almost) zero, so the line is vertical: dividing by w₂ is not allowed.")
    if (check := lc.foot_on_line(w1, w2, b)) is not None:
        (x, y), logit = check
        st.markdown(
            f"Check: the point offset × (cos θ, sin θ) = ({x:.3f}, {y:.3f}) lies on the line — its "
            f"logit is {logit:.1e}, so the model is exactly 50 % unsure there."
        )


def live_view(data: ld.PointSet, config: lc.TrainConfig) -> None:
    """Advance training while playing, then draw the data, the line, the curves, the landscape and the algebra."""
    trainer: lc.Trainer = st.session_state["lc_trainer"]
    advance(trainer, int(STATE.value("lc_spf")))
    extent = lc.view_extent(data.points)
    frame = lc.make_frame(trainer, extent)
    specs = charts.frame_specs(frame, trainer.history, data.points, data.labels, data.ids, config.max_steps)
    data_view(data, trainer, frame, specs, config)
    section_landscape(frame, specs, data)
    section_algebra(frame)


def section_network(data: ld.PointSet) -> None:
    """Section 6: a small tanh network whose last hidden layer is a plane we can draw."""
    st.header("6 · Beyond a line: layers bend space")
    st.markdown(
        "XOR, a circle in a ring, two spirals: no single line separates these. The fix is to let the network **move "
        "the points first**. A hidden layer computes several lines at once and squashes each with tanh; the next "
        "layer does the same to those numbers. Each layer is a smooth warp of the plane. Train the warps and the "
        "final linear classifier together, and the classes end up on different sides of a straight line — in the "
        "warped space. Here the last hidden layer has exactly **two** units, so that space is a plane we can draw."
    )
    cols = st.columns([3, 2, 2, 3])
    width = int(cols[0].select_slider("Hidden width", settings.MLP_WIDTHS, key="lc_mlp_width"))
    depth = int(cols[1].slider("Wide layers", 1, 3, key="lc_mlp_depth"))
    steps = int(cols[2].selectbox("Training steps", settings.MLP_STEPS, key="lc_mlp_steps"))
    architecture = lm.architecture(width, depth)
    cols[3].caption(f"Network: {architecture}, tanh after every hidden layer; Adam, learning rate "
                    f"{lm.MLP_LR}, every point in every step.")
    separable, many_starts = line_facts(data.key, data.points, data.labels)
    if separable:
        st.button("These points are easy — switch the data set to XOR", key="lc_to_xor", icon=":material/shuffle:",
                  on_click=_change, kwargs={"lc_preset": "xor"})
    extent = lc.view_extent(data.points)
    with st.status(f"Training the {architecture} network…", expanded=False) as status:
        view = network_view(data.key, width, depth, steps, int(STATE.value("lc_seed")), extent, data.points,
                            data.labels)
        status.update(label=f"Network {architecture} ({view.parameters} numbers) trained for {steps} steps: "
                            f"{view.accuracy:.1%} of the points right.", state="complete")
    left, right = st.columns(2)
    left.vega_lite_chart(charts.mlp_input_spec(view, data.points, data.labels, extent), width="content")
    right.vega_lite_chart(charts.hidden_space_spec(view, data.labels), width="content")
    st.markdown(lm.network_summary(view.boundary_bend, view.cell, view.accuracy, view.hidden_line_accuracy,
                                   many_starts.line_accuracy, view.weights))
    st.markdown(
        "The straight grid lines on the left are the plane before any warping; on the right they are bent by the "
        "hidden layers. That is why we stack layers: each one can make the next one's job more linear. Does your "
        "network push each class into its own corner of the right-hand square (its tanh units saturating)? With "
        "fewer training steps, is the warp half-way? Try a width of 2, or 250 steps, on the spirals."
    )


intro()
points = section_points()
sigmoid_column, start_column = section_line()
train_config = section_training(points, sigmoid_column, start_column)
st.fragment(run_every=FRAME_SECONDS if st.session_state["lc_playing"] else None)(live_view)(points, train_config)
section_network(points)
STATE.set("lc_step", st.session_state["lc_trainer"].step)
STATE.set("lc_edits", ld.link_edits(st.session_state[HAND_EDITS]))
STATE.write_url()
