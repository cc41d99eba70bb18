"""The artist as the unit: a bootstrap that resamples whole clusters within each genre.

With artists kept apart, the tracks of one artist are not independent trials: an artist
whose sound a model misses costs all of that artist's tracks at once. The intervals here
resample *clusters* (artists, or tracks with their duplicates) with replacement, each with
all its tracks, *within its genre*, so that every resample keeps the genres' numbers of
clusters and a model that always answers one genre is not credited or blamed for a
resampled genre mix. Scores are recomputed on each resample from the tracks drawn
(weighted by how often they were drawn): accuracy, log loss and the area under the ROC
curve (AUC). Several models scored on the same tracks are resampled together, so their
differences are *paired*. Where a model was cross-validated several times (repeated CV),
each score is the mean over the repeats, in the data and in every resample.

Percentile intervals stay inside the range a score can take, by construction. Used by
notebooks 07 and 10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .scoring import class_probabilities, decide

METRICS = ("accuracy", "auc", "log_loss")
"""The scores :func:`bootstrap_scores` can resample; higher is better for the first two,
lower for the log loss."""


def cluster_weights(clusters, strata=None, *, n_resamples: int = 2000, seed: int = 0) -> np.ndarray:
    """How often each unit is drawn in each resample of whole clusters, stratified.

    Parameters
    ----------
    clusters : array-like, shape (n,)
        The cluster of each unit (e.g. the artist of each track).
    strata : array-like, shape (n,), optional
        The stratum of each unit (e.g. its genre). Each stratum's clusters are drawn with
        replacement, as many as it has; a cluster spanning strata belongs to its most
        common one. None: one stratum.
    n_resamples, seed : int

    Returns
    -------
    numpy.ndarray, shape (n_resamples, n)
        The weight of each unit in each resample: how many times its cluster was drawn.

    Examples
    --------
    >>> w = cluster_weights(["a", "a", "b", "c"], ["blues", "blues", "blues", "metal"], n_resamples=3)
    >>> w.shape
    (3, 4)
    >>> bool((w[:, 0] == w[:, 1]).all())  # a cluster's tracks are drawn together
    True
    >>> w[:, 3].tolist()  # the only metal cluster is drawn once in every resample
    [1.0, 1.0, 1.0]
    """
    names, cluster_of = np.unique(np.asarray(clusters), return_inverse=True)
    strata = np.zeros(len(cluster_of), dtype=int) if strata is None else np.asarray(strata)
    stratum_of = pd.Series(strata).groupby(cluster_of).agg(lambda s: s.mode().iloc[0]).to_numpy()
    rng = np.random.default_rng(seed)
    counts = np.zeros((n_resamples, len(names)))
    for stratum in np.unique(stratum_of):
        members = np.flatnonzero(stratum_of == stratum)
        k = len(members)
        draws = rng.integers(0, k, size=(n_resamples, k)) + k * np.arange(n_resamples)[:, None]
        counts[:, members] = np.bincount(draws.ravel(), minlength=n_resamples * k).reshape(n_resamples, k)
    return counts[:, cluster_of]


def _weighted_auc(weights: np.ndarray, positive: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The AUC of ``scores`` for the labels ``positive`` under each row of ``weights`` (ties count half)."""
    _, rank = np.unique(scores, return_inverse=True)
    n_ranks, n_resamples = rank.max() + 1, len(weights)
    flat = (np.arange(n_resamples)[:, None] * n_ranks + rank[None, :]).ravel()

    def by_rank(w):
        return np.bincount(flat, weights=w.ravel(), minlength=n_resamples * n_ranks).reshape(n_resamples, n_ranks)

    pos, neg = by_rank(weights * positive), by_rank(weights * ~positive)
    below = np.cumsum(neg, axis=1) - neg  # negatives scored strictly lower
    pairs = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, (pos * (below + neg / 2)).sum(axis=1) / pairs, np.nan)


def weighted_scores(y, proba, weights, metrics=METRICS) -> dict:
    """Each metric of one model's probabilities under each row of ``weights``.

    Parameters
    ----------
    y : array-like of int, shape (n,)
    proba : array-like, shape (n,) or (n, k)
        The probability of label 1, or of every class (see :mod:`gtzan_helpers.scoring`).
    weights : numpy.ndarray, shape (B, n)
        E.g. from :func:`cluster_weights`; a row of ones scores the data as they are.
    metrics : sequence of str
        Among :data:`METRICS`. The AUC of more than two classes is the mean of the
        one-against-the-rest AUCs (macro, as scikit-learn's ``roc_auc_score``).

    Returns
    -------
    dict
        Metric → numpy.ndarray of shape (B,).

    Examples
    --------
    >>> s = weighted_scores([0, 0, 1, 1], [0.2, 0.6, 0.7, 0.9], np.ones((1, 4)))
    >>> float(s["accuracy"][0]), float(s["auc"][0])
    (0.75, 1.0)
    >>> float(weighted_scores([0, 1], [0.5, 0.5], np.array([[2.0, 1.0]]), ["auc"])["auc"][0])
    0.5
    """
    y = np.asarray(y).astype(int)
    p = class_probabilities(np.asarray(proba, dtype=np.float64))
    p = p / p.sum(axis=1, keepdims=True)
    total = weights.sum(axis=1)
    out = {}
    if "accuracy" in metrics:
        out["accuracy"] = weights @ (decide(p) == y).astype(float) / total
    if "log_loss" in metrics:
        p_true = np.clip(p[np.arange(len(y)), y], np.finfo(np.float64).eps, 1.0)
        out["log_loss"] = weights @ -np.log(p_true) / total
    if "auc" in metrics:
        classes = [1] if p.shape[1] == 2 else range(p.shape[1])
        out["auc"] = np.nanmean([_weighted_auc(weights, y == c, p[:, c]) for c in classes], axis=0)
    return out


