"""What a candidate sees: the features, transformed, per segment or summarised per track.

Each function uses only the rows it is given and no label, so a candidate may apply it to
a test fold exactly as to its training rows. Used by :mod:`.candidates`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..scoring import per_track


def log_variances(X: pd.DataFrame) -> pd.DataFrame:
    """``log10`` of the heavy-tailed ``*_var`` columns (the others unchanged)."""
    values = X.to_numpy(dtype=np.float64, copy=True)
    var = np.asarray(X.columns.str.endswith("_var"), dtype=bool)
    values[:, var] = np.log10(np.clip(values[:, var], 1e-12, None))
    return pd.DataFrame(values, index=X.index, columns=X.columns)


def add_track_context(X: pd.DataFrame, tracks) -> pd.DataFrame:
    """Append each track's mean over its own segments as ``<feature>_track`` columns.

    A segment then sees the whole song it belongs to. Only the segment's own track
    is used (no label, no other track), so this is legitimate under any split.
    """
    means = X.groupby(np.asarray(tracks)).transform("mean")
    means.columns = [f"{c}_track" for c in X.columns]
    return pd.concat([X.reset_index(drop=True), means.reset_index(drop=True)], axis=1)


def track_summaries(X: pd.DataFrame, tracks, *, spreads: bool | None = None) -> pd.DataFrame:
    """One row per track (sorted): ``<feature>_track_mean`` and, with ``spreads``, ``_track_std``
    of each feature over the track's segments. By default spreads are summarised where a track
    has several rows (:func:`has_spreads`): a table of whole clips has none, its rows are the means.
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
    """A candidate's model inputs: the chosen ``columns``, ``log_var`` (:func:`log_variances`),
    ``track_context`` (:func:`add_track_context`), per segment or, with ``track_level``, per track
    (:func:`track_summaries`)."""
    X = pd.DataFrame(X).reset_index(drop=True)
    if columns is not None:
        X = X[list(columns)]
    if log_var:
        X = log_variances(X)
    if track_context:
        X = add_track_context(X, tracks)
    return track_summaries(X, tracks, spreads=spreads) if track_level else X
