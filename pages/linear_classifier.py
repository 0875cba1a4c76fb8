"""Lesson page: Linear classifier — a line between two clouds of points, found by gradient descent, watched live on
the data and on the loss landscape; then a small network that bends space where no line will do."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from lessons.linear import compute as lc
from lessons.linear import conclusions
from lessons.linear import data as ld
from lessons.linear import mlp as lm
from ui import linear_charts as charts
from ui import linear_widgets as widgets
from ui.exercises import exercises_at, notice
from ui.navigation import lesson_by_path
from ui.presenter import section
from ui.routing import route_through_app
from ui.settings.linear_classifier import STATE

route_through_app()
STATE.start()
LESSON = lesson_by_path("pages/linear_classifier.py")
FRAME_SECONDS = 0.25


@section
def intro() -> None:
    st.title(LESSON.title)
    st.markdown(
        "The simplest classifier there is: draw a **straight line** and call everything on one side *class A* and "
        "everything on the other *class B*. Finding a good line by hand is easy; the interesting part is how a "
        "computer finds it — by rolling downhill on a landscape of mistakes. Everything the big networks do later is "
        "this same recipe, repeated."
    )


@section
def section_points() -> ld.PointSet:
    """Section 1: the data set, noise, seed and hand edits; returns the points."""
    st.header("1 · Two clouds of points")
    data = widgets.edited_points()
    count_a, count_b = ld.class_counts(data.labels)
    separable, _ = widgets.line_facts(data.key, data.points, data.labels)
    st.markdown(
        f"**{count_a}** points of class **A** (blue circles) and **{count_b}** of class **B** (orange squares)"
        f"{ld.edit_note(data.edits)}. Each point is just two numbers, its x and y. " + lc.separability_note(separable)
    )
    if not widgets.edits_fit_the_link():
        st.caption("A shared link carries the data set, noise and seed; you have edited too many points for the "
                   "link to carry them too, so it reproduces the data set without your edits.")
    else:
        st.caption("A shared link (the address bar) carries the data set, noise, seed, your hand edits and every "
                   "setting below, including the step count.")
    exercises_at(LESSON.url_path, "points")
    return data


@section
def section_line() -> tuple[DeltaGenerator, DeltaGenerator]:
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
    start_note = widgets.start_line_controls()
    exercises_at(LESSON.url_path, "line", {"start_sharpness": round(widgets.starting_line().sharpness, 2)})
    return curve, start_note


@section
def section_training(data: ld.PointSet, curve: DeltaGenerator, start_note: DeltaGenerator) -> lc.TrainConfig:
    """Section 3's controls and buttons (the live view follows as a fragment); returns the training config."""
    st.header("3 · Watch gradient descent")
    st.markdown(
        "Training means: compute the loss, find which way is **downhill** for each of the three numbers (the "
        "gradient — the slope under your feet), and take a step that way. The **learning rate** is the step size. "
        "**Momentum** keeps some of the previous step's speed, so it rolls through small bumps; **Adam** gives each "
        "number its own step size from the history of its gradients, so you rarely have to tune it."
    )
    config = widgets.training_controls()
    widgets.current_trainer(data, config)
    start = lc.params_from_weights(*lc.initial_weights(config))
    if config.init != "manual":
        start_note.caption(f"This seed starts at θ = {start.degrees:.0f}°, offset {start.offset:.2f}, "
                           f"|w| = {start.sharpness:.2f}.")
    curve.altair_chart(charts.sigmoid_chart(round(start.sharpness, 2)), width="stretch")
    curve.caption("The sigmoid of the signed distance, for the starting line's sharpness and for |w| = 1.")
    st.caption("Play (above the chart) runs until you pause or the max step count is reached. Changing a setting "
               "restarts from the starting line (raising the max steps without annealing carries on).")
    exercises_at(LESSON.url_path, "training")
    return config


