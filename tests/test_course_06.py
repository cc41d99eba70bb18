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
