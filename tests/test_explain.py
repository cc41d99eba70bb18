"""SHAP explanations obey their defining identities."""

import copy

import numpy as np
import pytest
import torch

from gtzan_helpers.recipe import RECIPE

from gtzan_helpers.explain import explain, top_contributions
from gtzan_helpers.model import make_mlp
from gtzan_helpers.training import fit, predict_proba

from .conftest import separable


@pytest.fixture(scope="module")
def trained():
    X, y = separable(n=300, d=5)
    result = fit(make_mlp(5, (16, 16)), X[:200], y[:200], X[200:], y[200:], recipe=RECIPE.replace(max_epochs=20))
    return result.model, X


def test_additivity_and_base_value(trained):
    model, X = trained
    background, rows = X[:100], X[250:260]
    expl = explain(model, background, rows, feature_names=list("abcde"), background_size=100)
    p = predict_proba(model, rows)
    # f(x) = base value + sum of contributions
    assert np.allclose(expl.base_values + expl.values.sum(axis=1), p, atol=1e-4)
    # the base value is the mean output over the background, not the 0.5 threshold
    assert expl.base_values[0] == pytest.approx(predict_proba(model, background).mean(), abs=1e-5)
    assert expl.values.shape == (10, 5)


def test_informative_feature_dominates(trained):
    model, X = trained
    expl = explain(model, X[:100], X[200:300], feature_names=list("abcde"))
    importance = np.abs(expl.values).mean(axis=0)
    assert importance.argmax() == 0  # the label is mostly x0
    top = top_contributions(expl, row=0, k=3)
    assert list(top.columns) == ["feature", "value", "contribution"] and len(top) == 3
    assert top["contribution"].abs().is_monotonic_decreasing


def test_force_plot_shows_small_values_and_marks_the_probability_range(trained):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from gtzan_helpers.plots import plot_force

    model, X = trained
    expl = explain(model, X[:100], X[250:251], feature_names=list("abcde"), background_size=100)
    expl.data = np.array([[6.03e-4, 1234.56, -13.72, 0.0, 2.0]])
    fig = plot_force(expl)
    texts = [t.get_text() for t in fig.axes[0].texts]
    # a small value keeps three significant digits instead of rounding to 0.0
    assert "a = 0.000603" in texts   # x0 carries the label, so its label is always drawn
    assert not any(t.endswith("= 0.0") for t in texts)
    # both ends of the probability range are drawn
    edges = {round(float(line.get_xdata()[0]), 6) for line in fig.axes[0].lines
             if line.get_linestyle() == ":"}
    assert {0.0, 1.0} <= edges
    plt.close(fig)


def _state(model):
    return [(p, p.device, p.detach().clone()) for p in model.parameters()]


def _unchanged(model, before, training):
    assert model.training is training
    after = list(model.parameters())
    assert len(after) == len(before)
    for p, (q, device, values) in zip(after, before):
        assert p is q and p.device == device and torch.equal(p.detach(), values)
    assert not any(m._forward_hooks or m._backward_hooks for m in model.modules())


@pytest.mark.parametrize("training", [True, False])
def test_the_callers_model_is_left_as_it_was(trained, training):
    # the explained model is a copy: the caller's keeps its mode, parameters and device
    model, X = trained
    model.train(training)
    before = _state(model)
    explain(model, X[:50], X[250:252], feature_names=list("abcde"), background_size=50)
    _unchanged(model, before, training)
    model.eval()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_model_on_the_gpu_stays_there(trained):
    model, X = trained
    on_gpu = copy.deepcopy(model).cuda().train()
    before = _state(on_gpu)
    expl = explain(on_gpu, X[:50], X[250:252], feature_names=list("abcde"), background_size=50)
    _unchanged(on_gpu, before, True)
    assert all(p.is_cuda for p in on_gpu.parameters())
    assert np.allclose(expl.values, explain(model, X[:50], X[250:252], feature_names=list("abcde"),
                                            background_size=50).values, atol=1e-6)
