"""Notebook 08's verdicts follow from the recorded numbers by the rules it writes down.

Each test recomputes one rule of ``## The claims and their rules`` from the committed results of
notebooks 02–06, independently of the notebook's code, and checks the verdict 08 recorded; the
records the rules read are checked to be consistent with their own fold numbers. The helpers
that notebook 04 uses for the early-stopping comparison (:func:`~gtzan_helpers.scoring.brier_score`,
:func:`~gtzan_helpers.stats.paired_folds`) are tested on small made-up folds.
"""

import re

import nbformat
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gtzan_helpers import PROTOCOLS
from gtzan_helpers.paths import NOTEBOOKS_DIR
from gtzan_helpers.recipe import RECIPE
from gtzan_helpers.results import STUDY, load_results

CLAIM_STARTS = ["96.33 % test accuracy", "batch size 128", "256 units", "early stopping", "the MFCCs dominate",
                "the base value", "audio_test.wav"]
VOCABULARY = ["reproduced", "reproduced or exceeded", "partly reproduced", "not distinguishable",
              "distinguishable", "not reproduced", "mixed", "wrong", "not shown wrong"]


@pytest.fixture(scope="module")
def verdicts():
    return dict(load_results("08_claims")["claims"])


def _verdict(verdicts, start):
    return next(v for claim, v in verdicts.items() if claim.startswith(start))


def _rules() -> str:
    cells = nbformat.read(NOTEBOOKS_DIR / "08_claims.ipynb", as_version=4).cells
    return next(c.source for c in cells if c.cell_type == "markdown"
                and c.source.startswith("## The claims and their rules"))


def _rule(number: int) -> str:
    return _rules().split(f"\n{number}. ", 1)[1].split(f"\n{number + 1}. ", 1)[0]


def test_the_verdicts_fit_in_a_markdown_table(verdicts):
    """README.md's claims table is built from them: a "|" would split a cell."""
    assert not [v for v in verdicts.values() if "|" in v]
    assert not [c for c in verdicts if "|" in c]


def test_the_claims_keep_their_order_and_every_verdict_word_is_defined(verdicts):
    claims = list(verdicts)
    assert [next(i for i, s in enumerate(CLAIM_STARTS) if c.startswith(s)) for c in claims] == \
        list(range(len(CLAIM_STARTS)))
    rules = _rules()
    for verdict in verdicts.values():
        word = verdict.split(":", 1)[0].split(" (", 1)[0]
        assert word in VOCABULARY, verdict
        assert f"**{word}**" in rules or f"*{word}*" in rules, f"{word!r} is not in 08's rules"


def test_the_headline_is_reproduced_or_exceeded_by_its_distance_below_the_interval(verdicts):
    spread = load_results("06_shap")["seed_spread"]
    n = spread["runs"]
    reach = stats.t(df=n - 1).ppf(0.975) * spread["test_accuracy_sd"] * np.sqrt(1 + 1 / n)
    low, high = spread["test_accuracy_mean"] - reach, spread["test_accuracy_mean"] + reach
    target = STUDY["holdout"]["test_accuracy"]
    verdict = _verdict(verdicts, CLAIM_STARTS[0])
    if low <= target <= high:
        assert verdict == "reproduced"
    elif target < low:
        points = float(re.search(r"lies ([\d.]+) points", verdict).group(1))
        segments, n_test = map(int, re.search(r"\((\d+) of (\d+) test segments\)", verdict).groups())
        assert verdict.startswith("reproduced or exceeded: ")
        assert points == pytest.approx(100 * (low - target), abs=0.005)
        assert n_test == spread["test_segments"] and segments == round((low - target) * n_test)
    else:
        assert verdict.startswith("not reproduced")
    first = _rule(1)
    assert all(word in first for word in ("*reproduced*", "*reproduced or exceeded*", "*not reproduced*"))


