"""Who may sit on both sides of a split: the three protocols, hold-out, folds, the validation split.

``protocol="segment"`` is the study's: segments are assigned at random, so the ten
segments of one track land on both sides of a split. ``"track"`` keeps all segments of
a track (and of its duplicates) on one side, which is what a new song faces;
``"artist"`` keeps all tracks of an artist on one side, which is what a new artist's
song faces (the "artist filter" of Pampalk, Flexer and Widmer, 2005). Splits are
stratified by genre where every genre can be split.

Where early stopping may not watch the rows that are scored, it watches :func:`validation_split`:
a share of the training side's groups, never rows of a song that also trains.
:class:`ProtocolKFold` is the folds as a scikit-learn splitter. Used by notebooks 02–09, the
CLI, the bundles and the estimator.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import DisjointSet
from sklearn.model_selection import BaseCrossValidator, StratifiedGroupKFold, StratifiedKFold, train_test_split
from sklearn.utils.metadata_routing import MetadataRequest

from . import DEFAULT_PROTOCOL, PROTOCOLS, GtzanError
from .data import FeatureTable, TableWarning
from .matching import find_duplicate_tracks
from .recipe import RECIPE
from .scoring import group_labels

def check_protocol(protocol: str) -> None:
    """Raise ``ValueError`` unless ``protocol`` is one of :data:`gtzan_helpers.PROTOCOLS`."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")


def protocol_groups(table: FeatureTable, protocol: str) -> np.ndarray:
    """The group of each row that ``protocol`` keeps on one side of every split.

    ``"segment"``: every row is its own group (the study's random split). ``"track"``:
    the row's track. ``"artist"``: the track's artist (Sturm's index; a track of
    unknown artist is an artist of its own). Under both, duplicate tracks
    (:func:`~gtzan_helpers.matching.find_duplicate_tracks`) share one group, so a repeated
    recording never sits on both sides.

    Returns
    -------
    numpy.ndarray of str, shape (n_rows,)
        A label per row; rows with the same label go together.
    """
    check_protocol(protocol)
    if protocol == "segment":
        return np.arange(len(table)).astype(str)
    sets = DisjointSet(np.unique(table.tracks))
    for duplicates in find_duplicate_tracks(table):
        for other in duplicates[1:]:
            sets.merge(duplicates[0], other)
    if protocol == "artist":
        for track, artist in dict(zip(table.tracks, table.artists)).items():
            sets.add(f"artist:{artist}")
            sets.merge(track, f"artist:{artist}")
    names = {}
    for members in sets.subsets():
        label = " + ".join(sorted(m.removeprefix("artist:") for m in members
                                  if m.startswith("artist:") == (protocol == "artist")))
        names.update(dict.fromkeys(members, label))
    return np.asarray([names[t] for t in table.tracks])


def validation_groups(table: FeatureTable, protocol: str) -> np.ndarray:
    """The groups a validation split inside the training side keeps together: the
    protocol's groups, or under the segment protocol the track protocol's (a song, and its
    duplicates, never on both sides)."""
    return protocol_groups(table, "track" if protocol == "segment" else protocol)


def _strata(labels, test_size: float):
    """``labels`` to stratify a split by, or None where some genre is too rare to be split
    (a small table: a genre with one track cannot be on both sides)."""
    counts = np.unique(labels, return_counts=True)[1]
    n_test = test_size if test_size >= 1 else int(np.ceil(test_size * len(labels)))
    if counts.min() < 2 or min(n_test, len(labels) - n_test) < len(counts):
        return None
    return labels


