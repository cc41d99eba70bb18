"""Seeding, device choice, input scaling and the reference training loop with early stopping.

The loop here is the readable reference recipe of the study (:data:`.recipe.RECIPE`):
a ``DataLoader`` over the training rows, Adam, binary cross-entropy (cross-entropy for
more than two genres), and early stopping on the validation loss that restores the
best epoch's weights. Used by notebooks 02–06, the CLI, the bundles and the estimator;
:mod:`.fast` trains many such networks at once.
"""

from __future__ import annotations

import copy
import os
import random
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

from .recipe import RECIPE
from .scoring import decide


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch and return a seeded generator for data order.

    Parameters
    ----------
    seed : int
        Any non-negative integer.

    Returns
    -------
    torch.Generator
        CPU generator seeded with ``seed``, for shuffling batches.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


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


def scale(train, *others) -> tuple[StandardScaler, list[np.ndarray]]:
    """Fit a ``StandardScaler`` on ``train`` only and apply it to ``train`` and ``others``."""
    scaler = StandardScaler().fit(train)
    return scaler, [scaler.transform(train), *(scaler.transform(o) for o in others)]


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
def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``X, y`` (see :func:`loss_and_hits`)."""
    model.eval()
    loss, hits = loss_and_hits(model(X), y)
    return loss.item(), (hits / len(y)).item()   # a float32 share, as torch's mean gives it


def fit(model: nn.Module, X_train, y_train, X_val, y_val, *, batch_size: int = RECIPE.batch_size,
        lr: float = RECIPE.lr, weight_decay: float = RECIPE.weight_decay,
        max_epochs: int = RECIPE.max_epochs, patience: int | None = RECIPE.patience,
        seed: int = 0, device=None, progress: str | None = None) -> TrainResult:
    """Train ``model`` with Adam and cross-entropy; stop early on the validation loss.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(n, d)`` features to probabilities, ``(n, 1)`` for two classes (binary
        cross-entropy, the study's recipe) or ``(n, k)`` for k classes (e.g.
        :class:`~gtzan_helpers.model.MLP`).
    X_train, y_train : array-like, shapes (n, d) and (n,)
        Scaled training features and integer labels (0/1 for two classes).
    X_val, y_val : array-like
        Validation data, watched for early stopping and reported each epoch.
    batch_size : int
        Rows per optimizer step; the training rows are reshuffled every epoch.
    lr : float
        Adam learning rate.
    weight_decay : float
        L2 penalty of Adam (0 in the study).
    max_epochs : int
        Upper bound on epochs.
    patience : int or None
        Stop after this many epochs without a lower validation loss and restore the
        best epoch's weights; ``None`` trains all ``max_epochs`` and keeps the last.
    seed : int
        Seeds the data order and dropout.
    device : str or torch.device, optional
        Defaults to :func:`choose_device`.
    progress : str, optional
        Show a bar of the epochs with this label on stderr, where stderr is a terminal.

    Returns
    -------
    TrainResult
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if max_epochs < 1:
        raise ValueError(f"max_epochs must be positive, got {max_epochs}")
    device = choose_device(device)
    generator = seed_everything(seed)
    model = model.to(device)
    X_train, X_val = as_tensor(X_train, device), as_tensor(X_val, device)
    y_train, y_val = as_tensor(y_train, device), as_tensor(y_val, device)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size,
                        shuffle=True, generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)

    rows, best_loss, best_state, best_epoch, waited = [], np.inf, None, 0, 0
    from tqdm.auto import tqdm  # the bar is drawn only where someone watches

    bar = tqdm(total=max_epochs, desc=progress, unit="epoch", file=sys.stderr,
               disable=progress is None or not sys.stderr.isatty())
    start = time.perf_counter()
    for epoch in range(1, max_epochs + 1):
        model.train()
        total_loss, total_correct = 0.0, 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss, hits = loss_and_hits(model(xb), yb)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(yb)
            total_correct += hits.item()
        val_loss, val_accuracy = evaluate(model, X_val, y_val)
        rows.append((epoch, total_loss / len(y_train), total_correct / len(y_train),
                     val_loss, val_accuracy))
        bar.update()
        bar.set_postfix(validation_loss=f"{val_loss:.3f}")
        if val_loss < best_loss:
            best_loss, best_epoch, waited = val_loss, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if patience is not None and waited >= patience:
                break
    bar.close()
    if patience is not None:
        model.load_state_dict(best_state)
    else:
        best_epoch = epoch
    model.eval()
    history = pd.DataFrame(rows, columns=["epoch", "train_loss", "train_accuracy",
                                          "val_loss", "val_accuracy"])
    return TrainResult(model, history, best_epoch, epoch, time.perf_counter() - start)


@torch.no_grad()
def predict_proba(model: nn.Module, X, device=None) -> np.ndarray:
    """Probabilities for the rows of ``X`` as a NumPy array: of label 1 (metal), shape (n,),
    from a two-class model; of every class, shape (n, k), from a k-class one."""
    device = next(model.parameters()).device if device is None else device
    model.eval()
    p = model(as_tensor(X, device)).cpu().numpy()
    return p[:, 0] if p.shape[1] == 1 else p
