"""The private PyTorch calls of the stacked trainer, named in one place.

The stacked trainer needs four operations that PyTorch keeps out of its public API:
the fused Adam update that ``torch.optim.Adam(fused=True)`` runs, the ``_foreach``
copies and adds behind its optimizers, and ReLU's own backward kernel. Each is looked
up here, at import, so that a PyTorch release that drops or renames one fails at once
with its name instead of training differently; ``tests/test_stacked.py`` checks
them against their public equivalents (``torch.optim.Adam``, ``Tensor.copy_``,
``Tensor.add_``, autograd through ``torch.relu``). ``pyproject.toml`` pins the PyTorch
releases this was tested with.
"""

from __future__ import annotations

import torch

try:
    fused_adam_ = torch._fused_adam_
    foreach_copy_ = torch._foreach_copy_
    foreach_add_ = torch._foreach_add_
    threshold_backward = torch.ops.aten.threshold_backward
except AttributeError as exc:  # pragma: no cover - only on an untested PyTorch release
    raise ImportError(f"PyTorch {torch.__version__} lacks a private operation the stacked trainer "
                      f"uses ({exc}); install the PyTorch release pinned in requirements.txt") from exc

__all__ = ["foreach_add_", "foreach_copy_", "fused_adam_", "threshold_backward"]
