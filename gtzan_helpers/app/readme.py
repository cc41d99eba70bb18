"""The README's results tables and the report's lead paragraph, written from ``results/*.json``.

:func:`update_readme` (run by ``make report`` after the notebooks) rewrites the part of
``README.md`` between its results markers, so that no number there is typed by hand.
"""

from __future__ import annotations

from pathlib import Path

from .. import GENRES, PROTOCOLS
from .. import paths
from ..results import STUDY, load_results
from ..scoring import decide
from ..stats import wilson_interval

_START, _END = "<!-- results:start -->", "<!-- results:end -->"


def _folds_in_words(folds: dict) -> str:
    """``{"n_splits": 5, "n_repeats": 5, "mlp_repeats": 3}`` → "5-fold CV repeated 5 times (the MLPs 3)"."""
    repeats, mlp = folds["n_repeats"], folds.get("mlp_repeats", folds["n_repeats"])
    text = f"{folds['n_splits']}-fold CV" + (f" repeated {repeats} times" if repeats > 1 else "")
    return text + (f" (the MLPs {mlp})" if mlp != repeats else "")


def _pct(x) -> str:
    return f"{100 * x:.2f}"


def _interval(cell: dict, key: str = "track_accuracy") -> str:
    """A score with its 95 % interval, ``[low, high]``; an interval without width is said in words."""
    low, high = cell[f"{key}_low"], cell[f"{key}_high"]
    if low == high:
        return f"{_pct(cell[key])} (the same in every draw)"
    return f"{_pct(cell[key])} [{_pct(low)}, {_pct(high)}]"


def _wilson(accuracy: float | None, n: int) -> str:
    """An accuracy over ``n`` tracks with Wilson's 95 % interval (tracks counted as independent)."""
    if accuracy is None:
        return "—"
    low, high = wilson_interval(round(accuracy * n), n)
    return f"{_pct(accuracy)} [{_pct(low)}, {_pct(high)}]"


def _points(record: dict, key: str = "difference") -> str:
    """A paired difference in points with its interval: ``+5.0 [−3.0, +13.4]``."""
    return (f"{record[f'{key}_points']:+.1f} [{record[f'{key}_low_points']:+.1f}, "
            f"{record[f'{key}_high_points']:+.1f}]")


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.2f}"


def _against(record: dict, metric: str) -> str:
    """A model's AUC or log loss against the rule's: both, the paired difference [95 %], Holm's p."""
    return (f"{record[f'{metric}_rule']:.2f} for the rule, {record[metric]:.2f} for the model (model − rule "
            f"{record[f'{metric}_difference']:+.2f} [{record[f'{metric}_difference_low']:+.2f}, "
            f"{record[f'{metric}_difference_high']:+.2f}], 95 % unadjusted; after Holm "
            f"{_p(record[f'{metric}_p_holm'])})")


def headline() -> str:
    """The finding on unheard artists, with its paired artist-level intervals for accuracy, AUC
    and log loss (notebook 07), and the ten-genre comparison (notebook 10)."""
    honest = load_results("07_honest_evaluation")
    ladder, against = honest["ladder"], honest["against_one_feature"]
    rule = ladder["one feature (tracks)"]
    best = max(against["artist_cv"], key=lambda n: ladder[n]["artist"]["track_accuracy"])
    cv, test = against["artist_cv"][best], against["heldout"][best]
    artists, n_test = honest["data"]["dev_artists"], honest["data"]["test_tracks"]
    ten = load_results("10_ten_genres")["best_mlp_against_best_baseline"]

    def rule_minus(record):  # the records hold model − rule
        return (f"{-record['difference_points']:+.1f} points [{-record['difference_high_points']:+.1f}, "
                f"{-record['difference_low_points']:+.1f}]")

    return (f"On unheard artists (artist-grouped CV of the {honest['data']['dev_tracks']} development tracks, "
            f"{_folds_in_words(honest['folds'])}; the unit is the artist, {artists['blues']} blues and "
            f"{artists['metal']} metal artists), the one-feature rule decides {_interval(rule['artist'])} % of "
            f"tracks correctly, the best trained model, {best}, {_pct(ladder[best]['artist']['track_accuracy'])} %: "
            f"the rule's accuracy minus the model's is {rule_minus(cv)} (paired bootstrap over artists within "
            f"genres; {cv['reading']}, the bound from the intervals widened over all "
            f"{len(against['artist_cv'])} trained models). Beside accuracy: AUC "
            f"{_against(cv, 'auc')}; log loss {_against(cv, 'log_loss')}. On the {n_test} test "
            f"tracks, scored once, the rule gets {round(rule['heldout']['track_accuracy'] * n_test)} right and "
            f"{best} {round(ladder[best]['heldout']['track_accuracy'] * n_test)} ({rule_minus(test)} over the test "
            f"split's artists; AUC {_against(test, 'auc')}; log loss {_against(test, 'log_loss')}). On ten genres, "
            f"{ten['best_mlp']} against {ten['best_baseline']}: {ten['verdict']}; on log loss, MLP − baseline "
            f"is {ten['log_loss_difference']:+.2f} [{ten['log_loss_difference_low']:+.2f}, "
            f"{ten['log_loss_difference_high']:+.2f}] on the development tracks (lower is better).")


