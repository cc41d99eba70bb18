"""Locations inside the repository, so that no notebook types an absolute path.

Every location is resolved when it is read, from the environment of that moment: a
``GTZAN_ROOT`` set after the import counts. The module's upper-case names (``ROOT``,
``DATA_DIR``, ``RESULTS_DIR``, …) are computed on each access (a module-level
``__getattr__``, PEP 562), so ``paths.RESULTS_DIR`` is always current. Like any
``from`` import, ``from gtzan_helpers.paths import RESULTS_DIR`` keeps the value it
had then; code that must follow a later change reads ``paths.RESULTS_DIR`` or calls
:func:`location` when it runs.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

ROOT_ENV = "GTZAN_ROOT"
"""Environment variable naming the repository's root folder (see :func:`root`)."""


def root() -> Path:
    """The repository's root: ``$GTZAN_ROOT`` when set, else the nearest folder above this
    file holding ``data/audio_gtzan.csv``, else the working directory. Read when called."""
    env = os.environ.get(ROOT_ENV)
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent
    for candidate in (here, *here.parents):
        if (candidate / "data" / "audio_gtzan.csv").is_file():
            return candidate
    return Path.cwd()


LOCATIONS = {
    "DATA_DIR": "data",
    "FEATURE_TABLE": "data/audio_gtzan.csv",
    "ARTISTS_FILE": "data/gtzan_artists.csv",
    "FAULT_FILTERED_SPLIT": "data/fault_filtered_split.csv",
    # 100 rows of the ten-genre Kaggle table (one track per genre), in its own schema
    "KAGGLE_SAMPLE": "data/kaggle_features_3_sec_sample.csv",
    # Kaggle's ten-genre table of whole clips: 1,000 rows, one per GTZAN track
    "KAGGLE_30_SEC": "data/kaggle_features_30_sec.csv",
    # ten-genre GTZAN accuracies as their sources report them, each with its quote and address
    "PUBLISHED_RESULTS": "data/published_gtzan_results.csv",
    "AUDIO_DIR": "data/gtzan/genres",
    "TEST_CLIP": "data/audio_test.wav",
    "FIGURES_DIR": "figures",
    "RESULTS_DIR": "results",
    "NOTEBOOKS_DIR": "notebooks",
    # figures and results of notebook runs with other parameters than the report's
    "RUNS_DIR": "runs",
}
"""Each location's name (a module attribute) and its path under :func:`root`."""

CACHE_ENV = "GTZAN_CACHE"
"""Environment variable naming the folder of cached features (see :func:`feature_cache`)."""
OUTPUT_ENV = "GTZAN_OUTPUT_DIR"
"""Environment variable that sends every notebook's figures and results elsewhere (the tests set it)."""


def location(name: str) -> Path:
    """The location called ``name`` (``"ROOT"`` or a key of :data:`LOCATIONS`), resolved now."""
    if name == "ROOT":
        return root()
    return root() / LOCATIONS[name]


def __getattr__(name: str) -> Path:
    # only for names the module does not define: the locations, resolved on each access
    if name == "ROOT" or name in LOCATIONS:
        return location(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "ROOT", *LOCATIONS})


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
        folder = Path(namespace["output_dir"])
    elif os.environ.get(OUTPUT_ENV):
        folder = Path(os.environ[OUTPUT_ENV])
    else:
        defaults = notebook_parameters(location("NOTEBOOKS_DIR") / f"{notebook}.ipynb")
        defaults.pop("output_dir", None)
        changed = {k: namespace[k] for k, v in defaults.items() if namespace.get(k) != v}
        if not changed:
            return Outputs(location("FIGURES_DIR"), location("RESULTS_DIR"))
        run = ",".join(f"{k}={v}" for k, v in changed.items()).replace(" ", "")
        folder = location("RUNS_DIR") / notebook / run
        print(f"parameters differ from the report's: figures and results go to {folder}")
    return Outputs(folder / "figures", folder / "results")


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
