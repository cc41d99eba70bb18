"""A scikit-learn compatible classifier around the MLP.

With it the network drops into ``Pipeline``, ``cross_validate`` and ``GridSearchCV``
like any scikit-learn model, e.g.
``make_pipeline(StandardScaler(), MLPClassifier(batch_size=64))``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from .model import STUDY_HIDDEN, make_mlp
from .training import fit, predict_proba


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """The study's network as a binary scikit-learn classifier.

    Parameters
    ----------
    hidden : tuple of int
        Hidden layer widths.
    dropout : float
        Dropout after each hidden layer.
    batch_size : int
        Rows per optimizer step.
    lr : float
        Adam learning rate.
    max_epochs : int
        Upper bound on epochs.
    patience : int or None
        Early-stopping patience on the loss of an internal validation split;
        ``None`` trains ``max_epochs`` epochs on all rows.
    validation_fraction : float
        Share of the training rows held out (stratified) for early stopping.
    seed : int
        Seeds the split, initialisation, data order and dropout.
    device : str, optional
        Torch device; chosen automatically when ``None``.

    Attributes
    ----------
    classes_ : numpy.ndarray of shape (2,)
    model_ : MLP
    history_ : pandas.DataFrame
        Per-epoch losses and accuracies.
    """

    def __init__(self, hidden=STUDY_HIDDEN, dropout=0.2, batch_size=128, lr=1e-3,
                 max_epochs=100, patience=3, validation_fraction=0.1, seed=0, device=None):
        self.hidden = hidden
        self.dropout = dropout
        self.batch_size = batch_size
        self.lr = lr
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.seed = seed
        self.device = device

    def fit(self, X, y):
        """Train on features ``X`` (n, d) and two-class labels ``y`` (n,)."""
        X, y = validate_data(self, X, y, dtype=np.float32)
        self.classes_ = unique_labels(y)
        if len(self.classes_) != 2:
            raise ValueError(f"MLPClassifier is binary; got classes {self.classes_.tolist()}")
        target = (y == self.classes_[1]).astype(np.float32)
        if self.patience is None:
            X_fit, y_fit, X_val, y_val = X, target, X, target
        else:
            X_fit, X_val, y_fit, y_val = train_test_split(
                X, target, test_size=self.validation_fraction, stratify=target,
                random_state=self.seed)
        model = make_mlp(X.shape[1], self.hidden, self.dropout, seed=self.seed)
        result = fit(model, X_fit, y_fit, X_val, y_val,
                     batch_size=self.batch_size, lr=self.lr, max_epochs=self.max_epochs,
                     patience=self.patience, seed=self.seed, device=self.device)
        self.model_, self.history_ = result.model, result.history
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n, 2), columns in :attr:`classes_` order."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        p = predict_proba(self.model_, X)
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        """Predicted class label for each row."""
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]
