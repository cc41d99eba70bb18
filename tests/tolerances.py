"""The check that a notebook's re-created results match the committed ones: the tolerance
per kind of number, and the comparison itself.

The root ``conftest.py`` runs it after each notebook's last cell under ``make test`` (and
``make portability``); some unit tests use it to compare numbers they re-create with those
the package ships.
"""

from __future__ import annotations

import re

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
        A notebook's results as :func:`gtzan_helpers.results.load_results` reads them.
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
