"""The stratified cluster bootstrap: known answers, scikit-learn as the oracle for weighted scores."""

import numpy as np
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from gtzan_helpers.bootstrap import bootstrap_scores, cluster_weights, weighted_scores


def test_weighted_scores_match_scikit_learn_with_sample_weights():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 80)
    p = np.round(rng.random(80), 1)  # rounded: ties, which count half
    w = rng.integers(0, 4, (3, 80)).astype(float)
    s = weighted_scores(y, p, w)
    for b in range(3):
        assert s["auc"][b] == pytest.approx(roc_auc_score(y, p, sample_weight=w[b]))
        assert s["log_loss"][b] == pytest.approx(log_loss(y, p, sample_weight=w[b]))
        assert s["accuracy"][b] == pytest.approx(np.average((p >= 0.5) == y, weights=w[b]))
    y4, p4 = rng.integers(0, 4, 90), rng.dirichlet(np.ones(4), 90)
    w4 = rng.integers(0, 3, (1, 90)).astype(float)
    assert weighted_scores(y4, p4, w4, ["auc"])["auc"][0] == pytest.approx(
        roc_auc_score(y4, p4, multi_class="ovr", average="macro", sample_weight=w4[0]))


def test_clusters_are_drawn_whole_and_within_their_stratum():
    artists = np.repeat(np.arange(12), np.arange(1, 13))  # artist k has k + 1 tracks
    genre = (np.arange(12) >= 4)[artists]  # four blues artists, eight metal ones
    w = cluster_weights(artists, genre, n_resamples=500, seed=1)
    per_artist = np.stack([w[:, artists == a][:, 0] for a in range(12)], axis=1)
    for a in range(12):  # every track of an artist carries the artist's count
        assert (w[:, artists == a] == per_artist[:, [a]]).all()
    assert (per_artist[:, :4].sum(axis=1) == 4).all() and (per_artist[:, 4:].sum(axis=1) == 8).all()
    assert not (per_artist == 1).all()  # it does resample


def test_paired_differences_and_p_values():
    rng = np.random.default_rng(2)
    artists = np.repeat(np.arange(40), 5)
    y = (np.arange(40) % 2)[artists]
    truth_like = np.where(y == 1, 0.8, 0.2)
    noisy = np.where(rng.random(200) < 0.3, 1 - truth_like, truth_like)
    s = bootstrap_scores(y, {"good": truth_like, "noisy": noisy, "same": truth_like.copy()}, artists, y,
                         reference="good", n_resamples=500)
    assert s.loc[("good", "accuracy"), "estimate"] == 1.0
    assert np.isnan(s.loc[("good", "accuracy"), "p_value"])
    assert s.loc[("same", "accuracy"), "p_value"] == 1.0  # identical predictions: no difference in any resample
    assert s.loc[("noisy", "accuracy"), "difference_high"] < 0
    assert s.loc[("noisy", "accuracy"), "p_value"] == pytest.approx(2 / 501)  # never 0
    for metric in ("accuracy", "auc", "log_loss"):
        row = s.loc[("noisy", metric)]
        assert row["low"] <= row["estimate"] <= row["high"]


def test_repeats_are_averaged():
    y = np.array([0, 1, 0, 1])
    runs = [np.array([0.1, 0.9, 0.9, 0.9]), np.array([0.1, 0.9, 0.1, 0.1])]  # 75 % and 75 %, other errors
    s = bootstrap_scores(y, {"cv": runs}, np.arange(4), y, metrics=["accuracy"], n_resamples=50)
    assert s.loc[("cv", "accuracy"), "estimate"] == 0.75
