"""Re-execute the notebooks and render them as a static HTML report.

``python -m gtzan_helpers.app.report`` (what ``make report`` runs) executes
``notebooks/00_start_here.ipynb`` … ``10_ten_genres.ipynb`` with papermill — kernel
``python3`` of the running interpreter, working directory ``notebooks/`` — two at a
time, each kernel on one thread (see :func:`side_by_side_environment`), saves each
executed notebook in place, and writes ``report/index.html`` with one page per
notebook and one for the glossary.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import os
import sys
import time
from pathlib import Path

from joblib import cpu_count

from .. import paths
from .notebooks import NOTEBOOKS, READS_OTHERS, start_order

# papermill, nbformat, nbconvert and mistune (the optional ``report`` extra) are imported
# where they are used, and so is .readme, whose numbers import scikit-learn and SciPy
# (seconds): the test run's controller reads only the notebooks' order here.

LANES = 2
"""Notebooks run side by side, by ``make report`` and by ``make test`` (``pytest -n 2``).

Most of a notebook's time is small networks, which two threads of one process share
poorly; two notebooks, each on one thread, keep two cores busy."""


def side_by_side_environment(lanes: int = LANES) -> dict[str, str]:
    """The environment of a notebook's kernel when ``lanes`` notebooks run at a time.

    PyTorch, OpenMP and the BLAS libraries get one thread, so that the numbers do not
    depend on the machine's core count and two kernels never wait on each other's
    spinning threads; joblib (:func:`gtzan_helpers.fast.parallel.map_jobs`) is told
    of the kernel's share of the cores, so that it starts workers only where cores are
    free for them.
    """
    share = max(1, cpu_count() // max(1, lanes))
    return {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
            "LOKY_MAX_CPU_COUNT": str(share)}


def _strip_run_metadata(path: Path) -> None:
    """Drop papermill's timestamps and durations, so that an unchanged re-run leaves the
    committed notebook unchanged too."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    notebook.metadata.pop("papermill", None)
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nbformat.write(notebook, path)


