"""More artists or more tracks per artist? A learning design that can tell, and paired families.

A learning curve that keeps a growing share of a fold's training *artists* removes artists
and their tracks together, so it cannot say which of the two limits a model. The design
here can: in every artist-grouped fold of :func:`~gtzan_helpers.evaluation.cross_validate`'s splits a
model trains on

* ``HALF_TRACKS``: every training artist, with about half of each one's recordings;
* ``FEWER_ARTISTS``: fewer artists, drawn at random within each genre, with all their
  recordings, as many as it takes to match the first's number of tracks genre by genre;
* ``ALL_DATA``: all the training rows;

and is scored on the same, whole test fold each time (:func:`artists_or_tracks`). The
first two differ in the number of artists at (about) equal numbers of tracks, so their
paired difference over folds is the value of more artists. :func:`paired_differences`
tests a family of such paired differences with the corrected resampled t and Holm's
adjustment; :func:`paired_family` sets every variant against one reference (an ablation's
variants against the full model, say). Used by notebook 09.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import FeatureTable
from ..evaluation import Fold, fit_and_score, protocol_folds
from ..fast.parallel import map_jobs
from ..recipe import RECIPE
from ..scoring import group_labels
from ..splits import protocol_groups, validation_groups
from ..stats import holm, paired_comparison

HALF_TRACKS = "all artists, half their tracks"
FEWER_ARTISTS = "fewer artists, all their tracks"
ALL_DATA = "all the training data"
CONDITIONS = (HALF_TRACKS, FEWER_ARTISTS, ALL_DATA)
"""The three training sets of :func:`artists_or_tracks`, in the order it scores them."""


def halve_artists_or_tracks(y, artists, tracks, *, recordings=None, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Two training subsets of (about) equal size: all artists with half their tracks, or
    fewer artists with all of theirs.

    Parameters
    ----------
    y, artists, tracks : array-like, shape (n,)
        Label, artist (group) and track of each row; an artist's genre is that of its
        first row.
    recordings : array-like, shape (n,), optional
        The unit kept or dropped inside an artist: a track with its duplicates
        (:func:`~gtzan_helpers.splits.protocol_groups` under the track protocol). Default:
        the tracks.
    seed : int or sequence of int
        Seeds :func:`numpy.random.default_rng` for both draws.

    Returns
    -------
    half_tracks, fewer_artists : numpy.ndarray of int
        Sorted row positions. ``half_tracks`` keeps ``max(1, n // 2)`` of each artist's
        ``n`` recordings, drawn at random. ``fewer_artists`` takes each genre's artists in
        a random order, with all their rows, up to the prefix whose number of tracks is
        closest to ``half_tracks``' number for that genre (the shorter prefix on a tie).

    Examples
    --------
    Two blues artists with 4 and 2 tracks, four metal artists with 2, 1, 1 and 1:

    >>> import numpy as np
    >>> y = np.array([0] * 6 + [1] * 5)
    >>> artists = np.array(list("AAAABB") + list("CCDEF"))
    >>> tracks = np.arange(11)
    >>> half_tracks, fewer_artists = halve_artists_or_tracks(y, artists, tracks, seed=0)
    >>> [int((artists[half_tracks] == a).sum()) for a in "ABCDEF"]  # half of each, at least one
    [2, 1, 1, 1, 1, 1]
    >>> sorted(set(artists[fewer_artists].tolist()))  # fewer artists, all their tracks
    ['A', 'C', 'E', 'F']
    >>> [(int((y[half_tracks] == g).sum()), int((y[fewer_artists] == g).sum())) for g in (0, 1)]
    [(3, 4), (4, 4)]
    """
    y, artists, tracks = np.asarray(y), np.asarray(artists), np.asarray(tracks)
    recordings = tracks if recordings is None else np.asarray(recordings)
    rng = np.random.default_rng(seed)
    names = np.unique(artists)  # sorted, as group_labels sorts them
    kept = []
    for name in names:
        own = np.unique(recordings[artists == name])
        kept.extend(rng.choice(own, size=max(1, len(own) // 2), replace=False))
    half_tracks = np.flatnonzero(np.isin(recordings, kept))
    genre_of = dict(zip(names, group_labels(y, artists)))
    chosen = []
    for genre in np.unique(y):
        target = len(np.unique(tracks[half_tracks][y[half_tracks] == genre]))
        order = rng.permutation([a for a in names if genre_of[a] == genre])
        sizes = np.cumsum([len(np.unique(tracks[artists == a])) for a in order])
        chosen.extend(order[: int(np.argmin(np.abs(sizes - target))) + 1])
    return half_tracks, np.flatnonzero(np.isin(artists, chosen))


def artists_or_tracks(table: FeatureTable, candidates: dict, *, n_splits: int = RECIPE.n_splits,
                      n_repeats: int = 4, seed: int = 0, n_jobs: int | None = None) -> pd.DataFrame:
    """Each candidate trained on the three sets of :data:`CONDITIONS` in every artist-grouped fold.

    The folds are :func:`~gtzan_helpers.evaluation.cross_validate`'s under the artist protocol (repeat ``r``
    shuffled with ``seed + r``), so the ``ALL_DATA`` rows are that function's. Inside each
    training fold :func:`halve_artists_or_tracks` draws the two halves (seeded with
    ``(seed, repeat, fold)``); duplicates of a track are kept or dropped together. Every
    training set is scored on the fold's whole test fold.

    Parameters
    ----------
    table : FeatureTable
    candidates : dict
        Name → candidate, as in :func:`~gtzan_helpers.evaluation.cross_validate`.
    n_splits, n_repeats, seed : int
    n_jobs : int, optional
        As in :func:`~gtzan_helpers.evaluation.cross_validate`; the numbers do not depend on it.

    Returns
    -------
    pandas.DataFrame
        One row per (candidate, condition, repeat, fold): ``condition``, the
        :func:`~gtzan_helpers.scoring.score` columns, ``n_train`` and ``n_test`` (rows),
        ``train_tracks`` and ``train_artists``.
    """
    artists = validation_groups(table, "artist")
    recordings = protocol_groups(table, "track")
    jobs, facts = [], []
    for fold in protocol_folds(table, "artist", n_splits=n_splits, seed=seed, n_repeats=n_repeats):
        train = fold.train
        halves = halve_artists_or_tracks(table.y[train], artists[train], table.tracks[train],
                                         recordings=recordings[train], seed=(seed, fold.repeat - 1, fold.fold - 1))
        for condition, keep in zip(CONDITIONS, (train[halves[0]], train[halves[1]], train)):
            part = Fold("artist", fold.repeat, fold.fold, keep, fold.test, artists[keep])
            jobs.append((table, [(name, candidate, part) for name, candidate in candidates.items()]))
            facts.append({"condition": condition, "train_tracks": len(np.unique(table.tracks[keep])),
                          "train_artists": len(np.unique(artists[keep]))})
    results = map_jobs(fit_and_score, jobs, n_jobs=n_jobs)
    frame = pd.DataFrame([{**row, **fact} for fact, rows in zip(facts, results) for row in rows])
    return frame.drop(columns=["test_rows", "proba", "chosen", "protocol", "epochs"])


def paired_differences(results: pd.DataFrame, pairs: dict, *, by: str = "candidate", within: str | None = None,
                       metric: str = "track_accuracy", alpha: float = 0.05) -> pd.DataFrame:
    """Named paired differences on the same folds, as one family of tests.

    Each pair is compared by :func:`~gtzan_helpers.stats.paired_comparison` (the corrected
    resampled paired t over folds × repeats, its ``n_test / n_train`` ratio from the rows
    the first of the pair trained on); Holm's adjustment (:func:`~gtzan_helpers.stats.holm`)
    then runs over every row, so a family-wise error rate ``alpha`` holds for the whole table.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per (``within``, ``by``, repeat, fold), with ``metric``, ``n_train`` and ``n_test``.
    pairs : dict
        Label → ``(other, reference)``, two values of ``by``: the difference is other − reference.
    within : str, optional
        A column whose every value gets every pair (e.g. the model).
    alpha : float
        Family-wise error rate.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``comparison`` (the label), under ``within`` where given: ``difference``
        (in the metric's unit), ``ci`` (half-width of its 95 % interval), ``p_value``,
        ``p_holm`` and ``finding``: ``p_holm < alpha``, which never holds where the interval
        holds 0.

    Examples
    --------
    >>> import pandas as pd
    >>> folds = pd.DataFrame({"candidate": ["full"] * 4 + ["small"] * 4 + ["noise"] * 4,
    ...                       "repeat": 1, "fold": [1, 2, 3, 4] * 3, "n_train": 30, "n_test": 10,
    ...                       "track_accuracy": [.90, .80, .85, .95, .60, .55, .50, .65,
    ...                                          .92, .78, .86, .93]})
    >>> family = paired_differences(folds, {"small − full": ("small", "full"),
    ...                                     "noise − small": ("noise", "small")})
    >>> family["difference"].round(3).to_dict(), family["finding"].to_dict()
    ({'small − full': -0.3, 'noise − small': 0.298}, {'small − full': True, 'noise − small': True})
    """
    parts = [(None, results)] if within is None else list(results.groupby(within, sort=False))
    rows = []
    for key, part in parts:
        for label, (other, reference) in pairs.items():
            both = part[part[by].isin([other, reference])]
            test = paired_comparison(both, reference, by=by, metric=metric, alpha=alpha).loc[other]
            rows.append({**({} if within is None else {within: key}), "comparison": label,
                         "difference": test["difference"], "ci": test["ci"], "p_value": test["p_value"]})
    family = pd.DataFrame(rows).set_index(["comparison"] if within is None else [within, "comparison"])
    family["p_holm"] = holm(family["p_value"])
    family["finding"] = family["p_holm"] < alpha
    return family


def paired_family(results: pd.DataFrame, reference, *, by: str = "candidate", metric: str = "track_accuracy",
                  alpha: float = 0.05) -> pd.DataFrame:
    """Every other value of ``by`` against ``reference`` on the same folds, as one family of
    tests (:func:`paired_differences`): an ablation's variants against the full model, say.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by``, in the order of ``results``: ``difference`` (other − reference),
        ``ci``, ``p_value``, ``p_holm`` and ``finding``, as :func:`paired_differences` gives them.

    Examples
    --------
    >>> import pandas as pd
    >>> folds = pd.DataFrame({"candidate": ["full"] * 4 + ["small"] * 4 + ["noise"] * 4,
    ...                       "repeat": 1, "fold": [1, 2, 3, 4] * 3, "n_train": 30, "n_test": 10,
    ...                       "track_accuracy": [.90, .80, .85, .95, .60, .55, .50, .65,
    ...                                          .92, .78, .86, .93]})
    >>> family = paired_family(folds, "full")
    >>> family["difference"].round(3).to_dict(), family["finding"].to_dict()
    ({'small': -0.3, 'noise': -0.002}, {'small': True, 'noise': False})
    """
    others = [value for value in results[by].unique() if value != reference]
    return paired_differences(results, {value: (value, reference) for value in others}, by=by, metric=metric,
                              alpha=alpha).rename_axis(by)
