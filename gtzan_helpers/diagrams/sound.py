"""Sound for a newcomer (notebook 00): samples, tones, frames, spectrograms and segments."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..features.segment import HOP_LENGTH, N_FFT, SR, segment_bounds




def waveform_envelope(y: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest sample of each ``block`` samples of ``y`` (the last block padded
    with zeros): what a long waveform looks like at this zoom, drawn as one filled band instead
    of hundreds of thousands of line segments.

    Examples
    --------
    >>> low, high = waveform_envelope([0.1, -0.4, 0.3, 0.2, -0.1], 2)
    >>> low.tolist(), high.tolist()
    ([-0.4, 0.2, -0.1], [0.1, 0.3, 0.0])
    """
    frames = np.pad(np.asarray(y, dtype=float), (0, -len(y) % block)).reshape(-1, block)
    return frames.min(axis=1), frames.max(axis=1)


def frame_starts(n_samples: int, *, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH,
                 center: bool = True) -> np.ndarray:
    """First sample of each analysis frame of a signal, as ``librosa.stft`` cuts it.

    Parameters
    ----------
    n_samples : int
        Length of the signal in samples.
    n_fft : int
        Frame (window) length in samples.
    hop_length : int
        Samples from one frame's start to the next one's.
    center : bool
        ``True`` (librosa's default, and the feature recipe's): the signal is padded with
        ``n_fft // 2`` samples at both ends, so that frame ``t`` is centred on sample
        ``t * hop_length`` and the first frame starts before the signal (a negative start).
        ``False``: frames start at sample 0 and only whole frames inside the signal count.

    Returns
    -------
    numpy.ndarray of int, shape (n_frames,)
        ``1 + n_samples // hop_length`` frames when centred, else
        ``1 + (n_samples - n_fft) // hop_length`` (none when the signal is shorter than a frame).

    Examples
    --------
    >>> frame_starts(4096)          # centred: frame t is centred on sample t * 512
    array([-1024,  -512,     0,   512,  1024,  1536,  2048,  2560,  3072])
    >>> frame_starts(4096, center=False)
    array([   0,  512, 1024, 1536, 2048])
    >>> len(frame_starts(66149))    # a 3-second segment of the table
    130
    """
    if center:
        n_frames = 1 + n_samples // hop_length
        return np.arange(n_frames) * hop_length - n_fft // 2
    n_frames = max(0, 1 + (n_samples - n_fft) // hop_length) if n_samples >= n_fft else 0
    return np.arange(n_frames) * hop_length


def plot_waveform_zoom(y: np.ndarray, *, sr: int = SR, start: float = 1.0, zooms_ms=(50.0, 2.0)):
    """A waveform at three zooms: the whole clip, ``zooms_ms[0]`` ms of it, then a few samples.

    Each panel shades the stretch the next panel shows; the last panel draws every sample
    as a dot, so that the reader sees that a sound is a list of numbers, ``sr`` per second.

    Parameters
    ----------
    y : numpy.ndarray
        Mono audio at ``sr`` Hz.
    sr : int
        Sample rate in Hz.
    start : float
        Where the zooms start, in seconds.
    zooms_ms : sequence of float
        Length of each zoomed panel in milliseconds, longest first.

    Returns
    -------
    matplotlib.figure.Figure
        ``1 + len(zooms_ms)`` panels, one under the other.

    Examples
    --------
    >>> tone = np.sin(2 * np.pi * 440 * np.arange(SR) / SR).astype(np.float32)
    >>> fig = plot_waveform_zoom(tone, start=0.5)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['time (s)', 'time (ms after 0.5 s)', 'time (ms after 0.5 s)']
    >>> plt.close(fig)
    """
    y = np.asarray(y)
    fig, axes = plt.subplots(1 + len(zooms_ms), 1, figsize=(9, 2.3 * (1 + len(zooms_ms))),
                             constrained_layout=True)
    low, high = waveform_envelope(y, 256)
    axes[0].fill_between(np.arange(len(low)) * 256 / sr, low, high, linewidth=0)
    axes[0].set(xlim=(0, len(y) / sr), xlabel="time (s)", ylabel="amplitude",
                title=f"The whole clip: {len(y):,} samples, {len(y) / sr:.1f} s at {sr:,} Hz")
    first = int(round(start * sr))
    for k, (ax, ms) in enumerate(zip(axes[1:], zooms_ms)):
        n = max(2, int(round(ms / 1000 * sr)))
        times = np.arange(n) / sr * 1000
        part = y[first:first + n]
        if k == len(zooms_ms) - 1:
            ax.plot(times[:len(part)], part, color="0.6", linewidth=0.8)
            ax.plot(times[:len(part)], part, "o", markersize=3.5, color="C0")
            what = f"{len(part)} samples, one every {1000 / sr:.3f} ms"
        else:
            ax.plot(times[:len(part)], part, linewidth=0.9)
            what = f"{len(part):,} samples"
        ax.set(xlim=(0, ms), xlabel=f"time (ms after {start:g} s)", ylabel="amplitude",
               title=f"Zoom: {ms:g} ms ({what})")
        above = axes[k]
        scale = 1 if k == 0 else 1000  # the panel above is in s (the clip) or ms (a zoom)
        offset = start if k == 0 else 0.0
        above.axvspan(offset * scale, offset * scale + ms / 1000 * scale, facecolor="C3", alpha=0.35,
                      edgecolor="C3", linewidth=1.5 if k == 0 else 0)
    return fig


def plot_tones(frequencies=(220.0, 440.0), *, sr: int = SR, duration_ms: float = 10.0):
    """Pure tones ``sin(2π f t)`` sampled at ``sr`` Hz, with the period ``1/f`` of each marked.

    Parameters
    ----------
    frequencies : sequence of float
        Frequency of each tone in Hz.
    sr : int
        Sample rate in Hz.
    duration_ms : float
        How much of the tones to draw, in milliseconds.

    Returns
    -------
    matplotlib.figure.Figure
        One panel, one line (with its samples as dots) per tone.

    Examples
    --------
    >>> fig = plot_tones((220.0, 440.0))
    >>> len(fig.axes[0].lines), fig.axes[0].get_xlabel()
    (2, 'time (ms)')
    >>> plt.close(fig)
    """
    fig, ax = plt.subplots(figsize=(9, 3.2), constrained_layout=True)
    t = np.arange(int(round(duration_ms / 1000 * sr))) / sr
    for k, f in enumerate(frequencies):
        level = 1.0 - 0.25 * k  # a smaller amplitude each, so that the lines stay apart
        ax.plot(t * 1000, level * np.sin(2 * np.pi * f * t), "-o", markersize=2.2, linewidth=0.9,
                color=f"C{k}", label=f"{f:g} Hz")
        period = 1000 / f
        ax.annotate("", xy=(period * 1.25, level * 1.04), xytext=(period * 0.25, level * 1.04),
                    arrowprops={"arrowstyle": "<->", "color": f"C{k}"})
        ax.text(period * 1.3, level * 1.04, f"one period, 1/f = {period:.2f} ms", color=f"C{k}",
                va="center", fontsize=9)
    ax.set(xlim=(0, duration_ms), ylim=(-1.15, 1.3), xlabel="time (ms)", ylabel="amplitude",
           title=f"Pure tones sampled at {sr:,} Hz (dots: the samples)")
    ax.legend(loc="lower right")
    return fig


def plot_frames(n_samples: int, *, sr: int = SR, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH,
                center: bool = True, max_frames: int | None = 6, ax=None):
    """The overlapping analysis frames of a signal: one Hann window per frame, one per row.

    Frames are placed by :func:`frame_starts` (librosa's framing); each window line carries
    the ``gid`` ``"frame <t>"``. With ``center=True`` the padding before the signal's first
    sample is shaded.

    Parameters
    ----------
    n_samples : int
        Length of the signal in samples.
    sr : int
        Sample rate in Hz (for the time axis).
    n_fft, hop_length : int
        Frame length and hop, in samples.
    center : bool
        librosa's centred framing (see :func:`frame_starts`).
    max_frames : int or None
        Draw only the first ``max_frames`` frames (all when None); the title gives the count.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_frames(4096, max_frames=None)
    >>> sum(str(line.get_gid()).startswith("frame") for line in fig.axes[0].lines)
    9
    >>> plt.close(fig)
    """
    starts = frame_starts(n_samples, n_fft=n_fft, hop_length=hop_length, center=center)
    shown = starts if max_frames is None else starts[:max_frames]
    fig, ax = _frames_axes(ax, len(shown))
    ms = 1000 / sr
    window = np.hanning(n_fft)  # the shape of the Hann window librosa applies
    span = np.arange(n_fft)
    for t, first in enumerate(shown):
        row = len(shown) - 1 - t  # frame 0 on top
        ax.plot((first + span) * ms, row + 0.8 * window, color=f"C{t % 2}", linewidth=1.2, gid=f"frame {t}")
        ax.plot((first + n_fft // 2) * ms, row, "|", color=f"C{t % 2}", markersize=8)
    left, right = shown[0] * ms, (shown[-1] + n_fft) * ms
    if center and shown[0] < 0:
        ax.axvspan(left, 0, color="0.85", zorder=0)
        ax.text(left / 2, 0, "padding", ha="center", va="bottom", fontsize=9)
    if n_samples * ms < right:
        ax.axvspan(n_samples * ms, right, color="0.85", zorder=0)
    ax.axvline(0, color="0.3", linewidth=0.8)
    top = len(shown) - 1
    ax.annotate("", xy=((shown[0] + n_fft) * ms, top + 0.9), xytext=(shown[0] * ms, top + 0.9),
                arrowprops={"arrowstyle": "<->"})
    ax.text((shown[0] + n_fft / 2) * ms, top + 0.98, "n_fft", ha="center", va="bottom", fontsize=8)
    if len(shown) > 1:
        centres = [(first + n_fft // 2) * ms for first in shown[:2]]
        ax.annotate("", xy=(centres[1], top - 0.1), xytext=(centres[0], top - 0.1), arrowprops={"arrowstyle": "->"})
        ax.text(centres[1] + 1, top - 0.1, "hop", va="center", fontsize=8)
    ax.text(0.99, 0.97, f"window: n_fft = {n_fft} samples = {n_fft * ms:.1f} ms\n"
            f"hop: {hop_length} samples = {hop_length * ms:.1f} ms\n"
            f"neighbours overlap by {max(0, n_fft - hop_length) / n_fft:.0%}\nshort tick: the frame's centre",
            transform=ax.transAxes, ha="right", va="top", fontsize=9,
            bbox={"facecolor": "white", "edgecolor": "0.7"})
    ax.set(xlim=(left, right), ylim=(-0.3, len(shown) + 0.3), xlabel="time (ms, 0 = first sample)",
           ylabel="frame")
    ax.set_yticks(range(len(shown)), [str(t) for t in range(len(shown))][::-1])
    which = f"First {len(shown)} of the" if len(shown) < len(starts) else "The"
    ax.set_title(f"{which} {len(starts)} frames of a signal of {n_samples:,} samples")
    return fig


def _frames_axes(ax, rows: int):
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 0.55 * rows + 1.6), constrained_layout=True)
        return fig, ax
    return ax.figure, ax


def plot_spectrograms(clips: dict, *, sr: int = SR, n_fft: int = N_FFT, hop_length: int = HOP_LENGTH,
                      top_db: float = 80.0):
    """Spectrograms in decibels of several clips side by side, on one colour scale.

    Each clip's short-time Fourier transform (centred frames of ``n_fft`` samples, Hann
    window, hop ``hop_length``) is drawn as ``20 log10(|X| / ref)`` dB, where ``ref`` is the
    largest magnitude of *all* the clips, so that one colour means one level everywhere;
    levels more than ``top_db`` below it are drawn at ``-top_db``. Frequency is linear, in Hz,
    up to ``sr / 2``.

    Parameters
    ----------
    clips : dict
        Title → mono audio at ``sr`` Hz (draw a few seconds: each is drawn whole).
    sr : int
        Sample rate in Hz.
    n_fft, hop_length : int
        Frame length and hop, in samples.
    top_db : float
        Lowest level drawn, in dB below the loudest bin.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per clip and a colour bar.

    Examples
    --------
    >>> t = np.arange(SR) / SR
    >>> fig = plot_spectrograms({"440 Hz": np.sin(2 * np.pi * 440 * t),
    ...                          "880 Hz": np.sin(2 * np.pi * 880 * t)})
    >>> [(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes[:2]]
    [('time (s)', 'frequency (Hz)'), ('time (s)', '')]
    >>> plt.close(fig)
    """
    import librosa  # a second to import: the spectrogram primer only

    magnitudes = {name: np.abs(librosa.stft(np.asarray(y, dtype=np.float32), n_fft=n_fft,
                                            hop_length=hop_length)) for name, y in clips.items()}
    ref = max(float(m.max()) for m in magnitudes.values())
    fig, axes = plt.subplots(1, len(clips), figsize=(4.6 * len(clips) + 0.8, 4), sharey=True,
                             constrained_layout=True, squeeze=False)
    for ax, (name, m) in zip(axes[0], magnitudes.items()):
        db = np.maximum(20 * np.log10(np.maximum(m, 1e-10) / ref), -top_db)
        seconds = len(clips[name]) / sr
        image = ax.imshow(db, origin="lower", aspect="auto", cmap="magma", vmin=-top_db, vmax=0,
                          extent=(0, seconds, 0, sr / 2), interpolation="nearest")
        ax.set(title=name, xlabel="time (s)")
    axes[0, 0].set_ylabel("frequency (Hz)")
    fig.colorbar(image, ax=axes[0].tolist(), label="level (dB below the loudest bin of all clips)")
    return fig


def plot_segments(y: np.ndarray, *, sr: int = SR, title: str = ""):
    """A clip's waveform cut into the table's 3-second segments (:func:`segment_bounds`).

    Each segment is shaded (``gid`` ``"segment <i>"``) and numbered as the table's file
    names number them, from 0.

    Parameters
    ----------
    y : numpy.ndarray
        Mono audio at ``sr`` Hz.
    sr : int
        Sample rate in Hz.
    title : str
        Title of the panel; a default names the number of segments.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_segments(np.zeros(30 * SR, dtype=np.float32))
    >>> sum(str(p.get_gid()).startswith("segment") for p in fig.axes[0].patches)
    10
    >>> plt.close(fig)
    """
    y = np.asarray(y)
    bounds = segment_bounds(len(y))
    fig, ax = plt.subplots(figsize=(9, 2.6), constrained_layout=True)
    low, high = waveform_envelope(y, 256)
    ax.fill_between(np.arange(len(low)) * 256 / sr, low, high, color="0.35", linewidth=0)
    top = max(float(np.abs(y).max()), 1e-9) * 1.15
    for i, (first, stop) in enumerate(bounds):
        ax.axvspan(first / sr, stop / sr, color=f"C{i % 2}", alpha=0.25, linewidth=0, gid=f"segment {i}")
        ax.text((first + stop) / 2 / sr, top * 0.93, str(i), ha="center", va="top", fontsize=9)
    ax.set(xlim=(0, len(y) / sr), ylim=(-top, top), xlabel="time (s)", ylabel="amplitude",
           title=title or f"{len(bounds)} segments of {bounds[0][1] - bounds[0][0]:,} samples each")
    return fig
