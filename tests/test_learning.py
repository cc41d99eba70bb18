"""The artists-or-tracks design of notebook 09 (gtzan_helpers.honest.learning): what each training
set keeps, that all three meet the same test fold, and that a family's verdicts follow Holm."""

import numpy as np
import pandas as pd
import pytest

from gtzan_helpers.honest.learning import (ALL_DATA, CONDITIONS, FEWER_ARTISTS, HALF_TRACKS, artists_or_tracks,
                                           halve_artists_or_tracks, paired_differences, paired_family)
from gtzan_helpers.stats import corrected_t_test, holm


@pytest.fixture(scope="module")
def first_fold(table):
    from gtzan_helpers.splits import make_folds, protocol_groups

    artists = protocol_groups(table, "artist")
    train, _ = make_folds(table, protocol="artist", n_splits=5, seed=0, groups=artists)[0]
    return (table.y[train], artists[train], table.tracks[train], protocol_groups(table, "track")[train])


def _tracks_by_genre(rows, y, tracks):
    return {g: len(np.unique(tracks[rows][y[rows] == g])) for g in np.unique(y)}


def test_half_tracks_keeps_every_artist_with_half_its_recordings(first_fold):
    y, artists, tracks, recordings = first_fold
    half, _ = halve_artists_or_tracks(y, artists, tracks, recordings=recordings, seed=0)
    assert set(artists[half]) == set(artists)
    for artist in np.unique(artists):
        own = np.unique(recordings[artists == artist])
        kept = np.unique(recordings[half][artists[half] == artist])
        assert len(kept) == max(1, len(own) // 2), artist
    # a recording (a track with its duplicates) is kept or dropped whole
    assert set(np.flatnonzero(np.isin(recordings, recordings[half]))) == set(half)


def test_fewer_artists_keep_all_their_tracks_and_match_the_tracks_genre_by_genre(first_fold):
    y, artists, tracks, recordings = first_fold
    half, fewer = halve_artists_or_tracks(y, artists, tracks, recordings=recordings, seed=0)
    chosen = np.unique(artists[fewer])
    assert set(fewer) == set(np.flatnonzero(np.isin(artists, chosen)))  # whole artists
    assert len(chosen) < len(np.unique(artists))
    wanted, got = _tracks_by_genre(half, y, tracks), _tracks_by_genre(fewer, y, tracks)
    for genre in wanted:
        largest = max(len(np.unique(tracks[artists == a])) for a in np.unique(artists[y == genre]))
        assert abs(got[genre] - wanted[genre]) <= largest / 2 + 1, (genre, wanted, got)


def test_the_halves_are_drawn_from_the_seed(first_fold):
    y, artists, tracks, recordings = first_fold
    again = [halve_artists_or_tracks(y, artists, tracks, recordings=recordings, seed=(0, 1, 2)) for _ in range(2)]
    other = halve_artists_or_tracks(y, artists, tracks, recordings=recordings, seed=(0, 1, 3))
    assert all(np.array_equal(a, b) for a, b in zip(*again))
    assert not all(np.array_equal(a, b) for a, b in zip(again[0], other))


def test_the_three_training_sets_meet_the_same_test_fold(table):
    from gtzan_helpers.honest.baseline_models import baselines
    from gtzan_helpers.evaluation import cross_validate

    small = table.subset(np.flatnonzero(np.isin(table.tracks, np.unique(table.tracks)[::2])))
    quick = {"stump": baselines()["one feature (tracks)"]}  # the design is under test, not the model
    design = artists_or_tracks(small, quick, n_splits=3, n_repeats=2, seed=0)
    assert len(design) == 3 * 2 * len(CONDITIONS)
    by_fold = design.groupby(["repeat", "fold"])
    assert (by_fold["condition"].apply(list) == pd.Series([list(CONDITIONS)] * 6, index=by_fold.size().index)).all()
    assert (by_fold["n_test"].nunique() == 1).all()
    sets = design.set_index(["condition", "repeat", "fold"]).sort_index()
    assert (sets.loc[HALF_TRACKS, "train_artists"] == sets.loc[ALL_DATA, "train_artists"]).all()
    assert (sets.loc[FEWER_ARTISTS, "train_artists"] < sets.loc[HALF_TRACKS, "train_artists"]).all()
    assert (sets.loc[HALF_TRACKS, "n_train"] < sets.loc[ALL_DATA, "n_train"]).all()
    # all the training data is cross-validation on the same folds
    full = cross_validate(small, quick, protocol="artist", n_splits=3, n_repeats=2, seed=0).set_index(["repeat", "fold"])
    assert np.allclose(sets.loc[ALL_DATA, "track_accuracy"], full.sort_index()["track_accuracy"])


def _folds_of(scores: dict, n_train=80, n_test=20):
    return pd.DataFrame([{"candidate": name, "repeat": 1 + j // 5, "fold": 1 + j % 5, "n_train": n_train,
                          "n_test": n_test, "track_accuracy": s} for name, values in scores.items()
                         for j, s in enumerate(values)])


def test_a_family_is_holm_adjusted_and_a_finding_never_holds_zero():
    rng = np.random.default_rng(0)
    base = rng.uniform(0.6, 0.9, 10)
    frame = _folds_of({"full": base, "far": base - 0.2 + rng.normal(0, 0.01, 10),
                       "near": base + rng.normal(0, 0.05, 10), "same": base})
    family = paired_family(frame, "full")
    assert list(family.index) == ["far", "near", "same"]
    expected = corrected_t_test(frame.track_accuracy[frame.candidate == "far"].to_numpy() - base, test_fraction=0.2)
    assert family.loc["far", "difference"] == pytest.approx(expected["mean"])
    assert family.loc["far", "ci"] == pytest.approx(expected["half_width"])
    assert np.allclose(family["p_holm"], holm(family["p_value"]))
    assert family.loc["far", "finding"] and not family.loc["same", "finding"]
    found = family[family["finding"]]
    assert (found["difference"].abs() > found["ci"]).all()


def test_named_pairs_within_each_model_form_one_family():
    rng = np.random.default_rng(1)
    frames = []
    for model in ("a model", "another"):
        base = rng.uniform(0.7, 0.9, 10)
        frames.append(_folds_of({"x": base + 0.1, "y": base, "z": base - 0.001}).assign(model=model))
    family = paired_differences(pd.concat(frames), {"x − y": ("x", "y"), "z − y": ("z", "y")}, within="model")
    assert family.index.names == ["model", "comparison"] and len(family) == 4
    assert family.loc[("a model", "x − y"), "difference"] == pytest.approx(0.1)
    assert np.allclose(family["p_holm"], holm(family["p_value"]))  # over all four rows
