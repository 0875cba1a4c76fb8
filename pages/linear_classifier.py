"""Lesson page: Linear classifier — a line between two clouds of points, found by gradient descent, watched live on
the data and on the loss landscape; then a small network that bends space where no line will do."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from lessons.linear import compute as lc
from lessons.linear import data as ld
from lessons.linear import mlp as lm
from ui import linear_charts as charts
from ui.navigation import lesson_by_path
from ui.routing import route_through_app
from ui.state import init_from_url, init_number_from_url, mirror_to_url

route_through_app()
LESSON = lesson_by_path("pages/linear_classifier.py")
FRAME_SECONDS = 0.25
LR_CHOICES = [f"{v:g}" for v in lc.LEARNING_RATES]
MAX_STEP_CHOICES = ["200", "500", "1000", "2000"]
INIT_LABELS = {"random": "Random (from the seed)", "manual": "Set by hand"}
MLP_WIDTHS = [2, 4, 8, 16, 32]
MLP_STEPS = ["250", "500", "1000", "2000", "4000"]
URL_KEYS = ("lc_preset", "lc_noise", "lc_seed", "lc_init", "lc_theta", "lc_offset", "lc_sharp", "lc_opt", "lc_lr",
            "lc_anneal", "lc_max_steps", "lc_spf", "lc_mlp_width", "lc_mlp_depth", "lc_mlp_steps")


@st.cache_data(max_entries=32, show_spinner=False)
def network_view(data_key: str, width: int, depth: int, steps: int, seed: int, extent: float,
                 _points: np.ndarray, _labels: np.ndarray) -> lm.MLPView:
    """Train the small network on these points (cached per data, architecture and seed)."""
    return lm.mlp_view(_points, _labels, width, depth, steps, seed, extent)


@st.cache_data(max_entries=32, show_spinner=False)
def line_facts(data_key: str, _points: np.ndarray, _labels: np.ndarray) -> tuple[bool, lc.ManyStarts]:
    """Whether a line splits these points, and descent in (w1, w2, b) from many random starts (cached per data)."""
    return lc.linearly_separable(_points, _labels), lc.descent_from_many_starts(_points, _labels)


def _fmt(value: float, decimals: int = 2) -> str:
    """A number for the narrative, never shown as "-0.00"."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _signed(value: float, decimals: int = 3) -> str:
    """A number with its sign always written, for sums like "2.1 x + 0.5 y − 1.0"."""
    text = _fmt(value, decimals)
    return text if text.startswith("-") else "+" + text


def _bump(key: str) -> None:
    st.session_state[key] = st.session_state.get(key, 0) + 1


def _set_edits(text: str) -> None:
    """Replace the hand edits and start the table editor afresh from them."""
    st.session_state["lc_edits"] = text
    _bump("lc_editor_gen")


def _play() -> None:
    st.session_state["lc_playing"] = True


def _pause() -> None:
    st.session_state["lc_playing"] = False


def _step_once() -> None:
    st.session_state["lc_playing"] = False
    st.session_state["lc_trainer"].run(1)


def _reset_training() -> None:
    st.session_state["lc_playing"] = False
    st.session_state.pop("lc_trainer_key", None)


def _try_big_steps() -> None:
    st.session_state.update(lc_preset="overlapping", lc_opt="momentum", lc_lr="10", lc_anneal="none",
                            lc_playing=True)


def _try_annealing() -> None:
    st.session_state.update(lc_anneal="exponential", lc_playing=True)


st.title(LESSON.title)
st.markdown(
    "The simplest classifier there is: draw a **straight line** and call everything on one side *class A* and "
    "everything on the other *class B*. Finding a good line by hand is easy; the interesting part is how a computer "
    "finds it — by rolling downhill on a landscape of mistakes. Everything the big networks do later is this same "
    "recipe, repeated."
)

