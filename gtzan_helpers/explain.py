"""SHAP explanations of the MLP's predictions.

The explained quantity is the network's output, the probability of metal. SHAP
splits ``f(x)`` into a *base value* plus one contribution per feature:
``f(x) = base_value + sum(contributions)``. The base value is the mean output over the
background data (``E[f(X)]``), not the 0.5 decision threshold.
Used by ``06_shap`` and ``gtzan explain``.
"""

from __future__ import annotations

import numpy as np
import torch

from .training import as_tensor


def explain(model: torch.nn.Module, background, X, *, feature_names, display_data=None,
            background_size: int = 200, seed: int = 0):
    """SHAP values of ``model``'s probability output with ``shap.DeepExplainer``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps scaled features (n, d) to probabilities (n, 1).
    background : array-like, shape (m, d)
        Scaled reference rows (normally the training set); the base value is the
        model's mean output over them.
    X : array-like, shape (n, d)
        Scaled rows to explain.
    feature_names : sequence of str
    display_data : array-like, shape (n, d), optional
        Values shown beside the features in plots (e.g. the unscaled features);
        defaults to ``X``.
    background_size : int
        At most this many background rows, drawn at random with ``seed``.
    seed : int

    Returns
    -------
    shap.Explanation
        ``values`` (n, d), ``base_values`` (n,), ``data`` and ``feature_names``.
    """
    import shap

    model = model.cpu().eval()
    background = np.asarray(background, dtype=np.float32)
    if len(background) > background_size:
        pick = np.random.default_rng(seed).choice(len(background), background_size, replace=False)
        background = background[np.sort(pick)]
    explainer = shap.DeepExplainer(model, as_tensor(background))
    values = np.asarray(explainer.shap_values(as_tensor(X), check_additivity=True))
    values = values.reshape(len(values), -1)
    base = float(np.ravel(explainer.expected_value)[0])
    shown = np.asarray(X if display_data is None else display_data, dtype=np.float64)
    return shap.Explanation(values=values, base_values=np.full(len(values), base),
                            data=shown, feature_names=list(feature_names))


def top_contributions(explanation, row: int = 0, k: int = 10):
    """The ``k`` features with the largest absolute contribution for one explained row.

    Returns
    -------
    pandas.DataFrame
        ``feature``, ``value`` (the displayed feature value) and ``contribution``
        (change in probability of metal), largest magnitude first.
    """
    import pandas as pd

    values = explanation.values[row]
    order = np.argsort(-np.abs(values))[:k]
    return pd.DataFrame({"feature": [explanation.feature_names[i] for i in order],
                         "value": explanation.data[row][order],
                         "contribution": values[order]})
