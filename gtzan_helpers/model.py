"""The study's multilayer perceptron: the one definition of its layers (notebooks 02–06)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .recipe import RECIPE


class MLP(nn.Module):
    """Feed-forward classifier: ``[Linear → ReLU → Dropout] × k → Linear → Sigmoid`` for two
    classes (the study's network), ``… → Linear → Softmax`` for more.

    Every activation is its own module (not a functional call in ``forward``), which is
    what SHAP's ``DeepExplainer`` needs to attribute through the network.

    Parameters
    ----------
    n_features : int
        Width of the input, taken from the data (57 for the shipped table).
    hidden : sequence of int
        Widths of the hidden layers (the recipe's by default); none gives a linear model,
        ``Linear → Sigmoid`` or ``Linear → Softmax``: a logistic regression.
    dropout : float
        Dropout probability after each hidden layer.
    n_classes : int
        Number of classes; two give one sigmoid output.

    Notes
    -----
    ``forward`` maps a float tensor of shape ``(n, n_features)`` to probabilities:
    of label 1 (metal), shape ``(n, 1)``, for two classes; of every class, shape
    ``(n, n_classes)``, for more. Used by notebooks 02–06 and the CLI.
    """

    def __init__(self, n_features: int, hidden: Sequence[int] = RECIPE.hidden,
                 dropout: float = RECIPE.dropout, n_classes: int = 2):
        super().__init__()
        if n_features < 1 or any(h < 1 for h in hidden):
            raise ValueError(f"MLP needs positive sizes, got n_features={n_features}, hidden={hidden}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if n_classes < 2:
            raise ValueError(f"MLP needs two classes or more, got n_classes={n_classes}")
        self.n_classes = int(n_classes)
        self.n_features = int(n_features)
        self.hidden = tuple(int(h) for h in hidden)
        self.dropout = float(dropout)
        layers: list[nn.Module] = []
        width = self.n_features
        for h in self.hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        if self.n_classes == 2:
            layers += [nn.Linear(width, 1), nn.Sigmoid()]
        else:
            layers += [nn.Linear(width, self.n_classes), nn.Softmax(dim=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)

    def extra_repr(self) -> str:
        return (f"n_features={self.n_features}, hidden={self.hidden}, dropout={self.dropout}, "
                f"n_classes={self.n_classes}")


def make_mlp(n_features: int, hidden: Sequence[int] = RECIPE.hidden, dropout: float = RECIPE.dropout,
             *, n_classes: int = 2, seed: int = 0) -> MLP:
    """An :class:`MLP` whose initial weights depend only on ``seed``.

    PyTorch's layers draw their initial weights from the global generator, so it is seeded
    inside a fork of it: the caller's random state is the same afterwards.

    Examples
    --------
    >>> import torch
    >>> from gtzan_helpers.model import count_parameters, make_mlp
    >>> a, b = make_mlp(57, seed=1), make_mlp(57, seed=1)
    >>> torch.equal(a.net[0].weight, b.net[0].weight)
    True
    >>> count_parameters(a)   # (57 + 1) × 128 + 2 × (128 + 1) × 128 + 129
    40577
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MLP(n_features, hidden, dropout, n_classes)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable weights and biases in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
