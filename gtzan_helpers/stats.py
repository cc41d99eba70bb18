"""Statistics of cross-validation scores: summaries, confidence intervals, paired tests.

Fold scores of (repeated) cross-validation are not independent samples: the folds'
training sets overlap. The intervals and tests here use the corrected resampled t of
Nadeau & Bengio (2003), which widens the variance by ``n_test / n_train`` for that
overlap, through :mod:`scipy.stats` (an interval that crosses 0 or 1 is left as it is: clipping
it would hide how little the folds say; :mod:`gtzan_helpers.bootstrap` gives intervals that
stay inside by construction);
a score on one split gets Wilson's binomial interval; several p-values of one family
are adjusted by Holm's step-down method.
Used by notebooks 04, 05, 08 and 09 and ``gtzan evaluate``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats


def summarize_folds(folds: pd.DataFrame, columns=("loss", "accuracy", "track_accuracy")) -> dict:
    """Mean and standard deviation (ddof 1) over folds of each column.

    Returns
    -------
    dict
        ``<column>`` and ``<column>_std`` for each column.

    Examples
    --------
    >>> import pandas as pd
    >>> from gtzan_helpers.stats import summarize_folds
    >>> folds = pd.DataFrame({"accuracy": [0.8, 0.9, 1.0]})
    >>> {k: round(v, 3) for k, v in summarize_folds(folds, columns=["accuracy"]).items()}
    {'accuracy': 0.9, 'accuracy_std': 0.1}
    """
    out = {}
    for c in columns:
        out[c] = float(folds[c].mean())
        out[f"{c}_std"] = float(folds[c].std(ddof=1))
    return out


def corrected_t_test(scores, *, test_fraction: float, level: float = 0.95) -> dict:
    """Corrected resampled t on fold scores (or paired differences): mean, CI, p-value.

    Parameters
    ----------
    scores : array-like, shape (J,)
        One score (or one difference between two models) per fold.
    test_fraction : float
        Share of the rows held out per fold (``n_test / (n_train + n_test)``).
    level : float
        Confidence level of the interval.

    Returns
    -------
    dict
        ``mean``; ``half_width`` of the ``level`` interval, variance
        ``(1/J + n_test/n_train) · s²`` with ``J − 1`` degrees of freedom; ``p_value``
        of the two-sided test of a zero mean. With fewer than two scores the interval
        and p-value are NaN; scores that do not vary give a zero-width interval and
        p = 0 (mean ≠ 0) or 1 (mean = 0).

    Examples
    --------
    Five folds, each holding out a fifth: variance ``(1/5 + 1/4) · s²``, not the plain ``s² / 5``.

    >>> from gtzan_helpers.stats import corrected_t_test
    >>> test = corrected_t_test([0.75, 0.8, 0.85, 0.9, 0.95], test_fraction=0.2)
    >>> round(test["mean"], 2), round(test["half_width"], 3), test["p_value"] < 0.001
    (0.85, 0.147, True)
    >>> corrected_t_test([0.02] * 5, test_fraction=0.2)  # the same difference on every fold
    {'mean': 0.02, 'half_width': 0.0, 'p_value': 0.0}
    """
    scores = np.asarray(scores, dtype=float)
    J, mean = len(scores), float(np.mean(scores)) if len(scores) else float("nan")
    if J < 2:
        return {"mean": mean, "half_width": float("nan"), "p_value": float("nan")}
    ratio = test_fraction / (1 - test_fraction)
    se = float(np.sqrt((1 / J + ratio) * scores.var(ddof=1)))
    if se == 0:
        return {"mean": mean, "half_width": 0.0, "p_value": 0.0 if mean else 1.0}
    t = stats.t(df=J - 1)
    return {"mean": mean, "half_width": float(t.ppf(0.5 + level / 2) * se),
            "p_value": float(2 * t.sf(abs(mean) / se))}


def corrected_t_interval(scores, *, test_fraction: float, level: float = 0.95) -> tuple[float, float]:
    """Mean of repeated-CV scores and the half-width of its CI (see :func:`corrected_t_test`)."""
    result = corrected_t_test(scores, test_fraction=test_fraction, level=level)
    return result["mean"], result["half_width"]


def wilson_interval(successes: int, trials: int, *, level: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for a proportion, e.g. tracks right on one test split.

    Through :meth:`scipy.stats.binomtest`'s ``proportion_ci``; it stays inside [0, 1]
    and is sound for the few dozen trials of one split, where the normal one is not.

    Examples
    --------
    Nine tracks right out of ten: the interval is not centred on 0.9 and stops short of 1.

    >>> from gtzan_helpers.stats import wilson_interval
    >>> [round(x, 3) for x in wilson_interval(9, 10)]
    [0.596, 0.982]
    """
    ci = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of one family of p-values (NaN stays NaN).

    An adjusted p-value below alpha rejects its hypothesis with the family-wise error
    rate held at alpha, whatever the dependence between the tests (Holm, 1979).

    Examples
    --------
    The smallest p-value times 3, the next times 2 (never below the one before), the last times 1:

    >>> from gtzan_helpers.stats import holm
    >>> holm([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    order = valid[np.argsort(p[valid], kind="stable")]
    m = len(order)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def within_points(differences, half_widths) -> float:
    """The ± bound, in the differences' unit, that every interval ``d ± h`` lies within.

    Examples
    --------
    >>> from gtzan_helpers.stats import within_points
    >>> within_points([2.0, -5.0], [3.0, 1.0])  # 2 ± 3 and -5 ± 1 both lie within ± 6
    6.0
    """
    d, h = np.asarray(differences, float), np.asarray(half_widths, float)
    return float(np.nanmax(np.abs(d) + h))


def simultaneous_half_width(half_width, *, n_tests: int, df: int, level: float = 0.95):
    """A t interval's half-width widened from ``level`` to Bonferroni's ``1 − (1 − level) / n_tests``.

    The ``n_tests`` intervals of one family then hold together with probability at least
    ``level``, which is what a "within ± x" statement about all of them needs, and what
    agrees with Holm's adjustment of their tests (a Holm-significant pair may still show
    an interval that touches 0; a pair whose widened interval excludes 0 is always
    Holm-significant).

    Examples
    --------
    >>> from gtzan_helpers.stats import simultaneous_half_width
    >>> float(simultaneous_half_width(1.0, n_tests=1, df=4))  # one test: nothing to widen
    1.0
    >>> round(float(simultaneous_half_width(1.0, n_tests=3, df=4)), 2)  # three tests at once
    1.43
    """
    alpha = 1 - level
    t = stats.t(df=df)
    return np.asarray(half_width, float) * t.ppf(1 - alpha / (2 * n_tests)) / t.ppf(1 - alpha / 2)


def _test_fraction(part: pd.DataFrame) -> float:
    # share of rows held out per fold; 1/k when the folds' sizes were not recorded
    if {"n_train", "n_test"} <= set(part.columns):
        return float((part["n_test"] / (part["n_train"] + part["n_test"])).mean())
    return 1.0 / part["fold"].nunique()


def summarize_cv(results: pd.DataFrame, *, by: str = "candidate",
                 metrics=("accuracy", "track_accuracy", "loss")) -> pd.DataFrame:
    """Mean and 95 % CI half-width (``<metric>_ci``) of each metric per candidate."""
    rows = []
    for name, part in results.groupby(by, sort=False):
        fraction = _test_fraction(part)
        row = {by: name}
        for metric in metrics:
            mean, half = corrected_t_interval(part[metric], test_fraction=fraction)
            row[metric], row[f"{metric}_ci"] = mean, half
        rows.append(row)
    return pd.DataFrame(rows).set_index(by)


def paired_comparison(results: pd.DataFrame, reference, *, by: str = "candidate",
                      metric: str = "accuracy", alpha: float = 0.05) -> pd.DataFrame:
    """Each candidate against ``reference`` on the same folds: mean difference, CI, p-value.

    The corrected resampled paired t-test (:func:`corrected_t_test`) on the per-fold
    differences. ``distinguishable`` is ``p_value < alpha``; it is False where the
    p-value is NaN (a single fold).
    """
    keys = [k for k in ("repeat", "fold") if k in results.columns]
    ref = results[results[by] == reference].set_index(keys)
    rows = []
    for name, part in results.groupby(by, sort=False):
        if name == reference:
            continue
        part = part.set_index(keys)
        diff = (part[metric] - ref.loc[part.index, metric]).to_numpy()
        test = corrected_t_test(diff, test_fraction=_test_fraction(part.reset_index()))
        rows.append({by: name, "difference": test["mean"], "ci": test["half_width"],
                     "p_value": test["p_value"], "distinguishable": bool(test["p_value"] < alpha)})
    return pd.DataFrame(rows).set_index(by)


def paired_by_protocol(folds: pd.DataFrame, reference, *, by: str) -> pd.DataFrame:
    """:func:`paired_comparison` of every setting of a sweep against ``reference``, per protocol.

    Parameters
    ----------
    folds : pandas.DataFrame
        Fold rows of :func:`gtzan_helpers.evaluation.sweep`, with ``protocol`` and ``by`` columns.
    reference
        The setting the others are compared with.
    by : str
        The swept column.

    Returns
    -------
    pandas.DataFrame
        Indexed by setting; columns ``(protocol, difference | ci | p_value | distinguishable)``,
        protocols in the order of ``folds``, differences and CIs in points.
    """
    return pd.concat({protocol: paired_comparison(part, reference, by=by)
                      .assign(difference=lambda d: d.difference * 100, ci=lambda d: d.ci * 100)
                      for protocol, part in folds.groupby("protocol", sort=False)}, axis=1)


def holm_family(tables: dict, *, alpha: float = 0.05, n_folds: int) -> pd.DataFrame:
    """Several :func:`paired_by_protocol` tables as one family of tests, Holm-adjusted.

    Parameters
    ----------
    tables : dict
        Name (e.g. the stopping rule) → a :func:`paired_by_protocol` table.
    alpha : float
        Family-wise error rate.
    n_folds : int
        Folds behind each test (the t distribution has ``n_folds − 1`` degrees of freedom).

    Returns
    -------
    pandas.DataFrame
        One row per test: ``family`` (the dict key), ``protocol``, ``setting``,
        ``difference`` and ``ci`` (points, 95 %), ``ci_family`` (the half-width widened by
        :func:`simultaneous_half_width` over the whole family), ``p_value``, ``p_holm``
        (adjusted over every row) and ``distinguishable`` (``p_holm < alpha``).
    """
    rows = [{"family": name, "protocol": protocol, "setting": setting, **row[["difference", "ci", "p_value"]]}
            for name, paired in tables.items()
            for protocol in paired.columns.get_level_values(0).unique()
            for setting, row in paired[protocol].iterrows()]
    family = pd.DataFrame(rows)
    family["ci_family"] = simultaneous_half_width(family["ci"], n_tests=len(family), df=n_folds - 1,
                                                  level=1 - alpha)
    family["p_holm"] = holm(family["p_value"])
    family["distinguishable"] = family["p_holm"] < alpha
    return family


def paired_folds(first: pd.DataFrame, second: pd.DataFrame, *, test_fraction: float,
                 metrics: Sequence[str] = ("accuracy", "loss", "brier"),
                 alpha: float = 0.05) -> pd.DataFrame:
    """Two models scored on the same folds, compared fold by fold as one family of tests.

    For each protocol and metric the per-fold differences ``first − second`` get the
    corrected resampled t (:func:`corrected_t_test`); the p-values of
    every protocol and metric are adjusted together by Holm's method
    (:func:`holm`), and each 95 % interval is widened for the whole
    family (:func:`simultaneous_half_width`).

    Parameters
    ----------
    first, second : pandas.DataFrame
        Rows of :func:`gtzan_helpers.evaluation.cross_validate` (``protocol``, ``fold`` and the metrics) over the
        same folds.
    test_fraction : float
        Share of the rows held out per fold, ``n_test / (n_train + n_test)``.
    metrics : sequence of str
        Columns compared.
    alpha : float
        Family-wise error rate.

    Returns
    -------
    pandas.DataFrame
        One row per (``protocol``, ``metric``): the means over folds ``first`` and
        ``second``, the mean ``difference`` (first − second), ``ci`` (95 % half-width),
        ``ci_family`` (widened over the family), ``within`` (the ± bound that the family-wide
        interval lies within, ``|difference| + ci_family``), ``p_value``, ``p_holm`` and
        ``distinguishable`` (``p_holm < alpha``).
    """
    pairs = first.merge(second, on=["protocol", "fold"], suffixes=("_first", "_second"), validate="1:1")
    rows = []
    for protocol, part in pairs.groupby("protocol", sort=False):
        for metric in metrics:
            a, b = part[f"{metric}_first"].to_numpy(), part[f"{metric}_second"].to_numpy()
            test = corrected_t_test(a - b, test_fraction=test_fraction, level=1 - alpha)
            rows.append({"protocol": protocol, "metric": metric, "first": a.mean(), "second": b.mean(),
                         "difference": test["mean"], "ci": test["half_width"], "p_value": test["p_value"]})
    family = pd.DataFrame(rows)
    family["ci_family"] = simultaneous_half_width(family["ci"], n_tests=len(family),
                                                  df=pairs.groupby("protocol").size().min() - 1,
                                                  level=1 - alpha)
    family["within"] = family["difference"].abs() + family["ci_family"]
    family["p_holm"] = holm(family["p_value"])
    family["distinguishable"] = family["p_holm"] < alpha
    return family
