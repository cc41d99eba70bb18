"""The batched trainer: each network trains as if alone, stops on its own, and learns."""

import numpy as np
import pytest
import torch

from gtzan_helpers.fast.stacked import fit_many
from gtzan_helpers.recipe import RECIPE
from gtzan_helpers.training import predict_proba

from .conftest import separable


def problems(sizes, d=6):
    data = []
    for i, n in enumerate(sizes):
        X, y = separable(n=n + 100, d=d, seed=i)
        data.append((X[:n], y[:n], X[n:], y[n:]))
    return [list(part) for part in zip(*data)]


def test_batched_equals_alone():
    # equal up to float rounding (a stack and a single network may take different matrix
    # kernels); over many epochs such rounding grows as in any two runs of SGD, so the
    # networks are compared after ten, and each stopping on its own is tested below
    Xt, yt, Xv, yv = problems([300, 250, 300])
    together = fit_many(Xt, yt, Xv, yv, seeds=[5, 6, 7], history=True, recipe=RECIPE.replace(hidden=(16, 16), batch_size=32, max_epochs=10, patience=None))
    for i, seed in enumerate([5, 6, 7]):
        alone = fit_many(Xt[i:i + 1], yt[i:i + 1], Xv[i:i + 1], yv[i:i + 1], seeds=[seed], history=True, recipe=RECIPE.replace(hidden=(16, 16), batch_size=32, max_epochs=10, patience=None))
        for a, b in zip(together.weights, alone.weights):
            torch.testing.assert_close(a[i], b[0], rtol=1e-5, atol=1e-6)
        assert np.allclose(together.histories[i]["val_loss"], alone.histories[0]["val_loss"],
                           rtol=1e-5)
    # with early stopping, each in the stack stops where it stops alone (within an epoch: rounding
    # can tip which of two nearly equal validation losses is the lower)
    together = fit_many(Xt, yt, Xv, yv, seeds=[5, 6, 7], recipe=RECIPE.replace(hidden=(16, 16), batch_size=32, patience=3))
    alone = [fit_many(Xt[i:i + 1], yt[i:i + 1], Xv[i:i + 1], yv[i:i + 1], seeds=[seed], recipe=RECIPE.replace(hidden=(16, 16), batch_size=32, patience=3)).best_epochs[0] for i, seed in enumerate([5, 6, 7])]
    assert np.abs(together.best_epochs - np.array(alone)).max() <= 1
    assert len(set(together.stopped_epochs)) > 1


@pytest.mark.parametrize("patience", [None, 2])
def test_recording_the_history_changes_no_weight(patience):
    # without a history an epoch skips the scores nobody reads: the training is the same,
    # early stopping included (the second network watches noise and stops first)
    Xt, yt, Xv, yv = problems([120, 90])
    yv[1] = np.random.default_rng(3).integers(0, 2, len(yv[1])).astype(np.float32)
    kwargs = dict(seeds=[0, 1], recipe=RECIPE.replace(hidden=(8,), batch_size=32, max_epochs=30, patience=patience))
    quiet, recorded = fit_many(Xt, yt, Xv, yv, **kwargs), fit_many(Xt, yt, Xv, yv, history=True, **kwargs)
    assert quiet.histories is None and [len(h) for h in recorded.histories] == list(recorded.stopped_epochs)
    for a, b in zip(quiet.weights + quiet.biases, recorded.weights + recorded.biases):
        assert torch.equal(a, b)
    assert (quiet.best_epochs == recorded.best_epochs).all()
    assert (quiet.stopped_epochs == recorded.stopped_epochs).all()
    if patience is not None:
        assert quiet.stopped_epochs.min() < 30


