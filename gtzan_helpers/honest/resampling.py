"""Analyses over the one cross-validation: out-of-fold probabilities, importance, learning curves.

Every function trains fresh copies of :mod:`.candidates` on the folds of
:func:`gtzan_helpers.splits.make_folds`, as :func:`gtzan_helpers.evaluation.cross_validate`
does (its fold runner, :func:`~gtzan_helpers.evaluation.fit_and_score`, is theirs too), and
scores them with :func:`gtzan_helpers.scoring.score`. Folds are spread over processes by
:func:`gtzan_helpers.fast.map_jobs`. Used by notebooks 07, 09 and 10 and ``gtzan evaluate``.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from .. import DEFAULT_PROTOCOL
from ..data import FeatureTable
from ..evaluation import Fold, cross_validate, fit_and_score, fit_on, protocol_folds
from ..fast.parallel import map_jobs
from ..recipe import RECIPE
from ..scoring import per_track, track_accuracy
from ..splits import protocol_groups, split_groups, validation_groups


def out_of_fold(results: pd.DataFrame, candidate: str, n_rows: int, *, repeat: int = 1) -> np.ndarray:
    """One repeat's out-of-fold probabilities of one candidate, from :func:`~gtzan_helpers.evaluation.cross_validate`
    run with ``keep_proba=True`` (one protocol): every row predicted by the model of the fold that held it out."""
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
        One per repeat of :func:`~gtzan_helpers.evaluation.cross_validate` (run with ``keep_proba=True``), each of shape
        (n_tracks,) or (n_tracks, k).
    """
    repeats = sorted(results.loc[results["candidate"] == candidate, "repeat"].unique())
    return [per_track(out_of_fold(results, candidate, len(table), repeat=r), table.tracks)[1] for r in repeats]


def cross_val_proba(table: FeatureTable, candidate, *, protocol: str = DEFAULT_PROTOCOL, n_splits: int = RECIPE.n_splits,
                    seed: int = 0, n_jobs: int | None = None) -> np.ndarray:
    """Out-of-fold probabilities for every row: one k-fold run of ``candidate``.

    Every row is predicted by the model of the one fold that held it out (the folds of
    :func:`make_folds`, as in the first repeat of :func:`~gtzan_helpers.evaluation.cross_validate`), which makes
    per-track and per-artist error analysis possible.

    Returns
    -------
    numpy.ndarray, shape (n_rows,) or (n_rows, k)
        The probability of label 1 for two genres, of every genre for more, as the
        candidate's ``predict_proba`` gives them.
    """
    results = cross_validate(table, {"candidate": candidate}, protocol=protocol, n_splits=n_splits,
                             seed=seed, n_jobs=n_jobs, keep_proba=True)
    return out_of_fold(results, "candidate", len(table))


def permutation_importance(table: FeatureTable, candidate, column_groups: dict, *,
                           protocol: str = DEFAULT_PROTOCOL, n_splits: int = RECIPE.n_splits, n_permutations: int = 5,
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
        A candidate of :func:`~gtzan_helpers.evaluation.cross_validate`.
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
    jobs = [(table, candidate, fold, column_groups, n_permutations, seed + fold.fold - 1)
            for fold in protocol_folds(table, protocol, n_splits=n_splits, seed=seed)]
    rows = map_jobs(_permutation_fold, jobs, n_jobs=n_jobs)
    return pd.DataFrame([{"fold": fold + 1, **row} for fold, fold_rows in enumerate(rows)
                         for row in fold_rows])


def _permutation_fold(job) -> list[dict]:
    table, candidate, fold, column_groups, n_permutations, seed = job
    model = fit_on(table, copy.deepcopy(candidate), fold)
    X, y, tracks = table.X.iloc[fold.test], table.y[fold.test], table.tracks[fold.test]
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


def learning_curve(table: FeatureTable, candidates: dict, *, protocol: str = DEFAULT_PROTOCOL,
                   fractions=(0.2, 0.4, 0.6, 0.8, 1.0), n_splits: int = RECIPE.n_splits, n_repeats: int = 2,
                   seed: int = 0, n_jobs: int | None = None) -> pd.DataFrame:
    """Test scores when each fold trains on only a share of its training groups.

    In every fold of :func:`~gtzan_helpers.evaluation.cross_validate`'s splits, ``fraction`` of the training groups
    (tracks or artists, stratified by genre) are kept and the rest dropped; the test
    fold stays whole, so every fraction is scored on the same rows.

    Returns
    -------
    pandas.DataFrame
        One row per (candidate, fraction, repeat, fold): the columns of :func:`~gtzan_helpers.evaluation.cross_validate`,
        ``fraction``, ``train_tracks`` and ``train_groups``.
    """
    validation = validation_groups(table, protocol)  # what the validation splits keep whole
    groups = protocol_groups(table, protocol)   # what is kept or dropped
    jobs, facts = [], []
    for fold in protocol_folds(table, protocol, n_splits=n_splits, seed=seed, n_repeats=n_repeats):
        for fraction in fractions:
            keep = fold.train if fraction >= 1 else fold.train[split_groups(
                table.y[fold.train], groups[fold.train], test_size=1 - fraction, seed=seed + fold.fold - 1)[0]]
            part = Fold(protocol, fold.repeat, fold.fold, keep, fold.test, validation[keep])
            jobs.append((table, [(name, candidate, part) for name, candidate in candidates.items()]))
            facts.append({"fraction": fraction, "train_tracks": len(np.unique(table.tracks[keep])),
                          "train_groups": len(np.unique(groups[keep]))})
    results = map_jobs(fit_and_score, jobs, n_jobs=n_jobs)
    return pd.DataFrame([{**row, **fact} for fact, rows in zip(facts, results) for row in rows]).drop(
        columns=["test_rows", "proba"])
