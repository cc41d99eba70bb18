"""Work spread over processes and stacks: same order, one thread each, same numbers."""

import multiprocessing
import os

import pandas as pd
import pytest
import torch

from gtzan_helpers.evaluation import cross_validate, sweep
from gtzan_helpers.parallel import map_jobs


def threads_and_square(x):
    return torch.get_num_threads(), x * x


@pytest.mark.parametrize("n_jobs", [1, 2, -1, None])
def test_results_in_order_each_on_one_thread(n_jobs):
    before = torch.get_num_threads()
    results = map_jobs(threads_and_square, range(5), n_jobs=n_jobs)
    assert [square for _, square in results] == [0, 1, 4, 9, 16]
    assert {threads for threads, _ in results} == {1}
    assert torch.get_num_threads() == before


def test_sweep_numbers_do_not_depend_on_the_workers(table):
    runs = [sweep(table, "batch_size", [64, 128], splits=["track"], n_splits=3, max_epochs=2,
                  patience=None, n_jobs=n_jobs)[1].drop(columns="seconds") for n_jobs in (1, 2)]
    pd.testing.assert_frame_equal(*runs)


def test_both_protocols_in_one_stack_equal_separate_runs(table):
    together = cross_validate(table, split=("segment", "track"), n_splits=3, max_epochs=3)
    for split in ("segment", "track"):
        alone = cross_validate(table, split=split, n_splits=3, max_epochs=3)
        pd.testing.assert_frame_equal(together[split].drop(columns="seconds"),
                                      alone.drop(columns="seconds"))


def pid(_):
    return os.getpid()


def pid_once_both_wait(barrier):
    # neither process can finish its item before the other has taken one
    barrier.wait(timeout=60)
    return os.getpid()


def test_this_process_and_a_worker_share_the_items():
    barrier = multiprocessing.get_context("fork").Barrier(2)
    pids = map_jobs(pid_once_both_wait, [barrier, barrier], n_jobs=2)
    assert os.getpid() in pids and len(set(pids)) == 2


def test_jobs_for_another_device_stay_in_this_process():
    # a forked CUDA context is unusable: runs meant for any non-CPU device are not forked
    assert set(map_jobs(pid, range(3), n_jobs=2, device="meta")) == {os.getpid()}


def fail_in_the_worker(job):
    barrier, parent, how = job
    barrier.wait(timeout=60)
    if os.getpid() != parent:
        if how == "raise":
            raise ValueError("bad item")
        os._exit(3)
    return 0


@pytest.mark.parametrize("how, error, message", [("raise", ValueError, "bad item"),
                                                  ("die", RuntimeError, "exit code 3")])
def test_a_workers_failure_is_raised_here(how, error, message):
    barrier, before = multiprocessing.get_context("fork").Barrier(2), torch.get_num_threads()
    with pytest.raises(error, match=message):
        map_jobs(fail_in_the_worker, [(barrier, os.getpid(), how)] * 2, n_jobs=2)
    assert torch.get_num_threads() == before