def test_no_cross_talk():
    Xt, yt, Xv, yv = problems([200, 200])
    base = fit_many(Xt, yt, Xv, yv, seeds=[1, 2], recipe=RECIPE.replace(hidden=(8,), max_epochs=5, patience=None))
    noisy_y = [yt[0], np.random.default_rng(0).integers(0, 2, 200).astype(np.float32)]
    other = fit_many(Xt, noisy_y, Xv, yv, seeds=[1, 2], recipe=RECIPE.replace(hidden=(8,), max_epochs=5, patience=None))
    torch.testing.assert_close(base.weights[0][0], other.weights[0][0])
    assert not torch.allclose(base.weights[0][1], other.weights[0][1])


def test_each_network_stops_on_its_own_and_keeps_its_best_epoch():
    Xt, yt, Xv, yv = problems([300, 300])
    yv[1] = np.random.default_rng(3).integers(0, 2, len(yv[1])).astype(np.float32)  # noise
    result = fit_many(Xt, yt, Xv, yv, seeds=[0, 1], history=True, recipe=RECIPE.replace(hidden=(64, 64), dropout=0.0, patience=3))
    for i in range(2):
        history = result.histories[i]
        assert result.stopped_epochs[i] == result.best_epochs[i] + 3 == len(history)
        assert result.best_epochs[i] == history["val_loss"].idxmin() + 1
        # the kept weights are the best epoch's: their validation loss is the minimum
        module = result.to_module(i, dropout=0.0)
        p = np.clip(predict_proba(module, Xv[i]), 1e-7, 1 - 1e-7)
        loss = -np.mean(yv[i] * np.log(p) + (1 - yv[i]) * np.log(1 - p))
        assert loss == pytest.approx(history["val_loss"].min(), rel=1e-4)
    assert result.stopped_epochs[1] < result.stopped_epochs[0]


def test_learns_and_predicts():
    Xt, yt, Xv, yv = problems([400])
    result = fit_many(Xt, yt, Xv, yv, seeds=[0], history=True, recipe=RECIPE.replace(hidden=(16, 16), batch_size=32))
    assert result.histories[0]["val_accuracy"].max() >= 0.95
    assert result.predict_proba(Xv[0]).shape == (1, 100)
    assert np.allclose(result.predict_proba(Xv[0], network=0),
                       predict_proba(result.to_module(0), Xv[0]), atol=1e-6)


def test_bad_arguments():
    Xt, yt, Xv, yv = problems([50])
    with pytest.raises(ValueError):
        fit_many(Xt, yt, Xv, yv, seeds=[0, 1])
    with pytest.raises(ValueError):
        fit_many(Xt, yt, Xv, yv, seeds=[0], recipe=RECIPE.replace(batch_size=0))


def test_float32_by_default_and_bfloat16_only_on_request():
    Xt, yt, Xv, yv = problems([200])
    kwargs = dict(seeds=[0], recipe=RECIPE.replace(hidden=(8,), max_epochs=3, patience=None))
    default = fit_many(Xt, yt, Xv, yv, **kwargs)
    float32 = fit_many(Xt, yt, Xv, yv, precision="float32", **kwargs)
    bfloat16 = fit_many(Xt, yt, Xv, yv, precision="bfloat16", **kwargs)
    assert torch.equal(default.weights[0], float32.weights[0])
    assert not torch.equal(default.weights[0], bfloat16.weights[0])
    with pytest.raises(ValueError, match="precision"):
        fit_many(Xt, yt, Xv, yv, precision="float16", **kwargs)


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_both_precisions_learn(precision):
    Xt, yt, Xv, yv = problems([400, 400])
    result = fit_many(Xt, yt, Xv, yv, seeds=[0, 1], precision=precision, history=True, recipe=RECIPE.replace(hidden=(16, 16), batch_size=32))
    for history in result.histories:
        assert history["val_accuracy"].max() >= 0.95


