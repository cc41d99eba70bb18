"""The compiled inner loops of the fast path (``kernels.cpp``), built on first use.

:mod:`gtzan_helpers.fast_training` trains in bfloat16 on the CPU with a Python step
that dispatches a dozen small operations per mini-batch; ``kernels.cpp`` runs a whole
epoch of those steps, and draws the epoch's dropout gates, without returning to
Python. Its results are bit-identical to the Python code's, so the kernels are an
optimisation only: where they cannot be built (no C++ compiler, not Linux) the Python
code runs instead, with the same numbers.

The first call compiles the file with PyTorch's extension builder (about 30 s, with
the ``g++`` and ``ninja`` of the environment) into a folder named after the source, the
PyTorch version and the CPU, under ``$TORCH_EXTENSIONS_DIR`` (default
``~/.cache/torch_extensions``); later processes load the compiled module directly.
Set ``GTZAN_KERNELS=0`` to use the Python code.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import platform
import shutil
import sys
import warnings
from pathlib import Path

import torch

SOURCE = Path(__file__).with_name("kernels.cpp")


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from ``/proc/cpuinfo`` (empty where there is none: not Linux)."""
    try:
        with open("/proc/cpuinfo") as f:
            return frozenset(next((line.split()[2:] for line in f if line.startswith("flags")), []))
    except OSError:
        return frozenset()


def _build_name() -> str:
    # -march=native code is only valid on the CPU it was built for
    key = "\n".join([SOURCE.read_text(), torch.__version__, sys.version, platform.machine(),
                     " ".join(sorted(cpu_flags()))])
    return "gtzan_kernels_" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _build_root() -> Path:
    default = Path.home() / ".cache" / "torch_extensions"
    return Path(os.environ.get("TORCH_EXTENSIONS_DIR", default))


def _import_built(name: str, folder: Path):
    library = folder / f"{name}.so"
    if not library.exists():
        return None
    spec = importlib.util.spec_from_file_location(name, library)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _put_ninja_on_path() -> None:
    # the builder runs `ninja` from PATH; pip's ninja sits beside this Python, which
    # is not on PATH when the environment is used without activating it
    if shutil.which("ninja") is None:
        try:
            import ninja
        except ImportError:
            return
        os.environ["PATH"] = ninja.BIN_DIR + os.pathsep + os.environ.get("PATH", "")


@functools.cache
def load():
    """The compiled module, or ``None`` where it cannot be built or ``GTZAN_KERNELS=0``.

    Builds it on the first call on a machine (a one-line message says so); a failed
    build warns once and leaves the Python code in charge.
    """
    if os.environ.get("GTZAN_KERNELS", "1") == "0" or not sys.platform.startswith("linux"):
        return None
    name = _build_name()
    folder = _build_root() / name
    try:
        # importing the builder costs about a second: only when there is something to build
        module = _import_built(name, folder)
        if module is not None:
            return module
        from torch.utils.cpp_extension import load as build

        _put_ninja_on_path()

        print(f"gtzan_helpers: compiling the training kernels once for this machine "
              f"(about 30 s) into {folder}", file=sys.stderr)
        folder.mkdir(parents=True, exist_ok=True)
        return build(name=name, sources=[str(SOURCE)], build_directory=str(folder),
                     extra_cflags=["-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno"], verbose=False)
    except Exception as error:  # no compiler, no ninja, headers missing...
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        warnings.warn(f"gtzan_helpers: training kernels not built ({first_line}); "
                      "using the slower Python step, same results", stacklevel=2)
        return None


@functools.cache
def adam_width() -> int:
    """The float vector width of PyTorch's fused Adam, if the compiled Adam matches it here, else 0.

    ``at::_fused_adam_`` computes the bulk of a tensor in vectors of 8 or 16 floats (by
    CPU) and the rest one by one, with the multiply-adds fused differently; ``kernels.cpp``
    copies both. A few steps on random numbers find, once per process, the width with
    which the copy is bit-exact with this PyTorch on this CPU; where none is, the compiled
    epoch calls PyTorch's Adam.
    """
    module = load()
    if module is None:
        return 0
    return next((width for width in (16, 8) if _adam_matches(module, width)), 0)


def _adam_matches(module, width: int) -> bool:
    generator = torch.Generator().manual_seed(0)
    n, size = 2, 16 * 60 + 11  # a body, and a tail whose length depends on the width
    flat = torch.randn(n, size, generator=generator)
    ours, moments = flat.clone(), [torch.zeros(n, size) for _ in range(4)]
    steps, counts = [torch.zeros(()) for _ in range(n)], torch.zeros(n)
    copies = torch.empty(n, size, dtype=torch.bfloat16)
    with torch.no_grad():
        for _ in range(5):
            grad = (torch.randn(n, size, generator=generator) * 1e-2).bfloat16()
            torch._foreach_add_(steps, 1)
            torch._fused_adam_(list(flat), list(grad.float()), list(moments[0]), list(moments[1]),
                               [], steps, lr=1e-3, beta1=0.9, beta2=0.999, weight_decay=0.0,
                               eps=1e-8, amsgrad=False, maximize=False)
            module.adam_rows(ours, grad, moments[2], moments[3], counts, list(range(n)),
                             [copies], [0, size], 1e-3, 0.9, 0.999, 1e-8, width)
    return (torch.equal(flat, ours) and torch.equal(moments[0], moments[2])
            and torch.equal(moments[1], moments[3]) and torch.equal(copies, ours.bfloat16()))


@functools.cache
def output_layer_by_hand() -> bool:
    """Whether the compiled output-layer products give oneDNN's bits here.

    The output layer has one unit, so its three products per step are tiny and cost
    oneDNN's per-call overhead only; ``kernels.cpp`` computes them as oneDNN's
    AVX512-BF16 kernels do (a float32 multiply-add chain over pairs, denormals flushed).
    A check once per process (random numbers over a wide range, odd sizes, a sum whose
    result depends on the order) confirms that this PyTorch on this CPU computes them
    so (it might use other kernels, AMX for one); where it does not, the compiled epoch
    calls ``torch.bmm``.
    """
    module = load()
    if module is None:
        return False
    generator = torch.Generator().manual_seed(0)

    def wide(*shape):  # magnitudes over many octaves, a few below bfloat16's normal range
        x = torch.randn(*shape, generator=generator)
        return (x * torch.exp(3 * torch.randn(*shape, generator=generator))).bfloat16()

    # a sum that comes out 0 in this order, and otherwise -2**-24 added one by one or
    # -2**-23 with each pair added first
    order = torch.tensor([-1.0, -1.5 * 2 ** -24, 1.0, 2 ** -24])
    # 3 x 37 rows, and 32 rows of one network: the smallest product the compiled epoch
    # computes by hand (a smaller one goes to at::bmm, as ATen sends it past oneDNN)
    for N, B in [(3, 37), (1, 32)]:
        h, w, g = wide(N, B, 129), wide(N, 129, 1), wide(N, B, 1)
        h[0, 0, :5] = torch.tensor([1e-39, -1e-39, 5e-39, 1e-40, 0.0])
        h[-1, 1], h[-1, 1, :4], w[-1] = 0, order, 1  # a row of h
        h[0, :, 5], h[0, 2:6, 5], g[0] = 0, order, 1  # a column, over rows
        with torch.no_grad():
            logits, grad, back = module.unit_products(h, w, g)
            if not (torch.equal(logits, torch.bmm(h, w)[..., 0].float())
                    and torch.equal(grad, torch.bmm(h.transpose(1, 2), g))
                    and torch.equal(back, torch.bmm(g, w.transpose(1, 2)))):
                return False
    return True
