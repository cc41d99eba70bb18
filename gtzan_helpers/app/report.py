"""Re-execute the notebooks in order and render them as a static HTML report.

``python -m gtzan_helpers.app.report`` (what ``make report`` runs) executes
``notebooks/01_features.ipynb`` … ``10_ten_genres.ipynb`` with papermill — kernel
``python3`` of the running interpreter, working directory ``notebooks/`` — saves
each executed notebook in place, and writes ``report/index.html`` with one page
per notebook.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
import re
import shutil
import sys
import time
from pathlib import Path

from .. import GENRES, PROTOCOLS
from ..paths import FIGURES_DIR, NOTEBOOKS_DIR, ROOT
from ..results import STUDY, load_results
from ..scoring import decide
from ..stats import bounded_interval

# papermill, nbformat, nbconvert and mistune (the optional ``report`` extra) are imported
# where they are used: the README and index text need none of them.

REPORT_DIR = ROOT / "report"
NOTEBOOKS = ("01_features", "02_model", "03_early_stopping", "04_batch_size_cv",
             "05_neurons_cv", "06_shap", "07_honest_evaluation", "08_claims",
             "09_learning_curve_ablation", "10_ten_genres")
"""The report's notebooks, in the order they run."""


def _strip_run_metadata(path: Path) -> None:
    """Drop papermill's timestamps and durations, so that an unchanged re-run leaves the
    committed notebook unchanged too."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    notebook.metadata.pop("papermill", None)
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nbformat.write(notebook, path)


@contextlib.contextmanager
def _kernel_log(path: Path):
    """Send what the kernel process writes to stderr (start-up notices) to ``path``, not the terminal.

    The log is removed when the block succeeds and kept for reading when it fails.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "wb") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    path.unlink()


def run_notebooks(names=NOTEBOOKS, *, kernel: str = "python3") -> dict[str, float]:
    """Execute each notebook with papermill and save it over the committed copy.

    A notebook is written to a temporary file first and moved into place only when
    it ran without error, so a failed run leaves the committed notebook untouched.

    Returns
    -------
    dict
        Notebook name → seconds it took.
    """
    import papermill as pm

    seconds = {}
    for name in names:
        source = NOTEBOOKS_DIR / f"{name}.ipynb"
        scratch = NOTEBOOKS_DIR / f".{name}.running.ipynb"
        start = time.perf_counter()
        print(f"running {source.relative_to(ROOT)} …", flush=True)
        try:
            with _kernel_log(NOTEBOOKS_DIR / f".{name}.kernel.log"):
                pm.execute_notebook(str(source), str(scratch), kernel_name=kernel,
                                    cwd=str(NOTEBOOKS_DIR), progress_bar=False)
        except pm.PapermillExecutionError as exc:
            raise SystemExit(f"{source.relative_to(ROOT)}: failed in cell {exc.exec_count}: "
                             f"{exc.ename}: {exc.evalue} (executed copy kept at {scratch}, the "
                             f"kernel's log at .{name}.kernel.log)") from None
        _strip_run_metadata(scratch)
        scratch.replace(source)
        seconds[name] = time.perf_counter() - start
        print(f"  done in {seconds[name]:.1f} s", flush=True)
    return seconds


def summary_text() -> str:
    """The report's finding for the index page, written from the results of notebooks 04, 05 and 07."""
    ladder = load_results("07_honest_evaluation")["ladder"]
    study, rule = ladder["study MLP"], ladder["one feature (tracks)"]
    best = max((n for n in ladder if n != "majority class"), key=lambda n: ladder[n]["artist"]["track_accuracy"])
    told_apart = [n for n in ("04_batch_size_cv", "05_neurons_cv") if load_results(n)["holm_family"]["distinguishable"]]
    return (f"Under the study's protocol — 3-second segments split at random — the study's MLP "
            f"decides {_pct(study['segment']['track_accuracy'])} % of songs correctly in repeated 5-fold "
            f"cross-validation. That protocol leaks: holding out whole tracks it reaches "
            f"{_pct(study['track']['track_accuracy'])} %, holding out whole artists "
            f"{_pct(study['artist']['track_accuracy'])} % (95 % interval {_bounds(study['artist'])}), and "
            f"{_pct(study['heldout']['track_accuracy'])} % on the artist-disjoint fault-filtered "
            f"test split. "
            + (f"On unheard artists the highest mean belongs to the one-feature rule — one feature and one "
               f"threshold, chosen inside the training folds — with {_pct(rule['artist']['track_accuracy'])} %"
               if best == "one feature (tracks)" else
               f"On unheard artists the highest mean is {best}'s ({_pct(ladder[best]['artist']['track_accuracy'])} %); "
               f"one feature and one threshold, chosen inside the training folds, reach "
               f"{_pct(rule['artist']['track_accuracy'])} %")
            + f", and that rule scores {_pct(rule['heldout']['track_accuracy'])} % on the test split. "
            f"The batch sizes and layer widths "
            f"the study tunes "
            + ("cannot be told apart after Holm's correction." if not told_apart
               else "are told apart in " + " and ".join(told_apart) + "."))


