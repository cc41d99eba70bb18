"""`gtzan train / predict / explain`: the bundle format, bad input, and the user's view."""

import io
import json
import pickle
import re
import zipfile

import numpy as np
import pytest

from gtzan_helpers import GENRES
from gtzan_helpers.features import FEATURE_NAMES, extract_file
from gtzan_helpers.recipe import RECIPE
from gtzan_helpers.scoring import decide
from gtzan_helpers.app.bundle import (
    BundleError,
    DEFAULT_MODEL,
    load_bundle,
    SHIPPED_MODELS,
    save_bundle,
    train_bundle,
)
from gtzan_helpers.app.cli import build_parser, main
from gtzan_helpers.data import load_feature_table
from gtzan_helpers.paths import AUDIO_DIR, FEATURE_TABLE, KAGGLE_30_SEC, TEST_CLIP

from .conftest import run, tone
from .tolerances import compare_results

SR = 22050


@pytest.fixture(scope="module")
def small_bundle(tmp_path_factory, table):
    part = table.subset(np.flatnonzero(np.isin(table.tracks, np.unique(table.tracks)[::4])))
    return train_bundle(part, tmp_path_factory.mktemp("model") / "small.npz", recipe=RECIPE.replace(max_epochs=3))



# how each shipped bundle was made: the command's arguments after `gtzan train`
SHIPPED = {"blues-metal": [str(FEATURE_TABLE), "--protocol", "track"],
           "ten-genres": [str(KAGGLE_30_SEC), "--genres", "all", "--model", "linear"]}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_bundles_are_reproduced_by_gtzan_train(tmp_path, capsys, name):
    # the same command twice gives the same bytes here; on another CPU the network's last
    # digits may differ, so the committed model is matched within the trained-number rule
    assert set(SHIPPED) == set(SHIPPED_MODELS)
    paths = [tmp_path / "first.npz", tmp_path / "second.npz"]
    for out in paths:
        status, _, err = run(capsys, "train", *SHIPPED[name], "-o", str(out))
        assert status == 0 and ("best epoch" in err or "on unheard artists" in err)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    ours, committed = load_bundle(paths[0]), load_bundle(name)
    for key in ("architecture", "labels", "rows"):
        assert ours.metadata[key] == committed.metadata[key], key
    np.testing.assert_allclose(ours.mean, committed.mean, rtol=1e-12)
    numbers = [k for k in ("best_epoch", "validation_accuracy", "artist_grouped_cv_accuracy")
               if k in committed.metadata["hyperparameters"]]
    assert numbers and compare_results({k: committed.metadata["hyperparameters"][k] for k in numbers},
                                       {k: ours.metadata["hyperparameters"][k] for k in numbers}) == []
    X = load_feature_table(SHIPPED[name][0]).X.to_numpy()
    agree = decide(ours.predict_proba(X)) == decide(committed.predict_proba(X))
    assert agree.mean() >= {"blues-metal": 0.95, "ten-genres": 0.9}[name]  # ten labels to agree on


def test_the_ten_genre_bundle_answers_among_ten_genres_from_whole_clips(capsys):
    bundle = load_bundle("ten-genres")
    assert bundle.whole_clip and not load_bundle().whole_clip and len(bundle.labels) == 10
    status, out, _ = run(capsys, "predict", str(AUDIO_DIR / "metal" / "metal.00002.au"), "--model",
                         "ten-genres", "--json")
    (result,) = json.loads(out)["results"]
    assert status == 0 and set(result) == {"file", "label", "probabilities"}  # no segments
    assert list(result["probabilities"]) == bundle.labels
    assert sum(result["probabilities"].values()) == pytest.approx(1, abs=1e-5)
    # the features it was given are the whole clip's row of Kaggle's 30-second table
    thirty = load_feature_table(KAGGLE_30_SEC)
    row = thirty.X[thirty.tracks == "metal.00002"].to_numpy()
    assert result["probabilities"] == pytest.approx(dict(zip(bundle.labels, bundle.predict_proba(row)[0])),
                                                    abs=1e-3)
    # SHAP for one of the ten outputs adds up to that genre's probability
    status, out, _ = run(capsys, "explain", str(AUDIO_DIR / "metal" / "metal.00002.au"), "--model",
                         "ten-genres", "--genre", "jazz", "--top", "3")
    assert status == 0 and "P(jazz)" in out and "whole clip" in out
    total = float(out.strip().splitlines()[-1].split("=")[-1])
    assert total == pytest.approx(result["probabilities"]["jazz"], abs=2e-3)


def test_bundle_round_trip_gives_the_same_predictions(small_bundle, tmp_path, table):
    again = tmp_path / "again.npz"
    save_bundle(again, small_bundle.model, mean=small_bundle.mean, scale=small_bundle.scale,
                background=small_bundle.background,
                hyperparameters=small_bundle.metadata["hyperparameters"])
    X = table.X.iloc[:50].to_numpy()
    assert np.array_equal(load_bundle(again).predict_proba(X), small_bundle.predict_proba(X))


