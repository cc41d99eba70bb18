"""One rule each: the decision, the loss, the per-track aggregation; and the one recipe."""

import dataclasses
import inspect

import numpy as np
import pytest
import torch

from gtzan_helpers import evaluation, model, training
from gtzan_helpers.app import bundle, estimator
from gtzan_helpers.fast import stacked
from gtzan_helpers.honest import candidates
from gtzan_helpers.recipe import RECIPE, Recipe
from gtzan_helpers.scoring import cross_entropy, decide, group_labels, per_track, score, to_rows
from gtzan_helpers.splits import validation_split

from .conftest import separable


def test_decide_two_classes_at_the_threshold_and_more_by_the_largest():
    assert decide([0.2, 0.5, 0.7]).tolist() == [0, 1, 1]
    assert decide(np.array([[0.8, 0.2], [0.5, 0.5]])).tolist() == [0, 1]   # two columns: P(label 1)
    assert decide(np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])).tolist() == [1, 0]
    assert decide([0.2, 0.7], threshold=0.8).tolist() == [0, 0]


def test_decide_gives_tensors_for_tensors_with_the_same_rule():
    p = torch.tensor([0.2, 0.5, 0.7])
    out = decide(p)
    assert isinstance(out, torch.Tensor) and out.tolist() == [0, 1, 1]
    many = torch.tensor([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    assert decide(many).tolist() == decide(many.numpy()).tolist() == [1, 0]


def test_a_certain_mistake_costs_a_bounded_loss():
    # p = 1 for a blues segment: infinite in theory, bounded by the clip in practice
    assert 30 < cross_entropy([1.0], [0]) < 40
    assert cross_entropy(np.array([[0.0, 1.0, 0.0]]), [1]) == pytest.approx(0.0, abs=1e-12)


def test_training_histories_and_scores_use_one_loss():
    X, y = separable(n=300)
    for n_classes, labels in ((2, y), (3, (X[:, 0] > 0.5) + (X[:, 0] > -0.5))):
        net = model.make_mlp(6, (16,), n_classes=n_classes)
        result = training.fit(net, X[:200], labels[:200], X[200:], labels[200:],
                              recipe=RECIPE.replace(max_epochs=3, patience=None))
        proba = training.predict_proba(result.model, X[200:])
        assert result.history["val_loss"].iloc[-1] == pytest.approx(
            cross_entropy(proba, labels[200:]), rel=1e-5)
        assert result.history["val_accuracy"].iloc[-1] == pytest.approx(
            (decide(proba) == labels[200:]).mean(), abs=1e-6)


def test_per_track_means_and_labels():
    proba = np.array([0.9, 0.2, 0.4, 0.1, 0.6, 0.8])
    tracks = np.array(["b", "b", "a", "a", "a", "b"])
    names, means, inverse = per_track(proba, tracks)
    assert names.tolist() == ["a", "b"]
    assert means == pytest.approx([1.1 / 3, 1.9 / 3])
    assert (names[inverse] == tracks).all()
    assert group_labels([1, 1, 0, 0, 0, 1], tracks).tolist() == [0, 1]
    assert to_rows(means, tracks) == pytest.approx(means[inverse])
    _, votes, _ = per_track(proba, tracks, method="vote")
    assert votes == pytest.approx([1 / 3, 2 / 3])
    assert score(proba, [1, 1, 0, 0, 0, 1], tracks)["track_accuracy"] == 1.0


def test_the_validation_split_keeps_groups_whole_and_falls_back_to_every_row():
    y = np.repeat([0, 1], 50)
    groups = np.repeat(np.arange(20), 5)
    fit_rows, watch = validation_split(y, groups, fraction=0.2, seed=0)
    assert not set(groups[fit_rows]) & set(groups[watch])
    assert len(np.unique(groups[watch])) == 4 and y[watch].mean() == 0.5   # stratified
    one = validation_split(y[:5], np.zeros(5))
    assert one[0].tolist() == one[1].tolist() == list(range(5))


@pytest.mark.parametrize("function", [training.fit, training.train, stacked.fit_many, evaluation.train_holdout,
                                      evaluation.sweep, evaluation.NetworkCandidate, candidates.MLPCandidate,
                                      candidates.study_mlp, bundle.train_bundle])
def test_every_trainer_takes_the_recipe_whole(function):
    parameters = inspect.signature(function).parameters
    assert parameters["recipe"].default is RECIPE
    # no field of the network or its training spelled again as a parameter of its own, so every
    # one can be swept (the folds and the split are the evaluation's, not the network's)
    trained_by = {field.name for field in dataclasses.fields(Recipe)} - {"n_splits", "test_size", "threshold"}
    assert not set(parameters) & trained_by


def test_the_estimators_defaults_are_the_recipes():
    names = {"alpha": "weight_decay"}   # scikit-learn's name for Adam's L2 penalty
    params = estimator.MLPClassifier().get_params()
    shared = {name: value for name, value in params.items() if hasattr(RECIPE, names.get(name, name))}
    assert len(shared) == 8
    assert all(value == getattr(RECIPE, names.get(name, name)) for name, value in shared.items())


def test_a_bundle_records_the_recipe_it_trained_with(table, tmp_path):
    part = table.subset(np.flatnonzero(np.isin(table.tracks, np.unique(table.tracks)[::8])))
    recipe = RECIPE.replace(hidden=(16,), max_epochs=2)
    loaded = bundle.train_bundle(part, tmp_path / "m.npz", recipe=recipe)
    assert Recipe(**{k: tuple(v) if isinstance(v, list) else v
                     for k, v in loaded.metadata["hyperparameters"]["recipe"].items()}) == recipe
    assert loaded.metadata["architecture"]["hidden"] == [16]


def test_balanced_accuracy_is_the_mean_of_the_genres_recalls():
    from sklearn.metrics import balanced_accuracy_score

    # eight blues segments of two tracks, all right; two metal segments of one track, one right
    y = np.array([0] * 8 + [1, 1])
    proba = np.array([0.1] * 8 + [0.9, 0.2])
    tracks = np.array(["b1"] * 4 + ["b2"] * 4 + ["m1"] * 2)
    scores = score(proba, y, tracks)
    assert scores["accuracy"] == 0.9
    assert scores["balanced_accuracy"] == pytest.approx(0.75) == balanced_accuracy_score(y, proba >= 0.5)
    assert scores["track_balanced_accuracy"] == 1.0  # m1's mean probability is 0.55: metal
    # a model that answers the larger genre every time is lifted to no more than 1/2
    assert score(np.zeros(10), y, tracks)["balanced_accuracy"] == 0.5
