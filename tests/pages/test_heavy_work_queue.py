"""Every page's heavy work goes through the one shared queue: while another student's job holds the pool, a
student's job shows its place, the rest of the page is drawn, and Cancel frees the place."""

from __future__ import annotations

import pytest

from tests.pages.apptest import all_texts, no_exception, open_lesson

#: page, a link to settings nobody has computed yet, the button that starts the work (None: it starts on its own),
#: and (part of) the job's title as the queue names it.
HEAVY_WORK = [
    ("pages/activation_atlas.py", {"atlas_network": "digit_cnn", "atlas_images": "300", "atlas_grid": "8",
                                   "atlas_steps": "8", "atlas_seed": "97"}, "atlas_build", "Building the atlas"),
    ("pages/activation_maximization.py", {"am_model": "digit_cnn", "am_steps": "3", "am_seed": "9797"}, "am_run",
     "Optimising"),
    ("pages/topographic_maps.py", {"topo_seed": "97"}, "topo_compare", "Comparing the layouts"),
    ("pages/data_shift.py", {"shift_augment": "True", "shift_augment_degrees": "150"}, None,
     "rotations up to ±150°"),  # "Training a digit CNN on …", or "Loading …" when a cache holds it
    ("pages/mouse_cortex.py", {"mc_subset": "1000"}, None, "Scoring trained EfficientNet-Lite0"),
    ("pages/mouse_cortex.py", {}, "mc_score_twin", "Scoring random EfficientNet-Lite0"),
    ("pages/attribution.py", {"attr_ig_steps": "128"}, None, "Computing the four attribution maps"),
    ("pages/attribution.py", {"attr_sanity": "True"}, None, "Sanity checks"),
    ("pages/model_zoo.py", {"zoo_cells": "1000", "zoo_shuffles": "50"}, "zoo_build", "networks against the cells"),
]

#: pages whose own button starts their work (and starts it again after a cancel)
PAGE_BUTTONS = {"pages/activation_maximization.py": "Run"}


@pytest.mark.parametrize(("page", "query", "button", "title"), HEAVY_WORK, ids=[f"{w[0]}-{w[3]}" for w in HEAVY_WORK])
def test_heavy_work_waits_its_turn_and_cancel_frees_the_place(held_pool, tmp_path, monkeypatch, page, query, button,
                                                              title):
    from lessons.core import records

    monkeypatch.setattr(records, "cache_dir", lambda: tmp_path)  # no result kept from an earlier run
    pool, _ = held_pool
    at = open_lesson(page, query=query)
    if button is not None:
        at.button(key=button).click().run()
        no_exception(at)
    assert any(title in line and "waiting for the computer — 1 job ahead of yours" in line
               for line in all_texts(at).splitlines())
    queued = [job.title for job in pool.snapshot()[1]]
    assert len(queued) == 1 and title in queued[0]
    assert [h.value for h in at.title]  # the page itself is drawn while the work waits
    next(b for b in at.button if b.label == "Cancel").click().run()
    no_exception(at)
    assert pool.snapshot()[1] == []  # the place is free for the next student
    assert "You cancelled" in all_texts(at)
    if page in PAGE_BUTTONS:  # the page's own button starts it again: no second button doing the same
        assert f"Press **{PAGE_BUTTONS[page]}** to start it again" in all_texts(at)
        assert not any(b.label == "Start again" for b in at.button)
    else:
        assert any(b.label == "Start again" for b in at.button)