# ---------------------------------------------------------------------------------------------------------- data
st.header("1 · Two clouds of points")
init_from_url("lc_preset", list(ld.PRESETS), "separable")
init_number_from_url("lc_noise", 0.2, 0.0, 1.0)
init_number_from_url("lc_seed", 0, 0, 9999, integer=True)
data_cols = st.columns([3, 3, 2, 2], vertical_alignment="bottom")
preset = data_cols[0].selectbox("Data set", list(ld.PRESETS), key="lc_preset", format_func=ld.PRESET_TITLES.get)
noise = data_cols[1].slider("Noise", 0.0, 1.0, step=0.05, key="lc_noise",
                            help="How far points scatter around their class's shape.")
seed = int(data_cols[2].number_input("Seed", 0, 9999, step=1, key="lc_seed",
                                     help="Same seed, same points and the same random starting line."))
base_points, base_labels = ld.make_dataset(preset, noise, seed)

source = (preset, float(noise), seed)
if "lc_edits" not in st.session_state:  # first run: hand edits may come with a shared link
    edits_in_url = ld.decode_edits(st.query_params.get("lc_edits"), len(base_points))
    st.session_state.update(lc_edits=ld.encode_edits(edits_in_url), lc_edits_source=source, lc_editor_gen=0)
elif st.session_state.get("lc_edits_source") != source:  # new data: hand edits belonged to the old points
    st.session_state["lc_edits_source"] = source
    _set_edits("")
data_cols[3].button("Reset points", key="lc_reset_points", on_click=_set_edits, args=("",), width="stretch",
                    help="Forget the points you added or removed.")

edits = ld.decode_edits(st.session_state["lc_edits"], len(base_points))
with st.expander("Edit the points as a table"):
    st.caption("Change a coordinate or a class, add rows at the bottom, or select rows and delete them. "
               "Clicking the chart in section 3 does the same.")
    table_key = f"lc_editor_{st.session_state['lc_editor_gen']}"
    if f"{table_key}_base" not in st.session_state:
        for stale in [k for k in st.session_state if str(k).startswith("lc_editor_") and str(k).endswith("_base")]:
            del st.session_state[stale]
        st.session_state[f"{table_key}_base"] = pd.DataFrame(
            ld.points_table(*ld.apply_edits(base_points, base_labels, edits)))
    edited = st.data_editor(
        st.session_state[f"{table_key}_base"], key=table_key, num_rows="dynamic", hide_index=True, height=260,
        column_config={
            "id": st.column_config.TextColumn("point", disabled=True, help="p = from the data set, a = added"),
            "x": st.column_config.NumberColumn("x", min_value=-10.0, max_value=10.0, format="%.2f"),
            "y": st.column_config.NumberColumn("y", min_value=-10.0, max_value=10.0, format="%.2f"),
            "class": st.column_config.SelectboxColumn("class", options=list(ld.CLASS_NAMES), required=True),
        },
    )
    from_table = ld.edits_from_table(base_points, base_labels, edited.to_dict("records"))
    if from_table != edits:
        st.session_state["lc_edits"] = ld.encode_edits(from_table)
        edits = from_table

points, labels, point_ids = ld.apply_edits(base_points, base_labels, edits)
data_key = f"{preset}|{noise}|{seed}|{st.session_state['lc_edits']}"
separable, many_starts = line_facts(data_key, points, labels)
extent = lc.view_extent(points)
count_a, count_b = int((labels < 0.5).sum()), int((labels > 0.5).sum())
edit_note = "" if edits.empty else f" — {len(edits.removed)} removed and {len(edits.added)} added by hand"
st.markdown(
    f"**{count_a}** points of class **A** (blue circles) and **{count_b}** of class **B** (orange squares)"
    f"{edit_note}. Each point is just two numbers, its x and y. " + lc.separability_note(separable)
)
edit_text = st.session_state["lc_edits"]
if len(edit_text) > ld.MAX_EDIT_TEXT:
    st.caption("A shared link carries the data set, noise and seed; you have edited too many points for the link "
               "to carry them too, so it reproduces the data set without your edits.")
else:
    st.caption("A shared link (the address bar) carries the data set, noise, seed, your hand edits and every "
               "setting below, including the step count.")

