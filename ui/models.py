"""Loading models in a page: progress while loading or training, clear messages when weights are missing."""

from __future__ import annotations

import streamlit as st

from lessons.core import registry
from lessons.core import weights
from ui.state import init_from_url


def load_with_progress(key: str, weights_kind: registry.Weights) -> registry.LoadedModel | None:
    """Return the shared model, showing progress the first time; None (with a message shown) if unavailable."""
    spec = registry.spec_for(key)
    status = registry.availability(key, weights_kind)
    if not status.ok:
        st.warning(f"**{spec.title}** with pretrained weights is not available: {status.reason}.")
        return None
    if registry.is_loaded(key, weights_kind):
        return registry.load_model(key, weights_kind)
    with st.status(f"Loading {spec.title}…", expanded=False) as box:
        bar = st.progress(0.0)

        def report(fraction: float, message: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=message)

        loaded = registry.load_model(key, weights_kind, progress=report)
        box.update(label=f"{loaded.title} ready", state="complete")
    return loaded


def offer_download(key: str) -> None:
    """A button that fetches an online model's weights with a progress bar and a time limit."""
    spec = registry.spec_for(key)
    if spec.offline or registry.availability(key).ok:
        return
    if st.button(f"Download {spec.title} weights", key=f"download_{key}",
                 help="Needs an internet connection. Gives up after two minutes; nothing else is affected."):
        bar = st.progress(0.0, text="connecting…")
        try:
            registry.download_pretrained(key, progress=lambda f, m: bar.progress(min(f, 1.0), text=m),
                                        timeout_s=120)
        except weights.WeightsUnavailable as error:
            bar.empty()
            st.error(f"Could not download the {spec.title} weights: {error}.")
        else:
            st.success(f"{spec.title} weights downloaded.")
            st.rerun()


WEIGHT_LABELS = {"pretrained": "Trained weights", "random": "Random weights (untrained twin)"}


def model_picker(without_weights: str) -> tuple[str, registry.Weights, registry.ModelSpec]:
    """Network and weights choosers (session keys `model` and `weights`, seeded from the URL) with the network's
    description; when trained weights are missing, a warning ending in `without_weights`, a download button, and
    the random twin instead. Returns (model key, weights in use, spec)."""
    model_keys = registry.model_keys()
    init_from_url("model", model_keys, registry.DEFAULT_MODEL)
    init_from_url("weights", list(WEIGHT_LABELS), "pretrained")
    controls = st.columns([2, 2, 3])
    model_key = controls[0].selectbox("Network", model_keys, key="model",
                                      format_func=lambda k: registry.spec_for(k).title)
    weights_kind = controls[1].radio("Weights", list(WEIGHT_LABELS), key="weights", format_func=WEIGHT_LABELS.get)
    spec = registry.spec_for(model_key)
    controls[2].caption(spec.about)
    status = registry.availability(model_key)
    if weights_kind == "pretrained" and not status.ok:
        st.warning(f"**{spec.title}**'s trained weights are not on this computer: {status.reason}. {without_weights}")
        offer_download(model_key)
        weights_kind = "random"
    return model_key, weights_kind, spec
