"""Locations inside the repository, so that no notebook types an absolute path."""

from __future__ import annotations

import ast
import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path


def _find_root() -> Path:
    # GTZAN_ROOT wins; otherwise walk up from this file to the folder holding ``data/``.
    env = os.environ.get("GTZAN_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent
    for candidate in (here, *here.parents):
        if (candidate / "data" / "audio_gtzan.csv").is_file():
            return candidate
    return Path.cwd()


ROOT = _find_root()
DATA_DIR = ROOT / "data"
FEATURE_TABLE = DATA_DIR / "audio_gtzan.csv"
ARTISTS_FILE = DATA_DIR / "gtzan_artists.csv"
FAULT_FILTERED_SPLIT = DATA_DIR / "fault_filtered_split.csv"
KAGGLE_SAMPLE = DATA_DIR / "kaggle_features_3_sec_sample.csv"
"""100 rows of the ten-genre Kaggle table (one track per genre), in its own schema."""
KAGGLE_30_SEC = DATA_DIR / "kaggle_features_30_sec.csv"
"""Kaggle's ten-genre table of whole clips: 1,000 rows, one per GTZAN track."""
PUBLISHED_RESULTS = DATA_DIR / "published_gtzan_results.csv"
"""Ten-genre GTZAN accuracies as their sources report them, each with its quote and address."""
AUDIO_DIR = DATA_DIR / "gtzan" / "genres"
TEST_CLIP = DATA_DIR / "audio_test.wav"
FIGURES_DIR = ROOT / "figures"
RESULTS_DIR = ROOT / "results"
NOTEBOOKS_DIR = ROOT / "notebooks"
RUNS_DIR = ROOT / "runs"
"""Figures and results of notebook runs with other parameters than the report's."""
CACHE_ENV = "GTZAN_CACHE"
"""Environment variable naming the folder of cached features (see :func:`feature_cache`)."""
OUTPUT_ENV = "GTZAN_OUTPUT_DIR"
"""Environment variable that sends every notebook's figures and results elsewhere (the tests set it)."""


@dataclass(frozen=True)
class Outputs:
    """The folders a notebook run writes its figures and results JSON to."""

    figures: Path
    results: Path


def notebook_parameters(path) -> dict:
    """The default of each parameter in a notebook's ``parameters`` cell (the cell papermill
    replaces), read from the file without running it.

    (``papermill.inspect_notebook`` does the same, but importing papermill takes two
    seconds, paid by every notebook at its start.)
    """
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    source = next(("".join(cell["source"]) for cell in cells
                   if "parameters" in cell.get("metadata", {}).get("tags", [])), "")
    return {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(source).body
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}


def notebook_outputs(notebook: str, namespace: dict) -> Outputs:
    """Where notebook ``notebook`` writes, given its parameters as found in ``namespace``.

    A notebook calls ``notebook_outputs("04_batch_size_cv", globals())`` after its
    ``parameters`` cell. In order:

    1. the ``output_dir`` parameter, when set: ``<output_dir>/figures`` and ``/results``;
    2. the folder named by ``$GTZAN_OUTPUT_DIR``, when set (the tests use it, so that
       re-executing a notebook never touches the report);
    3. the report's ``figures/`` and ``results/``, when every parameter has the value of
       the notebook's own ``parameters`` cell — the report's run;
    4. otherwise ``runs/<notebook>/<name=value,…>/``, so that exploring (``papermill …
       -p seed 1``) never overwrites the report.
    """
    if namespace.get("output_dir"):
        root = Path(namespace["output_dir"])
    elif os.environ.get(OUTPUT_ENV):
        root = Path(os.environ[OUTPUT_ENV])
    else:
        defaults = notebook_parameters(NOTEBOOKS_DIR / f"{notebook}.ipynb")
        defaults.pop("output_dir", None)
        changed = {k: namespace[k] for k, v in defaults.items() if namespace.get(k) != v}
        if not changed:
            return Outputs(FIGURES_DIR, RESULTS_DIR)
        root = RUNS_DIR / notebook / ",".join(f"{k}={v}" for k, v in changed.items()).replace(" ", "")
        print(f"parameters differ from the report's: figures and results go to {root}")
    return Outputs(root / "figures", root / "results")


@contextlib.contextmanager
def atomic_path(path):
    """A scratch file beside ``path`` to write; it becomes ``path`` only if the block succeeds.

    Readers see the old file or the whole new one, never half of it, and a failed write
    leaves nothing behind.
    """
    path = Path(path)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield scratch
        os.replace(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)


def feature_cache() -> Path:
    """The folder where extracted features are cached: ``$GTZAN_CACHE`` when set, else the
    platform's user cache folder (``platformdirs``: ``~/.cache/gtzan-helpers/features`` on
    Linux). Read when called, so a variable set later counts. ``gtzan cache --clear`` empties it.
    """
    where = os.environ.get(CACHE_ENV)
    if where:
        return Path(where)
    import platformdirs  # only where features are cached

    return Path(platformdirs.user_cache_dir("gtzan-helpers", appauthor=False)) / "features"
