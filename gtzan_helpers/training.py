"""The one way a network is trained: :func:`train` with a :class:`~.recipe.Recipe`.

:func:`train` takes one or more :class:`Task` (rows, labels, the groups a validation
split keeps together, a seed), and for each one makes the validation split that early
stopping watches, fits the scaler on the rows the network trains on, builds the
network (:func:`~.model.make_mlp`) and trains it: with the readable reference loop of
:mod:`.loop` (:func:`~.loop.fit`: a ``DataLoader``, Adam, binary cross-entropy, or
cross-entropy for more than two genres, and early stopping that restores the best
epoch's weights), or,
for many networks at once, with the stacked trainer of :mod:`.fast` (``engine="stacked"``),
imported only then. Every caller (the hold-out, cross-validation, the candidates, the
estimator, the bundles) goes through :func:`train`, so the recipe's batch size reaches
the optimizer in one step: ``train(task, recipe)`` → ``fit(..., recipe)`` → ``DataLoader``.

Randomness is local: each network's weights, data order and dropout come from its
task's seed, in generators of its own; the caller's global random state is left as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from sklearn.preprocessing import StandardScaler
from torch import nn

from .loop import TrainResult, choose_device, fit, predict_proba
from .model import make_mlp
from .recipe import RECIPE, Recipe
from .splits import validation_split

__all__ = ["Task", "TrainResult", "Trained", "choose_device", "fit", "predict_proba", "scale", "train"]


def scale(train, *others) -> tuple[StandardScaler, list[np.ndarray]]:
    """Fit a ``StandardScaler`` on ``train`` only and apply it to ``train`` and ``others``."""
    scaler = StandardScaler().fit(train)
    return scaler, [scaler.transform(train), *(scaler.transform(o) for o in others)]


@dataclass(frozen=True)
class Task:
    """One network for :func:`train` to train: its rows, and what its early stopping watches.

    Attributes
    ----------
    X, y : array-like, shapes (n, d) and (n,)
        Features (unscaled: the scaler is fitted on the rows the network trains on) and
        integer labels, 0/1 for two classes.
    groups : array-like, shape (n,), optional
        What the validation split keeps together (tracks, artists); by default each row
        is its own group.
    watch : tuple (X, y), optional
        Rows early stopping watches instead of a validation split, and the network trains
        on every row of ``X`` (the study's recipe watches the rows it scores).
    seed : int
        The network's initial weights, data order and dropout.
    split_seed : int, optional
        The validation split's draw; by default ``seed``.
    """

    X: object
    y: object
    groups: object = None
    watch: tuple | None = None
    seed: int = 0
    split_seed: int | None = None


@dataclass
class Trained:
    """A network trained by :func:`train`, with the scaler of its inputs.

    Attributes
    ----------
    scaler : sklearn.preprocessing.StandardScaler
        Fitted on the rows the network trained on.
    fit_rows, watch_rows : numpy.ndarray of int
        Positions in the task's rows of those it trained on and of those early stopping
        watched (empty when the task gave ``watch``).
    best_epoch, stopped_epoch : int
        The epoch whose weights it holds, and the last that ran.
    history : pandas.DataFrame or None
        One row per epoch (:attr:`TrainResult.history`); None from the stacked engine.
    """

    scaler: StandardScaler
    fit_rows: np.ndarray
    watch_rows: np.ndarray
    best_epoch: int
    stopped_epoch: int
    history: pd.DataFrame | None
    network: object = field(repr=False)   # an nn.Module, or (stacked result, position, dropout)

    @property
    def model(self) -> nn.Module:
        """The network as an :class:`~gtzan_helpers.model.MLP` in eval mode."""
        if isinstance(self.network, nn.Module):
            return self.network
        many, position, dropout = self.network
        return many.to_module(position, dropout)

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities for unscaled rows ``X``, as :func:`predict_proba` gives them."""
        X = self.scaler.transform(X)
        if isinstance(self.network, nn.Module):
            return predict_proba(self.network, X)
        many, position, _ = self.network
        return many.predict_proba(X, network=position)


def _rows(X, rows):
    return X.iloc[rows] if isinstance(X, (pd.DataFrame, pd.Series)) else np.asarray(X)[rows]


def _prepare(task: Task, recipe: Recipe):
    """The split and the scaling before training, written once: rows, scaler and scaled data."""
    y = np.asarray(task.y)
    everything = np.arange(len(y))
    if task.watch is not None:      # the caller names what early stopping watches
        fit_rows, watch_rows = everything, np.array([], dtype=int)
        X_watch, y_watch = task.watch
    else:
        if recipe.validation_fraction == 0:     # nothing held back: train on every row, and watch it
            fit_rows = watch_rows = everything
        else:
            groups = everything if task.groups is None else np.asarray(task.groups)
            fit_rows, watch_rows = validation_split(y, groups, fraction=recipe.validation_fraction,
                                                    seed=task.seed if task.split_seed is None else task.split_seed)
        X_watch, y_watch = _rows(task.X, watch_rows), y[watch_rows]
    scaler, (X_fit, X_watch) = scale(_rows(task.X, fit_rows), X_watch)
    data = (X_fit, y[fit_rows].astype(np.float32), X_watch, np.asarray(y_watch).astype(np.float32))
    return scaler, fit_rows, watch_rows, data


def train(tasks, recipe: Recipe = RECIPE, *, n_classes: int = 2, engine: str = "plain", device=None,
          progress: str | None = None):
    """Train the network of ``recipe`` for each task: the one training entry point.

    For each :class:`Task`: its validation split (:func:`~gtzan_helpers.splits.validation_split`
    of its groups, ``recipe.validation_fraction`` of them; none where the task gives
    ``watch`` or the fraction is 0), a scaler fitted on the rows the network
    trains on, :func:`~gtzan_helpers.model.make_mlp` from the task's seed, and training.

    Parameters
    ----------
    tasks : Task or sequence of Task
    recipe : Recipe
        Every setting of the network and its training (:class:`~gtzan_helpers.recipe.Recipe`).
    n_classes : int
        Classes of the labels: two give the study's sigmoid network, more a softmax one.
    engine : {"plain", "stacked"}
        ``"plain"``: :func:`fit`, one network after another. ``"stacked"``: all of them
        together by :func:`gtzan_helpers.fast.fit_many` (several times faster for many
        small networks). Both follow the recipe and give statistically the same networks,
        not the same bits: their random streams for data order and dropout differ.
    device : str or torch.device, optional
        Defaults to :func:`choose_device`.
    progress : str, optional
        The plain engine shows a bar of the epochs with this label (where stderr is a terminal);
        the stacked engine shows none.

    Returns
    -------
    Trained or list of Trained
        One per task (one alone for a single task).

    Examples
    --------
    >>> import numpy as np
    >>> from gtzan_helpers.recipe import RECIPE
    >>> from gtzan_helpers.training import Task, train
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)
    >>> trained = train(Task(X, y, seed=0), RECIPE.replace(hidden=(8,), lr=0.01, max_epochs=50), device="cpu")
    >>> len(trained.fit_rows) + len(trained.watch_rows)   # 15 % of the rows watched
    200
    >>> bool((trained.predict_proba(X).round() == y).mean() > 0.9)
    True
    """
    single = isinstance(tasks, Task)
    tasks = [tasks] if single else list(tasks)
    prepared = [_prepare(task, recipe) for task in tasks]
    if engine == "plain":
        networks, epochs, histories = [], [], []
        for task, (_, _, _, data) in zip(tasks, prepared):
            model = make_mlp(data[0].shape[1], recipe.hidden, recipe.dropout, n_classes=n_classes, seed=task.seed)
            result = fit(model, *data, recipe=recipe, seed=task.seed, device=device, progress=progress)
            networks.append(result.model)
            epochs.append((result.best_epoch, result.stopped_epoch))
            histories.append(result.history)
    elif engine == "stacked":
        from .fast.stacked import fit_many  # the accelerator, loaded only when asked for

        many = fit_many(*zip(*(data for *_, data in prepared)), seeds=[task.seed for task in tasks],
                        recipe=recipe, device=device, n_classes=n_classes)
        # without early stopping no loss is watched: the weights say whether training diverged
        if not all(bool(torch.isfinite(w).all()) for w in (*many.weights, *many.biases)):
            raise FloatingPointError(f"the weights are not numbers after training (learning rate {recipe.lr}): "
                                     "training diverged, or the features are not all finite")
        networks = [(many, i, recipe.dropout) for i in range(len(tasks))]
        epochs = list(zip(many.best_epochs.tolist(), many.stopped_epochs.tolist()))
        histories = [None] * len(tasks)
    else:
        raise ValueError(f"engine must be 'plain' or 'stacked', got {engine!r}")
    trained = [Trained(scaler, fit_rows, watch_rows, best, stopped, history, network)
               for (scaler, fit_rows, watch_rows, _), network, (best, stopped), history
               in zip(prepared, networks, epochs, histories)]
    return trained[0] if single else trained
