"""Features: known answers on synthetic signals, and fidelity to the shipped table."""

import numpy as np
import pandas as pd
import pytest

from gtzan_helpers.features import (
    compute_clip_features,
    compute_segment_features,
    extract_file,
    extract_files,
    FEATURE_NAMES,
    segment_bounds,
    SEGMENT_LENGTH,
    SR,
    whole_clip_bounds,
)
from gtzan_helpers.app.cli import main
from gtzan_helpers.paths import AUDIO_DIR, FEATURE_TABLE, KAGGLE_30_SEC, TEST_CLIP

from .conftest import tone


def test_schema_is_the_tables():
    header = FEATURE_TABLE.read_text().split("\n", 1)[0].split(",")
    assert header == ["filename", *FEATURE_NAMES] and len(FEATURE_NAMES) == 57


def test_segment_bounds():
    bounds = segment_bounds(661794)
    assert len(bounds) == 10 and bounds[1] == (66150, 66150 + 66149)
    assert segment_bounds(65700) == [(0, 65700)]      # shorter than a segment: one row
    assert len(segment_bounds(61 * SR)) == 20          # longer clips: every full segment
    assert segment_bounds(0) == []


def test_known_answers_on_a_sine():
    f = compute_segment_features(tone(1000.0, seconds=3.0, amplitude=0.5)[:SEGMENT_LENGTH])
    assert f["spectral_centroid_mean"] == pytest.approx(1000, rel=0.03)
    assert f["zero_crossing_rate_mean"] == pytest.approx(2 * 1000 / SR, rel=0.02)
    assert f["rms_mean"] == pytest.approx(0.5 / np.sqrt(2), rel=0.02)
    assert f["perceptr_var"] < 0.01 * f["harmony_var"]  # a steady tone is harmonic


def test_chroma_of_a440_peaks_at_a():
    import librosa

    chroma = librosa.feature.chroma_stft(y=tone(440.0), sr=SR)
    assert chroma.mean(axis=1).argmax() == 9  # C, C#, ..., A is the tenth pitch class


def test_tempo_of_a_click_track():
    clicks = np.zeros(SEGMENT_LENGTH, np.float32)
    clicks[:: SR // 2] = 1.0  # 120 beats per minute
    assert compute_segment_features(clicks)["tempo"] == pytest.approx(120, rel=0.05)


def test_test_clip_gives_one_row():
    frame = extract_file(TEST_CLIP)
    assert frame["filename"].tolist() == ["audio_test.0.wav"]
    assert frame[list(FEATURE_NAMES)].notna().all().all()


def test_clip_features_shape():
    assert compute_clip_features(tone(seconds=7.0)).shape == (2, 57)
    assert compute_clip_features(tone(seconds=7.0), whole_clip=True).shape == (1, 57)


def assert_reproduces(ours: pd.DataFrame, table_path):
    """Every feature of ``ours`` (indexed by filename) against the rows of the same names in
    ``table_path``: tempo equal as printed, the others within the fidelity tolerance."""
    table = pd.read_csv(table_path)
    theirs = table.set_index("filename").loc[ours.index]
    scale = table[list(FEATURE_NAMES)].std()
    for column in FEATURE_NAMES:
        a, b = ours[column].to_numpy(), theirs[column].to_numpy()
        if column == "tempo":
            np.testing.assert_allclose(a, b, rtol=1e-9, err_msg=column)  # equal as printed
            continue
        rtol = 1e-2 if column in ("harmony_mean", "perceptr_mean") else 1e-3
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-4 * scale[column], err_msg=column)


def test_a_whole_clip_row_of_a_long_recording_describes_its_centred_30_seconds():
    assert whole_clip_bounds(SEGMENT_LENGTH) == (0, SEGMENT_LENGTH)
    assert whole_clip_bounds(675_808) == (0, 675_808)   # GTZAN's longest excerpt is used whole
    assert whole_clip_bounds(60 * SR) == (15 * SR, 45 * SR)
    y = tone(seconds=36.0) * np.linspace(0.2, 1.0, 36 * SR, dtype=np.float32)  # louder as it goes
    start, stop = whole_clip_bounds(len(y))
    np.testing.assert_array_equal(compute_clip_features(y, whole_clip=True),
                                  compute_clip_features(y[start:stop], whole_clip=True))


def test_features_reproduce_the_shipped_table():
    """A .wav and an .au clip, every column of every row, against the table (notebook 01
    rebuilds all 28 clips)."""
    clips = [AUDIO_DIR / "blues" / "blues.00013.wav", AUDIO_DIR / "metal" / "metal.00001.au"]
    ours, errors = extract_files(clips)
    assert not errors and len(ours) == 20
    assert_reproduces(ours.set_index("filename"), FEATURE_TABLE)


def test_whole_clip_rows_reproduce_kaggles_30_second_table(tmp_path):
    """``gtzan extract --whole-clip`` on GTZAN's layout gives the 30-second table's rows
    (.au and .wav clips of both genres)."""
    for name in ("blues.00000.au", "blues.00099.wav", "metal.00002.au", "metal.00096.wav"):
        genre = name.split(".")[0]
        (tmp_path / "genres" / genre).mkdir(parents=True, exist_ok=True)
        (tmp_path / "genres" / genre / name).symlink_to(AUDIO_DIR / genre / name)
    out = tmp_path / "clips.csv"
    assert main(["extract", str(tmp_path / "genres"), "-o", str(out), "--whole-clip",
                 "--label-from-folder", "--no-cache", "-q"]) == 0
    ours = pd.read_csv(out).set_index("filename")
    assert sorted(ours.index) == ["blues.00000.wav", "blues.00099.wav", "metal.00002.wav", "metal.00096.wav"]
    assert_reproduces(ours, KAGGLE_30_SEC)


def test_batch_reports_bad_files_and_keeps_good_rows(tmp_path, write_wav):
    write_wav("good.wav", tone(seconds=4.0))
    (tmp_path / "bad.wav").write_bytes(b"RIFF....WAVEnonsense")
    frame, errors = extract_files([tmp_path], label_from_folder=False)
    assert frame["filename"].tolist() == ["good.0.wav"]
    assert len(errors) == 1 and "bad.wav" in errors[0]


def test_feature_groups_partition_the_57_features():
    from gtzan_helpers.features import FEATURE_GROUPS

    members = [c for columns in FEATURE_GROUPS.values() for c in columns]
    assert sorted(members) == sorted(FEATURE_NAMES) and len(members) == len(set(members))
