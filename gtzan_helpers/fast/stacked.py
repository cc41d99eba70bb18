"""Training many small MLPs at once: the fast path behind the notebooks' sweeps.

The network is tiny (57→128→128→128→1) and its data fit in cache, so the plain
loop of :mod:`gtzan_helpers.loop` spends its time on overhead: a DataLoader
building batches row by row, autograd and the optimizer dispatching dozens of small
operations per step, one fold after another. Here the ``N`` networks of a
cross-validation run (its folds, repeats or ensemble members) are trained
**together**: their weights are stacked, every step is a handful of batched matrix
products with a hand-written backward pass, and one fused Adam update moves all of
them; the steps use four private PyTorch calls, each with a public fallback that a
test holds equal to it (:mod:`._torch_private`). Everything is float32 unless a
caller asks for bfloat16 matrix products (``precision="bfloat16"``, never used for the
report's numbers). Each network keeps its own data, data order, dropout masks (drawn
from its own generator), early-stopping state and best weights, so training it alone
or among others gives the same result. :class:`~gtzan_helpers.model.MLP` is the
oracle: a test checks the stacked forward pass and three hand-written steps against
autograd and ``torch.optim.Adam`` on it.

The recipe is the study's: Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8), binary
cross-entropy on a sigmoid output (for more than two classes, cross-entropy on a
softmax output), dropout after each hidden ReLU, reshuffled
mini-batches (the last one of an epoch may be smaller), early stopping on the
validation loss that restores the best epoch's weights.
Used by :func:`gtzan_helpers.training.train` (``engine="stacked"``), and so by cross-validation, the candidates and
``benchmarks/bench_training.py``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..model import MLP, make_mlp
from ..recipe import RECIPE, Recipe
from ..scoring import decide
from ..loop import choose_device, cross_entropy_rows
from ._torch_private import foreach_add_, foreach_copy_, fused_adam_, threshold_backward


@dataclass
class ManyResult:
    """What :func:`fit_many` returns for ``N`` networks.

    Attributes
    ----------
    weights, biases : list of torch.Tensor
        Best-epoch parameters, layer by layer: ``weights[k]`` of shape (N, in, out),
        ``biases[k]`` of shape (N, 1, out).
    histories : list of pandas.DataFrame or None
        Per network, one row per epoch it ran, with the columns of
        :class:`gtzan_helpers.loop.TrainResult.history`; ``None`` unless asked for
        (``fit_many(..., history=True)``).
    best_epochs, stopped_epochs : numpy.ndarray of int, shape (N,)
    seconds : float
        Wall time of the whole run.
    """

    weights: list
    biases: list
    histories: list | None
    best_epochs: np.ndarray
    stopped_epochs: np.ndarray
    seconds: float

    def predict_proba(self, X, network: int | None = None) -> np.ndarray:
        """Probability of label 1 for scaled rows ``X`` (n, d): shape (N, n), or (n,) for one
        network; with more than two classes, of every class: (N, n, k), or (n, k)."""
        h = torch.as_tensor(np.asarray(X), dtype=torch.float32, device=self.weights[0].device)
        picks = list(range(len(self.best_epochs)) if network is None else [network])
        p = _probabilities([w[picks] for w in self.weights], [b[picks] for b in self.biases],
                           h.expand(len(picks), *h.shape)).cpu().numpy()
        return p[0] if network is not None else p

    def to_module(self, network: int, dropout: float = RECIPE.dropout):
        """Network ``network`` as an :class:`~gtzan_helpers.model.MLP` (eval mode, CPU)."""
        hidden = [w.shape[2] for w in self.weights[:-1]]
        model = MLP(self.weights[0].shape[1], hidden, dropout, n_classes=_n_classes(self.weights))
        linears = [m for m in model.net if isinstance(m, torch.nn.Linear)]
        with torch.no_grad():
            for layer, w, b in zip(linears, self.weights, self.biases):
                layer.weight.copy_(w[network].T.cpu())
                layer.bias.copy_(b[network, 0].cpu())
        return model.eval()


def _stack(arrays, device):
    """Pad a list of (n_i, ...) arrays to (N, max n_i, ...) plus a (N, max n_i) validity mask."""
    n_max = max(len(a) for a in arrays)
    first = np.asarray(arrays[0])
    out = np.zeros((len(arrays), n_max, *first.shape[1:]), dtype=np.float32)
    valid = np.zeros((len(arrays), n_max), dtype=bool)
    for i, a in enumerate(arrays):
        out[i, : len(a)] = a
        valid[i, : len(a)] = True
    return torch.as_tensor(out, device=device), torch.as_tensor(valid, device=device)


def _n_classes(weights) -> int:
    """Classes of stacked networks: one output unit means two classes."""
    return max(2, weights[-1].shape[-1])


def _init_parameters(n_features, hidden, seeds, device, n_classes=2):
    """PyTorch's default ``nn.Linear`` initialisation, per network, from its own seed."""
    weights, biases = [], []
    modules = [make_mlp(n_features, hidden, n_classes=n_classes, seed=s) for s in seeds]
    linears = [[m for m in mod.net if isinstance(m, torch.nn.Linear)] for mod in modules]
    for k in range(len(hidden) + 1):
        weights.append(torch.stack([ls[k].weight.detach().T for ls in linears]).to(device).contiguous())
        biases.append(torch.stack([ls[k].bias.detach()[None] for ls in linears]).to(device).contiguous())
    return weights, biases


