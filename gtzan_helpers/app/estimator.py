"""A scikit-learn compatible classifier around the MLP (the reference loop of :mod:`..training`).

With it the network drops into ``Pipeline``, ``cross_validate`` and ``GridSearchCV``
like any scikit-learn model, e.g.
``make_pipeline(StandardScaler(), MLPClassifier(batch_size=64))``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..model import make_mlp
from ..recipe import RECIPE
from ..scoring import class_probabilities, decide
from ..splits import validation_split
from ..training import fit, predict_proba


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """The study's network as a scikit-learn classifier, for two classes or more.

    Two classes train the study's network (one sigmoid output, binary cross-entropy);
    more train a softmax output with cross-entropy. Labels may be any values
    scikit-learn accepts (strings too); :attr:`classes_` holds them sorted, and the
    columns of :meth:`predict_proba` follow that order.

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
        Share of the training groups held out for early stopping
        (:func:`~gtzan_helpers.splits.validation_split`: stratified where possible). Pass
        ``groups`` (track ids) to :meth:`fit` so that the segments of one song are never
        on both sides; without them every row is its own group. With fewer than two
        groups, training uses all rows and watches them.
    seed : int
        Seeds the split, initialisation, data order and dropout.
    device : str, optional
        Torch device; chosen automatically when ``None``.

    Attributes
    ----------
    classes_ : numpy.ndarray of shape (n_classes,)
    n_features_in_ : int
    model_ : MLP
    history_ : pandas.DataFrame
        Per-epoch losses and accuracies.
    """

    def __init__(self, hidden=RECIPE.hidden, dropout=RECIPE.dropout, batch_size=RECIPE.batch_size,
                 lr=RECIPE.lr, max_epochs=RECIPE.max_epochs, patience=RECIPE.patience,
                 validation_fraction=RECIPE.validation_fraction, seed=0, device=None):
        self.hidden = hidden
        self.dropout = dropout
        self.batch_size = batch_size
        self.lr = lr
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.seed = seed
        self.device = device

    def fit(self, X, y, groups=None):
        """Train on features ``X`` (n, d) and labels ``y`` (n,) of two classes or more.

        ``groups`` (n,), e.g. track ids, are kept together by the validation split."""
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, target = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"MLPClassifier needs two classes or more; y has 1 class "
                             f"({self.classes_[0]!r})")
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        if len(groups) != len(y):
            raise ValueError(f"groups has {len(groups)} entries for {len(y)} rows")
        if self.patience is None:
            fit_rows = val_rows = np.arange(len(y))
        else:
            fit_rows, val_rows = validation_split(target, groups, fraction=self.validation_fraction,
                                                  seed=self.seed)
        X_fit, y_fit, X_val, y_val = X[fit_rows], target[fit_rows], X[val_rows], target[val_rows]
        model = make_mlp(X.shape[1], self.hidden, self.dropout, n_classes=len(self.classes_),
                         seed=self.seed)
        result = fit(model, X_fit, y_fit.astype(np.float32), X_val, y_val.astype(np.float32),
                     batch_size=self.batch_size, lr=self.lr, max_epochs=self.max_epochs,
                     patience=self.patience, seed=self.seed, device=self.device)
        self.model_, self.history_ = result.model, result.history
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n, n_classes), columns in :attr:`classes_` order."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return class_probabilities(predict_proba(self.model_, X))

    def predict(self, X) -> np.ndarray:
        """Predicted class label for each row (:func:`~gtzan_helpers.scoring.decide`: for two classes, the second at the recipe's threshold)."""
        proba = self.predict_proba(X)   # first: it raises NotFittedError before fit
        return self.classes_[decide(proba)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags
