"""A model bundle applied to audio files: the features it needs, each song's probabilities, and why.

``gtzan predict`` and ``gtzan explain`` print what these functions compute; from Python they
give the same answers without the command line. A song's probabilities are the mean of its
rows' (:func:`~gtzan_helpers.scoring.per_track`), its genre the :func:`~gtzan_helpers.scoring.decide`
of that mean, and its rows are whatever the bundle was trained on: 3-second segments, or one
row over the whole clip.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..features import AudioError, file_features, find_audio_files
from ..features.audio import AudioWarning
from ..scoring import decide, per_track


@dataclass
class Song:
    """One audio file as a bundle sees it.

    Attributes
    ----------
    file : Path
    rows : numpy.ndarray, shape (n_rows, 57)
        Its features: one row per 3-second segment, or one for the whole clip.
    row_probabilities : numpy.ndarray, shape (n_rows, n_labels)
    probabilities : numpy.ndarray, shape (n_labels,)
        The mean over its rows.
    label : int
        The decided genre, an index into the bundle's labels.
    """

    file: Path
    rows: np.ndarray
    row_probabilities: np.ndarray
    probabilities: np.ndarray
    label: int


def iter_predictions(bundle, paths):
    """Every audio file under ``paths`` through ``bundle``, one at a time, as soon as it is done.

    Yields ``(song, None)`` for a good file and ``(None, line)`` for a bad one (the line names
    the file and the reason), so that a caller can show each result at once and keep what is
    done when interrupted. The features are computed as the bundle's rows were
    (:attr:`Bundle.whole_clip`).
    """
    errors: list[str] = []
    files = find_audio_files(paths, errors=errors)
    yield from ((None, error) for error in errors)
    for file in files:
        try:
            rows = file_features(file, whole_clip=bundle.whole_clip)
        except AudioError as exc:
            yield None, str(exc)
            continue
        except OSError as exc:  # unreadable: permissions, a vanished file
            yield None, f"{file}: cannot be read ({exc.strerror or exc})"
            continue
        if not np.all(np.isfinite(rows)):
            yield None, f"{file}: features are not finite numbers"
            continue
        if bundle.whole_clip:
            _warn_if_short(file)
        proba = bundle.predict_proba(rows)
        song = per_track(proba, np.zeros(len(proba)))[1][0]
        yield Song(file, rows, proba, song, int(decide(song[None])[0])), None


WHOLE_CLIP_SECONDS = 30.0
"""The length of the clips a model of whole clips learned from (GTZAN's excerpts)."""


def _warn_if_short(file) -> None:
    """A model of 30-second clips asked about a much shorter one: its answer is outside what it learned."""
    import soundfile as sf

    seconds = sf.info(file).duration
    if seconds < WHOLE_CLIP_SECONDS / 2:
        warnings.warn(AudioWarning(f"{file}: {seconds:.1f} s long; the model learned from "
                                   f"{WHOLE_CLIP_SECONDS:g}-second clips, and a clip this short is outside "
                                   "what it learned"), stacklevel=3)


def predict_files(bundle, paths) -> tuple[list[Song], list[str]]:
    """Every audio file under ``paths`` through ``bundle``: the good songs, and one line per bad
    file (:func:`iter_predictions`, collected)."""
    songs, errors = [], []
    for song, error in iter_predictions(bundle, paths):
        if error is None:
            songs.append(song)
        else:
            errors.append(error)
    return songs, errors


def rows_in_words(song: Song, bundle) -> str:
    """What a song's probabilities were computed from, in words."""
    if bundle.whole_clip:
        return "whole clip"
    return f"mean of {len(song.rows)} segment{'s' if len(song.rows) != 1 else ''}"


def explain_song(bundle, song: Song, genre: str):
    """SHAP contributions to the song's probability of ``genre``: a one-row :class:`shap.Explanation`.

    The song's probability is the mean over its rows, and so are its SHAP values; the
    feature values shown are the rows' mean.
    """
    from ..explain import explain  # SHAP takes seconds to import; predicting needs none of it

    rows = explain(bundle.model, bundle.background, bundle.transform(song.rows),
                   feature_names=bundle.feature_names, display_data=song.rows,
                   background_size=len(bundle.background), output=bundle.labels.index(genre))
    clip = rows[:1]
    clip.values, clip.data = rows.values.mean(axis=0)[None], song.rows.mean(axis=0)[None]
    return clip
