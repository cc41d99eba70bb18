"""What a candidate sees: the features, transformed, per segment or summarised per track.

Each function uses only the rows it is given and no label, so a candidate may apply it to
a test fold exactly as to its training rows. Used by :mod:`.candidates`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..scoring import per_track


def log_variances(X: pd.DataFrame) -> pd.DataFrame:
    """``log10`` of the heavy-tailed ``*_var`` columns (the others unchanged).

    Parameters
    ----------
    X : pandas.DataFrame
        Feature columns; variances below 1e-12 are clipped there first.

    Returns
    -------
    pandas.DataFrame
        A new frame, same index and columns.
    """
    values = X.to_numpy(dtype=np.float64, copy=True)
    var = np.asarray(X.columns.str.endswith("_var"), dtype=bool)
    values[:, var] = np.log10(np.clip(values[:, var], 1e-12, None))
    return pd.DataFrame(values, index=X.index, columns=X.columns)


def add_track_context(X: pd.DataFrame, tracks) -> pd.DataFrame:
    """Append each track's mean over its own segments as ``<feature>_track`` columns.

    A segment then sees the whole song it belongs to. Only the segment's own track
    is used (no label, no other track), so this is legitimate under any split.

    Parameters
    ----------
    X : pandas.DataFrame
        One row per segment.
    tracks : array-like, shape (n,)
        Each row's track.

    Returns
    -------
    pandas.DataFrame
        ``X`` (index reset) followed by the ``_track`` columns.
    """
    means = X.groupby(np.asarray(tracks)).transform("mean")
    means.columns = [f"{c}_track" for c in X.columns]
    return pd.concat([X.reset_index(drop=True), means.reset_index(drop=True)], axis=1)


def track_summaries(X: pd.DataFrame, tracks, *, spreads: bool | None = None) -> pd.DataFrame:
    """One row per track: each feature's mean over the track's segments and, optionally, its spread.

    Parameters
    ----------
    X : pandas.DataFrame or array-like, shape (n, d)
    tracks : array-like, shape (n,)
    spreads : bool, optional
        Add ``_track_std`` columns; by default where a track has several rows
        (:func:`has_spreads`): a table of whole clips has none, its rows are the means.

    Returns
    -------
    pandas.DataFrame
        Indexed by track (sorted, as :func:`~gtzan_helpers.scoring.per_track` sorts them),
        ``<feature>_track_mean`` and with spreads ``<feature>_track_std`` columns.
    """
    X = pd.DataFrame(X)
    values = X.to_numpy(dtype=np.float64)
    names, means, inverse = per_track(values, tracks)
    columns = [f"{c}_track_mean" for c in X.columns]
    if has_spreads(tracks) if spreads is None else spreads:
        _, variances, _ = per_track((values - means[inverse]) ** 2, tracks)  # two passes: no cancellation
        means = np.hstack([means, np.sqrt(variances)])
        columns += [f"{c}_track_std" for c in X.columns]
    return pd.DataFrame(means, index=names, columns=columns)


def has_spreads(tracks) -> bool:
    """Whether a track has several rows; a model records it to predict from the columns it trained on."""
    return len(np.unique(tracks)) < len(np.asarray(tracks))


def candidate_inputs(X, tracks, log_var: bool, track_context: bool, track_level: bool = False,
                     columns=None, spreads: bool | None = None) -> pd.DataFrame:
    """A candidate's model inputs, in the order the transforms apply.

    Parameters
    ----------
    X : pandas.DataFrame
        One row per segment (or per whole clip).
    tracks : array-like, shape (n,)
    log_var, track_context, track_level : bool
        Apply :func:`log_variances`, :func:`add_track_context`, :func:`track_summaries`.
    columns : sequence of str, optional
        Keep only these features first (an ablation).
    spreads : bool, optional
        Passed to :func:`track_summaries`.

    Returns
    -------
    pandas.DataFrame
        One row per segment, or per track with ``track_level``.
    """
    X = pd.DataFrame(X).reset_index(drop=True)
    if columns is not None:
        X = X[list(columns)]
    if log_var:
        X = log_variances(X)
    if track_context:
        X = add_track_context(X, tracks)
    return track_summaries(X, tracks, spreads=spreads) if track_level else X
