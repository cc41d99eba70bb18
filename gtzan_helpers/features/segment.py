"""The segment recipe: the 57 features of a 3-second segment, as the shipped table computes them.

Used by ``01_features`` (rebuilding the table from raw clips) and, through
:mod:`.extract`, by ``06_shap`` (features of the test clip) and the command line.
"""

from __future__ import annotations

import functools

import numpy as np

# librosa (about a second to import) and the numba-compiled HPSS are imported inside the
# functions that compute features: loading a table or a model never needs them.


SR = 22050
"""Sample rate of every clip, in Hz."""
SEGMENT_STRIDE = 3 * SR
"""Samples between segment starts: 3 s."""
SEGMENT_LENGTH = SEGMENT_STRIDE - 1
"""Samples in one segment (66 149): the table's segments are one sample short of 3 s."""
WHOLE_CLIP_LENGTH = 30 * SR
"""Samples of a whole-clip row of a long recording: 30 s, the length of GTZAN's excerpts."""
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


FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "MFCC means": tuple(f"mfcc{k}_mean" for k in range(1, N_MFCC + 1)),
    "MFCC variances": tuple(f"mfcc{k}_var" for k in range(1, N_MFCC + 1)),
    "spectral shape": tuple(f"{f}_{s}" for f in ("spectral_centroid", "spectral_bandwidth", "rolloff")
                            for s in ("mean", "var")),
    "chroma": ("chroma_stft_mean", "chroma_stft_var"),
    "loudness and noisiness": ("rms_mean", "rms_var", "zero_crossing_rate_mean", "zero_crossing_rate_var"),
    "harmonic/percussive": ("harmony_mean", "harmony_var", "perceptr_mean", "perceptr_var"),
    "tempo": ("tempo",),
}
"""The 57 features in groups of what they describe (for ablations); every feature in one group."""


def segment_bounds(n_samples: int) -> list[tuple[int, int]]:
    """Start and stop sample of each segment of a clip of ``n_samples`` samples.

    Segment ``i`` is ``[i * 66150, i * 66150 + 66149)``; a 30-s clip gives 10. A clip
    shorter than one segment gives one segment holding all of it.

    Examples
    --------
    >>> from gtzan_helpers.features.segment import segment_bounds
    >>> bounds = segment_bounds(30 * 22050)
    >>> len(bounds), bounds[:2]
    (10, [(0, 66149), (66150, 132299)])
    >>> segment_bounds(22050)  # one second: one short segment
    [(0, 22050)]
    """
    if n_samples <= 0:
        return []
    if n_samples < SEGMENT_LENGTH:
        return [(0, n_samples)]
    count = (n_samples - SEGMENT_LENGTH) // SEGMENT_STRIDE + 1
    return [(i * SEGMENT_STRIDE, i * SEGMENT_STRIDE + SEGMENT_LENGTH) for i in range(count)]


def whole_clip_bounds(n_samples: int) -> tuple[int, int]:
    """Start and stop sample of a whole-clip row (Kaggle's 30-second table).

    A GTZAN excerpt (30 s, give or take 0.7 s) is used whole, as that table does; of a
    longer recording, the centred :data:`WHOLE_CLIP_LENGTH` samples, so that a song of
    four minutes is described as the 30-second excerpts a whole-clip model learned from
    (the ``_var`` features and the tempo change with the length).

    Examples
    --------
    >>> from gtzan_helpers.features.segment import whole_clip_bounds
    >>> whole_clip_bounds(30 * 22050)  # a GTZAN excerpt: all of it
    (0, 661500)
    >>> start, stop = whole_clip_bounds(240 * 22050)  # four minutes: the middle 30 s
    >>> start / 22050, stop / 22050
    (105.0, 135.0)
    """
    if n_samples <= WHOLE_CLIP_LENGTH + SR:
        return 0, n_samples
    start = (n_samples - WHOLE_CLIP_LENGTH) // 2
    return start, start + WHOLE_CLIP_LENGTH


