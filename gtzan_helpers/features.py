"""The 57 features of a 3-second segment, computed as the shipped table computes them.

Used by ``01_features`` (rebuilding the table from raw clips) and ``06_shap``
(features of the test clip), and by the command line.
"""

from __future__ import annotations

import numpy as np

SR = 22050
"""Sample rate of every clip, in Hz."""
SEGMENT_STRIDE = 3 * SR
"""Samples between segment starts: 3 s."""
SEGMENT_LENGTH = SEGMENT_STRIDE - 1
"""Samples in one segment (66 149): the table's segments are one sample short of 3 s."""
N_FFT = 2048
HOP_LENGTH = 512
N_MFCC = 20

_SPECTRAL = ("chroma_stft", "rms", "spectral_centroid", "spectral_bandwidth",
             "rolloff", "zero_crossing_rate", "harmony", "perceptr")
FEATURE_NAMES: tuple[str, ...] = (
    *(f"{name}_{stat}" for name in _SPECTRAL for stat in ("mean", "var")),
    "tempo",
    *(f"mfcc{k}_{stat}" for k in range(1, N_MFCC + 1) for stat in ("mean", "var")),
)
"""The table's 57 feature columns, in the table's order."""


def segment_bounds(n_samples: int) -> list[tuple[int, int]]:
    """Start and stop sample of each segment of a clip of ``n_samples`` samples.

    Segment ``i`` is ``[i * 66150, i * 66150 + 66149)``; a 30-s clip gives 10. A clip
    shorter than one segment gives one segment holding all of it.
    """
    if n_samples <= 0:
        return []
    if n_samples < SEGMENT_LENGTH:
        return [(0, n_samples)]
    count = (n_samples - SEGMENT_LENGTH) // SEGMENT_STRIDE + 1
    return [(i * SEGMENT_STRIDE, i * SEGMENT_STRIDE + SEGMENT_LENGTH) for i in range(count)]


def _mean_var(name: str, values: np.ndarray) -> dict[str, float]:
    # The table's _mean/_var are over all values (chroma: all bins and frames).
    return {f"{name}_mean": float(np.mean(values)), f"{name}_var": float(np.var(values))}


def compute_segment_features(segment: np.ndarray, *, sr: int = SR) -> dict[str, float]:
    """The 57 features of one segment, as the shipped table computes them.

    Parameters
    ----------
    segment : numpy.ndarray of float32, shape (n_samples,)
        Mono audio at ``sr`` Hz, normally 66 149 samples (3 s).
    sr : int
        Sample rate in Hz.

    Returns
    -------
    dict
        Feature name → value, in the order of :data:`FEATURE_NAMES`.

    Notes
    -----
    The table was made with librosa's pre-0.10 defaults, which this recipe restores:
    every STFT is centred with reflect padding (``n_fft=2048, hop_length=512``);
    harmony and perceptr are the waveforms of HPSS on that STFT, inverted by
    ``istft`` without ``length=`` and zero-padded to the segment's length; tempo is
    beat tracking on an onset envelope with median aggregation and the same padding.
    """
    import librosa

    pad = {"center": True, "pad_mode": "reflect", "n_fft": N_FFT, "hop_length": HOP_LENGTH}
    y = np.asarray(segment, dtype=np.float32)
    out: dict[str, float] = {}
    out |= _mean_var("chroma_stft", librosa.feature.chroma_stft(y=y, sr=sr, **pad))
    out |= _mean_var("rms", librosa.feature.rms(y=y, frame_length=N_FFT, hop_length=HOP_LENGTH,
                                                 center=True, pad_mode="reflect"))
    out |= _mean_var("spectral_centroid", librosa.feature.spectral_centroid(y=y, sr=sr, **pad))
    out |= _mean_var("spectral_bandwidth", librosa.feature.spectral_bandwidth(y=y, sr=sr, **pad))
    out |= _mean_var("rolloff", librosa.feature.spectral_rolloff(y=y, sr=sr, **pad))
    out |= _mean_var("zero_crossing_rate", librosa.feature.zero_crossing_rate(
        y, frame_length=N_FFT, hop_length=HOP_LENGTH))
    harmonic, percussive = librosa.decompose.hpss(librosa.stft(y, **pad))
    for name, part in (("harmony", harmonic), ("perceptr", percussive)):
        wave = librosa.istft(part, hop_length=HOP_LENGTH)
        out |= _mean_var(name, np.pad(wave, (0, max(0, len(y) - len(wave)))))
    onset = librosa.onset.onset_strength(y=y, sr=sr, aggregate=np.median, pad_mode="reflect",
                                         n_fft=N_FFT, hop_length=HOP_LENGTH)
    tempo, _ = librosa.beat.beat_track(onset_envelope=onset, sr=sr, hop_length=HOP_LENGTH)
    out["tempo"] = float(np.atleast_1d(tempo)[0])
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=N_MFCC, **pad)
    for k in range(N_MFCC):
        out |= _mean_var(f"mfcc{k + 1}", mfcc[k])
    return {name: out[name] for name in FEATURE_NAMES}