def test_epoch_batches_cover_every_row_once_with_fair_dropout():
    from gtzan_helpers.fast.stacked import _epoch_batches, _stack, _with_ones

    sizes = np.array([70, 55])  # unequal: the second network runs out of rows first
    X = [np.arange(n, dtype=np.float32)[:, None] for n in sizes]  # the row number as feature
    Xt, _ = _with_ones(X, "cpu", torch.float32)
    yt, _ = _stack([np.zeros(n, np.float32) for n in sizes], "cpu")
    generators = [np.random.default_rng(s) for s in (0, 1)]
    batches = _epoch_batches(Xt, yt, generators, sizes, 32, (64, 32), 0.2, torch.float32)
    seen = [[], []]
    for x, y, gates, weight, live in batches:
        for i in range(2):
            rows = weight[i] > 0
            # a mean over the network's rows in the batch; nothing where it has none
            assert weight[i].sum().item() == pytest.approx(1.0 if rows.any() else 0.0)
            seen[i] += x[i, rows.numpy(), 0].float().tolist()
        assert [g.shape[-1] for g in gates] == [64, 32]
        assert set(torch.cat([g.flatten() for g in gates]).float().unique().tolist()) <= {0.0, 1.25}
    assert [sorted(s) for s in seen] == [list(range(n)) for n in sizes]
    assert batches[-1][4].tolist() == [0]  # only the first network has rows in the last batch
    kept = torch.cat([(g[0] > 0).flatten() for _, _, gates, _, _ in batches for g in gates])
    assert kept.float().mean().item() == pytest.approx(0.8, abs=0.02)


@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_stacked_steps_are_autograd_and_adam_on_the_mlp(weight_decay):
    # the oracle: model.MLP, autograd, nn.BCELoss and torch.optim.Adam. One batch per
    # epoch (the whole training set) and no dropout, so that row order and masks do
    # not matter; three steps check Adam's bias correction too
    from gtzan_helpers.model import make_mlp

    Xt, yt, Xv, yv = problems([90, 90])
    stacked = fit_many(Xt, yt, Xv, yv, seeds=[3, 4], recipe=RECIPE.replace(hidden=(16, 8), dropout=0.0, batch_size=90, max_epochs=3, patience=None, weight_decay=weight_decay))
    for i, seed in enumerate([3, 4]):
        model = make_mlp(6, (16, 8), dropout=0.0, seed=seed)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)
        X, y = torch.as_tensor(Xt[i]), torch.as_tensor(yt[i])
        for _ in range(3):
            optimizer.zero_grad()
            torch.nn.functional.binary_cross_entropy(model(X)[:, 0], y).backward()
            optimizer.step()
        for ours, theirs in zip(stacked.to_module(i, dropout=0.0).parameters(), model.parameters()):
            torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


def test_stacked_softmax_steps_are_autograd_and_adam_on_the_mlp():
    # the same oracle for four classes: model.MLP's softmax output and cross-entropy
    from gtzan_helpers.model import make_mlp

    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 6)).astype(np.float32)
    y = rng.integers(0, 4, 90)
    X[:, 0] += y
    stacked = fit_many([X], [y.astype(np.float32)], [X], [y.astype(np.float32)], seeds=[3], n_classes=4, history=True, recipe=RECIPE.replace(hidden=(16, 8), dropout=0.0, batch_size=90, max_epochs=3, patience=None))
    model = make_mlp(6, (16, 8), dropout=0.0, n_classes=4, seed=3)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(3):
        optimizer.zero_grad()
        torch.nn.functional.nll_loss(torch.log(model(torch.as_tensor(X))), torch.as_tensor(y)).backward()
        optimizer.step()
    for ours, theirs in zip(stacked.to_module(0, dropout=0.0).parameters(), model.parameters()):
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    p = stacked.predict_proba(X, network=0)
    assert p.shape == (90, 4) and np.allclose(p.sum(axis=1), 1, atol=1e-5)
    # the reported loss is the oracle's cross-entropy of the kept weights
    with torch.no_grad():
        expected = torch.nn.functional.nll_loss(torch.log(model(torch.as_tensor(X))), torch.as_tensor(y))
    assert stacked.histories[0]["val_loss"].iloc[-1] == pytest.approx(expected.item(), rel=1e-4)


