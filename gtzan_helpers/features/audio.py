"""Loading audio of any common format as 22 050 Hz mono float32.

Used by ``01_features``, ``06_shap`` and the command line. Every failure is an
:class:`AudioError` whose message names the file and the reason in one line.
"""

from __future__ import annotations

import errno
import warnings
from pathlib import Path

import numpy as np

from .. import GtzanError, GtzanWarning
from .segment import SR

AUDIO_EXTENSIONS = (".wav", ".au", ".flac", ".ogg", ".mp3", ".aiff", ".aif")
"""File extensions treated as audio when walking folders."""
MIN_SECONDS = 1.0
"""Shortest clip that gives a segment: shorter audio is refused."""


class AudioError(GtzanError):
    """An audio file cannot be used; the message names the file and says why."""


class AudioWarning(GtzanWarning):
    """An audio file is used, but it is not what it claims or not like the training data."""


LOW_QUALITY_SUBTYPES = ("PCM_S8", "PCM_U8", "ULAW", "ALAW", "IMA_ADPCM", "MS_ADPCM", "GSM610")
"""Encodings of 8 bits or fewer per sample: their features differ from 16-bit audio's."""


def _declared_frames(path: Path) -> int | None:
    """How many frames a WAV's or AU's header says its data holds (None: another format, or
    a header that does not say)."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        block = None
        at = 12
        while at + 8 <= len(head):
            chunk, size = head[at:at + 4], int.from_bytes(head[at + 4:at + 8], "little")
            if chunk == b"fmt ":
                block = int.from_bytes(head[at + 20:at + 22], "little")  # bytes per frame, all channels
            elif chunk == b"data":
                return size // block if block else None
            at += 8 + size + (size & 1)
        return None
    if head[:4] == b".snd":
        offset, size = int.from_bytes(head[4:8], "big"), int.from_bytes(head[8:12], "big")
        encoding, channels = int.from_bytes(head[12:16], "big"), int.from_bytes(head[20:24], "big")
        width = {1: 1, 2: 1, 3: 2, 4: 3, 5: 4, 6: 4, 7: 8, 27: 1}.get(encoding)
        if size == 0xFFFFFFFF or not width or not channels or offset < 24:
            return None
        return size // (width * channels)
    return None


def _check_source(path: Path, info) -> None:
    """Warn, naming the file, where audio is cut short or unlike the 16-bit, 22 050 Hz training clips."""
    declared = _declared_frames(path)
    if declared is not None and info.frames < declared:
        warnings.warn(AudioWarning(f"{path}: its data ends at {info.frames / info.samplerate:.2f} s, before "
                                   f"the {declared / info.samplerate:.2f} s its header declares (a truncated "
                                   "file?); only what is there is used"), stacklevel=3)
    if info.samplerate < SR or info.subtype in LOW_QUALITY_SUBTYPES:
        what = f"{info.samplerate} Hz" if info.samplerate < SR else f"{info.subtype_info or info.subtype} samples"
        warnings.warn(AudioWarning(f"{path}: {what}, coarser than the training clips' 16-bit, {SR} Hz audio: its "
                                   "features, and so the answers, may differ from the same music's at full "
                                   "quality"), stacklevel=3)


def load_audio(path: str | Path, *, sr: int = SR, min_seconds: float = MIN_SECONDS) -> np.ndarray:
    """Read an audio file as mono float32 at ``sr`` Hz.

    Parameters
    ----------
    path : str or Path
        Any file libsndfile reads (WAV of any bit depth or float, AU, FLAC, OGG, MP3).
    sr : int
        Target sample rate in Hz; other rates are resampled (librosa's soxr).
    min_seconds : float
        Shorter audio raises :class:`AudioError`.

    Returns
    -------
    numpy.ndarray of float32, shape (n_samples,)
        The samples in [-1, 1]; several channels are averaged to one.

    Raises
    ------
    AudioError
        Missing, empty, unreadable or truncated file, too short, or silent.
    """
    import soundfile as sf  # libsndfile, loaded with the first file

    path = Path(path)
    _check_link(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path}: is a directory, not an audio file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: empty file")
    try:
        _check_source(path, sf.info(path))
        samples, file_sr = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        reason = str(exc).split(":")[-1].strip() or "unreadable"
        raise AudioError(f"{path}: not a readable audio file ({reason})") from None
    y = samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0]
    if not np.all(np.isfinite(y)):
        raise AudioError(f"{path}: holds NaN or infinite samples")
    if file_sr != sr:
        import librosa  # a second to import: only resampling needs it here

        y = librosa.resample(y, orig_sr=file_sr, target_sr=sr).astype(np.float32)
    seconds = len(y) / sr
    if seconds < min_seconds:
        raise AudioError(f"{path}: {seconds:.2f} s of audio, shorter than the minimum of "
                         f"{min_seconds:g} s")
    if not np.any(y):
        raise AudioError(f"{path}: silent (every sample is zero)")
    return np.ascontiguousarray(y, dtype=np.float32)


def locate_excerpt(excerpt: np.ndarray, recording: np.ndarray) -> tuple[int, float]:
    """Where ``excerpt`` best matches inside ``recording``, and how well.

    The normalised cross-correlation of the excerpt with every window of the
    recording (computed by FFT with :func:`scipy.signal.correlate`): 1.0 means the
    window is the excerpt up to a gain, sample for sample.

    Returns
    -------
    offset : int
        First sample of the best-matching window.
    correlation : float
        Its normalised correlation, in [-1, 1] (0 when either side is silent).

    Examples
    --------
    An excerpt cut from sample 300 of a noise recording, at half the level:

    >>> import numpy as np
    >>> from gtzan_helpers.features.audio import locate_excerpt
    >>> recording = np.random.default_rng(0).normal(size=2000)
    >>> offset, correlation = locate_excerpt(0.5 * recording[300:500], recording)
    >>> offset, round(correlation, 6)
    (300, 1.0)
    """
    from scipy.signal import correlate  # only the clip detection of notebook 06 needs it

    excerpt, recording = np.asarray(excerpt, float), np.asarray(recording, float)
    if len(excerpt) > len(recording):
        return 0, 0.0
    dot = correlate(recording, excerpt, mode="valid", method="fft")
    power = np.concatenate([[0.0], np.cumsum(recording ** 2)])
    energy = power[len(excerpt):] - power[:-len(excerpt)]  # each window's energy, by a running sum
    norm = np.sqrt(np.clip(energy, 0, None) * np.dot(excerpt, excerpt))
    corr = np.divide(dot, norm, out=np.zeros_like(dot), where=norm > 0)
    offset = int(np.argmax(corr))
    return offset, float(np.clip(corr[offset], -1.0, 1.0))


def find_audio_files(paths, *, errors: list | None = None) -> list[Path]:
    """Expand files and folders into a sorted list of audio files.

    Parameters
    ----------
    paths : str, Path or iterable of them
        Files are kept as given (whatever their extension); folders are walked
        recursively for files with an extension in :data:`AUDIO_EXTENSIONS`.
    errors : list, optional
        For batch jobs: a path that does not exist, or a folder with no audio, is
        appended here as a one-line message and skipped, and the other paths are
        still expanded. Without it the first such path raises.

    Raises
    ------
    AudioError
        A path does not exist, or a folder holds no audio (only when ``errors`` is None).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    found: list[Path] = []
    for p in map(Path, paths):
        try:
            found += _expand(p)
        except AudioError as exc:
            if errors is None:
                raise
            errors.append(str(exc))
    return found


def _check_link(path: Path) -> None:
    """A symbolic link that points back into itself is named as one, not as a missing file."""
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:  # Python 3.11–3.12 say "Symlink loop" this way
            raise AudioError(f"{path}: a symbolic link that loops back on itself") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise AudioError(f"{path}: a symbolic link that loops back on itself") from None


def _expand(path: Path) -> list[Path]:
    _check_link(path)
    if path.is_dir():
        inside = sorted(f for f in path.rglob("*")
                        if f.is_file() and f.suffix.lower() in AUDIO_EXTENSIONS)
        if not inside:
            raise AudioError(f"{path}: folder holds no audio files ({', '.join(AUDIO_EXTENSIONS)})")
        return inside
    if path.exists():
        return [path]
    raise AudioError(f"{path}: no such file or folder")
