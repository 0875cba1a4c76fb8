"""The cortex lesson's table analyses: filters, thresholds, the cell shown first, per-area counts and the export."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lessons.cortex import compute
from tests.lessons.cortex.test_data import make_bundle


def _cells() -> pd.DataFrame:
    return pd.DataFrame({
        "cell_specimen_id": [11, 12, 13, 14, 15, 16],
        "cortical_area": ["VISl", "VISp", "VISp", "VISam", "VISl", "VISp"],
        "cortical_layer": ["4", "2/3", "5", "2/3", "4", "2/3"],
        "imaging_depth": [300, 175, 375, 200, 310, 180],
        "reliability": [0.9, -0.23, 0.4, np.nan, 0.75, 0.05],
    })


def _scored() -> pd.DataFrame:
    return pd.DataFrame({
        "cell_specimen_id": [21, 22, 23, 24],
        "cortical_area": ["VISp", "VISl", "VISp", "VISl"],
        "reliability": [0.95, 0.8, 0.3, 0.72],
        "score": [0.10, 0.30, 0.60, 0.20],
        "above_chance": [True, True, False, False],
    })


def test_reliability_floor_rounds_down_to_the_step_and_never_above_zero():
    assert compute.reliability_floor(_cells()) == pytest.approx(-0.25)
    exact = _cells().assign(reliability=[-0.25, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert compute.reliability_floor(exact) == pytest.approx(-0.25)  # already on the grid: unchanged
    assert compute.reliability_floor(_cells().assign(reliability=0.3)) == 0.0
    assert compute.reliability_floor(_cells().assign(reliability=np.nan)) == 0.0


def test_cell_ranges_list_what_is_present_in_canonical_order():
    ranges = compute.cell_ranges(_cells())
    assert ranges.areas == ["VISp", "VISl", "VISam"]  # AREAS order, not table order
    assert ranges.layers == ["2/3", "4", "5"]
    assert ranges.depth == (175, 375)
    flat = compute.cell_ranges(_cells().assign(imaging_depth=250))
    assert flat.depth == (250, 251)  # a slider needs two different ends


def test_filter_cells_applies_every_filter_and_sorts_by_reliability():
    cells = _cells()
    everything = compute.filter_cells(cells, ["VISp", "VISl", "VISam"], ["2/3", "4", "5"], (0, 1000), -0.25, -0.25)
    assert list(everything["cell_specimen_id"]) == [11, 15, 13, 16, 12, 14]  # no reliability counts as the floor
    visp = compute.filter_cells(cells, ["VISp"], ["2/3", "4", "5"], (0, 1000), -0.25, -0.25)
    assert set(visp["cell_specimen_id"]) == {12, 13, 16}
    shallow = compute.filter_cells(cells, ["VISp", "VISl", "VISam"], ["2/3"], (170, 190), -0.25, -0.25)
    assert set(shallow["cell_specimen_id"]) == {12, 16}
    reliable = compute.filter_cells(cells, ["VISp", "VISl", "VISam"], ["2/3", "4", "5"], (0, 1000), 0.4, -0.25)
    assert list(reliable["cell_specimen_id"]) == [11, 15, 13]
    assert compute.filter_cells(cells, [], ["4"], (0, 1000), -0.25, -0.25).empty


def test_negative_reliability_count():
    assert compute.negative_reliability_count(_cells()) == 1
    assert compute.negative_reliability_count(_cells().assign(reliability=0.5)) == 0


def test_driving_images_are_the_strongest_and_weakest():
    response = np.array([0.1, 0.9, -0.2, 0.5, 0.3, 0.0])
    most, least = compute.driving_images(response, count=2)
    assert list(most) == [1, 3] and list(least) == [5, 2]


def test_condition_labels_name_images_and_the_blank():
    labels = compute.condition_labels(make_bundle(n_images=3, blank=1))
    assert labels == ["image 0", "blank", "image 1", "image 2"]


def test_weights_to_score_adds_the_twin_only_when_it_can_run():
    assert compute.twin_of("pretrained") == "random" and compute.twin_of("random") == "pretrained"
    assert compute.weights_to_score("pretrained", True) == ["pretrained", "random"]
    assert compute.weights_to_score("random", True) == ["random", "pretrained"]
    assert compute.weights_to_score("random", False) == ["random"]  # trained weights missing: no twin


def test_rsa_cells_prefers_reliable_cells_when_there_are_enough():
    reliability = np.linspace(0.0, 1.0, 40)  # cells 20… are at least 0.5 reliable
    everyone = np.arange(40)
    assert list(compute.rsa_cells(everyone, reliability)) == list(range(20, 40))
    few = np.arange(0, 40, 4)  # only 5 of these 10 are reliable: fewer than the minimum
    assert list(compute.rsa_cells(few, reliability)) == list(few)


def test_showcase_cell_keeps_a_scored_choice_else_the_best_reliable_cell():
    scored = _scored()
    assert compute.showcase_cell(scored, 24) == 24
    assert compute.showcase_cell(scored, "24") == 24  # as a shared link holds it
    assert compute.showcase_cell(scored, "not a cell") == 22
    assert compute.showcase_cell(scored, 99) == 22  # best score among reliability ≥ 0.7 (23 scores more but is noisy)
    assert compute.showcase_cell(scored, None) == 22
    noisy = scored.assign(reliability=0.1)
    assert compute.showcase_cell(noisy) == 23  # nobody reliable: the best overall


def test_above_chance_counts_and_share():
    scored = _scored()
    assert compute.above_chance_by_area(scored) == {"VISl": 1, "VISp": 1}
    assert compute.above_chance_count(scored) == 2
    assert compute.share_above_chance(scored) == 0.5
    assert compute.share_above_chance(scored.iloc[:0]) == 0.0


def test_export_table_puts_the_source_first_and_adds_the_twin():
    scored = _scored()
    plain = compute.export_table(scored, "simulated")
    assert list(plain.columns) == ["data", *scored.columns] and (plain["data"] == "simulated").all()
    twin = compute.export_table(scored, "allen", {"random": np.array([0.01, 0.02, 0.03, 0.04])})
    assert list(twin.columns)[-1] == "score_random" and list(twin["score_random"]) == [0.01, 0.02, 0.03, 0.04]
    assert "data" not in scored.columns  # the cell table itself is left as it was


def test_subset_sizes_cover_the_choices_in_order():
    assert list(compute.SUBSET_SIZES) == ["250", "1000", "all"]
    assert compute.SUBSET_SIZES["all"] is None and compute.SUBSET_SIZES["250"] == 250


def test_a_multiple_choice_round_trips_through_link_text():
    options = ["VISp", "VISl", "VISam"]
    assert compute.encode_selection(options, options) == ""  # the default stays out of the link
    assert compute.encode_selection(["VISam", "VISp"], options) == "VISp,VISam"
    assert compute.encode_selection([], options) == compute.NO_SELECTION
    for chosen in ([], ["VISl"], ["VISp", "VISam"], options):
        assert compute.decode_selection(compute.encode_selection(chosen, options), options) == chosen
    assert compute.decode_selection("VISam,VISx", options) == ["VISam"]  # unknown names are dropped …
    assert compute.decode_selection("VISx", options) == options  # … and text naming nothing known means all


def test_similarity_table_has_an_area_column_and_one_column_per_layer():
    table = compute.similarity_table(np.array([[0.1, 0.2], [0.3, 0.4]]), ["VISp", "VISl"], ["stem", "fc"])
    assert list(table.columns) == ["area", "stem", "fc"] and table.loc[1, "fc"] == 0.4


def test_weights_and_prediction_tables():
    table = pd.DataFrame({"area": ["VISp"], "layer": ["stem"], "score": [0.2]})
    joined = compute.weights_table({"pretrained": table, "random": table.assign(score=0.1)})
    assert list(joined.columns) == ["weights", "area", "layer", "score"]
    assert joined["weights"].tolist() == ["pretrained", "random"] and joined["score"].tolist() == [0.2, 0.1]
    fit = compute.prediction_table(["image 1", "image 2"], np.array([0.5, 0.1]), np.array([0.4, 0.2]))
    assert list(fit.columns) == ["image", "measured", "predicted_held_out"] and fit.loc[1, "predicted_held_out"] == 0.2
