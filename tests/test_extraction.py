"""The fast path, the cache, parallel and Dask runs, and the `gtzan extract` command."""

import numpy as np
import pandas as pd
import pytest

import gtzan_helpers.features as features
import gtzan_helpers.features.extract as extract
from gtzan_helpers.features.audio import load_audio
from gtzan_helpers.app.cli import main
from gtzan_helpers.features import (
    compute_segment_features,
    compute_segment_features_plain,
    extract_files,
    SEGMENT_LENGTH,
    SEGMENT_STRIDE,
)
from gtzan_helpers.features.hpss import hpss
from gtzan_helpers.paths import AUDIO_DIR

from .conftest import tone

CLIPS = [AUDIO_DIR / "blues" / "blues.00013.wav", AUDIO_DIR / "metal" / "metal.00001.au"]


@pytest.mark.parametrize("clip", CLIPS, ids=lambda p: p.name)
def test_fast_path_is_bit_identical_to_the_plain_recipe(clip):
    y = load_audio(clip)
    for start in (0, 4 * 66150):
        segment = y[start:start + SEGMENT_LENGTH]
        assert compute_segment_features(segment) == compute_segment_features_plain(segment)


def test_hpss_equals_librosa():
    import librosa

    rng = np.random.default_rng(0)
    stft = (rng.normal(size=(1025, 60)) + 1j * rng.normal(size=(1025, 60))).astype(np.complex64)
    stft[:, :4] = 0  # silent frames take the split-zeros branch
    for ours, theirs in zip(hpss(stft), librosa.decompose.hpss(stft)):
        assert np.array_equal(ours, theirs)


def test_unknown_method():
    with pytest.raises(ValueError, match="method must be"):
        features.compute_clip_features(tone(), method="slow")


def test_cache_is_keyed_by_content(tmp_path, write_wav, monkeypatch):
    first = write_wav("a.wav", tone(330, seconds=4.0))
    cache = tmp_path / "cache"
    rows, _ = extract_files([first], cache_dir=cache)
    assert len(list(cache.glob("*.npz"))) == 1
    # the same bytes under another name are not extracted again
    renamed = tmp_path / "renamed.wav"
    renamed.write_bytes(first.read_bytes())
    monkeypatch.setattr(extract, "compute_clip_features",
                        lambda *a, **k: pytest.fail("extracted although cached"))
    again, _ = extract_files([renamed], cache_dir=cache)
    assert np.array_equal(rows.iloc[:, 1:].to_numpy(), again.iloc[:, 1:].to_numpy())
    assert again["filename"].tolist() == ["renamed.0.wav"]


@pytest.fixture
def excerpts(write_wav):
    """The first two segments of each clip, as files: the same music, a fifth of the work."""
    return [write_wav(f"{clip.stem}.wav", load_audio(clip)[:2 * SEGMENT_STRIDE]) for clip in CLIPS]


def test_parallel_run_equals_serial_run(excerpts):
    serial, _ = extract_files(excerpts, n_jobs=1)
    parallel, errors = extract_files(excerpts, n_jobs=2, progress=True)
    assert not errors
    assert len(serial) == 2 * len(excerpts)
    pd.testing.assert_frame_equal(serial, parallel)


