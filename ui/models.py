"""The one model picker, and loading a registry model in a page with progress and clear messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from lessons.core import registry, weights
from ui.progress import progress_bar, progress_status
from ui.state import Setting, choice

WEIGHT_LABELS = {"pretrained": "Trained weights", "random": "Random weights (untrained twin)"}


def load_with_progress(key: str, weights_kind: registry.Weights) -> registry.LoadedModel | None:
    """Return the shared model, showing progress the first time; None (with a message shown) if unavailable."""
    spec = registry.spec_for(key)
    status = registry.availability(key, weights_kind)
    if not status.ok:
        st.warning(f"**{spec.title}** with pretrained weights is not available: {status.reason}.")
        return None
    if registry.is_loaded(key, weights_kind):
        return registry.load_model(key, weights_kind)
    with progress_status(f"Loading {spec.title}…", f"{spec.title} ready") as report:
        return registry.load_model(key, weights_kind, progress=report)


def offer_download(key: str) -> None:
    """A button that fetches an online model's weights with a progress bar and a time limit."""
    spec = registry.spec_for(key)
    if spec.offline or registry.availability(key).ok:
        return
    if st.button(f"Download {spec.title} weights", key=f"download_{key}",
                 help="Needs an internet connection. Gives up after two minutes; nothing else is affected."):
        try:
            with progress_bar("connecting…") as report:
                registry.download_pretrained(key, progress=report, timeout_s=120)
        except weights.WeightsUnavailable as error:
            st.error(f"Could not download the {spec.title} weights: {error}.")
        else:
            st.success(f"{spec.title} weights downloaded.")
            st.rerun()


def model_settings(model_key: str, offered: Sequence[str], default: str,
                   weights_key: str | None = None) -> tuple[Setting, ...]:
    """The declared settings behind `model_picker`: the network, and (when `weights_key` is given) its weights."""
    network = choice(model_key, default, offered)
    if weights_key is None:
        return (network,)
    return network, choice(weights_key, "pretrained", list(WEIGHT_LABELS))


def model_picker(model_key: str, offered: Sequence[str], *, weights_key: str | None = None,
                 labels: Mapping[str, str] | None = None, without_weights: str = "",
                 label: str = "Network") -> tuple[str, registry.Weights, registry.ModelSpec]:
    """The network chooser (and weights chooser when `weights_key` is given) with the network's description.

    Both keys must be declared with `model_settings`. `labels` overrides a network's title in the list. When trained
    weights are missing, a warning ending in `without_weights`, a download button, and the random twin instead.
    Returns (model key, weights in use, spec)."""
    titles = dict(labels or {})
    controls = st.columns([2, 2, 3] if weights_key else [3, 4])
    model_key_chosen = controls[0].selectbox(label, list(offered), key=model_key,
                                             format_func=lambda k: titles.get(k) or registry.spec_for(k).title)
    weights_kind: registry.Weights = "pretrained"
    if weights_key is not None:
        weights_kind = controls[1].radio("Weights", list(WEIGHT_LABELS), key=weights_key,
                                         format_func=WEIGHT_LABELS.get)
    spec = registry.spec_for(model_key_chosen)
    controls[-1].caption(spec.about)
    status = registry.availability(model_key_chosen)
    if weights_kind == "pretrained" and not status.ok:
        st.warning(f"**{spec.title}**'s trained weights are not on this computer: {status.reason}. {without_weights}")
        offer_download(model_key_chosen)
        weights_kind = "random"
    return model_key_chosen, weights_kind, spec
