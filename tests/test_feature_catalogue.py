"""The feature catalogue (the 57 columns in words) and notebook 01's feature primers."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gtzan_helpers.features import (FEATURE_GROUPS, FEATURE_NAMES, N_MFCC, SEGMENT_LENGTH,  # noqa: E402
                                    compute_segment_features, feature_catalogue)

from .conftest import tone  # noqa: E402


def test_the_catalogue_has_one_row_per_column_of_the_table_in_its_order():
    catalogue = feature_catalogue()
    assert list(catalogue.columns) == ["feature", "family", "statistic", "what it measures"]
    assert tuple(catalogue["feature"]) == FEATURE_NAMES and len(catalogue) == 57
    assert catalogue.notna().all().all() and (catalogue.map(len) > 0).all().all()
    rows = catalogue.set_index("feature")
    assert rows.loc["tempo", "statistic"] == "one value per segment"
    assert rows.loc["spectral_centroid_mean", "statistic"] == "mean over the segment's frames"
    assert rows.loc["rms_var", "statistic"] == "variance over the segment's frames"
    assert rows.loc["chroma_stft_mean", "family"] == "chroma"
    assert "pitch classes" in rows.loc["chroma_stft_var", "statistic"]
    assert rows.loc["harmony_var", "statistic"] == "variance over the segment's samples"
    assert [rows.loc[f"mfcc{k}_mean", "family"] for k in (1, 5, N_MFCC)] == ["MFCC 1", "MFCC 5", f"MFCC {N_MFCC}"]
    # both statistics of a family say the same thing about it; families differ
    meaning = rows.groupby("family")["what it measures"].nunique()
    assert (meaning == 1).all()
    assert rows["family"].nunique() == 8 + 1 + N_MFCC
    # every group of the ablations is described, with no "{…}" left unfilled
    for names in FEATURE_GROUPS.values():
        assert set(names) <= set(rows.index)
    assert not catalogue.apply(lambda column: column.str.contains("[{}]")).any().any()


def test_the_catalogue_describes_a_subset_in_the_order_given():
    catalogue = feature_catalogue(["tempo", "mfcc12_var", "rolloff_mean"])
    assert list(catalogue["feature"]) == ["tempo", "mfcc12_var", "rolloff_mean"]
    assert list(catalogue["family"]) == ["tempo", "MFCC 12", "spectral roll-off"]
    assert "11 half-waves" in catalogue["what it measures"].iloc[1]


@pytest.mark.parametrize("name", ["loudness_mean", "spectral_centroid_median", "tempo_mean", "mfcc0_mean",
                                  "mfcc_mean", "MFCC 1_mean", "rms"])
def test_a_name_the_catalogue_cannot_describe_raises(name):
    with pytest.raises(ValueError, match="cannot describe"):
        feature_catalogue(["rms_mean", name])


@pytest.fixture(scope="module")
def curves():
    from gtzan_helpers.features import segment_curves

    rng = np.random.default_rng(0)
    clicks = np.zeros(SEGMENT_LENGTH, np.float32)
    clicks[::11025] = 1.0  # a click every half second: 120 BPM
    segment = tone(440.0)[:SEGMENT_LENGTH] + 0.3 * clicks + 0.01 * rng.standard_normal(SEGMENT_LENGTH)
    segment = segment.astype(np.float32)
    return segment, {"a tone with clicks": segment_curves(segment)}


def test_the_curves_drawn_are_the_ones_the_table_sums_up(curves):
    segment, by_label = curves
    [c] = by_label.values()
    assert c["mfcc"].shape == (N_MFCC, 130) and c["chroma_stft"].shape == (12, 130)
    assert len(c["harmony"]) == len(c["perceptr"]) == SEGMENT_LENGTH
    recipe = compute_segment_features(segment)
    assert list(recipe) == list(FEATURE_NAMES)
    for name in FEATURE_NAMES:
        stem, statistic = name.rsplit("_", 1) if name != "tempo" else ("tempo", None)
        curve = c["mfcc"][int(stem[4:]) - 1] if stem.startswith("mfcc") else c[stem]
        expected = curve if statistic is None else np.mean(curve) if statistic == "mean" else np.var(curve)
        assert recipe[name] == pytest.approx(float(expected), rel=1e-9, abs=1e-12), name


def test_the_primers_draw_labelled_figures(curves):
    from gtzan_helpers import diagrams

    _, by_label = curves
    figures = [diagrams.plot_mel_scale(), diagrams.plot_mfcc_envelope(by_label), diagrams.plot_chroma(by_label),
               diagrams.plot_spectral_shape(by_label), diagrams.plot_zcr_rms_frame(by_label),
               diagrams.plot_tempo(by_label), diagrams.plot_mean_variance(by_label)]
    try:
        for fig in figures:
            # every panel with data has a label on both axes and a title (colour-bar axes excepted)
            panels = [ax for ax in fig.axes if ax.lines or ax.images]
            assert panels
            for ax in panels:
                assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title(), (fig, ax)
    finally:
        for fig in figures:
            plt.close(fig)


def test_the_mel_figure_says_which_mel_scale_it_draws():
    import librosa

    from gtzan_helpers import diagrams

    fig = diagrams.plot_mel_scale()
    try:
        bottom = fig.axes[1]
        assert "Slaney" in bottom.get_ylabel()
        curve = bottom.lines[0]   # the scale (the next line marks 1 kHz)
        hz, mel = curve.get_xdata(), curve.get_ydata()
        np.testing.assert_allclose(mel, librosa.hz_to_mel(hz, htk=False))  # librosa's default, not HTK's
        # linear below 1 kHz, logarithmic above: an octave above 1 kHz is a far bigger step than 100 → 200 Hz
        step = lambda low, high: float(np.diff(librosa.hz_to_mel([low, high]))[0])  # noqa: E731
        assert step(1000, 2000) == pytest.approx(step(2000, 4000), rel=1e-6)
        assert step(100, 200) < step(1000, 2000) / 5
    finally:
        plt.close(fig)


def test_the_clip_overview_labels_every_time_axis_and_shows_mfccs_2_to_20():
    from gtzan_helpers.diagrams import MFCC_RANGE, plot_clip_overview

    clip = tone(440.0, seconds=2.0)
    fig = plot_clip_overview(clip, title="a tone")
    try:
        panels = [ax for ax in fig.axes if ax.get_title()]
        assert len(panels) == 6
        assert all(ax.get_xlabel() == "time (s)" for ax in panels)
        mfcc = next(ax for ax in panels if ax.get_title().startswith("MFCC"))
        [image] = mfcc.collections
        assert image.get_array().reshape(19, -1).shape[0] == 19  # coefficient 1 left out
        assert image.get_clim() == MFCC_RANGE and MFCC_RANGE[0] == -MFCC_RANGE[1]
    finally:
        plt.close(fig)


@pytest.mark.parametrize("frame", [0, 1, 128, 129])
def test_a_frame_that_runs_past_the_segment_is_refused_in_one_line(curves, frame):
    from gtzan_helpers import diagrams

    _, by_label = curves
    with pytest.raises(ValueError, match=f"frame {frame} of 'a tone with clicks': the frames drawn whole are 2 to 127"):
        diagrams.plot_zcr_rms_frame(by_label, frame=frame)
