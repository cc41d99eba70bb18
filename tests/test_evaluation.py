"""Splits, folds and cross-validation under the three protocols."""

import numpy as np
import pytest

import gtzan_helpers.evaluation as evaluation
import gtzan_helpers.splits as splits
import gtzan_helpers.training as training
from gtzan_helpers.evaluation import NetworkCandidate, sweep
from gtzan_helpers.recipe import RECIPE
from gtzan_helpers.splits import holdout_split, make_folds
from gtzan_helpers.tables import sweep_table
from gtzan_helpers.training import scale
from gtzan_helpers.scoring import track_accuracy
from gtzan_helpers.honest.resampling import learning_curve, permutation_importance


@pytest.fixture
def scale_sizes(monkeypatch):
    """Records (rows the scaler is fitted on, [rows of each other array]) of every ``scale`` call."""
    seen = []

    def recording_scale(train, *others):
        seen.append((len(train), [len(o) for o in others]))
        return scale(train, *others)

    monkeypatch.setattr(training, "scale", recording_scale)
    return seen


@pytest.mark.parametrize("split", ["segment", "track"])
def test_holdout_is_a_stratified_70_30_partition(table, split):
    train, test = holdout_split(table, protocol=split, seed=0)
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == len(table)
    # 30 % of the rows, or of the 193 track groups (seven pairs of duplicates are one group each)
    assert len(test) == 600 if split == "segment" else abs(len(test) - 600) <= 20
    assert table.y[test].mean() == pytest.approx(0.5, abs=0.02)


def test_track_holdout_keeps_tracks_whole(table):
    train, test = holdout_split(table, protocol="track", seed=0)
    assert not set(table.tracks[train]) & set(table.tracks[test])


def test_segment_holdout_mixes_tracks(table):
    # the study's protocol: most test tracks also have segments in training
    train, test = holdout_split(table, protocol="segment", seed=0)
    assert len(set(table.tracks[train]) & set(table.tracks[test])) > 150


def test_grouped_folds_never_share_a_track(table):
    folds = make_folds(table, protocol="track", n_splits=5, seed=0)
    assert len(folds) == 5
    seen = np.concatenate([val for _, val in folds])
    assert sorted(seen) == list(range(len(table)))
    for train, val in folds:
        assert not set(table.tracks[train]) & set(table.tracks[val])
        assert table.y[val].mean() == pytest.approx(0.5, abs=0.05)


def test_unknown_split_is_refused(table):
    with pytest.raises(ValueError, match="protocol must be one of"):
        make_folds(table, protocol="random")


def _network(stopping="inner", **recipe):
    return {"mlp": NetworkCandidate(RECIPE.replace(hidden=(8,), **recipe), stopping=stopping)}


def test_scaler_is_fitted_on_training_rows_only(table, scale_sizes):
    seen = scale_sizes
    folds = evaluation.cross_validate(table, _network("held-out", max_epochs=2), protocol="track", n_splits=5,
                                      n_jobs=1)
    # rows trained on; then the rows early stopping watches, here the scored fold itself
    assert seen == [(1600, [400])] * 5
    assert list(folds.columns) == ["candidate", "protocol", "repeat", "fold", "accuracy", "balanced_accuracy",
                                   "loss", "track_accuracy", "track_balanced_accuracy", "track_vote_accuracy",
                                   "brier", "n_train", "n_test", "epochs", "chosen"]


@pytest.mark.parametrize("split", ["segment", "track", "artist"])
def test_inner_stopping_never_watches_the_scored_fold(table, split, monkeypatch):
    trained = []

    def recording_train(tasks, recipe, **kwargs):
        out = real_train(tasks, recipe, **kwargs)
        trained.extend(zip(tasks, out))
        return out

    real_train = evaluation.train
    monkeypatch.setattr(evaluation, "train", recording_train)
    evaluation.cross_validate(table, _network(max_epochs=1), protocol=split, n_splits=5, seed=3, n_jobs=1)
    groups = splits.validation_groups(table, split)   # tracks for segment folds
    assert len(trained) == 5
    for (train, test), (task, network) in zip(make_folds(table, protocol=split, n_splits=5, seed=3), trained):
        rows = task.X.index.to_numpy()   # the table's row positions
        assert np.array_equal(rows, train) and not set(rows) & set(test)
        fit, watch = rows[network.fit_rows], rows[network.watch_rows]
        # the training fold is cut in two along whole groups
        assert np.array_equal(np.sort(np.concatenate([fit, watch])), train)
        assert not set(groups[fit]) & set(groups[watch])
        share = len(np.unique(groups[watch])) / len(np.unique(groups[train]))
        assert share == pytest.approx(RECIPE.validation_fraction, abs=0.03)
        assert 0.3 < table.y[watch].mean() < 0.7


