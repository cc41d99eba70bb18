"""The honest protocol: held-out split as data, repeated grouped CV, intervals, candidates, CLI."""

import json

import numpy as np
import pandas as pd
import pytest

from gtzan_helpers.recipe import RECIPE
from scipy import stats
from sklearn.linear_model import LogisticRegression

from gtzan_helpers import GENRES
from gtzan_helpers.honest import baseline_models, candidates
from gtzan_helpers.honest.baseline_models import baselines
from gtzan_helpers.honest.candidates import study_mlp, MLPCandidate, SklearnCandidate
from gtzan_helpers.honest.inputs import add_track_context, log_variances, track_summaries
from gtzan_helpers.app.cli import main
from gtzan_helpers.data import load_heldout_split
from gtzan_helpers.evaluation import cross_validate
from gtzan_helpers.scoring import track_table
from gtzan_helpers.paths import FEATURE_TABLE
from gtzan_helpers.results import load_results
from gtzan_helpers.bootstrap import cluster_bootstrap_interval
from gtzan_helpers.stats import (
    corrected_t_interval,
    corrected_t_test,
    holm,
    paired_comparison,
    summarize_cv,
    wilson_interval,
)

from .conftest import small_improved_mlp


def test_heldout_split_is_the_fault_filtered_partition(table):
    dev, test = load_heldout_split(table)
    assert len(set(table.tracks[dev])) == 133 and len(set(table.tracks[test])) == 58
    assert not set(table.artists[dev]) & set(table.artists[test])
    left_out = set(table.tracks) - set(table.tracks[dev]) - set(table.tracks[test])
    assert left_out == {"metal.00004", "metal.00034", "metal.00058",
                        *(f"metal.{k:05d}" for k in range(40, 46))}


def test_corrected_interval_against_scipy():
    scores = np.array([0.90, 0.92, 0.95, 0.91, 0.93])
    mean, half = corrected_t_interval(scores, test_fraction=0.0)  # no correction: plain t interval
    low, high = stats.t.interval(0.95, 4, loc=scores.mean(), scale=stats.sem(scores))
    assert mean == pytest.approx(scores.mean()) and half == pytest.approx((high - low) / 2)
    _, wider = corrected_t_interval(scores, test_fraction=0.2)
    assert wider == pytest.approx(half * np.sqrt((1 / 5 + 0.25) / (1 / 5)))


