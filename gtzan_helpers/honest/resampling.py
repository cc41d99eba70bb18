"""Resampling for the honest comparisons: repeated CV, out-of-fold probabilities, importance, learning curves.

Every function trains fresh copies of :mod:`.candidates` on the folds of
:func:`gtzan_helpers.splits.make_folds` and scores them with
:func:`gtzan_helpers.scoring.score`; early stopping inside a fold watches the
protocol's :func:`~gtzan_helpers.splits.validation_groups`. Folds are spread over
processes by :func:`gtzan_helpers.fast.map_jobs`. Used by notebooks 07 and 09 and
``gtzan evaluate``.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from ..data import FeatureTable
from ..fast.parallel import map_jobs
from ..recipe import RECIPE
from ..scoring import per_track, score, track_accuracy
from ..splits import make_folds, protocol_groups, split_groups, validation_groups
from .candidates import trains_networks


def _folds(table, protocol, watch_groups, n_splits, seed):
    """:func:`make_folds`, reusing the protocol's groups (the validation groups, but for segments)."""
    return make_folds(table, protocol=protocol, n_splits=n_splits, seed=seed,
                      groups=None if protocol == "segment" else watch_groups)


def repeated_cv(table: FeatureTable, candidates: dict, *, protocol: str = "track", n_splits: int = RECIPE.n_splits,
                n_repeats: int = 5, network_repeats: int | None = None, seed: int = 0,
                n_jobs: int | None = None, progress: bool = False, keep_proba: bool = False) -> pd.DataFrame:
    """Score each candidate on the same repeated k-fold splits.

    Parameters
    ----------
    table : FeatureTable
    candidates : dict
        Name → object with ``fit(X, y, tracks, watch_groups, n_classes)`` and
        ``predict_proba(X, tracks)``
        (see :mod:`gtzan_helpers.honest.candidates`); a fresh copy is trained in every fold.
    protocol : {"segment", "track", "artist"}
    n_splits, n_repeats, seed : int
        Repeat ``r`` uses folds shuffled with ``seed + r``.
    network_repeats : int, optional
        Repeats for the candidates that train networks (:func:`~.candidates.trains_networks`),
        which cost most; they run on the first of the same folds. Default: ``n_repeats``.
    n_jobs : int, optional
        joblib spreads the folds over this many processes, one thread each
        (:func:`gtzan_helpers.fast.map_jobs`: workers when they pay, or the backend
        set with :func:`joblib.parallel_config`). The numbers do not depend on it.
    progress : bool
        Show a progress bar of the folds on stderr (where it is a terminal).
    keep_proba : bool
        Also keep each fold's ``test_rows`` and ``proba`` (for :func:`out_of_fold`).

    Returns
    -------
    pandas.DataFrame
        One row per (candidate, repeat, fold): the :func:`score` columns, ``n_train``,
        ``n_test`` and ``chosen`` (the option a :class:`~.candidates.SelectedCandidate`
        chose in that fold; None for the others).
    """
    # inside a fold, early stopping validates on held-out groups of the protocol
    watch_groups = validation_groups(table, protocol)
    repeats = {name: n_repeats if network_repeats is None or not trains_networks(candidate) else network_repeats
               for name, candidate in candidates.items()}
    jobs = [(table, watch_groups, {name: c for name, c in candidates.items() if repeats[name] > repeat},
             repeat, fold, train, test)
            for repeat in range(max(repeats.values(), default=0))
            for fold, (train, test) in enumerate(
                _folds(table, protocol, watch_groups, n_splits, seed + repeat))]
    done = map_jobs(_score_fold, jobs, n_jobs=n_jobs, progress="cross-validating" if progress else None)
    results = pd.DataFrame([row for rows in done for row in rows])
    return results if keep_proba else results.drop(columns=["test_rows", "proba"])


