"""Work spread over processes with joblib: same order, one thread each, same numbers."""

import os

import pandas as pd
import pytest

import torch

from gtzan_helpers.evaluation import NetworkCandidate, cross_validate, sweep
from gtzan_helpers.fast.parallel import map_jobs
from gtzan_helpers.honest.candidates import study_mlp
from gtzan_helpers.recipe import RECIPE


def threads_and_square(x):
    return torch.get_num_threads(), x * x, os.getpid()


@pytest.mark.parametrize("n_jobs", [1, 2, None])
def test_results_in_order_each_on_one_thread(n_jobs):
    before = torch.get_num_threads()
    results = map_jobs(threads_and_square, range(5), n_jobs=n_jobs)
    assert [square for _, square, _ in results] == [0, 1, 4, 9, 16]
    assert {threads for threads, _, _ in results} == {1}
    assert torch.get_num_threads() == before
    if n_jobs == 1:
        assert {pid for _, _, pid in results} == {os.getpid()}


def sleep_and_pid(seconds):
    import time

    time.sleep(seconds)
    return os.getpid()


def test_short_jobs_stay_here_and_long_ones_go_to_workers(monkeypatch):
    from gtzan_helpers.fast import parallel
    from gtzan_helpers.fast.parallel import Workers

    workers = Workers()
    monkeypatch.setattr(parallel, "cpu_count", lambda: 2)
    monkeypatch.setenv("LOKY_MAX_CPU_COUNT", "2")  # two cores for joblib too, whatever the run set
    # four jobs of 10 ms: two workers would save 15 ms, far less than their start-up
    assert set(map_jobs(sleep_and_pid, [0.01] * 4, workers=workers)) == {os.getpid()}
    assert not workers.warm
    # with a start-up cost of nothing, the jobs after the two timed here go to the workers
    monkeypatch.setattr(parallel, "WORKER_START_SECONDS", 0.0)
    pids = map_jobs(sleep_and_pid, [0.05] * 4, workers=workers)
    assert pids[:2] == [os.getpid()] * 2 and os.getpid() not in pids[2:]
    assert workers.warm
    # once started, workers are used for the next call given the same record, whatever its size
    monkeypatch.setattr(parallel, "WORKER_START_SECONDS", 1e9)
    assert os.getpid() not in map_jobs(sleep_and_pid, [0.0] * 4, workers=workers)
    # a record of its own, or one forgotten, lets a call decide from its own jobs again
    assert set(map_jobs(sleep_and_pid, [0.0] * 4, workers=Workers())) == {os.getpid()}
    workers.forget()
    assert set(map_jobs(sleep_and_pid, [0.0] * 4, workers=workers)) == {os.getpid()}


def test_calls_without_a_record_share_the_processs(monkeypatch):
    # what a notebook's sweeps do: the second finds the workers the first started
    from gtzan_helpers.fast import parallel
    from gtzan_helpers.fast.parallel import Workers

    monkeypatch.setattr(parallel, "WORKERS", Workers())
    map_jobs(threads_and_square, range(3), n_jobs=1)
    assert not parallel.WORKERS.warm
    map_jobs(threads_and_square, range(3), n_jobs=2)
    assert parallel.WORKERS.warm
    assert Workers(idle_seconds=0.0).warm is False
    parallel.WORKERS.used_at -= parallel.WORKERS.idle_seconds  # idle long enough to have ended
    assert not parallel.WORKERS.warm


def test_sweep_numbers_do_not_depend_on_the_workers(table, monkeypatch):
    from gtzan_helpers.fast import parallel

    spread = []   # the n_jobs of every call that handed jobs to worker processes
    real_spread = parallel._spread
    monkeypatch.setattr(parallel, "_spread", lambda fn, items, n_jobs, *rest: spread.append(n_jobs)
                        or real_spread(fn, items, n_jobs, *rest))
    runs = [sweep(table, "batch_size", [64, 128], protocols=["track"], n_splits=3,
                  recipe=RECIPE.replace(max_epochs=2, patience=None), n_jobs=n_jobs)[1] for n_jobs in (1, 2)]
    assert spread == [2]   # one run here, one in two workers
    pd.testing.assert_frame_equal(*runs)


def test_both_protocols_in_one_stack_equal_separate_runs(table):
    network = {"MLP": NetworkCandidate(RECIPE.replace(max_epochs=3))}
    together = cross_validate(table, network, protocol=("segment", "track"), n_splits=3)
    for protocol in ("segment", "track"):
        alone = cross_validate(table, network, protocol=protocol, n_splits=3)
        pd.testing.assert_frame_equal(together[together.protocol == protocol].reset_index(drop=True),
                                      alone)


def test_jobs_for_another_device_stay_in_this_process():
    # a GPU is shared by running its jobs here, one after another
    assert {pid for *_, pid in map_jobs(threads_and_square, range(3), n_jobs=2, device="meta")} \
        == {os.getpid()}


def test_a_dask_cluster_gives_the_numbers_of_one_process(table):
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    small = table.subset(range(0, len(table), 2))
    candidates = {"study MLP": study_mlp(RECIPE.replace(batch_size=256))}
    here = cross_validate(small, candidates, n_splits=3, n_repeats=1, n_jobs=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster), parallel_config(backend="dask"):
        remote = cross_validate(small, candidates, n_splits=3, n_repeats=1)
    pd.testing.assert_frame_equal(here, remote)


@pytest.mark.parametrize("terminal", [True, False])
def test_a_progress_bar_only_where_someone_watches(monkeypatch, terminal):
    import io

    import gtzan_helpers.fast.parallel as parallel

    class Screen(io.StringIO):
        def isatty(self):
            return terminal

    screen = Screen()
    monkeypatch.setattr(parallel.sys, "stderr", screen)
    assert [r[1] for r in map_jobs(threads_and_square, [1, 2, 3], n_jobs=1, progress="squaring")] == [1, 4, 9]
    assert ("squaring" in screen.getvalue() and "3/3" in screen.getvalue()) == terminal
    assert terminal or screen.getvalue() == ""


def test_a_worker_ends_soon_after_its_parent_is_killed():
    import signal
    import subprocess
    import sys
    import time

    child = ("import os, time; from gtzan_helpers.workers import end_with_parent; "
             "assert end_with_parent(os.getppid(), poll_seconds=0.1); time.sleep(60)")
    parent = subprocess.Popen([sys.executable, "-c", f"import subprocess, sys, time; "
                               f"c = subprocess.Popen([sys.executable, '-c', {child!r}]); "
                               "print(c.pid, flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    worker = int(parent.stdout.readline())
    time.sleep(1.0)  # the worker has imported the package and watches
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(50):
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(worker, signal.SIGKILL)
        pytest.fail("the worker outlived its parent by 5 s")