def test_the_private_pytorch_calls_match_their_public_equivalents():
    # the stacked trainer's four private calls (fast/_torch_private.py) against public PyTorch:
    # a PyTorch release that changes one fails here, by name, before any number moves
    from gtzan_helpers.fast import _torch_private as private

    a, b = [torch.zeros(3), torch.zeros(2)], [torch.arange(3.0), torch.ones(2)]
    private.foreach_copy_(a, b)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    steps = [torch.tensor(1.0), torch.tensor(4.0)]
    private.foreach_add_(steps, 1)
    assert [s.item() for s in steps] == [2.0, 5.0]
    g, h = torch.randn(5, 4), torch.randn(5, 4)
    x = h.clone().requires_grad_()
    torch.relu(x).backward(g)
    assert torch.equal(private.threshold_backward(g, torch.relu(h), 0), x.grad)
    # one fused step against torch.optim.Adam on the same parameters and gradients
    param, grad = torch.randn(7), torch.randn(7)
    reference = param.clone().requires_grad_()
    adam = torch.optim.Adam([reference], lr=1e-3, weight_decay=0.01)
    reference.grad = grad.clone()
    adam.step()
    m1, m2, step = torch.zeros(7), torch.zeros(7), torch.tensor(0.0)
    step += 1
    private.fused_adam_([param], [grad], [m1], [m2], [], [step], lr=1e-3, beta1=0.9, beta2=0.999,
                        weight_decay=0.01, eps=1e-8, amsgrad=False, maximize=False)
    torch.testing.assert_close(param, reference.detach())


def _private(name):
    from gtzan_helpers.fast import _torch_private as private

    if private.PRIVATE[name] is None:
        pytest.skip(f"this PyTorch has no private {name}")
    return private.PRIVATE[name]


ADAM = dict(lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, amsgrad=False, maximize=False)


@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_public_adam_is_the_private_fused_adam(weight_decay):
    # several steps of tensors whose step counts differ (they join at different times,
    # and some sit steps out, as networks do in the stack), from the same random start
    from gtzan_helpers.fast._torch_private import _fused_adam_runs_on, public_fused_adam_

    fused = _private("fused_adam_")
    if not _fused_adam_runs_on("cpu"):
        pytest.skip("this PyTorch's fused Adam has no CPU kernel")
    rng = torch.Generator().manual_seed(0)
    shapes = [(7,), (3, 4), (5,)]
    params = [torch.randn(s, generator=rng) for s in shapes]
    states = {way: ([p.clone() for p in params], [torch.zeros(s) for s in shapes],
                    [torch.zeros(s) for s in shapes], [torch.tensor(float(k)) for k in (0, 3, 10)])
              for way in ("private", "public")}
    for step in range(6):
        grads = [torch.randn(s, generator=rng) for s in shapes]
        live = [i for i in range(len(shapes)) if (step + i) % 3]  # one tensor sits each step out
        for way, update in (("private", fused), ("public", public_fused_adam_)):
            ps, m1, m2, counts = states[way]
            for i in live:
                counts[i] += 1  # the caller counts the step, before the update
            update(*([part[i] for i in live] for part in (ps, grads, m1, m2)), [],
                   [counts[i] for i in live], weight_decay=weight_decay, **ADAM)
    for private_part, public_part in zip(states["private"], states["public"]):
        for a, b in zip(private_part, public_part):
            torch.testing.assert_close(b, a, rtol=1.3e-6, atol=1e-5)
    assert [c.item() for c in states["public"][3]] == [4.0, 7.0, 14.0]  # counted by the caller only


