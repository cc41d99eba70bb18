"""Locations inside the repository, so that no notebook types an absolute path."""

from __future__ import annotations

import contextlib
import os
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
AUDIO_DIR = DATA_DIR / "gtzan" / "genres"
TEST_CLIP = DATA_DIR / "audio_test.wav"
CACHE_DIR = ROOT / ".cache" / "features"
FIGURES_DIR = ROOT / "figures"
RESULTS_DIR = ROOT / "results"


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
