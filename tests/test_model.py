"""The MLP's architecture."""

import pytest
import torch
from torch import nn

from gtzan_helpers.model import count_parameters, make_mlp, MLP


def test_study_architecture_and_output_range():
    model = MLP(57)
    kinds = [type(m) for m in model.net]
    assert kinds == [nn.Linear, nn.ReLU, nn.Dropout] * 3 + [nn.Linear, nn.Sigmoid]
    assert [m.out_features for m in model.net if isinstance(m, nn.Linear)] == [128, 128, 128, 1]
    assert all(m.p == 0.2 for m in model.net if isinstance(m, nn.Dropout))
    assert count_parameters(model) == 57 * 128 + 128 + 2 * (128 * 128 + 128) + 129
    out = model.eval()(torch.randn(9, 57) * 10)
    assert out.shape == (9, 1) and ((out > 0) & (out < 1)).all()


def test_each_activation_is_its_own_module():
    # SHAP's DeepExplainer attributes through modules, so no activation may be shared.
    model = MLP(10, hidden=(8, 4))
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert len(relus) == 2 and len({id(m) for m in relus}) == 2


def test_configurable_widths_and_seeded_init():
    model = make_mlp(5, (64, 128, 128), seed=3)
    assert model.net[0].out_features == 64
    torch.rand(100)   # the global stream's state does not matter: the seed alone decides
    again = make_mlp(5, (64, 128, 128), seed=3)
    assert torch.equal(model.net[0].weight, again.net[0].weight)
    assert not torch.equal(model.net[0].weight, make_mlp(5, (64, 128, 128), seed=4).net[0].weight)


def test_no_hidden_layer_is_a_logistic_regression():
    model = MLP(3, (), n_classes=4)
    assert [type(m).__name__ for m in model.net] == ["Linear", "Softmax"]


@pytest.mark.parametrize("kwargs", [dict(n_features=0), dict(n_features=3, hidden=(0,)),
                                    dict(n_features=3, dropout=1.0)])
def test_bad_sizes_are_refused(kwargs):
    with pytest.raises(ValueError):
        MLP(**kwargs)