# ----------------------------------------------------------------------------------------------- line and loss
st.header("2 · A line, a squash and a score")
explain, curve = st.columns([3, 2])
explain.markdown(
    "A line in the plane is **w₁·x + w₂·y + b = 0**. Three numbers, but it is easier to think of them as:\n"
    "- **rotation θ** — the direction the arrow (the line's *normal*, the vector w) points to: "
    "θ = atan2(w₂, w₁);\n"
    "- **offset** — how far the line sits from the origin, measured along that arrow: −b/|w|;\n"
    "- **sharpness |w|** — the arrow's length.\n\n"
    "For any point, **w·x + b = |w| × (signed distance to the line)**: positive on the arrow's side, negative on "
    "the other. The **sigmoid** σ(z) = 1/(1 + e⁻ᶻ) squashes that number into a probability of class B — 50 % on "
    "the line, near 100 % far on the arrow's side. Sharpness sets how fast it gets sure (the dashed lines in "
    "section 3 mark 90 % sure).\n\n"
    "The score is the **binary cross-entropy**: −log of the probability the model gave the *right* class, "
    "averaged over points. A confident right answer costs almost nothing, a confident wrong one costs a lot."
)
init_from_url("lc_init", list(INIT_LABELS), "random")
init_number_from_url("lc_theta", 0, -180, 180, integer=True)
init_number_from_url("lc_offset", 0.0, -3.0, 3.0)
init_number_from_url("lc_sharp", 1.0, 0.1, 10.0)
init_cols = st.columns([2, 2, 2, 2])
init_mode = init_cols[0].radio("Starting line", list(INIT_LABELS), key="lc_init", format_func=INIT_LABELS.get)
by_hand = init_mode == "manual"
theta_deg = init_cols[1].slider("Rotation θ (°)", -180, 180, step=5, key="lc_theta", disabled=not by_hand)
offset0 = init_cols[2].slider("Offset", -3.0, 3.0, step=0.05, key="lc_offset", disabled=not by_hand)
sharp0 = init_cols[3].slider("Sharpness |w|", 0.1, 10.0, step=0.1, key="lc_sharp", disabled=not by_hand)

# ---------------------------------------------------------------------------------------------------- training
st.header("3 · Watch gradient descent")
st.markdown(
    "Training means: compute the loss, find which way is **downhill** for each of the three numbers (the gradient "
    "— the slope under your feet), and take a step that way. The **learning rate** is the step size. "
    "**Momentum** keeps some of the previous step's speed, so it rolls through small bumps; **Adam** gives each "
    "number its own step size from the history of its gradients, so you rarely have to tune it."
)
init_from_url("lc_opt", list(lc.OPTIMISERS), "sgd")
init_from_url("lc_lr", LR_CHOICES, "0.5")
init_from_url("lc_anneal", list(lc.SCHEDULES), "none")
init_from_url("lc_max_steps", MAX_STEP_CHOICES, "500")
init_number_from_url("lc_spf", lc.STEPS_PER_FRAME, 1, 50, integer=True)
opt_cols = st.columns([3, 3, 2, 2, 2])
optimiser = opt_cols[0].radio("Optimiser", list(lc.OPTIMISERS), key="lc_opt", format_func=lc.OPTIMISERS.get)
lr = float(opt_cols[1].select_slider("Learning rate", LR_CHOICES, key="lc_lr",
                                     help="Step size, on a log scale from 0.0001 to 10."))
schedule = opt_cols[2].selectbox("Annealing", list(lc.SCHEDULES), key="lc_anneal", format_func=lc.SCHEDULES.get,
                                 help="Shrink the learning rate as training goes on.")
max_steps = int(opt_cols[3].selectbox("Max steps", MAX_STEP_CHOICES, key="lc_max_steps"))
steps_per_frame = opt_cols[4].slider("Steps per frame", 1, 50, key="lc_spf",
                                     help="Optimisation steps between two pictures while playing.")

config = lc.TrainConfig(
    optimiser=optimiser, lr=lr, schedule=schedule, max_steps=max_steps, init=init_mode, seed=seed,
    theta=math.radians(theta_deg), offset=float(offset0), sharpness=float(sharp0))
