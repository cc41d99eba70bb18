"""Loading the feature table, and clear errors for bad tables."""

import numpy as np
import pandas as pd
import pytest

from gtzan_helpers.data import TableError, load_feature_table
from gtzan_helpers.features import FEATURE_NAMES
from gtzan_helpers.paths import FEATURE_TABLE


def test_shipped_table_shapes_labels_and_groups(table):
    assert table.X.shape == (2000, 57)
    assert table.feature_names == list(FEATURE_NAMES)
    assert table.X.dtypes.eq(np.float64).all()
    assert np.bincount(table.y).tolist() == [1000, 1000]
    counts = pd.Series(table.groups).value_counts()
    assert len(counts) == 200 and (counts == 10).all()
    assert table.groups[0] == "blues.00000" and table.y[0] == 0
    metal = table.filenames[table.y == 1]
    assert all(name.startswith("metal.") for name in metal)


def test_subset_keeps_rows_aligned(table):
    part = table.subset([5, 1500])
    assert part.filenames.tolist() == [table.filenames[5], table.filenames[1500]]
    assert part.X.iloc[1].equals(table.X.iloc[1500].rename(1))


def _broken(tmp_path, change):
    frame = pd.read_csv(FEATURE_TABLE, nrows=20)
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
    (lambda f: f.__setitem__("filename", f["filename"].str.replace("blues", "jazz")),
     "unknown genre 'jazz'"),
    (lambda f: f.__setitem__("filename", "track_one.wav"), "is not <genre>.<track>.<segment>.wav"),
])
def test_bad_tables_name_the_problem(tmp_path, change, message):
    path = _broken(tmp_path, change)
    with pytest.raises(TableError) as info:
        load_feature_table(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(TableError, match="no such file"):
        load_feature_table(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(TableError, match="not a readable CSV"):
        load_feature_table(empty)
