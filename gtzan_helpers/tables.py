"""Tables the notebooks show: a sweep's summary beside the study's numbers, the two stopping rules.

Presentation only: the numbers come from :func:`gtzan_helpers.evaluation.sweep`. Used by
notebooks 04 and 05.
"""

from __future__ import annotations

import pandas as pd


def sweep_table(summary: pd.DataFrame, parameter: str, study: dict | None = None) -> pd.DataFrame:
    """The sweep's summary as the notebooks show it, the study's numbers first.

    Parameters
    ----------
    summary : pandas.DataFrame
        First output of :func:`~gtzan_helpers.evaluation.sweep`.
    parameter : str
        The swept column.
    study : dict, optional
        Setting → (loss, accuracy, seconds) as printed in the study (the seconds are not shown).

    Returns
    -------
    pandas.DataFrame
        One row per setting; accuracies in % as ``"mean ± sd"`` over folds.
    """
    def mean_sd(part, column):
        return ((part[column] * 100).map("{:.2f}".format) + " ± "
                + (part[f"{column}_std"] * 100).map("{:.2f}".format))

    columns = {}
    if study:
        columns["study: loss"] = pd.Series({k: v[0] for k, v in study.items()})
        columns["study: accuracy (%)"] = pd.Series({k: round(v[1] * 100, 2) for k, v in study.items()})
    for protocol in summary["protocol"].unique():
        part = summary[summary["protocol"] == protocol].set_index(parameter)
        columns[f"{protocol} folds: loss"] = part["loss"].round(4)
        columns[f"{protocol} folds: accuracy (%)"] = mean_sd(part, "accuracy")
        columns[f"{protocol} folds: track accuracy (%)"] = mean_sd(part, "track_accuracy")
    frame = pd.DataFrame(columns)
    frame.index.name = parameter
    return frame


def stopping_comparison(study: pd.DataFrame, inner: pd.DataFrame, parameter: str) -> pd.DataFrame:
    """Mean CV accuracy of each setting with the two stopping rules (:data:`gtzan_helpers.evaluation.STOPPING`).

    Parameters
    ----------
    study, inner : pandas.DataFrame
        Summaries from :func:`~gtzan_helpers.evaluation.sweep` with ``stopping="held-out"`` and ``"inner"``.
    parameter : str
        The swept column.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``protocol``, setting): both mean accuracies in % and their difference in
        points (positive: watching the scored fold flattered the score).
    """
    study_acc, inner_acc = (s.set_index(["protocol", parameter])["accuracy"] * 100 for s in (study, inner))
    return pd.DataFrame({"stops on the scored fold (%)": study_acc,
                         "stops on an inner split (%)": inner_acc,
                         "difference (points)": study_acc - inner_acc})
