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

from ..paths import FIGURES_DIR, NOTEBOOKS_DIR, ROOT
from .readme import results_markdown, summary_text, update_readme

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
