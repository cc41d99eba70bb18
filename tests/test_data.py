"""Loading the feature table, and clear errors for bad tables."""

import numpy as np
import pandas as pd
import pytest

from gtzan_helpers.data import (
    load_artists,
    load_feature_table,
    table_from_frame,
    TableError,
)
from gtzan_helpers.features import FEATURE_NAMES
from gtzan_helpers.matching import find_duplicate_tracks
from gtzan_helpers.paths import FEATURE_TABLE, KAGGLE_SAMPLE


def test_shipped_table_shapes_labels_and_groups(table):
    assert table.X.shape == (2000, 57)
    assert table.feature_names == list(FEATURE_NAMES)
    assert table.X.dtypes.eq(np.float64).all()
    assert np.bincount(table.y).tolist() == [1000, 1000]
    counts = pd.Series(table.tracks).value_counts()
    assert len(counts) == 200 and (counts == 10).all()
    assert table.tracks[0] == "blues.00000" and table.y[0] == 0
    metal = table.filenames[table.y == 1]
    assert all(name.startswith("metal.") for name in metal)


def test_subset_keeps_rows_aligned(table):
    part = table.subset([5, 1500])
    assert part.filenames.tolist() == [table.filenames[5], table.filenames[1500]]
    assert part.X.iloc[1].equals(table.X.iloc[1500].rename(1))


def _broken(tmp_path, change):
    frame = pd.concat([pd.read_csv(FEATURE_TABLE, nrows=10), pd.read_csv(FEATURE_TABLE).iloc[1000:1010]])
    change(frame)
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("change, message", [
    (lambda f: f.drop(columns=["tempo", "mfcc3_var"], inplace=True), "missing column(s) tempo, mfcc3_var"),
    (lambda f: f.drop(columns=["filename"], inplace=True), "missing column(s) filename"),
    (lambda f: f.__setitem__("rms_mean", f["rms_mean"].astype(object).where(f.index != 3, "loud")),
     "column rms_mean row 5 holds non-numeric value 'loud'"),
    (lambda f: f.__setitem__("mfcc2_var", f["mfcc2_var"].where(f.index != 7)),
     "column mfcc2_var row 9 is empty, NaN or infinite"),
    (lambda f: f.__setitem__("label", f["filename"].str.split(".").str[0].tolist()[:-1] + ["rock"]),
     "row 21 has label 'rock' but filename 'metal.00000.9.wav' says 'metal'"),
    (lambda f: f.__setitem__("filename", "track_one.wav"), "is not <genre>.<track>.<segment>.wav or <genre>.<track>.wav"),
    # the same file twice: with the same values, and with others
    (lambda f: f.__setitem__("filename", f["filename"].tolist()[:-1] + [f["filename"].iloc[0]]),
     "'blues.00000.0.wav' is on rows 2 and 21 (different values)"),
    (lambda f: f.iloc.__setitem__(len(f) - 1, f.iloc[0].to_numpy()),
     "'blues.00000.0.wav' is on rows 2 and 21 (the same values)"),
    (lambda f: f.__setitem__("filename", f["filename"].str.replace("metal.00", "blues.90")),
     "a classifier needs two genres or more, the table has only blues"),
])
def test_bad_tables_name_the_problem(tmp_path, change, message):
    path = _broken(tmp_path, change)
    with pytest.raises(TableError) as info:
        load_feature_table(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(TableError, match="no such feature table"):
        load_feature_table(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(TableError, match="not a readable CSV"):
        load_feature_table(empty)


def test_artists_from_sturms_index(table):
    assert table.artists[table.tracks == "blues.00000"][0] == "John Lee Hooker"
    per_track = dict(zip(table.tracks, table.artists))
    blues = {a for t, a in per_track.items() if t.startswith("blues")}
    assert len(blues) == 9
    unknown = [t for t, a in per_track.items() if a.startswith("unknown")]
    assert len(unknown) == 17 and all(t.startswith("metal") for t in unknown)
    assert table.subset([0, 1999]).artists.tolist() == [table.artists[0], table.artists[1999]]


def test_artist_spellings_are_merged_and_empty_ones_unknown(tmp_path):
    index = tmp_path / "artists.csv"
    index.write_text("track,artist,title\nmetal.00001,Rage Against the Machine,a\n"
                     "metal.00002,rage against  the Machine,b\nmetal.00003,,c\n")
    assert load_artists(index) == {"metal.00001": "Rage Against the Machine",
                                   "metal.00002": "Rage Against the Machine"}
    bad = tmp_path / "bad.csv"
    bad.write_text("track,name\nmetal.00001,x\n")
    with pytest.raises(TableError, match="bad.csv.*columns track and artist"):
        load_artists(bad)


def test_duplicates_found_from_the_features():
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(60, len(FEATURE_NAMES)))
    rows[20:30] = rows[0:10]                      # track 2 repeats track 0
    rows[30:40] = rows[10:20] * (1 + 1e-9)        # track 3 repeats track 1, up to rounding
    frame = pd.DataFrame(rows, columns=FEATURE_NAMES)
    frame.insert(0, "filename", [f"metal.{t:05d}.{s}.wav" for t in range(4) for s in range(10)]
                 + [f"blues.{t:05d}.{s}.wav" for t in range(2) for s in range(10)])  # a second genre
    found = find_duplicate_tracks(table_from_frame(frame))
    assert found == [("metal.00000", "metal.00002"), ("metal.00001", "metal.00003")]


def test_shipped_duplicates_are_sturms_repetitions(table):
    assert find_duplicate_tracks(table) == [("metal.00034", "metal.00094")] + [
        (f"metal.{a:05d}", f"metal.{a + 21:05d}") for a in range(40, 46)]


def test_kaggle_table_with_its_own_columns_and_ten_genres():
    table = load_feature_table(KAGGLE_SAMPLE)
    assert table.genres == ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal",
                            "pop", "reggae", "rock")
    assert table.X.shape == (100, 57) and np.bincount(table.y).tolist() == [10] * 10
    # the label column agrees with every filename, and the labels index the genres
    raw = pd.read_csv(KAGGLE_SAMPLE)
    assert [table.genres[k] for k in table.y] == raw["label"].tolist()
    assert (table.artists != "").all() and table.artists[0] == "John Lee Hooker"


