"""The audio primers' drawings (notebook 00_start_here): they show what librosa computes."""

import matplotlib

matplotlib.use("Agg")

import librosa
import matplotlib.pyplot as plt
import numpy as np
import pytest

from gtzan_helpers.diagrams import (frame_starts, plot_frames, plot_segments, plot_spectrograms, plot_tones,
                                    plot_waveform_zoom)
from gtzan_helpers.features import HOP_LENGTH, N_FFT, SEGMENT_LENGTH, SR, segment_bounds


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _librosa_starts(n_samples, *, n_fft, hop_length, center):
    """First sample of each frame, read off librosa's own framing of the sample indices."""
    index = np.arange(n_samples, dtype=float)
    if center:  # what stft(center=True) frames: the signal with n_fft // 2 samples more at each end
        index = np.arange(-(n_fft // 2), n_samples + n_fft // 2, dtype=float)
    return librosa.util.frame(index, frame_length=n_fft, hop_length=hop_length)[0].astype(int)


@pytest.mark.parametrize("n_samples", [2048, 4096, 5000, SEGMENT_LENGTH, 30 * SR])
@pytest.mark.parametrize("center", [True, False])
def test_frame_starts_are_librosas_frames(n_samples, center):
    starts = frame_starts(n_samples, n_fft=N_FFT, hop_length=HOP_LENGTH, center=center)
    n_frames = librosa.stft(np.zeros(n_samples, dtype=np.float32), n_fft=N_FFT, hop_length=HOP_LENGTH,
                            center=center).shape[1]
    assert len(starts) == n_frames
    np.testing.assert_array_equal(starts, _librosa_starts(n_samples, n_fft=N_FFT, hop_length=HOP_LENGTH,
                                                          center=center))


def test_a_segment_has_130_frames():
    # what notebook 00 tells the reader: 1 + 66149 // 512
    assert len(frame_starts(SEGMENT_LENGTH)) == 1 + SEGMENT_LENGTH // HOP_LENGTH == 130


@pytest.mark.parametrize("hop_length", [HOP_LENGTH, 1024])
def test_frames_drawn_where_librosa_puts_them(hop_length):
    n = 6000
    fig = plot_frames(n, hop_length=hop_length, max_frames=None)
    windows = [line for line in fig.axes[0].lines if str(line.get_gid()).startswith("frame")]
    expected = _librosa_starts(n, n_fft=N_FFT, hop_length=hop_length, center=True)
    assert len(windows) == len(expected)
    drawn_ms = [line.get_xdata()[0] for line in windows]
    np.testing.assert_allclose(drawn_ms, expected / SR * 1000)
    assert all(np.isclose(line.get_xdata()[-1] - line.get_xdata()[0], (N_FFT - 1) / SR * 1000)
               for line in windows)


def test_frames_title_counts_all_frames_when_a_few_are_drawn():
    fig = plot_frames(SEGMENT_LENGTH, max_frames=4)
    ax = fig.axes[0]
    assert sum(str(line.get_gid()).startswith("frame") for line in ax.lines) == 4
    assert "130" in ax.get_title()
    assert ax.get_xlabel().startswith("time (ms") and ax.get_ylabel() == "frame"


def test_segments_drawn_are_the_tables_segments():
    y = np.zeros(30 * SR + 300, dtype=np.float32)
    fig = plot_segments(y)
    spans = [p for p in fig.axes[0].patches if str(p.get_gid()).startswith("segment")]
    bounds = segment_bounds(len(y))
    assert len(spans) == len(bounds) == 10
    for span, (first, stop) in zip(spans, bounds):
        np.testing.assert_allclose([span.get_x(), span.get_x() + span.get_width()], [first / SR, stop / SR])


def test_spectrograms_share_one_scale_and_label_axes():
    t = np.arange(2 * SR) / SR
    # tones on the centre of a frequency bin (k · SR / N_FFT Hz), so that each peak is whole
    low, high = 41 * SR / N_FFT, 279 * SR / N_FFT
    quiet, loud = 0.01 * np.sin(2 * np.pi * low * t), np.sin(2 * np.pi * high * t)
    fig = plot_spectrograms({"quiet": quiet, "loud": loud})
    panels = fig.axes[:2]
    assert [ax.get_title() for ax in panels] == ["quiet", "loud"]
    assert all(ax.get_xlabel() == "time (s)" for ax in panels) and panels[0].get_ylabel() == "frequency (Hz)"
    images = [ax.get_images()[0] for ax in panels]
    assert {image.get_clim() for image in images} == {(-80.0, 0.0)}
    np.testing.assert_allclose(images[0].get_extent(), (0, 2.0, 0, SR / 2))
    # one reference for both: the loud clip reaches 0 dB, the quiet one stays 40 dB below
    assert images[1].get_array().max() == pytest.approx(0.0)
    assert images[0].get_array().max() == pytest.approx(-40.0, abs=0.1)
    # the loud tone's energy sits in its own frequency bin
    peak_bin = int(np.argmax(images[1].get_array().mean(axis=1)))
    assert peak_bin == 279
    assert "dB" in fig.axes[-1].get_ylabel()


def test_waveform_zoom_shows_the_samples():
    y = np.sin(2 * np.pi * 440 * np.arange(3 * SR) / SR).astype(np.float32)
    fig = plot_waveform_zoom(y, start=1.0, zooms_ms=(50.0, 2.0))
    assert len(fig.axes) == 3
    assert all(ax.get_ylabel() == "amplitude" and ax.get_xlabel().startswith("time") for ax in fig.axes)
    dots = fig.axes[2].lines[-1]
    expected = y[SR:SR + round(0.002 * SR)]
    np.testing.assert_array_equal(dots.get_ydata(), expected)
    np.testing.assert_allclose(np.diff(dots.get_xdata()), 1000 / SR)


def test_tones_have_their_period():
    fig = plot_tones((100.0,), duration_ms=20.0)
    line = fig.axes[0].lines[0]
    x, y = line.get_xdata(), line.get_ydata()
    # upward zero crossings 10 ms apart
    ups = x[1:][(y[:-1] < 0) & (y[1:] >= 0)]
    np.testing.assert_allclose(np.diff(ups), 10.0, atol=1000 / SR)
    assert fig.axes[0].get_xlabel() == "time (ms)" and fig.axes[0].get_ylabel() == "amplitude"
