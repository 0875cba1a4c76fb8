"""The zoo sweep: one tidy row per (network, weights, layer, cell), chance and p-values as the cortex pipeline gives
them, parts cached and resumed, a corrupt or interrupted part recomputed, the same table on Ray, and the summary."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pandas as pd
import pytest

from lessons.core import cache, chance, registry
from lessons.cortex import pipeline as cp
from lessons.cortex import simulated as simulated_cortex
from lessons.cortex import zoo

MEMBERS = [("efficientnet_lite0", "pretrained"), ("efficientnet_lite0", "random")]
CELLS = 300
SHUFFLES = 3
HAS_RAY = importlib.util.find_spec("ray") is not None


@pytest.fixture(scope="module")
def bundle():
    return simulated_cortex.load_or_build()


@pytest.fixture(scope="module")
def reference(bundle, tmp_path_factory):
    """The two members' table, computed in-process in a cache of its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(cache.CACHE_ENV, str(tmp_path_factory.mktemp("zoo-reference")))
        return zoo.sweep(bundle, MEMBERS, n_cells=CELLS, shuffles=SHUFFLES)


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    return tmp_path


@pytest.fixture
def calls(monkeypatch):
    """The members whose part is computed (not read from the cache), in order."""
    seen = []
    compute = zoo.member_part

    def counted(bundle, member, *args, **kwargs):
        seen.append(member)
        return compute(bundle, member, *args, **kwargs)

    monkeypatch.setattr(zoo, "member_part", counted)
    return seen


def _layers(key: str) -> list[str]:
    return cp.brain_layers(registry.load_model(key, "random"))


def test_the_table_has_one_row_per_member_layer_and_cell(reference):
    assert tuple(reference.columns) == zoo.COLUMNS
    layers = _layers("efficientnet_lite0")
    assert len(reference) == len(MEMBERS) * len(layers) * CELLS
    assert not reference.duplicated(["model", "weights", "layer", "cell"]).any()
    for (key, weights), part in reference.groupby(["model", "weights"], sort=False, observed=True):
        assert (key, weights) in MEMBERS
        assert list(pd.unique(part["layer"].astype(str))) == layers
        assert (part.groupby("layer_index", observed=True)["cell"].nunique() == CELLS).all()
    assert list(pd.unique(reference["weights"].astype(str))) == ["pretrained", "random"]
    assert ((reference["p"] > 0) & (reference["p"] <= 1)).all()
    assert reference["score"].notna().all() and reference["null"].notna().all()
    for column in ("model", "weights", "layer", "area"):
        assert isinstance(reference[column].dtype, pd.CategoricalDtype)
    assert reference.dtypes[["layer_index", "cell"]].eq("int64").all()


def test_chance_and_p_values_are_the_pipelines_own(bundle, reference, fresh_cache):
    for key, weights in MEMBERS:
        grams = cp.layer_grams(bundle, key, weights)
        scores = cp.score_cells(grams, bundle, cp.select_cells(bundle, CELLS), shuffles=SHUFFLES)
        part = reference[(reference["model"] == key) & (reference["weights"] == weights)]
        for i, layer in enumerate(scores.layers):
            rows = part[part["layer_index"] == i]
            assert set(rows["layer"].astype(str)) == {layer}
            np.testing.assert_array_equal(rows["cell"], scores.cells["cell_specimen_id"])
            np.testing.assert_allclose(rows["score"], scores.score[i])
            np.testing.assert_allclose(rows["null"], scores.null[i].mean())
            np.testing.assert_allclose(rows["p"], chance.pooled_p_values(scores.score[i], scores.null[i]))
    # trained weights predict the simulated cortex better than random ones at their best layers
    best = reference.groupby(["weights", "layer_index"], observed=True)["score"].mean().groupby("weights").max()
    assert best["pretrained"] > best["random"]


