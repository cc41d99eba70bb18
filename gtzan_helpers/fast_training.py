"""Training many small MLPs at once: the fast path behind the notebooks' sweeps.

The network is tiny (57→128→128→128→1) and its data fit in cache, so the plain
loop of :mod:`gtzan_helpers.training` spends its time on overhead: a DataLoader
building batches row by row, autograd and the optimizer dispatching dozens of small
operations per step, one fold after another. Here the ``N`` networks of a
cross-validation run (its folds, repeats or ensemble members) are trained
**together**: their weights are stacked, every step is a handful of batched matrix
products with a hand-written backward pass, and one vectorised Adam update moves all
of them. Each network keeps its own data, data order, dropout masks (drawn from its
own generator), early-stopping state and best weights, so training it alone or among
others gives the same result.

The recipe is the study's: Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8), binary
cross-entropy on a sigmoid output, dropout after each hidden ReLU, reshuffled
mini-batches (the last one of an epoch may be smaller), early stopping on the
validation loss that restores the best epoch's weights.
Used by :func:`gtzan_helpers.evaluation.cross_validate`, the honest candidates and
``benchmarks/bench_training.py``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .training import choose_device

@dataclass
class ManyResult:
    """What :func:`fit_many` returns for ``N`` networks.

    Attributes
    ----------
    weights, biases : list of torch.Tensor
        Best-epoch parameters, layer by layer: ``weights[k]`` of shape (N, in, out),
        ``biases[k]`` of shape (N, 1, out).
    histories : list of pandas.DataFrame
        Per network, one row per epoch it ran, with the columns of
        :class:`gtzan_helpers.training.TrainResult.history`.
    best_epochs, stopped_epochs : numpy.ndarray of int, shape (N,)
    seconds : float
        Wall time of the whole run.
    """

    weights: list
    biases: list
    histories: list
    best_epochs: np.ndarray
    stopped_epochs: np.ndarray
    seconds: float

    def predict_proba(self, X, network: int | None = None) -> np.ndarray:
        """Probability of label 1 for scaled rows ``X`` (n, d): shape (N, n), or (n,) for one network."""
        device = self.weights[0].device
        h = torch.as_tensor(np.asarray(X), dtype=torch.float32, device=device)
        picks = range(len(self.best_epochs)) if network is None else [network]
        W = [w[list(picks)] for w in self.weights]
        b = [c[list(picks)] for c in self.biases]
        h = h.expand(len(picks), *h.shape)
        with torch.no_grad():
            for k in range(len(W)):
                h = torch.baddbmm(b[k], h, W[k])
                if k < len(W) - 1:
                    h = torch.relu(h)
        p = torch.sigmoid(h[..., 0]).cpu().numpy()
        return p[0] if network is not None else p

    def to_module(self, network: int, dropout: float = 0.2):
        """Network ``network`` as an :class:`~gtzan_helpers.model.MLP` (eval mode, CPU)."""
        from .model import MLP

        hidden = [w.shape[2] for w in self.weights[:-1]]
        model = MLP(self.weights[0].shape[1], hidden, dropout)
        linears = [m for m in model.net if isinstance(m, torch.nn.Linear)]
        with torch.no_grad():
            for layer, w, b in zip(linears, self.weights, self.biases):
                layer.weight.copy_(w[network].T.cpu())
                layer.bias.copy_(b[network, 0].cpu())
        return model.eval()


def _stack(arrays, device, dtype=torch.float32):
    """Pad a list of (n_i, ...) arrays to (N, max n_i, ...) plus a (N, max n_i) validity mask."""
    n_max = max(len(a) for a in arrays)
    first = np.asarray(arrays[0])
    out = np.zeros((len(arrays), n_max, *first.shape[1:]), dtype=np.float32)
    valid = np.zeros((len(arrays), n_max), dtype=bool)
    for i, a in enumerate(arrays):
        out[i, : len(a)] = a
        valid[i, : len(a)] = True
    return (torch.as_tensor(out, dtype=dtype, device=device),
            torch.as_tensor(valid, device=device))


def _init_parameters(n_features, hidden, seeds, device):
    """PyTorch's default ``nn.Linear`` initialisation, per network, from its own seed."""
    from .model import make_mlp

    weights, biases = [], []
    modules = [make_mlp(n_features, hidden, seed=s) for s in seeds]
    linears = [[m for m in mod.net if isinstance(m, torch.nn.Linear)] for mod in modules]
    for k in range(len(hidden) + 1):
        weights.append(torch.stack([ls[k].weight.detach().T for ls in linears]).to(device).contiguous())
        biases.append(torch.stack([ls[k].bias.detach()[None] for ls in linears]).to(device).contiguous())
    return weights, biases


def _bce(p, y, valid, count):
    # nn.BCELoss: mean of -(y log p + (1-y) log(1-p)), each log clamped at -100
    logs = y * torch.clamp(torch.log(p), min=-100) + (1 - y) * torch.clamp(torch.log1p(-p), min=-100)
    return -(logs * valid).sum(dim=1) / count


