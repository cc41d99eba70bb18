"""The study's batch-size sweep: the plain recipe against the fast path, in one run.

    python benchmarks/bench_training.py [--protocol segment|track] [--device cpu|cuda]

Both run the same work — batch sizes 32, 64, 128 and 256, 5-fold cross-validation,
early stopping with patience 3 — on the same folds, in turn: the plain recipe trains fold after fold with a DataLoader and autograd
(:func:`gtzan_helpers.loop.fit`, ``engine="plain"``) on one thread, its fastest and steadiest setting
on 2 cores (small steps gain nothing from a second thread); the fast path is
:func:`gtzan_helpers.evaluation.sweep` as the notebooks call it — the five folds of a
setting trained together in float32 (``engine="stacked"``: :func:`gtzan_helpers.fast.fit_many`),
the settings spread over the cores by joblib (its worker processes start in the first
run and are reused). The two take turns, ``--repeats`` times each (default 3), so that
both meet the same moments of a shared machine; the benchmark prints every wall
time, the ratio of the medians and both mean accuracies (the same in every repeat: the
runs are seeded).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from gtzan_helpers.data import load_feature_table
from gtzan_helpers.evaluation import sweep
from gtzan_helpers.recipe import RECIPE
from gtzan_helpers.training import choose_device

BATCH_SIZES = (32, 64, 128, 256)


def timed_sweep(table, engine: str, protocol: str, n_jobs=None) -> tuple[float, float]:
    start = time.perf_counter()
    summary, _ = sweep(table, "batch_size", BATCH_SIZES, protocols=[protocol], engine=engine, n_jobs=n_jobs)
    return time.perf_counter() - start, float(summary["accuracy"].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=("segment", "track"), default="segment")
    parser.add_argument("--device", default=None, help="torch device (default: automatic)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each (default 3)")
    args = parser.parse_args()
    if args.device:  # the package's device choice reads it (worker processes inherit it)
        os.environ["GTZAN_DEVICE"] = args.device
    table = load_feature_table()
    for engine in ("stacked", "plain"):  # warm-up: first calls pay for lazy initialisation
        sweep(table, "batch_size", [256], protocols=[args.protocol], recipe=RECIPE.replace(max_epochs=1),
              engine=engine, n_jobs=1)
    one_s, _ = timed_sweep(table, "stacked", args.protocol, n_jobs=1)
    plain, fast = [], []
    for _ in range(args.repeats):
        plain.append(timed_sweep(table, "plain", args.protocol, n_jobs=1))
        fast.append(timed_sweep(table, "stacked", args.protocol, n_jobs=-1))
    (plain_s, plain_acc), (fast_s, fast_acc) = (
        (statistics.median(s for s, _ in runs), runs[0][1]) for runs in (plain, fast))
    device = choose_device(args.device)
    print(f"batch-size sweep ({', '.join(map(str, BATCH_SIZES))}) x 5 folds, {args.protocol} protocol, "
          f"{device}, {os.cpu_count()} cores, "
          f"float32; "
          f"median of {args.repeats} runs each, taking turns")

    def runs(times):
        return ", ".join(f"{s:.2f}" for s, _ in times)

    print(f"  plain recipe (DataLoader + autograd, fold by fold, 1 thread): {plain_s:6.2f} s "
          f"({runs(plain)}), mean accuracy {100 * plain_acc:.2f} %")
    print(f"  fast path (folds together, settings across cores)           : {fast_s:6.2f} s "
          f"({runs(fast)}), mean accuracy {100 * fast_acc:.2f} %")
    print(f"  (fast path in one process, settings one after the other: {one_s:.2f} s, "
          f"{plain_s / one_s:.1f}x)")
    print(f"  ratio {plain_s / fast_s:.1f}x, accuracy difference "
          f"{100 * (fast_acc - plain_acc):+.2f} points")


if __name__ == "__main__":
    main()
