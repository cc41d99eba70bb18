"""A logistic regression saved as a model bundle: the ten-genre ladder's best model, shipped.

On unheard artists the ten-genre ladder of notebook 10 ranks a logistic regression with
scikit-learn's defaults first, ahead of every MLP. A bundle holds a network as plain arrays
(:mod:`.bundle`); a logistic regression is such a network with no hidden layer
(:class:`~gtzan_helpers.model.MLP` with ``hidden=()``: one ``Linear`` layer and a softmax), so
it is saved, checked and explained exactly as the MLPs are. Used by ``gtzan train --model linear``.
"""

from __future__ import annotations

import numpy as np
import torch

from ..honest.baseline_models import baselines
from ..evaluation import cross_validate
from ..model import MLP
from ..recipe import RECIPE
from .bundle import Bundle, load_bundle, save_bundle


def train_linear_bundle(table, path, *, seed: int = 0, background_size: int = 100) -> Bundle:
    """Fit scikit-learn's logistic regression (its defaults, on standardised features) to a whole
    table, save it as a bundle, and record its accuracy on unheard artists.

    The accuracy is that of the same model under 5-fold artist-grouped cross-validation of the
    table (mean track accuracy over the folds), recorded as ``artist_grouped_cv_accuracy``.

    Returns
    -------
    Bundle
        The bundle as :func:`~.bundle.load_bundle` reads it back from ``path``.
    """
    candidate = baselines(seed)["logistic regression"]
    folds = cross_validate(table, {"linear": candidate}, protocol="artist", n_splits=RECIPE.n_splits,
                           seed=seed, n_jobs=1)
    fitted = candidate.fit(table.X, table.y, table.tracks, n_classes=len(table.genres))
    scaler, regression = fitted.pipeline_[0], fitted.pipeline_[-1]
    model = MLP(table.X.shape[1], (), 0.0, n_classes=len(table.genres))
    with torch.no_grad():
        model.net[0].weight.copy_(torch.from_numpy(regression.coef_.astype(np.float32)))
        model.net[0].bias.copy_(torch.from_numpy(regression.intercept_.astype(np.float32)))
    rows = scaler.transform(table.X)
    pick = np.sort(np.random.default_rng(seed).choice(len(rows), min(background_size, len(rows)), replace=False))
    save_bundle(path, model, mean=scaler.mean_, scale=scaler.scale_, background=rows[pick],
                labels=table.genres, whole_clip=table.whole_clips,
                hyperparameters={"model": "logistic regression (scikit-learn's defaults)", "seed": seed,
                                 "artist_grouped_cv_accuracy": round(float(folds["track_accuracy"].mean()), 4),
                                 "cv_folds": RECIPE.n_splits})
    return load_bundle(path)