init_number_from_url("lc_step", 0, 0, int(MAX_STEP_CHOICES[-1]), integer=True)
if "lc_restore_step" not in st.session_state:
    st.session_state["lc_restore_step"] = st.session_state["lc_step"]  # a shared link's step count, used once
training_key = (source, st.session_state["lc_edits"], lc.run_key(config))
if st.session_state.get("lc_trainer_key") != training_key or st.session_state["lc_trainer"].step > max_steps:
    target = min(int(st.session_state.pop("lc_restore_step", 0) or 0), max_steps)
    st.session_state["lc_trainer"] = lc.train_to(points, labels, config, target)
    st.session_state["lc_trainer_key"] = training_key
    st.session_state["lc_restore_step"] = 0
st.session_state.setdefault("lc_playing", False)
trainer: lc.Trainer = st.session_state["lc_trainer"]
if trainer.config.max_steps != max_steps:  # no annealing: a new limit continues the same run
    trainer.set_max_steps(max_steps)
if trainer.done:
    st.session_state["lc_playing"] = False
playing = bool(st.session_state["lc_playing"])

start = lc.params_from_weights(*lc.initial_weights(config))
if not by_hand:
    init_cols[0].caption(f"This seed starts at θ = {math.degrees(start.theta):.0f}°, offset {start.offset:.2f}, "
                         f"|w| = {start.sharpness:.2f}.")
curve.altair_chart(charts.sigmoid_chart(round(start.sharpness, 2)), width="stretch")
curve.caption("The sigmoid of the signed distance, for the starting line's sharpness and for |w| = 1.")

buttons = st.columns(4)
buttons[0].button("Play", key="lc_play", icon=":material/play_arrow:", on_click=_play,
                  disabled=playing or trainer.done, width="stretch")
buttons[1].button("Pause", key="lc_pause", icon=":material/pause:", on_click=_pause, disabled=not playing,
                  width="stretch")
buttons[2].button("Step", key="lc_step_once", icon=":material/skip_next:", on_click=_step_once,
                  disabled=trainer.done, width="stretch", help="One optimisation step.")
buttons[3].button("Reset", key="lc_reset", icon=":material/restart_alt:", on_click=_reset_training,
                  width="stretch", help="Back to the starting line, step 0.")
st.caption("Play runs until you pause or the max step count is reached. Changing a setting restarts from the "
           "starting line (raising the max steps without annealing carries on).")


