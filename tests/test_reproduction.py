"""The report's numbers re-created on this machine, against the committed ones.

Under ``make test`` nbval has just re-executed every notebook, writing its results
JSON to the session's output folder (see the root ``conftest.py``); a notebook that
did not run there (plain ``pytest tests``) is executed here with papermill. Numbers
from trained networks are compared within the tolerances of
:data:`gtzan_helpers.results.TOLERANCES`, everything else exactly. CI runs this module's
``trained`` notebooks a second time as if on a CPU without AVX-512 (``make portability``).
"""

import json
import os
from pathlib import Path

import pytest

from gtzan_helpers.paths import NOTEBOOKS_DIR, OUTPUT_ENV
from gtzan_helpers.app.report import NOTEBOOKS
from gtzan_helpers.results import TRAINED_KINDS, compare_results, kinds, load_results

def fresh_results(notebook: str) -> dict:
    folder = Path(os.environ[OUTPUT_ENV])
    path = folder / "results" / f"{notebook}.json"
    if not path.exists():
        import papermill

        papermill.execute_notebook(str(NOTEBOOKS_DIR / f"{notebook}.ipynb"),
                                   str(folder / f"{notebook}.ipynb"), kernel_name="python3",
                                   cwd=str(NOTEBOOKS_DIR), progress_bar=False)
    return json.loads(path.read_text())


def _trained(notebook: str) -> bool:
    """Whether a notebook's committed results hold numbers of trained networks."""
    return bool(kinds(load_results(notebook)) & TRAINED_KINDS)


# the portability pass (-m trained) re-creates the notebooks of trained networks only
@pytest.mark.parametrize("notebook", [pytest.param(n, marks=pytest.mark.trained if _trained(n) else ())
                                      for n in NOTEBOOKS])
def test_notebook_results_match_the_committed_ones(notebook):
    problems = compare_results(load_results(notebook), fresh_results(notebook))
    assert not problems, f"{notebook}: " + "; ".join(problems)


def test_a_real_change_is_caught():
    committed = load_results("07_honest_evaluation")
    leaky = json.loads(json.dumps(committed))
    # the study's recipe under artist-grouped CV scored as if only tracks were kept apart
    leaky["study_recipe_cv"]["artist"]["accuracy"] = committed["study_recipe_cv"]["track"]["accuracy"]
    assert any("study_recipe_cv/artist/accuracy" in p for p in compare_results(committed, leaky))
    noisy = json.loads(json.dumps(committed))
    noisy["study_recipe_cv"]["track"]["accuracy"] += 0.01  # a point: within what a CPU moves
    noisy["ladder"]["study MLP"]["heldout"]["track_accuracy"] -= 2 / 58  # two of 58 test tracks
    assert compare_results(committed, noisy) == []