def compute_clip_features(y: np.ndarray, *, sr: int = SR) -> np.ndarray:
    """Features of every segment of a clip.

    Parameters
    ----------
    y : numpy.ndarray, shape (n_samples,)
        Mono audio at ``sr`` Hz.

    Returns
    -------
    numpy.ndarray of float64, shape (n_segments, 57)
        One row per segment (see :func:`segment_bounds`), columns in :data:`FEATURE_NAMES` order.
    """
    rows = [list(compute_segment_features(y[a:b], sr=sr).values())
            for a, b in segment_bounds(len(y))]
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURE_NAMES))


def extract_file(path, *, label: str | None = None) -> "pd.DataFrame":
    """Feature rows of one audio file, named as the shipped table names them.

    Parameters
    ----------
    path : str or Path
        Any audio file :func:`gtzan_helpers.audio.load_audio` reads.
    label : str, optional
        Genre word to prefix; when given and the file's stem does not start with it,
        ``filename`` becomes ``<label>.<stem>.<segment>.wav``.

    Returns
    -------
    pandas.DataFrame
        ``filename`` (``<stem>.<segment>.wav``) and the 57 feature columns.
    """
    from pathlib import Path

    import pandas as pd

    from .audio import load_audio

    path = Path(path)
    features = compute_clip_features(load_audio(path))
    stem = path.stem
    if label and not stem.startswith(f"{label}."):
        stem = f"{label}.{stem}"
    frame = pd.DataFrame(features, columns=FEATURE_NAMES)
    frame.insert(0, "filename", [f"{stem}.{i}.wav" for i in range(len(frame))])
    return frame


def _extract_or_error(path, label):
    from .audio import AudioError

    try:
        return extract_file(path, label=label), None
    except AudioError as exc:
        return None, str(exc)


def extract_files(paths, *, n_jobs: int = 1, label_from_folder: bool = False,
                  progress: bool = False) -> tuple["pd.DataFrame", list[str]]:
    """Feature table of many audio files, in parallel; bad files are reported, not fatal.

    Parameters
    ----------
    paths : iterable of str or Path
        Files and folders (folders are walked for audio files).
    n_jobs : int
        Worker processes (joblib); ``-1`` uses every core.
    label_from_folder : bool
        Prefix each file's rows with its parent folder's name as genre word
        (the GTZAN layout ``genres/<genre>/<file>``).
    progress : bool
        Show a progress bar.

    Returns
    -------
    table : pandas.DataFrame
        ``filename`` and the 57 features of every good file, in input order.
    errors : list of str
        One line per file that could not be used, naming it and the reason.
    """
    import pandas as pd
    from joblib import Parallel, delayed

    from .audio import find_audio_files

    files = find_audio_files(paths)
    jobs = (delayed(_extract_or_error)(f, f.parent.name if label_from_folder else None)
            for f in files)
    if progress:
        from tqdm.auto import tqdm

        jobs = tqdm(jobs, total=len(files), desc="extracting", unit="file")
    results = Parallel(n_jobs=n_jobs)(jobs)
    frames = [frame for frame, _ in results if frame is not None]
    errors = [error for _, error in results if error is not None]
    empty = pd.DataFrame(columns=["filename", *FEATURE_NAMES])
    return (pd.concat(frames, ignore_index=True) if frames else empty), errors