def test_public_adam_is_torch_optim_adam():
    # the fallback stands on its own as well, where this PyTorch has no private kernel
    from gtzan_helpers.fast._torch_private import public_fused_adam_

    param = torch.randn(9)
    reference = param.clone().requires_grad_()
    adam = torch.optim.Adam([reference], lr=1e-2, weight_decay=0.1)
    m1, m2, step = torch.zeros(9), torch.zeros(9), torch.tensor(0.0)
    for _ in range(4):
        grad = torch.randn(9)
        reference.grad = grad.clone()
        adam.step()
        step += 1
        public_fused_adam_([param], [grad], [m1], [m2], [], [step], **{**ADAM, "weight_decay": 0.1})
    torch.testing.assert_close(param, reference.detach())


def test_public_foreach_and_threshold_backward_are_the_private_calls():
    from gtzan_helpers.fast._torch_private import (public_foreach_add_, public_foreach_copy_,
                                                   public_threshold_backward)

    rng = torch.Generator().manual_seed(1)
    sources = [torch.randn(s, generator=rng) for s in [(4,), (2, 3), ()]]
    ours, theirs = [torch.zeros_like(t) for t in sources], [torch.zeros_like(t) for t in sources]
    public_foreach_copy_(ours, sources)
    _private("foreach_copy_")(theirs, sources)
    assert all(torch.equal(a, b) for a, b in zip(ours, theirs))
    public_foreach_add_(ours, 1)
    _private("foreach_add_")(theirs, 1)
    assert all(torch.equal(a, b) for a, b in zip(ours, theirs))
    for dtype in (torch.float32, torch.bfloat16):
        grad = torch.randn(3, 5, 6, generator=rng).to(dtype)
        out = torch.randn(3, 5, 6, generator=rng).relu().to(dtype)  # zeros where the ReLU cut
        public = public_threshold_backward(grad, out, 0)
        assert public.dtype == dtype
        assert torch.equal(public, _private("threshold_backward")(grad, out, 0))


def test_fit_many_is_the_same_with_the_public_fallbacks(monkeypatch):
    from gtzan_helpers.fast import _torch_private as private
    from gtzan_helpers.fast import stacked

    from gtzan_helpers.recipe import RECIPE

    # unequal sizes (short last batches, networks sitting steps out) and two networks that
    # watch noise and stop early, so that every path of the step runs both ways
    Xt, yt, Xv, yv = problems([150, 120, 90])
    for i in (1, 2):
        yv[i] = np.random.default_rng(i).integers(0, 2, len(yv[i])).astype(np.float32)
    kwargs = dict(seeds=[0, 1, 2], recipe=RECIPE.replace(hidden=(16, 8), batch_size=32, max_epochs=40,
                                                         patience=3, weight_decay=1e-3))
    with_private = fit_many(Xt, yt, Xv, yv, **kwargs)
    for name in ("foreach_add_", "foreach_copy_", "threshold_backward"):
        monkeypatch.setattr(stacked, name, getattr(private, f"public_{name}"))
    monkeypatch.setattr(stacked, "fused_adam_", private.public_fused_adam_)
    public = fit_many(Xt, yt, Xv, yv, **kwargs)
    assert (with_private.best_epochs == public.best_epochs).all()
    assert (with_private.stopped_epochs == public.stopped_epochs).all()
    assert len(set(public.stopped_epochs)) == 3
    assert np.abs(with_private.predict_proba(Xv[0]) - public.predict_proba(Xv[0])).max() < 1e-5


def test_the_environment_variable_forces_the_public_fallbacks():
    import os
    import subprocess
    import sys

    names = ["foreach_add_", "foreach_copy_", "threshold_backward"]
    check = ("from gtzan_helpers.fast import _torch_private as p, stacked as s; "
             f"assert not p.USE_PRIVATE and all(getattr(s, n) is getattr(p, 'public_' + n) for n in {names})")
    subprocess.run([sys.executable, "-c", check], check=True,
                   env={**os.environ, "GTZAN_PUBLIC_TORCH": "1"})
