"""Settings for the whole test run, the notebooks that nbval re-executes included."""

import os
import shutil
import tempfile

from gtzan_helpers.paths import OUTPUT_ENV

os.environ.setdefault("GTZAN_DEVICE", "cpu")  # tests run on the CPU even where a GPU exists
# Notebooks re-executed by the tests (nbval's kernels inherit this environment) write
# their figures and results JSON to a fresh folder, never over the report's; the
# reproduction test then compares those results with the committed ones.
os.environ[OUTPUT_ENV] = tempfile.mkdtemp(prefix="gtzan-test-run-")


def pytest_configure(config):
    config.addinivalue_line("markers", "trained: a notebook whose numbers come from trained networks")


def pytest_sessionfinish(session):
    shutil.rmtree(os.environ[OUTPUT_ENV], ignore_errors=True)
