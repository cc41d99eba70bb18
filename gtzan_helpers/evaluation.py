"""Hold-out splits, k-fold cross-validation and sweeps under three protocols.

``split="segment"`` is the study's protocol: segments are assigned at random, so the
ten segments of one track land on both sides of a split. ``split="track"`` keeps all
segments of a track (and of its duplicates) on one side, which is what a new song
faces; ``split="artist"`` keeps all tracks of an artist on one side, which is what a
new artist's song faces (the "artist filter" of Pampalk, Flexer and Widmer, 2005).
Splits are stratified by genre. The scaler is always fitted on the training side only.
Used by notebooks 02–07 and the CLI; the statistics of the scores are in
:mod:`gtzan_helpers.stats`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    StratifiedGroupKFold,
    StratifiedKFold,
    train_test_split,
)
from sklearn.preprocessing import StandardScaler

from . import SPLITS
from .data import FeatureTable
from .model import STUDY_HIDDEN, make_mlp
from .stats import summarize_folds
from .training import TrainResult, decide, fit, predict_proba

STOPPING = ("held-out fold", "inner")
"""What early stopping may watch in :func:`cross_validate`."""


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def protocol_groups(table: FeatureTable, split: str) -> np.ndarray:
    """The group of each row that protocol ``split`` keeps on one side of every split.

    ``"segment"``: every row is its own group (the study's random split). ``"track"``:
    the row's track. ``"artist"``: the track's artist (Sturm's index; a track of
    unknown artist is an artist of its own). Under both, duplicate tracks
    (:func:`~gtzan_helpers.data.find_duplicate_tracks`) share one group, so a repeated
    recording never sits on both sides.

    Returns
    -------
    numpy.ndarray of str, shape (n_rows,)
        A label per row; rows with the same label go together.
    """
    from scipy.cluster.hierarchy import DisjointSet

    from .data import find_duplicate_tracks

    _check_split(split)
    if split == "segment":
        return np.arange(len(table)).astype(str)
    sets = DisjointSet(np.unique(table.groups))
    for duplicates in find_duplicate_tracks(table):
        for other in duplicates[1:]:
            sets.merge(duplicates[0], other)
    if split == "artist":
        for track, artist in dict(zip(table.groups, table.artists)).items():
            sets.add(f"artist:{artist}")
            sets.merge(track, f"artist:{artist}")
    names = {}
    for members in sets.subsets():
        label = " + ".join(sorted(m.removeprefix("artist:") for m in members
                                  if m.startswith("artist:") == (split == "artist")))
        names.update(dict.fromkeys(members, label))
    return np.asarray([names[g] for g in table.groups])


def _validation_groups(table: FeatureTable, split: str) -> np.ndarray:
    """Groups a candidate keeps together in its own validation split: the protocol's, tracks for segments."""
    return table.groups if split == "segment" else protocol_groups(table, split)


def holdout_split(table: FeatureTable, *, split: str = "segment", test_size: float = 0.3,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of a train/test split, stratified by genre.

    Parameters
    ----------
    table : FeatureTable
    split : {"segment", "track", "artist"}
        Split rows at random, or split the groups of :func:`protocol_groups` (all
        segments of a track, or all tracks of an artist, go together).
    test_size : float
        Fraction of rows (segment) or groups (track, artist) in the test set.
    seed : int

    Returns
    -------
    train, test : numpy.ndarray of int
        Sorted row positions.
    """
    _check_split(split)
    if split != "segment":
        return split_tracks(table.y, protocol_groups(table, split), test_size=test_size, seed=seed)
    train, test = train_test_split(np.arange(len(table)), test_size=test_size,
                                   stratify=_strata(table.y, test_size), random_state=seed)
    return np.sort(train), np.sort(test)


def _strata(labels, test_size: float):
    """``labels`` to stratify a split by, or None where some genre is too rare to be split
    (a small table: a genre with one track cannot be on both sides)."""
    counts = np.unique(labels, return_counts=True)[1]
    n_test = test_size if test_size >= 1 else int(np.ceil(test_size * len(labels)))
    if counts.min() < 2 or min(n_test, len(labels) - n_test) < len(counts):
        return None
    return labels


def split_tracks(y, groups, *, test_size: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of a split by group, stratified by genre: all of a group's rows go together.

    Parameters
    ----------
    y, groups : array-like, shape (n,)
        Labels and groups of the rows (track ids, or :func:`protocol_groups`); a
        group's genre is that of its first row.
    test_size : float
        Fraction of the groups on the second side.

    Returns
    -------
    first, second : numpy.ndarray of int
        Sorted row positions.
    """
    y, groups = np.asarray(y), np.asarray(groups)
    tracks, first = np.unique(groups, return_index=True)
    keep, _ = train_test_split(tracks, test_size=test_size, stratify=_strata(y[first], test_size),
                               random_state=seed)
    inside = np.isin(groups, keep)
    rows = np.arange(len(y))
    return rows[inside], rows[~inside]


def make_folds(table: FeatureTable, *, split: str = "segment", n_splits: int = 5,
               seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified k-fold (segment), or stratified group k-fold over :func:`protocol_groups`.

    ``StratifiedGroupKFold`` keeps each group in one fold and balances the genres
    between folds as well as the groups allow: under the artist protocol the 9 blues
    artists and about 50 metal ones (17 unknown among them) spread over 5 folds, so a
    fold holds one or two blues artists.

    Returns
    -------
    list of (train, validation) row-position arrays, one pair per fold.
    """
    _check_split(split)
    if split == "segment":
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        return list(splitter.split(table.X, table.y))
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(splitter.split(table.X, table.y, protocol_groups(table, split)))


def stopping_folds(table: FeatureTable, *, split: str = "segment", n_splits: int = 5, seed: int = 0,
                   stopping: str = "held-out fold", validation_size: float = 0.2) -> list[tuple]:
    """The folds of :func:`make_folds` with the rows early stopping watches in each.

    ``stopping="held-out fold"`` (the study's recipe): the scored fold itself.
    ``"inner"``: ``validation_size`` of the training fold's groups (tracks under the
    segment protocol, else :func:`protocol_groups`), stratified by genre and drawn with
    ``seed + fold``; the network then trains on the rest.

    Returns
    -------
    list of (train, watch, test) row-position arrays, one triple per fold.
    """
    if stopping not in STOPPING:
        raise ValueError(f"stopping must be one of {STOPPING}, got {stopping!r}")
    folds = make_folds(table, split=split, n_splits=n_splits, seed=seed)
    if stopping == "held-out fold":
        return [(train, test, test) for train, test in folds]
    groups = _validation_groups(table, split)
    triples = []
    for fold, (train, test) in enumerate(folds):
        kept, watched = split_tracks(table.y[train], groups[train], test_size=validation_size,
                                     seed=seed + fold)
        triples.append((train[kept], train[watched], test))
    return triples


def scale(train: pd.DataFrame, *others: pd.DataFrame) -> tuple[StandardScaler, list[np.ndarray]]:
    """Fit a ``StandardScaler`` on ``train`` only and apply it to ``train`` and ``others``."""
    scaler = StandardScaler().fit(train)
    return scaler, [scaler.transform(train), *(scaler.transform(o) for o in others)]


def track_accuracy(proba: np.ndarray, y: np.ndarray, groups: np.ndarray, *,
                   method: str = "mean") -> float:
    """Accuracy of track decisions made from each track's segments (see :func:`track_table`)."""
    _, p_tracks, label, _ = _track_decisions(proba, y, groups, method)
    return float((decide(p_tracks) == label).mean())


def _track_decisions(proba, y, groups, method: str):
    """Tracks (sorted), their mean probabilities (of label 1, or of every class) and label,
    and each row's track position. ``method="vote"`` averages the segments' decisions."""
    p = np.asarray(proba, dtype=np.float64)
    if method == "vote":  # each segment's decision, as a probability of 0 or 1
        p = decide(p).astype(np.float64) if p.ndim == 1 else np.eye(p.shape[1])[decide(p)]
    elif method != "mean":
        raise ValueError(f"method must be 'mean' or 'vote', got {method!r}")
    tracks, first, inverse, counts = np.unique(np.asarray(groups), return_index=True,
                                               return_inverse=True, return_counts=True)
    columns = p.reshape(len(p), -1)
    means = np.stack([np.bincount(inverse, weights=c, minlength=len(tracks)) for c in columns.T],
                     axis=1) / counts[:, None]
    return tracks, means.reshape(len(tracks), *p.shape[1:]), np.asarray(y)[first], inverse


@dataclass
class HoldoutResult:
    """A model trained on one side of :func:`holdout_split` and scored on the other."""

    train: TrainResult
    scaler: StandardScaler
    train_rows: np.ndarray
    test_rows: np.ndarray
    test_proba: np.ndarray
    test_accuracy: float
    test_loss: float
    test_track_accuracy: float


def train_holdout(table: FeatureTable, *, split: str = "segment", test_size: float = 0.3,
                  seed: int = 0, hidden: Sequence[int] = STUDY_HIDDEN, dropout: float = 0.2,
                  batch_size: int = 128, max_epochs: int = 100, patience: int | None = 3,
                  device=None) -> HoldoutResult:
    """The study's experiment: a 70:30 split, early stopping watching the test side.

    As in the study, the test side doubles as the validation set for early stopping;
    its accuracy is therefore slightly optimistic (notebook 02 says so).

    Returns
    -------
    HoldoutResult
    """
    train_rows, test_rows = holdout_split(table, split=split, test_size=test_size, seed=seed)
    scaler, (X_train, X_test) = scale(table.X.iloc[train_rows], table.X.iloc[test_rows])
    y_train, y_test = table.y[train_rows], table.y[test_rows]
    model = make_mlp(X_train.shape[1], hidden, dropout, n_classes=len(table.genres), seed=seed)
    result = fit(model, X_train, y_train, X_test, y_test, batch_size=batch_size,
                 max_epochs=max_epochs, patience=patience, seed=seed, device=device)
    proba = predict_proba(result.model, X_test)
    best = result.best
    return HoldoutResult(result, scaler, train_rows, test_rows, proba,
                         float(best["val_accuracy"]), float(best["val_loss"]),
                         track_accuracy(proba, y_test, table.groups[test_rows]))


def cross_validate(table: FeatureTable, *, split="segment", n_splits: int = 5,
                   seed: int = 0, hidden: Sequence[int] = STUDY_HIDDEN, dropout: float = 0.2,
                   batch_size: int = 128, max_epochs: int = 100, patience: int | None = 3,
                   stopping: str = "held-out fold", validation_size: float = 0.2,
                   device=None, engine: str = "fast"):
    """k-fold cross-validation of the MLP, as in the study's sweeps.

    In each fold the scaler is fitted on the rows the network trains on, the network
    trains with early stopping, and the held-out fold is scored with the restored best
    weights. ``stopping="held-out fold"`` is the study's recipe: early stopping watches
    the held-out fold, so the fold that picks the epoch also scores it (an optimistic
    bias). ``stopping="inner"`` holds out ``validation_size`` of the training folds'
    groups (tracks under the segment protocol, else the protocol's groups; stratified by
    genre) for early stopping and never looks at the held-out fold until it is scored.

    ``engine="fast"`` trains the k networks together
    (:func:`gtzan_helpers.fast_training.fit_many`); ``engine="plain"`` runs the readable reference loop
    of :func:`gtzan_helpers.training.fit` fold after fold. Both follow the same recipe
    and give statistically the same accuracy, not the same bits: their random streams
    for data order and dropout differ.

    Parameters
    ----------
    split : {"segment", "track", "artist"} or a sequence of them
        With several protocols, the fast engine trains the folds of all of them as one
        stack (the networks have the same shape), and a dict ``split → frame`` comes back.
    stopping : {"held-out fold", "inner"}
        What early stopping watches (see above).
    validation_size : float
        Share of the training folds' groups held out for ``stopping="inner"``.

    Returns
    -------
    pandas.DataFrame
        One row per fold: ``fold``, ``loss`` (cross-entropy; BCE for two genres), ``accuracy`` (segments),
        ``track_accuracy`` (mean probability per track) and ``epochs`` (best epoch).
    """
    splits = (split,) if isinstance(split, str) else tuple(split)
    folds = {s: stopping_folds(table, split=s, n_splits=n_splits, seed=seed, stopping=stopping,
                               validation_size=validation_size) for s in splits}
    if engine == "fast":
        frames = _cross_validate_fast(table, folds, seed=seed, hidden=hidden, dropout=dropout,
                                      batch_size=batch_size, max_epochs=max_epochs,
                                      patience=patience, device=device)
    elif engine == "plain":
        frames = {s: _cross_validate_plain(table, f, seed=seed, hidden=hidden, dropout=dropout,
                                           batch_size=batch_size, max_epochs=max_epochs,
                                           patience=patience, device=device)
                  for s, f in folds.items()}
    else:
        raise ValueError(f"engine must be 'fast' or 'plain', got {engine!r}")
    return frames[split] if isinstance(split, str) else frames


def _cross_validate_plain(table, folds, *, seed, hidden, dropout, batch_size, max_epochs,
                          patience, device) -> pd.DataFrame:
    rows = []
    for fold, (train_rows, watch_rows, test_rows) in enumerate(folds):
        _, (X_train, X_watch, X_test) = scale(table.X.iloc[train_rows], table.X.iloc[watch_rows],
                                              table.X.iloc[test_rows])
        model = make_mlp(X_train.shape[1], hidden, dropout, n_classes=len(table.genres),
                         seed=seed + fold)
        result = fit(model, X_train, table.y[train_rows], X_watch, table.y[watch_rows],
                     batch_size=batch_size, max_epochs=max_epochs,
                     patience=patience, seed=seed + fold, device=device)
        rows.append(_fold_row(table, test_rows, fold, result.best_epoch,
                              predict_proba(result.model, X_test)))
    return pd.DataFrame(rows)


def _fold_row(table, test_rows, fold, best_epoch, proba) -> dict:
    """One row of :func:`cross_validate`: the held-out fold scored at the best epoch."""
    scores = score(proba, table.y[test_rows], table.groups[test_rows])
    return {"fold": fold + 1, "loss": scores["loss"], "accuracy": scores["accuracy"],
            "track_accuracy": scores["track_accuracy"], "epochs": int(best_epoch)}


def _cross_validate_fast(table, folds, *, seed, hidden, dropout, batch_size, max_epochs,
                         patience, device) -> dict:
    """The folds of every split in ``folds`` (split → folds) trained as one stack."""
    from .fast_training import fit_many

    runs = [(split, fold, rows) for split, split_folds in folds.items()
            for fold, rows in enumerate(split_folds)]
    data, tests, X = [], [], table.X.to_numpy()  # arrays: cheaper input checks than frames'
    for _, _, (train_rows, watch_rows, test_rows) in runs:
        _, (X_train, X_watch, X_test) = scale(X[train_rows], X[watch_rows], X[test_rows])
        data.append((X_train, table.y[train_rows].astype(np.float32), X_watch,
                     table.y[watch_rows].astype(np.float32)))
        tests.append(X_test)
    # fold k starts from seed + k under every protocol, as in separate runs
    result = fit_many(*zip(*data), seeds=[seed + fold for _, fold, _ in runs], hidden=hidden,
                      dropout=dropout, batch_size=batch_size, max_epochs=max_epochs,
                      patience=patience, device=device, n_classes=len(table.genres))
    rows = {split: [] for split in folds}
    for i, (split, fold, (_, _, test_rows)) in enumerate(runs):
        rows[split].append(_fold_row(table, test_rows, fold, result.best_epochs[i],
                                     result.predict_proba(tests[i], network=i)))
    return {split: pd.DataFrame(split_rows) for split, split_rows in rows.items()}


def sweep(table: FeatureTable, parameter: str, values, *, splits=SPLITS, n_splits: int = 5,
          seed: int = 0, n_jobs: int | None = None, **fixed) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cross-validate the MLP for each value of one setting, under each protocol.

    Parameters
    ----------
    table : FeatureTable
    parameter : str
        ``"batch_size"``, or ``"first_layer"`` (width of the first hidden layer; the
        other hidden layers keep the study's 128), or any keyword of :func:`cross_validate`.
    values : iterable
        The settings to try.
    splits : sequence of {"segment", "track"}
    n_splits, seed : int
        Folds and seed; every setting sees the same folds (a paired comparison).
    n_jobs : int, optional
        One run per value covers every split (with the fast engine their folds train as
        one stack); joblib spreads the runs over this many processes, one thread each
        (:func:`gtzan_helpers.parallel.map_jobs`; default: one per core, or the backend
        set with :func:`joblib.parallel_config`, e.g. a Dask cluster). The numbers do
        not depend on it. Runs on a GPU stay in this process.
    **fixed
        Further keywords passed to :func:`cross_validate`.

    Returns
    -------
    summary : pandas.DataFrame
        One row per (split, value): mean and standard deviation over folds of
        ``loss``, ``accuracy`` and ``track_accuracy``.
    folds : pandas.DataFrame
        Every fold's row of :func:`cross_validate`, tagged with ``split`` and the value.
    """
    from .parallel import map_jobs

    values, jobs = list(values), []
    for value in values:
        kwargs = dict(fixed, n_splits=n_splits, seed=seed)
        if parameter == "first_layer":
            kwargs["hidden"] = (value, *STUDY_HIDDEN[1:])
        else:
            kwargs[parameter] = value
        jobs.append((table, tuple(splits), kwargs))
    results = map_jobs(_cross_validate_job, jobs, n_jobs=n_jobs, device=fixed.get("device"))
    summaries, all_folds = [], []
    for split in splits:
        for value, by_split in zip(values, results):
            folds = by_split[split]
            all_folds.append(folds.assign(split=split, **{parameter: value}))
            summaries.append({"split": split, parameter: value, **summarize_folds(folds)})
    return pd.DataFrame(summaries), pd.concat(all_folds, ignore_index=True)


def _cross_validate_job(job) -> dict:
    table, splits, kwargs = job
    return cross_validate(table, split=splits, **kwargs)


def sweep_table(summary: pd.DataFrame, parameter: str, study: dict | None = None) -> pd.DataFrame:
    """The sweep's summary as the notebooks show it, the study's numbers first.

    Parameters
    ----------
    summary : pandas.DataFrame
        First output of :func:`sweep`.
    parameter : str
        The swept column.
    study : dict, optional
        Setting → (loss, accuracy, seconds) as printed in the study (the seconds are not shown).

    Returns
    -------
    pandas.DataFrame
        One row per setting; accuracies in % as ``"mean ± sd"`` over folds.
    """
    def mean_sd(part, column):
        return ((part[column] * 100).map("{:.2f}".format) + " ± "
                + (part[f"{column}_std"] * 100).map("{:.2f}".format))

    columns = {}
    if study:
        columns["study: loss"] = pd.Series({k: v[0] for k, v in study.items()})
        columns["study: accuracy (%)"] = pd.Series({k: round(v[1] * 100, 2) for k, v in study.items()})
    for split in summary["split"].unique():
        part = summary[summary["split"] == split].set_index(parameter)
        columns[f"{split} folds: loss"] = part["loss"].round(4)
        columns[f"{split} folds: accuracy (%)"] = mean_sd(part, "accuracy")
        columns[f"{split} folds: track accuracy (%)"] = mean_sd(part, "track_accuracy")
    frame = pd.DataFrame(columns)
    frame.index.name = parameter
    return frame


# --- the honest protocol: a fixed held-out set of tracks, repeated grouped CV, CIs ---------

def stopping_comparison(study: pd.DataFrame, inner: pd.DataFrame, parameter: str) -> pd.DataFrame:
    """Mean CV accuracy of each setting with the two stopping rules of :func:`cross_validate`.

    Parameters
    ----------
    study, inner : pandas.DataFrame
        Summaries from :func:`sweep` with ``stopping="held-out fold"`` and ``"inner"``.
    parameter : str
        The swept column.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``split``, setting): both mean accuracies in % and their difference in
        points (positive: watching the scored fold flattered the score).
    """
    study_acc, inner_acc = (s.set_index(["split", parameter])["accuracy"] * 100 for s in (study, inner))
    return pd.DataFrame({"stops on the scored fold (%)": study_acc,
                         "stops on an inner split (%)": inner_acc,
                         "difference (points)": study_acc - inner_acc})


def load_heldout_split(table: FeatureTable, path=None) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of the development and held-out test tracks of the fault-filtered split.

    The partition is data: the "fault-filtered" split of GTZAN by Kereliuk, Sturm and
    Larsen ("Deep Learning and Music Adversaries", IEEE Trans. Multimedia, 2015),
    restricted to blues and metal (``data/fault_filtered_split.csv``). Artists never
    cross its partitions; its ``train`` and ``valid`` tracks are the development set
    here, its ``test`` tracks the held-out set. Tracks it leaves out (GTZAN's nine
    repeated or distorted metal excerpts) are in neither.

    Returns
    -------
    dev, test : numpy.ndarray of int
        Row positions.
    """
    from .paths import FAULT_FILTERED_SPLIT

    path = path or FAULT_FILTERED_SPLIT
    split = pd.read_csv(path, dtype=str)
    if not {"track", "partition"} <= set(split.columns):
        raise ValueError(f"{path}: a split needs the columns track and partition")
    partition = dict(zip(split["track"], split["partition"]))
    where = np.asarray([partition.get(g, "") for g in table.groups])
    rows = np.arange(len(table))
    return rows[np.isin(where, ["train", "valid"])], rows[where == "test"]


def track_table(proba, y, groups, *, method: str = "mean") -> pd.DataFrame:
    """One row per track: its segments' probabilities, the track decision and the truth.

    Parameters
    ----------
    method : {"mean", "vote"}
        Average the segment probabilities, or take the majority of segment decisions
        (ties go to metal).

    Returns
    -------
    pandas.DataFrame
        Indexed by track: ``p_metal`` (mean probability or share of metal votes),
        ``predicted`` and ``label`` (0/1), ``correct`` and ``segments`` (list of probabilities).
    """
    ids, p_metal, label, inverse = _track_decisions(proba, y, groups, method)
    tracks = pd.DataFrame({"p_metal": p_metal, "label": label}, index=pd.Index(ids, name="g"))
    tracks["predicted"] = (p_metal >= 0.5).astype(int)
    tracks["correct"] = tracks["predicted"] == tracks["label"]
    rounded = np.round(np.asarray(proba, dtype=np.float64), 3)
    tracks["segments"] = [rounded[inverse == i].tolist() for i in range(len(ids))]
    return tracks


def score(proba, y, groups) -> dict:
    """Segment accuracy, cross-entropy loss, and track accuracy (mean probability and vote).

    ``proba`` is the probability of label 1, shape (n,), or of every class, shape (n, k).
    """
    proba, y = np.asarray(proba, dtype=float), np.asarray(y)
    clipped = np.clip(proba, 1e-7, 1 - 1e-7)
    if proba.ndim == 1:
        loss = -np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))
    else:
        loss = -np.mean(np.log(clipped[np.arange(len(y)), y]))
    return {"accuracy": float((decide(proba) == y).mean()),
            "loss": float(loss),
            "track_accuracy": track_accuracy(proba, y, groups),
            "track_vote_accuracy": track_accuracy(proba, y, groups, method="vote")}


def repeated_cv(table: FeatureTable, candidates: dict, *, split: str = "track", n_splits: int = 5,
                n_repeats: int = 5, seed: int = 0, n_jobs: int | None = None,
                progress: bool = False) -> pd.DataFrame:
    """Score each candidate on the same repeated k-fold splits.

    Parameters
    ----------
    table : FeatureTable
    candidates : dict
        Name → object with ``fit(X, y, groups)`` and ``predict_proba(X, groups)``
        (see :mod:`gtzan_helpers.candidates`); a fresh copy is trained in every fold.
    split : {"segment", "track"}
    n_splits, n_repeats, seed : int
        Repeat ``r`` uses folds shuffled with ``seed + r``.
    n_jobs : int, optional
        joblib spreads the folds over this many processes, one thread each
        (:func:`gtzan_helpers.parallel.map_jobs`; default: one per core, or the backend
        set with :func:`joblib.parallel_config`). The numbers do not depend on it.
    progress : bool
        Print a line as each fold is done.

    Returns
    -------
    pandas.DataFrame
        One row per (candidate, repeat, fold): the :func:`score` columns, ``n_train``
        and ``n_test``.
    """
    from .parallel import map_jobs

    # inside a fold, early stopping validates on held-out groups of the protocol
    split_groups = _validation_groups(table, split)
    jobs = [(table, split_groups, candidates, repeat, fold, train, test, progress)
            for repeat in range(n_repeats)
            for fold, (train, test) in enumerate(
                make_folds(table, split=split, n_splits=n_splits, seed=seed + repeat))]
    return pd.DataFrame([row for rows in map_jobs(_score_fold, jobs, n_jobs=n_jobs) for row in rows])


def _score_fold(job) -> list[dict]:
    """Every candidate trained on one fold's training rows and scored on its test rows."""
    table, split_groups, candidates, repeat, fold, train, test, progress = job
    rows = []
    for name, candidate in candidates.items():
        proba = _fit_predict((table, split_groups, candidate, train, test))
        rows.append({"candidate": name, "repeat": repeat + 1, "fold": fold + 1,
                     **score(proba, table.y[test], table.groups[test]),
                     "n_train": len(train), "n_test": len(test)})
    if progress:
        print(f"repeat {repeat + 1} fold {fold + 1} done", flush=True)
    return rows


def cross_val_proba(table: FeatureTable, candidate, *, split: str = "artist", n_splits: int = 5,
                    seed: int = 0, n_jobs: int | None = None) -> np.ndarray:
    """Out-of-fold probability of metal for every row: one k-fold run of ``candidate``.

    Every row is predicted by the model of the one fold that held it out (the folds of
    :func:`make_folds`, as in the first repeat of :func:`repeated_cv`), which makes
    per-track and per-artist error analysis possible.

    Returns
    -------
    numpy.ndarray, shape (n_rows,)
    """
    from .parallel import map_jobs

    split_groups = _validation_groups(table, split)
    folds = make_folds(table, split=split, n_splits=n_splits, seed=seed)
    probas = map_jobs(_fit_predict, [(table, split_groups, candidate, train, test)
                                     for train, test in folds], n_jobs=n_jobs)
    out = np.empty(len(table))
    for (_, test), proba in zip(folds, probas):
        out[test] = proba
    return out


def _fitted(table, split_groups, candidate, train):
    """A fresh copy of ``candidate`` trained on rows ``train``."""
    import copy

    model = copy.deepcopy(candidate)
    model.fit(table.X.iloc[train], table.y[train], table.groups[train], split_groups[train],
              n_classes=len(table.genres))
    return model


def _fit_predict(job) -> np.ndarray:
    """A fresh copy of a candidate trained on rows ``train``; its probabilities for rows ``test``."""
    table, split_groups, candidate, train, test = job
    return _fitted(table, split_groups, candidate, train).predict_proba(table.X.iloc[test],
                                                                        table.groups[test])


def permutation_importance(table: FeatureTable, candidate, column_groups: dict, *,
                           split: str = "artist", n_splits: int = 5, n_permutations: int = 5,
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
    from .parallel import map_jobs

    split_groups = _validation_groups(table, split)
    jobs = [(table, split_groups, candidate, train, test, column_groups, n_permutations, seed + fold)
            for fold, (train, test) in enumerate(make_folds(table, split=split, n_splits=n_splits,
                                                            seed=seed))]
    rows = map_jobs(_permutation_fold, jobs, n_jobs=n_jobs)
    return pd.DataFrame([{"fold": fold + 1, **row} for fold, fold_rows in enumerate(rows)
                         for row in fold_rows])


def _permutation_fold(job) -> list[dict]:
    table, split_groups, candidate, train, test, column_groups, n_permutations, seed = job
    model = _fitted(table, split_groups, candidate, train)
    X, y, groups = table.X.iloc[test], table.y[test], table.groups[test]
    intact = track_accuracy(model.predict_proba(X, groups), y, groups)
    tracks = np.unique(groups)
    rows_of = [np.flatnonzero(groups == track) for track in tracks]
    values, rng, out = X.to_numpy(), np.random.default_rng(seed), []
    for name, columns in column_groups.items():
        cols = [X.columns.get_loc(c) for c in columns]
        for permutation in range(n_permutations):
            shuffled = values.copy()
            for rows, donor in zip(rows_of, rng.permutation(len(tracks))):
                # a donor with another number of segments lends them cyclically
                shuffled[np.ix_(rows, cols)] = values[np.ix_(np.resize(rows_of[donor], len(rows)), cols)]
            accuracy = track_accuracy(model.predict_proba(pd.DataFrame(shuffled, columns=X.columns,
                                                                       index=X.index), groups),
                                      y, groups)
            out.append({"group": name, "permutation": permutation + 1,
                        "track_accuracy": accuracy, "drop": intact - accuracy})
    return out


def learning_curve(table: FeatureTable, candidates: dict, *, split: str = "artist",
                   fractions=(0.2, 0.4, 0.6, 0.8, 1.0), n_splits: int = 5, n_repeats: int = 2,
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
    from .parallel import map_jobs

    groups = protocol_groups(table, split)
    split_groups = _validation_groups(table, split)
    jobs, facts = [], []
    for repeat in range(n_repeats):
        for fold, (train, test) in enumerate(make_folds(table, split=split, n_splits=n_splits,
                                                        seed=seed + repeat)):
            for fraction in fractions:
                keep = train if fraction >= 1 else train[split_tracks(
                    table.y[train], groups[train], test_size=1 - fraction, seed=seed + fold)[0]]
                jobs.append((table, split_groups, candidates, repeat, fold, keep, test, False))
                facts.append({"fraction": fraction, "train_tracks": len(np.unique(table.groups[keep])),
                              "train_groups": len(np.unique(groups[keep]))})
    results = map_jobs(_score_fold, jobs, n_jobs=n_jobs)
    return pd.DataFrame([{**row, **fact} for fact, rows in zip(facts, results) for row in rows])
