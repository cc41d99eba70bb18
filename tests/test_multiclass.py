"""Any genres: ten-genre tables train, cross-validate and predict; two genres stay the study's."""

import json

import numpy as np
import pandas as pd
import pytest

from gtzan_helpers.recipe import RECIPE

from gtzan_helpers import PROTOCOLS
from gtzan_helpers.app.bundle import load_bundle
from gtzan_helpers.honest.baseline_models import baselines
from gtzan_helpers.honest.candidates import MLPCandidate, study_mlp
from gtzan_helpers.app.cli import main
from gtzan_helpers.data import load_feature_table, table_from_frame
from gtzan_helpers.evaluation import NetworkCandidate, cross_validate
from gtzan_helpers.splits import make_folds, protocol_groups
from gtzan_helpers.honest.resampling import cross_val_proba
from gtzan_helpers.scoring import score, track_accuracy, track_table
from gtzan_helpers.features import FEATURE_NAMES
from gtzan_helpers.paths import KAGGLE_30_SEC, KAGGLE_SAMPLE, TEST_CLIP
from gtzan_helpers.results import load_results

from .conftest import run, small_improved_mlp
from .tolerances import compare_results

GENRES3 = ["blues", "classical", "jazz"]
GENRES10 = sorted(pd.read_csv(KAGGLE_SAMPLE)["label"].unique())


def genre_frame(genres, tracks_per_genre):
    """``tracks_per_genre`` tracks per genre, 10 segments each, made from the real sample's
    track of that genre with noise of 30 % of each feature's spread; two tracks per artist."""
    sample = pd.read_csv(KAGGLE_SAMPLE)
    rng = np.random.default_rng(0)
    spread = sample[list(FEATURE_NAMES)].std().to_numpy()
    frames, artists = [], {}
    for genre in genres:
        source = sample[sample["label"] == genre][list(FEATURE_NAMES)].to_numpy()
        for t in range(tracks_per_genre):
            rows = source + rng.normal(scale=0.3, size=source.shape) * spread
            frame = pd.DataFrame(rows, columns=FEATURE_NAMES)
            # track numbers 12 apart: in Sturm's index (the CSV's artists) a genre's
            # tracks then come from several artists, so no artist fold takes a whole genre
            frame.insert(0, "filename", [f"{genre}.{12 * t:05d}.{s}.wav" for s in range(10)])
            frames.append(frame)
            artists[f"{genre}.{12 * t:05d}"] = f"{genre} artist {t // 2}"
    return pd.concat(frames, ignore_index=True), artists


TABLES = {3: (GENRES3, 8), 10: (GENRES10, 4)}


@pytest.fixture(scope="module", params=sorted(TABLES), ids=lambda k: f"{k} genres")
def genres_table(request):
    """A table of 3 genres × 8 tracks or 10 genres × 4 tracks, in memory."""
    frame, artists = genre_frame(*TABLES[request.param])
    return table_from_frame(frame, source="synthetic", artists=artists)


@pytest.fixture(scope="module", params=sorted(TABLES), ids=lambda k: f"{k} genres")
def genres_csv(request, tmp_path_factory):
    """The same tables as CSV files in Kaggle's schema (artists from Sturm's index)."""
    frame, _ = genre_frame(*TABLES[request.param])
    frame.insert(1, "length", 66149)
    frame["label"] = frame["filename"].str.split(".").str[0]
    path = tmp_path_factory.mktemp("tables") / f"genres_{request.param}.csv"
    frame.to_csv(path, index=False)
    return path, TABLES[request.param][0]


