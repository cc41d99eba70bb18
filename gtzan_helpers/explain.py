"""SHAP explanations of the MLP's predictions.

The explained quantity is one of the network's probabilities: of metal for the study's
network, of any chosen class (``output``) for a network of more classes. SHAP
splits ``f(x)`` into a *base value* plus one contribution per feature:
``f(x) = base_value + sum(contributions)``. The base value is the mean output over the
background data (``E[f(X)]``), not the 0.5 decision threshold.
Used by ``06_shap`` and ``gtzan explain``.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import torch

from .loop import as_tensor


def explain(model: torch.nn.Module, background, X, *, feature_names, display_data=None,
            background_size: int = 200, seed: int = 0, output: int | None = None):
    """SHAP values of one of ``model``'s probability outputs with ``shap.DeepExplainer``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps scaled features (n, d) to probabilities: of label 1, (n, 1), or of every
        class, (n, k). Left as it is: a copy on the CPU in eval mode is explained, so the
        caller's model keeps its device, its mode and its parameters.
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
    output : int, optional
        The class whose probability is explained. A k-class network needs it; a
        one-output network defaults to label 1 (metal).
        For a one-output network, ``output=0`` explains ``1 - p`` (blues): the same
        contributions with their signs flipped.

    Returns
    -------
    shap.Explanation
        ``values`` (n, d), ``base_values`` (n,), ``data`` and ``feature_names``.
    """
    import shap  # seconds to import: loaded by the commands and notebooks that explain

    # a copy: ``.cpu()`` and ``.eval()`` act in place, and DeepExplainer hangs hooks and
    # attributes on the modules it explains
    model = copy.deepcopy(model).cpu().eval()
    background = np.asarray(background, dtype=np.float32)
    if len(background) > background_size:
        pick = np.random.default_rng(seed).choice(len(background), background_size, replace=False)
        background = background[np.sort(pick)]
    explainer = shap.DeepExplainer(model, as_tensor(background))
    values = np.asarray(explainer.shap_values(as_tensor(X), check_additivity=True))
    expected = np.ravel(explainer.expected_value)
    if len(expected) == 1:  # one output, P(label 1); its complement for output 0
        values, base = values.reshape(len(values), -1), float(expected[0])
        if output == 0:
            values, base = -values, 1.0 - base
        elif output not in (None, 1):
            raise ValueError(f"a one-output model explains output 0 or 1, not {output}")
    else:  # values (n, d, k): one set per class
        if output is None or not 0 <= output < len(expected):
            raise ValueError(f"choose output 0..{len(expected) - 1} of a {len(expected)}-class model")
        values, base = values.reshape(len(values), -1, len(expected))[..., output], float(expected[output])
    shown = np.asarray(X if display_data is None else display_data, dtype=np.float64)
    return shap.Explanation(values=values, base_values=np.full(len(values), base),
                            data=shown, feature_names=list(feature_names))


def top_contributions(explanation, row: int = 0, k: int = 10):
    """The ``k`` features with the largest absolute contribution for one explained row.

    Returns
    -------
    pandas.DataFrame
        ``feature``, ``value`` (the displayed feature value) and ``contribution``
        (change in the explained output's probability), largest magnitude first.
    """
    values = explanation.values[row]
    order = np.argsort(-np.abs(values))[:k]
    return pd.DataFrame({"feature": [explanation.feature_names[i] for i in order],
                         "value": explanation.data[row][order],
                         "contribution": values[order]})