def split_groups(y, groups, *, test_size: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of a split by group, stratified by genre: all of a group's rows go together.

    Parameters
    ----------
    y, groups : array-like, shape (n,)
        Labels and groups of the rows (tracks, or :func:`protocol_groups`); a group's
        genre is that of its first row.
    test_size : float
        Fraction of the groups on the second side.

    Returns
    -------
    first, second : numpy.ndarray of int
        Sorted row positions.
    """
    y, groups = np.asarray(y), np.asarray(groups)
    names = np.unique(groups)  # sorted, as group_labels sorts them
    keep, _ = train_test_split(names, test_size=test_size, stratify=_strata(group_labels(y, groups), test_size),
                               random_state=seed)
    inside = np.isin(groups, keep)
    rows = np.arange(len(y))
    return rows[inside], rows[~inside]


def validation_split(y, groups, *, fraction: float = RECIPE.validation_fraction,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The rows a network trains on and the rows its early stopping watches.

    The one validation split of every trainer (cross-validation's inner stopping, the
    candidates, the bundles, the estimator): ``fraction`` of the groups, stratified by
    genre where possible (:func:`split_groups`). With fewer than two groups there is
    nothing to hold out, and both sides are every row.

    Returns
    -------
    fit, watch : numpy.ndarray of int
        Sorted row positions.
    """
    groups = np.asarray(groups)
    if len(np.unique(groups)) < 2:
        rows = np.arange(len(groups))
        return rows, rows
    return split_groups(y, groups, test_size=fraction, seed=seed)


def holdout_split(table: FeatureTable, *, protocol: str = DEFAULT_PROTOCOL,
                  test_size: float = RECIPE.test_size, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of a train/test split, stratified by genre.

    Parameters
    ----------
    table : FeatureTable
    protocol : {"segment", "track", "artist"}
        Split rows at random, or split the groups of :func:`protocol_groups` (all
        segments of a track, or all tracks of an artist, go together).
    test_size : float
        Fraction of rows (segment) or groups (track, artist) in the test set.
    seed : int

    Returns
    -------
    train, test : numpy.ndarray of int
        Sorted row positions.
    """
    check_protocol(protocol)
    if protocol != "segment":
        return split_groups(table.y, protocol_groups(table, protocol), test_size=test_size, seed=seed)
    train, test = train_test_split(np.arange(len(table)), test_size=test_size,
                                   stratify=_strata(table.y, test_size), random_state=seed)
    return np.sort(train), np.sort(test)


def make_folds(table: FeatureTable, *, protocol: str = DEFAULT_PROTOCOL, n_splits: int = RECIPE.n_splits,
               seed: int = 0, groups: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """The folds of :class:`ProtocolKFold` on a table, after checking that it can be split so.

    ``StratifiedGroupKFold`` keeps each group in one fold and balances the genres
    between folds as well as the groups allow: under the artist protocol the 9 blues
    artists and about 50 metal ones (17 unknown among them) spread over 5 folds, so a
    fold holds one or two blues artists.

    Parameters
    ----------
    groups : numpy.ndarray, optional
        :func:`protocol_groups` of the table when the caller has them already (the
        segment protocol ignores them).

    Returns
    -------
    list of (train, test) row-position arrays, one pair per fold.
    """
    check_protocol(protocol)
    groups = None if protocol == "segment" else protocol_groups(table, protocol) if groups is None else groups
    # too little data for the folds: one line, where scikit-learn would raise from deep inside
    unit = {"segment": "rows", "track": "tracks", "artist": "artists"}[protocol]
    if groups is None:  # stratified k-fold puts every genre in every fold
        rows = pd.Series(table.y).value_counts()
        if rows.min() < n_splits:
            raise GtzanError(f"genre {table.genres[int(rows.idxmin())]!r} has {rows.min()} rows: {n_splits}-fold "
                             f"cross-validation needs at least {n_splits} per genre (ask for fewer folds)")
    elif len(np.unique(groups)) < n_splits:
        raise GtzanError(f"the table has {len(np.unique(groups))} {unit}: {n_splits}-fold cross-validation "
                         f"needs at least {n_splits} (ask for fewer folds)")
    else:  # a genre of one group is in one test fold and in no training side there
        per_genre = pd.Series(groups).groupby(table.y).nunique()
        for label in per_genre.index[per_genre < 2]:
            warnings.warn(TableWarning(f"genre {table.genres[label]!r} has a single {unit[:-1]}: no fold can both "
                                       "train and test on it"), stacklevel=2)
    return list(ProtocolKFold(protocol, n_splits=n_splits, random_state=seed).split(table.X, table.y, groups))


class ProtocolKFold(BaseCrossValidator):
    """k-fold cross-validation under a protocol, as a scikit-learn splitter.

    ``"segment"``: :class:`~sklearn.model_selection.StratifiedKFold` over rows (the study's).
    ``"track"`` and ``"artist"``: :class:`~sklearn.model_selection.StratifiedGroupKFold`
    over the ``groups`` given to :meth:`split` (:func:`protocol_groups`), so no group is
    on both sides of a fold. Both shuffle with ``random_state`` and balance the genres.
    Repeats reshuffle: repeat ``r`` draws its folds with ``random_state + r``.

    Parameters
    ----------
    protocol : {"segment", "track", "artist"}
    n_splits : int
    n_repeats : int
    random_state : int

    Examples
    --------
    >>> import numpy as np
    >>> from gtzan_helpers.splits import ProtocolKFold
    >>> y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> songs = np.array(["a", "a", "b", "b", "c", "c", "d", "d"])
    >>> folds = ProtocolKFold("track", n_splits=2).split(np.zeros((8, 1)), y, songs)
    >>> [sorted(set(songs[test].tolist())) for _, test in folds]   # a song's segments stay together
    [['b', 'c'], ['a', 'd']]
    """

    def __init__(self, protocol: str = DEFAULT_PROTOCOL, *, n_splits: int = RECIPE.n_splits, n_repeats: int = 1,
                 random_state: int = 0):
        check_protocol(protocol)
        self.protocol, self.n_splits, self.n_repeats, self.random_state = protocol, n_splits, n_repeats, random_state

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return self.n_splits * self.n_repeats

    def get_metadata_routing(self) -> MetadataRequest:
        """``split`` asks for ``groups``, as scikit-learn's group splitters do, so that metadata
        routing hands them over (``cross_validate(..., params={"groups": tracks})``)."""
        request = MetadataRequest(owner=type(self).__name__)
        request.split.add_request(param="groups", alias=True)
        return request

    def split(self, X, y=None, groups=None):
        """Yield (train, test) row positions, fold after fold, repeat after repeat."""
        if self.protocol != "segment" and groups is None:
            raise ValueError(f"the {self.protocol} protocol needs the rows' groups (protocol_groups)")
        for repeat in range(self.n_repeats):
            seed = self.random_state + repeat
            if self.protocol == "segment":
                yield from StratifiedKFold(self.n_splits, shuffle=True, random_state=seed).split(X, y)
            else:
                yield from StratifiedGroupKFold(self.n_splits, shuffle=True, random_state=seed).split(X, y, groups)
