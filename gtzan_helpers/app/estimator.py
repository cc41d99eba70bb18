"""A scikit-learn compatible classifier around the MLP (trained by :func:`..training.train`).

With it the network drops into ``Pipeline``, ``cross_validate`` and ``GridSearchCV``
like any scikit-learn model. Groups (track ids) reach :meth:`MLPClassifier.fit` through
scikit-learn's metadata routing, so that a grouped cross-validation passes each training
fold's groups on to the validation split::

    import sklearn
    from sklearn.model_selection import GroupKFold, cross_validate

    sklearn.set_config(enable_metadata_routing=True)
    model = MLPClassifier().set_fit_request(groups=True)
    cross_validate(model, X, y, cv=GroupKFold(5), params={"groups": tracks})
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..recipe import RECIPE
from ..scoring import class_probabilities, decide
from ..training import Task, train


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """The study's network as a scikit-learn classifier, for two classes or more.

    Two classes train the study's network (one sigmoid output, binary cross-entropy);
    more train a softmax output with cross-entropy. Labels may be any values
    scikit-learn accepts (strings too); :attr:`classes_` holds them sorted, and the
    columns of :meth:`predict_proba` follow that order. The features are standardised on
    the rows the network trains on, as everywhere in the package.

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
    alpha : float
        L2 penalty: Adam's weight decay (scikit-learn's name for it).
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
    random_state : int, numpy.random.RandomState or None
        Seeds the split, initialisation, data order and dropout (an int gives the same
        network every time).
    device : str, optional
        Torch device; chosen automatically when ``None``.

    Attributes
    ----------
    classes_ : numpy.ndarray of shape (n_classes,)
    n_features_in_ : int
    trained_ : gtzan_helpers.training.Trained
        The network and the scaler of its inputs.
    model_ : MLP
    history_ : pandas.DataFrame
        Per-epoch losses and accuracies.

    Examples
    --------
    >>> import numpy as np
    >>> from gtzan_helpers.app.estimator import MLPClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3)); y = np.where(X[:, 0] > 0, "metal", "blues")
    >>> model = MLPClassifier(hidden=(16,), lr=0.01, max_epochs=50, random_state=0, device="cpu").fit(X, y)
    >>> model.classes_.tolist()
    ['blues', 'metal']
    >>> bool(model.score(X, y) > 0.9)
    True
    """

    def __init__(self, hidden=RECIPE.hidden, dropout=RECIPE.dropout, batch_size=RECIPE.batch_size,
                 lr=RECIPE.lr, alpha=RECIPE.weight_decay, max_epochs=RECIPE.max_epochs, patience=RECIPE.patience,
                 validation_fraction=RECIPE.validation_fraction, random_state=0, device=None):
        self.hidden = hidden
        self.dropout = dropout
        self.batch_size = batch_size
        self.lr = lr
        self.alpha = alpha
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.random_state = random_state
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
        if groups is not None and len(groups) != len(y):
            raise ValueError(f"groups has {len(groups)} entries for {len(y)} rows")
        seed = self.random_state if isinstance(self.random_state, (int, np.integer)) else \
            int(check_random_state(self.random_state).randint(2**31))
        recipe = RECIPE.replace(hidden=tuple(self.hidden), dropout=self.dropout, batch_size=self.batch_size,
                                lr=self.lr, weight_decay=self.alpha, max_epochs=self.max_epochs,
                                patience=self.patience,
                                # no stopping: nothing to hold back
                                validation_fraction=0 if self.patience is None else self.validation_fraction)
        self.trained_ = train(Task(X, target, groups, seed=int(seed)), recipe, n_classes=len(self.classes_),
                              device=self.device)
        self.model_, self.history_ = self.trained_.model, self.trained_.history
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n, n_classes), columns in :attr:`classes_` order."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return class_probabilities(self.trained_.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """Predicted class label for each row (:func:`~gtzan_helpers.scoring.decide`: for two classes, the second at the recipe's threshold)."""
        proba = self.predict_proba(X)   # first: it raises NotFittedError before fit
        return self.classes_[decide(proba)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags
