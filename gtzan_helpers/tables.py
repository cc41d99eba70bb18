"""What notebooks 04 and 05 show and save: a sweep's summary beside the study's numbers, the two
stopping rules side by side, and their paired tests as results JSON.

Presentation only: the numbers come from :func:`gtzan_helpers.evaluation.sweep` and
:mod:`gtzan_helpers.stats`.
"""

from __future__ import annotations

import pandas as pd

from .stats import within_points


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


def stopping_comparison(held_out: pd.DataFrame, inner: pd.DataFrame, parameter: str) -> pd.DataFrame:
    """Mean CV accuracy of each setting with the two stopping rules (:data:`gtzan_helpers.evaluation.STOPPING`).

    Parameters
    ----------
    held_out, inner : pandas.DataFrame
        Summaries from :func:`~gtzan_helpers.evaluation.sweep` with ``stopping="held-out"`` and ``"inner"``.
    parameter : str
        The swept column.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``protocol``, setting): both mean accuracies in % and their difference in
        points (positive: watching the scored fold flattered the score).
    """
    scored_acc, inner_acc = (s.set_index(["protocol", parameter])["accuracy"] * 100 for s in (held_out, inner))
    return pd.DataFrame({"stops on the scored fold (%)": scored_acc,
                         "stops on an inner split (%)": inner_acc,
                         "difference (points)": scored_acc - inner_acc})


def paired_records(paired: pd.DataFrame) -> dict:
    """:func:`~gtzan_helpers.stats.paired_by_protocol`'s table as results JSON: ``"<protocol>|<setting>"`` → its numbers."""
    return {f"{protocol}|{setting}": {"difference_points": row["difference"],
                                    "difference_ci": row["ci"],
                                    "p_value": row["p_value"],
                                    "distinguishable": bool(row["distinguishable"])}
            for protocol in paired.columns.get_level_values(0).unique()
            for setting, row in paired[protocol].iterrows()}


def family_record(family: pd.DataFrame) -> dict:
    """:func:`~gtzan_helpers.stats.holm_family`'s verdict as results JSON: the number of tests, whether any is told
    apart after Holm's adjustment (with the smallest adjusted ``p_value``), and per protocol
    the ± bound (``within_ci``, a fraction) that every difference's family-wide interval
    lies within."""
    return {"tests": int(len(family)), "distinguishable": bool(family["distinguishable"].any()),
            "p_value": float(family["p_holm"].min()),
            # fractions, like the other intervals' half-widths
            "within_ci": {protocol: within_points(part["difference"], part["ci_family"]) / 100
                          for protocol, part in family.groupby("protocol", sort=False)}}
