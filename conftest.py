"""Settings for the whole test run, the notebooks that nbval re-executes included.

``make test`` runs two test processes (``pytest -n 2 --dist loadfile``). Each takes
whole files, so a notebook's cells run in order in one kernel, followed by the check
that its results match the committed ones (added here, after its last cell). The
notebooks come first, in the order in which the report starts them; the unit tests fill
the time left on both processes.

The notebooks that read other notebooks' results (08, 09) read the committed
``results/*.json`` here (``$GTZAN_SOURCE_RESULTS``, see
:func:`gtzan_helpers.results.run_results`), not the numbers this run re-creates: their own
numbers then follow from the committed inputs alone, whichever order the test processes run
the notebooks in, and are compared with their committed results like every other
notebook's, whose re-created numbers are checked after its own last cell.

``make unit`` runs the unit tests alone, without those marked ``slow``: the report's browser
tests (marked in their file) and those of :data:`SLOW`.
"""

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from gtzan_helpers.app.notebooks import NOTEBOOKS, start_order
from gtzan_helpers.app.report import side_by_side_environment
from gtzan_helpers.paths import CACHE_ENV, OUTPUT_ENV, RESULTS_DIR, notebook_outputs
from gtzan_helpers.results import SOURCES_ENV, load_results
from tests.tolerances import TRAINED_KINDS, compare_results, kinds

ROOT = Path(__file__).parent
TREE = pytest.StashKey[str | None]()   # the working tree as the run found it (_tree_state)

os.environ.setdefault("GTZAN_DEVICE", "cpu")  # tests run on the CPU even where a GPU exists
# Each test process and each notebook's kernel on one thread, as `make report` runs them
# (set before any of them imports PyTorch; the test processes and kernels inherit it).
os.environ.update(side_by_side_environment())
threadpool_limits(1)  # NumPy's BLAS, loaded by the imports above, had read its thread count already
# Notebooks re-executed by the tests (nbval's kernels inherit this environment) write
# their figures and results JSON to a fresh folder, never over the report's; the test
# processes of one run share the folder their parent made.
# So is the feature cache: the tests never read or fill the user's own.
if "PYTEST_XDIST_WORKER" not in os.environ:
    os.environ[OUTPUT_ENV] = tempfile.mkdtemp(prefix="gtzan-test-run-")
    os.environ[CACHE_ENV] = os.path.join(os.environ[OUTPUT_ENV], "feature-cache")
# Notebooks that read other notebooks' results (08, 09) read the committed ones, never this
# run's: what they compute does not depend on which notebooks ran before them.
os.environ[SOURCES_ENV] = str(RESULTS_DIR)

SLOW = (
    # Unit tests that took two seconds or more (pytest --durations, two test processes on two
    # cores), left out by `make unit` (-m "not slow"); `make test` runs them. Marked here by node
    # id, each with all its parameters (the browser tests carry the mark in their own file).
    "tests/test_extraction.py::test_parallel_run_equals_serial_run",
    "tests/test_extraction.py::test_fast_path_is_bit_identical_to_the_plain_recipe",
    "tests/test_parallel.py::test_results_in_order_each_on_one_thread",
    "tests/test_parallel.py::test_a_worker_ends_soon_after_its_parent_is_killed",
    "tests/test_parallel.py::test_a_dask_cluster_gives_the_numbers_of_one_process",
    "tests/test_parallel.py::test_short_jobs_stay_here_and_long_ones_go_to_workers",
    "tests/test_stacked.py::test_the_environment_variable_forces_the_public_fallbacks",
    "tests/test_cli.py::test_shipped_bundles_are_reproduced_by_gtzan_train",
    "tests/test_multiclass.py::test_gtzan_evaluate_on_kaggles_ten_genre_table_is_notebook_10s_ladder",
)


def pytest_configure(config):
    config.addinivalue_line("markers", "trained: a notebook whose numbers come from trained networks")
    config.addinivalue_line("markers", "slow: a unit test that `make unit` leaves out (two seconds or more)")


