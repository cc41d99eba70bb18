"""Loading and checking the feature table (``data/audio_gtzan.csv``) and its metadata.

One loader owns the on-disk format: every notebook, the command line and the tests
call :func:`load_feature_table` and get features, labels, track ids and artists back.
The artists come from Bob L. Sturm's index of GTZAN (``data/gtzan_artists.csv``;
Sturm, "An Analysis of the GTZAN Music Genre Dataset", ACM MIRUM 2012, and "The GTZAN
dataset: its contents, its faults, their effects on evaluation, and future use", 2013).
GTZAN's repeated recordings are found from the features by :mod:`gtzan_helpers.matching`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import GENRES, GtzanError, GtzanWarning
from .features.segment import FEATURE_NAMES
from . import paths

# <genre>.<track>.<segment>.wav for a table of segments; <genre>.<track>.wav (or .au, as some
# copies of GTZAN name them) for a table of whole clips, one row per track
_FILENAME = re.compile(r"^(?P<genre>[A-Za-z]+)\.(?P<track>\d+)(?:\.(?P<segment>\d+))?\.(?:wav|au)$")


class TableWarning(GtzanWarning):
    """A table that can be used, but not as well as its user may think (a genre with one track)."""


class TableError(GtzanError):
    """The feature table cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class FeatureTable:
    """A checked feature table.

    Attributes
    ----------
    X : pandas.DataFrame, shape (n_segments, 57)
        Features in the table's column order (:data:`gtzan_helpers.features.FEATURE_NAMES`).
    y : numpy.ndarray of int, shape (n_segments,)
        Label: index into :attr:`genres` (for the shipped table 0 = blues, 1 = metal).
    tracks : numpy.ndarray of str, shape (n_segments,)
        Track id of each segment, e.g. ``"blues.00000"``; all segments of a track share it.
    filenames : numpy.ndarray of str, shape (n_segments,)
        The table's ``filename`` column.
    artists : numpy.ndarray of str, shape (n_segments,)
        Artist of each segment's track (:func:`load_artists`); a track of unknown artist
        gets ``"unknown (<track>)"``, an artist of its own.
    genres : tuple of str
        The genre of each label, in label order: the genres present in the table (or the
        ones selected), sorted alphabetically, so that blues and metal are 0 and 1.
    """

    X: pd.DataFrame
    y: np.ndarray
    tracks: np.ndarray
    filenames: np.ndarray
    artists: np.ndarray
    genres: tuple = GENRES

    def __len__(self) -> int:
        return len(self.y)

    @property
    def feature_names(self) -> list[str]:
        """Column names of :attr:`X`."""
        return list(self.X.columns)

    @property
    def whole_clips(self) -> bool:
        """Whether each row describes a whole clip (the 30-second table: no segment number in
        ``filename``) rather than one 3-second segment."""
        return not any((m := _FILENAME.match(str(f))) and m["segment"] for f in self.filenames)

    def subset(self, index) -> "FeatureTable":
        """Rows ``index`` (positions) as a new table."""
        index = np.asarray(index)
        return FeatureTable(self.X.iloc[index].reset_index(drop=True), self.y[index],
                            self.tracks[index], self.filenames[index], self.artists[index],
                            self.genres)