def _rewrite(src, dst, change):
    """Copy a bundle's zip entries, letting `change(name, bytes)` alter some."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, change(info.filename, zin.read(info.filename)))
    return dst


def test_tampered_weights_are_refused(tmp_path):
    def flip(name, data):
        if name == "weight/net.0.weight.npy":
            data = data[:-1] + bytes([data[-1] ^ 1])
        return data

    bad = _rewrite(DEFAULT_MODEL, tmp_path / "tampered.npz", flip)
    with pytest.raises(BundleError, match="do not match their recorded SHA-256"):
        load_bundle(bad)


def test_feature_mismatch_and_unknown_version_are_refused(tmp_path, small_bundle):
    other = tmp_path / "other.npz"
    names = [f"f{i}" for i in range(57)]
    save_bundle(other, small_bundle.model, mean=small_bundle.mean, scale=small_bundle.scale,
                background=small_bundle.background, hyperparameters={}, feature_names=names)
    with pytest.raises(BundleError, match="features do not match"):
        load_bundle(other)

    def bump(name, data):
        if name == "metadata.npy":
            data = data.replace(b'"format_version": 3', b'"format_version": 9')
        return data

    future = _rewrite(DEFAULT_MODEL, tmp_path / "future.npz", bump)
    with pytest.raises(BundleError, match="format version 9 is not supported"):
        load_bundle(future)


def _with_metadata(change, *, reseal: bool):
    """A `_rewrite` change that edits the metadata (and, with `reseal`, records its new digest,
    as someone would who wanted the edit to pass)."""
    from gtzan_helpers.app.bundle import _metadata_digest

    def edit(name, data):
        if name != "metadata.npy":
            return data
        metadata = json.loads(np.load(io.BytesIO(data)).tobytes())
        change(metadata)
        if reseal:
            metadata["content_sha256"] = _metadata_digest(metadata)
        buffer = io.BytesIO()
        np.save(buffer, np.frombuffer(json.dumps(metadata, sort_keys=True).encode(), dtype=np.uint8))
        return buffer.getvalue()

    return edit


@pytest.mark.parametrize("change", [lambda m: m.__setitem__("labels", m["labels"][::-1]),
                                    lambda m: m.__setitem__("rows", "whole clips")],
                         ids=["labels reversed", "rows changed"])
def test_changed_metadata_is_refused(tmp_path, change):
    bad = _rewrite(DEFAULT_MODEL, tmp_path / "changed.npz", _with_metadata(change, reseal=False))
    with pytest.raises(BundleError, match="metadata does not match its recorded SHA-256"):
        load_bundle(bad)


def test_an_older_bundle_is_refused_with_what_to_do(tmp_path):
    old = _rewrite(DEFAULT_MODEL, tmp_path / "v2.npz",
                   _with_metadata(lambda m: m.__setitem__("format_version", 2), reseal=True))
    with pytest.raises(BundleError, match="format version 2 is not supported .*retrain it with gtzan train"):
        load_bundle(old)


def test_a_memory_bomb_is_refused_before_anything_is_unpacked(tmp_path):
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(DEFAULT_MODEL) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
        zout.writestr("padding.npy", bytes(70 * 2 ** 20))  # 70 MB of zeros, a few kB packed
    assert bomb.stat().st_size < 2 ** 20
    with pytest.raises(BundleError, match="unpacks to 70 MB, more than a bundle may hold"):
        load_bundle(bomb)


def test_an_entry_declaring_a_huge_array_is_refused_from_its_header(tmp_path):
    def huge(name, data):   # the header claims 10^12 floats; the data is what it was
        if name == "background.npy":
            header = np.lib.format.header_data_from_array_1_0(np.zeros((1, 57), np.float32))
            header["shape"] = (10 ** 12 // 57, 57)
            buffer = io.BytesIO()
            np.lib.format.write_array_header_1_0(buffer, header)
            return buffer.getvalue() + data[128:]
        return data

    with pytest.raises(BundleError, match=r"entry background is float32 of shape \(17543859649, 57\), not"):
        load_bundle(_rewrite(DEFAULT_MODEL, tmp_path / "huge.npz", huge))


def test_a_damaged_shipped_model_is_refused(tmp_path, monkeypatch):
    from gtzan_helpers.app import bundle as bundles

    copy = tmp_path / "default.npz"
    data = bytearray(DEFAULT_MODEL.read_bytes())
    data[len(data) // 2] ^= 1  # one bit, somewhere in the weights
    copy.write_bytes(bytes(data))
    monkeypatch.setitem(bundles.SHIPPED_MODELS, "blues-metal", copy)
    with pytest.raises(BundleError, match="shipped blues-metal model differs"):
        load_bundle("blues-metal")


def test_a_local_file_wins_over_a_shipped_models_name(tmp_path, monkeypatch, small_bundle):
    monkeypatch.chdir(tmp_path)
    save_bundle("ten-genres", small_bundle.model, mean=small_bundle.mean, scale=small_bundle.scale,
                background=small_bundle.background, hyperparameters={})
    assert load_bundle("ten-genres").labels == list(GENRES)


def test_weights_that_do_not_fit_the_architecture_are_refused(tmp_path):
    # the metadata claims 256 units in the first layer, and its digest is made to agree; the weights have 128
    widen = _with_metadata(lambda m: m["architecture"].__setitem__("hidden", [256, 128, 128]), reseal=True)
    bad = _rewrite(DEFAULT_MODEL, tmp_path / "widened.npz", widen)
    with pytest.raises(BundleError, match=r"entry weight/net.0.weight is float32 of shape \(128, 57\), "
                                          r"not float32 of shape \(256, 57\)"):
        load_bundle(bad)


class Exploit:
    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_pickles_are_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    Exploit.marker = marker
    evil = tmp_path / "model.pt"
    evil.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(BundleError, match="not a model bundle"):
        load_bundle(evil)
    assert not marker.exists()


@pytest.mark.parametrize("content, reason", [(b"", "not a model bundle"),
                                             (b"hello, I am a text file\n", "not a model bundle")])
def test_unknown_model_files(tmp_path, capsys, content, reason):
    model = tmp_path / "model.npz"
    model.write_bytes(content)
    status, _, err = run(capsys, "predict", str(TEST_CLIP), "--model", str(model))
    assert status == 1 and reason in err and str(model) in err and "Traceback" not in err
    status, _, err = run(capsys, "predict", str(TEST_CLIP), "--model", str(tmp_path / "nope.npz"))
    assert status == 1 and "no such model file" in err


def test_predict_the_test_clip_with_the_bundled_model(capsys):
    status, out, _ = run(capsys, "predict", str(TEST_CLIP), "--json")
    assert status == 0
    payload = json.loads(out)
    assert payload["errors"] == [] and len(payload["results"]) == 1
    result = payload["results"][0]
    assert set(result) == {"file", "label", "probabilities", "segments"}
    assert len(result["segments"]) == 1
    # the bundled model's own probabilities for the clip's features, and decide's label
    rows = extract_file(TEST_CLIP)[list(FEATURE_NAMES)].to_numpy()
    expected = load_bundle(DEFAULT_MODEL).predict_proba(rows)[0]
    assert list(result["probabilities"].values()) == pytest.approx(expected.tolist(), abs=1e-6)
    assert result["label"] == GENRES[decide(expected[None])[0]]
    assert sum(result["probabilities"].values()) == pytest.approx(1.0)
    # one segment: the song's probabilities are the segment's
    assert result["segments"][0] == result["probabilities"]


def test_bad_inputs_each_get_one_clear_line_and_good_files_still_work(tmp_path, write_wav, capsys):
    good = write_wav("good.wav", tone(seconds=4.0))
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    fake = tmp_path / "fake.mp3"
    fake.write_text("not audio at all\n" * 30)
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(good.read_bytes()[:40])
    short = write_wav("short.wav", tone(seconds=0.4))
    silent = write_wav("silent.wav", np.zeros(3 * SR, np.float32))
    (tmp_path / "no_audio").mkdir()
    cases = {tmp_path / "missing.wav": "no such file", empty: "empty file",
             fake: "not a readable audio file", truncated: "not a readable audio file",
             short: "shorter than the minimum", silent: "silent",
             tmp_path / "no_audio": "holds no audio"}
    status, out, err = run(capsys, "predict", str(good), *map(str, cases), "--json")
    assert status == 1
    assert [r["file"] for r in json.loads(out)["results"]] == [str(good)]
    lines = err.strip().splitlines()
    assert len(lines) == len(cases) and "Traceback" not in err
    for path, reason in cases.items():
        assert any(str(path) in line and reason in line for line in lines), (path, lines)
    assert "nan" not in out.lower()


@pytest.mark.parametrize("sr, channels, subtype", [(44100, 2, "PCM_16"), (48000, 1, "PCM_24"),
                                                   (22050, 1, "PCM_U8"), (16000, 2, "FLOAT")])
def test_unusual_but_valid_audio_just_works(tmp_path, capsys, sr, channels, subtype):
    import soundfile as sf

    y = tone(220, seconds=4.0, sr=sr)
    path = tmp_path / f"song_{sr}_{channels}_{subtype}.wav"
    sf.write(path, np.column_stack([y] * channels) if channels > 1 else y, sr, subtype=subtype)
    status, out, err = run(capsys, "predict", str(path), "--json")
    assert status == 0, err
    assert len(json.loads(out)["results"][0]["segments"]) == 1


def test_long_files_give_every_segment(tmp_path, write_wav, capsys):
    path = write_wav("long.wav", tone(330, seconds=65.0))
    status, out, _ = run(capsys, "predict", str(path), "--json")
    assert status == 0 and len(json.loads(out)["results"][0]["segments"]) == 21


def test_explain_states_the_base_value_and_adds_up(tmp_path, capsys):
    plot = tmp_path / "why.png"
    status, out, err = run(capsys, "explain", str(TEST_CLIP), "--top", "5", "--plot", str(plot),
                           "--genre", "metal")
    assert status == 0, err
    assert "not a threshold" in out and "top 5 contributions to P(metal)" in out
    probability = float(out.split("P(metal) = ")[1].split(",")[0])
    total = float(out.strip().splitlines()[-1].split("= ")[1])
    assert total == pytest.approx(probability, abs=2e-3)  # SHAP's additivity, as printed
    assert plot.read_bytes()[:4] == b"\x89PNG"
    # by default the predicted genre is explained: P(blues) = 1 - P(metal), same features
    status, out, err = run(capsys, "explain", str(TEST_CLIP), "--top", "5")
    predicted = out.split(": ")[1].split(" ")[0]
    assert status == 0 and f"top 5 contributions to P({predicted})" in out
    other = float(out.split(f"P({predicted}) = ")[1].split(",")[0])
    assert other == pytest.approx(probability if predicted == "metal" else 1 - probability, abs=1e-3)
    status, _, err = run(capsys, "explain", str(TEST_CLIP), "--genre", "jazz")
    assert status == 1 and "--genre 'jazz': the model knows blues, metal" in err


def test_explain_bad_input(tmp_path, capsys):
    status, _, err = run(capsys, "explain", str(tmp_path / "ghost.wav"))
    assert status == 1 and "ghost.wav: no such file" in err


@pytest.mark.parametrize("command", ["extract", "evaluate", "train", "predict", "explain"])
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out
    assert "%%" not in out  # descriptions are printed as written, help strings %-formatted


@pytest.mark.parametrize("as_json", [False, True])
def test_ctrl_c_keeps_the_songs_already_predicted(capsys, monkeypatch, as_json):
    from gtzan_helpers.app import songs
    from gtzan_helpers.paths import AUDIO_DIR

    real = songs.iter_predictions

    def interrupted_after_one(bundle, paths):
        iterator = real(bundle, paths)
        yield next(iterator)
        raise KeyboardInterrupt  # as Ctrl-C during the second song

    monkeypatch.setattr(songs, "iter_predictions", interrupted_after_one)
    clips = [str(AUDIO_DIR / "blues" / "blues.00013.wav"), str(AUDIO_DIR / "metal" / "metal.00001.au")]
    assert main(["predict", *clips, *(["--json"] if as_json else [])]) == 130
    out, err = capsys.readouterr()
    assert err.strip() == "gtzan predict: interrupted"
    if as_json:
        done = json.loads(out)
        assert done["interrupted"] and [r["file"] for r in done["results"]] == clips[:1]
    else:
        assert out.startswith(f"{clips[0]}: ") and clips[1] not in out


def test_ten_genres_show_the_three_most_likely_and_warn_of_a_short_clip(capsys):
    status, out, err = run(capsys, "predict", str(TEST_CLIP), "--model", "ten-genres")
    assert status == 0
    line = out.strip()
    assert line.count("P(") == 3 and "7 more with --all" in line and len(line) < 200
    probabilities = [float(p) for p in re.findall(r"= (\d\.\d+)", line)]
    assert probabilities == sorted(probabilities, reverse=True)
    assert "s long; the model learned from 30-second clips" in err   # the test clip is 3 s
    status, out, _ = run(capsys, "predict", str(TEST_CLIP), "--model", "ten-genres", "--all")
    assert out.count("P(") == 10
    status, out, _ = run(capsys, "predict", str(TEST_CLIP))   # two genres: both, as before
    assert out.count("P(") == 2 and "--all" not in out


def test_gtzan_info_describes_the_shipped_models(capsys):
    status, out, _ = run(capsys, "info")
    assert status == 0
    blues_metal, ten = out.strip().splitlines()
    assert blues_metal.startswith("blues-metal: the study's MLP; 2 genres (blues, metal); rows: 3-second segments")
    assert ten.startswith("ten-genres: logistic regression") and "10 genres" in ten and "rows: whole clips" in ten
    recorded = load_bundle("ten-genres").metadata["hyperparameters"]["artist_grouped_cv_accuracy"]
    assert f"{100 * recorded:.2f} % of tracks right on unheard artists (5-fold artist-grouped CV" in ten
