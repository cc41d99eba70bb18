"""The audio features drawn (notebook 01), from the curves the table's recipe sums up
(:func:`gtzan_helpers.features.segment_curves`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .sound import waveform_envelope


def _frame_times(n_frames: int, sr: int) -> np.ndarray:
    from ..features.segment import HOP_LENGTH

    return np.arange(n_frames) * HOP_LENGTH / sr


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def plot_mel_scale(*, sr: int | None = None, n_mels: int = 128, every: int = 8):
    """The mel filter bank the MFCCs use, and the mel scale it follows (notebook 01).

    The scale drawn is librosa's default, Slaney's (``htk=False``): linear below 1 kHz
    (15 mel there) and logarithmic above, about 50 mel at 11 kHz. The HTK formula
    ``2595 log10(1 + f / 700)`` has the same shape in other units.

    Parameters
    ----------
    sr : int, optional
        Sample rate in Hz; defaults to the table's 22 050.
    n_mels : int
        Bands of the filter bank (librosa's default, which the table's recipe uses).
    every : int
        Draw every ``every``-th band, so that each triangle can be seen.

    Examples
    --------
    >>> from gtzan_helpers.diagrams import plot_mel_scale
    >>> fig = plot_mel_scale()
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['frequency (Hz)', 'frequency (Hz)']
    >>> "Slaney" in fig.axes[1].get_ylabel()
    True
    >>> plt.close(fig)
    """
    import librosa

    from ..features.segment import N_FFT, SR

    sr = SR if sr is None else sr
    bank = librosa.filters.mel(sr=sr, n_fft=N_FFT, n_mels=n_mels)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=N_FFT)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), constrained_layout=True)
    for band in range(0, n_mels, every):
        top.plot(freqs, bank[band], lw=1)
    top.set(xlim=(0, sr / 2), xlabel="frequency (Hz)", ylabel="weight of each STFT bin",
            title=f"The mel filter bank: {n_mels} triangular bands (every {every}th drawn)")
    hz = np.linspace(0, sr / 2, 512)
    bottom.plot(hz, librosa.hz_to_mel(hz), color="k")
    bottom.axvline(1000, ls=":", color="grey")
    bottom.annotate("1 kHz: linear below, logarithmic above", (1000, 0), xytext=(6, 6),
                    textcoords="offset points", color="grey")
    bottom.set(xlim=(0, sr / 2), ylim=(0, None), xlabel="frequency (Hz)",
               ylabel="mel (Slaney's scale,\nlibrosa's default)",
               title="The mel scale: equal steps in mel sound like equal steps in pitch")
    return fig


def plot_mfcc_envelope(curves: dict, *, frame: int | None = None, n_mfcc: int | None = None):
    """One frame's log mel spectrum and its smooth envelope rebuilt from the first MFCCs (notebook 01).

    Parameters
    ----------
    curves : dict
        Panel title → :func:`~gtzan_helpers.features.segment_curves` of a segment; one panel each.
    frame : int, optional
        The frame drawn; defaults to the middle one.
    n_mfcc : int, optional
        Coefficients kept for the smooth curve; defaults to the table's 20.
    """
    import librosa
    from scipy.fft import dct, idct

    from ..features.segment import HOP_LENGTH, N_MFCC, SR

    n_mfcc = N_MFCC if n_mfcc is None else n_mfcc
    fig, axes = plt.subplots(1, len(curves), figsize=(11, 3.8), sharey=True, constrained_layout=True,
                             squeeze=False)
    for ax, (title, c) in zip(axes[0], curves.items()):
        t = c["log_mel"].shape[1] // 2 if frame is None else frame
        spectrum = c["log_mel"][:, t]
        coefficients = dct(spectrum, type=2, norm="ortho")  # what librosa's mfcc computes, all of them
        bands = np.arange(1, len(spectrum) + 1)
        ax.plot(bands, spectrum, color="0.6", lw=1, label=f"log mel spectrum ({len(bands)} bands)")
        for keep, style in ((n_mfcc, {"color": "C3", "lw": 2}), (2, {"color": "C0", "ls": "--"})):
            smooth = idct(np.where(np.arange(len(coefficients)) < keep, coefficients, 0.0), type=2, norm="ortho")
            ax.plot(bands, smooth, label=f"rebuilt from the first {keep} MFCCs", **style)
        centres = librosa.mel_frequencies(n_mels=len(bands) + 2, fmax=SR / 2)[1:-1]
        ticks = [100, 500, 1000, 2000, 5000, 10000]
        ax.set_xticks([int(np.argmin(abs(centres - f))) + 1 for f in ticks],
                      [f"{f // 1000}k" if f >= 1000 else str(f) for f in ticks])
        ax.set(xlabel="centre of the mel band (Hz, on the mel scale)",
               title=f"{title}: frame {t} (at {t * HOP_LENGTH / SR:.2f} s)")
    axes[0, 0].set_ylabel("level (dB)")
    axes[0, 0].legend(loc="lower left", fontsize=8)
    return fig


def plot_chroma(curves: dict):
    """The chromagram of each segment: energy per pitch class and frame (notebook 01).

    Parameters
    ----------
    curves : dict
        Panel title → :func:`~gtzan_helpers.features.segment_curves` of a segment; one panel each.
    """
    from ..features.segment import SR

    fig, axes = plt.subplots(1, len(curves) + 1, figsize=(11, 3.4), constrained_layout=True,
                             gridspec_kw={"width_ratios": [20] * len(curves) + [1]})
    for ax, (title, c) in zip(axes, curves.items()):
        chroma = c["chroma_stft"]
        end = chroma.shape[1] * _frame_times(2, SR)[1]
        image = ax.imshow(chroma, origin="lower", aspect="auto", extent=(0, end, -0.5, 11.5),
                          vmin=0, vmax=1, cmap="magma", interpolation="nearest")
        ax.set_yticks(range(12), ["C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B"])
        ax.set(xlabel="time (s)", ylabel="pitch class",
               title=f"{title}\nmean {chroma.mean():.2f}, variance {chroma.var():.3f}")
    fig.colorbar(image, cax=axes[-1], label="energy (1 = loudest class of the frame)")
    return fig


def plot_spectral_shape(curves: dict):
    """Spectral centroid, bandwidth and roll-off drawn over each segment's spectrogram (notebook 01).

    Parameters
    ----------
    curves : dict
        Panel title → :func:`~gtzan_helpers.features.segment_curves` of a segment; one panel each, stacked.
    """
    import librosa

    from ..features.segment import SR

    fig, axes = plt.subplots(len(curves), 2, figsize=(10, 3.2 * len(curves)), constrained_layout=True,
                             sharex="col", squeeze=False, gridspec_kw={"width_ratios": [40, 1]})
    for (ax, bar), (title, c) in zip(axes, curves.items()):
        times = _frame_times(c["magnitude"].shape[1], SR)
        image = ax.imshow(librosa.amplitude_to_db(c["magnitude"], ref=np.max), origin="lower", aspect="auto",
                          extent=(0, times[-1] + times[1], 0, SR / 2), vmin=-80, vmax=0, cmap="magma",
                          interpolation="nearest")
        centroid, width = c["spectral_centroid"], c["spectral_bandwidth"]
        ax.plot(times, centroid, color="white", lw=2, label="centroid")
        ax.plot(times, centroid + width, color="white", ls="--", lw=1, label="centroid ± bandwidth")
        ax.plot(times, np.maximum(centroid - width, 0), color="white", ls="--", lw=1)
        ax.plot(times, c["rolloff"], color="cyan", ls=":", lw=2, label="roll-off (85 %)")
        ax.set(ylabel="frequency (Hz)", ylim=(0, SR / 2),
               title=f"{title}: mean centroid {centroid.mean():.0f} Hz, bandwidth {width.mean():.0f} Hz, "
                     f"roll-off {c['rolloff'].mean():.0f} Hz")
        ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
        fig.colorbar(image, cax=bar, label="dB below the loudest bin")
    axes[-1, 0].set_xlabel("time (s)")
    return fig


def plot_zcr_rms_frame(curves: dict, *, frame: int | None = None):
    """One frame of each segment's waveform, its zero crossings marked and its RMS level drawn (notebook 01).

    Parameters
    ----------
    curves : dict
        Panel title → :func:`~gtzan_helpers.features.segment_curves` of a segment; one panel each, stacked.
    frame : int, optional
        The frame drawn, one whose window lies inside the segment (not the first two nor the
        last few); defaults to the middle one.
    """
    import librosa

    from ..features.segment import HOP_LENGTH, N_FFT, SR

    fig, axes = plt.subplots(len(curves), 1, figsize=(10, 2.6 * len(curves)), sharex=True, sharey=True,
                             constrained_layout=True, squeeze=False)
    for ax, (title, c) in zip(axes[:, 0], curves.items()):
        t = len(c["rms"]) // 2 if frame is None else frame
        inside = range(N_FFT // 2 // HOP_LENGTH, (len(c["samples"]) - N_FFT // 2) // HOP_LENGTH + 1)
        if t not in inside:  # a frame whose window runs past the segment's ends is padded, not drawn
            plt.close(fig)
            raise ValueError(f"frame {t} of {title!r}: the frames drawn whole are {inside.start} to {inside.stop - 1}")
        # frame t of the recipe is centred on sample t * hop
        samples = c["samples"][t * HOP_LENGTH - N_FFT // 2: t * HOP_LENGTH + N_FFT // 2]
        ms = np.arange(len(samples)) / SR * 1000
        crossings = librosa.zero_crossings(samples, pad=False)
        rms = c["rms"][t]
        ax.plot(ms, samples, lw=0.8, color="C0")
        ax.plot(ms[crossings], np.zeros(crossings.sum()), "|", color="C3", ms=8, label="zero crossing")
        ax.axhline(rms, color="k", ls="--", lw=1, label="± RMS")
        ax.axhline(-rms, color="k", ls="--", lw=1)
        ax.set(ylabel="amplitude",
               title=f"{title}, frame {t}: {int(crossings.sum())} zero crossings in {len(samples)} samples "
                     f"→ rate {c['zero_crossing_rate'][t]:.3f}; RMS {rms:.3f}")
    axes[0, 0].legend(loc="upper right", fontsize=8)
    axes[-1, 0].set_xlabel(f"time within the frame (ms; one frame = {N_FFT} samples)")
    return fig


def plot_tempo(curves: dict):
    """The onset envelope of each segment and how strongly it repeats at each tempo (notebook 01).

    Parameters
    ----------
    curves : dict
        Panel title → :func:`~gtzan_helpers.features.segment_curves` of a segment; one column each.
    """
    import librosa

    from ..features.segment import HOP_LENGTH, SR

    window = int(librosa.time_to_frames(8.0, sr=SR, hop_length=HOP_LENGTH))  # librosa.feature.tempo's
    bpms = librosa.tempo_frequencies(window, hop_length=HOP_LENGTH, sr=SR)
    shown = (bpms >= 30) & (bpms <= 320)
    fig, axes = plt.subplots(2, len(curves), figsize=(11, 5.6), constrained_layout=True, sharey="row",
                             squeeze=False)
    for (top, bottom), (title, c) in zip(axes.T, curves.items()):
        onset = c["onset"]
        top.plot(_frame_times(len(onset), SR), onset, color="C0")
        top.set(xlabel="time (s)", title=f"{title}\nonset envelope (rise of the log mel energy)")
        repeats = librosa.feature.tempogram(onset_envelope=onset, sr=SR, hop_length=HOP_LENGTH,
                                            win_length=window).mean(axis=1)
        bottom.semilogx(bpms[shown], repeats[shown], color="C2")
        bottom.axvline(c["tempo"], color="C3", ls="--", label=f"tempo: {c['tempo']:.1f} BPM")
        bottom.set_xticks([30, 60, 90, 120, 180, 240, 320], ["30", "60", "90", "120", "180", "240", "320"])
        bottom.set_xticks([], minor=True)
        bottom.set(xlabel="tempo (beats per minute, log scale)", title="how strongly the envelope repeats")
        bottom.legend(loc="upper right", fontsize=8)
    axes[0, 0].set_ylabel("onset strength (dB rise)")
    axes[1, 0].set_ylabel("autocorrelation")
    return fig


def plot_mean_variance(curves: dict, feature: str = "spectral_centroid", *, unit: str = "Hz"):
    """A feature's curve over the frames of each segment, with the mean and spread the table keeps (notebook 01).

    Parameters
    ----------
    curves : dict
        Label → :func:`~gtzan_helpers.features.segment_curves` of a segment; one curve each, on one axis.
    feature : str
        A one-per-frame curve of :func:`~gtzan_helpers.features.segment_curves` (``spectral_centroid``, ``rms``…).
    unit : str
        Its unit, for the axis label.
    """
    from ..features.segment import SR

    fig, ax = plt.subplots(figsize=(10, 3.6), constrained_layout=True)
    for colour, (label, c) in zip(("C0", "C1", "C2", "C3"), curves.items()):
        values = c[feature]
        times = _frame_times(len(values), SR)
        mean, sd = values.mean(), values.std()
        ax.plot(times, values, color=colour, lw=1, label=f"{label}: {len(values)} frames")
        ax.axhline(mean, color=colour, ls="--", lw=1.5,
                   label=f"mean {_number(mean)} {unit}, s.d. {_number(sd)} {unit}\n"
                         f"(variance = s.d.² = {_number(values.var())} {unit}²)")
        ax.axhspan(mean - sd, mean + sd, color=colour, alpha=0.12)
    ax.set(xlabel="time within the segment (s)", ylabel=f"{feature.replace('_', ' ')} ({unit})",
           title=f"{feature.replace('_', ' ').capitalize()}, frame by frame: the table keeps the mean "
                 "(dashed) and the variance (shaded: ± 1 s.d.)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    return fig


MFCC_RANGE = (-60.0, 60.0)
"""Colour scale of the MFCC panel (coefficients 2–20), the same for every clip so that clips compare."""


def plot_clip_overview(y: np.ndarray, *, sr: int | None = None, title: str = "", mfcc_range=MFCC_RANGE):
    """Waveform, log spectrogram, chroma, MFCCs and the HPSS parts of one clip (used by 01_features).

    Every panel shares one time axis, labelled on each panel; colour bars sit in a column of
    their own so that the panels line up. The spectrogram is in dB below the clip's loudest
    bin. The MFCC panel draws coefficients 2–20 on the fixed scale ``mfcc_range`` for every
    clip: coefficient 1, the overall level, is many times larger in size than the others and
    would wash them out on a shared scale; values beyond the scale take its end colours.

    Parameters
    ----------
    y : numpy.ndarray
        Mono audio at ``sr`` Hz.
    sr : int, optional
        Sample rate in Hz; defaults to the table's 22 050.
    title : str
        Shown above the panels.
    mfcc_range : (float, float)
        Colour limits of the MFCC panel (coefficients 2–20).
    """
    import librosa  # a second to import, and needed by notebook 01's overview only
    import librosa.display

    from ..features.hpss import hpss  # compiles numba kernels: loaded for the clip overview only
    from ..features.segment import HOP_LENGTH, N_FFT, SR

    sr = SR if sr is None else sr
    S = librosa.stft(y, n_fft=N_FFT, hop_length=HOP_LENGTH)
    harmonic, percussive = hpss(S)  # librosa's HPSS, bit for bit, in a fraction of the time
    fig, grid = plt.subplots(6, 2, figsize=(9, 15), constrained_layout=True,
                             gridspec_kw={"width_ratios": [40, 1]})
    axes, bars = grid[:, 0], grid[:, 1]
    for ax in axes[1:]:
        ax.sharex(axes[0])

    def image(ax, bar, data, label, extend="neither", **kwargs):
        img = librosa.display.specshow(data, sr=sr, hop_length=HOP_LENGTH, x_axis="time", ax=ax, **kwargs)
        fig.colorbar(img, cax=bar, label=label, extend=extend)

    def wave(ax, bar, samples, panel_title, color=None):
        # The envelope librosa's waveshow draws at this zoom (each frame's lowest and highest
        # sample), drawn once: waveshow redraws the whole figure whenever the shared time axis
        # moves, which took seconds per panel.
        low, high = waveform_envelope(samples, HOP_LENGTH)
        ax.fill_between(np.arange(len(low)) * HOP_LENGTH / sr, low, high, color=color, linewidth=0)
        ax.set_xlim(0, len(samples) / sr)
        ax.set(title=panel_title, xlabel="time (s)", ylabel="amplitude")
        bar.axis("off")

    wave(axes[0], bars[0], y, "Waveform")
    image(axes[1], bars[1], librosa.amplitude_to_db(np.abs(S), ref=np.max), "level (dB; 0 = loudest bin)",
          y_axis="log")
    axes[1].set(title="Spectrogram (log frequency)", ylabel="frequency (Hz)")
    image(axes[2], bars[2], librosa.feature.chroma_stft(S=np.abs(S) ** 2, sr=sr),
          "energy (normalised per frame)", y_axis="chroma")
    axes[2].set(title="Chroma", ylabel="pitch class")
    image(axes[3], bars[3], librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20)[1:], "coefficient value",
          extend="both", vmin=mfcc_range[0], vmax=mfcc_range[1], cmap="coolwarm")
    axes[3].set(title="MFCCs 2–20 (coefficient 1, the overall level, is left out)",
                ylabel="MFCC number")
    axes[3].set_yticks([0, 3, 8, 13, 18], ["2", "5", "10", "15", "20"])
    wave(axes[4], bars[4], librosa.istft(harmonic, length=len(y)), "Harmonic part (HPSS)", "C1")
    wave(axes[5], bars[5], librosa.istft(percussive, length=len(y)), "Percussive part (HPSS)", "C2")
    for ax in axes:
        ax.set_xlabel("time (s)")
    if title:
        fig.suptitle(title)
    return fig
