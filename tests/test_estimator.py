"""The scikit-learn wrapper works where scikit-learn models work."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from gtzan_helpers.estimator import MLPClassifier
from gtzan_helpers.training import predict_proba

from .test_training import separable


def test_params_round_trip_and_clone():
    model = MLPClassifier(hidden=(32,), batch_size=64, seed=3)
    params = model.get_params()
    assert params["hidden"] == (32,) and params["batch_size"] == 64 and params["seed"] == 3
    assert clone(model).get_params() == params


def test_in_a_pipeline_with_string_labels():
    X, y = separable(n=300)
    labels = np.where(y == 1, "metal", "blues")
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden=(32, 32), batch_size=32, max_epochs=60))
    pipe.fit(X, labels)
    proba = pipe.predict_proba(X)
    assert pipe.classes_.tolist() == ["blues", "metal"]
    # the second column is the network's own output for the second class, in classes_ order
    network = pipe[-1].model_
    np.testing.assert_allclose(proba[:, 1], predict_proba(network, pipe[0].transform(X)), rtol=1e-6)
    assert ((proba[:, 1] >= 0.5) == (labels == "metal")).mean() > 0.9
    assert (pipe.predict(X) == labels).mean() > 0.9


def test_cross_validate_and_grid_search():
    X, y = separable(n=200)
    scores = cross_validate(MLPClassifier(hidden=(8,), max_epochs=10), X, y, cv=3)
    assert len(scores["test_score"]) == 3
    search = GridSearchCV(MLPClassifier(max_epochs=5, patience=None), {"hidden": [(4,), (8,)]}, cv=2)
    search.fit(X, y)
    assert search.best_params_["hidden"] in [(4,), (8,)]


def test_refuses_more_than_two_classes():
    X, _ = separable(n=30)
    with pytest.raises(ValueError, match="binary"):
        MLPClassifier().fit(X, np.arange(30) % 3)
