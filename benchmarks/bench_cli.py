"""The study's batch-size sweep as a user runs it: whole processes, from a cold start.

    python benchmarks/bench_cli.py [--repeats 3]

Times, taking turns, each as a fresh process:

- ``imports``: the imports every run pays (the package's core, PyTorch, scikit-learn,
  pandas) and nothing else;
- ``plain``: the plain recipe (DataLoader + autograd, fold after fold, one process) on
  the sweep: batch sizes 32, 64, 128 and 256, 5 segment-random folds;
- ``gtzan evaluate … --jobs 1`` and ``gtzan evaluate …`` with its default workers: the
  same settings and folds from the command line, through the honest candidates (the fast
  stacked trainer, early stopping on an inner validation split).

and prints the median of each and the ratios, with the common imports set aside.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "data" / "audio_gtzan.csv"
SWEEP = "32,64,128,256"
IMPORTS = "import gtzan_helpers.evaluation, gtzan_helpers.honest, gtzan_helpers.stats"
PLAIN = ("from gtzan_helpers.data import load_feature_table; from gtzan_helpers.evaluation import sweep; "
         f"sweep(load_feature_table(), 'batch_size', [{SWEEP}], protocols=['segment'], engine='plain', "
         "n_jobs=1)")
EVALUATE = [sys.executable, "-m", "gtzan_helpers", "evaluate", str(TABLE), "--protocol", "segment",
            "--batch-size", SWEEP]
COMMANDS = {
    "imports": [sys.executable, "-c", IMPORTS],
    "plain recipe": [sys.executable, "-c", PLAIN],
    "gtzan evaluate --jobs 1": [*EVALUATE, "--jobs", "1"],
    "gtzan evaluate (default workers)": EVALUATE,
}


def timed(command) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each (default 3)")
    args = parser.parse_args()
    timed(COMMANDS["imports"])  # warm the file cache once
    times = {name: [] for name in COMMANDS}
    for _ in range(args.repeats):
        for name, command in COMMANDS.items():
            times[name].append(timed(command))
    median = {name: statistics.median(t) for name, t in times.items()}
    common = median["imports"]
    print(f"the batch-size sweep ({SWEEP}) x 5 segment-random folds, whole processes, "
          f"median of {args.repeats} runs each, taking turns")
    for name, t in times.items():
        print(f"  {name:<34} {median[name]:6.2f} s ({', '.join(f'{s:.2f}' for s in t)})")
    plain = median["plain recipe"]
    for name in ("gtzan evaluate --jobs 1", "gtzan evaluate (default workers)"):
        print(f"  plain recipe / {name}: {plain / median[name]:.1f}x whole process, "
              f"{(plain - common) / (median[name] - common):.1f}x with the common imports "
              f"({common:.2f} s) set aside")


if __name__ == "__main__":
    main()
