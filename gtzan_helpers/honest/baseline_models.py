"""The models beside the MLPs: the trivial baselines, scikit-learn's defaults, and models tuned
as hard as the tuned MLP.

Each is a :class:`~.candidates.SklearnCandidate` or a :class:`~.candidates.SelectedCandidate`
among them, so the same cross-validation scores them beside the MLPs. Every grid of options is
a constant here, so a reader sees what was tried. Used by notebooks 02, 07, 09 and 10.
"""

from __future__ import annotations

import itertools

from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from .candidates import SelectedCandidate, SklearnCandidate


def one_feature(*, seed: int = 0, max_depth: int = 4) -> SklearnCandidate:
    """The best single feature for many genres: the feature with the largest ANOVA F on the
    training rows (:class:`~sklearn.feature_selection.SelectKBest`), cut into at most
    ``2 ** max_depth`` intervals by a small decision tree.

    For two genres one threshold suffices (``baselines()["one feature (segments)"]``, a
    depth-1 tree that picks its own feature); for ten, one threshold cannot name ten genres.
    """
    return SklearnCandidate(make_pipeline(
        SelectKBest(f_classif, k=1),
        DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=5, random_state=seed)))


TRACK_LR_C = (0.01, 0.03, 0.1, 0.3, 1.0)
"""Inverse regularisation strengths the track-level logistic regression chooses among."""
SVM_C = (1.0, 3.0, 10.0, 30.0, 100.0)
SVM_GAMMA = (0.0003, 0.001, 0.003, 0.01)
"""Penalties and kernel widths the tuned RBF SVM chooses among, every pair: C from
scikit-learn's default (1) up two decades, the kernel width up to just below its default
(``gamma="scale"``, 1/57 on 57 standardised features), towards nearly linear kernels. A
first grid (C from 0.3 to 10, the width from 0.003 to 0.1) had its choice on the development
tracks fall on its corner, C = 10 and width 0.003; on this one the choices fall inside. Its
variances are always log-transformed: an RBF kernel's distances are ruled by the largest
coordinates, and the raw variances are heavy-tailed."""
KNN_K = (1, 3, 5, 9, 15, 25, 41)
"""Neighbour counts the tuned kNN chooses among."""
FOREST_MAX_FEATURES = ("sqrt", 0.3)
"""How many features the tuned random forest (50 trees) tries at each split, its most telling
setting: scikit-learn's default (the square root, 7 of 57) or 30 % of them. A tree's splits do
not change when a variance is log-transformed, so that is not a choice here."""


def _tuned(make, grid: dict, name_of, seed: int, *, log_var=(True, False), **options) -> SelectedCandidate:
    """A model of whole tracks whose settings (every combination of ``grid``'s values,
    ``make(**setting)`` builds the estimator) and whether the variances are
    log-transformed are chosen inside its training data (:class:`SelectedCandidate`)."""
    settings = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    return SelectedCandidate({f"{name_of(**setting)}{', log variances' if log else ''}":
                              SklearnCandidate(make(**setting), log_var=log, track_level=True, seed=seed)
                              for log in log_var for setting in settings}, seed=seed, **options)


def baselines(seed: int = 0) -> dict:
    """The models beside the MLPs, from the trivial ones up.

    ``majority class``
        The most frequent genre of the training rows.
    ``one feature (segments)`` and ``one feature (tracks)``
        One feature and one threshold (a depth-1 decision tree), both chosen on the
        training rows: over the 57 features of each segment, or over each track's
        summaries (:func:`~.inputs.track_summaries`: means and, for segments, spreads).
    ``logistic regression``, ``SVM (RBF)``, ``kNN (k=5)``
        scikit-learn's defaults on segments; nothing chosen (the SVM's probabilities from
        a sigmoid on inner folds grouped as the training groups).
    ``logistic regression (tracks)``
        One row per track (:func:`~.inputs.track_summaries`); its strength C (:data:`TRACK_LR_C`)
        and whether the variances are log-transformed are chosen inside its training
        data (:class:`SelectedCandidate`).
    """
    stump = DecisionTreeClassifier(max_depth=1, random_state=seed)
    return {
        "majority class": SklearnCandidate(DummyClassifier(strategy="most_frequent")),
        "one feature (segments)": SklearnCandidate(stump),
        "one feature (tracks)": SklearnCandidate(stump, track_level=True),
        "logistic regression (tracks)": _tuned(lambda C: LogisticRegression(C=C, max_iter=5000), {"C": TRACK_LR_C},
                                               lambda C: f"C={C:g}", seed),
        "logistic regression": SklearnCandidate(LogisticRegression(max_iter=5000)),
        "SVM (RBF)": SklearnCandidate(SVC(random_state=seed), calibrate=True, seed=seed),
        "kNN (k=5)": SklearnCandidate(KNeighborsClassifier(n_neighbors=5)),
    }


def tuned_baselines(seed: int = 0) -> dict:
    """The SVM, kNN and a random forest, tuned as hard as the tuned MLP.

    On one row per track, each chooses its settings inside the training data by inner
    cross-validation over the protocol's groups (:class:`SelectedCandidate`): the SVM its
    C and kernel width (:data:`SVM_C` × :data:`SVM_GAMMA`, on log variances, ranked by its
    decisions, the chosen one then calibrated as in :func:`baselines`), kNN its k
    (:data:`KNN_K`) with and without log variances, and the random forest the features it tries per
    split (:data:`FOREST_MAX_FEATURES`). Used by notebook 10,
    beside the tuned MLP.

    Parameters
    ----------
    seed : int
        Seeds the inner folds, the SVM's calibration folds and the forest.

    Returns
    -------
    dict
        ``"SVM (RBF, nested)"``, ``"kNN (nested)"`` and ``"random forest (nested)"``, each a
        :class:`SelectedCandidate`.

    Examples
    --------
    >>> tuned = tuned_baselines()
    >>> len(tuned["SVM (RBF, nested)"].options), list(tuned["random forest (nested)"].options)[:2]
    (20, ['max features sqrt', 'max features 0.3'])
    """
    return {"SVM (RBF, nested)": _tuned(lambda C, gamma: SVC(C=C, gamma=gamma, random_state=seed),
                                        {"C": SVM_C, "gamma": SVM_GAMMA}, lambda C, gamma: f"C={C:g}, gamma={gamma:g}",
                                        seed, log_var=(True,), refit_with={"calibrate": True}),
            "kNN (nested)": _tuned(lambda k: KNeighborsClassifier(n_neighbors=k), {"k": KNN_K}, lambda k: f"k={k}", seed),
            "random forest (nested)": _tuned(
                lambda max_features: RandomForestClassifier(n_estimators=50, max_features=max_features,
                                                            random_state=seed),
                {"max_features": FOREST_MAX_FEATURES}, lambda max_features: f"max features {max_features}", seed,
                log_var=(False,))}
