"""The training loop and the one entry point: it learns, stops early, restores the best epoch,
is repeatable, and leaves the caller's random state alone."""

import random

import numpy as np
import pytest
import torch

from gtzan_helpers.loop import choose_device, fit, loss_and_accuracy, predict_proba
from gtzan_helpers.model import make_mlp
from gtzan_helpers.recipe import RECIPE
from gtzan_helpers.training import Task, train

from .conftest import separable


def test_learns_a_separable_problem():
    X, y = separable()
    result = fit(make_mlp(6, (16, 16)), X[:300], y[:300], X[300:], y[300:],
                 recipe=RECIPE.replace(patience=None, max_epochs=40, batch_size=32))
    assert result.history["val_accuracy"].iloc[-1] >= 0.95
    assert result.history["train_loss"].iloc[-1] < result.history["train_loss"].iloc[0]
    assert list(result.history.columns) == ["epoch", "train_loss", "train_accuracy",
                                            "val_loss", "val_accuracy"]


def test_early_stopping_stops_and_restores_the_best_epoch():
    # Validation labels are noise: the validation loss soon rises while training fits.
    X, y = separable(n=600)
    y_val = np.random.default_rng(1).integers(0, 2, 200).astype(np.float32)
    result = fit(make_mlp(6, (64, 64), dropout=0.0), X[:400], y[:400], X[400:], y_val,
                 recipe=RECIPE.replace(patience=3, max_epochs=100))
    history = result.history
    assert result.stopped_epoch < 100
    assert result.stopped_epoch == result.best_epoch + 3
    assert result.best_epoch == history["val_loss"].idxmin() + 1
    loss, _ = loss_and_accuracy(result.model, torch.as_tensor(X[400:]), torch.as_tensor(y_val))
    assert loss == pytest.approx(history["val_loss"].min(), rel=1e-5)
    assert not result.model.training


def test_same_seed_same_numbers():
    X, y = separable()
    runs = [fit(make_mlp(6, (16,), seed=7), X[:300], y[:300], X[300:], y[300:], seed=7,
                recipe=RECIPE.replace(max_epochs=5, patience=None)) for _ in range(2)]
    assert runs[0].history.equals(runs[1].history)
    assert np.array_equal(predict_proba(runs[0].model, X), predict_proba(runs[1].model, X))


def test_device_choice(monkeypatch):
    monkeypatch.delenv("GTZAN_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert choose_device().type == expected
    assert choose_device("cpu").type == "cpu"
    monkeypatch.setenv("GTZAN_DEVICE", "cpu")
    assert choose_device().type == "cpu"


def test_bad_batch_size():
    X, y = separable(n=20)
    with pytest.raises(ValueError, match="batch_size"):
        fit(make_mlp(6, (4,)), X, y, X, y, recipe=RECIPE.replace(batch_size=0))


def test_the_seed_decides_data_order_and_dropout():
    X, y = separable(n=200)
    runs = [fit(make_mlp(6, (8,), seed=0), X[:150], y[:150], X[150:], y[150:],
                recipe=RECIPE.replace(max_epochs=2, patience=None), seed=seed).history for seed in (7, 7, 8)]
    assert runs[0].equals(runs[1]) and not runs[0].equals(runs[2])


def test_one_decision_rule_for_every_shape_of_probabilities():
    from gtzan_helpers.scoring import class_probabilities, decide

    p_metal = np.array([0.2, 0.5, 0.9])
    # the study's threshold: 0.5 is metal, whether given as P(label 1) or as both columns
    assert decide(p_metal).tolist() == [0, 1, 1]
    assert decide(class_probabilities(p_metal)).tolist() == [0, 1, 1]
    assert np.allclose(class_probabilities(p_metal).sum(axis=1), 1)
    # more classes: the most probable one
    assert decide(np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])).tolist() == [1, 0]