README = ROOT / "README.md"
_START, _END = "<!-- results:start -->", "<!-- results:end -->"


def _pct(x) -> str:
    return f"{100 * x:.2f}"


def _bounds(cell: dict, key: str = "track_accuracy") -> str:
    """``[low, high]`` of a cell's 95 % interval, clipped to the range an accuracy can take."""
    low, high = bounded_interval(cell[key], cell[f"{key}_ci"])
    return f"[{_pct(low)}, {_pct(high)}]"


def _interval(cell: dict, key: str = "track_accuracy") -> str:
    return f"{_pct(cell[key])} {_bounds(cell, key)}"


LADDER_ORDER = ["majority class", "one feature", "one feature (segments)", "one feature (tracks)", "kNN (k=5)",
                "SVM (RBF)", "study MLP", "improved MLP", "tuned MLP (nested)", "logistic regression (tracks)",
                "logistic regression (nested)", "logistic regression", "gradient boosting"]


def ladder_markdown(notebook: str = "07_honest_evaluation", *, first_step: str = "segment-random CV †") -> str:
    """A leakage ladder over tracks as a README table: notebook 07's (blues and metal) or 10's (ten genres)."""
    results = load_results(notebook)
    ladder, n_test = results["ladder"], results["data"]["test_tracks"]
    names = sorted(ladder, key=lambda n: LADDER_ORDER.index(n) if n in LADDER_ORDER else len(LADDER_ORDER))
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
                     f"[{_pct(test['track_accuracy_low'])}, {_pct(test['track_accuracy_high'])}] |")
    return "\n".join(lines)