def test_inner_stopping_trains_on_the_rest(table, scale_sizes):
    folds = evaluation.cross_validate(table, _network(max_epochs=2), protocol="track", n_splits=5, n_jobs=1)
    assert len(folds) == 5 and folds["n_test"].tolist() == [400] * 5
    # 1600 training rows: 85 % of their tracks trained on, 15 % watched; 400 scored
    assert all(train + watch == 1600 and abs(watch - 1600 * RECIPE.validation_fraction) <= 30
               for train, (watch,) in scale_sizes)
    with pytest.raises(ValueError, match="stopping must be one of"):
        evaluation.cross_validate(table, _network("test"), protocol="track")


def test_track_accuracy_averages_segment_probabilities():
    proba = np.array([0.9, 0.2, 0.3, 0.1, 0.6, 0.7])
    y = np.array([1, 1, 1, 0, 0, 0])
    groups = np.array(["a", "a", "a", "b", "b", "b"])
    # track a: mean 0.47 -> blues (wrong); track b: mean 0.47 -> blues (right)
    assert track_accuracy(proba, y, groups) == 0.5


def test_sweep_gives_one_row_per_split_and_setting(table):
    summary, folds = sweep(table, "first_layer", [8, 16], n_splits=2, recipe=RECIPE.replace(max_epochs=1, patience=None))
    assert summary[["protocol", "first_layer"]].values.tolist() == [
        ["segment", 8], ["segment", 16], ["track", 8], ["track", 16], ["artist", 8], ["artist", 16]]
    assert len(folds) == 12
    shown = sweep_table(summary, "first_layer", {8: (0.1, 0.9, 1.0)})
    assert shown.loc[8, "study: accuracy (%)"] == 90.0
    assert " ± " in shown.loc[16, "track folds: accuracy (%)"]


def test_every_recipe_field_can_be_swept(table):
    # the learning rate too: a rate of 0 leaves every network where it started
    recipe = RECIPE.replace(hidden=(8,), max_epochs=2, patience=None)
    summary, folds = sweep(table, "lr", [0.0, 1e-2], protocols=("track",), n_splits=2, recipe=recipe)
    still, moved = (folds[folds["lr"] == lr].reset_index(drop=True) for lr in (0.0, 1e-2))
    untrained = evaluation.cross_validate(table, {"mlp": NetworkCandidate(recipe.replace(max_epochs=1, lr=0.0),
                                                                         stopping="held-out", fold_seeds=True)},
                                          protocol="track", n_splits=2)
    np.testing.assert_allclose(still["loss"], untrained["loss"], rtol=1e-6)
    assert (moved["loss"] < still["loss"]).all()


def test_duplicates_stay_together_under_the_track_protocol(table):
    groups = splits.protocol_groups(table, "track")
    assert groups[table.tracks == "metal.00034"][0] == groups[table.tracks == "metal.00094"][0]
    assert len(np.unique(groups)) == 200 - 7  # seven pairs of repeated recordings


@pytest.mark.parametrize("seed", range(5))
def test_no_artist_or_duplicate_crosses_an_artist_split(table, seed):
    from gtzan_helpers.matching import find_duplicate_tracks

    duplicates = find_duplicate_tracks(table)
    splits = [holdout_split(table, protocol="artist", seed=seed),
              *make_folds(table, protocol="artist", n_splits=5, seed=seed)]
    for train, test in splits:
        assert not set(table.artists[train]) & set(table.artists[test])
        for tracks in duplicates:
            sides = {side for side, rows in (("train", train), ("test", test))
                     if set(tracks) & set(table.tracks[rows])}
            assert len(sides) == 1, tracks
        assert 0.3 < table.y[test].mean() < 0.7  # both genres on both sides


def test_artist_groups_merge_an_artists_tracks_and_keep_unknowns_apart(table):
    groups = splits.protocol_groups(table, "artist")
    johnson = np.unique(table.tracks[table.artists == "Robert Johnson"])
    assert len(johnson) == 17 and len(np.unique(groups[table.artists == "Robert Johnson"])) == 1
    unknown = np.char.startswith(table.artists.astype(str), "unknown")
    assert len(np.unique(groups[unknown])) == len(np.unique(table.tracks[unknown])) == 17


def test_learning_curve_shrinks_training_not_testing(table):
    from gtzan_helpers.honest.baseline_models import baselines

    small = table.subset(np.flatnonzero(np.isin(table.tracks, np.unique(table.tracks)[::2])))
    # the curve's folds are under test, not the model: a quick one
    curve = learning_curve(small, {"stump": baselines()["one feature (tracks)"]},
                           protocol="artist", fractions=(0.5, 1.0), n_splits=3, n_repeats=1)
    assert len(curve) == 6
    by_fraction = curve.groupby("fraction")
    assert (by_fraction["n_test"].sum().diff().dropna() == 0).all()  # the same test rows
    assert (curve[curve.fraction == 0.5]["train_groups"].to_numpy()
            < curve[curve.fraction == 1.0]["train_groups"].to_numpy()).all()