def test_one_cross_entropy_equals_pytorchs_and_scikit_learns():
    from sklearn.metrics import log_loss

    from gtzan_helpers.loop import cross_entropy_rows, loss_and_hits

    rng = np.random.default_rng(0)
    y = torch.as_tensor(rng.integers(0, 2, 50), dtype=torch.float32)
    p = torch.as_tensor(rng.uniform(0.01, 0.99, 50), dtype=torch.float32)
    # two classes: the study's nn.BCELoss, row by row and on average
    assert torch.allclose(cross_entropy_rows(p, y),
                          torch.nn.functional.binary_cross_entropy(p, y, reduction="none"), atol=1e-6)
    assert torch.allclose(loss_and_hits(p[:, None], y)[0], cross_entropy_rows(p, y).mean())
    # a certain wrong answer costs 100 (the log clamped at -100), not infinity
    assert cross_entropy_rows(torch.tensor([0.0]), torch.tensor([1.0])).item() == 100
    # k classes: scikit-learn's log_loss; the stacked trainer's leading axis passes through
    labels = rng.integers(0, 4, 50)
    P = torch.softmax(torch.as_tensor(rng.normal(size=(50, 4)), dtype=torch.float32), dim=1)
    P64 = P.double().numpy()
    assert np.isclose(cross_entropy_rows(P, torch.as_tensor(labels)).mean().item(),
                      log_loss(labels, P64 / P64.sum(axis=1, keepdims=True), labels=range(4)), rtol=1e-5)
    stacked = cross_entropy_rows(P.expand(3, 50, 4), torch.as_tensor(labels).expand(3, 50))
    assert stacked.shape == (3, 50) and torch.equal(stacked[2], cross_entropy_rows(P, torch.as_tensor(labels)))


def test_training_leaves_the_callers_random_state_alone():
    X, y = separable(n=200)
    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    before = random.random(), np.random.random(), torch.rand(1).item()
    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    for engine in ("plain", "stacked"):
        train(Task(X, y, seed=5), RECIPE.replace(hidden=(8,), max_epochs=2), engine=engine, device="cpu")
    make_mlp(6, seed=3)
    assert (random.random(), np.random.random(), torch.rand(1).item()) == before


def test_a_diverging_loss_is_named_not_restored_from_nothing():
    X, y = separable(n=200)
    diverging = RECIPE.replace(hidden=(8,), max_epochs=3, lr=1e30)   # weights overflow within an epoch
    for engine in ("plain", "stacked"):
        with pytest.raises(FloatingPointError, match="loss is not a number at epoch 1 .learning rate 1e"):
            train(Task(X, y), diverging, engine=engine, device="cpu")
        # with no early stopping nothing is watched: the stacked engine looks at the weights
        with pytest.raises(FloatingPointError, match="not (a number|numbers)"):
            train(Task(X, y), diverging.replace(patience=None), engine=engine, device="cpu")


def test_a_recipe_is_one_value_whatever_spells_its_widths():
    assert RECIPE.replace(hidden=[128, 128, 128]) == RECIPE and hash(RECIPE.replace(hidden=[64])) == hash(
        RECIPE.replace(hidden=(64,)))


def test_the_entry_point_splits_by_group_and_scales_on_the_rows_it_trains_on():
    X, y = separable(n=400)
    songs = np.repeat(np.arange(40), 10)
    trained = train(Task(X, y, songs, seed=2), RECIPE.replace(hidden=(8,), max_epochs=3), device="cpu")
    # 15 % of the 40 songs watched, whole; the rest trained on
    assert len(set(songs[trained.watch_rows])) == 6 and not set(songs[trained.watch_rows]) & set(songs[trained.fit_rows])
    assert sorted([*trained.fit_rows, *trained.watch_rows]) == list(range(400))
    np.testing.assert_allclose(trained.scaler.mean_, X[trained.fit_rows].mean(axis=0), rtol=1e-5)
    # the same task trained again: the same network; without patience, on the same rows; with nothing
    # held back, every row trains and is watched
    again = train(Task(X, y, songs, seed=2), RECIPE.replace(hidden=(8,), max_epochs=3), device="cpu")
    assert np.array_equal(trained.predict_proba(X), again.predict_proba(X))
    on = train(Task(X, y, songs, seed=2), RECIPE.replace(hidden=(8,), max_epochs=2, patience=None), device="cpu")
    assert np.array_equal(on.fit_rows, trained.fit_rows) and on.best_epoch == 2
    fixed = train(Task(X, y, songs), RECIPE.replace(hidden=(8,), max_epochs=2, patience=None, validation_fraction=0),
                  device="cpu")
    assert len(fixed.fit_rows) == len(fixed.watch_rows) == 400 and fixed.best_epoch == 2


def test_a_watched_set_replaces_the_validation_split():
    X, y = separable(n=300)
    trained = train(Task(X[:200], y[:200], watch=(X[200:], y[200:])), RECIPE.replace(hidden=(8,), max_epochs=4),
                    device="cpu")
    assert len(trained.fit_rows) == 200 and len(trained.watch_rows) == 0
    scaled = trained.scaler.transform(X[200:])
    loss, _ = loss_and_accuracy(trained.model, torch.as_tensor(scaled, dtype=torch.float32),
                                torch.as_tensor(y[200:], dtype=torch.float32))
    assert loss == pytest.approx(trained.history["val_loss"].min(), rel=1e-5)
