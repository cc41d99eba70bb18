"""Re-execute the notebooks and render them as a static HTML report.

``python -m gtzan_helpers.app.report`` (what ``make report`` runs) executes
``notebooks/00_start_here.ipynb`` … ``10_ten_genres.ipynb`` with papermill — kernel
``python3`` of the running interpreter, working directory ``notebooks/`` — two at a
time, each kernel on one thread (see :func:`side_by_side_environment`), saves each
executed notebook in place, and writes ``report/index.html`` with one page per
notebook and one for the glossary.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import copy
import html
import os
import re
import shutil
import sys
import time
from pathlib import Path

from joblib import cpu_count

from ..paths import FIGURES_DIR, NOTEBOOKS_DIR, RESULTS_DIR, ROOT

# papermill, nbformat, nbconvert and mistune (the optional ``report`` extra) are imported
# where they are used, and so is .readme, whose numbers import scikit-learn and SciPy
# (seconds): the test run's controller reads only the notebooks' order here.

REPORT_DIR = ROOT / "report"
NOTEBOOKS = ("00_start_here", "01_features", "02_model", "03_early_stopping", "04_batch_size_cv",
             "05_neurons_cv", "06_shap", "07_honest_evaluation", "08_claims",
             "09_learning_curve_ablation", "10_ten_genres")
"""The report's notebooks, in the order they are numbered: 00–06 the course, 07–10 the review."""

GLOSSARY = "glossary"
"""The course's glossary, ``notebooks/glossary.ipynb``: text only, rendered beside the notebooks."""

READS_OTHERS = {"08_claims": ("02_model", "03_early_stopping", "04_batch_size_cv", "05_neurons_cv",
                              "06_shap", "07_honest_evaluation"),
                "09_learning_curve_ablation": ("06_shap", "07_honest_evaluation")}
"""Notebooks that read the results of others: 08 weighs the study's claims against 02–07;
09 fixes the settings 07 chose and sets its ablation beside 06's SHAP values. Each starts
once those have run."""

LANES = 2
"""Notebooks run side by side, by ``make report`` and by ``make test`` (``pytest -n 2``).

Most of a notebook's time is small networks, which two threads of one process share
poorly; two notebooks, each on one thread, keep two cores busy."""


