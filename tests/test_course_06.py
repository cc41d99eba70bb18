"""Notebook 06 as a course notebook: its primer shows SHAP's additivity and the base value as the
mean output, and its exercises' solutions leave the notebook's state and files alone.

These read the committed notebook; nbval re-runs its cells in the same test session.
"""

import ast
import re

import nbformat
import pytest

from gtzan_helpers.paths import NOTEBOOKS_DIR

NOTEBOOK = NOTEBOOKS_DIR / "06_shap.ipynb"
WRITERS = {"show_figure", "save_figure", "save_results", "savefig", "to_csv", "to_json", "write_text"}


@pytest.fixture(scope="module")
def cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


def _printed(cells) -> str:
    return "\n".join(output.text for cell in cells if cell.cell_type == "code"
                     for output in cell.get("outputs", []) if output.output_type == "stream")


def _bound(source: str) -> set[str]:
    """Names a cell binds at its top level: assignments, imports, function and loop targets."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def test_the_primer_prints_the_additivity_and_the_base_value_as_the_mean_output(cells):
    printed = _printed(cells)
    total, output = re.search(r"φ₀ \+ sum = ([\d.]+), and the network's output f\(x\) = ([\d.]+)", printed).groups()
    assert total == output
    by_hand, shap_base = re.search(r"mean P\(metal\) over the \d+ background segments: ([\d.]+) "
                                   r"\(SHAP's base value: ([\d.]+)\)", printed).groups()
    assert by_hand == shap_base


def test_solutions_rebind_no_name_of_the_cells_above_and_write_no_files(cells):
    above = set()
    solutions = 0
    for cell in cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        if "solution" in cell.metadata.get("tags", []):
            solutions += 1
            clash = _bound(source) & above
            assert not clash, f"{cell.source.splitlines()[0]} rebinds {sorted(clash)}"
            called = {node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                      for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)}
            assert not called & WRITERS, f"{cell.source.splitlines()[0]} writes files: {sorted(called & WRITERS)}"
        else:
            above |= _bound(source)
    assert solutions >= 2


def _markdown(cells) -> list[str]:
    return [cell.source for cell in cells if cell.cell_type == "markdown"]


def test_formulas_are_latex_and_f_is_introduced_before_use(cells):
    for source in _markdown(cells):
        # no Unicode formula-art, HTML sub/superscripts or italic-blockquote formulas
        assert not re.search(r"[φΣ₀₁₂ᵢ]|<su[bp]>|^> \*", source, flags=re.MULTILINE), source[:80]
        # f(x) only inside LaTeX
        prose = re.sub(r"\$[^$]*\$", "", re.sub(r"\$\$.*?\$\$", "", source, flags=re.DOTALL))
        assert not re.search(r"(?<![$\w])f\(x\)(?![$\w])", prose), source[:80]
    first = next(source for source in _markdown(cells) if "$f(x)$" in source)
    assert "Write $x$" in first and "whole network" in first


def test_terms_are_explained_and_the_study_is_quoted_as_the_study(cells):
    markdown = "\n".join(_markdown(cells))
    for mention in re.finditer(r"DeepLIFT", markdown):
        assert "a method that" in markdown[mention.end():mention.end() + 20]
    assert re.search(r"The study's waterfall\s+shows \"mfcc9_mean \(−9\.87\)\": that is the study's number", markdown)
    assert not re.search(r"about (a|one|\d+) seconds?", markdown)   # timings are never typed


def test_the_study_accuracy_verdict_uses_08s_word_and_follows_the_printed_interval(cells):
    printed = _printed(cells)
    low, high = map(float, re.search(r"one more run falls in ([\d.]+)% to ([\d.]+)% \(95 %\)", printed).groups())
    study, placed, verdict = re.search(r"the study's ([\d.]+)% lies (inside|below|above) that interval: "
                                       r"(reproduced or exceeded|reproduced|not reproduced)", printed).groups()
    study = float(study)
    expected = "inside" if low <= study <= high else "below" if study < low else "above"
    assert placed == expected
    assert verdict == {"inside": "reproduced", "below": "reproduced or exceeded", "above": "not reproduced"}[placed]
