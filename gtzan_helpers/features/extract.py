"""Batch extraction: audio files to feature rows, cached by content, in parallel.

Used by ``01_features`` (the 28 shipped clips), ``06_shap`` (the test clip) and
``gtzan extract`` / ``gtzan predict``.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config

from .. import GtzanWarning
from ..paths import atomic_path
from ..workers import end_with_parent
from .audio import AudioError, find_audio_files, load_audio
from .segment import FEATURE_NAMES, compute_clip_features

FEATURES_VERSION = "gtzan-table-1"
"""Changes whenever the recipe's numbers change, so that stale cache entries are ignored."""


class CacheWarning(GtzanWarning):
    """A cache entry was damaged, stale or could not be written; the features were computed afresh."""


def _recipe_key(whole_clip: bool) -> str:
    return f"{FEATURES_VERSION}{'/whole-clip, centred 30 s' if whole_clip else ''}"


def _file_digest(path, whole_clip: bool = False) -> str:
    digest = hashlib.sha256(_recipe_key(whole_clip).encode())
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checked_entry(entry: Path, whole_clip: bool) -> np.ndarray:
    """The features a cache entry holds, once it has shown it is whole and of this recipe.

    An entry records the recipe, the array's shape and the SHA-256 of its bytes; any
    mismatch, or an entry that cannot be read, raises ``ValueError``.
    """
    try:
        with np.load(entry, allow_pickle=False) as stored:  # an .npz: never unpickled
            meta, features = json.loads(str(stored["meta"])), stored["features"]
    except Exception as exc:  # truncated, random bytes, not an .npz: all mean "damaged"
        raise ValueError(f"are unreadable ({type(exc).__name__})") from None
    if meta.get("recipe") != _recipe_key(whole_clip):
        raise ValueError(f"were made by another recipe ({meta.get('recipe')!r})")
    if (features.dtype != np.float64 or features.ndim != 2 or list(features.shape) != meta.get("shape")
            or features.shape[1] != len(FEATURE_NAMES) or not len(features) or (whole_clip and len(features) != 1)):
        raise ValueError(f"hold an array of shape {features.shape}, not the recipe's")
    if hashlib.sha256(features.tobytes()).hexdigest() != meta.get("sha256"):
        raise ValueError("do not match their recorded digest")
    return features


def _store_entry(entry: Path, features: np.ndarray, whole_clip: bool) -> None:
    meta = {"recipe": _recipe_key(whole_clip), "shape": list(features.shape),
            "sha256": hashlib.sha256(features.tobytes()).hexdigest()}
    entry.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(entry) as scratch, open(scratch, "wb") as handle:
        np.savez(handle, features=features, meta=np.array(json.dumps(meta)))  # readers never see half an entry


def file_features(path, *, cache_dir=None, whole_clip: bool = False) -> np.ndarray:
    """Feature rows of one audio file, cached by the file's content.

    Parameters
    ----------
    path : str or Path
        Any audio file :func:`~gtzan_helpers.features.audio.load_audio` reads.
    cache_dir : str or Path, optional
        Folder of cached results keyed by the SHA-256 of the file's bytes (and the
        recipe version): unchanged audio is never extracted twice, whatever its name.
        Each entry is checked before it is used (its recipe, shape and the digest of its
        values); one that fails, or cannot be read, is recomputed and replaced with a
        :class:`CacheWarning`, and a cache that cannot be written only warns. ``None``
        disables the cache (e.g. :func:`gtzan_helpers.paths.feature_cache`).
    whole_clip : bool
        One row over the whole clip (Kaggle's 30-second table; a longer recording's central
        30 seconds) instead of one per 3-second segment (see
        :func:`~gtzan_helpers.features.segment.compute_clip_features`).

    Returns
    -------
    numpy.ndarray of float64, shape (n_segments, 57), or (1, 57) for ``whole_clip``
    """
    entry = None
    if cache_dir is not None:
        entry = Path(cache_dir) / f"{_file_digest(path, whole_clip)}.npz"
        if entry.exists():
            try:
                return _checked_entry(entry, whole_clip)
            except ValueError as exc:
                warnings.warn(CacheWarning(f"{path}: its cached features ({entry}) {exc}; recomputed them"),
                              stacklevel=2)
    features = compute_clip_features(load_audio(path), whole_clip=whole_clip)
    if entry is not None:
        try:
            _store_entry(entry, features, whole_clip)
        except OSError as exc:
            warnings.warn(CacheWarning(f"{path}: its features could not be cached in {entry.parent} "
                                       f"({exc.strerror or exc})"), stacklevel=2)
    return features


