"""The study's published numbers, and each notebook's headline numbers as JSON.

Notebooks put :data:`STUDY` beside what they measure and write their own numbers
with :func:`save_results` to ``results/<notebook>.json``, which the README table
and the tests read (the tolerances within which the tests compare re-created results with
the committed ones are the tests' own: ``tests/tolerances.py``).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from . import paths
from .paths import atomic_path

STUDY = {
    "holdout": {"test_accuracy": 0.9633, "test_loss": 0.1542, "stopped_epoch": 16},
    "epochs": {  # epoch: (train acc, test acc, train loss, test loss)
        1: (0.7893, 0.8167, 0.6082, 0.4801),
        5: (0.9557, 0.9250, 0.1251, 0.1844),
        10: (0.9886, 0.9550, 0.0441, 0.1403),
        16: (0.9950, 0.9633, 0.0193, 0.1542),
    },
    "batch_size_cv": {  # batch size: (mean loss, mean accuracy, seconds)
        32: (0.0610, 0.9829, 16.25), 64: (0.0602, 0.9836, 11.43),
        128: (0.0440, 0.9843, 16.68), 256: (0.0433, 0.9829, 17.04),
    },
    "neurons_cv": {  # first-layer width: (mean loss, mean accuracy, seconds)
        64: (0.0528, 0.9800, 15.73), 128: (0.0493, 0.9786, 19.49), 256: (0.0511, 0.9800, 20.54),
    },
    "shap": {"predicted_label": 1, "predicted_value": 0.51, "base_value_as_read": 0.5},
    "picks": {"batch_size": 128, "first_layer": 256},  # the settings the study recommends
}
"""Numbers as printed in the study (fractions, seconds)."""


def _rounded(value, digits: int):
    # Round floats so that re-runs write byte-identical JSON despite float noise.
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, digits)
    if isinstance(value, dict):
        return {str(k): _rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v, digits) for v in value]
    if hasattr(value, "item"):  # NumPy scalars
        return _rounded(value.item(), digits)
    return value


def save_results(notebook: str, results: dict, *, folder: str | Path | None = None,
                 digits: int = 4) -> Path:
    """Write ``results`` to ``<folder>/<notebook>.json`` with floats rounded to ``digits``.

    The file is written to a temporary name and renamed, so a reader never sees half of it.
    """
    folder = Path(folder) if folder is not None else paths.RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook}.json"
    with atomic_path(path) as scratch:
        scratch.write_text(json.dumps(_rounded(results, digits), indent=2, sort_keys=True) + "\n")
    return path


def load_results(notebook: str, *, folder: str | Path | None = None) -> dict:
    """Read ``results/<notebook>.json`` as written by :func:`save_results`."""
    folder = Path(folder) if folder is not None else paths.RESULTS_DIR
    return json.loads((folder / f"{notebook}.json").read_text())


SOURCES_ENV = "GTZAN_SOURCE_RESULTS"
"""Environment variable naming the folder that :func:`run_results` reads other notebooks'
results from, in place of the run's own results folder (the tests set it to the committed
``results/``)."""


def run_results(notebook: str, folder: str | Path) -> dict:
    """``notebook``'s results as this run wrote them to ``folder``, else the report's.

    Notebooks that read other notebooks' results (08, 09) use it: within one run of the
    report they see that run's numbers; run alone, the committed ones. Where
    ``$GTZAN_SOURCE_RESULTS`` (:data:`SOURCES_ENV`) names a folder, that folder is read instead
    of ``folder``. The tests point it to the committed ``results/``, so that 08's and 09's
    numbers follow from the committed results alone, whichever notebooks the test processes
    have re-run before them, and are compared with their own committed results like every
    other notebook's (each of which is checked after its own notebook's last cell).
    """
    folder = Path(os.environ.get(SOURCES_ENV) or folder)
    return load_results(notebook, folder=folder if (folder / f"{notebook}.json").exists() else None)
