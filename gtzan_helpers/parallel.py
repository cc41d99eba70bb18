"""Independent training jobs spread over processes with joblib, one thread each.

A sweep is many independent cross-validation runs. Small networks use two cores
poorly from inside one process (every step is dozens of short operations, each
split between threads and joined again), but two processes, each on one core, run
two jobs side by side at full speed. Every job runs on exactly one thread, wherever
it runs, so its numbers do not depend on how many processes share the work.

joblib chooses the processes: its default ``loky`` backend on Linux, macOS and
Windows, or any backend a caller sets with :func:`joblib.parallel_config` — e.g. a
Dask cluster::

    from distributed import Client
    from joblib import parallel_config

    with Client("scheduler-address:8786"), parallel_config(backend="dask"):
        summary, folds = sweep(table, "batch_size", [32, 64, 128, 256])

Used by :func:`gtzan_helpers.evaluation.sweep` and :func:`~gtzan_helpers.evaluation.repeated_cv`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

import torch
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from .training import choose_device


@contextlib.contextmanager
def one_thread():
    """PyTorch's intra-op pool and the BLAS/OpenMP pools limited to one thread, then restored."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(threads)


def _call_on_one_thread(fn: Callable, item):
    with one_thread():
        return fn(item)


def map_jobs(fn: Callable, items: Iterable, *, n_jobs: int | None = None, device=None) -> list:
    """``[fn(item) for item in items]``, each call on one thread, spread by joblib.

    Parameters
    ----------
    fn : callable
        A function joblib can send to another process (defined at module level).
    items : iterable
        Its arguments; results come back in the same order.
    n_jobs : int, optional
        Processes at work; ``None`` or ``-1``: one per core (or per worker of the
        backend set with :func:`joblib.parallel_config`); 1 runs the calls here.
    device : str or torch.device, optional
        The jobs' torch device (default :func:`gtzan_helpers.training.choose_device`);
        jobs for a GPU run here one after another, sharing it.

    Returns
    -------
    list
    """
    if choose_device(device).type != "cpu":
        n_jobs = 1
    return Parallel(n_jobs=-1 if n_jobs is None else n_jobs)(
        delayed(_call_on_one_thread)(fn, item) for item in items)