def test_a_genre_selection_keeps_its_rows_in_alphabetical_label_order():
    table = load_feature_table(KAGGLE_SAMPLE, genres=["metal", "jazz", "blues"])
    assert table.genres == ("blues", "jazz", "metal") and len(table) == 30
    assert {g.split(".")[0] for g in table.tracks[table.y == 1]} == {"jazz"}
    assert load_feature_table(KAGGLE_SAMPLE, genres="all").genres == load_feature_table(KAGGLE_SAMPLE).genres
    # the shipped table: blues and metal, 0 and 1, with or without the selection
    shipped = load_feature_table(genres=["metal", "blues"])
    assert shipped.genres == ("blues", "metal") and shipped.y[0] == 0 and shipped.y[-1] == 1


@pytest.mark.parametrize("genres, message", [
    (["blues", "opera"], "no rows of genre 'opera' (the table has blues, classical,"),
    (["jazz"], "a classifier needs two genres or more, got jazz"),
])
def test_bad_genre_selections_name_the_problem(genres, message):
    with pytest.raises(TableError) as info:
        load_feature_table(KAGGLE_SAMPLE, genres=genres)
    assert message in str(info.value) and str(KAGGLE_SAMPLE) in str(info.value)


def test_tracks_with_fewer_segments_load_and_group(tmp_path):
    frame = pd.read_csv(KAGGLE_SAMPLE)
    frame = frame.drop(index=[3, 4, 5, 57])   # the blues track keeps 7 segments, metal's 9
    path = tmp_path / "short.csv"
    frame.to_csv(path, index=False)
    table = load_feature_table(path)
    counts = pd.Series(table.tracks).value_counts()
    assert counts["blues.00000"] == 7 and counts.min() == 7 and len(table) == 96