def _mean_var(name: str, values: np.ndarray) -> dict[str, float]:
    # The table's _mean/_var are over all values (chroma: all bins and frames).
    return {f"{name}_mean": float(np.mean(values)), f"{name}_var": float(np.var(values))}


def segment_curves(segment: np.ndarray, *, sr: int = SR) -> dict:
    """The curves behind one segment's 57 features: one value per frame, or per sample.

    :func:`compute_segment_features` keeps the mean and variance of each; notebook 01 draws
    them, so what it shows is what the table sums up.

    Parameters
    ----------
    segment : numpy.ndarray of float32, shape (n_samples,)
        Mono audio at ``sr`` Hz, normally 66 149 samples (3 s).
    sr : int
        Sample rate in Hz.

    Returns
    -------
    dict
        ``chroma_stft`` (12 pitch classes × frames), ``mfcc`` (:data:`N_MFCC` × frames), the
        one-per-frame curves ``rms``, ``spectral_centroid``, ``spectral_bandwidth``,
        ``rolloff``, ``zero_crossing_rate``, the waveforms ``harmony`` and ``perceptr`` (the
        harmonic and percussive parts, as long as the segment) and ``tempo`` (beats per
        minute); and what they are drawn from: ``samples`` (the segment as float32),
        ``magnitude`` (the STFT's, bins × frames), ``log_mel`` (mel bands in dB × frames)
        and ``onset`` (the onset envelope).

    Notes
    -----
    The table was made with librosa's pre-0.10 defaults, which this recipe restores:
    every STFT is centred with reflect padding (``n_fft=2048, hop_length=512``);
    harmony and perceptr are the waveforms of HPSS on that STFT, inverted by
    ``istft`` without ``length=`` and zero-padded to the segment's length; tempo is
    beat tracking on an onset envelope with median aggregation and the same padding.

    It gives the same numbers as :func:`compute_segment_features_plain`, faster:
    one STFT feeds chroma, centroid, bandwidth, roll-off, HPSS and the mel spectrogram
    (shared by the MFCCs and the onset envelope), and HPSS's median filters are
    exact running medians (:mod:`.hpss`).

    Examples
    --------
    >>> import numpy as np
    >>> tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(66149) / 22050)
    >>> curves = segment_curves(tone)
    >>> curves["mfcc"].shape, curves["spectral_centroid"].shape, curves["harmony"].shape
    ((20, 130), (130,), (66149,))
    """
    import librosa

    from .hpss import hpss  # compiles numba kernels: loaded on the first extraction only

    y = np.asarray(segment, dtype=np.float32)
    stft = librosa.stft(y, n_fft=N_FFT, hop_length=HOP_LENGTH, center=True, pad_mode="reflect")
    magnitude = np.abs(stft)
    power = magnitude ** 2.0
    centroid = librosa.feature.spectral_centroid(S=magnitude, sr=sr)
    # both HPSS parts inverted in one call
    waves = librosa.istft(np.stack(hpss(stft, magnitude=magnitude)), hop_length=HOP_LENGTH)
    waves = np.pad(waves, ((0, 0), (0, max(0, len(y) - waves.shape[-1]))))
    # what librosa.feature.melspectrogram(S=power) computes, with the filter bank built once
    mel = np.einsum("...ft,mf->...mt", power, _mel_basis(sr), optimize=True)
    log_mel = librosa.power_to_db(mel)
    onset = librosa.onset.onset_strength(S=log_mel, sr=sr, aggregate=np.median,
                                         n_fft=N_FFT, hop_length=HOP_LENGTH)
    # the tempo that beat_track returns, without its beat positions: importing
    # librosa.beat compiles its numba kernels anew in every process (about 1.5 s)
    tempo = 0.0 if not onset.any() else float(librosa.feature.tempo(
        onset_envelope=onset, sr=sr, hop_length=HOP_LENGTH, start_bpm=120.0)[0])
    return {
        "chroma_stft": librosa.feature.chroma_stft(S=power, sr=sr),
        "rms": librosa.feature.rms(y=y, frame_length=N_FFT, hop_length=HOP_LENGTH,
                                   center=True, pad_mode="reflect")[0],
        "spectral_centroid": centroid[0],
        "spectral_bandwidth": librosa.feature.spectral_bandwidth(S=magnitude, sr=sr, centroid=centroid)[0],
        "rolloff": librosa.feature.spectral_rolloff(S=magnitude, sr=sr)[0],
        "zero_crossing_rate": librosa.feature.zero_crossing_rate(
            y, frame_length=N_FFT, hop_length=HOP_LENGTH)[0],
        "harmony": waves[0],
        "perceptr": waves[1],
        "tempo": tempo,
        "mfcc": librosa.feature.mfcc(S=log_mel, n_mfcc=N_MFCC),
        "samples": y, "magnitude": magnitude, "log_mel": log_mel, "onset": onset,
    }


