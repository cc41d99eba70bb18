"""The scikit-learn wrapper works where scikit-learn models work."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from gtzan_helpers.app.estimator import MLPClassifier
from gtzan_helpers.training import predict_proba

from .conftest import separable


def test_in_a_pipeline_with_string_labels():
    X, y = separable(n=300)
    labels = np.where(y == 1, "metal", "blues")
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden=(32, 32), batch_size=32, max_epochs=20))
    pipe.fit(X, labels)
    proba = pipe.predict_proba(X)
    assert pipe.classes_.tolist() == ["blues", "metal"]
    # the second column is the network's own output for the second class, in classes_ order
    network = pipe[-1].model_
    inputs = pipe[-1].trained_.scaler.transform(pipe[0].transform(X))   # the network standardises what it is given
    np.testing.assert_allclose(proba[:, 1], predict_proba(network, inputs), rtol=1e-6)
    assert ((proba[:, 1] >= 0.5) == (labels == "metal")).mean() > 0.9
    assert (pipe.predict(X) == labels).mean() > 0.9


def test_cross_validate_and_grid_search():
    X, y = separable(n=600)
    scores = cross_validate(MLPClassifier(hidden=(16,), batch_size=32, max_epochs=20, patience=None),
                            X, y, cv=3)
    assert scores["test_score"].mean() > 0.75   # chance: 0.5
    search = GridSearchCV(MLPClassifier(batch_size=32, max_epochs=20, patience=None),
                          {"hidden": [(4,), (16,)]}, cv=2)
    search.fit(X, y)
    assert search.best_score_ > 0.75


@parametrize_with_checks([MLPClassifier(hidden=(16,), max_epochs=10, batch_size=16)])
def test_passes_scikit_learns_estimator_checks(estimator, check):
    check(estimator)


def test_three_genres_with_string_labels():
    rng = np.random.default_rng(0)
    genres = np.array(["blues", "jazz", "metal"])
    y = rng.integers(0, 3, 600)
    X = rng.normal(size=(600, 5)) + 3 * np.eye(3, 5)[y]   # genre k lifts feature k
    model = MLPClassifier(hidden=(32,), max_epochs=50).fit(X[:450], genres[y[:450]])
    assert model.classes_.tolist() == ["blues", "jazz", "metal"]
    proba = model.predict_proba(X[450:])
    assert proba.shape == (150, 3) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    # columns follow classes_: the most probable column is the predicted label
    assert (model.classes_[proba.argmax(axis=1)] == model.predict(X[450:])).all()
    assert (model.predict(X[450:]) == genres[y[450:]]).mean() > 0.9
    # a softmax network of three outputs, the study's network otherwise
    assert model.model_.net[-2].out_features == 3


def test_unfitted_and_bad_input_errors_are_scikit_learns():
    from sklearn.exceptions import NotFittedError

    X, y = separable(n=30)
    with pytest.raises(NotFittedError):
        MLPClassifier().predict(X)
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        MLPClassifier().fit(X, y)
    with pytest.raises(ValueError, match="1 class"):
        MLPClassifier().fit(X[5:10], np.zeros(5))


def test_early_stopping_never_watches_rows_of_a_song_it_trains_on(monkeypatch):
    from gtzan_helpers import training

    X, y = separable(n=200)
    songs = np.repeat(np.arange(20), 10)   # ten segments per song
    seen = {}

    def recording_fit(model, X_fit, y_fit, X_val, y_val, **kwargs):
        seen["fit"], seen["watch"] = X_fit, X_val
        return real_fit(model, X_fit, y_fit, X_val, y_val, **kwargs)

    real_fit = training.fit
    monkeypatch.setattr(training, "fit", recording_fit)
    model = MLPClassifier(hidden=(8,), max_epochs=2).fit(X, y, groups=songs)
    trained = model.trained_
    # the loop saw exactly the rows the entry point chose, standardised
    for rows, key in ((trained.fit_rows, "fit"), (trained.watch_rows, "watch")):
        np.testing.assert_allclose(seen[key], trained.scaler.transform(X[rows]), rtol=1e-5, atol=1e-6)
    fit_songs, watch_songs = set(songs[trained.fit_rows]), set(songs[trained.watch_rows])
    assert watch_songs and not fit_songs & watch_songs
    assert len(trained.watch_rows) == 10 * len(watch_songs)


def test_groups_reach_fit_through_metadata_routing():
    import sklearn
    from sklearn.model_selection import GroupKFold

    X, y = separable(n=200)
    songs = np.repeat(np.arange(20), 10)
    seen = []

    class Recording(MLPClassifier):
        def fit(self, X, y, groups=None):
            seen.append(groups)
            return super().fit(X, y, groups=groups)

    with sklearn.config_context(enable_metadata_routing=True):
        model = Recording(hidden=(4,), max_epochs=1).set_fit_request(groups=True)
        cross_validate(model, X, y, cv=GroupKFold(2), params={"groups": songs})
    # each training fold's own songs, ten segments each
    assert len(seen) == 2 and all(len(g) == 100 and set(np.bincount(g)[np.unique(g)]) == {10} for g in seen)


def test_random_state_and_alpha():
    X, y = separable(n=200)
    a, b, c = (MLPClassifier(hidden=(8,), max_epochs=3, random_state=s).fit(X, y) for s in (1, 1, 2))
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))
    decayed = MLPClassifier(hidden=(8,), max_epochs=3, random_state=1, alpha=10.0).fit(X, y)
    weights = [sum(float(p.abs().sum()) for p in m.model_.parameters()) for m in (a, decayed)]
    assert weights[1] < weights[0]   # the L2 penalty shrinks the weights
