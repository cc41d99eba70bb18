"""Where a notebook run writes: the report's folders only for the report's parameters."""

import pytest

from gtzan_helpers.paths import (FIGURES_DIR, NOTEBOOKS_DIR, notebook_outputs, notebook_parameters,
                                  OUTPUT_ENV, RESULTS_DIR, RUNS_DIR)

REPORT = {"seed": 0, "n_splits": 5, "batch_sizes": [32, 64, 128, 256], "output_dir": None}


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv(OUTPUT_ENV, raising=False)


def test_report_parameters_write_to_the_report(no_env):
    out = notebook_outputs("04_batch_size_cv", REPORT)
    assert (out.figures, out.results) == (FIGURES_DIR, RESULTS_DIR)


def test_other_parameters_write_to_a_folder_of_their_own(no_env, capsys):
    out = notebook_outputs("04_batch_size_cv", {**REPORT, "seed": 1, "batch_sizes": [32, 64]})
    assert out.results == RUNS_DIR / "04_batch_size_cv" / "seed=1,batch_sizes=[32,64]" / "results"
    assert "runs" in capsys.readouterr().out


def test_output_dir_and_environment_win(no_env, monkeypatch, tmp_path):
    assert notebook_outputs("04_batch_size_cv", {**REPORT, "output_dir": str(tmp_path)}).figures \
        == tmp_path / "figures"
    monkeypatch.setenv(OUTPUT_ENV, str(tmp_path / "env"))
    assert notebook_outputs("04_batch_size_cv", REPORT).results == tmp_path / "env" / "results"


def test_notebook_parameters_are_papermills():
    import ast

    import papermill

    for notebook in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        expected = {name: ast.literal_eval(p["default"])
                    for name, p in papermill.inspect_notebook(str(notebook)).items()}
        assert notebook_parameters(notebook) == expected, notebook.name
