"""The review (notebooks 07–10) as a reader meets it: each notebook says it builds on the course
and leads to the next, the review's concepts link the glossary where they appear, "—" is said
once to mean "does not apply", and notebook 08's verdict on the headline figure follows its
stated rule.

These read the committed notebooks and results; nbval re-runs the notebooks' cells in the same
test session (``tests/test_course.py`` holds every notebook to goals, takeaways and clean tables).
"""

import re

import nbformat
import pytest
from scipy import stats

from gtzan_helpers.paths import NOTEBOOKS_DIR
from gtzan_helpers.results import STUDY, load_results

REVIEW = ["07_honest_evaluation", "08_claims", "09_learning_curve_ablation", "10_ten_genres"]
NEXT = {"07_honest_evaluation": ["08_claims"], "08_claims": ["09_learning_curve_ablation"],
        "09_learning_curve_ablation": ["10_ten_genres"], "10_ten_genres": ["00_start_here", "glossary"]}
# the glossary terms each notebook of the review introduces (linked where the concept first appears)
TERMS = {"07_honest_evaluation": ["Leakage", "Artist-grouping", "Fault-filtered-split", "Baseline", "Majority-class",
                                  "Balanced-accuracy", "Wilson-interval", "Holm-adjustment", "Equivalence-bound",
                                  "Bootstrap", "AUC", "Brier-score"],
         "08_claims": ["Holm-adjustment", "Early-stopping", "Log-loss", "Brier-score", "Base-value",
                       "Confidence-interval"],
         "09_learning_curve_ablation": ["Permutation-importance", "SHAP-value", "Feature", "Artist-grouping"],
         "10_ten_genres": ["Leakage", "Artist-grouping", "Fault-filtered-split", "Majority-class", "Balanced-accuracy",
                           "Confusion-matrix", "p-value"]}


def _read(name):
    return nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)


def _section(text: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^#{{1,2}} |\Z)", text, re.M | re.S)
    return match.group(1) if match else ""


@pytest.mark.parametrize("name", REVIEW)
def test_each_review_notebook_builds_on_the_course_and_leads_on(name):
    cells = _read(name).cells
    before = _section(cells[0].source, "Before you start")
    assert "review" in before and "course" in before, f"{name}: does not say it is the review"
    assert re.search(r"\]\(0[0-7]_\w+\.ipynb\)", before), f"{name}: links no notebook it builds on"
    following = re.findall(r"\]\((\d\d_\w+|glossary)\.ipynb", _section(cells[-1].source, "Next"))
    assert following == NEXT[name], f"{name}: its Next section links {following}"


@pytest.mark.parametrize("name", REVIEW)
def test_the_review_links_its_concepts_to_the_glossary(name):
    markdown = "\n".join(cell.source for cell in _read(name).cells if cell.cell_type == "markdown")
    missing = [term for term in TERMS[name] if f"glossary.ipynb#{term})" not in markdown]
    assert not missing, f"{name}: no glossary link for {missing}"


@pytest.mark.parametrize("name", ["07_honest_evaluation", "10_ten_genres"])
def test_a_step_that_does_not_apply_is_an_em_dash_said_once(name):
    notebook = _read(name)
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert '"—"' in markdown, f"{name}: never says what '—' in its tables means"
    tables = [output.get("data", {}).get("text/html", "") for cell in notebook.cells
              for output in cell.get("outputs", [])]
    assert any(re.search(r"<td>\s*—\s*</td>", table) for table in tables), f"{name}: no '—' cell in its tables"


def test_the_headline_verdict_follows_the_rule_of_notebook_08():
    """Reproduced inside where one more run of the recipe falls, exceeded below it, not reproduced above."""
    shap = load_results("06_shap")
    spread = shap["seed_spread"]
    runs = spread["runs"]
    reach = stats.t(df=runs - 1).ppf(0.975) * spread["test_accuracy_sd"] * (1 + 1 / runs) ** 0.5
    low, high = spread["test_accuracy_mean"] - reach, spread["test_accuracy_mean"] + reach
    target = STUDY["holdout"]["test_accuracy"]
    claim, verdict = load_results("08_claims")["claims"][0]
    assert claim.startswith(f"{100 * target:.2f} % test accuracy")
    if low <= target <= high:
        assert verdict == "reproduced"
    elif target < low:
        n_test = shap["seed_spread"]["test_segments"]
        assert verdict == (f"reproduced or exceeded: the study's figure lies {100 * (low - target):.2f} points "
                           f"({round((low - target) * n_test)} of {n_test} test segments) below where a run of the recipe falls (95 %)")
    else:
        assert verdict == "not reproduced: above where a run of the recipe falls"


def test_notebook_08_states_the_three_outcomes_of_its_headline_rule():
    rules = next(cell.source for cell in _read("08_claims").cells
                 if cell.cell_type == "markdown" and cell.source.startswith("## The claims and their rules"))
    first = rules.split("\n1. ", 1)[1].split("\n2. ", 1)[0]
    for outcome in ("*reproduced*", "*reproduced or exceeded*", "*not reproduced*"):
        assert outcome in first, outcome