def live_view() -> None:
    """Advance training while playing, then draw the data, the line, the curves, the landscape and the algebra."""
    trainer: lc.Trainer = st.session_state["lc_trainer"]
    if st.session_state.get("lc_playing"):
        trainer.run(steps_per_frame)
        st.session_state["lc_step"] = trainer.step
        st.query_params["lc_step"] = str(trainer.step)
        if trainer.done:
            st.session_state["lc_playing"] = False
            st.rerun()  # a full run turns the timer off
    frame = lc.make_frame(trainer, extent)
    specs = charts.frame_specs(frame, trainer.history, points, labels, point_ids, max_steps)
    history = trainer.history
    w1, w2, b = frame.weights
    line = frame.line

    metrics = st.columns(5)
    metrics[0].metric(f"Step (of {max_steps})", f"{trainer.step}")
    metrics[1].metric("Loss", f"{history.loss[-1]:.4f}")
    metrics[2].metric("Accuracy", f"{history.accuracy[-1]:.1%}")
    metrics[3].metric("Learning rate", f"{trainer.current_lr():.3g}")
    metrics[4].metric("Sharpness |w|", f"{line.sharpness:.2f}")

    left, right = st.columns([3, 2])
    with left:
        add_as = st.radio("Click adds", list(ld.CLASS_NAMES), key="lc_click_class", horizontal=True,
                          format_func=lambda c: f"class {c}",
                          help="Click an empty spot of the chart to add a point there; click a point to remove it.")
        event = st.vega_lite_chart(specs.field, key=f"lc_field_{st.session_state.get('lc_click_gen', 0)}",
                                   on_select="rerun", selection_mode=["cell", "pt"], width="content")
        selection = dict(event.selection) if event is not None else {}
        edited_by_click = ld.edit_from_click(edits, selection, ld.CLASS_NAMES.index(add_as), len(base_points))
        if edited_by_click is not None:
            _bump("lc_click_gen")  # a fresh chart: its selection is cleared, so one click is one edit
            if edited_by_click != edits:
                _set_edits(ld.encode_edits(edited_by_click))
            st.rerun()
    with right:
        st.vega_lite_chart(specs.curves, width="stretch")
        st.caption("Background of the data chart: the model's probability of class B. Solid line: the decision "
                   "boundary (50 %); dashed: 90 % sure either way; arrow: the normal w, pointing to class B's "
                   "side. Click an empty spot to add a point, click a point to remove it.")
        if trainer.done:
            st.success(f"Reached the max step count ({max_steps}). "
                       + ("Raise the max steps to go on, or reset." if schedule == "none" else
                          "Reset, or raise the max steps to run the whole annealing schedule again."))

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
                                         separable, len(frame.minima), line.sharpness))
        lowest = ""
        if minima := frame.minima:
            best = min(minima, key=lambda ij: frame.landscape[ij])
            lowest = (f"The lowest marked valley of this slice: θ = {math.degrees(frame.thetas[best[1]]):.0f}°, "
                      f"offset {frame.offsets[best[0]]:.2f}. ")
        st.caption(f"{lowest}The {lc.DESCENT_STARTS} runs of plain gradient descent each start with w₁, w₂ and b "
                   f"drawn between −{lc.START_SPREAD:g} and {lc.START_SPREAD:g} and take {many_starts.steps} steps "
                   f"of size {many_starts.step_size:.2f}, worked out from the points so that every step goes "
                   "downhill.")
    with land_right:
        st.markdown(
            "**Too big a step** can jump across a valley instead of into it: watch for a trail that zig-zags, a "
            "sharpness that swings and a loss curve that saw-tooths. **Annealing** starts with big steps to travel "
            "far and shrinks them to settle in. Try both below and watch whether the trail settles."
        )
        st.button("Try lr = 10", key="lc_try_big", on_click=_try_big_steps, width="stretch",
                  help="SGD + momentum at learning rate 10 on the overlapping clouds, playing.")
        st.button("…then anneal it", key="lc_try_anneal", on_click=_try_annealing, width="stretch",
                  help="The same with exponential decay of the learning rate.")
        st.caption("Try lr = 10 switches to SGD + momentum on the overlapping clouds and plays.")

    st.header("5 · From parameters to the line")
    form = lc.line_form(w1, w2, b)
    numbers, params = st.columns([1, 1])
    with numbers:
        st.markdown("The model *is* these three numbers (`torch.nn.Linear(2, 1)`):")
        st.latex(rf"W = \begin{{bmatrix}} {_fmt(w1, 3)} & {_fmt(w2, 3)} \end{{bmatrix}},\qquad b = {_fmt(b, 3)}")
    with params:
        st.markdown(
            f"- rotation θ = atan2(w₂, w₁) = **{math.degrees(line.theta):.1f}°**\n"
            f"- sharpness |w| = √(w₁² + w₂²) = **{line.sharpness:.3f}**\n"
            f"- offset = −b / |w| = **{line.offset:.3f}**"
        )
    st.markdown("Set the logit to zero and solve for y — high-school algebra:")
    equation = rf"{_fmt(w1, 3)}\,x {_signed(w2)}\,y {_signed(b)} &= 0"
    if form.vertical:
        solved = rf"\Rightarrow\quad x &= -\frac{{b}}{{w_1}} = {_fmt(form.x_at, 3)}"
    else:
        solved = (rf"\Rightarrow\quad y &= -\frac{{w_1}}{{w_2}}\,x - \frac{{b}}{{w_2}} = {_fmt(form.slope, 3)}\,x "
                  rf"{_signed(form.intercept)}")
    st.latex(rf"\begin{{aligned}} {equation} \\ {solved} \end{{aligned}}")
    if form.vertical:
        st.caption("w₂ is (almost) zero, so the line is vertical: dividing by w₂ is not allowed.")
    if line.sharpness > 0:
        foot = (line.offset * math.cos(line.theta), line.offset * math.sin(line.theta))
        st.markdown(
            f"Check: the point offset × (cos θ, sin θ) = ({foot[0]:.3f}, {foot[1]:.3f}) lies on the line — its "
            f"logit is {lc.logits(w1, w2, b, np.array([foot]))[0]:.1e}, so the model is exactly 50 % unsure there."
        )