def _bound(tests: dict, protocol: str, n_tests: int) -> float:
    """Points: |difference| + the Bonferroni-widened half-width, largest over one rule's tests."""
    rows = [t for key, t in tests.items() if key.split("|")[0] == protocol]
    widen = stats.t(df=RECIPE.n_splits - 1).ppf(1 - 0.05 / (2 * n_tests)) / stats.t(df=RECIPE.n_splits - 1).ppf(0.975)
    return max(abs(t["difference_points"]) + widen * t["difference_ci"] for t in rows)


@pytest.mark.parametrize("notebook, start", [("04_batch_size_cv", CLAIM_STARTS[1]), ("05_neurons_cv", CLAIM_STARTS[2])])
def test_a_sweep_pick_is_judged_by_the_family_with_a_bound_per_stopping_rule(verdicts, notebook, start):
    results = load_results(notebook)
    family = results["holm_family"]
    by_rule = {"scored fold": results["paired_vs_study_pick"],
               "inner split": results["inner_stopping"]["paired_vs_study_pick"]}
    for protocol in PROTOCOLS:
        # the family's bound per protocol is the wider of the two stopping rules'
        widest = max(_bound(tests, protocol, family["tests"]) for tests in by_rule.values())
        assert widest == pytest.approx(100 * family["within_ci"][protocol], abs=0.05)
    verdict = _verdict(verdicts, start)
    if family["distinguishable"]:
        assert verdict.startswith("distinguishable")
    elif family["within_ci"]["artist"] >= 1:
        assert verdict == "not distinguishable: too few artists to tell"
    else:
        assert verdict == "not distinguishable"
    assert "too few artists to tell" in _rule(2) and "100 points" in _rule(2)


def test_the_early_stopping_records_follow_from_their_folds():
    early = load_results("04_batch_size_cv")["early_stopping_vs_all_epochs"]
    assert early["batch_size"] == STUDY["picks"]["batch_size"] and early["max_epochs"] == RECIPE.max_epochs
    p_values, recorded = [], []
    for protocol, folds in early["folds"].items():
        assert len(folds) == RECIPE.n_splits and all(f["epochs_stopped"] <= RECIPE.max_epochs for f in folds)
        for metric, test in early["tests_by_protocol"][protocol].items():
            diff = np.array([f[f"{metric}_stopped"] - f[f"{metric}_all_epochs"] for f in folds])
            assert test[f"{metric}_difference"] == pytest.approx(diff.mean(), abs=2e-4)
            # the corrected resampled t with a fifth of the rows held out per fold
            se = np.sqrt((1 / len(diff) + 0.2 / 0.8) * diff.var(ddof=1))
            p_values.append(2 * stats.t(df=len(diff) - 1).sf(abs(diff.mean()) / se))
            recorded.append(test["p_value"])
    assert len(recorded) == early["tests"]
    holm = np.minimum(1, np.maximum.accumulate(np.sort(p_values) * np.arange(len(p_values), 0, -1)))
    adjusted = np.empty(len(p_values))
    adjusted[np.argsort(p_values, kind="stable")] = holm
    assert np.allclose(adjusted, recorded, atol=0.02)


def test_the_early_stopping_verdict_follows_rule_3(verdicts):
    segment = load_results("04_batch_size_cv")["early_stopping_vs_all_epochs"]["tests_by_protocol"]["segment"]
    lower = {m: segment[m]["distinguishable"] and segment[m][f"{m}_difference"] < 0 for m in ("loss", "brier")}
    higher = {m: segment[m]["distinguishable"] and segment[m][f"{m}_difference"] > 0 for m in ("loss", "brier")}
    verdict = _verdict(verdicts, CLAIM_STARTS[3])
    if all(lower.values()):
        assert verdict == "reproduced"
    elif all(higher.values()):
        assert verdict == "not reproduced"
    elif not any(lower.values()) and not any(higher.values()):
        loss, brier = map(float, re.fullmatch(r"not distinguishable: log loss within ± ([\d.]+), "
                                              r"Brier score within ± ([\d.]+)", verdict).groups())
        assert loss == pytest.approx(segment["loss"]["loss_within_ci"], abs=0.005)
        assert brier == pytest.approx(segment["brier"]["brier_within_ci"], abs=0.0005)
    else:
        assert verdict.startswith("mixed: ")
    third = _rule(3)
    assert all(word in third for word in ("*Reproduced*", "reproduced*", "*not distinguishable*", "*mixed*",
                                          "Holm", "log", "Brier"))


