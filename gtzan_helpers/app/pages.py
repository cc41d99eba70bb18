"""The static HTML report: one page per executed notebook, the glossary, and an index.

:func:`render_html` (the last step of ``make report``) writes ``report/``. It opens from
disk with no server and no network: formulas are MathML, which browsers draw themselves,
figures are embedded, and nothing is fetched. Links between notebooks lead to their pages,
set-up cells (tagged ``hide-input``) show no code, execution counts are left out (the
pages are read, not run), and each exercise's solution (a cell tagged ``solution``) is
folded into a ``<details>`` element, as JupyterLab shows it collapsed.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

from jinja2 import pass_context
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import TagRemovePreprocessor

from .. import paths
from .notebooks import COURSE, GLOSSARY, NOTEBOOKS

TEMPLATE = Path(__file__).parent / "templates" / "page.html.j2"

KEY_FIGURES = (
    ("07_leakage_ladder", "The leakage ladder: each protocol removes a leak"),
    ("02_training_curves", "Training curves under the three protocols"),
    ("04_batch_size_cv", "Batch-size sweep, mean ± 1 s.d. over folds"),
    ("06_shap_waterfall", "Why the network calls the test clip blues: SHAP waterfall"),
    ("10_ladder", "Ten genres: the leakage ladder"),
)

_NOTEBOOK_LINK = re.compile(r"^((?:\d\d_\w+|glossary))\.ipynb(#.*)?$")


class _PageRenderer(IPythonRenderer):
    """nbconvert's Markdown renderer, with formulas as MathML and links to notebooks as links
    to their pages. nbconvert's parser finds the formulas, so code spans and HTML keep their
    dollar signs."""

    def block_math(self, body: str) -> str:
        return _mathml(body, display="block")

    def inline_math(self, body: str) -> str:
        return _mathml(body, display="inline")

    def link(self, text: str, url: str, title: str | None = None) -> str:
        return super().link(text, _NOTEBOOK_LINK.sub(r"\1.html\2", url), title)


def _mathml(latex: str, display: str) -> str:
    from latex2mathml.converter import convert

    try:
        return convert(latex.strip(), display=display)
    except Exception as exc:  # latex2mathml raises its own types for each kind of bad TeX
        raise ValueError(f"formula ${latex}$ cannot be drawn: {type(exc).__name__}: {exc}") from None


class PageExporter(HTMLExporter):
    """A notebook as a page of the report (see the module's description).

    Examples
    --------
    >>> import nbformat
    >>> notebook = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_markdown_cell("Costs $x^2$; see [the folds](04_batch_size_cv.ipynb#Folds)."),
    ...     nbformat.v4.new_code_cell("print(2)", metadata={"tags": ["solution"]})])
    >>> page, _ = PageExporter().from_notebook_node(notebook)
    >>> '<details class="solution">' in page, 'href="04_batch_size_cv.html#Folds"' in page
    (True, True)
    >>> "<math" in page and "$x^2$" not in page
    True
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("template_file", str(TEMPLATE))
        super().__init__(exclude_input_prompt=True, exclude_output_prompt=True, **kwargs)
        self.register_preprocessor(TagRemovePreprocessor(remove_input_tags={"hide-input"}), enabled=True)

    @pass_context
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        renderer = _PageRenderer(escape=False, attachments=cell.get("attachments", {}),
                                 embed_images=self.embed_images,
                                 path=context.get("resources", {}).get("metadata", {}).get("path", ""),
                                 anchor_link_text=self.anchor_link_text,
                                 exclude_anchor_links=self.exclude_anchor_links, **self.lexer_options)
        return MarkdownWithMath(renderer=renderer).render(source)

    def default_filters(self):
        yield from super().default_filters()
        yield ("markdown2html", self.markdown2html)

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = {**(resources or {}), "start_page": f"{NOTEBOOKS[0]}.html",
                     "glossary_page": f"{GLOSSARY}.html"}
        return super().from_notebook_node(nb, resources, **kw)


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
    """Write the static report: ``report/index.html``, one page per notebook, and the glossary.

    Parameters
    ----------
    names : sequence of str
        The notebooks to render (those that exist under ``notebooks/``).
    out_dir : path, optional
        Where to write; default ``report/``.

    Returns
    -------
    pathlib.Path
        The index page.

    Raises
    ------
    ValueError
        When a notebook holds a formula that cannot be drawn: the notebook and the formula.
    """
    import mistune
    import nbformat

    out = Path(out_dir) if out_dir is not None else paths.root() / "report"
    (out / "figures").mkdir(parents=True, exist_ok=True)
    exporter = PageExporter()
    course, review = [], []
    notebooks, figure_dir = paths.NOTEBOOKS_DIR, paths.FIGURES_DIR   # resolved now
    for name in (n for n in (*names, GLOSSARY) if (notebooks / f"{n}.ipynb").exists()):
        notebook = nbformat.read(notebooks / f"{name}.ipynb", as_version=4)
        title = _notebook_title(notebook) or name
        try:  # the page's title, in the browser's tab, is the notebook's
            page, _ = exporter.from_notebook_node(notebook, {"metadata": {"name": title, "path": str(notebooks)}})
        except ValueError as exc:
            raise ValueError(f"notebooks/{name}.ipynb: {exc}") from None
        (out / f"{name}.html").write_text(page)
        if name != GLOSSARY:
            item = f'<li value="{int(name[:2])}"><a href="{name}.html">{html.escape(title)}</a></li>'
            (course if name in COURSE else review).append(item)
    figures = []
    for figure, caption in KEY_FIGURES:
        if (figure_dir / f"{figure}.png").exists():
            shutil.copyfile(figure_dir / f"{figure}.png", out / "figures" / f"{figure}.png")
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
<p>New to audio or machine learning? <a href="{NOTEBOOKS[0]}.html">Start here</a>: notebooks
{COURSE[0][:2]}–{COURSE[-1][:2]} are a course, and the <a href="{GLOSSARY}.html">glossary</a> defines every term.</p>
<p>{summary}</p>
<h2>Results</h2>
<div id="results">{tables}</div>
<h2>Key figures</h2>
{chr(10).join(figures)}
<h2>The course</h2>
<ol>
{chr(10).join(course)}
</ol>
<h2>The review</h2>
<ol>
{chr(10).join(review)}
</ol>
<p>Each page is an executed notebook; re-run them all with <code>make report</code>. Terms are defined in
the <a href="{GLOSSARY}.html">glossary</a>.</p>
</body></html>
""")
    return index
