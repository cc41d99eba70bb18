"""The training loop: it learns, stops early, restores the best epoch, and is repeatable."""

import numpy as np
import pytest
import torch

from gtzan_helpers.model import make_mlp
from gtzan_helpers.training import choose_device, evaluate, fit, predict_proba, seed_everything

from .conftest import separable


def test_learns_a_separable_problem():
    X, y = separable()
    result = fit(make_mlp(6, (16, 16)), X[:300], y[:300], X[300:], y[300:], patience=None,
                 max_epochs=40, batch_size=32)
    assert result.history["val_accuracy"].iloc[-1] >= 0.95
    assert result.history["train_loss"].iloc[-1] < result.history["train_loss"].iloc[0]
    assert list(result.history.columns) == ["epoch", "train_loss", "train_accuracy",
                                            "val_loss", "val_accuracy"]


def test_early_stopping_stops_and_restores_the_best_epoch():
    # Validation labels are noise: the validation loss soon rises while training fits.
    X, y = separable(n=600)
    y_val = np.random.default_rng(1).integers(0, 2, 200).astype(np.float32)
    result = fit(make_mlp(6, (64, 64), dropout=0.0), X[:400], y[:400], X[400:], y_val,
                 patience=3, max_epochs=100)
    history = result.history
    assert result.stopped_epoch < 100
    assert result.stopped_epoch == result.best_epoch + 3
    assert result.best_epoch == history["val_loss"].idxmin() + 1
    loss, _ = evaluate(result.model, torch.as_tensor(X[400:]), torch.as_tensor(y_val))
    assert loss == pytest.approx(history["val_loss"].min(), rel=1e-5)
    assert not result.model.training


def test_same_seed_same_numbers():
    X, y = separable()
    runs = [fit(make_mlp(6, (16,), seed=7), X[:300], y[:300], X[300:], y[300:], seed=7,
                max_epochs=5, patience=None) for _ in range(2)]
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
        fit(make_mlp(6, (4,)), X, y, X, y, batch_size=0)


def test_the_seed_decides_data_order_and_dropout():
    X, y = separable(n=200)
    runs = [fit(make_mlp(6, (8,), seed=0), X[:150], y[:150], X[150:], y[150:], max_epochs=2,
                patience=None, seed=seed).history for seed in (7, 7, 8)]
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

    from gtzan_helpers.training import cross_entropy_rows, loss_and_hits

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
