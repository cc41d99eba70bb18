"""The study's published numbers, and each notebook's headline numbers as JSON.

Notebooks put :data:`STUDY` beside what they measure and write their own numbers
with :func:`save_results` to ``results/<notebook>.json``, which the README table
and the tests read.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from .paths import RESULTS_DIR, atomic_path

STUDY = {
    "holdout": {"test_accuracy": 0.9633, "test_loss": 0.1542, "stopped_epoch": 16},
    "epochs": {  # epoch: (train acc, test acc, train loss, test loss)
        1: (0.7893, 0.8167, 0.6082, 0.4801),
        5: (0.9557, 0.9250, 0.1251, 0.1844),
        10: (0.9886, 0.9550, 0.0441, 0.1403),
        16: (0.9950, 0.9633, 0.0193, 0.1542),
    },
    "batch_size_cv": {  # batch size: (mean loss, mean accuracy, seconds)
        32: (0.0610, 0.9829, 16.25), 64: (0.0602, 0.9836, 11.43),
        128: (0.0440, 0.9843, 16.68), 256: (0.0433, 0.9829, 17.04),
    },
    "neurons_cv": {  # first-layer width: (mean loss, mean accuracy, seconds)
        64: (0.0528, 0.9800, 15.73), 128: (0.0493, 0.9786, 19.49), 256: (0.0511, 0.9800, 20.54),
    },
    "shap": {"predicted_label": 1, "predicted_value": 0.51, "base_value_as_read": 0.5},
    "picks": {"batch_size": 128, "first_layer": 256},  # the settings the study recommends
}
"""Numbers as printed in the study (fractions, seconds)."""


def _rounded(value, digits: int):
    # Round floats so that re-runs write byte-identical JSON despite float noise.
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, digits)
    if isinstance(value, dict):
        return {str(k): _rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v, digits) for v in value]
    if hasattr(value, "item"):  # NumPy scalars
        return _rounded(value.item(), digits)
    return value


def save_results(notebook: str, results: dict, *, folder: str | Path | None = None,
                 digits: int = 4) -> Path:
    """Write ``results`` to ``<folder>/<notebook>.json`` with floats rounded to ``digits``.

    The file is written to a temporary name and renamed, so a reader never sees half of it.
    """
    folder = Path(folder) if folder is not None else RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook}.json"
    with atomic_path(path) as scratch:
        scratch.write_text(json.dumps(_rounded(results, digits), indent=2, sort_keys=True) + "\n")
    return path


def load_results(notebook: str, *, folder: str | Path | None = None) -> dict:
    """Read ``results/<notebook>.json`` as written by :func:`save_results`."""
    folder = Path(folder) if folder is not None else RESULTS_DIR
    return json.loads((folder / f"{notebook}.json").read_text())


def run_results(notebook: str, folder: str | Path) -> dict:
    """``notebook``'s results as this run wrote them to ``folder``, else the report's.

    Notebooks that read other notebooks' results (08, 09) use it: within one run of the
    report or the tests they see that run's numbers; run alone, the committed ones.
    """
    folder = Path(folder)
    return load_results(notebook, folder=folder if (folder / f"{notebook}.json").exists() else None)


# --- comparing re-created results with the committed ones ---------------------------------

TOLERANCES = {
    "accuracy": 0.035,          # fraction of segments: 3.5 points
    "track_accuracy": 0.05,     # fraction of tracks: three of 58 held-out tracks
    "spread": 0.025,            # fold s.d. and CI half-widths of accuracies, plus 20 % of their size
    "difference_points": 2.5,   # paired differences, already in points
    "loss": 0.5,                # relative, plus 0.01 absolute (early-stopped BCE, Brier score)
    "epochs": 10,               # early stopping's epoch
    "probability": 0.1,         # SHAP: a probability, base value or contribution
    "fidelity": 1e-4,           # relative error of features rebuilt from audio (a smaller one always passes)
    "feature_value": 1e-3,      # relative: a feature of the test clip
}
"""Allowed difference per kind of number between a re-created result and the committed one.

Derived from how much the numbers move when only the networks' random streams change
(same data and folds), which is what a CPU that sums in another order does to a training
trajectory: across five to eight such draws, CV mean accuracies moved by up to 1.4 points
(track level 2), fold standard deviations by 1.6 (CI half-widths of artist-grouped CV, some
15–18 points wide, by 3.0), early-stopped losses by up to 37 %, the
early-stopping epoch of the 70:30 run by 8, and one network's score on a held-out set of
60 tracks by 3.0 points of segments and 5 of tracks (a single model on a small test set is
the noisiest number here; on the 58 artist-disjoint test tracks the study's MLP moved by
2.3 and 3.5). A leak fixed or a protocol changed moves accuracies by more
(segment-random against track-grouped CV: 7 points) and fails.
"""

FIDELITY_BOUND = 1e-3
"""A feature rebuilt from audio within this relative error of the table's is faithful
(notebook 01 counts the columns within it); its last digits move with library versions."""

VERDICT_BAND = (0.001, 0.5)
"""p-values inside this band may flip a verdict (``distinguishable``) on another machine.

