"""Feature extraction: the plain recipe against the fast path, side by side in one run.

    python benchmarks/bench_features.py [--clips N] [--jobs J]

Both recipes extract the same shipped clips in this process on one thread (after
one warm-up segment each, so that JIT compilation is not timed); the fast path is
then also run across J worker processes. Prints seconds per 30-second clip, the ratios, and
whether the numbers are identical.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from threadpoolctl import threadpool_limits

from gtzan_helpers.features.audio import find_audio_files, load_audio
from gtzan_helpers.features import compute_clip_features, extract_files, SEGMENT_LENGTH
from gtzan_helpers.paths import AUDIO_DIR


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=28, help="how many shipped clips (default 28)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="workers for the parallel run")
    parser.add_argument("--repeats", type=int, default=2, help="passes per recipe; the fastest counts")
    args = parser.parse_args()

    files = find_audio_files(AUDIO_DIR)[: args.clips]
    clips = [load_audio(f) for f in files]
    for recipe in ("plain", "fast"):  # warm-up: numba compilation, librosa's filter caches
        compute_clip_features(clips[0][:SEGMENT_LENGTH], method=recipe)

    seconds, tables = {"plain": np.inf, "fast": np.inf}, {}
    with threadpool_limits(1):  # one core each, as in the parallel run's workers
        for _ in range(args.repeats):
            for recipe in ("plain", "fast"):
                start = time.perf_counter()
                tables[recipe] = np.vstack([compute_clip_features(y, method=recipe) for y in clips])
                seconds[recipe] = min(seconds[recipe], time.perf_counter() - start)
    start = time.perf_counter()
    parallel, errors = extract_files(files, n_jobs=args.jobs)  # includes worker start-up
    seconds["parallel"] = time.perf_counter() - start
    assert not errors, errors

    n = len(files)
    print(f"feature extraction, {n} clips of 30 s, {os.cpu_count()} cores")
    print(f"  plain recipe, 1 process : {seconds['plain'] / n:6.3f} s per clip")
    print(f"  fast path,    1 process : {seconds['fast'] / n:6.3f} s per clip"
          f"   ratio {seconds['plain'] / seconds['fast']:.1f}x")
    print(f"  fast path, {args.jobs:2d} processes : {seconds['parallel'] / n:6.3f} s per clip"
          f"   ratio {seconds['plain'] / seconds['parallel']:.1f}x (worker start-up included)")
    same = np.array_equal(tables["plain"], tables["fast"])
    same_parallel = np.array_equal(tables["fast"], parallel.iloc[:, 1:].to_numpy())
    print(f"  identical numbers: plain vs fast {same}, fast vs parallel {same_parallel}")


if __name__ == "__main__":
    main()