class OneColumnModel:
    """Reads one column only: metal when it lies on metal's side of the midpoint of the class means."""

    seen = None   # a class attribute, so that the fold's copy of the model records here too

    def __init__(self, column):
        self.column = column

    def fit(self, X, y, tracks, groups=None, n_classes=2):
        values = X[self.column].to_numpy()
        self.mid = (values[y == 0].mean() + values[y == 1].mean()) / 2
        self.sign = np.sign(values[y == 1].mean() - values[y == 0].mean())
        return self

    def predict_proba(self, X, tracks):
        if self.seen is not None:
            self.seen.append(X.copy())
        return 1 / (1 + np.exp(-self.sign * (X[self.column].to_numpy() - self.mid)))


def test_permutation_importance_finds_the_one_column_used(table):
    groups = {"chroma": ("chroma_stft_mean", "chroma_stft_var"), "tempo": ("tempo",),
              "MFCC 1": ("mfcc1_mean",)}
    result = permutation_importance(table, OneColumnModel("chroma_stft_mean"), groups,
                                               protocol="artist", n_splits=3, n_permutations=2,
                                               seed=0, n_jobs=1)
    assert len(result) == 3 * 3 * 2
    mean_drop = result.groupby("group")["drop"].mean()
    # columns the model never reads cost exactly nothing; scrambling its one column costs a lot
    assert mean_drop["tempo"] == 0 and mean_drop["MFCC 1"] == 0
    assert mean_drop["chroma"] > 0.2


def test_permutation_moves_whole_tracks_of_the_group_only(table):
    class Recording(OneColumnModel):
        seen = []

    columns = ("chroma_stft_mean", "chroma_stft_var")
    permutation_importance(table, Recording("chroma_stft_mean"),
                                      {"chroma": columns}, protocol="track", n_splits=2,
                                      n_permutations=1, seed=0, n_jobs=1)
    intact, shuffled = Recording.seen[0], Recording.seen[1]   # the first fold: scored as is, then with chroma scrambled
    others = [c for c in table.feature_names if c not in columns]
    assert shuffled[others].equals(intact[others])
    tracks = table.tracks[table.X.index.get_indexer(intact.index)]
    blocks = {t: intact.loc[tracks == t, list(columns)].to_numpy() for t in np.unique(tracks)}
    moved = 0
    for t in np.unique(tracks):
        block = shuffled.loc[tracks == t, list(columns)].to_numpy()
        donors = [d for d, b in blocks.items() if np.array_equal(b, block)]
        assert donors, f"track {t} got values that are no test track's"
        moved += t not in donors
    assert moved > len(blocks) // 2


def test_holdout_stopping_on_a_validation_split_never_watches_the_test_rows(table):
    from gtzan_helpers.evaluation import train_holdout

    part = table.subset(np.flatnonzero(np.isin(table.tracks, np.unique(table.tracks)[::5])))
    study = train_holdout(part, RECIPE.replace(max_epochs=3), protocol="track", seed=0)
    inner = train_holdout(part, RECIPE.replace(max_epochs=3), protocol="track", seed=0, stopping="inner")
    assert np.array_equal(study.test_rows, inner.test_rows)  # the same test rows are scored
    assert set(inner.train_rows) < set(study.train_rows)  # a share of the training side is held back to watch
    held_back = set(study.train_rows) - set(inner.train_rows)
    assert not held_back & set(study.test_rows)
    assert not set(part.tracks[list(held_back)]) & set(part.tracks[inner.train_rows])  # whole tracks
    with pytest.raises(ValueError, match="stopping must be"):
        train_holdout(part, stopping="fold")


def test_the_splitter_takes_groups_from_scikit_learns_metadata_routing():
    import sklearn
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_validate

    rng = np.random.default_rng(0)
    X, y, songs = rng.normal(size=(80, 3)), np.repeat([0, 1], 40), np.repeat(np.arange(16), 5)
    splitter = splits.ProtocolKFold("track", n_splits=4)
    plain = cross_validate(LogisticRegression(), X, y, cv=splitter, groups=songs)["test_score"]
    with sklearn.config_context(enable_metadata_routing=True):
        routed = cross_validate(LogisticRegression(), X, y, cv=splitter, params={"groups": songs})["test_score"]
    assert np.array_equal(plain, routed)
    assert all(not set(songs[train]) & set(songs[test]) for train, test in splitter.split(X, y, songs))
    with pytest.raises(ValueError, match="needs the rows' groups"):
        next(splitter.split(X, y))


def test_held_out_stopping_needs_the_held_out_rows(table):
    candidate = NetworkCandidate(RECIPE.replace(hidden=(8,), max_epochs=1), stopping="held-out")
    with pytest.raises(ValueError, match="watches the rows that are then scored"):
        candidate.fit(table.X, table.y, table.tracks)
