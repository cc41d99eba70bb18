"""The 57 features in words: one row per column of the table (notebook ``01_features``).

The rows are built from :data:`~gtzan_helpers.features.segment.FEATURE_NAMES`, so the
catalogue lists exactly the columns the table holds, in its order; only the meaning of
each family of features is written here.
"""

from __future__ import annotations

import re

import pandas as pd

from .segment import FEATURE_NAMES

FAMILIES: dict[str, tuple[str, str, str]] = {
    # column stem: (family, what one value of its curve is over, what it measures)
    "chroma_stft": ("chroma", "frames and 12 pitch classes",
                    "how strongly each of the 12 pitch classes (C, C♯, …, B) sounds, whatever the octave"),
    "rms": ("RMS energy", "frames",
            "loudness: the root-mean-square amplitude of the waveform in each frame"),
    "spectral_centroid": ("spectral centroid", "frames",
                          "brightness: the centre of mass of each frame's spectrum, in Hz"),
    "spectral_bandwidth": ("spectral bandwidth", "frames",
                           "how widely each frame's spectrum spreads around its centroid, in Hz"),
    "rolloff": ("spectral roll-off", "frames",
                "the frequency below which 85 % of each frame's spectrum lies, in Hz"),
    "zero_crossing_rate": ("zero-crossing rate", "frames",
                           "noisiness: the fraction of samples at which the waveform changes sign"),
    "harmony": ("harmonic part", "samples",
                "the waveform of the sustained tones that harmonic/percussive separation keeps"),
    "perceptr": ("percussive part", "samples",
                 "the waveform of the hits and clicks that harmonic/percussive separation keeps"),
    "tempo": ("tempo", "",
              "the speed of the beat, in beats per minute, from how the onsets repeat"),
    "MFCC 1": ("MFCC 1", "frames",
               "overall level of the log mel spectrum (the average over its bands)"),
    "MFCC 2": ("MFCC 2", "frames",
               "tilt of the log mel spectrum: the low bands against the high ones"),
    "MFCC": ("MFCC {k}", "frames",
             "timbre: how much the log mel spectrum follows a cosine with {half} half-waves across its bands"),
}
"""Column stem → (family, what the statistic runs over, one line on what the family measures).

The MFCCs share one entry (``"MFCC"``, filled in with the coefficient's number) except the
first two, whose meaning is plainer: level and tilt."""

_STATISTICS = {"mean": "mean over the segment's {over}", "var": "variance over the segment's {over}"}


def _describe(name: str) -> dict[str, str]:
    if name not in FEATURE_NAMES:
        raise ValueError(f"feature_catalogue cannot describe {name!r}: not a column of the table (FEATURE_NAMES)")
    if name == "tempo":
        family, _, meaning = FAMILIES["tempo"]
        return {"feature": name, "family": family, "statistic": "one value per segment",
                "what it measures": meaning}
    match = re.fullmatch(r"(?:mfcc(?P<k>\d+)|(?P<stem>[a-z_]+))_(?P<stat>mean|var)", name)
    k = int(match["k"] or 0)
    key = match["stem"] or (f"MFCC {k}" if f"MFCC {k}" in FAMILIES else "MFCC")
    family, over, meaning = FAMILIES[key]
    return {"feature": name, "family": family.format(k=k),
            "statistic": _STATISTICS[match["stat"]].format(over=over),
            "what it measures": meaning.format(k=k, half=k - 1)}


def feature_catalogue(names=None) -> pd.DataFrame:
    """One row per feature column, in words: its family, its statistic and what it measures.

    Parameters
    ----------
    names : sequence of str, optional
        Feature columns to describe; defaults to the table's 57,
        :data:`~gtzan_helpers.features.segment.FEATURE_NAMES`, in their order.

    Returns
    -------
    pandas.DataFrame
        Columns ``feature`` (the column name), ``family`` (e.g. ``"MFCC 5"``,
        ``"spectral centroid"``), ``statistic`` (``"mean over the segment's frames"``,
        ``"variance …"``, or ``"one value per segment"`` for the tempo) and
        ``what it measures`` (one line per family, from :data:`FAMILIES`); one row per name,
        in the order given.

    Raises
    ------
    ValueError
        A name that is not a column of the table.

    Examples
    --------
    >>> from gtzan_helpers.features import feature_catalogue
    >>> catalogue = feature_catalogue()
    >>> len(catalogue)
    57
    >>> row = catalogue.set_index("feature").loc["mfcc5_var"]
    >>> row["family"], row["statistic"]
    ('MFCC 5', "variance over the segment's frames")
    >>> feature_catalogue(["loudness_mean"])
    Traceback (most recent call last):
    ...
    ValueError: feature_catalogue cannot describe 'loudness_mean': not a column of the table (FEATURE_NAMES)
    """
    names = FEATURE_NAMES if names is None else names
    return pd.DataFrame([_describe(name) for name in names],
                        columns=["feature", "family", "statistic", "what it measures"])