def fit_many(X_train: Sequence, y_train: Sequence, X_val: Sequence, y_val: Sequence, *,
             seeds: Sequence[int], hidden: Sequence[int] = (128, 128, 128), dropout: float = 0.2,
             batch_size: int = 128, lr: float = 1e-3, weight_decay: float = 0.0,
             max_epochs: int = 100, patience: int | None = 3, device=None) -> ManyResult:
    """Train ``N = len(seeds)`` independent MLPs together, each on its own data.

    Parameters
    ----------
    X_train, y_train, X_val, y_val : sequences of length N
        Scaled features (n_i, d) and 0/1 labels (n_i,) of each network; sizes may differ.
    seeds : sequence of int
        Network ``i`` starts from :func:`~gtzan_helpers.model.make_mlp` with ``seeds[i]``
        and draws its data order and dropout masks from that seed too.
    hidden, dropout, batch_size, lr, weight_decay, max_epochs, patience
        As in :func:`gtzan_helpers.training.fit`.
    device : str or torch.device, optional
        Defaults to :func:`~gtzan_helpers.training.choose_device`.

    Returns
    -------
    ManyResult
    """
    start = time.perf_counter()
    device = choose_device(device)
    N = len(seeds)
    if not (len(X_train) == len(y_train) == len(X_val) == len(y_val) == N) or N == 0:
        raise ValueError("fit_many needs one training and one validation set per seed")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    Xt, _ = _stack(X_train, device)
    yt, _ = _stack(y_train, device)
    Xv, vv = _stack(X_val, device)
    yv, _ = _stack(y_val, device)
    vv = vv.float()
    sizes = [len(y) for y in y_train]
    n_train = torch.as_tensor(sizes, device=device, dtype=torch.float32)
    n_val = vv.sum(dim=1)
    W0, b0 = _init_parameters(Xt.shape[2], hidden, seeds, device)
    n_layers = len(W0)
    # all parameters of a network in one row of a flat (N, P) buffer: Adam is then a few ops
    shapes = [w.shape[1:] for w in W0] + [c.shape[1:] for c in b0]
    flat = torch.cat([t.reshape(N, -1) for t in (*W0, *b0)], dim=1).contiguous()
    offsets = np.cumsum([0] + [int(np.prod(sh)) for sh in shapes])
    views = [flat[:, offsets[i]:offsets[i + 1]].view(N, *shapes[i]) for i in range(len(shapes))]
    W, b = views[:n_layers], views[n_layers:]
    m1, m2 = torch.zeros_like(flat), torch.zeros_like(flat)
    steps_done = np.zeros(N, dtype=np.int64)  # Adam steps taken by each network
    best = flat.clone()  # every network's best weights, indexed by its original position
    best_loss = torch.full((N,), float("inf"), device=device)
    best_epoch = np.zeros(N, dtype=int)
    stopped = np.full(N, max_epochs)
    waited = np.zeros(N, dtype=int)
    running = np.arange(N)  # original positions of the networks still in the stack
    # NumPy's PCG64, one generator per network: several times cheaper than torch.rand here
    generators = [np.random.default_rng(int(s)) for s in seeds]
    keep = 1.0 - dropout
    threshold = int(round(keep * 65536))  # keep a unit when a uniform 16-bit draw is below
    widths = list(hidden)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    histories = [[] for _ in range(N)]
    n_max = Xt.shape[1]

    for epoch in range(1, max_epochs + 1):
        N = len(running)
        rows = torch.arange(N, device=device)[:, None]
        left = np.array([sizes[net] for net in running])
        # each network draws its own row order and dropout randoms from its own generator,
        # so its training does not depend on the other networks in the stack
        order = np.zeros((N, n_max), dtype=np.int64)
        gates = np.ones((N, n_max, sum(widths)), dtype=np.float32) if dropout > 0 else None
        for i, net in enumerate(running):
            g, size = generators[net], sizes[net]
            order[i, :size] = g.permutation(size)
            if dropout > 0:
                kept = g.integers(0, 65536, (size, sum(widths)), dtype=np.uint16) < threshold
                gates[i, :size] = kept * np.float32(1 / keep)  # inverted dropout's scaling
        # the epoch's rows in each network's order: every batch is then a plain slice
        order_t = torch.from_numpy(order).to(device)
        Xe, ye = Xt[rows, order_t], yt[rows, order_t]
        gates = torch.from_numpy(gates).to(device) if dropout > 0 else None
        loss_sum = torch.zeros(N, device=device)
        correct = torch.zeros(N, device=device)
        for first in range(0, n_max, batch_size):
            counts = np.clip(left - first, 0, batch_size)  # rows of this batch, per network
            B = int(counts.max())
            x, y = Xe[:, first:first + B], ye[:, first:first + B]
            if (counts == B).all():
                weight = torch.full((N, 1), 1.0 / B, device=device)
                valid = None
            else:
                valid_np = (np.arange(B)[None, :] < counts[:, None]).astype(np.float32)
                valid = torch.from_numpy(valid_np).to(device)
                weight = valid / torch.from_numpy(np.maximum(counts, 1)[:, None].astype(np.float32)).to(device)
            # forward; `slopes` = ReLU derivative × dropout gate, reused by the backward pass
            acts, slopes, h, unit = [x], [], x, 0
            for k in range(n_layers):
                z = torch.baddbmm(b[k], h, W[k])
                if k < n_layers - 1:
                    slope = z > 0
                    if gates is not None:
                        slope = slope * gates[:, first:first + B, unit:unit + widths[k]]
                        unit += widths[k]
                    else:
                        slope = slope.float()
                    h = z * slope
                    slopes.append(slope)
                    acts.append(h)
            logit = z[..., 0]
            # the epoch's training loss and accuracy, as the plain loop reports them
            per_row = torch.nn.functional.binary_cross_entropy_with_logits(logit, y, reduction="none")
            hits = ((logit >= 0) == (y > 0.5)).float()
            if valid is not None:
                per_row, hits = per_row * valid, hits * valid
            loss_sum += per_row.sum(dim=1)
            correct += hits.sum(dim=1)
            # backward: d(mean BCE)/d(logit) = (p - y) / rows in the batch
            g = ((torch.sigmoid(logit) - y) * weight)[..., None]
            grads = [None] * (2 * n_layers)
            for k in range(n_layers - 1, -1, -1):
                grads[k] = torch.bmm(acts[k].transpose(1, 2), g).reshape(N, -1)
                grads[n_layers + k] = g.sum(dim=1)
                if k > 0:
                    g = torch.bmm(g, W[k].transpose(1, 2)) * slopes[k - 1]
            grad = torch.cat(grads, dim=1)
            if weight_decay:
                grad = grad + weight_decay * flat
            # torch.optim.Adam's update, per network (each has its own step count); a network
            # with no rows left in this step sits it out. One code path whatever the mix of
            # networks, so that a network trains the same alone or in company.
            live = counts > 0
            steps_done += live
            t = np.maximum(steps_done, 1)
            columns = np.stack([live * (1 - beta1), live * (1 - beta2), np.sqrt(1 - beta2 ** t),
                                live * lr / (1 - beta1 ** t)], axis=1).astype(np.float32)
            w1, w2, root_bias2, step_size = torch.from_numpy(columns).to(device).T[..., None]
            m1.lerp_(grad, w1)
            m2.lerp_(grad * grad, w2)
            denom = m2.sqrt().div_(root_bias2).add_(eps)
            flat.sub_(m1.div(denom).mul_(step_size))
        # validation of every network at once, without dropout
        with torch.no_grad():
            h = Xv
            for k in range(n_layers):
                h = torch.baddbmm(b[k], h, W[k])
                if k < n_layers - 1:
                    h = torch.relu(h)
            pv = torch.sigmoid(h[..., 0])
            val_loss = _bce(pv, yv, vv, n_val)
            val_acc = (((pv >= 0.5) == (yv >= 0.5)).float() * vv).sum(dim=1) / n_val
        train_loss = (loss_sum / n_train).cpu().numpy()
        train_acc = (correct / n_train).cpu().numpy()
        vl, va = val_loss.cpu().numpy(), val_acc.cpu().numpy()
        for i, net in enumerate(running):
            histories[net].append((epoch, train_loss[i], train_acc[i], vl[i], va[i]))
        improved = val_loss < best_loss[running]
        imp = improved.cpu().numpy()
        if imp.any():
            at = torch.as_tensor(running[imp], device=device)
            best[at] = flat[improved]
            best_loss[at] = val_loss[improved]
        best_epoch[running[imp]] = epoch
        waited[running[~imp]] += 1
        waited[running[imp]] = 0
        if patience is None:
            continue
        done = waited[running] >= patience
        stopped[running[done]] = epoch
        if done.all():
            break
        if done.any():
            # drop finished networks from the stack so that no step is spent on them
            stay = torch.as_tensor(np.flatnonzero(~done), device=device)
            running = running[~done]
            Xt, yt, Xv, yv, vv = Xt[stay], yt[stay], Xv[stay], yv[stay], vv[stay]
            n_train, n_val = n_train[stay], n_val[stay]
            steps_done = steps_done[~done]
            flat, m1, m2 = flat[stay].contiguous(), m1[stay], m2[stay]
            n_left = len(running)
            views = [flat[:, offsets[i]:offsets[i + 1]].view(n_left, *shapes[i])
                     for i in range(len(shapes))]
            W, b = views[:n_layers], views[n_layers:]
            n_max = max(sizes[net] for net in running)
            Xt, yt = Xt[:, :n_max], yt[:, :n_max]
    if patience is None:
        best = flat
        best_epoch[:] = stopped
    N = len(seeds)
    final = [best[:, offsets[i]:offsets[i + 1]].reshape(N, *shapes[i]).contiguous()
             for i in range(len(shapes))]
    columns = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"]
    return ManyResult(final[:n_layers], final[n_layers:],
                      [pd.DataFrame(h, columns=columns) for h in histories],
                      best_epoch, stopped, time.perf_counter() - start)