@torch.no_grad()
def _probabilities(weights, biases, X):
    """Probabilities of stacked networks for inputs (N, n, d): float32, no dropout.

    (N, n) of label 1 for one output unit; (N, n, k) of every class for k units."""
    h = X
    for k, (W, b) in enumerate(zip(weights, biases)):
        h = torch.baddbmm(b, h, W)
        if k < len(weights) - 1:
            h = torch.relu(h)
    return torch.sigmoid(h[..., 0]) if h.shape[-1] == 1 else torch.softmax(h, dim=-1)


def _cross_entropy(p, y, valid, count):
    """Mean cross-entropy per network (:func:`~gtzan_helpers.loop.cross_entropy_rows`) of
    probabilities ``p`` for labels ``y`` (N, n), over the rows ``valid`` marks."""
    return (cross_entropy_rows(p, y) * valid).sum(dim=1) / count


def _hits(p, y):
    """1 where :func:`~gtzan_helpers.scoring.decide`'s label is the label, per network and row."""
    rows = p.reshape(-1, p.shape[2]) if p.dim() == 3 else p.reshape(-1)
    return (decide(rows).reshape(y.shape) == y.long()).float()


PRECISIONS = {"float32": torch.float32, "bfloat16": torch.bfloat16}
"""Dtypes of the training steps' matrix products; weights, Adam, losses stay float32."""


def _with_ones(arrays, device, dtype):
    """Stack (n_i, d) arrays into (N, max n_i, d + 1) with a last column of ones.

    The ones carry each layer's bias as one more row of its weight matrix, so a layer
    is a single batched matrix product and its bias gradient comes with the weights'.
    """
    X, valid = _stack(arrays, device)
    ones = torch.ones(*X.shape[:2], 1, device=device)
    return torch.cat([X, ones], dim=2).to(dtype), valid


