"""Models compared under the honest protocol: the study's MLP, an improved MLP, baselines.

Every candidate has the same two methods, so one cross-validation loop scores them
all on the same folds:

``fit(X, y, groups)``
    Train on a feature frame (segments), 0/1 labels and track ids.
``predict_proba(X, groups)``
    Probability of metal per segment.

Track ids are passed because some inputs use a track's other segments (never
another track's, and never a label): the *track context* features. For a new song
the same holds: all its segments are there when it is classified.
Used by ``07_honest_evaluation`` and ``gtzan evaluate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.preprocessing import StandardScaler

from .evaluation import scale, split_tracks
from .fast_training import fit_many
from .model import STUDY_HIDDEN


def log_variances(X: pd.DataFrame) -> pd.DataFrame:
    """``log10`` of the heavy-tailed ``*_var`` columns (the others unchanged)."""
    X = X.copy()
    columns = [c for c in X.columns if c.endswith("_var")]
    X[columns] = np.log10(np.clip(X[columns].to_numpy(), 1e-12, None))
    return X


def add_track_context(X: pd.DataFrame, groups) -> pd.DataFrame:
    """Append each track's mean over its own segments as ``<feature>_track`` columns.

    A segment then sees the whole song it belongs to. Only the segment's own track
    is used (no label, no other track), so this is legitimate under any split.
    """
    means = X.groupby(np.asarray(groups)).transform("mean")
    means.columns = [f"{c}_track" for c in X.columns]
    return pd.concat([X.reset_index(drop=True), means.reset_index(drop=True)], axis=1)


def _inputs(X, groups, log_var: bool, track_context: bool) -> pd.DataFrame:
    X = pd.DataFrame(X).reset_index(drop=True)
    if log_var:
        X = log_variances(X)
    if track_context:
        X = add_track_context(X, groups)
    return X


@dataclass
class MLPCandidate:
    """The MLP trained honestly: early stopping watches held-out *tracks* of the training data.

    Parameters
    ----------
    hidden, dropout, batch_size, weight_decay, patience
        As in :func:`gtzan_helpers.training.fit`.
    log_var : bool
        Log-transform the ``*_var`` features first.
    track_context : bool
        Append each segment's track means (:func:`add_track_context`).
    n_models : int
        Average the probabilities of this many networks trained with different seeds.
    seed : int
    """

    hidden: Sequence[int] = STUDY_HIDDEN
    dropout: float = 0.2
    batch_size: int = 128
    weight_decay: float = 0.0
    patience: int = 3
    log_var: bool = False
    track_context: bool = False
    n_models: int = 1
    seed: int = 0
    device: str | None = None

    def fit(self, X, y, groups):
        X = _inputs(X, groups, self.log_var, self.track_context)
        y = np.asarray(y, dtype=np.float32)
        # early stopping watches 15% of the training tracks, stratified by genre
        fit_rows, val_rows = split_tracks(y, groups, test_size=0.15, seed=self.seed)
        self.scaler_, (X_fit, X_val) = scale(X.iloc[fit_rows], X.iloc[val_rows])
        # the ensemble's networks train together (fast path), each from its own seed
        k = self.n_models
        self.networks_ = fit_many([X_fit] * k, [y[fit_rows]] * k, [X_val] * k, [y[val_rows]] * k,
                                  seeds=[self.seed * 1000 + i for i in range(k)],
                                  hidden=self.hidden, dropout=self.dropout,
                                  batch_size=self.batch_size, weight_decay=self.weight_decay,
                                  patience=self.patience, device=self.device)
        return self

    def predict_proba(self, X, groups) -> np.ndarray:
        X = self.scaler_.transform(_inputs(X, groups, self.log_var, self.track_context))
        return self.networks_.predict_proba(X).mean(axis=0)


@dataclass
class SklearnCandidate:
    """A scikit-learn classifier behind a scaler fitted on the training rows."""

    estimator: object
    log_var: bool = False

    def fit(self, X, y, groups):
        from sklearn.pipeline import make_pipeline

        self.pipeline_ = make_pipeline(StandardScaler(), clone(self.estimator))
        self.pipeline_.fit(_inputs(X, groups, self.log_var, False), np.asarray(y))
        return self

    def predict_proba(self, X, groups) -> np.ndarray:
        return self.pipeline_.predict_proba(_inputs(X, groups, self.log_var, False))[:, 1]


def study_mlp(*, batch_size: int = 128, first_layer: int = 128, seed: int = 0) -> MLPCandidate:
    """The study's recipe (3×128, dropout 0.2, patience 3) with a first-layer width and batch size."""
    return MLPCandidate(hidden=(first_layer, *STUDY_HIDDEN[1:]), batch_size=batch_size, seed=seed)


def improved_mlp(*, seed: int = 0) -> MLPCandidate:
    """The MLP chosen by grouped cross-validation on the development tracks (notebook 07).

    Log-variance inputs, track context, dropout 0.5 and an ensemble of five networks.
    """
    return MLPCandidate(dropout=0.5, log_var=True, track_context=True, n_models=5, seed=seed)


def baselines(seed: int = 0) -> dict[str, SklearnCandidate]:
    """Logistic regression, RBF SVM, kNN, gradient boosting and the majority-class floor."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC

    return {
        "majority class": SklearnCandidate(DummyClassifier(strategy="most_frequent")),
        "logistic regression": SklearnCandidate(LogisticRegression(max_iter=5000)),
        "SVM (RBF)": SklearnCandidate(CalibratedClassifierCV(SVC(random_state=seed), ensemble=False)),
        "kNN (k=5)": SklearnCandidate(KNeighborsClassifier(n_neighbors=5)),
        "gradient boosting": SklearnCandidate(HistGradientBoostingClassifier(random_state=seed)),
    }
