"""The notebooks read as a course: goals and takeaways, exercises whose solutions ran, a
glossary whose links resolve, and tables and printouts a reader does not stumble on.

These read the committed notebooks; nbval re-runs every cell (the solutions included) in
the same test session.
"""

import html
import re

import nbformat
import pytest

from gtzan_helpers.app.notebooks import COURSE, GLOSSARY, NOTEBOOKS
from gtzan_helpers.paths import NOTEBOOKS_DIR

GLOSSARY_LINK = re.compile(r"glossary\.ipynb(?:#([\w-]+))?")


def _read(name):
    return nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)


def _section(text: str, heading: str) -> str:
    """The text under ``## heading`` up to the next heading of level 2 or 1."""
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^#{{1,2}} |\Z)", text, re.M | re.S)
    return match.group(1) if match else ""


def _bullets(text: str) -> int:
    return len(re.findall(r"^[*-] ", text, re.M))


def _anchor(heading: str) -> str:
    """The anchor JupyterLab and nbconvert give a heading: its text, spaces as dashes."""
    return heading.strip().replace(" ", "-")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_notebook_opens_with_goals_and_closes_with_takeaways(name):
    cells = _read(name).cells
    first, last = cells[0], cells[-1]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {name[:2]} · ")
    assert 3 <= _bullets(_section(first.source, "What you will learn")) <= 5, name
    assert _bullets(_section(first.source, "Before you start")) >= 1, name
    assert last.cell_type == "markdown", f"{name}: the last cell is not the takeaways"
    assert _bullets(_section(last.source, "Takeaways")) == 3, name
    assert re.search(r"\]\((?:\d\d_\w+|glossary)\.ipynb", _section(last.source, "Next")), name


def _exercises(notebook):
    """(number, heading cell, solution cell or None) for each ``### Exercise`` heading."""
    found = []
    for index, cell in enumerate(notebook.cells):
        match = re.match(r"### Exercise (\d+)\.(\d+) · \S", cell.source) if cell.cell_type == "markdown" else None
        if match:
            following = notebook.cells[index + 1] if index + 1 < len(notebook.cells) else None
            found.append(((int(match.group(1)), int(match.group(2))), cell, following))
    return found


@pytest.mark.parametrize("name", COURSE)
def test_course_notebooks_have_exercises_whose_solutions_ran(name):
    exercises = _exercises(_read(name))
    assert len(exercises) >= 2, f"{name}: {len(exercises)} exercises"
    assert [number for number, _, _ in exercises] == [(int(name[:2]), k) for k in range(1, len(exercises) + 1)]
    for (n, k), _, solution in exercises:
        assert solution is not None and solution.cell_type == "code", f"exercise {n}.{k}: no solution cell"
        assert "solution" in solution.metadata.get("tags", []), f"exercise {n}.{k}"
        assert solution.metadata.get("jupyter", {}).get("source_hidden") is True, f"exercise {n}.{k}: not collapsed"
        assert solution.source.startswith(f"# Solution to exercise {n}.{k}")
        outputs = solution.get("outputs", [])
        assert outputs, f"exercise {n}.{k}: the committed solution shows nothing (did it run?)"
        assert not any(o.output_type == "error" for o in outputs), f"exercise {n}.{k} failed"


def test_the_glossary_defines_the_course_terms_and_every_link_to_it_resolves():
    glossary = _read(GLOSSARY)
    assert all(cell.cell_type == "markdown" for cell in glossary.cells)
    text = "\n".join(cell.source for cell in glossary.cells)
    terms = {_anchor(t) for t in re.findall(r"^### (.+)$", text, re.M)}
    assert len(terms) >= 30, len(terms)
    for required in ("MFCC", "Mel-scale", "Chroma", "HPSS", "Segment", "Early-stopping", "Dropout", "ReLU",
                     "Adam", "Cross-entropy", "Standardising", "Cross-validation", "Fold", "Leakage",
                     "Artist-grouping", "Fault-filtered-split", "Baseline", "Balanced-accuracy",
                     "Confidence-interval", "Wilson-interval", "p-value", "Holm-adjustment", "SHAP-value",
                     "Base-value", "Overfitting"):
        assert required in terms, required
    for name in NOTEBOOKS:
        sources = "\n".join(cell.source for cell in _read(name).cells if cell.cell_type == "markdown")
        links = GLOSSARY_LINK.findall(sources)
        assert links, f"{name} never links the glossary"
        unknown = {anchor for anchor in links if anchor and anchor not in terms}
        assert not unknown, f"{name} links glossary terms that are not there: {sorted(unknown)}"


def _tables(notebook):
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            table = output.get("data", {}).get("text/html", "")
            if "<table" in table:
                yield table


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_tables_have_no_nan_truncated_or_raw_cells(name):
    from gtzan_helpers.features.segment import FEATURE_NAMES  # librosa: imported where used

    for table in _tables(_read(name)):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", table, re.S)]
        assert not [c for c in cells if c in {"NaN", "nan", "None", "<NA>"}], f"{name}: a NaN cell"
        assert not [c for c in cells if c.endswith("...")], f"{name}: a truncated cell"
        assert "–" not in cells, f"{name}: '–' marks a missing value where the report uses '—'"
        assert not [c for c in cells if c in {"True", "False"}], f"{name}: a raw boolean"
        head = "".join(re.findall(r"<thead>(.*?)</thead>", table, re.S))
        headers = [html.unescape(re.sub(r"<[^>]+>", "", h)).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]
        raw = [h for h in headers if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", h) and h not in FEATURE_NAMES]
        assert not raw, f"{name}: raw column names {raw} (the table's features keep their names)"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_printed_lines_fit_the_page(name):
    """A printed line longer than this wraps in the rendered page, mid-word."""
    for cell in _read(name).cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                long = [line for line in output.text.splitlines() if len(line) > 110]
                assert not long, f"{name}: printed lines over 110 characters: {long[:2]}"