def _epoch_batches(Xt, yt, generators, sizes, batch_size, widths, dropout, dtype,
                   workspace: dict | None = None):
    """One epoch's mini-batches of every network in the stack, ready for the steps.

    Each network draws its row order and dropout randoms from its own generator, so its
    training does not depend on the other networks in the stack. Returns a list of
    ``(x, y, gates, weight, live)``: inputs (N, B, d + 1) in the compute dtype; labels
    (N, B); per hidden layer its dropout gates (N, B, width), 0 or 1/keep; per-row loss
    weights (N, B), 1/rows of the network's batch and 0 past its end; and the positions
    of the networks that have rows in the batch (``None`` when all have). Inputs and
    gates are contiguous blocks but for a short last batch.

    ``workspace``, a dict kept by the caller from one epoch to the next, lends its
    buffers to the batches: they are then valid until the next call with it. (Fresh
    buffers of several megabytes every epoch cost more in page faults than in work.)
    """
    N, n_max = len(sizes), Xt.shape[1]
    device = Xt.device
    firsts = np.arange(0, n_max, batch_size)
    n_batches, n_full = len(firsts), n_max // batch_size
    rows = n_batches * batch_size
    scale = np.float32(1.0 / (1.0 - dropout))
    n_units = sum(widths)
    edges = np.cumsum([0] + list(widths))
    threshold = round((1.0 - dropout) * 65536)  # keep a unit when a 16-bit draw is below
    ws = _workspace(workspace, (N, rows, n_units, tuple(widths), batch_size, Xt.shape[2]), lambda: {
        "order": np.zeros((N, rows), dtype=np.int64),  # padded: row 0 again
        "keep": np.zeros((rows, n_units), dtype=bool),
        # per layer, batch-major like the inputs, so that each batch's gates are one block
        "gates": [np.zeros((n_batches, N, batch_size, w), dtype=np.float32) for w in widths],
        "X": torch.empty((n_batches, N, batch_size, Xt.shape[2]), dtype=Xt.dtype, device=device),
        "y": torch.empty((n_batches, N, batch_size), dtype=yt.dtype, device=device)})
    order, keep, gates = ws["order"], ws["keep"], ws["gates"]
    by_batch = keep.reshape(n_batches, batch_size, n_units)
    for i, (g, size) in enumerate(zip(generators, sizes)):
        order[i, :size] = g.permutation(size)
        if dropout > 0:
            # 16-bit uniforms, four from each 64-bit draw of the generator: a quarter of
            # the cost of ``g.random``, and 1/65536 is fine enough for a dropout rate
            draws = g.bit_generator.random_raw(-(-size * n_units // 4)).view(np.uint16)
            np.less(draws[:size * n_units].reshape(size, n_units), threshold, out=keep[:size])
        else:
            keep[:size] = True
        keep[size:] = False  # rows past the network's end: gates of 0
        for layer, a, b in zip(gates, edges[:-1], edges[1:]):
            np.multiply(by_batch[..., a:b], scale, out=layer[:, i])  # kept units scaled by 1/keep
    layer_gates = [torch.from_numpy(layer).to(device=device, dtype=dtype).unbind(0) for layer in gates]
    # every batch's rows gathered at once, batch-major, so that each batch is contiguous
    index = order.reshape(N, n_batches, batch_size).transpose(1, 0, 2) + (np.arange(N) * n_max)[:, None]
    index = torch.from_numpy(index.reshape(-1)).to(device)
    X_all = torch.index_select(Xt.reshape(-1, Xt.shape[2]), 0, index, out=ws["X"].view(-1, Xt.shape[2]))
    y_all = torch.index_select(yt.reshape(-1), 0, index, out=ws["y"].view(-1))
    X_all, y_all = X_all.view(ws["X"].shape), y_all.view(ws["y"].shape)
    counts = np.clip(sizes[None, :] - firsts[:, None], 0, batch_size)  # (batches, N)
    weights = (1.0 / np.maximum(counts, 1))[..., None] * (np.arange(batch_size) < counts[..., None])
    weights = torch.from_numpy(weights.astype(np.float32)).to(device)
    everyone = (counts > 0).all(axis=1)
    parts = [X_all.unbind(0), y_all.unbind(0), weights.unbind(0), *layer_gates]
    batches = []
    for j, (x, y, weight, *batch_gates) in enumerate(zip(*parts)):
        live = None if everyone[j] else np.flatnonzero(counts[j] > 0)
        if j >= n_full:  # the short last batch
            B = int(counts[j].max())
            x, y, weight = x[:, :B], y[:, :B], weight[:, :B]
            batch_gates = [gate[:, :B] for gate in batch_gates]
        batches.append((x, y, batch_gates, weight, live))
    return batches


def _workspace(workspace: dict | None, key, make) -> dict:
    """``make()``'s buffers, kept in ``workspace`` for as long as ``key`` stays the same."""
    if workspace is None:
        return make()
    if workspace.get("key") != key:
        workspace.clear()
        workspace.update(make(), key=key)
    return workspace


class _Stack:
    """The parameters and Adam state of the networks still training, and their step.

    Each network's parameters are one row of a flat (N, P) buffer, layer by layer, each
    layer an (in + 1, out) matrix whose last row is the bias: with a column of ones
    beside its input, a layer is one batched matrix product and its bias gradient comes
    with the weights'. The fused Adam sees each network's row as one tensor with its own
    step count, so networks that start or stop at different times never mix.
    """

    def __init__(self, flat, shapes, widths, batch_size, dtype, adam):
        self.flat, self.shapes, self.widths = flat, shapes, widths
        self.batch_size, self.dtype, self.adam = batch_size, dtype, adam
        self.offsets = np.cumsum([0] + [a * b for a, b in shapes])
        self.m1, self.m2 = torch.zeros_like(flat), torch.zeros_like(flat)
        self.step_counts = torch.zeros(len(flat), device=flat.device)
        self._rebuild()

    def _rebuild(self):
        n, device = len(self.flat), self.flat.device
        self.grad = torch.zeros_like(self.flat)
        # the weight gradients come out of the products in the compute dtype: straight
        # into a buffer of that dtype, then one widening copy for the optimizer
        self.grad_low = self.grad if self.dtype == self.flat.dtype else torch.zeros_like(
            self.flat, dtype=self.dtype)
        self.grad_views = self.layers(self.grad_low)
        self.lists = [list(t.unbind(0)) for t in (self.flat, self.grad, self.m1, self.m2)]
        self.steps = list(self.step_counts.unbind(0))  # per-network views: one add counts all
        self.views = self.layers(self.flat)
        # bfloat16 products take a copy of the weights in that dtype, refreshed before each step
        self.W = self.views if self.dtype == self.flat.dtype else [
            torch.empty(v.shape, dtype=self.dtype, device=device) for v in self.views]
        # activations beside their column of ones, for full batches and for a last short one
        self.acts = [torch.ones(n, self.batch_size, w + 1, dtype=self.dtype, device=device)
                     for w in self.widths]
        self._act_views = {}

    def layers(self, flat):
        """Views of ``flat`` (N, P) as the per-layer (N, in + 1, out) matrices."""
        return [flat[:, a:b].view(len(flat), *shape)
                for a, b, shape in zip(self.offsets[:-1], self.offsets[1:], self.shapes)]

    def keep(self, rows: np.ndarray):
        """Keep only the networks at positions ``rows``."""
        at = torch.as_tensor(rows, device=self.flat.device)
        self.flat, self.m1, self.m2 = (t[at].contiguous() for t in (self.flat, self.m1, self.m2))
        self.step_counts = self.step_counts[at].clone()
        self._rebuild()

    def _activations(self, B):
        if B not in self._act_views:
            self._act_views[B] = [(a[:, :B], a[:, :B, :-1]) for a in self.acts]
        return self._act_views[B]

    def step(self, x, y, gates, weight, live):
        """One Adam step of every network on its batch; returns the logits, float32:
        (N, B), or (N, B, k) for k classes."""
        if self.W is not self.views:
            foreach_copy_(self.W, self.views)
        W = self.W
        acts = self._activations(x.shape[1])
        # forward: h = ReLU(z) × dropout gate, written into the buffer beside its ones
        inputs = [x]
        for k, (h, core) in enumerate(acts):
            z = torch.bmm(inputs[-1], W[k]).relu_()
            torch.mul(z, gates[k], out=core)
            inputs.append(h)
        logit = torch.bmm(inputs[-1], W[-1]).float()
        if logit.shape[2] == 1:
            # backward: d(mean BCE)/d(logit) = (p - y) / rows in the batch
            logit = logit[..., 0]
            g = torch.sigmoid(logit).sub_(y).mul_(weight)[..., None].to(self.dtype)
        else:
            # softmax and cross-entropy: d/d(logits) = (p - one-hot(y)) / rows in the batch
            g = torch.softmax(logit, dim=2)
            g.scatter_add_(2, y.long()[..., None], torch.full_like(g[..., :1], -1.0))
            g = g.mul_(weight[..., None]).to(self.dtype)
        for k in range(len(W) - 1, -1, -1):
            torch.bmm(inputs[k].transpose(1, 2), g, out=self.grad_views[k])
            if k > 0:
                # through the gate (0 or 1/keep) and the ReLU (h > 0 exactly where both
                # pass); the bias row of W, which meets the column of ones, is left out
                g = torch.bmm(g, W[k][:, :-1].transpose(1, 2)).mul_(gates[k - 1])
                g = threshold_backward(g, acts[k - 1][1], 0)
        if self.grad_low is not self.grad:
            self.grad.copy_(self.grad_low)
        # torch.optim.Adam's update, fused; a network with no rows in this batch sits it out
        lists, steps = self.lists, self.steps
        if live is None:
            self.step_counts.add_(1)
        else:
            lists = [[part[i] for i in live] for part in lists]
            steps = [steps[i] for i in live]
            foreach_add_(steps, 1)
        fused_adam_(*lists, [], steps, **self.adam)
        return logit

    def epoch(self, batches, keep_logits: bool = True):
        """:meth:`step` on each batch in turn; returns the logits side by side (N, rows[, k]),
        or None when they are not kept."""
        if keep_logits:
            return torch.cat([self.step(*batch) for batch in batches], dim=1)
        for batch in batches:
            self.step(*batch)
        return None

    def predict(self, X):
        """Probabilities (N, n) for inputs (N, n, d), float32, without dropout."""
        return _probabilities([A[:, :-1] for A in self.views], [A[:, -1:] for A in self.views], X)


def _train_scores(logits, y, sizes):
    """The epoch's training loss and accuracy per network, as the plain loop reports them."""
    valid = (torch.arange(logits.shape[1], device=logits.device)[None, :]
             < torch.as_tensor(sizes, device=logits.device)[:, None]).float()
    p = torch.softmax(logits, dim=2) if logits.dim() == 3 else torch.sigmoid(logits)
    n = valid.sum(dim=1)
    return (_cross_entropy(p, y, valid, n).cpu().numpy(),
            ((_hits(p, y) * valid).sum(dim=1) / n).cpu().numpy())


def fit_many(X_train: Sequence, y_train: Sequence, X_val: Sequence, y_val: Sequence, *,
             seeds: Sequence[int], recipe: Recipe = RECIPE, device=None,
             precision: str = "float32", n_classes: int = 2, history: bool = False) -> ManyResult:
    """Train ``N = len(seeds)`` independent MLPs together, each on its own data.

    Parameters
    ----------
    X_train, y_train, X_val, y_val : sequences of length N
        Scaled features (n_i, d) and integer labels (n_i,) of each network (0/1 for
        two classes); sizes may differ.
    seeds : sequence of int
        Network ``i`` starts from :func:`~gtzan_helpers.model.make_mlp` with ``seeds[i]``
        and draws its data order and dropout masks from that seed too.
    recipe : Recipe
        The network (``hidden``, ``dropout``) and its training (``batch_size``, ``lr``,
        ``weight_decay``, ``max_epochs``, ``patience``), as in :func:`gtzan_helpers.loop.fit`.
    device : str or torch.device, optional
        Defaults to :func:`~gtzan_helpers.loop.choose_device`.
    precision : {"float32", "bfloat16"}
        Dtype of the training steps' matrix products. bfloat16 (8-bit mantissa, float32
        accumulation) is faster where the hardware multiplies it natively and gives other
        numbers; weights, optimizer state, losses and validation stay float32.
    n_classes : int
        Two: one sigmoid output and binary cross-entropy (the study's network); more:
        a softmax output and cross-entropy.
    history : bool
        Record each epoch's training and validation loss and accuracy
        (:attr:`ManyResult.histories`). Without it an epoch scores only what early stopping
        needs (the validation loss), and nothing when ``patience`` is None, which saves
        about a quarter of the time of an ensemble trained a fixed number of epochs.

    Returns
    -------
    ManyResult
    """
    start = time.perf_counter()
    device = choose_device(device)
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {precision!r}")
    dtype = PRECISIONS[precision]
    N = len(seeds)
    if not (len(X_train) == len(y_train) == len(X_val) == len(y_val) == N) or N == 0:
        raise ValueError("fit_many needs one training and one validation set per seed")
    hidden, dropout, max_epochs, patience = recipe.hidden, recipe.dropout, recipe.max_epochs, recipe.patience
    if recipe.batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {recipe.batch_size}")
    Xt, _ = _with_ones(X_train, device, dtype)
    yt, _ = _stack(y_train, device)
    Xv, vv = _stack(X_val, device)
    yv, _ = _stack(y_val, device)
    vv = vv.float()
    n_val = vv.sum(dim=1)
    sizes = np.array([len(y) for y in y_train])
    W0, b0 = _init_parameters(Xt.shape[2] - 1, hidden, seeds, device, n_classes)
    flat = torch.cat([torch.cat([w, c], dim=1).reshape(N, -1) for w, c in zip(W0, b0)], dim=1)
    stack = _Stack(flat.contiguous(), [(w.shape[1] + 1, w.shape[2]) for w in W0], list(hidden),
                   recipe.batch_size, dtype, {"lr": recipe.lr, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                              "weight_decay": recipe.weight_decay, "amsgrad": False,
                                              "maximize": False})
    best = stack.flat.clone()  # every network's best weights, indexed by its original position
    best_loss = torch.full((N,), float("inf"), device=device)
    best_epoch = np.zeros(N, dtype=int)
    stopped = np.full(N, max_epochs)
    waited = np.zeros(N, dtype=int)
    running = np.arange(N)  # original positions of the networks still in the stack
    # NumPy's PCG64, one generator per network: several times cheaper than torch.rand here
    generators = [np.random.default_rng(int(s)) for s in seeds]
    histories = [[] for _ in range(N)]
    workspace = {}  # the epochs' batch buffers, reused

    for epoch in range(1, max_epochs + 1):
        batches = _epoch_batches(Xt, yt, [generators[net] for net in running], sizes[running],
                                 recipe.batch_size, hidden, dropout, dtype, workspace)
        logits = stack.epoch(batches, keep_logits=history)
        if patience is None and not history:
            continue  # nothing to watch, nothing to record
        with torch.no_grad():
            pv = stack.predict(Xv)
            val_loss = _cross_entropy(pv, yv, vv, n_val)
            if history:
                train_loss, train_acc = _train_scores(
                    logits, torch.cat([batch[1] for batch in batches], dim=1), sizes[running])
                vl = val_loss.cpu().numpy()
                va = ((_hits(pv, yv) * vv).sum(dim=1) / n_val).cpu().numpy()
                for i, net in enumerate(running):
                    histories[net].append((epoch, train_loss[i], train_acc[i], vl[i], va[i]))
        if patience is None:
            continue
        if not torch.isfinite(val_loss).all():
            raise FloatingPointError(f"a validation loss is not a number at epoch {epoch} (learning rate {recipe.lr}): "
                                     "training diverged, or the features are not all finite")
        improved = val_loss < best_loss[running]
        imp = improved.cpu().numpy()
        if imp.any():
            at = torch.as_tensor(running[imp], device=device)
            best[at] = stack.flat[improved]
            best_loss[at] = val_loss[improved]
        best_epoch[running[imp]] = epoch
        waited[running[~imp]] += 1
        waited[running[imp]] = 0
        done = waited[running] >= patience
        stopped[running[done]] = epoch
        if done.all():
            break
        if done.any():
            # drop finished networks from the stack so that no step is spent on them
            stay = np.flatnonzero(~done)
            running = running[stay]
            at = torch.as_tensor(stay, device=device)
            n_max = int(sizes[running].max())
            Xt, yt = Xt[at, :n_max], yt[at, :n_max]
            Xv, yv, vv, n_val = Xv[at], yv[at], vv[at], n_val[at]
            stack.keep(stay)
    if patience is None:
        best = stack.flat
        best_epoch[:] = stopped
    columns = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"]
    layers = stack.layers(best)
    return ManyResult([A[:, :-1].contiguous() for A in layers],
                      [A[:, -1:].contiguous() for A in layers],
                      [pd.DataFrame(h, columns=columns) for h in histories] if history else None,
                      best_epoch, stopped, time.perf_counter() - start)