def test_corrected_p_value_against_scipy():
    differences = np.array([0.01, 0.03, -0.005, 0.02, 0.015, 0.0])
    plain = corrected_t_test(differences, test_fraction=0.0)  # no correction: one-sample t-test
    assert plain["p_value"] == pytest.approx(stats.ttest_1samp(differences, 0.0).pvalue)
    # the correction divides t by sqrt(1 + J·n_test/n_train)
    t = stats.ttest_1samp(differences, 0.0).statistic / np.sqrt(1 + 6 * 0.25)
    corrected = corrected_t_test(differences, test_fraction=0.2)
    assert corrected["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), 5))
    assert corrected["p_value"] > plain["p_value"]


def test_one_fold_gives_no_verdict():
    one = corrected_t_test([0.02], test_fraction=0.2)
    assert np.isnan(one["half_width"]) and np.isnan(one["p_value"])
    results = pd.DataFrame({"candidate": ["a", "b"], "fold": [1, 1], "accuracy": [0.9, 0.8]})
    assert not paired_comparison(results, "a").loc["b", "distinguishable"]


class Constant:
    """A candidate that predicts a fixed probability: for checking the CV loop."""

    def __init__(self, p):
        self.p = p

    def fit(self, X, y, tracks, groups=None, n_classes=2):
        self.seen = set(tracks)
        return self

    def predict_proba(self, X, tracks):
        assert not self.seen & set(tracks)  # no test track was trained on
        return np.full(len(X), self.p)


def test_cross_validation_same_folds_for_every_candidate(table):
    small = table.subset(np.flatnonzero(np.isin(table.tracks, np.unique(table.tracks)[::5])))
    results = cross_validate(small, {"metal": Constant(0.9), "blues": Constant(0.1)},
                             protocol="track", n_splits=4, n_repeats=3)
    assert len(results) == 2 * 4 * 3
    sizes = results.pivot_table(index=["repeat", "fold"], columns="candidate", values="n_test")
    assert (sizes["metal"] == sizes["blues"]).all()
    summary = summarize_cv(results)
    assert summary.loc["metal", "accuracy"] == pytest.approx(0.5)
    paired = paired_comparison(results, "blues")
    assert paired.loc["metal", "difference"] == pytest.approx(0.0)
    assert not paired.loc["metal", "distinguishable"]


def test_track_decisions_mean_and_vote():
    proba = [0.9, 0.4, 0.4, 0.2, 0.2, 0.6]
    tracks = track_table(proba, [1, 1, 1, 0, 0, 0], ["a", "a", "a", "b", "b", "b"], genres=GENRES)
    assert tracks["predicted"].tolist() == ["metal", "blues"] and tracks["correct"].tolist() == [True, True]
    assert tracks["p_metal"].tolist() == pytest.approx([1.7 / 3, 1.0 / 3])
    assert tracks["p_blues"].tolist() == pytest.approx([1.3 / 3, 2.0 / 3])
    votes = track_table(proba, [1, 1, 1, 0, 0, 0], ["a", "a", "a", "b", "b", "b"], genres=GENRES,
                        method="vote")
    assert votes["predicted"].tolist() == ["blues", "blues"]
    # each segment's probability of the genre the track is called
    assert tracks.loc["a", "segments"] == [0.9, 0.4, 0.4]
    assert tracks.loc["b", "segments"] == [0.8, 0.8, 0.4]


def test_track_context_uses_only_the_segments_own_track():
    X = pd.DataFrame({"f": [1.0, 3.0, 10.0, 20.0]})
    out = add_track_context(X, ["a", "a", "b", "b"])
    assert out["f_track"].tolist() == [2.0, 2.0, 15.0, 15.0]
    X.loc[3, "f"] = 1000.0  # changing track b leaves track a alone
    assert add_track_context(X, ["a", "a", "b", "b"])["f_track"].tolist()[:2] == [2.0, 2.0]


def test_a_model_of_tracks_sees_at_prediction_the_summaries_it_was_trained_on(table):
    rows = np.flatnonzero(np.isin(table.tracks, np.unique(table.tracks)[::5]))  # blues and metal
    model = SklearnCandidate(LogisticRegression(), track_level=True).fit(table.X.iloc[rows], table.y[rows],
                                                                          table.tracks[rows])
    # one segment of a new song: its spread over one row is 0, and the model still gets it
    one = np.flatnonzero(table.tracks == np.unique(table.tracks)[1])[:1]
    assert model.predict_proba(table.X.iloc[one], table.tracks[one]).shape == (1,)
    assert list(model._rows(table.X.iloc[one], table.tracks[one]).columns) == \
        list(track_summaries(table.X.iloc[rows], table.tracks[rows]).columns)
    # a table of whole clips (one row per track) has no spreads to summarise
    firsts = np.unique(table.tracks, return_index=True)[1]
    assert track_summaries(table.X.iloc[firsts], table.tracks[firsts]).shape == (len(firsts), 57)
    assert (track_summaries(table.X.iloc[firsts], table.tracks[firsts], spreads=True)
            .filter(like="_track_std") == 0).all().all()


def test_log_variances_only_touches_var_columns():
    X = pd.DataFrame({"rms_mean": [0.5], "rms_var": [100.0]})
    assert log_variances(X).iloc[0].tolist() == [0.5, 2.0]


def test_candidates_fit_and_predict(table):
    rows = np.flatnonzero(np.isin(table.tracks, np.unique(table.tracks)[::4]))
    part = table.subset(rows)
    models = {"MLP": MLPCandidate(RECIPE.replace(hidden=(8,)), log_var=True, track_context=True, n_models=2), **baselines()}
    for name, candidate in models.items():
        proba = candidate.fit(part.X, part.y, part.tracks).predict_proba(part.X, part.tracks)
        assert proba.shape == (len(part),)
        if name == "majority class":   # one answer for every row
            assert len(np.unique(proba)) == 1
        else:   # the rows it was fitted on: well above chance
            assert ((proba >= 0.5) == (part.y == 1)).mean() > 0.8, name
    # the SVM's probabilities are calibrated on held-out rows, not Platt-scaled on its own fit
    svm = baselines()["SVM (RBF)"].fit(part.X, part.y, part.tracks)
    assert svm.pipeline_[-1].ensemble is False and len(svm.pipeline_[-1].calibrated_classifiers_) == 1


@pytest.mark.parametrize("model, candidate", [("study", study_mlp), ("improved", small_improved_mlp)])
def test_cli_evaluate_is_the_notebooks_cross_validation(capsys, monkeypatch, tmp_path, table, model, candidate):
    # the command runs what notebook 07 runs (cross_validate of the same candidate, summarised by
    # summarize_cv); here on a quarter of the tracks, one repeat of three artist folds, and with
    # the improved MLP made small
    monkeypatch.setattr(candidates, "improved_mlp", small_improved_mlp)
    part = table.subset(np.flatnonzero(np.isin(table.tracks, np.unique(table.tracks)[::4])))
    path = tmp_path / "part.csv"
    pd.concat([pd.Series(part.filenames, name="filename"), part.X], axis=1).to_csv(path, index=False)
    assert main(["evaluate", str(path), "--protocol", "artist", "--model", model, "--folds", "3",
                 "--seed", "1", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    expected = summarize_cv(cross_validate(part, {"m": candidate(seed=1)}, protocol="artist", n_splits=3,
                                           seed=1, n_jobs=1)).loc["m"]
    assert row["model"] == model and row["protocol"] == "artist"
    for key in ("accuracy", "accuracy_ci", "track_accuracy", "loss"):
        assert row[key] == pytest.approx(expected[key], abs=1e-6), key


def test_the_tuned_baselines_search_as_hard_as_the_mlp():
    from itertools import product

    from gtzan_helpers.data import load_feature_table
    from gtzan_helpers.paths import KAGGLE_30_SEC
    from gtzan_helpers.splits import protocol_groups

    tuned = {**baseline_models.tuned_baselines(), "LR": baselines()["logistic regression (tracks)"]}
    logs = (", log variances", "")
    grids = {"SVM (RBF, nested)": [f"C={c:g}, gamma={g:g}, log variances"
                                   for c, g in product(baseline_models.SVM_C, baseline_models.SVM_GAMMA)],
             "kNN (nested)": [f"k={k}{s}" for s in logs for k in baseline_models.KNN_K],
             "LR": [f"C={c:g}{s}" for s in logs for c in baseline_models.TRACK_LR_C],
             # a tree's splits do not change under a log transform: not a choice for the forest
             "random forest (nested)": [f"max features {m}" for m in baseline_models.FOREST_MAX_FEATURES]}
    for name, options in grids.items():
        assert list(tuned[name].options) == options, name
        assert all(o.track_level and o.log_var == n.endswith("log variances") for n, o in tuned[name].options.items())
    # the SVM's options are ranked by their decisions; only the chosen one is calibrated
    svm = tuned["SVM (RBF, nested)"]
    assert not any(o.calibrate for o in svm.options.values()) and svm.refit_with == {"calibrate": True}
    # the choice is made on the training rows' inner folds, kept apart by artist
    table = load_feature_table(KAGGLE_30_SEC)
    train = np.flatnonzero(table.tracks < "m")   # blues … jazz: six genres
    artists = protocol_groups(table, "artist")[train]
    knn = tuned["kNN (nested)"].fit(table.X.iloc[train], table.y[train], table.tracks[train], artists, n_classes=10)
    assert knn.chosen_ in knn.options and set(knn.inner_scores_) == set(knn.options)
    p = knn.predict_proba(table.X.iloc[:5], table.tracks[:5])
    assert p.shape == (5, 10) and np.allclose(p.sum(axis=1), 1) and np.all(p[:, 6:] == 0)   # unseen genres: 0
    # the calibrated SVM's sigmoid is fitted on folds that never split an artist
    fitted = baselines()["SVM (RBF)"].fit(table.X.iloc[train], table.y[train], table.tracks[train], artists,
                                          n_classes=10)
    calibration = fitted.pipeline_[-1]
    for fit_rows, held_rows in calibration.cv:
        assert not set(artists[fit_rows]) & set(artists[held_rows])
    assert np.allclose(fitted.predict_proba(table.X.iloc[:5], table.tracks[:5]).sum(axis=1), 1)


def test_track_level_candidates_give_a_track_one_probability(table):
    rows = np.flatnonzero(np.isin(table.tracks, np.unique(table.tracks)[::4]))
    part = table.subset(rows)
    for candidate in (baselines()["logistic regression (tracks)"],
                      MLPCandidate(RECIPE.replace(hidden=(16,), batch_size=8), track_level=True, n_models=2)):
        candidate.fit(part.X, part.y, part.tracks)
        proba = pd.Series(candidate.predict_proba(part.X, part.tracks))
        assert (proba.groupby(part.tracks).nunique() == 1).all()
        assert ((proba >= 0.5) == part.y).mean() > 0.9


def test_cli_evaluate_sweeps_and_rejects_bad_lists(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["evaluate", str(FEATURE_TABLE), "--batch-size", "64,x"])
    assert "comma-separated integers" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("filename,tempo\nx.1.0.wav,1\n")
    assert main(["evaluate", str(bad)]) == 1
    assert "missing column(s)" in capsys.readouterr().err


def test_paired_tests_per_protocol_in_points_and_as_json():
    import pandas as pd

    from gtzan_helpers.stats import paired_by_protocol, paired_comparison
    from gtzan_helpers.tables import paired_records

    rng = np.random.default_rng(0)
    folds = pd.DataFrame([{"protocol": split, "fold": f + 1, "width": w,
                           "accuracy": 0.9 + 0.01 * (w == 64) + rng.normal(scale=0.002)}
                          for split in ("segment", "track") for w in (64, 128) for f in range(5)])
    paired = paired_by_protocol(folds, 128, by="width")
    assert list(paired.columns.get_level_values(0).unique()) == ["segment", "track"]
    oracle = paired_comparison(folds[folds.protocol == "track"], 128, by="width")
    assert paired.loc[64, ("track", "difference")] == pytest.approx(100 * oracle.loc[64, "difference"])
    assert paired.loc[64, ("track", "ci")] == pytest.approx(100 * oracle.loc[64, "ci"])
    records = paired_records(paired)
    assert set(records) == {"segment|64", "track|64"}
    assert records["track|64"] == {"difference_points": paired.loc[64, ("track", "difference")],
                                   "difference_ci": paired.loc[64, ("track", "ci")],
                                   "p_value": oracle.loc[64, "p_value"],
                                   "distinguishable": bool(oracle.loc[64, "distinguishable"])}


def test_holm_against_its_definition():
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, made monotone: 0.02, 0.03, 0.06, 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    adjusted = holm([0.01, np.nan])
    assert adjusted[0] == pytest.approx(0.01) and np.isnan(adjusted[1])  # NaN is no test


def test_wilson_interval_against_its_formula():
    k, n, z = 49, 58, stats.norm.ppf(0.975)
    p = k / n
    centre = (p + z ** 2 / (2 * n)) / (1 + z ** 2 / n)
    half = z / (1 + z ** 2 / n) * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2))
    assert wilson_interval(k, n) == pytest.approx((centre - half, centre + half), abs=1e-9)
    low, high = wilson_interval(58, 58)
    assert high == 1.0 and 0.9 < low < 1.0  # bounded, unlike p ± z·se


def test_cluster_bootstrap_resamples_clusters_not_items():
    # twenty artists of five tracks; an artist's tracks are all right or all wrong
    artists = np.repeat(np.arange(20), 5)
    correct = np.repeat(np.arange(20) % 4 != 0, 5)
    low, high = cluster_bootstrap_interval(correct, artists, seed=0)
    assert low < correct.mean() < high
    # treating the 100 tracks as independent gives a narrower interval than the 20 artists allow
    narrow = cluster_bootstrap_interval(correct, np.arange(100), seed=0)
    assert (high - low) > 1.5 * (narrow[1] - narrow[0])
    assert cluster_bootstrap_interval(np.ones(10, bool), np.arange(10) % 3) == (1.0, 1.0)


def test_selection_is_made_on_the_training_data_and_refitted():
    from gtzan_helpers.honest.candidates import SelectedCandidate, SklearnCandidate
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    tracks = np.repeat([f"t{i:03d}" for i in range(60)], 5)
    y = np.repeat(np.arange(60) % 2, 5)
    X = pd.DataFrame(rng.normal(size=(300, 3)) + y[:, None] * [4.0, 0, 0], columns=["a", "b", "c"])
    chooser = SelectedCandidate({"majority": SklearnCandidate(DummyClassifier()),
                                 "logistic": SklearnCandidate(LogisticRegression())})
    chooser.fit(X, y, tracks)
    assert chooser.chosen_ == "logistic"
    assert chooser.inner_scores_["logistic"] > chooser.inner_scores_["majority"]
    assert chooser.model_.pipeline_[-1].n_features_in_ == 3  # refitted on all the training rows' features
    assert ((chooser.predict_proba(X, tracks) >= 0.5) == y).mean() > 0.9


def test_the_one_feature_rule_finds_the_one_informative_feature():
    rng = np.random.default_rng(1)
    tracks = np.repeat([f"t{i:03d}" for i in range(40)], 4)
    y = np.repeat(np.arange(40) % 2, 4)
    X = pd.DataFrame(rng.normal(size=(160, 5)), columns=list("abcde"))
    X["d"] += 3 * y
    for name in ("one feature (segments)", "one feature (tracks)"):
        rule = baselines()[name].fit(X, y, tracks)
        columns = rule._rows(X, tracks).columns
        assert columns[rule.pipeline_[-1].tree_.feature[0]].startswith("d"), name


def test_the_inner_folds_of_a_selection_keep_each_group_on_one_side():
    from dataclasses import dataclass

    from gtzan_helpers.honest.candidates import SelectedCandidate

    seen = []

    @dataclass
    class Spy:  # a candidate that records which groups it trained on and which it was asked about
        def fit(self, X, y, tracks, groups=None, n_classes=2):
            self.trained_on = set(groups)
            return self

        def predict_proba(self, X, tracks):
            seen.append((self.trained_on, set(np.asarray(tracks))))  # the test's list, not a copy's
            return np.full(len(X), 0.5)

    tracks = np.repeat([f"t{i:02d}" for i in range(24)], 3)
    artists = np.array([f"a{int(t[1:]) // 4}" for t in tracks])  # six artists of four tracks
    y = np.array([int(t[1:]) // 4 % 2 for t in tracks])
    SelectedCandidate({"spy": Spy()}).fit(pd.DataFrame({"x": np.zeros(len(y))}), y, tracks, artists)
    assert len(seen) == 2  # two inner folds
    artist_of = dict(zip(tracks, artists))
    for trained_artists, asked_tracks in seen:
        assert not trained_artists & {artist_of[t] for t in asked_tracks}


def test_networks_can_be_repeated_fewer_times_on_the_same_folds(table):
    part = table.subset(np.flatnonzero(np.isin(table.tracks, np.unique(table.tracks)[::5])))
    quick = {"stump": baselines()["one feature (tracks)"], "MLP": MLPCandidate(RECIPE.replace(hidden=(8,), max_epochs=3))}
    both = cross_validate(part, quick, protocol="track", n_splits=3, n_repeats=2, network_repeats=1, n_jobs=1)
    assert both.groupby("candidate")["repeat"].max().to_dict() == {"MLP": 1, "stump": 2}
    alone = cross_validate(part, {"stump": quick["stump"]}, protocol="track", n_splits=3, n_repeats=2, n_jobs=1)
    pd.testing.assert_frame_equal(both[both["candidate"] == "stump"].reset_index(drop=True), alone)
