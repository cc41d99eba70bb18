"""Rows that are the same recording: GTZAN's repetitions, and where a clip was cut from.

GTZAN repeats some recordings, within a genre and once across two (Sturm, "The GTZAN
dataset: its contents, its faults, their effects on evaluation, and future use", 2013);
:func:`find_duplicate_tracks` finds them from the features alone, so that every split
keeps their copies together (:mod:`gtzan_helpers.splits`). :func:`nearest_rows` finds the
rows closest to a new clip's features (notebook 06 finds the study's test clip with it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import DisjointSet

from .data import FeatureTable


def find_duplicate_tracks(table: FeatureTable, *, tolerance: float = 1e-3) -> list[tuple[str, ...]]:
    """Tracks whose segments repeat another track's, found from the features alone.

    Two tracks with the same number of segments are duplicates when every value of
    every segment agrees within ``tolerance`` standard deviations of its feature. In the
    shipped table seven pairs of metal tracks agree exactly, and the closest pair of
    distinct tracks differs by 1.5 standard deviations somewhere, so any tolerance far
    below 1 gives the same answer.

    Returns
    -------
    list of tuple of str
        Each set of duplicate track ids (sorted), sorted by its first track.

    Examples
    --------
    Four whole clips, every feature of a clip the same value; two clips hold the same values:

    >>> import numpy as np, pandas as pd
    >>> from gtzan_helpers.data import table_from_frame
    >>> from gtzan_helpers.features import FEATURE_NAMES
    >>> from gtzan_helpers.matching import find_duplicate_tracks
    >>> frame = pd.DataFrame(np.repeat([[1.0], [2.0], [1.0], [5.0]], 57, axis=1), columns=FEATURE_NAMES)
    >>> frame.insert(0, "filename", ["metal.00000.wav", "metal.00001.wav", "metal.00002.wav", "blues.00000.wav"])
    >>> find_duplicate_tracks(table_from_frame(frame))
    [('metal.00000', 'metal.00002')]
    """
    scale = table.X.std().replace(0, 1.0).to_numpy()
    Z = table.X.to_numpy() / scale
    tracks, inverse, counts = np.unique(table.tracks, return_inverse=True, return_counts=True)
    sets = DisjointSet(tracks)
    for n in np.unique(counts):
        same = np.flatnonzero(counts == n)  # tracks of n segments, compared segment by segment
        if len(same) < 2:
            continue
        rows = np.stack([Z[inverse == k].ravel() for k in same])
        for a, b in _close_pairs(rows, tolerance):
            sets.merge(tracks[same[a]], tracks[same[b]])
    return sorted(tuple(sorted(str(t) for t in s)) for s in sets.subsets() if len(s) > 1)


def _close_pairs(rows: np.ndarray, tolerance: float):
    """Pairs of rows that agree within ``tolerance`` in every column, without comparing all pairs.

    Two such rows agree in any one column too, so after sorting by the column with the most
    distinct values only rows that close in it are compared (a sweep): time and memory grow
    about linearly with the rows, not with their square.
    """
    column = max(range(rows.shape[1]), key=lambda c: len(np.unique(rows[:, c])))
    order = np.argsort(rows[:, column], kind="stable")
    key = rows[order, column]
    for i in range(len(order)):
        j = i + 1
        while j < len(order) and key[j] - key[i] <= tolerance:
            if np.max(np.abs(rows[order[i]] - rows[order[j]])) <= tolerance:
                yield order[i], order[j]
            j += 1


def nearest_rows(table: FeatureTable, features, *, k: int = 2) -> pd.DataFrame:
    """The ``k`` rows of ``table`` closest to one row of features.

    Distances are Euclidean over all features, each divided by its standard deviation
    in the table, so that no feature counts more for its unit. A segment cut from a
    track in the table sits far closer to that track's row than to any other
    (notebook 06 finds the study's test clip this way).

    Parameters
    ----------
    table : FeatureTable
    features : pandas.DataFrame or Series, or array-like of shape (n_features,)
        One row, in the table's columns (a frame's first row is used).

    Returns
    -------
    pandas.DataFrame
        Indexed by filename, nearest first: ``track``, ``artist`` and ``distance``
        (in standard deviations).

    Examples
    --------
    Three whole clips that differ only in tempo (standard deviation 60), and a new one at 140 bpm:

    >>> import pandas as pd
    >>> from gtzan_helpers.data import table_from_frame
    >>> from gtzan_helpers.features import FEATURE_NAMES
    >>> from gtzan_helpers.matching import nearest_rows
    >>> frame = pd.DataFrame(0.0, index=range(3), columns=FEATURE_NAMES).assign(tempo=[60.0, 120.0, 180.0])
    >>> frame.insert(0, "filename", ["blues.00000.wav", "blues.00001.wav", "metal.00000.wav"])
    >>> clip = pd.Series(dict.fromkeys(FEATURE_NAMES, 0.0) | {"tempo": 140.0})
    >>> near = nearest_rows(table_from_frame(frame), clip)
    >>> near.index.tolist(), near["distance"].round(2).tolist()  # 20 and 40 bpm away
    (['blues.00001.wav', 'metal.00000.wav'], [0.33, 0.67])
    """
    if isinstance(features, pd.DataFrame):
        features = features.iloc[0]
    if isinstance(features, pd.Series):
        features = features[table.feature_names]
    x = np.asarray(features, dtype=float).ravel()
    if x.shape != (table.X.shape[1],):
        raise ValueError(f"features must be one row of {table.X.shape[1]} values, got shape {x.shape}")
    scale = table.X.std().replace(0, 1.0).to_numpy()
    distance = np.sqrt((((table.X.to_numpy() - x) / scale) ** 2).sum(axis=1))
    order = np.argsort(distance, kind="stable")[:k]
    return pd.DataFrame({"track": table.tracks[order], "artist": table.artists[order],
                         "distance": distance[order]}, index=pd.Index(table.filenames[order], name="filename"))