A paired test over five folds is fragile: moving the sweeps' matrix products from bfloat16
to float32 moved notebook 05's p-value for 128 against 256 units from 0.004 to 0.85.
Verdicts are compared where the committed p-value is clear of the band."""


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, str(i)))
    else:
        yield path, value


def _words(value):
    """A label without its numbers: a verdict's words are compared exactly, the numbers it quotes
    through the results they come from, each within its tolerance."""
    return re.sub(r"[-+−]?\d+(?:[.,]\d+)*", "#", value) if isinstance(value, str) else value


def kind_of(path: tuple, value) -> str:
    """The kind of a result number, from its key (see :data:`TOLERANCES`)."""
    key = path[-1] if path else ""
    if isinstance(value, bool):
        return "verdict"
    if isinstance(value, str) or value is None:
        return "label"
    if key == "p_value":
        return "p_value"
    if "epoch" in key:
        return "epochs"
    if isinstance(value, int):
        return "count"
    if "loss" in key or "brier" in key:
        return "loss"
    if key.startswith("difference"):
        return "difference_points"
    if key.endswith(("_std", "_ci")):
        return "spread"
    if "relative_error" in "/".join(path):
        return "fidelity"
    if key == "value":
        return "feature_value"
    if path[0] in ("global_importance", "top_features") or key in ("base_value", "test_clip_p_metal") \
            or key.startswith("p_metal"):
        return "probability"
    if "track" in key and "accuracy" in key:
        return "track_accuracy"
    return "accuracy"


TRAINED_KINDS = frozenset({"track_accuracy", "spread", "difference_points", "loss", "epochs",
                           "probability"})
"""Kinds of number that only trained networks give (and that move with a CPU's arithmetic);
plain accuracies are left out, as a share of anything (tempo identical on 280 of 280) reads as one."""


def kinds(results: dict) -> set[str]:
    """The kinds (:func:`kind_of`) of every number in a notebook's results."""
    return {kind_of(path, value) for path, value in _leaves(results)}


def compare_results(committed: dict, fresh: dict, *, ranked=("global_importance", "top_features",
                                                                  "heldout_errors",
                                                                  "chosen_on_development_tracks")) -> list[str]:
    """Every number of ``fresh`` that differs from ``committed`` by more than its tolerance.

    Parameters
    ----------
    committed, fresh : dict
        A notebook's results as :func:`load_results` reads them.
    ranked : sequence of str
        Top-level keys holding rankings or choices by name (top features, misclassified
        tracks, the options a nested selection chose): which names make the list may
        change with the last digits, so only the numbers of names present in both are
        compared.

    Returns
    -------
    list of str
        One line per difference beyond tolerance (empty when all agree): the key, both
        values and the tolerance of its kind.
    """
    old, new = dict(_leaves(committed)), dict(_leaves(fresh))
    problems = []
    for path in sorted(set(old) | set(new)):
        name = "/".join(path)
        if path[0] in ranked and (path not in old or path not in new):
            continue
        if path not in old or path not in new:
            problems.append(f"{name}: {'missing here' if path not in new else 'not committed'}")
            continue
        a, b = old[path], new[path]
        kind = kind_of(path, a)
        if kind == "p_value":
            continue  # judged through its verdict
        if kind == "verdict":
            p = old.get((*path[:-1], "p_value"))
            if a != b and not (p is not None and VERDICT_BAND[0] <= p <= VERDICT_BAND[1]):
                problems.append(f"{name}: verdict {a} committed, {b} here (p = {p})")
            continue
        if kind in ("label", "count"):
            if _words(a) != _words(b) and path[0] not in ranked:
                problems.append(f"{name}: {a!r} committed, {b!r} here")
            continue
        if a is None or b is None:
            if (a is None) != (b is None):
                problems.append(f"{name}: {a} committed, {b} here")
            continue
        tolerance = TOLERANCES[kind]
        if kind == "loss":
            allowed = tolerance * abs(a) + 0.01
        elif kind == "spread":  # the wide intervals of artist-grouped folds move more
            allowed = tolerance + 0.2 * abs(a)
        elif kind == "feature_value":
            allowed = tolerance * abs(a)
        elif kind == "fidelity":  # an error: smaller is never a problem, up to 1e-3 is fine
            if b <= max(a, FIDELITY_BOUND) + tolerance:
                continue
            allowed = tolerance
        else:
            allowed = tolerance
        if abs(b - a) > allowed:
            problems.append(f"{name}: {a} committed, {b} here, differ by {abs(b - a):.4g} > "
                            f"{allowed:.4g} ({kind})")
    return problems
