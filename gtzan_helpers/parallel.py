"""Independent training jobs spread over the CPU cores, one thread each.

A sweep is many independent cross-validation runs. Small networks use two cores
poorly from inside one process (every step is dozens of short operations, each
split between threads and joined again), but two processes, each on one core,
run two jobs side by side at full speed. Every job runs on exactly one thread,
in a worker or here, so its numbers do not depend on how many workers there are.
Used by :func:`gtzan_helpers.evaluation.sweep` and :func:`~gtzan_helpers.evaluation.repeated_cv`.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor

import torch
from threadpoolctl import threadpool_limits

from . import kernels
from .training import choose_device


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _one_thread() -> None:
    # PyTorch's own pool and the OpenMP pools of the libraries; the BLAS libraries come
    # limited from the parent (setting OpenBLAS's limit in a forked child restarts its
    # thread pool, whose new threads spin for a while on the other worker's core)
    torch.set_num_threads(1)
    threadpool_limits(1, user_api="openmp")


def _call_single_threaded(fn: Callable, item):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            return fn(item)
    finally:
        torch.set_num_threads(threads)


def map_jobs(fn: Callable, items: Iterable, *, n_jobs: int | None = None, device=None) -> list:
    """``[fn(item) for item in items]``, each call on one thread, ``n_jobs`` at a time.

    Parameters
    ----------
    fn : callable
        A module-level function (workers receive it by reference).
    items : iterable
        Its arguments; results come back in the same order.
    n_jobs : int, optional
        Worker processes; ``None`` or a negative number: :func:`default_jobs`. With 1,
        off Linux (workers are forked, which macOS and Windows do not support safely), or
        when the jobs' device is a GPU or CUDA is in use (a forked CUDA context is
        unusable), the calls run here one after another.
    device : str or torch.device, optional
        The jobs' torch device; default :func:`gtzan_helpers.training.choose_device`.

    Returns
    -------
    list
    """
    items = list(items)
    n_jobs = min(default_jobs() if not n_jobs or n_jobs < 0 else n_jobs, len(items))
    on_gpu = choose_device(device).type != "cpu" or torch.cuda.is_initialized()
    if n_jobs <= 1 or not sys.platform.startswith("linux") or on_gpu:
        return [_call_single_threaded(fn, item) for item in items]
    # fork: the workers start in milliseconds with the parent's imports (the training
    # kernels among them: built or loaded here once, not in each worker), and with its
    # BLAS libraries limited to one thread here
    kernels.load()
    context = multiprocessing.get_context("fork")
    with threadpool_limits(1), ProcessPoolExecutor(n_jobs, mp_context=context,
                                                   initializer=_one_thread) as pool:
        return list(pool.map(fn, items))