@contextlib.contextmanager
def _kernel_log(path: Path):
    """Send what the kernel process writes to stderr (start-up notices) to ``path``, not the terminal.

    The log is removed when the block succeeds and kept for reading when it fails.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "wb") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    path.unlink()


KERNELS_FILE = "cpu_kernels.txt"
"""In the results folder: the kernels that made the committed numbers (:func:`cpu_kernels`: ``AVX2``, ``AVX512``…, or
``CUDA``), written by a run of the report in which every notebook ran: ``make portability``
re-creates them with AVX2 kernels only where that is news, on a CPU with AVX-512 when the
committed numbers came from AVX-512 too."""


def cpu_kernels() -> str:
    """The kernels the notebooks' networks use here: the CPU's, as
    ``torch.backends.cpu.get_cpu_capability`` names them (``AVX2``, ``AVX512``…), or the GPU's
    device type (``CUDA``) where :func:`gtzan_helpers.loop.choose_device` picks one."""
    import torch  # only to ask: the runner's own work needs no PyTorch

    from ..loop import choose_device

    device = choose_device()
    return torch.backends.cpu.get_cpu_capability() if device.type == "cpu" else device.type.upper()


def run_notebook(name: str, kernel: str = "python3") -> float:
    """Execute one notebook with papermill and save it over the committed copy.

    The notebook is written to a temporary file first and moved into place only when
    it ran without error, so a failed run leaves the committed notebook untouched.

    Returns
    -------
    float
        Seconds it took.

    Raises
    ------
    RuntimeError
        When a cell fails: the notebook, the cell and the error in one line.
    """
    import papermill as pm

    notebooks = paths.NOTEBOOKS_DIR
    source = notebooks / f"{name}.ipynb"
    scratch = notebooks / f".{name}.running.ipynb"
    start = time.perf_counter()
    try:
        with _kernel_log(notebooks / f".{name}.kernel.log"):
            pm.execute_notebook(str(source), str(scratch), kernel_name=kernel,
                                cwd=str(notebooks), progress_bar=False)
    except pm.PapermillExecutionError as exc:
        raise RuntimeError(f"{source.relative_to(paths.root())}: failed in cell {exc.exec_count}: "
                           f"{exc.ename}: {exc.evalue} (executed copy kept at {scratch}, the "
                           f"kernel's log at .{name}.kernel.log)") from None
    except Exception as exc:  # a kernel that died or timed out, a missing kernel
        raise RuntimeError(f"{source.relative_to(paths.root())}: {type(exc).__name__}: {exc} (the kernel's "
                           f"log at .{name}.kernel.log)") from None
    _strip_run_metadata(scratch)
    scratch.replace(source)
    return time.perf_counter() - start


def run_notebooks(names=NOTEBOOKS, *, kernel: str = "python3", lanes: int = LANES) -> dict[str, float]:
    """Execute notebooks ``lanes`` at a time (:func:`run_notebook` each), saving each in place.

    They start in :func:`start_order`; one that reads the results of others
    (:data:`READS_OTHERS`) waits for those among ``names`` and starts as soon as they are
    done, and does not run when one of them failed. Every other notebook runs, whichever
    failed.

    Returns
    -------
    dict
        Notebook name → seconds it took.

    Raises
    ------
    SystemExit
        After all have run, when any failed: one line for each.
    """
    lanes = max(1, min(lanes, cpu_count(), len(names)))
    os.environ.update(side_by_side_environment(lanes))  # the kernels inherit it
    waiting, running = start_order(names), {}
    seconds, failed, problems = {}, set(), []
    with concurrent.futures.ProcessPoolExecutor(lanes) as pool:
        while waiting or running:
            # a reader whose sources are done goes first: it could not start before them, and
            # should not start later still
            for name in sorted(waiting, key=lambda waiter: waiter not in READS_OTHERS):
                needs = set(READS_OTHERS.get(name, ())) & set(names)
                if needs & failed:
                    waiting.remove(name)
                    problems.append(f"notebooks/{name}.ipynb: not run, as "
                                    f"{', '.join(sorted(needs & failed))} failed")
                elif len(running) < lanes and needs <= set(seconds):
                    waiting.remove(name)
                    print(f"running notebooks/{name}.ipynb …", flush=True)
                    running[pool.submit(run_notebook, name, kernel)] = name
            if not running:
                if waiting:  # nothing can start: READS_OTHERS has a circle
                    raise RuntimeError(f"notebooks that wait on each other: {', '.join(waiting)}")
                break
            done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                name = running.pop(future)
                try:
                    seconds[name] = future.result()
                except RuntimeError as exc:
                    failed.add(name)
                    problems.append(str(exc))
                    print(f"  {exc}", flush=True)
                else:
                    print(f"  {name} done in {seconds[name]:.1f} s", flush=True)
    if set(seconds) == set(NOTEBOOKS):  # every committed number made here, by these kernels
        (paths.RESULTS_DIR / KERNELS_FILE).write_text(cpu_kernels() + "\n")
    if problems:
        raise SystemExit("\n".join(problems))
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", default=list(NOTEBOOKS),
                        help="notebook names to run (default: all, two at a time)")
    parser.add_argument("--no-run", action="store_true", help="only render the HTML report")
    args = parser.parse_args(argv)
    unknown = [n for n in args.notebooks if n not in NOTEBOOKS]
    if unknown:
        parser.error(f"unknown notebook(s): {', '.join(unknown)}")
    start = time.perf_counter()
    if not args.no_run:
        run_notebooks(args.notebooks)
    from .pages import render_html
    from .readme import update_readme

    if update_readme():
        print("README.md results table updated")
    index = render_html()
    print(f"report written to {index.relative_to(paths.root())} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