def test_the_mfcc_verdict_reads_both_shares_over_the_ten_networks(verdicts):
    shap = load_results("06_shap")
    seeds, base = shap["mfcc_share_seeds"], shap["mfcc_share"]["base_rate"]
    assert seeds["runs"] == shap["seed_spread"]["runs"]
    for part in ("test_set", "clip"):
        assert seeds[f"{part}_min"] <= seeds[f"{part}_median"] <= seeds[f"{part}_max"]
    lowest = min(seeds["test_set_min"], seeds["clip_min"])
    highest = max(seeds["test_set_max"], seeds["clip_max"])
    verdict = _verdict(verdicts, CLAIM_STARTS[4])
    if lowest > base:
        assert verdict.startswith("reproduced: ")
    elif lowest > 0.5 and highest <= base:
        assert verdict == (f"partly reproduced: a majority of the absolute SHAP values ({100 * lowest:.0f}–"
                           f"{100 * highest:.0f} %), but no more than their share of the features ({100 * base:.0f} %)")
    elif highest <= 0.5:
        assert verdict.startswith("not reproduced: ")
    else:
        assert verdict.startswith("mixed: ")
    assert "*partly reproduced*" in _rule(4) and "majority" in _rule(4)


def test_brier_score_is_the_mean_squared_distance_to_the_truth():
    from sklearn.metrics import brier_score_loss

    from gtzan_helpers.scoring import brier_score

    p, y = np.array([0.9, 0.2, 0.6, 0.01]), np.array([1, 0, 0, 0])
    assert brier_score(p, y) == pytest.approx(brier_score_loss(y, p))
    # k classes: the sum over classes, twice the two-class score for the same two columns
    assert brier_score(np.column_stack([1 - p, p]), y) == pytest.approx(2 * brier_score(p, y))


def test_paired_folds_tests_each_protocol_and_score_as_one_holm_family():
    from gtzan_helpers.stats import paired_folds
    from gtzan_helpers.stats import corrected_t_test, holm

    rng = np.random.default_rng(0)
    first = pd.DataFrame({"protocol": ["segment"] * 5 + ["artist"] * 5, "fold": list(range(1, 6)) * 2,
                          "accuracy": rng.uniform(0.8, 1, 10), "loss": rng.uniform(0.1, 0.5, 10)})
    second = first.assign(accuracy=first["accuracy"] - 0.05 + rng.normal(0, 0.01, 10), loss=first["loss"] + 0.2)
    family = paired_folds(first, second.sample(frac=1, random_state=0), test_fraction=0.2,
                          metrics=("accuracy", "loss"))
    assert list(zip(family["protocol"], family["metric"])) == [("segment", "accuracy"), ("segment", "loss"),
                                                               ("artist", "accuracy"), ("artist", "loss")]
    part = first[first["protocol"] == "artist"]
    expected = corrected_t_test(part["accuracy"].to_numpy() - second.loc[part.index, "accuracy"].to_numpy(),
                                test_fraction=0.2)
    row = family.set_index(["protocol", "metric"]).loc[("artist", "accuracy")]
    assert row["difference"] == pytest.approx(0.05, abs=0.02) and row["p_value"] == pytest.approx(expected["p_value"])
    assert np.allclose(family["p_holm"], holm(family["p_value"]))
    assert (family["ci_family"] > family["ci"]).all()
    assert np.allclose(family["within"], family["difference"].abs() + family["ci_family"])
    # the loss rose by exactly 0.2 in every fold: told apart, with a zero-width interval
    assert family.loc[family["metric"] == "loss", "distinguishable"].all()