st.fragment(run_every=FRAME_SECONDS if playing else None)(live_view)()

# ------------------------------------------------------------------------------------------------ beyond a line
st.header("6 · Beyond a line: layers bend space")
st.markdown(
    "XOR, a circle in a ring, two spirals: no single line separates these. The fix is to let the network **move "
    "the points first**. A hidden layer computes several lines at once and squashes each with tanh; the next layer "
    "does the same to those numbers. Each layer is a smooth warp of the plane. Train the warps and the final "
    "linear classifier together, and the classes end up on different sides of a straight line — in the warped "
    "space. Here the last hidden layer has exactly **two** units, so that space is a plane we can draw."
)
init_from_url("lc_mlp_width", [str(w) for w in MLP_WIDTHS], "16")
init_number_from_url("lc_mlp_depth", 1, 1, 3, integer=True)
init_from_url("lc_mlp_steps", MLP_STEPS, "1000")
mlp_cols = st.columns([3, 2, 2, 3])
width = int(mlp_cols[0].select_slider("Hidden width", [str(w) for w in MLP_WIDTHS], key="lc_mlp_width"))
depth = int(mlp_cols[1].slider("Wide layers", 1, 3, key="lc_mlp_depth"))
mlp_steps = int(mlp_cols[2].selectbox("Training steps", MLP_STEPS, key="lc_mlp_steps"))
architecture = " → ".join(["2"] + [str(width)] * depth + ["2", "1"])
mlp_cols[3].caption(f"Network: {architecture}, tanh after every hidden layer; Adam, learning rate "
                    f"{lm.MLP_LR}, every point in every step.")
if separable:
    st.button("These points are easy — switch the data set to XOR", key="lc_to_xor", icon=":material/shuffle:",
              on_click=st.session_state.update, kwargs={"lc_preset": "xor"})
with st.status(f"Training the {architecture} network…", expanded=False) as status:
    view = network_view(data_key, width, depth, mlp_steps, seed, extent, points, labels)
    status.update(label=f"Network {architecture} ({view.parameters} numbers) trained for {mlp_steps} steps: "
                        f"{view.accuracy:.1%} of the points right.", state="complete")
mlp_left, mlp_right = st.columns(2)
mlp_left.vega_lite_chart(charts.mlp_input_spec(view, points, labels, extent), width="content")
mlp_right.vega_lite_chart(charts.hidden_space_spec(view, labels), width="content")
st.markdown(lm.network_summary(view.boundary_bend, view.cell, view.accuracy, view.hidden_line_accuracy,
                               many_starts.line_accuracy, view.weights))
st.markdown(
    "The straight grid lines on the left are the plane before any warping; on the right they are bent by the hidden "
    "layers. That is why we stack layers: each one can make the next one's job more linear. Does your network push "
    "each class into its own corner of the right-hand square (its tanh units saturating)? With fewer training "
    "steps, is the warp half-way? Try a width of 2, or 250 steps, on the spirals."
)

# --------------------------------------------------------------------------------------------------------- URL
st.session_state["lc_step"] = st.session_state["lc_trainer"].step
mirror_to_url(*URL_KEYS, "lc_step")
if edit_text and len(edit_text) <= ld.MAX_EDIT_TEXT:
    if st.query_params.get("lc_edits") != edit_text:
        st.query_params["lc_edits"] = edit_text
elif "lc_edits" in st.query_params:
    del st.query_params["lc_edits"]
