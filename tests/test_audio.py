"""Loading audio: formats that work, and one-line errors for files that do not."""

import numpy as np
import pytest

from gtzan_helpers.features.audio import AudioError, find_audio_files, load_audio

from .conftest import tone


def test_shipped_au_and_wav_load_at_22050(table):
    from gtzan_helpers.paths import AUDIO_DIR

    y = load_audio(AUDIO_DIR / "blues" / "blues.00000.au")
    assert y.dtype == np.float32 and len(y) == 661794 and np.abs(y).max() <= 1


def test_stereo_is_mixed_and_other_rates_resampled(write_wav):
    left = tone(440, sr=44100)
    path = write_wav("stereo.wav", np.column_stack([left, np.zeros_like(left)]), sr=44100)
    y = load_audio(path)
    assert len(y) == pytest.approx(3 * 22050, abs=2)
    assert np.abs(y).max() == pytest.approx(0.25, abs=0.01)  # mean of the two channels


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_24", "FLOAT"])
def test_bit_depths(write_wav, subtype):
    assert len(load_audio(write_wav(f"{subtype}.wav", tone(), subtype=subtype))) == 3 * 22050


def test_errors_name_the_file_and_reason(tmp_path, write_wav):
    cases = {
        tmp_path / "missing.wav": "no such file",
        tmp_path: "is a directory",
    }
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    cases[empty] = "empty file"
    fake = tmp_path / "notes.mp3"
    fake.write_text("these are not sounds\n" * 50)
    cases[fake] = "not a readable audio file"
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(write_wav("whole.wav", tone()).read_bytes()[:30])
    cases[truncated] = "not a readable audio file"
    cases[write_wav("short.wav", tone(seconds=0.5))] = "shorter than the minimum"
    cases[write_wav("silent.wav", np.zeros(3 * 22050, np.float32))] = "silent"
    for path, reason in cases.items():
        with pytest.raises(AudioError) as info:
            load_audio(path)
        message = str(info.value)
        assert message.startswith(str(path)) and reason in message and "\n" not in message


def test_find_audio_files(tmp_path, write_wav):
    write_wav("b.wav", tone())
    (tmp_path / "sub").mkdir()
    write_wav("sub/a.wav", tone())
    (tmp_path / "readme.txt").write_text("x")
    assert [p.name for p in find_audio_files(tmp_path)] == ["b.wav", "a.wav"]
    (tmp_path / "none").mkdir()
    with pytest.raises(AudioError, match="holds no audio"):
        find_audio_files(tmp_path / "none")
    with pytest.raises(AudioError, match="no such file or folder"):
        find_audio_files(tmp_path / "ghost")


@pytest.mark.parametrize("fmt, subtype, suffix", [("FLAC", "PCM_16", ".flac"),
                                                  ("OGG", "VORBIS", ".ogg"),
                                                  ("MP3", "MPEG_LAYER_III", ".mp3")])
def test_compressed_formats_libsndfile_reads(tmp_path, fmt, subtype, suffix):
    import soundfile as sf

    if fmt not in sf.available_formats():
        pytest.skip(f"this libsndfile has no {fmt}")
    path = tmp_path / f"song{suffix}"
    sf.write(path, tone(440, seconds=3.0), 22050, format=fmt, subtype=subtype)
    y = load_audio(path)
    assert len(y) == pytest.approx(3 * 22050, rel=0.02) and np.abs(y).max() > 0.3


def test_an_excerpt_is_found_where_it_was_cut_whatever_its_gain():
    from gtzan_helpers.features.audio import locate_excerpt

    recording = np.random.default_rng(0).normal(size=20_000)
    offset, correlation = locate_excerpt(0.5 * recording[1234:3234], recording)
    assert offset == 1234 and correlation == pytest.approx(1.0, abs=1e-9)
    # an unrelated excerpt correlates with no window
    _, unrelated = locate_excerpt(np.random.default_rng(1).normal(size=2000), recording)
    assert unrelated < 0.2
    assert locate_excerpt(recording, recording[:100]) == (0, 0.0)  # longer than the recording


@pytest.mark.parametrize("suffix", [".wav", ".au"])
def test_a_file_cut_short_is_named_and_what_is_there_used(write_wav, suffix):
    from gtzan_helpers.features.audio import AudioWarning

    whole = write_wav(f"whole{suffix}", tone(seconds=5.0), subtype="PCM_16")
    cut = whole.with_name(f"cut{suffix}")
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.warns(AudioWarning, match=r"cut\.\w+: its data ends at 2\.50 s, before the 5\.00 s its header"):
        y = load_audio(cut)
    assert len(y) == pytest.approx(22050 * 2.5, abs=40)  # half the bytes, less the header


@pytest.mark.parametrize("sr, subtype, said", [(8000, "PCM_16", "8000 Hz"), (22050, "PCM_U8", "8 bit")])
def test_audio_coarser_than_the_training_clips_is_warned_about(write_wav, sr, subtype, said):
    from gtzan_helpers.features.audio import AudioWarning

    path = write_wav("coarse.wav", tone(seconds=2.0, sr=sr), sr=sr, subtype=subtype)
    with pytest.warns(AudioWarning, match=f"coarse.wav: .*{said}.*coarser than the training clips"):
        load_audio(path)


def test_full_quality_audio_gives_no_warning(write_wav, recwarn):
    load_audio(write_wav("fine.wav", tone(seconds=2.0), subtype="PCM_16"))
    assert not [w for w in recwarn if "coarser" in str(w.message) or "ends at" in str(w.message)]


def test_a_symlink_loop_is_named_as_one(tmp_path, capsys):
    from gtzan_helpers.app.cli import main

    loop = tmp_path / "loop.wav"
    loop.symlink_to(loop)
    with pytest.raises(AudioError, match="loop.wav: a symbolic link that loops back on itself"):
        load_audio(loop)
    assert main(["extract", str(loop), "-o", str(tmp_path / "f.csv"), "-q", "--no-cache"]) == 1
    assert "loop.wav: a symbolic link that loops back on itself" in capsys.readouterr().err
