"""Settings for the whole test run, the notebooks that nbval re-executes included.

``make test`` runs two test processes (``pytest -n 2 --dist loadfile``). Each takes
whole files, so a notebook's cells run in order in one kernel, followed by the check
that its results match the committed ones (added here, after its last cell). The
notebooks come first, in the order in which the report starts them; one that reads others'
results waits until this run has checked them (:func:`pytest_runtest_setup`). The unit
tests fill the time left on both processes.
"""

import functools
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from gtzan_helpers.app.notebooks import NOTEBOOKS, READS_OTHERS, start_order
from gtzan_helpers.app.report import side_by_side_environment
from gtzan_helpers.paths import CACHE_ENV, OUTPUT_ENV, notebook_outputs
from gtzan_helpers.results import TRAINED_KINDS, compare_results, kinds, load_results

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


def pytest_configure(config):
    config.addinivalue_line("markers", "trained: a notebook whose numbers come from trained networks")


def pytest_sessionfinish(session):
    if "PYTEST_XDIST_WORKER" not in os.environ:
        shutil.rmtree(os.environ[OUTPUT_ENV], ignore_errors=True)


class ResultsMatch(pytest.Item):
    """A notebook's results JSON, just written by its cells, against the committed one.

    Numbers from trained networks are compared within the tolerances of
    :data:`gtzan_helpers.results.TOLERANCES`, everything else exactly. Once it has run, a
    notebook that reads this one's results may start (see :func:`pytest_runtest_setup`).
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


def _done(notebook: str) -> Path:
    return Path(os.environ[OUTPUT_ENV]) / "done" / notebook


def pytest_runtest_teardown(item):
    # a notebook's check is over (whatever became of it, its setup's failure included): the
    # notebooks that read this one's results may start
    if isinstance(item, ResultsMatch):
        _done(item.path.stem).parent.mkdir(parents=True, exist_ok=True)
        _done(item.path.stem).touch()


def pytest_runtest_setup(item):
    """A notebook that reads other notebooks' results starts once those of this run have been
    checked (on the other test process, perhaps); it does not run when one of them wrote no
    results, or when the run order puts one of them after it."""
    if item.path.suffix != ".ipynb" or item.path.stem not in READS_OTHERS:
        return
    if getattr(item.parent, "sources_missing", None):
        pytest.skip(item.parent.sources_missing)
    if item.name != "Cell 0":
        return
    checks = {other.path.stem: i for i, other in enumerate(item.session.items) if isinstance(other, ResultsMatch)}
    sources = [name for name in READS_OTHERS[item.path.stem] if name in checks]
    later = [name for name in sources if checks[name] > item.session.items.index(item)]
    deadline = time.monotonic() + 1800
    while not later and not all(_done(name).exists() for name in sources):
        if time.monotonic() > deadline:
            later = sources
        time.sleep(1)
    missing = later or [name for name in sources if _fresh(name) is None]
    if missing:
        item.parent.sources_missing = (f"{item.path.stem} reads the results of {', '.join(missing)}, "
                                       "which this run has not checked before it")
        pytest.fail(item.parent.sources_missing)


def pytest_collection_modifyitems(config, items):
    """Notebooks in the report's start order, then the unit tests; after each
    notebook's last cell, the check of its results; every item of a notebook whose committed
    results hold trained networks' numbers marked ``trained`` (the portability pass runs those)."""
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
