"""Projection, GCV ridge, held-out scores, noise ceiling and RSA (lessons/brain_score.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.linear_model import RidgeCV
from sklearn.random_projection import johnson_lindenstrauss_min_dim

from lessons.cortex import brain_score as bs

CPU = "cpu"


def test_jl_dimension_matches_scikit_learn_and_is_capped():
    assert bs.jl_dim(119) == 4096 == johnson_lindenstrauss_min_dim(119, eps=0.1)
    for n in (10, 50, 500):
        assert bs.jl_dim(n) == johnson_lindenstrauss_min_dim(n, eps=0.1)
    assert bs.projection_dim(119, 1280) == 1280
    assert bs.projection_dim(119, 401_408) == 4096


def test_sparse_projection_is_seeded_sparse_and_exact():
    d, k = 5000, 300
    a = bs.SparseProjection(d, k, seed=3, device=CPU, block=1024)
    b = bs.SparseProjection(d, k, seed=3, device=CPU, block=1024)
    c = bs.SparseProjection(d, k, seed=4, device=CPU, block=1024)
    dense = a.dense()
    assert torch.equal(dense, b.dense()) and not torch.equal(dense, c.dense())
    assert all(stop - start <= 1024 for start, stop, _ in a.blocks())
    density = (dense != 0).float().mean().item()
    assert density == pytest.approx(1 / math.sqrt(d), rel=0.05)
    values = dense[dense != 0].abs()
    assert torch.allclose(values, torch.full_like(values, math.sqrt(math.sqrt(d) / k)))
    x = torch.randn(7, d)
    assert torch.allclose(a.transform(x), x @ dense, atol=1e-4)


def test_projection_keeps_distances_and_is_identity_when_not_reducing():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 20_000)).astype(np.float32)
    y = bs.SparseProjection(20_000, 4096, seed=0, device=CPU).transform(x).numpy()
    i, j = np.triu_indices(20, 1)
    ratio = np.linalg.norm(y[i] - y[j], axis=1) / np.linalg.norm(x[i] - x[j], axis=1)
    assert np.all(np.abs(ratio - 1) < 0.1)
    small = bs.SparseProjection(50, 4096, device=CPU)
    assert small.identity and np.allclose(small.transform(x[:, :50]).numpy(), x[:, :50])


def _features_and_targets(n=60, k=300, t=40, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(n, k)) + 2.0).astype(np.float32)  # an offset the intercept must absorb
    w = rng.normal(size=(k, t)) * (rng.random((k, t)) < 0.05)
    noise = rng.uniform(0.05, 20, size=t)
    y = x @ w * 0.3 + rng.normal(size=(n, t)) * noise + rng.normal(size=t) * 5
    return x, y


def test_gcv_ridge_matches_scikit_learn_ridgecv():
    x, y = _features_and_targets()
    sk = RidgeCV(alphas=bs.ALPHAS, alpha_per_target=True).fit(x, y)
    sk_loo = RidgeCV(alphas=bs.ALPHAS, alpha_per_target=True, scoring="neg_mean_squared_error",
                     store_cv_results=True).fit(x.astype(np.float64), y)
    fit = bs.gcv_fit(torch.from_numpy(bs.gram_of("x", torch.from_numpy(x)).gram), torch.from_numpy(y))
    ours_alpha = np.asarray(bs.ALPHAS)[fit.alpha_index.numpy()]
    np.testing.assert_array_equal(ours_alpha, sk.alpha_)
    assert len(set(sk.alpha_)) > 2  # the test exercises several alphas
    chosen = [list(bs.ALPHAS).index(a) for a in sk.alpha_]
    sk_predictions = sk_loo.cv_results_[:, np.arange(y.shape[1]), chosen]
    np.testing.assert_allclose(fit.loo_predictions.numpy(), sk_predictions, atol=1e-4, rtol=0)
    # the same fit, batched with a second problem, gives the same answer
    g = torch.from_numpy(bs.gram_of("x", torch.from_numpy(x)).gram)
    batched = bs.gcv_fit(torch.stack([g, g]), torch.from_numpy(np.stack([y, y])))
    assert torch.equal(batched.alpha_index[1], fit.alpha_index)
    torch.testing.assert_close(batched.loo_predictions[0], fit.loo_predictions)


def test_kfold_predictions_match_scikit_learn_fold_by_fold():
    x, y = _features_and_targets(n=50, t=12, seed=1)
    folds = bs.kfold_indices(len(x), 5, seed=0)
    ours, chosen = bs.kfold_predict(torch.from_numpy(bs.gram_of("x", torch.from_numpy(x)).gram),
                                    torch.from_numpy(y), folds)
    for f, test in enumerate(folds):
        train = np.setdiff1d(np.arange(len(x)), test)
        model = RidgeCV(alphas=bs.ALPHAS, alpha_per_target=True).fit(x[train], y[train])
        np.testing.assert_allclose(ours.numpy()[test], model.predict(x[test]), atol=1e-4, rtol=1e-5)
        np.testing.assert_array_equal(np.asarray(bs.ALPHAS)[chosen[f].numpy()], model.alpha_)


def test_kfold_covers_every_sample_once():
    folds = bs.kfold_indices(119, 10, seed=0)
    assert sorted(np.concatenate(folds).tolist()) == list(range(119))
    assert {len(f) for f in folds} == {11, 12}
    assert all(np.array_equal(a, b) for a, b in zip(folds, bs.kfold_indices(119, 10, seed=0)))
    with pytest.raises(ValueError):
        bs.kfold_indices(5, 10)


def test_pure_noise_inflates_squared_loo_r_but_not_the_signed_held_out_score():
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(119, 500)).astype(np.float32))
    y = rng.normal(size=(119, 400))  # no relation to the features at all
    layer = bs.gram_of("noise", x)
    fit = bs.gcv_fit(torch.from_numpy(bs.scaled_gram(layer)), torch.from_numpy(y))
    r_loo = bs.pearson_columns(fit.loo_predictions, torch.from_numpy(y)).numpy()
    assert np.mean(r_loo**2) > 0.2 and np.mean(r_loo) < -0.3  # the artefact: strongly anti-correlated
    folds = bs.kfold_indices(119, 10, 0)
    scores = bs.score_layer(layer, y, folds, y[rng.permutation(119)], device=CPU)
    assert abs(scores.score.mean() - scores.null.mean()) < 0.03
    assert scores.score.mean() < 0.02
    assert scores.at_max_alpha.mean() > 0.5  # most noise cells shrink to a constant prediction


def test_signal_is_scored_far_above_the_shuffled_null():
    rng = np.random.default_rng(1)
    latent = rng.normal(size=(119, 8))  # features and responses share a few latent factors, as in real data
    x = (latent @ rng.normal(size=(8, 800)) + rng.normal(size=(119, 800)) * 0.5).astype(np.float32)
    y = latent @ rng.normal(size=(8, 30)) + rng.normal(size=(119, 30)) * 0.5
    scores = bs.score_layer(bs.gram_of("x", torch.from_numpy(x)), y, bs.kfold_indices(119, 10, 0),
                            y[rng.permutation(119)], device=CPU)
    assert scores.score.mean() > 0.5 and scores.null.mean() < 0.05
    assert scores.predictions.shape == (119, 30)


def test_scores_do_not_depend_on_the_layers_overall_scale():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(119, 300)).astype(np.float32)
    y = x[:, :3] @ rng.normal(size=(3, 10)) + rng.normal(size=(119, 10))
    folds, order = bs.kfold_indices(119, 10, 0), rng.permutation(119)
    a = bs.score_layer(bs.gram_of("a", torch.from_numpy(x)), y, folds, y[order], device=CPU)
    b = bs.score_layer(bs.gram_of("b", torch.from_numpy(x * 1e-4)), y, folds, y[order], device=CPU)
    np.testing.assert_allclose(a.score, b.score, atol=1e-6)


def test_noise_ceiling():
    assert bs.spearman_brown(0.5) == pytest.approx(2 / 3)
    rng = np.random.default_rng(0)
    signal = rng.normal(size=(50, 100))
    even = signal + rng.normal(size=signal.shape) * 0.5
    odd = signal + rng.normal(size=signal.shape) * 0.5
    rel = bs.split_half_reliability(even, odd)
    r = np.array([np.corrcoef(e, o)[0, 1] for e, o in zip(even, odd)])
    np.testing.assert_allclose(rel, 2 * r / (1 + r))
    normalised = bs.ceiling_normalised(np.array([0.2, 0.2]), np.array([0.5, 0.05]))
    assert normalised[0] == pytest.approx(0.4) and np.isnan(normalised[1])


def test_rdms_and_their_comparison():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 200))
    rdm = bs.rdm(x, device=CPU)
    assert rdm.shape == (30, 30) and np.allclose(rdm, rdm.T) and np.allclose(np.diag(rdm), 0)
    from_gram = bs.rdm_from_gram(bs.gram_of("x", torch.from_numpy(x)))
    np.testing.assert_allclose(from_gram, rdm, atol=1e-8)
    assert bs.compare_rdms(rdm, rdm) == pytest.approx(1.0)
    other = bs.rdm(rng.normal(size=(30, 200)), device=CPU)
    assert abs(bs.compare_rdms(rdm, other)) < 0.2


def test_shuffled_rdm_matches_are_spearman_of_relabelled_rdms():
    rng = np.random.default_rng(4)
    a = bs.rdm(rng.normal(size=(30, 12)), device=CPU)
    b = bs.rdm(rng.normal(size=(30, 40)), device=CPU)
    shuffled = bs.shuffled_rdm_matches(a, b, shuffles=5, seed=9)
    again = np.random.default_rng(9)
    for value in shuffled:
        order = again.permutation(30)
        assert value == pytest.approx(bs.compare_rdms(a[np.ix_(order, order)], b), abs=1e-9)
    assert abs(bs.shuffled_rdm_matches(a, b, shuffles=300).mean()) < 0.03  # unrelated: centred on zero
