"""The study's training recipe in one object: every default of the package comes from here.

The study trains a 3×128 MLP (ReLU, dropout 0.2, sigmoid output) with Adam at a
learning rate of 1e-3 on binary cross-entropy, in batches of 128, with early stopping
after 3 epochs without a lower validation loss, and scores a 70:30 split and 5-fold
cross-validation. A label is chosen from probabilities at the 0.5 threshold.

Functions take these values as keyword defaults (``hidden=RECIPE.hidden``), so a
reader finds each number once; a variant is ``RECIPE.replace(batch_size=64)``, and a
bundle records :meth:`Recipe.to_dict` of the recipe it trained with.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Recipe:
    """Hyperparameters of the study's network and of its evaluation.

    Attributes
    ----------
    hidden : tuple of int
        Widths of the hidden layers.
    dropout : float
        Dropout probability after each hidden layer.
    lr : float
        Adam's learning rate.
    weight_decay : float
        Adam's L2 penalty (none in the study).
    batch_size : int
        Rows per optimizer step.
    max_epochs : int
        Upper bound on epochs.
    patience : int or None
        Epochs without a lower validation loss before training stops and the best
        epoch's weights are restored; ``None`` trains ``max_epochs`` epochs.
    validation_fraction : float
        Share of the training groups (tracks, or the protocol's groups) held back for
        early stopping to watch when no scored data may be watched
        (:func:`.splits.validation_split`); they are held back with ``patience=None`` too, so
        that training on with no stopping sees the same rows. 0 trains on every row.
    test_size : float
        Share held out by the study's single split (70:30).
    n_splits : int
        Folds of the study's cross-validation.
    threshold : float
        Two classes: label 1 (metal) where its probability is at least this.
    """

    hidden: tuple[int, ...] = (128, 128, 128)
    dropout: float = 0.2
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 128
    max_epochs: int = 100
    patience: int | None = 3
    validation_fraction: float = 0.15
    test_size: float = 0.3
    n_splits: int = 5
    threshold: float = 0.5

    def __post_init__(self):
        # a list of widths would make the recipe unhashable (runs of one recipe are grouped by it)
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))

    def replace(self, **changes) -> "Recipe":
        """A copy with some values changed, e.g. ``RECIPE.replace(batch_size=64)``.

        Examples
        --------
        >>> from gtzan_helpers.recipe import RECIPE
        >>> small = RECIPE.replace(batch_size=64)
        >>> small.batch_size, RECIPE.batch_size  # the study's recipe is left as it is
        (64, 128)
        """
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """The values as plain JSON types (tuples as lists).

        Examples
        --------
        >>> from gtzan_helpers.recipe import RECIPE
        >>> values = RECIPE.to_dict()
        >>> values["hidden"], values["lr"], values["patience"]
        ([128, 128, 128], 0.001, 3)
        """
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}


RECIPE = Recipe()
"""The study's recipe."""
