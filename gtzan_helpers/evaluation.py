"""The study's experiments: the 70:30 hold-out, k-fold cross-validation and sweeps.

Every split comes from :mod:`.splits` under one of the three protocols, the scaler is
fitted on the rows the network trains on, and every score is computed by
:mod:`.scoring`. Cross-validation trains its folds with the fast stacked trainer
(:mod:`.fast`) or, fold after fold, with the readable reference loop of
:func:`.training.fit`. Used by notebooks 02–06 and ``gtzan evaluate``; the statistics
of the scores are in :mod:`.stats`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from . import PROTOCOLS
from .data import FeatureTable
from .fast.parallel import map_jobs
from .fast.stacked import fit_many
from .model import make_mlp
from .recipe import RECIPE
from .scoring import brier_score, score
from .splits import holdout_split, stopping_folds, validation_groups, validation_split
from .stats import summarize_folds
from .training import TrainResult, fit, predict_proba, scale


@dataclass
class HoldoutResult:
    """A model trained on one side of :func:`~gtzan_helpers.splits.holdout_split` and scored on the other."""

    train: TrainResult
    scaler: StandardScaler
    train_rows: np.ndarray
    test_rows: np.ndarray
    test_proba: np.ndarray
    test_accuracy: float
    test_loss: float
    test_track_accuracy: float


def train_holdout(table: FeatureTable, *, protocol: str = "segment",
                  test_size: float = RECIPE.test_size, seed: int = 0,
                  hidden: Sequence[int] = RECIPE.hidden, dropout: float = RECIPE.dropout,
                  batch_size: int = RECIPE.batch_size, max_epochs: int = RECIPE.max_epochs,
                  patience: int | None = RECIPE.patience, stopping: str = "test",
                  device=None) -> HoldoutResult:
    """The study's experiment: a 70:30 split, early stopping watching the test side.

    With ``stopping="test"``, as in the study, the test side doubles as the validation
    set for early stopping; its scores are therefore optimistic (notebook 02 says so).
    ``stopping="inner"`` watches the :func:`~gtzan_helpers.splits.validation_split` of
    the training side instead (the network trains on the rest of it), so the epoch is
    chosen without the test rows (notebook 03).

    Returns
    -------
    HoldoutResult
    """
    train_rows, test_rows = holdout_split(table, protocol=protocol, test_size=test_size, seed=seed)
    if stopping == "inner":
        fit_part, watch_part = validation_split(table.y[train_rows],
                                                validation_groups(table, protocol)[train_rows], seed=seed)
        train_rows, watch_rows = train_rows[fit_part], train_rows[watch_part]
    elif stopping == "test":
        watch_rows = test_rows
    else:
        raise ValueError(f"stopping must be 'test' or 'inner', got {stopping!r}")
    scaler, (X_train, X_test, X_watch) = scale(*(table.X.iloc[r] for r in (train_rows, test_rows, watch_rows)))
    y_train, y_test = table.y[train_rows], table.y[test_rows]
    model = make_mlp(X_train.shape[1], hidden, dropout, n_classes=len(table.genres), seed=seed)
    result = fit(model, X_train, y_train, X_watch, table.y[watch_rows], batch_size=batch_size,
                 max_epochs=max_epochs, patience=patience, seed=seed, device=device)
    proba = predict_proba(result.model, X_test)
    scores = score(proba, y_test, table.tracks[test_rows])
    return HoldoutResult(result, scaler, train_rows, test_rows, proba, scores["accuracy"],
                         scores["loss"], scores["track_accuracy"])


def cross_validate(table: FeatureTable, *, protocol: str | Sequence[str] = "segment",
                   n_splits: int = RECIPE.n_splits, seed: int = 0,
                   hidden: Sequence[int] = RECIPE.hidden, dropout: float = RECIPE.dropout,
                   batch_size: int = RECIPE.batch_size, max_epochs: int = RECIPE.max_epochs,
                   patience: int | None = RECIPE.patience, stopping: str = "held-out fold",
                   validation_fraction: float = RECIPE.validation_fraction,
                   device=None, engine: str = "fast", brier: bool = False) -> pd.DataFrame:
    """k-fold cross-validation of the MLP, as in the study's sweeps.

    In each fold the scaler is fitted on the rows the network trains on, the network
    trains with early stopping, and the held-out fold is scored with the restored best
    weights. ``stopping="held-out fold"`` is the study's recipe: early stopping watches
    the held-out fold, so the fold that picks the epoch also scores it (an optimistic
    bias). ``stopping="inner"`` watches the :func:`~gtzan_helpers.splits.validation_split`
    of the training folds and never looks at the held-out fold until it is scored.

    ``engine="fast"`` trains the k networks together
    (:func:`gtzan_helpers.fast.fit_many`); ``engine="plain"`` runs the readable reference
    loop of :func:`gtzan_helpers.training.fit` fold after fold. Both follow the same recipe
    and give statistically the same accuracy, not the same bits: their random streams
    for data order and dropout differ.

    Parameters
    ----------
    protocol : {"segment", "track", "artist"} or a sequence of them
        With several protocols, the fast engine trains the folds of all of them as one
        stack (the networks have the same shape).
    stopping : {"held-out fold", "inner"}
        What early stopping watches (see above).
    validation_fraction : float
        Share of the training folds' groups that ``stopping="inner"`` watches.
    brier : bool
        Also score the held-out fold's :func:`~gtzan_helpers.scoring.brier_score` (column ``brier``).

    Returns
    -------
    pandas.DataFrame
        One row per (protocol, fold): ``protocol``, ``fold``, ``loss`` (cross-entropy),
        ``accuracy`` (segments), ``track_accuracy`` (mean probability per track), with
        ``brier`` its Brier score, and ``epochs`` (best epoch; ``max_epochs`` when
        ``patience`` is None, which keeps the last epoch's weights).
    """
    protocols = (protocol,) if isinstance(protocol, str) else tuple(protocol)
    runs = [(p, fold, rows) for p in protocols
            for fold, rows in enumerate(stopping_folds(table, protocol=p, n_splits=n_splits, seed=seed,
                                                       stopping=stopping,
                                                       validation_fraction=validation_fraction))]
    recipe = dict(hidden=hidden, dropout=dropout, batch_size=batch_size, max_epochs=max_epochs,
                  patience=patience, device=device)
    if engine == "fast":
        probas, epochs = _folds_fast(table, runs, seed=seed, **recipe)
    elif engine == "plain":
        probas, epochs = _folds_plain(table, runs, seed=seed, **recipe)
    else:
        raise ValueError(f"engine must be 'fast' or 'plain', got {engine!r}")
    rows = []
    for (p, fold, (_, _, test)), proba, best_epoch in zip(runs, probas, epochs):
        scores = score(proba, table.y[test], table.tracks[test])
        rows.append({"protocol": p, "fold": fold + 1, "loss": scores["loss"],
                     "accuracy": scores["accuracy"], "track_accuracy": scores["track_accuracy"],
                     **({"brier": brier_score(proba, table.y[test])} if brier else {}),
                     "epochs": int(best_epoch)})
    return pd.DataFrame(rows)


def _folds_plain(table, runs, *, seed, hidden, dropout, batch_size, max_epochs, patience, device):
    """Each fold trained by the reference loop: its test probabilities and best epoch."""
    probas, epochs = [], []
    for _, fold, (train_rows, watch_rows, test_rows) in runs:
        _, (X_train, X_watch, X_test) = scale(table.X.iloc[train_rows], table.X.iloc[watch_rows],
                                              table.X.iloc[test_rows])
        model = make_mlp(X_train.shape[1], hidden, dropout, n_classes=len(table.genres),
                         seed=seed + fold)
        result = fit(model, X_train, table.y[train_rows], X_watch, table.y[watch_rows],
                     batch_size=batch_size, max_epochs=max_epochs,
                     patience=patience, seed=seed + fold, device=device)
        probas.append(predict_proba(result.model, X_test))
        epochs.append(result.best_epoch)
    return probas, epochs


def _folds_fast(table, runs, *, seed, hidden, dropout, batch_size, max_epochs, patience, device):
    """Every fold of every protocol trained as one stack: test probabilities and best epochs."""
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
    probas = [result.predict_proba(X_test, network=i) for i, X_test in enumerate(tests)]
    return probas, result.best_epochs


def sweep(table: FeatureTable, parameter: str, values, *, protocols=PROTOCOLS,
          n_splits: int = RECIPE.n_splits, seed: int = 0, n_jobs: int | None = None,
          **fixed) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cross-validate the MLP for each value of one setting, under each protocol.

    Parameters
    ----------
    table : FeatureTable
    parameter : str
        ``"batch_size"``, or ``"first_layer"`` (width of the first hidden layer; the
        other hidden layers keep the recipe's), or any keyword of :func:`cross_validate`.
    values : iterable
        The settings to try.
    protocols : sequence of {"segment", "track", "artist"}
    n_splits, seed : int
        Folds and seed; every setting sees the same folds (a paired comparison).
    n_jobs : int, optional
        One run per value covers every protocol (with the fast engine their folds train
        as one stack); :func:`gtzan_helpers.fast.map_jobs` spreads the runs over processes
        when that pays. The numbers do not depend on it.
    **fixed
        Further keywords passed to :func:`cross_validate`.

    Returns
    -------
    summary : pandas.DataFrame
        One row per (protocol, value): mean and standard deviation over folds of
        ``loss``, ``accuracy`` and ``track_accuracy``.
    folds : pandas.DataFrame
        Every fold's row of :func:`cross_validate`, tagged with the value.
    """
    values, jobs = list(values), []
    for value in values:
        kwargs = dict(fixed, n_splits=n_splits, seed=seed, protocol=tuple(protocols))
        if parameter == "first_layer":
            kwargs["hidden"] = (value, *fixed.get("hidden", RECIPE.hidden)[1:])
        else:
            kwargs[parameter] = value
        jobs.append((table, kwargs))
    results = map_jobs(_cross_validate_job, jobs, n_jobs=n_jobs, device=fixed.get("device"))
    folds = pd.concat([r.assign(**{parameter: v}) for v, r in zip(values, results)], ignore_index=True)
    folds = folds.sort_values("protocol", key=lambda s: s.map(list(protocols).index), kind="stable")
    summaries = [{"protocol": p, parameter: v, **summarize_folds(part)}
                 for (p, v), part in folds.groupby(["protocol", parameter], sort=False)]
    return pd.DataFrame(summaries), folds.reset_index(drop=True)


def _cross_validate_job(job) -> pd.DataFrame:
    table, kwargs = job
    return cross_validate(table, **kwargs)


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
    for protocol in summary["protocol"].unique():
        part = summary[summary["protocol"] == protocol].set_index(parameter)
        columns[f"{protocol} folds: loss"] = part["loss"].round(4)
        columns[f"{protocol} folds: accuracy (%)"] = mean_sd(part, "accuracy")
        columns[f"{protocol} folds: track accuracy (%)"] = mean_sd(part, "track_accuracy")
    frame = pd.DataFrame(columns)
    frame.index.name = parameter
    return frame


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
        Indexed by (``protocol``, setting): both mean accuracies in % and their difference in
        points (positive: watching the scored fold flattered the score).
    """
    study_acc, inner_acc = (s.set_index(["protocol", parameter])["accuracy"] * 100 for s in (study, inner))
    return pd.DataFrame({"stops on the scored fold (%)": study_acc,
                         "stops on an inner split (%)": inner_acc,
                         "difference (points)": study_acc - inner_acc})
