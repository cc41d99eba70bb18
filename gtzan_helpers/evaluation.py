"""Hold-out splits and k-fold cross-validation under both protocols.

``split="segment"`` is the study's protocol: segments are assigned at random, so the
ten segments of one track land on both sides of a split. ``split="track"`` keeps all
segments of a track on one side (stratified by genre), which is what a new song
faces. The scaler is always fitted on the training side only.
Used by notebooks 02–05 and the CLI.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split
from sklearn.preprocessing import StandardScaler

from .data import FeatureTable
from .model import STUDY_HIDDEN, make_mlp
from .training import TrainResult, fit, predict_proba

SPLITS = ("segment", "track")
"""The two evaluation protocols."""


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def holdout_split(table: FeatureTable, *, split: str = "segment", test_size: float = 0.3,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of a stratified train/test split.

    Parameters
    ----------
    table : FeatureTable
    split : {"segment", "track"}
        Split rows at random, or split tracks (all segments of a track go together).
    test_size : float
        Fraction of rows (segment) or tracks (track) in the test set.
    seed : int

    Returns
    -------
    train, test : numpy.ndarray of int
        Sorted row positions.
    """
    _check_split(split)
    rows = np.arange(len(table))
    if split == "segment":
        train, test = train_test_split(rows, test_size=test_size, stratify=table.y,
                                       random_state=seed)
    else:
        tracks, first = np.unique(table.groups, return_index=True)
        train_tracks, _ = train_test_split(tracks, test_size=test_size,
                                           stratify=table.y[first], random_state=seed)
        in_train = np.isin(table.groups, train_tracks)
        train, test = rows[in_train], rows[~in_train]
    return np.sort(train), np.sort(test)


def make_folds(table: FeatureTable, *, split: str = "segment", n_splits: int = 5,
               seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified k-fold (segment) or stratified group k-fold by track (track).

    Returns
    -------
    list of (train, validation) row-position arrays, one pair per fold.
    """
    _check_split(split)
    if split == "segment":
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        return list(splitter.split(table.X, table.y))
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(splitter.split(table.X, table.y, table.groups))


def scale(train: pd.DataFrame, *others: pd.DataFrame) -> tuple[StandardScaler, list[np.ndarray]]:
    """Fit a ``StandardScaler`` on ``train`` only and apply it to ``train`` and ``others``."""
    scaler = StandardScaler().fit(train)
    return scaler, [scaler.transform(train), *(scaler.transform(o) for o in others)]


def track_accuracy(proba: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float:
    """Accuracy of track decisions made by averaging each track's segment probabilities."""
    frame = pd.DataFrame({"p": proba, "y": y, "g": groups}).groupby("g").mean()
    return float(((frame["p"] >= 0.5) == (frame["y"] >= 0.5)).mean())


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
    model = make_mlp(X_train.shape[1], hidden, dropout, seed=seed)
    result = fit(model, X_train, y_train, X_test, y_test, batch_size=batch_size,
                 max_epochs=max_epochs, patience=patience, seed=seed, device=device)
    proba = predict_proba(result.model, X_test)
    best = result.best
    return HoldoutResult(result, scaler, train_rows, test_rows, proba,
                         float(best["val_accuracy"]), float(best["val_loss"]),
                         track_accuracy(proba, y_test, table.groups[test_rows]))


def cross_validate(table: FeatureTable, *, split: str = "segment", n_splits: int = 5,
                   seed: int = 0, hidden: Sequence[int] = STUDY_HIDDEN, dropout: float = 0.2,
                   batch_size: int = 128, max_epochs: int = 100, patience: int | None = 3,
                   device=None) -> pd.DataFrame:
    """k-fold cross-validation of the MLP, as in the study's sweeps.

    In each fold the scaler is fitted on the training folds, the network trains with
    early stopping watching the held-out fold, and the held-out fold is scored with
    the restored best weights.

    Returns
    -------
    pandas.DataFrame
        One row per fold: ``fold``, ``loss`` (BCE), ``accuracy`` (segments),
        ``track_accuracy`` (mean probability per track), ``epochs`` (best epoch) and
        ``seconds`` (wall time of scaling, training and scoring).
    """
    rows = []
    for fold, (train_rows, val_rows) in enumerate(make_folds(table, split=split,
                                                             n_splits=n_splits, seed=seed)):
        start = time.perf_counter()
        _, (X_train, X_val) = scale(table.X.iloc[train_rows], table.X.iloc[val_rows])
        y_val = table.y[val_rows]
        model = make_mlp(X_train.shape[1], hidden, dropout, seed=seed + fold)
        result = fit(model, X_train, table.y[train_rows],
                     X_val, y_val, batch_size=batch_size, max_epochs=max_epochs,
                     patience=patience, seed=seed + fold, device=device)
        proba = predict_proba(result.model, X_val)
        rows.append({"fold": fold + 1, "loss": float(result.best["val_loss"]),
                     "accuracy": float(result.best["val_accuracy"]),
                     "track_accuracy": track_accuracy(proba, y_val, table.groups[val_rows]),
                     "epochs": result.best_epoch, "seconds": time.perf_counter() - start})
    return pd.DataFrame(rows)


def summarize_folds(folds: pd.DataFrame, columns=("loss", "accuracy", "track_accuracy")) -> dict:
    """Mean and standard deviation over folds, plus total seconds.

    Returns
    -------
    dict
        ``<column>`` and ``<column>_std`` for each column, and ``seconds`` (sum).
    """
    out = {}
    for c in columns:
        out[c] = float(folds[c].mean())
        out[f"{c}_std"] = float(folds[c].std(ddof=1))
    out["seconds"] = float(folds["seconds"].sum())
    return out


def sweep(table: FeatureTable, parameter: str, values, *, splits=SPLITS, n_splits: int = 5,
          seed: int = 0, **fixed) -> tuple[pd.DataFrame, pd.DataFrame]:
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
    **fixed
        Further keywords passed to :func:`cross_validate`.

    Returns
    -------
    summary : pandas.DataFrame
        One row per (split, value): mean and standard deviation over folds of
        ``loss``, ``accuracy`` and ``track_accuracy``, and total ``seconds``.
    folds : pandas.DataFrame
        Every fold's row of :func:`cross_validate`, tagged with ``split`` and the value.
    """
    summaries, all_folds = [], []
    for split in splits:
        for value in values:
            kwargs = dict(fixed)
            if parameter == "first_layer":
                kwargs["hidden"] = (value, *STUDY_HIDDEN[1:])
            else:
                kwargs[parameter] = value
            folds = cross_validate(table, split=split, n_splits=n_splits, seed=seed, **kwargs)
            all_folds.append(folds.assign(split=split, **{parameter: value}))
            summaries.append({"split": split, parameter: value, **summarize_folds(folds)})
    return pd.DataFrame(summaries), pd.concat(all_folds, ignore_index=True)


def sweep_table(summary: pd.DataFrame, parameter: str, study: dict | None = None) -> pd.DataFrame:
    """The sweep's summary as the notebooks show it, the study's numbers first.

    Parameters
    ----------
    summary : pandas.DataFrame
        First output of :func:`sweep`.
    parameter : str
        The swept column.
    study : dict, optional
        Setting → (loss, accuracy, seconds) as printed in the study.

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