def test_resuming_skips_finished_parts(bundle, reference, fresh_cache, calls):
    first = zoo.sweep(bundle, MEMBERS, n_cells=CELLS, shuffles=SHUFFLES)
    assert calls == MEMBERS
    for member in MEMBERS:
        path = zoo.part_path(bundle, member, CELLS, SHUFFLES)
        assert path.is_file() and path.parent == fresh_cache / "zoo" / bundle.fingerprint
        assert path.name == f"{member[0]}-{member[1]}-{CELLS}-{SHUFFLES}.parquet"
    again = zoo.sweep(bundle, MEMBERS, n_cells=CELLS, shuffles=SHUFFLES)
    assert calls == MEMBERS  # nothing computed the second time
    pd.testing.assert_frame_equal(first, reference)
    pd.testing.assert_frame_equal(again, reference)
    zoo.sweep(bundle, MEMBERS[:1], n_cells=CELLS, shuffles=SHUFFLES + 1)  # other settings: another part
    assert calls == [*MEMBERS, MEMBERS[0]]


def test_a_corrupt_or_outdated_part_is_recomputed(bundle, reference, fresh_cache, calls, monkeypatch):
    zoo.sweep(bundle, MEMBERS, n_cells=CELLS, shuffles=SHUFFLES)
    zoo.part_path(bundle, MEMBERS[1], CELLS, SHUFFLES).write_bytes(b"PAR1 half a file")
    table = zoo.sweep(bundle, MEMBERS, n_cells=CELLS, shuffles=SHUFFLES)
    assert calls == [*MEMBERS, MEMBERS[1]]
    pd.testing.assert_frame_equal(table, reference)
    monkeypatch.setattr(zoo, "PART_VERSION", zoo.PART_VERSION + "-next")
    zoo.sweep(bundle, MEMBERS[:1], n_cells=CELLS, shuffles=SHUFFLES)
    assert calls == [*MEMBERS, MEMBERS[1], MEMBERS[0]]


def test_an_interrupted_sweep_resumes_with_the_same_table(bundle, reference, fresh_cache, calls):
    second = zoo.member_label(MEMBERS[1])

    def stop_at_the_second_network(fraction: float, message: str) -> None:
        if message.startswith(second) and fraction > 0.6:
            raise KeyboardInterrupt("stopped")

    with pytest.raises(KeyboardInterrupt):
        zoo.sweep(bundle, MEMBERS, n_cells=CELLS, shuffles=SHUFFLES, progress=stop_at_the_second_network)
    assert zoo.part_path(bundle, MEMBERS[0], CELLS, SHUFFLES).is_file()
    assert not zoo.part_path(bundle, MEMBERS[1], CELLS, SHUFFLES).exists()
    messages = []
    table = zoo.sweep(bundle, MEMBERS, n_cells=CELLS, shuffles=SHUFFLES, progress=lambda f, m: messages.append((f, m)))
    assert calls == [*MEMBERS, MEMBERS[1]]
    pd.testing.assert_frame_equal(table, reference)
    assert messages[0] == (0.5, f"{zoo.member_label(MEMBERS[0])}: reused from the cache")
    assert any(m.startswith(second + ": ") for _, m in messages)
    fractions = [f for f, _ in messages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.skipif(not HAS_RAY, reason="Ray is not installed (pip install -e '.[scale]')")
def test_ray_gives_the_same_table_as_in_process(bundle, reference, fresh_cache):
    import ray

    assert not ray.is_initialized()
    messages = []
    table = zoo.sweep(bundle, MEMBERS, n_cells=CELLS, shuffles=SHUFFLES, engine="ray", num_cpus=2,
                      progress=lambda f, m: messages.append(m))
    assert not ray.is_initialized()  # the local Ray started for the run is shut down
    pd.testing.assert_frame_equal(table, reference)
    for member in MEMBERS:  # the driver wrote the parts
        pd.testing.assert_frame_equal(zoo.tidy([zoo.read_part(zoo.part_path(bundle, member, CELLS, SHUFFLES))]),
                                      zoo.tidy([reference[(reference["model"] == member[0])
                                                          & (reference["weights"] == member[1])]]))
    assert any(m == f"{zoo.member_label(MEMBERS[1])}: done on Ray (2 of 2 networks)" or
               m == f"{zoo.member_label(MEMBERS[0])}: done on Ray (2 of 2 networks)" for m in messages)


def test_a_missing_ray_names_the_extra_to_install(monkeypatch):
    from lessons.cortex import zoo_ray

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ImportError, match=r"pip install -e '\.\[scale\]'"):
        zoo_ray.import_ray()


