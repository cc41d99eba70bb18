"""From probabilities to decisions and scores: each rule written once.

- :func:`decide` is the one place a label is chosen (two classes: the recipe's 0.5
  threshold; more: the most probable class).
- :func:`cross_entropy` is the one loss of every score (scikit-learn's ``log_loss``; the
  training histories compute the same mean in PyTorch).
- :func:`per_track` is the one per-track aggregation (a track's probability is the mean
  of its segments'), and :func:`group_labels` the one rule for a track's label.

Probabilities come in one of two shapes everywhere: of label 1 (metal), shape (n,),
from a two-class model; of every class, shape (n, k), from a k-class one.
Used by notebooks 02–09, the CLI and the bundles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score, log_loss

from .recipe import RECIPE


def class_probabilities(proba) -> np.ndarray:
    """Every class's probability, shape (n, k): a two-class probability of label 1, shape (n,),
    becomes two columns.

    Examples
    --------
    >>> from gtzan_helpers.scoring import class_probabilities
    >>> class_probabilities([0.25, 0.75]).tolist()  # P(metal) of two segments
    [[0.75, 0.25], [0.25, 0.75]]
    """
    proba = np.asarray(proba)
    return np.column_stack([1.0 - proba, proba]) if proba.ndim == 1 else proba


def decide(proba, *, threshold: float = RECIPE.threshold) -> np.ndarray:
    """The predicted label of each row of probabilities, as integers.

    ``proba`` is the probability of label 1, shape (n,), or of every class, shape (n, k).
    Two classes: label 1 where its probability is at least ``threshold`` (the study's
    0.5); more: the most probable class. A NumPy array gives a NumPy array and a PyTorch
    tensor a tensor (the training loops count their hits with this rule too).

    Examples
    --------
    >>> import numpy as np
    >>> from gtzan_helpers.scoring import decide
    >>> decide(np.array([0.2, 0.5, 0.7])).tolist()  # P(metal): 0.5 is enough for metal
    [0, 1, 1]
    >>> decide(np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])).tolist()  # three genres: the most probable
    [1, 0]
    """
    if not hasattr(proba, "ndim"):
        proba = np.asarray(proba)
    if proba.ndim == 2 and proba.shape[1] == 2:
        proba = proba[:, 1]
    # ``* 1``: booleans to integers, the same way in NumPy and PyTorch
    return (proba >= threshold) * 1 if proba.ndim == 1 else proba.argmax(1)


def cross_entropy(proba, y) -> float:
    """Mean cross-entropy of probabilities for integer labels ``y``: scikit-learn's ``log_loss``.

    ``proba`` of shape (n,) is the probability of label 1 (binary cross-entropy), of shape
    (n, k) one probability per class (labels 0 … k-1). The training loops' histories
    compute the same mean in PyTorch; the two differ only where a probability rounds to
    exactly 0 or 1 (scikit-learn clips it at float64's epsilon, PyTorch clamps its log at
    -100), which a hard-voting baseline does and a trained network rarely does.

    Examples
    --------
    >>> from gtzan_helpers.scoring import cross_entropy
    >>> round(cross_entropy([0.5, 0.5], [0, 1]), 3)  # a coin toss costs log 2 per row
    0.693
    >>> round(cross_entropy([[0.1, 0.9], [0.9, 0.1]], [1, 0]), 3)  # -log 0.9, confident and right
    0.105
    """
    p = class_probabilities(np.asarray(proba, dtype=np.float64))
    p = p / p.sum(axis=1, keepdims=True)  # a float32 softmax sums to 1 only within rounding, which log_loss warns of
    return float(log_loss(np.asarray(y).astype(int), p, labels=np.arange(p.shape[1])))


def per_track(proba, tracks, *, method: str = "mean"):
    """Each track's probability from its segments': the one per-track aggregation.

    Parameters
    ----------
    proba : array-like, shape (n,) or (n, k)
    tracks : array-like, shape (n,)
        Track id of each row (one song: any constant).
    method : {"mean", "vote"}
        Average the segments' probabilities, or their decisions (each a probability of 0 or 1).

    Returns
    -------
    names : numpy.ndarray
        The tracks, sorted.
    proba : numpy.ndarray, shape (n_tracks,) or (n_tracks, k)
    inverse : numpy.ndarray of int, shape (n,)
        Each row's position in ``names``.

    Examples
    --------
    Two segments of each of two tracks, their probabilities of metal:

    >>> from gtzan_helpers.scoring import per_track
    >>> names, p, inverse = per_track([0.2, 0.6, 0.9, 0.7], ["m.1", "m.1", "b.2", "b.2"])
    >>> names.tolist(), p.round(2).tolist(), inverse.tolist()
    (['b.2', 'm.1'], [0.8, 0.4], [1, 1, 0, 0])
    >>> per_track([0.2, 0.6, 0.9, 0.7], ["m.1", "m.1", "b.2", "b.2"], method="vote")[1].tolist()
    [1.0, 0.5]
    """
    p = np.asarray(proba, dtype=np.float64)
    if method == "vote":
        p = decide(p).astype(np.float64) if p.ndim == 1 else np.eye(p.shape[1])[decide(p)]
    elif method != "mean":
        raise ValueError(f"method must be 'mean' or 'vote', got {method!r}")
    names, inverse, counts = np.unique(np.asarray(tracks), return_inverse=True, return_counts=True)
    columns = p.reshape(len(p), -1)
    means = np.stack([np.bincount(inverse, weights=c, minlength=len(names)) for c in columns.T],
                     axis=1) / counts[:, None]
    return names, means.reshape(len(names), *p.shape[1:]), inverse


def group_labels(y, groups) -> np.ndarray:
    """Each group's label, groups sorted as :func:`per_track` sorts them: the one rule, a
    group's label is its first row's (every row of a track has the track's genre).

    Examples
    --------
    >>> from gtzan_helpers.scoring import group_labels
    >>> group_labels([1, 1, 0, 0], ["metal.1", "metal.1", "blues.1", "blues.1"]).tolist()  # blues.1 first
    [0, 1]
    """
    _, first = np.unique(np.asarray(groups), return_index=True)
    return np.asarray(y)[first]


def to_rows(group_values, groups) -> np.ndarray:
    """Each row gets its group's value (groups sorted as :func:`per_track` sorts them).

    Examples
    --------
    >>> from gtzan_helpers.scoring import to_rows
    >>> to_rows([0.5, 0.75], ["metal.1", "metal.1", "blues.1", "blues.1"]).tolist()  # blues.1 gets 0.5
    [0.75, 0.75, 0.5, 0.5]
    """
    _, inverse = np.unique(np.asarray(groups), return_inverse=True)
    return np.asarray(group_values)[inverse]


def track_accuracy(proba, y, tracks, *, method: str = "mean") -> float:
    """Accuracy of track decisions made from each track's segments (see :func:`per_track`).

    Examples
    --------
    Two tracks of two segments: each has one segment wrong, but the mean decides both right.

    >>> from gtzan_helpers.scoring import track_accuracy
    >>> proba, y, tracks = [0.4, 0.8, 0.6, 0.2], [1, 1, 0, 0], ["m", "m", "b", "b"]
    >>> track_accuracy(proba, y, tracks)
    1.0
    >>> track_accuracy(proba, y, tracks, method="vote")  # one vote each: a tie, which goes to metal
    0.5
    """
    _, p_tracks, _ = per_track(proba, tracks, method=method)
    return float((decide(p_tracks) == group_labels(y, tracks)).mean())


def track_table(proba, y, tracks, *, genres, method: str = "mean") -> pd.DataFrame:
    """One row per track: each genre's probability, the decision and the truth.

    Parameters
    ----------
    proba : array-like, shape (n,) or (n, k)
    y, tracks : array-like, shape (n,)
    genres : sequence of str
        The genre of each label.
    method : {"mean", "vote"}
        See :func:`per_track`.

    Returns
    -------
    pandas.DataFrame
        Indexed by track: ``p_<genre>`` for every genre (mean probability, or share of
        votes), ``predicted`` and ``label`` (genre names), ``correct`` and ``segments``
        (the segments' probabilities of the predicted genre, rounded).

    Examples
    --------
    >>> from gtzan_helpers.scoring import track_table
    >>> table = track_table([0.4, 0.8, 0.25, 0.25], [1, 1, 0, 0], ["metal.1", "metal.1", "blues.1", "blues.1"],
    ...                     genres=["blues", "metal"])
    >>> table[["p_metal", "predicted", "label", "segments"]]  # doctest: +NORMALIZE_WHITESPACE
             p_metal predicted  label    segments
    track
    blues.1     0.25     blues  blues  [0.75, 0.75]
    metal.1     0.60     metal  metal    [0.4, 0.8]
    """
    names, p_tracks, inverse = per_track(proba, tracks, method=method)
    labels = group_labels(y, tracks)
    genres = list(genres)
    columns = class_probabilities(p_tracks)
    table = pd.DataFrame(columns, columns=[f"p_{g}" for g in genres], index=pd.Index(names, name="track"))
    predicted = decide(p_tracks)
    table["predicted"] = np.asarray(genres)[predicted]
    table["label"] = np.asarray(genres)[labels]
    table["correct"] = predicted == labels
    rows = np.round(class_probabilities(np.asarray(proba, dtype=np.float64)), 3)
    table["segments"] = [rows[inverse == i, predicted[i]].tolist() for i in range(len(names))]
    return table


def score(proba, y, tracks) -> dict:
    """Segment accuracy, :func:`cross_entropy`, track accuracy (mean probability and vote),
    and the balanced accuracy (the mean of the genres' recalls) of segments and of tracks,
    which a model that always answers the larger genre cannot lift above 1/k."""
    proba, y = np.asarray(proba, dtype=float), np.asarray(y)
    _, p_tracks, _ = per_track(proba, tracks)
    return {"accuracy": float((decide(proba) == y).mean()),
            "balanced_accuracy": float(balanced_accuracy_score(y, decide(proba))),
            "loss": cross_entropy(proba, y),
            "track_accuracy": track_accuracy(proba, y, tracks),
            "track_balanced_accuracy": float(balanced_accuracy_score(group_labels(y, tracks),
                                                                     decide(p_tracks))),
            "track_vote_accuracy": track_accuracy(proba, y, tracks, method="vote")}


def brier_score(proba, y) -> float:
    """Mean squared distance between the predicted probabilities and the truth.

    Two classes (``proba`` of label 1, shape (n,)): the mean of :math:`(p_i - y_i)^2`,
    scikit-learn's ``brier_score_loss`` and notebook 03's score. More classes (shape
    (n, k)): the mean over rows of :math:`\\sum_k (p_{ik} - o_{ik})^2`, with
    :math:`o_{ik}` 1 for the true class and 0 otherwise (Brier's original score).

    Examples
    --------
    >>> brier_score([0.9, 0.2], [1, 0])
    0.025
    """
    p = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y).astype(int)
    if p.ndim == 1:
        return float(np.mean((p - y) ** 2))
    truth = np.eye(p.shape[1])[y]
    return float(np.mean(np.sum((class_probabilities(p) - truth) ** 2, axis=1)))
