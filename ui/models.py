"""Loading models in a page: progress while loading or training, clear messages when weights are missing."""

from __future__ import annotations

import streamlit as st

from lessons import compute, weights


def load_with_progress(key: str, weights_kind: compute.Weights) -> compute.LoadedModel | None:
    """Return the shared model, showing progress the first time; None (with a message shown) if unavailable."""
    spec = compute.spec_for(key)
    status = compute.availability(key, weights_kind)
    if not status.ok:
        st.warning(f"**{spec.title}** with pretrained weights is not available: {status.reason}.")
        return None
    if compute.is_loaded(key, weights_kind):
        return compute.load_model(key, weights_kind)
    with st.status(f"Loading {spec.title}…", expanded=False) as box:
        bar = st.progress(0.0)

        def report(fraction: float, message: str) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=message)

        loaded = compute.load_model(key, weights_kind, progress=report)
        box.update(label=f"{loaded.title} ready", state="complete")
    return loaded


def offer_download(key: str) -> None:
    """A button that fetches an online model's weights with a progress bar and a time limit."""
    spec = compute.spec_for(key)
    if spec.offline or compute.availability(key).ok:
        return
    if st.button(f"Download {spec.title} weights", key=f"download_{key}",
                 help="Needs an internet connection. Gives up after two minutes; nothing else is affected."):
        bar = st.progress(0.0, text="connecting…")
        try:
            compute.download_pretrained(key, progress=lambda f, m: bar.progress(min(f, 1.0), text=m),
                                        timeout_s=120)
        except weights.WeightsUnavailable as error:
            bar.empty()
            st.error(f"Could not download the {spec.title} weights: {error}.")
        else:
            st.success(f"{spec.title} weights downloaded.")
            st.rerun()