def extract_file(path, *, label: str | None = None, cache_dir=None,
                 whole_clip: bool = False) -> pd.DataFrame:
    """Feature rows of one audio file, named as the shipped table names them.

    Parameters
    ----------
    path : str or Path
        Any audio file :func:`~gtzan_helpers.features.audio.load_audio` reads.
    label : str, optional
        Genre word to prefix; when given and the file's stem does not start with it,
        ``filename`` becomes ``<label>.<stem>.<segment>.wav``.
    cache_dir, whole_clip
        See :func:`file_features`.

    Returns
    -------
    pandas.DataFrame
        ``filename`` (``<stem>.<segment>.wav``, or ``<stem>.wav`` for a whole clip, as the
        3- and 30-second tables name their rows) and the 57 feature columns.
    """
    path = Path(path)
    features = file_features(path, cache_dir=cache_dir, whole_clip=whole_clip)
    stem = path.stem
    if label and not stem.startswith(f"{label}."):
        stem = f"{label}.{stem}"
    frame = pd.DataFrame(features, columns=FEATURE_NAMES)
    frame.insert(0, "filename", [f"{stem}.wav"] if whole_clip else [f"{stem}.{i}.wav" for i in range(len(frame))])
    return frame


def _extract_or_error(path, label, cache_dir, whole_clip, dispatcher):
    """One file's rows, or the line that says why not, and the warnings it raised (so that they
    come back from a worker process, which ends if its dispatcher does)."""
    end_with_parent(dispatcher)
    with warnings.catch_warnings(record=True) as raised:
        warnings.simplefilter("always", GtzanWarning)
        try:
            frame, error = extract_file(path, label=label, cache_dir=cache_dir, whole_clip=whole_clip), None
        except AudioError as exc:
            frame, error = None, str(exc)
        except OSError as exc:  # unreadable: permissions, a vanished file, a failing disk
            frame, error = None, f"{path}: cannot be read ({exc.strerror or exc})"
    return frame, error, [w.message for w in raised if issubclass(w.category, GtzanWarning)]


def extract_files(paths, *, n_jobs: int = 1, label_from_folder: bool = False,
                  progress: bool = False, cache_dir=None,
                  backend: str | None = None, whole_clip: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """Feature table of many audio files, in parallel; bad files are reported, not fatal.

    Parameters
    ----------
    paths : iterable of str or Path
        Files and folders (folders are walked for audio files).
    n_jobs : int
        Parallel workers (joblib); ``-1`` uses every core.
    label_from_folder : bool
        Prefix each file's rows with its parent folder's name as genre word
        (the GTZAN layout ``genres/<genre>/<file>``).
    progress : bool
        Show a progress bar.
    cache_dir : str or Path, optional
        Reuse features of unchanged files (see :func:`file_features`).
    backend : str, optional
        joblib backend: ``None`` for local processes, ``"dask"`` to run on the Dask
        cluster of the current ``distributed.Client``.
    whole_clip : bool
        One row per file over the whole clip (the 30-second table) instead of one per segment.

    Returns
    -------
    table : pandas.DataFrame
        ``filename`` and the 57 features of every good file, in input order.
    errors : list of str
        One line per path or file that could not be used, naming it and the reason (a
        file that cannot be read, decoded or is too short); every good file's rows are kept.
    """
    missing: list[str] = []
    files = find_audio_files(paths, errors=missing)
    jobs = [delayed(_extract_or_error)(f, f.parent.name if label_from_folder else None, cache_dir, whole_clip,
                                       os.getpid()) for f in files]
    config = {"n_jobs": n_jobs} if backend is None else {"n_jobs": n_jobs, "backend": backend}
    with parallel_config(**config):
        results = Parallel(return_as="generator")(jobs)
        if progress:
            from tqdm.auto import tqdm  # only for the progress bar a caller asks for

            results = tqdm(results, total=len(files), desc="extracting", unit="file")
        results = list(results)
    for _, _, raised in results:  # a worker's warnings, raised again here
        for message in raised:
            warnings.warn(message, stacklevel=2)
    frames = [frame for frame, _, _ in results if frame is not None]
    errors = missing + [error for _, error, _ in results if error is not None]
    empty = pd.DataFrame(columns=["filename", *FEATURE_NAMES])
    return (pd.concat(frames, ignore_index=True) if frames else empty), errors


def write_table(frame: pd.DataFrame, path) -> None:
    """Write a feature table as CSV atomically: the file is complete or absent, never half."""
    with atomic_path(path) as scratch:
        frame.to_csv(scratch, index=False)