def results_markdown() -> str:
    """The README's results tables, built from ``results/*.json`` and the study's numbers.

    First the leakage ladder (notebook 07), then the study's tables beside ours, then the
    claims. Accuracies in %; the ladder's cells are means with their 95 % intervals over
    notebook 07's repeated folds, the study-comparison CV cells mean ± standard deviation
    over 5 folds.
    """
    holdout = load_results("02_model")
    rows = [
        ("70:30 hold-out, test accuracy (segments) †", _pct(STUDY["holdout"]["test_accuracy"]),
         *(_pct(holdout[s]["test_accuracy"]) for s in PROTOCOLS)),
        ("70:30 hold-out, test accuracy (tracks, mean probability) †", "–",
         *(_pct(holdout[s]["test_track_accuracy"]) for s in PROTOCOLS)),
        ("70:30 hold-out, early stop at epoch", str(STUDY["holdout"]["stopped_epoch"]),
         *(str(holdout[s]["stopped_epoch"]) for s in PROTOCOLS)),
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
                 f"({GENRES[STUDY['shap']['predicted_label']]})", f"{p:.3f} ({GENRES[int(decide([p])[0])]})", "–",
                 f"{unheard['p_metal_median']:.3f} (median of {unheard['runs']} networks that never heard "
                 f"{clip['artist']})"))
    honest = load_results("07_honest_evaluation")
    folds, n_tracks = honest["folds"], honest["data"]["tracks"]
    lines = ["**The leakage ladder** (notebook 07): accuracy over tracks (a song's label from the mean "
             f"of its segments' probabilities) as each leak is removed — {folds['n_splits']}-fold CV repeated "
             f"{folds['n_repeats']} times on all {n_tracks} tracks "
             "(mean [95 % interval, corrected resampled t, clipped to 0–100]), then the test tracks right "
             "on the fault-filtered split (Kereliuk, Sturm and Larsen, 2015) with Wilson's interval, "
             "trained on its development tracks. Every choice of setting is nested inside the training "
             "folds. † The study's protocol: optimistic, as a song's other segments are in training; "
             "models of whole tracks cannot be scored on it (—).", "", ladder_markdown(), ""]
    ten = load_results("10_ten_genres")
    lines += [f"**Ten genres** (notebook 10): the same ladder on Kaggle's 30-second table of all "
              f"{ten['data']['tracks']} GTZAN tracks (one row per track, chance 10 %), "
              f"{ten['folds']['n_splits']}-fold CV × {ten['folds']['n_repeats']}; *random* folds split the rows "
              "as Kaggle notebooks do. The tuned MLP is scored on unheard artists only (—).", "",
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


def update_readme(path: Path = README) -> bool:
    """Replace the results table between the README's markers; True if it changed."""
    text = path.read_text()
    head, sep, rest = text.partition(_START)
    if not sep or _END not in rest:
        return False
    new = f"{head}{_START}\n{results_markdown()}\n{_END}{rest.split(_END, 1)[1]}"
    if new != text:
        path.write_text(new)
    return new != text


KEY_FIGURES = (
    ("07_leakage_ladder", "The leakage ladder: each protocol removes a leak"),
    ("02_training_curves", "Training curves under the three protocols"),
    ("04_batch_size_cv", "Batch-size sweep, mean ± 1 s.d. over folds"),
    ("06_shap_waterfall", "Why the network calls the test clip blues: SHAP waterfall"),
    ("10_ladder", "Ten genres: the leakage ladder"),
)
_EXTERNAL = re.compile(r'<script[^>]+src="https?://[^"]*"[^>]*>\s*</script>|'
                       r'<link[^>]+href="https?://[^"]*"[^>]*>', re.IGNORECASE)

_STYLE = """body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:62rem;margin:2rem auto;
padding:0 1.2rem;line-height:1.5;color:#222}h1{margin-bottom:.2rem}.lead{color:#555;margin-top:0}
table{border-collapse:collapse;margin:1rem 0;font-size:.92rem}td,th{border:1px solid #ccc;
padding:.3rem .6rem}th{background:#f3f5f7}td{text-align:right}td:first-child{text-align:left}
figure{margin:1.5rem 0}figure img{max-width:100%;border:1px solid #eee}figcaption{color:#555;
font-size:.9rem}nav a{margin-right:1rem}ol li{margin:.3rem 0}"""


def _notebook_title(notebook) -> str:
    first = next((c.source for c in notebook.cells if c.cell_type == "markdown" and c.source), "")
    return first.splitlines()[0].lstrip("# ").strip() if first else ""


def render_html(names=NOTEBOOKS, *, out_dir: Path | None = None) -> Path:
    """Write the static report: ``report/index.html`` and one page per notebook.

    Figures are embedded in the notebook pages and copied next to the index, and
    scripts that would be fetched from the network are dropped, so the report opens
    from disk with no server and no network. Input cells tagged ``hide-input`` (set-up
    code) are left out of the pages.
    """
    import mistune
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor


    out = Path(out_dir) if out_dir is not None else REPORT_DIR
    (out / "figures").mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="lab")
    exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags={"hide-input"}),
                                   enabled=True)
    links = []
    for name in (n for n in names if (NOTEBOOKS_DIR / f"{n}.ipynb").exists()):
        notebook = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
        body, _ = exporter.from_notebook_node(notebook)
        body = _EXTERNAL.sub("", body).replace(
            "<body", '<body><nav style="padding:.6rem 1rem;font-family:sans-serif">'
            '<a href="index.html">&larr; report index</a></nav><div', 1)
        (out / f"{name}.html").write_text(body)
        title = html.escape(_notebook_title(notebook) or name)
        links.append(f'<li><a href="{name}.html">{title}</a></li>')
    figures = []
    for figure, caption in KEY_FIGURES:
        if (FIGURES_DIR / f"{figure}.png").exists():
            shutil.copyfile(FIGURES_DIR / f"{figure}.png", out / "figures" / f"{figure}.png")
            figures.append(f'<figure><img src="figures/{figure}.png" alt="{html.escape(caption)}">'
                           f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    try:
        tables, summary = mistune.html(results_markdown()), html.escape(summary_text())
    except (FileNotFoundError, KeyError):
        tables = "<p>Run <code>make report</code> to compute the results.</p>"
        summary = ""
    index = out / "index.html"
    index.write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Blues or metal? A reproducible GTZAN study</title>
<style>{_STYLE}</style>
</head><body>
<h1>Blues or metal? A reproducible GTZAN study</h1>
<p class="lead">A PyTorch MLP on 57 librosa features per 3-second segment, reproduced from the data
up and evaluated honestly.</p>
<p>{summary}</p>
<h2>Results</h2>
<div id="results">{tables}</div>
<h2>Key figures</h2>
{chr(10).join(figures)}
<h2>The notebooks</h2>
<ol>
{chr(10).join(links)}
</ol>
<p>Each page is an executed notebook; re-run them all with <code>make report</code>.</p>
</body></html>
""")
    return index


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", default=list(NOTEBOOKS),
                        help="notebook names to run (default: all, in order)")
    parser.add_argument("--no-run", action="store_true", help="only render the HTML report")
    args = parser.parse_args(argv)
    unknown = [n for n in args.notebooks if n not in NOTEBOOKS]
    if unknown:
        parser.error(f"unknown notebook(s): {', '.join(unknown)}")
    start = time.perf_counter()
    if not args.no_run:
        run_notebooks(args.notebooks)
    if update_readme():
        print("README.md results table updated")
    index = render_html()
    print(f"report written to {index.relative_to(ROOT)} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