@section
def data_view(data: ld.PointSet, trainer: lc.Trainer, frame: lc.Frame, specs: charts.FrameSpecs,
              config: lc.TrainConfig, paused: bool) -> None:
    """Play/Pause and the step counter, the clickable data chart with the line and field, the numbers of the moment
    and the training curves (with downloads while paused)."""
    widgets.training_bar(trainer)
    left, right = st.columns([3, 2])
    with left:
        widgets.clickable_field(data, specs.field)
        if paused:
            widgets.field_downloads(data, specs.field, trainer.step)
    with right:
        widgets.training_metrics(trainer, frame.line.sharpness)
        st.vega_lite_chart(specs.curves, width="stretch")
        if paused:
            widgets.curves_downloads(trainer, specs.curves)
        st.caption("Background of the data chart: the model's probability of class B. Solid line: the decision "
                   "boundary (50 %); dashed: 90 % sure either way; arrow: the normal w, pointing to class B's "
                   "side. Click an empty spot to add a point, click a point to remove it.")
        if trainer.done:
            st.success(f"Reached the max step count ({config.max_steps}). "
                       + ("Raise the max steps to go on, or reset." if config.schedule == "none" else
                          "Reset, or raise the max steps to run the whole annealing schedule again."))


@section
def section_landscape(frame: lc.Frame, specs: charts.FrameSpecs, data: ld.PointSet, trainer: lc.Trainer,
                      paused: bool) -> None:
    """Section 4: the loss over (rotation, offset) with the path so far, what many starts find, big steps; what the
    run's loss did, and the exercise that makes it climb."""
    separable, many_starts = widgets.line_facts(data.key, data.points, data.labels)
    st.header("4 · The energy landscape")
    st.vega_lite_chart(specs.landscape, width="stretch")
    if paused:
        widgets.landscape_downloads(frame, specs.landscape)
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
        widgets.big_step_buttons()
        st.caption("Both switch to SGD + momentum at learning rate 10 on the overlapping clouds (the second with "
                   "exponential annealing) and play from step 0.")
    notice(conclusions.descent_notice(trainer.history.loss))
    exercises_at(LESSON.url_path, "landscape", widgets.descent_facts(trainer))


@section
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
    exercises_at(LESSON.url_path, "algebra")


def live_view(data: ld.PointSet, config: lc.TrainConfig) -> None:
    """Advance training while playing, then draw the data, the line, the curves, the landscape and the algebra.

    Runs on its own every frame while playing (a fragment); a button inside it that changes anything else has the
    whole page run instead."""
    widgets.run_whole_page_if_asked()
    trainer: lc.Trainer = st.session_state["lc_trainer"]
    widgets.advance(trainer, FRAME_SECONDS)
    paused = not st.session_state["lc_playing"]
    extent = lc.view_extent(data.points)
    frame = lc.make_frame(trainer, extent)
    specs = charts.frame_specs(frame, trainer.history, data.points, data.labels, data.ids, config.max_steps)
    data_view(data, trainer, frame, specs, config, paused)
    section_landscape(frame, specs, data, trainer, paused)
    section_algebra(frame)
    widgets.link_the_run()
    STATE.write_url()


@section
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
    width, depth, steps = widgets.network_controls()
    separable, many_starts = widgets.line_facts(data.key, data.points, data.labels)
    if separable:
        st.button("These points are easy — switch the data set to XOR", key="lc_to_xor", icon=":material/shuffle:",
                  on_click=widgets.change, kwargs={"lc_preset": "xor"})
    extent = lc.view_extent(data.points)
    view = widgets.trained_network(data, width, depth, steps, extent)
    facts = widgets.network_facts(data, width, depth, steps, view, many_starts)
    if facts["narrow_spirals"] is None:
        st.button("Two spirals, hidden width 2", key="lc_to_narrow_spirals", icon=":material/cyclone:",
                  on_click=widgets.change, kwargs={"lc_preset": "spiral", "lc_mlp_width": "2"},
                  help="Switch the data set to the two spirals and the hidden width to 2.")
    revealed = exercises_at(LESSON.url_path, "network", facts)
    if revealed or facts["narrow_spirals"] is None:  # only the predicted experiment waits for the prediction
        widgets.network_status(view, lm.architecture(width, depth), steps)
        widgets.network_charts(view, data, extent, lm.architecture(width, depth))
        st.markdown(lm.network_summary(view.boundary_bend, view.cell, view.accuracy, view.hidden_line_accuracy,
                                       many_starts.line_accuracy, view.weights))
        notice(conclusions.warp_notice(view.hidden_line_accuracy, many_starts.line_accuracy))
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
widgets.link_the_run()
STATE.write_url()