def bootstrap_scores(y, proba: dict, clusters, strata=None, *, reference: str | None = None, metrics=METRICS,
                     level: float = 0.95, n_resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Each model's scores with percentile intervals from resampling clusters within strata.

    Parameters
    ----------
    y : array-like of int, shape (n,)
        The label of each unit scored (e.g. each track).
    proba : dict
        Model name → its probabilities for the ``n`` units (see :func:`weighted_scores`), or a
        list of them, one per repeat of cross-validation: a score is then the mean over
        repeats, in the data and in each resample.
    clusters, strata : array-like, shape (n,)
        See :func:`cluster_weights`. All models are scored on the same resamples (paired).
    reference : str, optional
        A model of ``proba``: each other model's difference from it (model − reference) is
        resampled too, with a two-sided p-value ``2 · min(share ≤ 0, share ≥ 0)``, counted as
        ``(count + 1) / (B + 1)`` so that it is never 0.
    metrics : sequence of str
        Among :data:`METRICS`.
    level : float
        Confidence level of the percentile intervals.

    Returns
    -------
    pandas.DataFrame
        Indexed by (model, metric): ``estimate``, ``low``, ``high``; with a reference also
        ``difference``, ``difference_low``, ``difference_high`` and ``p_value`` (NaN for the
        reference itself).

    Examples
    --------
    >>> y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> artists = ["a", "a", "b", "c", "d", "d", "e", "f"]
    >>> models = {"rule": np.array([.2, .3, .8, .1, .9, .7, .4, .8]), "always blues": np.zeros(8)}
    >>> s = bootstrap_scores(y, models, artists, y, reference="always blues", metrics=["accuracy"],
    ...                      n_resamples=200)
    >>> s.loc[("rule", "accuracy"), ["estimate", "difference"]].round(2).tolist()
    [0.75, 0.25]
    >>> low, high = s.loc[("rule", "accuracy"), ["difference_low", "difference_high"]]
    >>> bool(low <= 0.25 <= high)
    True
    """
    y = np.asarray(y)
    weights = np.vstack([np.ones(len(y)), cluster_weights(clusters, strata, n_resamples=n_resamples, seed=seed)])
    replicates = {}
    for name, p in proba.items():
        runs = p if isinstance(p, (list, tuple)) else [p]
        per_run = [weighted_scores(y, run, weights, metrics) for run in runs]
        replicates[name] = {m: np.mean([r[m] for r in per_run], axis=0) for m in metrics}
    tail = (1 - level) / 2
    rows = []
    for name, scores in replicates.items():
        for metric, values in scores.items():
            row = {"model": name, "metric": metric, "estimate": values[0],
                   "low": np.quantile(values[1:], tail), "high": np.quantile(values[1:], 1 - tail)}
            if reference is not None:
                d = values - replicates[reference][metric]
                at_most, at_least = (d[1:] <= 0).sum(), (d[1:] >= 0).sum()
                row.update(difference=d[0], difference_low=np.quantile(d[1:], tail),
                           difference_high=np.quantile(d[1:], 1 - tail),
                           p_value=np.nan if name == reference else
                           min(1.0, 2 * (min(at_most, at_least) + 1) / (n_resamples + 1)))
            rows.append(row)
    return pd.DataFrame(rows).set_index(["model", "metric"])


def cluster_bootstrap_interval(correct, clusters, strata=None, *, level: float = 0.95, n_resamples: int = 2000,
                               seed: int = 0) -> tuple[float, float]:
    """Percentile interval of an accuracy whose unit of resampling is a cluster (e.g. an artist).

    Parameters
    ----------
    correct : array-like of bool, shape (n,)
        One entry per unit scored (e.g. per track).
    clusters, strata : array-like, shape (n,)
        See :func:`cluster_weights`.

    Examples
    --------
    >>> low, high = cluster_bootstrap_interval([1, 1, 0, 1, 0, 1], ["a", "a", "b", "c", "d", "e"])
    >>> 0 <= low <= 4 / 6 <= high <= 1
    True
    """
    correct = np.asarray(correct, dtype=float)
    if len(np.unique(np.asarray(clusters))) < 2:
        return float("nan"), float("nan")
    w = cluster_weights(clusters, strata, n_resamples=n_resamples, seed=seed)
    tail = (1 - level) / 2
    values = w @ correct / w.sum(axis=1)
    return float(np.quantile(values, tail)), float(np.quantile(values, 1 - tail))
