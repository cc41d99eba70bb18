"""The private PyTorch calls of the stacked trainer, each beside a public fallback.

The stacked trainer uses four operations that PyTorch keeps out of its public API:
the fused Adam update that ``torch.optim.Adam(fused=True)`` runs, the ``_foreach``
copies and adds behind its optimizers, and ReLU's own backward kernel. They save a
few dozen small dispatches per training step, nothing more: each has a fallback
here written with public tensor operations that computes the same thing, and
``tests/test_stacked.py`` holds every fallback equal to its private call (and a
stacked training run equal both ways).

A private call is used only where this PyTorch has it (and, for fused Adam, a kernel
for the tensors' device: PyTorch 2.2 and 2.3 have none for the CPU); otherwise the
fallback runs. Setting the environment variable ``GTZAN_PUBLIC_TORCH=1`` before the
import forces the fallbacks everywhere, which the tests use to compare the two ways.
"""

from __future__ import annotations

import functools
import math
import os

import torch

PUBLIC_ENV = "GTZAN_PUBLIC_TORCH"
"""Environment variable: ``1`` makes the stacked trainer use only public PyTorch."""


def _look_up(get):
    # a missing op is an AttributeError for ``torch.X`` and, on some releases, a
    # RuntimeError for ``torch.ops.aten.X``
    try:
        return get()
    except (AttributeError, RuntimeError):
        return None


PRIVATE = {
    "fused_adam_": _look_up(lambda: torch._fused_adam_),
    "foreach_copy_": _look_up(lambda: torch._foreach_copy_),
    "foreach_add_": _look_up(lambda: torch._foreach_add_),
    "threshold_backward": _look_up(lambda: torch.ops.aten.threshold_backward),
}
"""This PyTorch's private operations by name, ``None`` where it lacks one (whatever
:data:`PUBLIC_ENV` says: the tests compare against them)."""

USE_PRIVATE = os.environ.get(PUBLIC_ENV) != "1"
"""False when :data:`PUBLIC_ENV` asked for the public fallbacks at import."""


def public_fused_adam_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, *,
                       lr: float, beta1: float, beta2: float, weight_decay: float, eps: float,
                       amsgrad: bool, maximize: bool) -> None:
    """``torch._fused_adam_`` in public operations: one Adam step of each tensor, in place.

    The arithmetic of ``torch.optim.Adam``'s own (non-fused) update, tensor by tensor.

    Parameters
    ----------
    params, grads, exp_avgs, exp_avg_sqs : lists of torch.Tensor
        Parameters, their gradients, and Adam's first and second moments, updated in
        place (the gradients are only read).
    max_exp_avg_sqs : list of torch.Tensor
        The running maxima of the second moments with ``amsgrad``; empty without.
    state_steps : list of torch.Tensor
        Each tensor's step count, one-element float tensors, **already counting this
        step**: as with the private call, the caller adds 1 before calling (each tensor
        keeps its own count, so its bias corrections are its own). Not changed here.
    lr, beta1, beta2, eps : float
    weight_decay : float
        Adam's L2 penalty: ``weight_decay * param`` added to the gradient (not AdamW's
        decoupled decay).
    amsgrad, maximize : bool
        As in ``torch.optim.Adam``.
    """
    if not params:
        return
    # every step count in one transfer, not one per tensor
    steps = torch.stack([s.reshape(()) for s in state_steps]).tolist()
    for i, (param, grad, m1, m2, step) in enumerate(zip(params, grads, exp_avgs, exp_avg_sqs, steps)):
        if maximize:
            grad = -grad
        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)
        m1.lerp_(grad, 1 - beta1)
        m2.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        second = m2
        if amsgrad:
            torch.maximum(max_exp_avg_sqs[i], m2, out=max_exp_avg_sqs[i])
            second = max_exp_avg_sqs[i]
        denom = (second.sqrt() / math.sqrt(1 - beta2 ** step)).add_(eps)
        param.addcdiv_(m1, denom, value=-lr / (1 - beta1 ** step))


def public_foreach_copy_(destinations, sources) -> None:
    """``torch._foreach_copy_``: each ``destinations[i].copy_(sources[i])``."""
    for destination, source in zip(destinations, sources):
        destination.copy_(source)


def public_foreach_add_(tensors, scalar) -> None:
    """``torch._foreach_add_`` with a scalar: each ``tensors[i].add_(scalar)``."""
    for tensor in tensors:
        tensor.add_(scalar)


def public_threshold_backward(grad: torch.Tensor, out: torch.Tensor, threshold) -> torch.Tensor:
    """``aten.threshold_backward``: ``grad`` where ``out > threshold``, else 0 (ReLU's
    backward with ``threshold=0`` and ``out`` its input or output)."""
    return torch.where(out > threshold, grad, 0)


@functools.cache
def _fused_adam_runs_on(device_type: str) -> bool:
    """Whether the private fused Adam has a kernel for ``device_type``: tried once on a
    one-element tensor. Cached, being a fact of the installed PyTorch, the same on every
    call."""
    if PRIVATE["fused_adam_"] is None:
        return False
    one = [torch.zeros(1, device=device_type)]
    try:
        PRIVATE["fused_adam_"](one, [torch.ones(1, device=device_type)], [torch.zeros_like(one[0])],
                               [torch.zeros_like(one[0])], [], [torch.ones((), device=device_type)],
                               lr=1e-3, beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8,
                               amsgrad=False, maximize=False)
    except (NotImplementedError, RuntimeError):
        return False
    return True


def fused_adam_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, **hyper) -> None:
    """One Adam step, in place: the private fused kernel where it runs, else
    :func:`public_fused_adam_` (same arguments; ``state_steps`` already count this step)."""
    if USE_PRIVATE and params and _fused_adam_runs_on(params[0].device.type):
        PRIVATE["fused_adam_"](params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, **hyper)
    else:
        public_fused_adam_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, **hyper)


def _chosen(name: str, public):
    return PRIVATE[name] if USE_PRIVATE and PRIVATE[name] is not None else public


foreach_copy_ = _chosen("foreach_copy_", public_foreach_copy_)
foreach_add_ = _chosen("foreach_add_", public_foreach_add_)
threshold_backward = _chosen("threshold_backward", public_threshold_backward)

__all__ = ["PRIVATE", "PUBLIC_ENV", "USE_PRIVATE", "foreach_add_", "foreach_copy_", "fused_adam_",
           "public_foreach_add_", "public_foreach_copy_", "public_fused_adam_",
           "public_threshold_backward", "threshold_backward"]