def out_of_fold(results: pd.DataFrame, candidate: str, n_rows: int, *, repeat: int = 1) -> np.ndarray:
    """One repeat's out-of-fold probabilities of one candidate, from :func:`repeated_cv` run with
    ``keep_proba=True``: every row predicted by the model of the fold that held it out."""
    part = results[(results["candidate"] == candidate) & (results["repeat"] == repeat)]
    if part.empty:
        raise ValueError(f"no folds of {candidate!r} in repeat {repeat}")
    first = np.asarray(part["proba"].iloc[0])
    out = np.full((n_rows, *first.shape[1:]), np.nan)
    for rows, proba in zip(part["test_rows"], part["proba"]):
        out[rows] = proba
    return out


def out_of_fold_tracks(results: pd.DataFrame, candidate: str, table: FeatureTable) -> list[np.ndarray]:
    """Every repeat's out-of-fold probability of each track of ``table``: the mean of its
    segments' probabilities, each from the model of the fold that held that segment out
    (tracks sorted, as :func:`~gtzan_helpers.scoring.per_track` sorts them).

    Returns
    -------
    list of numpy.ndarray
        One per repeat of :func:`repeated_cv` (run with ``keep_proba=True``), each of shape
        (n_tracks,) or (n_tracks, k).
    """
    repeats = sorted(results.loc[results["candidate"] == candidate, "repeat"].unique())
    return [per_track(out_of_fold(results, candidate, len(table), repeat=r), table.tracks)[1] for r in repeats]


def _score_fold(job) -> list[dict]:
    """Every candidate trained on one fold's training rows and scored on its test rows."""
    table, watch_groups, candidates, repeat, fold, train, test = job
    rows = []
    for name, candidate in candidates.items():
        model = _fitted(table, watch_groups, candidate, train)
        proba = model.predict_proba(table.X.iloc[test], table.tracks[test])
        rows.append({"candidate": name, "repeat": repeat + 1, "fold": fold + 1,
                     **score(proba, table.y[test], table.tracks[test]),
                     "n_train": len(train), "n_test": len(test),
                     # what a nested selection chose in this fold
                     "chosen": getattr(model, "chosen_", None), "test_rows": test, "proba": proba})
    return rows


def cross_val_proba(table: FeatureTable, candidate, *, protocol: str = "artist", n_splits: int = RECIPE.n_splits,
                    seed: int = 0, n_jobs: int | None = None) -> np.ndarray:
    """Out-of-fold probabilities for every row: one k-fold run of ``candidate``.

    Every row is predicted by the model of the one fold that held it out (the folds of
    :func:`make_folds`, as in the first repeat of :func:`repeated_cv`), which makes
    per-track and per-artist error analysis possible.

    Returns
    -------
    numpy.ndarray, shape (n_rows,) or (n_rows, k)
        The probability of label 1 for two genres, of every genre for more, as the
        candidate's ``predict_proba`` gives them.
    """
    results = repeated_cv(table, {"candidate": candidate}, protocol=protocol, n_splits=n_splits, n_repeats=1,
                          seed=seed, n_jobs=n_jobs, keep_proba=True)
    return out_of_fold(results, "candidate", len(table))


def _fitted(table, watch_groups, candidate, train):
    """A fresh copy of ``candidate`` trained on rows ``train``."""
    model = copy.deepcopy(candidate)
    model.fit(table.X.iloc[train], table.y[train], table.tracks[train], watch_groups[train],
              n_classes=len(table.genres))
    return model