def test_dask_cluster_gives_identical_results(excerpts):
    distributed = pytest.importorskip("distributed")
    local, _ = extract_files(excerpts, n_jobs=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        remote, errors = extract_files(excerpts, backend="dask", n_jobs=2)
    assert not errors
    pd.testing.assert_frame_equal(local, remote)


def test_label_from_folder(tmp_path, write_wav):
    (tmp_path / "blues").mkdir()
    write_wav("blues/00042.wav", tone(seconds=3.5))
    frame, _ = extract_files([tmp_path], label_from_folder=True)
    assert frame["filename"].tolist() == ["blues.00042.0.wav"]


def test_cli_extract_keeps_good_rows_and_reports_bad_files(tmp_path, write_wav, capsys):
    write_wav("good.wav", tone(seconds=6.5))
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x00\x00")
    write_wav("silent.wav", np.zeros(22050 * 2, np.float32))
    out = tmp_path / "features.csv"
    status = main(["extract", str(tmp_path), "-o", str(out), "-q", "--no-cache"])
    err = capsys.readouterr().err
    assert status == 1
    assert "broken.wav: not a readable audio file" in err and "silent.wav: silent" in err
    assert "Traceback" not in err
    table = pd.read_csv(out)
    assert table["filename"].tolist() == ["good.0.wav", "good.1.wav"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_cli_extract_missing_path(tmp_path, capsys):
    out = tmp_path / "features.csv"
    assert main(["extract", str(tmp_path / "ghost"), "-o", str(out), "-q"]) == 1
    assert "ghost: no such file or folder" in capsys.readouterr().err
    assert not out.exists()


def test_write_table_leaves_nothing_half_written(tmp_path):
    class Exploding(pd.DataFrame):
        def to_csv(self, path, **kwargs):
            open(path, "w").write("filename,chroma")
            raise OSError("disk full")

    out = tmp_path / "table.csv"
    with pytest.raises(OSError):
        features.write_table(Exploding({"a": [1]}), out)
    assert not out.exists() and not list(tmp_path.iterdir())


def test_cli_extract_missing_path_among_good_ones(tmp_path, write_wav, capsys):
    good = write_wav("good.wav", tone(seconds=3.5))
    out = tmp_path / "features.csv"
    status = main(["extract", str(tmp_path / "ghost.wav"), str(good), "-o", str(out), "-q",
                   "--no-cache"])
    assert status == 1
    assert "ghost.wav: no such file or folder" in capsys.readouterr().err
    assert pd.read_csv(out)["filename"].tolist() == ["good.0.wav"]


def _damage(entry, how):
    """A cache entry spoilt in one of the ways a disk, a crash or a hand can spoil it."""
    if how == "truncated":
        entry.write_bytes(entry.read_bytes()[:200])
    elif how == "random bytes":
        entry.write_bytes(np.random.default_rng(0).bytes(4000))
    else:
        with np.load(entry) as stored:
            features, meta = stored["features"], stored["meta"]
        if how == "other values":  # readable, the recorded digest no longer matches
            features = np.ones_like(features)
        elif how == "other shape":
            features = features[:, :50]
        np.savez(open(entry, "wb"), features=features, meta=meta)


@pytest.mark.parametrize("how", ["truncated", "random bytes", "other values", "other shape"])
def test_a_damaged_cache_entry_is_recomputed_with_one_warning(tmp_path, write_wav, how):
    song = write_wav("a.wav", tone(330, seconds=4.0))
    cache = tmp_path / "cache"
    fresh, _ = extract_files([song], cache_dir=cache)
    (entry,) = cache.glob("*.npz")
    _damage(entry, how)
    with pytest.warns(extract.CacheWarning, match=r"a\.wav: its cached features \(.*\) (are|do|hold) .*; recomputed them"):
        again, errors = extract_files([song], cache_dir=cache)
    assert not errors
    pd.testing.assert_frame_equal(fresh, again)  # never wrong rows
    assert np.array_equal(extract._checked_entry(entry, whole_clip=False), fresh.iloc[:, 1:].to_numpy())


def test_an_entry_of_the_other_recipe_is_not_used(tmp_path, write_wav):
    song = write_wav("a.wav", tone(330, seconds=4.0))
    cache = tmp_path / "cache"
    extract_files([song], cache_dir=cache)
    (entry,) = cache.glob("*.npz")
    with pytest.raises(ValueError, match="another recipe"):
        extract._checked_entry(entry, whole_clip=True)


def test_an_unreadable_file_is_one_error_and_the_others_are_kept(tmp_path, write_wav, monkeypatch, capsys):
    good, locked = write_wav("good.wav", tone(seconds=3.5)), write_wav("locked.wav", tone(seconds=3.5))
    digest = extract._file_digest

    def refuse(path, whole_clip=False):  # as reading a file without permission fails
        if path.name == "locked.wav":
            raise PermissionError(13, "Permission denied")
        return digest(path, whole_clip)

    monkeypatch.setattr(extract, "_file_digest", refuse)
    monkeypatch.setenv("GTZAN_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "features.csv"
    assert main(["extract", str(good), str(locked), "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [f"gtzan extract: {locked}: cannot be read (Permission denied)",
                                f"wrote 1 rows of 1 files to {out}"]
    assert pd.read_csv(out)["filename"].tolist() == ["good.0.wav"]


def test_a_cache_that_cannot_be_written_only_warns(tmp_path, write_wav, capsys, monkeypatch):
    song = write_wav("a.wav", tone(seconds=3.5))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("GTZAN_CACHE", str(blocker))
    out = tmp_path / "features.csv"
    assert main(["extract", str(song), "-o", str(out), "-q"]) == 0
    (warning, wrote) = capsys.readouterr().err.splitlines()
    assert warning.startswith(f"gtzan extract: warning: {song}: its features could not be cached in {blocker}")
    assert pd.read_csv(out)["filename"].tolist() == ["a.0.wav"]


def test_two_extracts_into_one_output_do_not_race(tmp_path, write_wav, capsys):
    from filelock import FileLock

    song, out = write_wav("a.wav", tone(seconds=3.5)), tmp_path / "features.csv"
    with FileLock(f"{out}.lock"):  # another run holds the output
        assert main(["extract", str(song), "-o", str(out), "-q", "--no-cache"]) == 1
    assert "features.csv: another gtzan extract is writing it" in capsys.readouterr().err
    assert not out.exists()
    assert main(["extract", str(song), "-o", str(out), "-q", "--no-cache"]) == 0  # free again
    assert out.exists() and not (tmp_path / "features.csv.lock").exists()


def test_gtzan_cache_shows_where_it_is_and_clears(tmp_path, write_wav, capsys, monkeypatch):
    monkeypatch.setenv("GTZAN_CACHE", str(tmp_path / "cache"))
    song = write_wav("a.wav", tone(seconds=3.5))
    assert main(["extract", str(song), "-o", str(tmp_path / "f.csv"), "-q"]) == 0
    capsys.readouterr()
    assert main(["cache"]) == 0
    assert capsys.readouterr().out.startswith(f"{tmp_path / 'cache'}: 1 cached feature files")
    assert main(["cache", "--clear"]) == 0
    assert "removed 1 cached feature files" in capsys.readouterr().out
    assert not list((tmp_path / "cache").glob("*.npz"))