def test_genres_from_the_command_line():
    from gtzan_helpers import GtzanError
    from gtzan_helpers.data import parse_genres

    assert parse_genres("blues, metal") == ("blues", "metal")
    assert parse_genres("all") is None and parse_genres(None) is None
    with pytest.raises(GtzanError, match="--genres ','"):
        parse_genres(",")


def test_nearest_rows_finds_a_rows_own_features_first(table):
    from gtzan_helpers.matching import nearest_rows

    row = table.X.iloc[[123]]
    nearest = nearest_rows(table, row, k=3)
    assert nearest.index[0] == table.filenames[123] and nearest["distance"].iloc[0] == 0
    assert nearest["track"].iloc[0] == table.tracks[123]
    assert nearest["distance"].is_monotonic_increasing and nearest["distance"].iloc[1] > 0
    with pytest.raises(ValueError, match="one row of 57 values"):
        nearest_rows(table, np.zeros(5))


def test_the_ten_genre_table_of_whole_clips_loads_one_row_per_track():
    from gtzan_helpers.data import load_feature_table
    from gtzan_helpers.matching import find_duplicate_tracks
    from gtzan_helpers.paths import KAGGLE_30_SEC

    table = load_feature_table(KAGGLE_30_SEC)
    assert len(table) == 1000 and len(table.genres) == 10
    assert len(set(table.tracks)) == 1000 and table.tracks[0] == "blues.00000"
    assert (np.bincount(table.y) == 100).all()
    assert np.mean([not a.startswith("unknown") for a in table.artists]) > 0.5  # Sturm's index names most artists
    duplicates = find_duplicate_tracks(table)
    # GTZAN's exact repetitions, one of them a recording filed under two genres
    assert len(duplicates) == 14 and ("metal.00058", "rock.00016") in duplicates
    assert ("metal.00040", "metal.00061") in duplicates


def test_whole_clip_filenames_may_end_in_au_and_lines_in_crlf(tmp_path):
    from gtzan_helpers.data import load_feature_table
    from gtzan_helpers.paths import KAGGLE_30_SEC

    rows = pd.read_csv(KAGGLE_30_SEC).head(200)  # blues and classical
    rows["filename"] = rows["filename"].str.replace(".wav", ".au")
    path = tmp_path / "crlf.csv"
    path.write_bytes(rows.to_csv(index=False).replace("\n", "\r\n").encode())
    table = load_feature_table(path)
    assert table.genres == ("blues", "classical") and len(set(table.tracks)) == 200


def test_a_table_separated_by_semicolons_is_named_as_such(tmp_path):
    path = tmp_path / "semicolons.csv"
    pd.read_csv(FEATURE_TABLE, nrows=20).to_csv(path, index=False, sep=";")
    with pytest.raises(TableError) as info:
        load_feature_table(path)
    message = str(info.value)
    assert message.endswith("its header looks separated by semicolons, not commas")
    assert "and 55 more" in message and len(message) < 250


def test_a_genre_with_one_track_is_warned_about_where_folds_keep_tracks_whole(tmp_path, recwarn):
    from gtzan_helpers.splits import make_folds

    frame = pd.concat([pd.read_csv(FEATURE_TABLE, nrows=60), pd.read_csv(FEATURE_TABLE).iloc[1000:1010]])
    path = tmp_path / "one_metal.csv"
    frame.to_csv(path, index=False)
    table = load_feature_table(path)
    make_folds(table, protocol="segment", n_splits=5)   # segments of the track are split: nothing to say
    assert not [w for w in recwarn if "single" in str(w.message)]
    with pytest.warns(UserWarning, match="genre 'metal' has a single track: no fold can both train and test"):
        make_folds(table, protocol="track", n_splits=5)


def test_too_few_rows_for_the_folds_is_one_line(tmp_path, capsys):
    from gtzan_helpers.app.cli import main

    # ten 3-second rows per genre: too few for twelve folds that each hold every genre
    assert main(["evaluate", str(KAGGLE_SAMPLE), "--genres", "all", "--protocol", "segment", "--folds", "12",
                 "--jobs", "1"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == ("gtzan evaluate: genre 'blues' has 10 rows: 12-fold cross-validation needs at least 12 per "
                   "genre (ask for fewer folds)")
