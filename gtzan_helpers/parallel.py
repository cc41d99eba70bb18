"""Independent training jobs spread over the CPU cores, one thread each.

A sweep is many independent cross-validation runs. Small networks use two cores
poorly from inside one process (every step is dozens of short operations, each
split between threads and joined again), but two processes, each on one core,
run two jobs side by side at full speed. Every job runs on exactly one thread,
in a worker or here, so its numbers do not depend on how many workers there are.
Used by :func:`gtzan_helpers.evaluation.sweep` and :func:`~gtzan_helpers.evaluation.repeated_cv`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable

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


@contextlib.contextmanager
def _one_thread():
    # PyTorch's own pool, and the BLAS and OpenMP pools of the libraries. Forked workers
    # inherit these limits (setting OpenBLAS's limit in a forked child would restart its
    # thread pool, whose new threads spin for a while on another worker's core)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(threads)


def map_jobs(fn: Callable, items: Iterable, *, n_jobs: int | None = None, device=None) -> list:
    """``[fn(item) for item in items]``, each call on one thread, ``n_jobs`` at a time.

    This process works through the items too, beside ``n_jobs - 1`` forked workers;
    each takes the next item not yet taken whenever it is free, so a slow item does
    not hold up the rest.

    Parameters
    ----------
    fn : callable
        Any function; workers inherit it, and ``items``, from this process.
    items : iterable
        Its arguments; results come back in the same order.
    n_jobs : int, optional
        Processes at work, this one included; ``None`` or a negative number:
        :func:`default_jobs`. With 1, off Linux (workers are forked, which macOS and
        Windows do not support safely), or when the jobs' device is a GPU or CUDA is in
        use (a forked CUDA context is unusable), the calls run here one after another.
    device : str or torch.device, optional
        The jobs' torch device; default :func:`gtzan_helpers.training.choose_device`.

    Returns
    -------
    list

    Raises
    ------
    RuntimeError
        When a worker dies without an answer (killed, or out of memory); an exception
        raised by ``fn`` in a worker is raised here.
    """
    items = list(items)
    n_jobs = min(default_jobs() if not n_jobs or n_jobs < 0 else n_jobs, len(items))
    on_gpu = choose_device(device).type != "cpu" or torch.cuda.is_initialized()
    if n_jobs <= 1 or not sys.platform.startswith("linux") or on_gpu:
        with _one_thread():
            return [fn(item) for item in items]
    # the training kernels built or loaded here once, not in each worker
    kernels.load()
    with _one_thread():
        return _shared(fn, items, n_jobs - 1)


def _shared(fn: Callable, items: list, n_workers: int) -> list:
    """The items worked through by this process and ``n_workers`` forked ones."""
    context = multiprocessing.get_context("fork")
    taken = context.Value("q", 0)  # the next item nobody has taken
    workers = []
    try:
        for _ in range(n_workers):
            receive, send = context.Pipe(duplex=False)
            worker = context.Process(target=_worker, args=(fn, items, taken, send), daemon=True)
            worker.start()
            send.close()
            workers.append((worker, receive))
        results = dict(_work_through(fn, items, taken))
        for worker, receive in workers:
            try:
                answer = receive.recv()
            except EOFError:
                worker.join()
                raise RuntimeError(f"a worker process died without an answer "
                                   f"(exit code {worker.exitcode})") from None
            if isinstance(answer, BaseException):
                raise answer
            results.update(answer)
    except BaseException:
        _stop_taking(taken, len(items))
        for worker, _ in workers:
            worker.terminate()
        raise
    finally:
        for worker, _ in workers:
            worker.join()
    return [results[i] for i in range(len(items))]


def _work_through(fn: Callable, items: list, taken):
    """``(i, fn(items[i]))`` for each item this process takes, until none is left."""
    while True:
        with taken.get_lock():
            i = taken.value
            taken.value = i + 1
        if i >= len(items):
            return
        yield i, fn(items[i])


def _stop_taking(taken, n: int) -> None:
    with taken.get_lock():
        taken.value = n


def _worker(fn: Callable, items: list, taken, send) -> None:
    """A forked worker's life: its share of the items, sent back once at the end."""
    try:
        answer = dict(_work_through(fn, items, taken))
    except BaseException as error:  # the caller re-raises it; the others start nothing new
        _stop_taking(taken, len(items))
        answer = error
    try:
        send.send(answer)
    except Exception as error:  # an answer that cannot be pickled
        send.send(RuntimeError(f"a worker's answer could not be sent back: {error}"))