def read_csv(path: str | Path, *, columns=(), what: str = "CSV table", **options) -> pd.DataFrame:
    """The one way a CSV file is read: the frame, or a :class:`TableError` naming the file.

    Parameters
    ----------
    path : str or Path
    columns : sequence of str
        Columns the file must have.
    what : str
        What the file is, for the messages ("artist index", ...).
    **options
        Passed to :func:`pandas.read_csv`.

    Raises
    ------
    TableError
        The file is missing or unreadable, or lacks one of ``columns``.
    """
    path = Path(path)
    if not path.is_file():
        raise TableError(f"{path}: no such {what}")
    try:
        frame = pd.read_csv(path, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise TableError(f"{path}: not a readable CSV table ({exc})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TableError(f"{path}: the {what} needs the columns {' and '.join(columns)} "
                         f"({', '.join(missing)} missing)")
    return frame


def load_feature_table(path: str | Path | None = None, *, genres=None,
                       artists: str | Path | bool | None = True) -> FeatureTable:
    """Read and check a feature table: ours, or Kaggle's ``features_3_sec.csv`` or ``features_30_sec.csv``.

    Parameters
    ----------
    path : str or Path
        CSV with a ``filename`` column and the 57 feature columns; Kaggle's ``length``
        and ``label`` columns may be there too (the label must be the filename's genre
        word). By default the shipped ``data/audio_gtzan.csv``. A table of segments names
        its rows ``<genre>.<track>.<segment>.wav`` (a track may have any number of them);
        a table of whole clips has one row per track, ``<genre>.<track>.wav`` or ``.au``.
    genres : sequence of str, "all" or None
        Keep only the rows of these genres (any order; labels follow the alphabetical
        order). ``None`` or ``"all"``: every genre in the table.
    artists : str, Path, True or None
        Artist index (``track,artist``); ``True``, the default: the shipped
        ``data/gtzan_artists.csv`` (all 1,000 GTZAN tracks). ``None``, or a track it does
        not list: the track's artist is unknown.

    Returns
    -------
    FeatureTable

    Raises
    ------
    TableError
        The file is missing or unreadable, a column is missing, a value is not a
        finite number, a filename is malformed or disagrees with its label, a selected
        genre has no rows, or fewer than two genres are selected.
    """
    path = paths.FEATURE_TABLE if path is None else path   # resolved now: GTZAN_ROOT may have changed
    frame = read_csv(path, what="feature table", dtype={"filename": str, "label": str})
    index = {} if artists is None or artists is False else load_artists(None if artists is True else artists)
    return table_from_frame(frame, source=str(path), genres=genres, artists=index)


def parse_genres(text: str | None):
    """A genre selection as the command line writes it: ``"blues,metal"``, ``"all"`` or None.

    Examples
    --------
    >>> from gtzan_helpers.data import parse_genres
    >>> parse_genres("blues, metal"), parse_genres("all")
    (('blues', 'metal'), None)
    """
    if text is None or text.strip() == "all":
        return None
    words = tuple(w.strip() for w in text.split(",") if w.strip())
    if not words:
        raise GtzanError(f"--genres {text!r}: name genres separated by commas, or 'all'")
    return words


def table_from_frame(frame: pd.DataFrame, *, source: str = "table", genres=None,
                     artists: dict | None = None) -> FeatureTable:
    """Check an in-memory table as :func:`load_feature_table` does and split it up.

    Parameters
    ----------
    frame : pandas.DataFrame
        A ``filename`` column and the 57 feature columns (an optional ``label`` column
        is checked against the filenames; other extra columns are ignored).
    source : str
        Name used in error messages.
    genres : sequence of str, "all" or None
        The genres to keep (see :func:`load_feature_table`).
    artists : dict, optional
        Track id → artist (:func:`load_artists`); unlisted tracks are of unknown artist.

    Returns
    -------
    FeatureTable

    Examples
    --------
    Two segments of a blues track and one of a metal track, every feature 0:

    >>> import pandas as pd
    >>> from gtzan_helpers.data import table_from_frame
    >>> from gtzan_helpers.features import FEATURE_NAMES
    >>> frame = pd.DataFrame(0.0, index=range(3), columns=FEATURE_NAMES)
    >>> frame.insert(0, "filename", ["metal.00003.0.wav", "blues.00007.0.wav", "blues.00007.1.wav"])
    >>> table = table_from_frame(frame, artists={"blues.00007": "John Lee Hooker"})
    >>> table.genres, table.y.tolist(), table.tracks.tolist()
    (('blues', 'metal'), [1, 0, 0], ['metal.00003', 'blues.00007', 'blues.00007'])
    >>> table.artists.tolist()
    ['unknown (metal.00003)', 'John Lee Hooker', 'John Lee Hooker']
    """
    missing = [c for c in ("filename", *FEATURE_NAMES) if c not in frame.columns]
    if missing:
        header = "".join(map(str, frame.columns))
        hint = next((f"; its header looks separated by {name}, not commas" for sep, name in
                     ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")) if header.count(sep) >= 5), "")
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise TableError(f"{source}: missing column(s) {shown}{hint}")
    if len(frame) == 0:
        raise TableError(f"{source}: the table has no rows")
    words, tracks = [], []
    for i, name in enumerate(frame["filename"].astype(str)):
        match = _FILENAME.match(name)
        if not match:
            raise TableError(f"{source}: row {i + 2} filename {name!r} is not "
                             "<genre>.<track>.<segment>.wav or <genre>.<track>.wav")
        words.append(match["genre"])
        tracks.append(f"{match['genre']}.{match['track']}")
    names = frame["filename"].astype(str)
    twice = names[names.duplicated(keep=False)]
    if len(twice):  # a file listed twice would count twice, and may change what the table is
        first = twice.iloc[0]
        rows = [i + 2 for i in np.flatnonzero(names.to_numpy() == first)]
        same = frame.loc[names == first].drop_duplicates()
        where = " and ".join(map(str, rows)) if len(rows) <= 3 else f"{rows[0]}, {rows[1]} and {len(rows) - 2} more"
        raise TableError(f"{source}: {first!r} is on rows {where} "
                         f"({'the same values' if len(same) == 1 else 'different values'}); "
                         f"{twice.nunique()} file name(s) appear more than once — keep one row each")

    words = np.asarray(words)
    if "label" in frame.columns:
        label = frame["label"].astype(str).str.strip().to_numpy()
        wrong = np.flatnonzero(label != words)
        if len(wrong):
            i = int(wrong[0])
            raise TableError(f"{source}: row {i + 2} has label {label[i]!r} but filename "
                             f"{frame['filename'].iloc[i]!r} says {str(words[i])!r}")
    present = sorted({str(w) for w in words})
    if genres is None or (isinstance(genres, str) and genres == "all"):
        chosen = present
    else:
        chosen = [genres] if isinstance(genres, str) else list(genres)
        absent = [g for g in chosen if g not in present]
        if absent:
            raise TableError(f"{source}: no rows of genre {', '.join(map(repr, absent))} "
                             f"(the table has {', '.join(present)})")
        chosen = sorted(set(chosen))
    if len(chosen) < 2:
        raise TableError(f"{source}: a classifier needs two genres or more, "
                         f"{'got' if genres is not None else 'the table has only'} {', '.join(chosen)}")
    keep = np.isin(words, chosen)
    frame, words, tracks = frame[keep], words[keep], np.asarray(tracks)[keep]

    X = frame[list(FEATURE_NAMES)]
    numeric = X.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & X.notna()
    rows = np.flatnonzero(keep)   # file rows, for the messages
    if bad.any().any():
        row, col = _first_true(bad)
        raise TableError(f"{source}: column {col} row {rows[row] + 2} holds non-numeric value "
                         f"{X.iloc[row][col]!r}")
    finite = np.isfinite(numeric.to_numpy(dtype=float))
    if not finite.all():
        row, col = _first_true(pd.DataFrame(~finite, columns=X.columns))
        raise TableError(f"{source}: column {col} row {rows[row] + 2} is empty, NaN or infinite")

    artists = artists or {}
    return FeatureTable(numeric.astype(np.float64).reset_index(drop=True),
                        np.searchsorted(chosen, words).astype(np.int64), tracks,
                        frame["filename"].astype(str).to_numpy(),
                        np.asarray([artists.get(g) or f"unknown ({g})" for g in tracks]),
                        tuple(chosen))


def load_artists(path: str | Path | None = None) -> dict[str, str]:
    """Track id → artist, from an index with ``track`` and ``artist`` columns.

    Spellings that differ only in case or spacing ("Rage Against the Machine" / "Rage
    Against The  Machine") become one artist, written as it is first spelled; an empty
    artist is left out (unknown).

    Raises
    ------
    TableError
        The file is missing, unreadable, or lacks a ``track`` or ``artist`` column.
    """
    index = read_csv(paths.ARTISTS_FILE if path is None else path, columns=("track", "artist"), what="artist index", dtype=str,
                     keep_default_na=False)
    spelling: dict[str, str] = {}
    out = {}
    for track, artist in zip(index["track"], index["artist"]):
        name = " ".join(artist.split())
        if name:
            out[track] = spelling.setdefault(name.casefold(), name)
    return out


def load_heldout_split(table: FeatureTable, path: str | Path | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of the development and held-out test tracks of the fault-filtered split.

    The partition is data: the "fault-filtered" split of GTZAN by Kereliuk, Sturm and
    Larsen ("Deep Learning and Music Adversaries", IEEE Trans. Multimedia, 2015), all ten
    genres (``data/fault_filtered_split.csv``), restricted to the table's tracks. Artists
    never cross its partitions; its ``train`` and ``valid`` tracks are the development set
    here, its ``test`` tracks the held-out set. Tracks it leaves out (70 of GTZAN's
    repeated, mislabelled or distorted excerpts, nine of them metal) are in neither. Used by
    notebooks 07 and 10.

    Returns
    -------
    dev, test : numpy.ndarray of int
        Row positions.
    """
    split = read_csv(paths.FAULT_FILTERED_SPLIT if path is None else path, columns=("track", "partition"),
                     what="split", dtype=str)
    partition = dict(zip(split["track"], split["partition"]))
    where = np.asarray([partition.get(t, "") for t in table.tracks])
    rows = np.arange(len(table))
    return rows[np.isin(where, ["train", "valid"])], rows[where == "test"]


def _first_true(mask: pd.DataFrame) -> tuple[int, str]:
    """Row position and column name of the first True cell, row-major."""
    rows, cols = np.nonzero(mask.to_numpy())
    first = np.lexsort((cols, rows))[0]
    return int(rows[first]), mask.columns[cols[first]]
