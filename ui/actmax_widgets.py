"""The activation-maximisation page's controls: which unit to maximise, and the priors with their weights."""

from __future__ import annotations

import streamlit as st

from lessons.actmax import compute as am
from lessons.actmax import plan
from lessons.core import registry
from ui.settings.activation_maximization import PRIORS, STATE


def run_button(label: str, key: str, asked_key: str, asked_for: object, **options: object) -> bool:
    """A button that asks for the run `asked_for`; whether that is the run the student last asked for (`asked_key`
    remembers the request the button was last pressed for)."""
    if st.button(label, key=key, **options):
        st.session_state[asked_key] = asked_for
    return st.session_state.get(asked_key) == asked_for


def unit_picker(loaded: registry.LoadedModel, target: str) -> am.Unit:
    """The class, or the layer and channel, whose activation is maximised."""
    names = registry.class_names(loaded.spec)
    layers = loaded.spatial_layers
    STATE.bind("am_class", high=len(names) - 1)
    layer = STATE.bind("am_layer", options=layers, default="blocks.8" if "blocks.8" in layers else layers[-1])
    STATE.bind("am_unit", high=am.unit_count(loaded, "channel", layer) - 1)
    if target == "class":
        index = st.selectbox("Class (type to search)", list(range(len(names))), key="am_class",
                             format_func=lambda i: f"{i}: {names[i]}")
        return am.Unit(target, loaded.layer_names[-1], int(index))
    left, right = st.columns(2)
    layer = left.selectbox("Layer", layers, key="am_layer", help="Early layers respond to edges and colours, middle "
                           "ones to textures and patterns, late ones to parts and objects.")
    count = am.unit_count(loaded, "channel", layer)
    index = right.number_input(f"Channel (0–{count - 1})", 0, count - 1, key="am_unit", step=1)
    return am.Unit(target, layer, int(index))


def priors_panel(method: str) -> tuple[dict[str, bool], dict[str, float], int, int, float]:
    """The priors' toggles and weights, the steps, the seed and the diversity weight."""
    gradient = plan.uses_gradients(method)
    with st.expander("Priors p(x) and settings", expanded=True):
        if not gradient:
            st.caption("These priors act on gradient ascent; evolution and the generator bring their own.")
        switched_on: dict[str, bool] = {}
        weights: dict[str, float] = {}
        columns = st.columns(3)
        for n, (name, prior) in enumerate(PRIORS.items()):
            box = columns[n % 3]
            switched_on[name] = box.toggle(prior.label, key=f"am_{name}", help=prior.help, disabled=not gradient)
            if prior.weight_key is None:
                continue
            low, high = (int(prior.low), int(prior.high)) if prior.whole_steps else (prior.low, prior.high)
            weights[name] = float(box.slider("k (steps)" if prior.whole_steps else "weight", low, high,
                                             key=prior.weight_key, disabled=not (switched_on[name] and gradient),
                                             label_visibility="visible"))
        row = st.columns(3)
        steps = row[0].slider("Steps", 4, 256, key="am_steps")
        seed = row[1].number_input("Random seed", 0, 999, key="am_seed")
        diversity = row[2].slider("Diversity weight (comparison a)", 0.0, 100.0, key="am_diversity", step=5.0,
                                  help="For a batch of four images: reward images whose feature statistics differ.")
    return switched_on, weights, int(steps), int(seed), float(diversity)