def test_track_decisions_average_class_probabilities():
    proba = np.array([[0.6, 0.3, 0.1], [0.0, 0.5, 0.5], [0.1, 0.1, 0.8], [0.2, 0.7, 0.1]])
    groups = np.array(["a", "a", "b", "b"])
    # track a: mean (0.3, 0.4, 0.3) → class 1; track b: mean (0.15, 0.4, 0.45) → class 2
    assert track_accuracy(proba, np.array([1, 1, 2, 2]), groups) == 1.0
    # votes: a's segments say 0 and 1 (tie → the first), b's say 2 and 1 (tie → 1)
    assert track_accuracy(proba, np.array([0, 0, 1, 1]), groups, method="vote") == 1.0
    s = score(proba, np.array([0, 1, 2, 1]), groups)
    assert s["accuracy"] == 1.0   # argmax per segment; the tie in row 1 goes to class 1
    assert s["loss"] == pytest.approx(-np.mean(np.log([0.6, 0.5, 0.8, 0.7])))


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_cross_validation_under_every_protocol(genres_table, protocol):
    k = len(genres_table.genres)
    folds = cross_validate(genres_table, {"MLP": NetworkCandidate(RECIPE.replace(max_epochs=15))},
                           protocol=protocol, n_splits=4)
    assert len(folds) == 4
    assert folds["accuracy"].mean() > 2 / k   # chance is 1 / k
    groups = protocol_groups(genres_table, protocol)
    for train, test in make_folds(genres_table, protocol=protocol, n_splits=4):
        assert not set(groups[train]) & set(groups[test])


def test_out_of_fold_probabilities_and_track_table(genres_table):
    k, genres = len(genres_table.genres), list(genres_table.genres)
    p = cross_val_proba(genres_table, MLPCandidate(RECIPE.replace(max_epochs=20)), protocol="track",
                        n_splits=4, n_jobs=1)
    assert p.shape == (len(genres_table), k) and np.allclose(p.sum(axis=1), 1, atol=1e-5)
    tracks = track_table(p, genres_table.y, genres_table.tracks, genres=genres)
    assert list(tracks.columns[:k]) == [f"p_{g}" for g in genres]
    assert len(tracks) == len(np.unique(genres_table.tracks))
    assert np.allclose(tracks[[f"p_{g}" for g in genres]].sum(axis=1), 1, atol=1e-5)
    # the decision is the most probable genre, the label the track's own
    best = tracks[[f"p_{g}" for g in genres]].to_numpy().argmax(axis=1)
    assert tracks["predicted"].tolist() == [genres[i] for i in best]
    assert tracks["label"].tolist() == [t.split(".")[0] for t in tracks.index]
    assert tracks["correct"].mean() > 2 / k


def test_candidates_and_baselines_score_every_genre(genres_table):
    k = len(genres_table.genres)
    candidates = {"study MLP": MLPCandidate(RECIPE.replace(max_epochs=20)), "improved MLP": small_improved_mlp(),
                  **{name: model for name, model in baselines().items()
                     if name in ("logistic regression", "majority class")}}
    results = cross_validate(genres_table, candidates, protocol="artist", n_splits=4, n_repeats=1,
                          n_jobs=1)
    accuracy = results.groupby("candidate")["track_accuracy"].mean()
    assert accuracy["majority class"] <= 2 / k
    for name in ("study MLP", "improved MLP", "logistic regression"):
        assert accuracy[name] > 2 / k, name


def test_a_fold_without_some_genre_still_gives_every_genre_a_probability():
    table = load_feature_table(KAGGLE_SAMPLE)   # one track per genre: every test fold's genre
    for candidate in (study_mlp(), baselines()["logistic regression (tracks)"]):
        train = table.y != 3
        candidate.fit(table.X[train], table.y[train], table.tracks[train], n_classes=10)
        p = candidate.predict_proba(table.X[~train], table.tracks[~train])
        assert p.shape == (10, 10) and np.allclose(p.sum(axis=1), 1, atol=1e-5)



@pytest.mark.parametrize("protocol", ["track", "artist"])
def test_gtzan_evaluate_and_train(capsys, tmp_path, genres_csv, protocol):
    path, genres = genres_csv
    status, out, err = run(capsys, "evaluate", str(path), "--protocol", protocol, "--folds", "4",
                           "--json", "--jobs", "1")
    assert status == 0, err
    (row,) = json.loads(out)
    assert row["protocol"] == protocol and row["track_accuracy"] > 1.5 / len(genres)   # chance: 1 / k
    status, _, err = run(capsys, "train", str(path), "-o", str(tmp_path / "m.npz"),
                         "--protocol", protocol, "--epochs", "20")
    assert status == 0 and f"({', '.join(genres)})" in err
    assert load_bundle(tmp_path / "m.npz").labels == genres