def summary_text() -> str:
    """The report's finding for the index page, written from the results of notebooks 04, 05, 07 and 10."""
    honest = load_results("07_honest_evaluation")
    study = honest["ladder"]["study MLP"]
    told_apart = [n for n in ("04_batch_size_cv", "05_neurons_cv") if load_results(n)["holm_family"]["distinguishable"]]
    return (f"Under the study's protocol — 3-second segments split at random — the study's MLP "
            f"decides {_pct(study['segment']['track_accuracy'])} % of songs correctly "
            f"({_folds_in_words(honest['folds'])} on the development tracks). Holding out whole tracks it decides "
            f"{_pct(study['track']['track_accuracy'])} %; holding out whole artists, the largest leak, "
            f"{_interval(study['artist'])} %; and {_pct(study['heldout']['track_accuracy'])} % on the "
            f"artist-disjoint fault-filtered test split. " + headline() + " The batch sizes and layer widths "
            "the study tunes " + ("cannot be told apart after Holm's correction." if not told_apart
                                  else "are told apart in " + " and ".join(told_apart) + "."))


LADDER_ORDER = ["majority class", "one feature", "one feature (segments)", "one feature (tracks)", "kNN (k=5)",
                "kNN (nested)", "SVM (RBF)", "SVM (RBF, nested)", "random forest (nested)", "study MLP", "improved MLP",
                "tuned MLP (nested)",
                "logistic regression (tracks)", "logistic regression (nested)", "logistic regression"]


def _in_ladder_order(names) -> list[str]:
    """Model names in :data:`LADDER_ORDER` (the trivial first), unknown names last."""
    return sorted(names, key=lambda n: LADDER_ORDER.index(n) if n in LADDER_ORDER else len(LADDER_ORDER))


def ladder_markdown(notebook: str = "07_honest_evaluation", *, first_step: str = "segment-random CV †") -> str:
    """A leakage ladder over tracks as a README table: notebook 07's (blues and metal) or 10's (ten genres)."""
    results = load_results(notebook)
    ladder, n_test = results["ladder"], results["data"]["test_tracks"]
    names = _in_ladder_order(ladder)
    lines = [f"| model | {first_step} | track-grouped CV | artist-grouped CV | "
             "artist-grouped CV, balanced | fault-filtered test |",
             "|---|---:|---:|---:|---:|---:|"]
    for name in names:
        steps = ladder[name]
        cv = [_interval(steps[s]) if s in steps else "—" for s in PROTOCOLS]
        test = steps["heldout"]
        right = round(test["track_accuracy"] * n_test)
        lines.append(f"| {name} | {' | '.join(cv)} | {_pct(steps['artist']['track_balanced_accuracy'])} "
                     f"| {right}/{n_test}: {_pct(test['track_accuracy'])} "
                     f"[{_pct(test['track_accuracy_low'])}, {_pct(test['track_accuracy_high'])}] · artists "
                     f"[{_pct(test['track_accuracy_artist_low'])}, {_pct(test['track_accuracy_artist_high'])}] |")
    return "\n".join(lines)