def side_by_side_environment(lanes: int = LANES) -> dict[str, str]:
    """The environment of a notebook's kernel when ``lanes`` notebooks run at a time.

    PyTorch, OpenMP and the BLAS libraries get one thread, so that the numbers do not
    depend on the machine's core count and two kernels never wait on each other's
    spinning threads; joblib (:func:`gtzan_helpers.fast.parallel.map_jobs`) is told
    of the kernel's share of the cores, so that it starts workers only where cores are
    free for them.
    """
    share = max(1, cpu_count() // max(1, lanes))
    return {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
            "LOKY_MAX_CPU_COUNT": str(share)}


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


def start_order(names=NOTEBOOKS) -> list[str]:
    """The order in which notebooks start: those that others read first (the more readers,
    the sooner: their readers wait on them), the readers last, otherwise by number."""
    readers = {name: sum(name in read for read in READS_OTHERS.values()) for name in names}
    return sorted(names, key=lambda name: (name in READS_OTHERS, -readers[name], NOTEBOOKS.index(name)))


KERNELS_FILE = RESULTS_DIR / "cpu_kernels.txt"
"""The kernels that made the committed numbers (:func:`cpu_kernels`: ``AVX2``, ``AVX512``…, or
``CUDA``), written by a run of the report in which every notebook ran: ``make portability``
re-creates them with AVX2 kernels only where that is news, on a CPU with AVX-512 when the
committed numbers came from AVX-512 too."""


def cpu_kernels() -> str:
    """The kernels the notebooks' networks use here: the CPU's, as
    ``torch.backends.cpu.get_cpu_capability`` names them (``AVX2``, ``AVX512``…), or the GPU's
    device type (``CUDA``) where :func:`gtzan_helpers.training.choose_device` picks one."""
    import torch  # only to ask: the runner's own work needs no PyTorch

    from ..training import choose_device

    device = choose_device()
    return torch.backends.cpu.get_cpu_capability() if device.type == "cpu" else device.type.upper()


def run_notebook(name: str, kernel: str = "python3") -> float:
    """Execute one notebook with papermill and save it over the committed copy.

    The notebook is written to a temporary file first and moved into place only when
    it ran without error, so a failed run leaves the committed notebook untouched.

    Returns
    -------
    float
        Seconds it took.

    Raises
    ------
    RuntimeError
        When a cell fails: the notebook, the cell and the error in one line.
    """
    import papermill as pm

    source = NOTEBOOKS_DIR / f"{name}.ipynb"
    scratch = NOTEBOOKS_DIR / f".{name}.running.ipynb"
    start = time.perf_counter()
    try:
        with _kernel_log(NOTEBOOKS_DIR / f".{name}.kernel.log"):
            pm.execute_notebook(str(source), str(scratch), kernel_name=kernel,
                                cwd=str(NOTEBOOKS_DIR), progress_bar=False)
    except pm.PapermillExecutionError as exc:
        raise RuntimeError(f"{source.relative_to(ROOT)}: failed in cell {exc.exec_count}: "
                           f"{exc.ename}: {exc.evalue} (executed copy kept at {scratch}, the "
                           f"kernel's log at .{name}.kernel.log)") from None
    except Exception as exc:  # a kernel that died or timed out, a missing kernel
        raise RuntimeError(f"{source.relative_to(ROOT)}: {type(exc).__name__}: {exc} (the kernel's "
                           f"log at .{name}.kernel.log)") from None
    _strip_run_metadata(scratch)
    scratch.replace(source)
    return time.perf_counter() - start


def run_notebooks(names=NOTEBOOKS, *, kernel: str = "python3", lanes: int = LANES) -> dict[str, float]:
    """Execute notebooks ``lanes`` at a time (:func:`run_notebook` each), saving each in place.

    They start in :func:`start_order`; one that reads the results of others
    (:data:`READS_OTHERS`) waits for those among ``names``, and does not run when one of
    them failed. Every other notebook runs, whichever failed.

    Returns
    -------
    dict
        Notebook name → seconds it took.

    Raises
    ------
    SystemExit
        After all have run, when any failed: one line for each.
    """
    lanes = max(1, min(lanes, cpu_count(), len(names)))
    os.environ.update(side_by_side_environment(lanes))  # the kernels inherit it
    waiting, running = start_order(names), {}
    seconds, failed, problems = {}, set(), []
    with concurrent.futures.ProcessPoolExecutor(lanes) as pool:
        while waiting or running:
            for name in list(waiting):
                needs = set(READS_OTHERS.get(name, ())) & set(names)
                if needs & failed:
                    waiting.remove(name)
                    problems.append(f"notebooks/{name}.ipynb: not run, as "
                                    f"{', '.join(sorted(needs & failed))} failed")
                elif len(running) < lanes and needs <= set(seconds):
                    waiting.remove(name)
                    print(f"running notebooks/{name}.ipynb …", flush=True)
                    running[pool.submit(run_notebook, name, kernel)] = name
            if not running:
                if waiting:  # nothing can start: READS_OTHERS has a circle
                    raise RuntimeError(f"notebooks that wait on each other: {', '.join(waiting)}")
                break
            done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                name = running.pop(future)
                try:
                    seconds[name] = future.result()
                except RuntimeError as exc:
                    failed.add(name)
                    problems.append(str(exc))
                    print(f"  {exc}", flush=True)
                else:
                    print(f"  {name} done in {seconds[name]:.1f} s", flush=True)
    if set(seconds) == set(NOTEBOOKS):  # every committed number made here, by these kernels
        KERNELS_FILE.write_text(cpu_kernels() + "\n")
    if problems:
        raise SystemExit("\n".join(problems))
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


_NOTEBOOK_LINK = re.compile(r'href="((?:\d\d_\w+|glossary))\.ipynb(#[^"]*)?"')

_SOLUTIONS = """<script>
// each exercise's solution (a cell tagged "solution") folded into a <details>, as JupyterLab collapses it
document.querySelectorAll(".jp-Cell.celltag_solution").forEach(function (cell) {
  var details = document.createElement("details"), summary = document.createElement("summary");
  details.className = "solution";
  summary.textContent = "Solution (click to reveal)";
  cell.parentNode.insertBefore(details, cell);
  details.appendChild(summary);
  details.appendChild(cell);
});
</script>
<style>details.solution{margin:.4rem 0 1rem 0;padding:.2rem .6rem;border-left:3px solid #6a9fd4}
details.solution>summary{cursor:pointer;color:#1f5fa0;font-family:sans-serif}</style>
"""


# inline math as Pandoc reads it: no space inside either dollar, no digit right after the closing one
_CODE_OR_MATH = re.compile(r"(```.*?```|`[^`\n]*`)|\$\$(.+?)\$\$|(?<![\\$\w])\$(?!\s)([^$\n]+?)(?<!\s)\$(?![\d$])", re.S)


def math_as_mathml(markdown: str) -> str:
    """``$…$`` and ``$$…$$`` formulas of a Markdown text as MathML, which browsers draw
    themselves: the report opens without MathJax, which would be fetched from the network.
    Code spans and fenced code keep their dollar signs.

    Examples
    --------
    >>> math_as_mathml("the mean $\\mu$ of `$x`")[:45]
    'the mean <math xmlns="http://www.w3.org/1998/'
    >>> math_as_mathml("costs $5 and $6")
    'costs $5 and $6'
    """
    from latex2mathml.converter import convert

    def replace(match):
        code, block, inline = match.groups()
        if code is not None:
            return code
        if block is not None:
            return convert(block.strip(), display="block")
        return convert(inline)

    return _CODE_OR_MATH.sub(replace, markdown)


def render_page(notebook, exporter) -> str:
    """One notebook as a standalone HTML page of the report.

    Links between notebooks (``02_model.ipynb#…``, ``glossary.ipynb#MFCC``) point to the
    rendered pages, formulas are drawn as MathML (:func:`math_as_mathml`), the solutions of the exercises are folded into ``<details>`` elements,
    and scripts that would be fetched from the network are dropped.
    """
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = math_as_mathml(cell.source)
    body, _ = exporter.from_notebook_node(notebook)
    body = _EXTERNAL.sub("", body)
    body = _NOTEBOOK_LINK.sub(lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', body)
    body = body.replace("<body", '<body><nav style="padding:.6rem 1rem;font-family:sans-serif">'
                        '<a href="index.html">&larr; report index</a> '
                        '<a href="00_start_here.html" style="margin-left:1rem">start here</a> '
                        '<a href="glossary.html" style="margin-left:1rem">glossary</a></nav><div', 1)
    return body.replace("</body>", _SOLUTIONS + "</body>", 1)


def render_html(names=NOTEBOOKS, *, out_dir: Path | None = None) -> Path:
    """Write the static report: ``report/index.html``, one page per notebook and the glossary.

    Figures are embedded in the notebook pages and copied next to the index, and
    scripts that would be fetched from the network are dropped, so the report opens
    from disk with no server and no network. Input cells tagged ``hide-input`` (set-up
    code) are left out of the pages, and so are the cells' execution counts (the pages
    are read, not run).
    """
    import mistune
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    out = Path(out_dir) if out_dir is not None else REPORT_DIR
    (out / "figures").mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="lab", exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags={"hide-input"}),
                                   enabled=True)
    course, review = [], []
    for name in (n for n in (*names, GLOSSARY) if (NOTEBOOKS_DIR / f"{n}.ipynb").exists()):
        notebook = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
        (out / f"{name}.html").write_text(render_page(notebook, exporter))
        if name != GLOSSARY:
            title = html.escape(_notebook_title(notebook) or name)
            (course if name <= "06" else review).append(f'<li><a href="{name}.html">{title}</a></li>')
    figures = []
    for figure, caption in KEY_FIGURES:
        if (FIGURES_DIR / f"{figure}.png").exists():
            shutil.copyfile(FIGURES_DIR / f"{figure}.png", out / "figures" / f"{figure}.png")
            figures.append(f'<figure><img src="figures/{figure}.png" alt="{html.escape(caption)}">'
                           f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    from .readme import results_markdown, summary_text

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
<p>New to audio or machine learning? <a href="00_start_here.html">Start here</a>: notebooks 00–06 are
a course, and the <a href="glossary.html">glossary</a> defines every term.</p>
<p>{summary}</p>
<h2>Results</h2>
<div id="results">{tables}</div>
<h2>Key figures</h2>
{chr(10).join(figures)}
<h2>The course</h2>
<ol start="0">
{chr(10).join(course)}
</ol>
<h2>The review</h2>
<ol start="{len(course)}">
{chr(10).join(review)}
</ol>
<p>Each page is an executed notebook; re-run them all with <code>make report</code>. Terms are defined in
the <a href="glossary.html">glossary</a>.</p>
</body></html>
""")
    return index


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", default=list(NOTEBOOKS),
                        help="notebook names to run (default: all, two at a time)")
    parser.add_argument("--no-run", action="store_true", help="only render the HTML report")
    args = parser.parse_args(argv)
    unknown = [n for n in args.notebooks if n not in NOTEBOOKS]
    if unknown:
        parser.error(f"unknown notebook(s): {', '.join(unknown)}")
    start = time.perf_counter()
    if not args.no_run:
        run_notebooks(args.notebooks)
    from .readme import update_readme

    if update_readme():
        print("README.md results table updated")
    index = render_html()
    print(f"report written to {index.relative_to(ROOT)} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