def test_gtzan_evaluate_on_kaggles_ten_genre_table_is_notebook_10s_ladder(capsys):
    # the command a reader of notebook 10 runs: the study's MLP on unheard artists, the notebook's
    # folds of the development tracks (its test tracks unseen)
    folds = load_results("10_ten_genres")["folds"]
    status, out, err = run(capsys, "evaluate", str(KAGGLE_30_SEC), "--genres", "all", "--protocol", "artist",
                           "--development", "--repeats", str(folds["mlp_repeats"]), "--jobs", "1")
    assert status == 0, err
    header, row = out.strip().splitlines()[-2:]
    assert "clip acc (%)" in header and "segment" not in header   # a row is a whole clip
    track_accuracy = float(row.split()[5]) / 100   # batch, width, clip acc ± ci, track acc ± ci, loss ± ci
    committed = load_results("10_ten_genres")["ladder"]["study MLP"]["artist"]["track_accuracy"]
    assert compare_results({"track_accuracy": committed}, {"track_accuracy": track_accuracy}) == []


def test_gtzan_evaluate_with_a_genre_selection_and_a_bad_one(capsys):
    status, out, _ = run(capsys, "evaluate", str(KAGGLE_SAMPLE), "--genres", "blues,metal,jazz",
                         "--folds", "2", "--jobs", "1", "--protocol", "segment")
    assert status == 0 and "study MLP, blues, jazz, metal;" in out
    status, _, err = run(capsys, "evaluate", str(KAGGLE_SAMPLE), "--genres", "blues,polka")
    assert status == 1 and "no rows of genre 'polka'" in err and "Traceback" not in err


def test_ten_genre_model_trains_predicts_and_explains(tmp_path, capsys):
    model = tmp_path / "ten.npz"
    status, _, err = run(capsys, "train", str(KAGGLE_SAMPLE), "-o", str(model), "--genres", "all",
                         "--epochs", "20", "--protocol", "segment")
    assert status == 0, err
    bundle = load_bundle(model)
    assert bundle.labels == list(load_feature_table(KAGGLE_SAMPLE).genres)
    status, out, err = run(capsys, "predict", str(TEST_CLIP), "--model", str(model), "--json")
    assert status == 0, err
    (result,) = json.loads(out)["results"]
    assert list(result["probabilities"]) == bundle.labels
    assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert result["label"] == max(result["probabilities"], key=result["probabilities"].get)
    assert list(result["segments"][0]) == bundle.labels
    status, out, err = run(capsys, "explain", str(TEST_CLIP), "--model", str(model), "--genre", "jazz",
                           "--top", "3")
    assert status == 0, err
    probability = float(out.split("P(jazz) = ")[1].split(",")[0])
    total = float(out.strip().splitlines()[-1].split("= ")[1])
    assert total == pytest.approx(probability, abs=2e-3)   # SHAP's additivity for the jazz output


def test_two_genres_keep_the_studys_single_sigmoid_output(table):
    folds = make_folds(table, protocol="track", n_splits=5)
    model = study_mlp()
    train, test = folds[0]
    model.fit(table.X.iloc[train], table.y[train], table.tracks[train])
    assert model.networks_[0].model.net[-2].out_features == 1
    assert model.predict_proba(table.X.iloc[test], table.tracks[test]).ndim == 1


def test_the_confusion_matrix_shows_every_genre(genres_table):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gtzan_helpers.plots import plot_confusion

    k = len(genres_table.genres)
    fig = plot_confusion(genres_table.y, genres_table.y, labels=genres_table.genres)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(genres_table.genres)
    assert sum(int(t.get_text()) for t in ax.texts) == len(genres_table)   # every row counted
    assert len(ax.texts) == k * k
    plt.close(fig)
    unnamed = plot_confusion(genres_table.y, genres_table.y)   # names default to label numbers
    assert [t.get_text() for t in unnamed.axes[0].get_xticklabels()] == [str(i) for i in range(k)]
    plt.close(unnamed)