def results_markdown() -> str:
    """The README's results tables, built from ``results/*.json`` and the study's numbers.

    First the leakage ladder of blues and metal (notebook 07) and of all ten genres (notebook
    10), then the study's tables beside ours, then the claims. Accuracies in %; the ladders'
    cells are means with their 95 % intervals over the notebooks' folds, the study-comparison
    CV cells mean ± standard deviation over 5 folds.
    """
    holdout = load_results("02_model")
    rows = [
        ("70:30 hold-out, test accuracy (segments) †", _pct(STUDY["holdout"]["test_accuracy"]),
         *(_pct(holdout[s]["test_accuracy"]) for s in PROTOCOLS)),
        ("70:30 hold-out, test accuracy (tracks, mean probability) † [Wilson 95 %]", "—",
         *(_wilson(holdout[s]["test_track_accuracy"], holdout[s]["test_tracks"]) for s in PROTOCOLS)),
        ("70:30 hold-out, the same test tracks: one feature (tracks), a baseline [Wilson 95 %]", "—",
         *(_wilson(holdout[s]["one_feature_test_track_accuracy"], holdout[s]["test_tracks"]) for s in PROTOCOLS)),
        ("70:30 hold-out, stopped at epoch (best epoch, whose weights are kept)",
         f"{STUDY['holdout']['stopped_epoch']} (best: not reported)",
         *(f"{holdout[s]['stopped_epoch']} (best {holdout[s]['best_epoch']})" for s in PROTOCOLS)),
    ]
    for notebook, key, label in (("04_batch_size_cv", "batch_size", "batch size"),
                                 ("05_neurons_cv", "first_layer", "first layer width")):
        summary = load_results(notebook)["summary"]
        study = STUDY["batch_size_cv" if key == "batch_size" else "neurons_cv"]
        for value, (_, study_accuracy, _) in study.items():
            cells = {r["protocol"]: f"{_pct(r['accuracy'])} ± {_pct(r['accuracy_std'])}"
                     for r in summary if r[key] == value}
            rows.append((f"5-fold CV, {label} {value} †", _pct(study_accuracy),
                         *(cells[s] for s in PROTOCOLS)))
    shap = load_results("06_shap")
    p, clip = shap["headline"]["test_clip_p_metal"], shap["test_clip"]
    unheard = shap["unheard_artist"]
    rows.append((f"SHAP: P(metal) of `audio_test.wav` (GTZAN {clip['track']}, {clip['genre']}; notebook 06's network, "
                 f"which trained on that track) †", f"{STUDY['shap']['predicted_value']} "
                 f"({GENRES[STUDY['shap']['predicted_label']]})", f"{p:.3f} ({GENRES[int(decide([p])[0])]})", "—",
                 f"{unheard['p_metal_median']:.3f} (median of {unheard['runs']} networks that never heard "
                 f"{clip['artist']})"))
    honest = load_results("07_honest_evaluation")
    folds, data = honest["folds"], honest["data"]
    lines = ["**Headline.** " + headline(), "",
             "**The leakage ladder** (notebook 07): accuracy over tracks (a song's label from the mean "
             f"of its segments' probabilities) as each leak is removed — {_folds_in_words(folds)} on the "
             f"{data['dev_tracks']} development tracks of the fault-filtered split (Kereliuk, Sturm and Larsen, "
             "2015), out of fold, averaged over the repeats [95 % interval: a bootstrap drawing the protocol's "
             "unit, tracks or artists, within each genre]; then each model trained once on those tracks and "
             f"scored once on the {data['test_tracks']} test tracks: tracks right, % [Wilson's interval] · "
             "[the bootstrap over the test split's artists]. Every choice between settings is made inside the "
             "training side of each fold, and for the test column on the development tracks; the lists of "
             "options were drawn up earlier, on folds that also held the test tracks, so the test split is "
             "scored once here but is not untouched (notebooks 07 and 10 give the history). † The study's protocol: "
             "optimistic, as a song's other segments are in training; models of whole tracks cannot be "
             "scored on it (—). *Balanced*: the mean of the genres' accuracies, which a model that favours "
             "one genre cannot inflate. A model marked *(segments)* learns from 3-second segments, one marked "
             "*(tracks)* from one row per track (its segments' means and variances); *nested*: its settings "
             "chosen by cross-validation inside each training fold; the *improved MLP* is an ensemble of "
             "five small networks on the track summaries (notebook 07).", "", ladder_markdown(), ""]
    ten = load_results("10_ten_genres")
    learned = {n: s for n, s in ten["ladder"].items() if "segment" in s and n not in ("majority class", "one feature")}
    top = max(learned, key=lambda n: learned[n]["segment"]["track_accuracy"])
    unheard_only = [n for n in _in_ladder_order(ten["ladder"]) if "segment" not in ten["ladder"][n]]
    lines += [f"**Ten genres** (notebook 10): the same ladder on Kaggle's 30-second table of GTZAN "
              f"(one row per track, chance 10 %), {_folds_in_words(ten['folds'])} on the "
              f"{ten['data']['dev_tracks']} development tracks, then the {ten['data']['test_tracks']} test tracks "
              "scored once; *random* folds split the rows as Kaggle notebooks do. Of the models scored on random "
              f"folds, {top} scores highest there, {_pct(learned[top]['segment']['track_accuracy'])} %, and "
              f"{_pct(learned[top]['artist']['track_accuracy'])} % on unheard artists. Scored on unheard "
              f"artists only (—): {', '.join(unheard_only)}.", "",
              ladder_markdown("10_ten_genres", first_step="random CV"), "",
             "**The study's tables beside ours** (notebooks 02–06; CV cells: mean ± standard "
             "deviation over 5 folds). † Optimistic: as in the study, early stopping watched the rows "
             "that are scored (the test side, or the held-out fold).", "",
             "| experiment | study (segment-random) | ours, segment-random | ours, track-grouped "
             "| ours, artist-grouped |",
             "|---|---:|---:|---:|---:|"]
    lines += [f"| {' | '.join(r)} |" for r in rows]
    claims = load_results("08_claims")["claims"]
    lines += ["", "**The study's claims, checked** (notebook 08, which gives the evidence under each "
              "protocol and the rule behind each verdict):", "", "| the study's claim | verdict |",
              "|:---|:---|"]
    lines += [f"| {claim} | {verdict} |" for claim, verdict in claims]
    return "\n".join(lines)


def update_readme(path: Path | None = None) -> bool:
    """Replace the results table between the README's markers (of the repository's README by
    default); True if it changed."""
    path = paths.root() / "README.md" if path is None else path
    text = path.read_text()
    head, sep, rest = text.partition(_START)
    if not sep or _END not in rest:
        return False
    new = f"{head}{_START}\n{results_markdown()}\n{_END}{rest.split(_END, 1)[1]}"
    if new != text:
        path.write_text(new)
    return new != text
