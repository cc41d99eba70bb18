"""Independent training jobs spread over processes with joblib, one thread each, when that pays.

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
        summary, folds = sweep(table, "batch_size", [32, 64, 128, 256], n_jobs=-1)

Workers are not free: each of joblib's fresh worker processes imports PyTorch again
(several seconds), which is more than a short sweep from the command line takes on one
core. With ``n_jobs=None`` :func:`map_jobs` therefore runs the first two jobs here, times
the second (the first pays one-time costs), and hands the rest to workers only when the
time they would save exceeds their start-up. Once started, joblib keeps the workers
warm for reuse (its reusable executor, one per process), so later calls of the same
run (a notebook's) pay nothing: a :class:`Workers` record, which the caller can pass,
read and reset, says when workers were last used, as joblib has no public way to ask
whether its workers are still running. Where the jobs run never changes their results.

Used by :func:`gtzan_helpers.evaluation.cross_validate` (and so by sweeps) and the resampling
of :mod:`gtzan_helpers.honest`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterable

import torch
from joblib import Parallel, cpu_count, delayed
from threadpoolctl import threadpool_limits

from ..loop import choose_device
from ..workers import end_with_parent

WORKER_START_SECONDS = 8.0
"""What starting the workers costs: a fresh interpreter importing PyTorch, NumPy, pandas,
scikit-learn and the package (6–7 s on 2 cores without AVX-512, where ``gtzan evaluate``'s
sweep was slower with workers at 3 s), and the jobs' data sent to it."""

WORKERS_IDLE_SECONDS = 250.0
"""Workers used less than this long ago are taken as still running (joblib's reusable
executor lets idle workers go after 300 s)."""


class Workers:
    """When :func:`map_jobs` last handed jobs to worker processes, to tell whether they are warm.

    joblib keeps its workers for reuse but has no public way to ask whether they still
    run, so the calls that use them note it here, and a later call given the same
    record skips the timing that decides whether starting workers pays. The record
    decides only where jobs run, never what they return.

    Parameters
    ----------
    idle_seconds : float
        Workers used less than this long ago are taken as still running.

    Attributes
    ----------
    used_at : float or None
        ``time.monotonic()`` when a call last used workers; ``None``: never.
    """

    def __init__(self, idle_seconds: float = WORKERS_IDLE_SECONDS):
        self.idle_seconds = idle_seconds
        self.used_at: float | None = None

    @property
    def warm(self) -> bool:
        """Whether workers were used less than :attr:`idle_seconds` ago."""
        return self.used_at is not None and time.monotonic() - self.used_at < self.idle_seconds

    def used(self) -> None:
        """Note that workers ran jobs just now."""
        self.used_at = time.monotonic()

    def forget(self) -> None:
        """Take the workers as cold again: the next call decides from its own jobs."""
        self.used_at = None

    def __repr__(self) -> str:
        return f"Workers(warm={self.warm}, idle_seconds={self.idle_seconds})"


WORKERS = Workers()
"""The record of calls that pass none: joblib's reusable executor is one per process,
and so is this, so that a notebook's second sweep finds the workers its first started."""


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


def _call_on_one_thread(fn: Callable, item, dispatcher: int | None = None):
    if dispatcher is not None:  # in a worker: end with the process that handed out the work
        end_with_parent(dispatcher)
    with one_thread():
        return fn(item)


def map_jobs(fn: Callable, items: Iterable, *, n_jobs: int | None = None, device=None,
             progress: str | None = None, workers: Workers | None = None) -> list:
    """``[fn(item) for item in items]``, each call on one thread, spread by joblib when that pays.

    Parameters
    ----------
    fn : callable
        A function joblib can send to another process (defined at module level).
    items : iterable
        Its arguments; results come back in the same order.
    n_jobs : int, optional
        ``None``: decide from the jobs (see the module's notes): the first two run here, and
        the rest go to one worker per core only if that saves more than
        :data:`WORKER_START_SECONDS` (or ``workers`` are warm). ``-1``: one worker
        per core (or per worker of the backend set with :func:`joblib.parallel_config`,
        e.g. a Dask cluster) whatever the jobs; ``1`` runs every call here.
    device : str or torch.device, optional
        The jobs' torch device (default :func:`gtzan_helpers.loop.choose_device`);
        jobs for a GPU run here one after another, sharing it.
    progress : str, optional
        Show a progress bar with this label on stderr (tqdm), when stderr is a terminal.
    workers : Workers, optional
        Whether workers are warm, read by ``n_jobs=None`` and noted by every call that
        uses them; default :data:`WORKERS`, the process's. ``Workers()`` makes a call
        decide from its own jobs alone.

    Returns
    -------
    list
        The same whichever way the calls ran: every call runs on one thread.
    """
    items = list(items)
    bar = _bar(progress, len(items))
    try:
        return _map(fn, items, n_jobs, device, bar, WORKERS if workers is None else workers)
    finally:
        bar.close()


def _bar(label: str | None, total: int):
    """A tqdm bar on stderr, silent without a label or where stderr is not a terminal."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=label, unit="job", disable=label is None or not sys.stderr.isatty(),
                file=sys.stderr)


def _map(fn, items, n_jobs, device, bar, workers: Workers) -> list:
    def here(item):
        result = _call_on_one_thread(fn, item)
        bar.update()
        return result

    if choose_device(device).type != "cpu":
        n_jobs = 1
    if n_jobs is None:
        if len(items) < 2 or cpu_count() < 2:
            n_jobs = 1
        elif not workers.warm:
            # the first call pays one-time costs (lazy imports, first kernels), so the second
            # is the one timed
            done = [here(items[0])]
            start = time.perf_counter()
            done.append(here(items[1]))
            serial = (time.perf_counter() - start) * (len(items) - 2)
            n_workers = min(cpu_count(), max(1, len(items) - 2))
            if serial - serial / n_workers <= WORKER_START_SECONDS:
                return [*done, *(here(item) for item in items[2:])]
            return [*done, *_spread(fn, items[2:], -1, bar, workers)]
        else:
            n_jobs = -1
    if n_jobs == 1:
        return [here(item) for item in items]
    return _spread(fn, items, n_jobs, bar, workers)


def _spread(fn: Callable, items: list, n_jobs: int, bar, workers: Workers) -> list:
    results = []
    for result in Parallel(n_jobs=n_jobs, return_as="generator")(delayed(_call_on_one_thread)(fn, item, os.getpid())
                                                                  for item in items):
        results.append(result)
        bar.update()
    workers.used()
    return results