def test_bad_requests_get_clear_messages(bundle):
    with pytest.raises(ValueError, match="unknown network 'lenet'"):
        zoo.sweep(bundle, [("lenet", "random")])
    with pytest.raises(ValueError, match="weights must be"):
        zoo.sweep(bundle, [("digit_cnn", "imagenet")])
    with pytest.raises(ValueError, match="listed twice"):
        zoo.sweep(bundle, [("digit_cnn", "random"), ("digit_cnn", "random")])
    with pytest.raises(ValueError, match="engine"):
        zoo.sweep(bundle, MEMBERS, engine="spark")
    with pytest.raises(ValueError, match="at least one shuffle"):
        zoo.sweep(bundle, MEMBERS, shuffles=0)


def test_offline_members_are_every_offline_zoo_network_then_its_random_twin():
    members = zoo.offline_members()
    keys = [key for key, _ in members[::2]]
    assert members == [(key, weights) for key in keys for weights in ("pretrained", "random")]
    assert keys == [k for k in registry.zoo_keys() if registry.availability(k).ok]
    assert "efficientnet_lite0" in keys and "digit_vae" not in keys
    assert all(registry.spec_for(k).offline for k in keys)


def _constructed_table() -> pd.DataFrame:
    """Two members of three layers and two cells, with the best layer known by construction."""
    layers = _layers("efficientnet_lite0")[:3]
    scores = {("efficientnet_lite0", "pretrained"): [[0.1, 0.2], [0.5, 0.1], [0.2, 0.2]],  # best: layer 1 (mean 0.3)
              ("efficientnet_lite0", "random"): [[0.05, 0.05], [0.0, 0.02], [0.3, -0.5]]}  # best: layer 0 (0.05)
    rows = []
    for (key, weights), per_layer in scores.items():
        for i, (layer, cells) in enumerate(zip(layers, per_layer)):
            for cell, score in enumerate(cells):
                rows.append({"model": key, "weights": weights, "layer": layer, "layer_index": i, "area": "VISp",
                             "cell": cell, "score": score, "null": 0.01 * (i + 1), "p": 0.5})
    return zoo.tidy([pd.DataFrame(rows)])


def test_summary_picks_the_best_layer_by_mean_score_and_carries_the_facts():
    summary = zoo.summary(_constructed_table())
    assert tuple(summary.columns) == zoo.SUMMARY_COLUMNS
    assert list(summary["weights"]) == ["pretrained", "random"]
    facts = registry.model_facts("efficientnet_lite0")
    layers = _layers("efficientnet_lite0")
    trained, random = summary.iloc[0], summary.iloc[1]
    assert trained["best_layer_index"] == 1 and trained["best_layer"] == layers[1]
    assert random["best_layer_index"] == 0 and random["best_layer"] == layers[0]
    assert trained["score"] == pytest.approx(0.3) and random["score"] == pytest.approx(0.05)
    assert trained["chance"] == pytest.approx(0.02) and random["chance"] == pytest.approx(0.01)
    assert trained["features"] == facts.features[layers[1]] and random["features"] == facts.features[layers[0]]
    assert trained["top1"] == pytest.approx(facts.top1) and np.isnan(random["top1"])
    assert bool(trained["trained"]) and not bool(random["trained"])
    for row in (trained, random):
        assert (row["title"], row["task"], row["trained_on"]) == (facts.title, facts.task, facts.trained_on)
        assert (row["depth"], row["params"]) == (facts.depth, facts.params)


def test_the_command_line_prints_the_summary_and_writes_the_table(bundle, fresh_cache, tmp_path, capsys):
    out = tmp_path / "zoo.csv"
    assert zoo.main(["--models", "efficientnet_lite0", "--cells", "40", "--shuffles", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "EfficientNet-Lite0" in printed.out and "best_layer" in printed.out
    assert "EfficientNet-Lite0 (random): " in printed.err
    written = pd.read_csv(out)
    assert list(written.columns) == list(zoo.COLUMNS)
    assert len(written) == 2 * len(_layers("efficientnet_lite0")) * 40
    assert zoo.main(["--models", "lenet"]) == 2
    assert "unknown network 'lenet'" in capsys.readouterr().err