def compute_segment_features(segment: np.ndarray, *, sr: int = SR) -> dict[str, float]:
    """The 57 features of one segment, as the shipped table computes them: the mean and
    variance of each of its :func:`segment_curves` (chroma over all pitch classes and
    frames), and its tempo.

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
    """
    curves = segment_curves(segment, sr=sr)
    out: dict[str, float] = {"tempo": curves["tempo"]}
    for name in _SPECTRAL:
        out |= _mean_var(name, curves[name])
    for k in range(N_MFCC):
        out |= _mean_var(f"mfcc{k + 1}", curves["mfcc"][k])
    return {name: out[name] for name in FEATURE_NAMES}


@functools.lru_cache(maxsize=4)
def _mel_basis(sr: int) -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=sr, n_fft=N_FFT)


def compute_segment_features_plain(segment: np.ndarray, *, sr: int = SR) -> dict[str, float]:
    """The 57 features of one segment, one librosa call per feature (the reference recipe).

    This is the recipe as public notebooks write it, with the table's settings (see
    the Notes of :func:`compute_segment_features`), and takes the same parameters and
    returns the same dict. It is kept as the readable reference and as the baseline
    of ``benchmarks/``; :func:`compute_segment_features` gives the same bits about four
    times faster.
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


def compute_clip_features(y: np.ndarray, *, sr: int = SR, method: str = "fast",
                          whole_clip: bool = False) -> np.ndarray:
    """Features of every segment of a clip, or of the whole clip as one.

    Parameters
    ----------
    y : numpy.ndarray, shape (n_samples,)
        Mono audio at ``sr`` Hz.
    method : {"fast", "plain"}
        :func:`compute_segment_features` or the reference
        :func:`compute_segment_features_plain` (same numbers, slower).
    whole_clip : bool
        One row over the whole clip, as Kaggle's ``features_30_sec.csv`` computes it (the
        same recipe, applied to the whole 30-second excerpt; of a longer recording, to its
        centred 30 seconds: :func:`whole_clip_bounds`), instead of one row per 3-second
        segment as ``features_3_sec.csv``.

    Returns
    -------
    numpy.ndarray of float64, shape (n_segments, 57), or (1, 57) for ``whole_clip``
        One row per segment (see :func:`segment_bounds`), columns in :data:`FEATURE_NAMES` order.
    """
    if method not in ("fast", "plain"):
        raise ValueError(f"method must be 'fast' or 'plain', got {method!r}")
    segment_features = compute_segment_features if method == "fast" else compute_segment_features_plain
    bounds = [whole_clip_bounds(len(y))] if whole_clip and len(y) else segment_bounds(len(y))
    rows = [list(segment_features(y[a:b], sr=sr).values()) for a, b in bounds]
    return np.asarray(rows, dtype=np.float64).reshape(-1, len(FEATURE_NAMES))