def permutation_importance(table: FeatureTable, candidate, column_groups: dict, *,
                           protocol: str = "artist", n_splits: int = RECIPE.n_splits, n_permutations: int = 5,
                           seed: int = 0, n_jobs: int | None = None) -> pd.DataFrame:
    """Grouped permutation importance: the loss of track accuracy when a group of features is
    shuffled between the tracks of the test fold.

    In each fold of :func:`make_folds` the candidate is trained once; then, for each group
    of columns, every test track receives that group's values from another test track (a
    random permutation of the tracks, segment by segment), and the test fold is scored
    again. Shuffling a whole group at once keeps its features' correlations with each other
    and breaks only their link to the genre; shuffling whole tracks keeps each track's own
    segments together, which matters to models that summarise tracks.
    (:func:`sklearn.inspection.permutation_importance` shuffles one column over rows.)

    Parameters
    ----------
    candidate
        An object as in :func:`repeated_cv`.
    column_groups : dict
        Group name → feature names (e.g. :data:`gtzan_helpers.features.FEATURE_GROUPS`).
    n_permutations : int
        Shuffles per group and fold; fold ``k`` draws them with ``seed + k``.

    Returns
    -------
    pandas.DataFrame
        One row per (fold, group, permutation): ``track_accuracy`` with the group
        shuffled and ``drop`` (the unshuffled track accuracy minus it), in fractions.
    """
    watch_groups = validation_groups(table, protocol)
    jobs = [(table, watch_groups, candidate, train, test, column_groups, n_permutations, seed + fold)
            for fold, (train, test) in enumerate(_folds(table, protocol, watch_groups, n_splits, seed))]
    rows = map_jobs(_permutation_fold, jobs, n_jobs=n_jobs)
    return pd.DataFrame([{"fold": fold + 1, **row} for fold, fold_rows in enumerate(rows)
                         for row in fold_rows])


def _permutation_fold(job) -> list[dict]:
    table, watch_groups, candidate, train, test, column_groups, n_permutations, seed = job
    model = _fitted(table, watch_groups, candidate, train)
    X, y, tracks = table.X.iloc[test], table.y[test], table.tracks[test]
    intact = track_accuracy(model.predict_proba(X, tracks), y, tracks)
    names = np.unique(tracks)
    rows_of = [np.flatnonzero(tracks == name) for name in names]
    values, rng, out = X.to_numpy(), np.random.default_rng(seed), []
    for name, columns in column_groups.items():
        cols = [X.columns.get_loc(c) for c in columns]
        for permutation in range(n_permutations):
            shuffled = values.copy()
            for rows, donor in zip(rows_of, rng.permutation(len(names))):
                # a donor with another number of segments lends them cyclically
                shuffled[np.ix_(rows, cols)] = values[np.ix_(np.resize(rows_of[donor], len(rows)), cols)]
            accuracy = track_accuracy(model.predict_proba(pd.DataFrame(shuffled, columns=X.columns,
                                                                       index=X.index), tracks),
                                      y, tracks)
            out.append({"group": name, "permutation": permutation + 1,
                        "track_accuracy": accuracy, "drop": intact - accuracy})
    return out


def learning_curve(table: FeatureTable, candidates: dict, *, protocol: str = "artist",
                   fractions=(0.2, 0.4, 0.6, 0.8, 1.0), n_splits: int = RECIPE.n_splits, n_repeats: int = 2,
                   seed: int = 0, n_jobs: int | None = None) -> pd.DataFrame:
    """Test scores when each fold trains on only a share of its training groups.

    In every fold of :func:`repeated_cv`'s splits, ``fraction`` of the training groups
    (tracks or artists, stratified by genre) are kept and the rest dropped; the test
    fold stays whole, so every fraction is scored on the same rows.

    Returns
    -------
    pandas.DataFrame
        One row per (candidate, fraction, repeat, fold): the :func:`score` columns,
        ``fraction``, ``train_tracks`` and ``train_groups``.
    """
    watch_groups = validation_groups(table, protocol)
    groups = protocol_groups(table, protocol) if protocol == "segment" else watch_groups
    jobs, facts = [], []
    for repeat in range(n_repeats):
        for fold, (train, test) in enumerate(_folds(table, protocol, watch_groups, n_splits, seed + repeat)):
            for fraction in fractions:
                keep = train if fraction >= 1 else train[split_groups(
                    table.y[train], groups[train], test_size=1 - fraction, seed=seed + fold)[0]]
                jobs.append((table, watch_groups, candidates, repeat, fold, keep, test))
                facts.append({"fraction": fraction, "train_tracks": len(np.unique(table.tracks[keep])),
                              "train_groups": len(np.unique(groups[keep]))})
    results = map_jobs(_score_fold, jobs, n_jobs=n_jobs)
    return pd.DataFrame([{**row, **fact} for fact, rows in zip(facts, results) for row in rows])