def _tree_state() -> str | None:
    """What git sees of the working tree: changed and untracked files, and what the changes hold
    (None outside a git checkout)."""
    try:
        listed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
        changes = subprocess.run(["git", "diff", "HEAD", "--binary"], cwd=ROOT, capture_output=True,
                                 check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return listed + hashlib.sha1(changes).hexdigest()


def pytest_sessionstart(session):
    if "PYTEST_XDIST_WORKER" not in os.environ:
        session.config.stash[TREE] = _tree_state()


def pytest_sessionfinish(session):
    if "PYTEST_XDIST_WORKER" in os.environ:
        return
    shutil.rmtree(os.environ[OUTPUT_ENV], ignore_errors=True)
    # a test run leaves the working tree as it found it: nothing changed, nothing left behind
    found, now = session.config.stash.get(TREE, None), _tree_state()
    if found is not None and now != found:
        left = sorted(set(now.splitlines()[:-1]) - set(found.splitlines()[:-1]))
        print(f"\nthe test run left the working tree changed (tests must leave it as it was): "
              f"{' '.join(left) or 'files that were changed before it'}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


class ResultsMatch(pytest.Item):
    """A notebook's results JSON, just written by its cells, against the committed one.

    Numbers from trained networks are compared within the tolerances of
    :data:`tests.tolerances.TOLERANCES`, everything else exactly.
    """

    def runtest(self):
        notebook = self.path.stem
        committed = _committed(notebook)
        if committed is None:
            raise AssertionError(f"{notebook}: no committed results/{notebook}.json")
        fresh = _fresh(notebook)
        if fresh is None:
            raise AssertionError(f"{notebook} wrote no results in this run (a cell above failed "
                                 "or did not run)")
        problems = compare_results(committed, fresh)
        assert not problems, f"{notebook}: " + "; ".join(problems)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}: results match the committed ones"


def _fresh(notebook: str) -> dict | None:
    """A notebook's results as this run wrote them (None where it wrote none)."""
    return _results(notebook, folder=notebook_outputs(notebook, {}).results)


def pytest_collection_modifyitems(config, items):
    """Notebooks in the report's start order, then the unit tests; after each
    notebook's last cell, the check of its results; every item of a notebook whose committed
    results hold trained networks' numbers marked ``trained`` (the portability pass runs those),
    and the unit tests of :data:`SLOW` marked ``slow``."""
    cells = {}
    for item in items:
        if item.path.suffix == ".ipynb":
            cells.setdefault(item.path.stem, []).append(item)
    report_order = start_order()
    order = [name for name in report_order if name in cells] + sorted(set(cells) - set(report_order))
    items[:] = [*(item for name in order for item in cells[name]),
                *(item for item in items if item.path.suffix != ".ipynb")]
    last_cell = {item.parent: index for index, item in enumerate(items) if item.path.suffix == ".ipynb"}
    for notebook, index in sorted(last_cell.items(), key=lambda pair: -pair[1]):
        if notebook.path.stem in NOTEBOOKS:
            items.insert(index + 1, ResultsMatch.from_parent(notebook, name="results"))
    for item in items:
        committed = _committed(item.path.stem) if item.path.suffix == ".ipynb" else None
        if committed is not None and kinds(committed) & TRAINED_KINDS:
            item.add_marker(pytest.mark.trained)
        if item.nodeid.split("[")[0] in SLOW:
            item.add_marker(pytest.mark.slow)
    modules = {item.nodeid.split("::")[0]: item.module for item in items if getattr(item, "module", None)}
    for test in SLOW:  # a test renamed or removed would leave its successor in make unit unnoticed
        path, name = test.split("::")
        if path in modules and not hasattr(modules[path], name):
            warnings.warn(f"conftest.py's SLOW names {test}, which is no longer a test", pytest.PytestWarning)


@functools.cache
def _committed(notebook: str) -> dict | None:
    """A notebook's committed results (None for a notebook that keeps none)."""
    return _results(notebook)


def _results(notebook: str, folder: Path | None = None) -> dict | None:
    """A notebook's results in ``folder`` (default: the committed ones), or None."""
    try:
        return load_results(notebook, folder=folder)
    except FileNotFoundError:
        return None
