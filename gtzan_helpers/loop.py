"""The reference training loop of the study: :func:`fit`, one network, read top to bottom.

A ``DataLoader`` over the training rows, Adam, binary cross-entropy (cross-entropy for
more than two genres), and early stopping on the validation loss that restores the best
epoch's weights. :func:`gtzan_helpers.training.train` prepares its inputs (the validation
split, the scaler, the network); the stacked trainer of :mod:`.fast` computes the same
steps for many networks at once and shares the loss written here.
"""

from __future__ import annotations

import copy
import math
import os
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from .recipe import RECIPE, Recipe
from .scoring import decide


def choose_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` if given, else CUDA when available, else the CPU.

    The environment variable ``GTZAN_DEVICE`` overrides the automatic choice
    (the tests set it to ``cpu``).
    """
    if device is not None:
        return torch.device(device)
    forced = os.environ.get("GTZAN_DEVICE")
    if forced:
        return torch.device(forced)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def as_tensor(x, device=None, dtype=torch.float32) -> torch.Tensor:
    """Array-like (NumPy, pandas, tensor) → float32 tensor on ``device``."""
    if isinstance(x, (pd.DataFrame, pd.Series)):
        x = x.to_numpy()
    return torch.as_tensor(np.asarray(x), dtype=dtype, device=device)


@dataclass
class TrainResult:
    """What :func:`fit` returns.

    Attributes
    ----------
    model : torch.nn.Module
        The trained model, in eval mode, holding the best epoch's weights when
        early stopping restored them.
    history : pandas.DataFrame
        One row per epoch: ``epoch`` (from 1), ``train_loss``, ``train_accuracy``,
        ``val_loss``, ``val_accuracy``.
    best_epoch : int
        Epoch with the lowest validation loss (the one whose weights were kept).
    stopped_epoch : int
        Last epoch that ran.
    seconds : float
        Wall time of the training.
    """

    model: nn.Module
    history: pd.DataFrame
    best_epoch: int
    stopped_epoch: int
    seconds: float

    @property
    def best(self) -> pd.Series:
        """The history row of :attr:`best_epoch`."""
        return self.history.iloc[self.best_epoch - 1]


def cross_entropy_rows(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each row's cross-entropy: minus the log of the probability given to its label, the log
    clamped at -100 as ``nn.BCELoss`` clamps it. The one loss of both training loops.

    Parameters
    ----------
    p : torch.Tensor
        Of the shape of ``y``: the probability of label 1 (binary cross-entropy, as in the
        study); with one more axis, of size k: one probability per class.
    y : torch.Tensor
        Labels, 0/1 or 0 … k-1; leading axes (the stacked trainer's networks) pass through.

    Returns
    -------
    torch.Tensor
        The shape of ``y``: each row's loss, at most 100.
    """
    if p.dim() == y.dim():
        return -(y * torch.clamp(torch.log(p), min=-100) + (1 - y) * torch.clamp(torch.log1p(-p), min=-100))
    return -torch.clamp(torch.log(p.gather(-1, y.long()[..., None])[..., 0]), min=-100)


def loss_and_hits(p: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy and the number of right decisions of probabilities ``p`` for labels ``y``.

    ``p`` of shape (n, 1) is the probability of label 1; of shape (n, k), one probability
    per class. The loss is the mean of :func:`cross_entropy_rows`; for two classes it is
    computed by ``nn.functional.binary_cross_entropy`` (the study's ``nn.BCELoss``, whose
    gradient the plain loop's trajectories are made of; a test holds the two equal). The
    decisions are :func:`gtzan_helpers.scoring.decide`'s.
    """
    target = y.long()
    if p.shape[1] == 1:
        p = p.squeeze(1)
        return nn.functional.binary_cross_entropy(p, y), (decide(p) == target).sum()
    return cross_entropy_rows(p, y).mean(), (decide(p) == target).sum()


@torch.no_grad()
def loss_and_accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``X, y`` (see :func:`loss_and_hits`)."""
    model.eval()
    loss, hits = loss_and_hits(model(X), y)
    return loss.item(), (hits / len(y)).item()   # a float32 share, as torch's mean gives it


def _rng_devices(device: torch.device) -> list:
    """The CUDA devices whose random state training on ``device`` draws from."""
    if device.type != "cuda":
        return []
    return [device.index if device.index is not None else torch.cuda.current_device()]


def fit(model: nn.Module, X_train, y_train, X_val, y_val, *, recipe: Recipe = RECIPE,
        seed: int = 0, device=None, progress: str | None = None) -> TrainResult:
    """Train ``model`` with Adam and cross-entropy; stop early on the validation loss.

    The reference loop of :func:`train`, which prepares its inputs; call it directly only
    with a model and data of your own.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(n, d)`` features to probabilities, ``(n, 1)`` for two classes (binary
        cross-entropy, the study's recipe) or ``(n, k)`` for k classes (e.g.
        :class:`~gtzan_helpers.model.MLP`). It is moved to ``device`` (in place, as
        ``Module.to`` moves it) and trained there; :func:`~gtzan_helpers.training.train` gives
        it networks of its own.
    X_train, y_train : array-like, shapes (n, d) and (n,)
        Scaled training features and integer labels (0/1 for two classes).
    X_val, y_val : array-like
        Validation data, watched for early stopping and reported each epoch.
    recipe : Recipe
        ``batch_size`` (rows per optimizer step; the rows are reshuffled every epoch),
        ``lr`` and ``weight_decay`` (Adam's), ``max_epochs`` and ``patience`` (stop after
        this many epochs without a lower validation loss and restore the best epoch's
        weights; ``None`` trains all ``max_epochs`` and keeps the last).
    seed : int
        Seeds the data order and dropout, in generators of their own.
    device : str or torch.device, optional
        Defaults to :func:`choose_device`.
    progress : str, optional
        Show a bar of the epochs with this label on stderr, where stderr is a terminal.

    Returns
    -------
    TrainResult

    Raises
    ------
    FloatingPointError
        When the validation loss is not a number (a learning rate too high for the
        data, or features that are not finite).
    """
    if recipe.batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {recipe.batch_size}")
    if recipe.max_epochs < 1:
        raise ValueError(f"max_epochs must be positive, got {recipe.max_epochs}")
    device = choose_device(device)
    model = model.to(device)
    X_train, X_val = as_tensor(X_train, device), as_tensor(X_val, device)
    y_train, y_val = as_tensor(y_train, device), as_tensor(y_val, device)
    # dropout draws from the global generator of the device: seeded inside a fork, so that
    # the caller's random state is the same after training as before
    with torch.random.fork_rng(devices=_rng_devices(device)):
        torch.manual_seed(seed)
        loader = DataLoader(TensorDataset(X_train, y_train), batch_size=recipe.batch_size,
                            shuffle=True, generator=torch.Generator().manual_seed(seed))
        optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
        rows, best_epoch, start = _loop(model, loader, optimizer, X_val, y_val, recipe, progress)
    history = pd.DataFrame(rows, columns=["epoch", "train_loss", "train_accuracy",
                                          "val_loss", "val_accuracy"])
    return TrainResult(model.eval(), history, best_epoch, len(rows), time.perf_counter() - start)


def _diverged(which: str, epoch: int, recipe: Recipe) -> FloatingPointError:
    return FloatingPointError(f"the {which} loss is not a number at epoch {epoch} (learning rate {recipe.lr}): "
                              "training diverged, or the features are not all finite")


def _loop(model, loader, optimizer, X_val, y_val, recipe: Recipe, progress):
    """The epochs of :func:`fit`: their history rows, and the epoch whose weights the model keeps."""
    from tqdm.auto import tqdm  # the bar is drawn only where someone watches

    rows, best_loss, best_state, best_epoch, waited = [], math.inf, None, 0, 0
    n = len(loader.dataset)
    bar = tqdm(total=recipe.max_epochs, desc=progress, unit="epoch", file=sys.stderr,
               disable=progress is None or not sys.stderr.isatty())
    start = time.perf_counter()
    with bar:  # closed however training ends
        for epoch in range(1, recipe.max_epochs + 1):
            model.train()
            total_loss, total_correct = 0.0, 0.0
            for xb, yb in loader:
                optimizer.zero_grad()
                p = model(xb)
                try:
                    loss, hits = loss_and_hits(p, yb)
                except RuntimeError:  # nn.BCELoss refuses probabilities that are not numbers: say why
                    if torch.isfinite(p).all():
                        raise
                    raise _diverged("training", epoch, recipe) from None
                loss.backward()
                optimizer.step()
                total_loss += loss.item() * len(yb)
                total_correct += hits.item()
            val_loss, val_accuracy = loss_and_accuracy(model, X_val, y_val)
            if not math.isfinite(val_loss):
                raise _diverged("validation", epoch, recipe)
            rows.append((epoch, total_loss / n, total_correct / n, val_loss, val_accuracy))
            bar.update()
            bar.set_postfix(validation_loss=f"{val_loss:.3f}")
            if val_loss < best_loss:
                best_loss, best_epoch, waited = val_loss, epoch, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                waited += 1
                if recipe.patience is not None and waited >= recipe.patience:
                    break
    if recipe.patience is None:
        return rows, len(rows), start
    model.load_state_dict(best_state)
    return rows, best_epoch, start


@torch.no_grad()
def predict_proba(model: nn.Module, X, device=None) -> np.ndarray:
    """Probabilities for the rows of ``X`` as a NumPy array: of label 1 (metal), shape (n,),
    from a two-class model; of every class, shape (n, k), from a k-class one."""
    device = next(model.parameters()).device if device is None else device
    model.eval()
    p = model(as_tensor(X, device)).cpu().numpy()
    return p[:, 0] if p.shape[1] == 1 else p


