"""The check that a notebook's results match the committed ones catches what it should.

Under ``make test`` each notebook's results, written by its cells, are compared with the
committed ones after its last cell (see the root ``conftest.py``).
"""

import json
import os

from gtzan_helpers.results import load_results

from .tolerances import compare_results


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


def test_a_verdict_is_compared_by_its_words_not_the_numbers_it_quotes():
    committed = {"claims": [["batch size", "not distinguishable: within ± 2.5 points (3 of 600)"]]}
    moved = {"claims": [["batch size", "not distinguishable: within ± 2.7 points (4 of 600)"]]}
    flipped = {"claims": [["batch size", "distinguishable: within ± 2.5 points (3 of 600)"]]}
    assert compare_results(committed, moved) == []
    assert compare_results(committed, flipped) != []


def test_notebooks_that_read_others_read_the_committed_results_under_the_tests(tmp_path, monkeypatch):
    from gtzan_helpers.paths import RESULTS_DIR
    from gtzan_helpers.results import SOURCES_ENV, run_results, save_results

    assert os.environ.get(SOURCES_ENV) == str(RESULTS_DIR)  # the root conftest.py sets it for the run
    fresh = {"accuracy": 0.5}  # what a notebook re-run in this test run would have written
    save_results("07_honest_evaluation", fresh, folder=tmp_path)
    monkeypatch.delenv(SOURCES_ENV, raising=False)
    assert run_results("07_honest_evaluation", tmp_path) == fresh  # the report's run: its own numbers
    assert run_results("07_honest_evaluation", tmp_path / "elsewhere") == load_results("07_honest_evaluation")
    monkeypatch.setenv(SOURCES_ENV, str(RESULTS_DIR))  # as the root conftest.py sets it
    assert run_results("07_honest_evaluation", tmp_path) == load_results("07_honest_evaluation")
