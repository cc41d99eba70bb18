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


def test_parameters_named_after_the_recipe_start_at_its_values():
    # papermill wants literal defaults; the recipe's numbers are still written once, in
    # gtzan_helpers/recipe.py, and a notebook parameter of the same name must agree with it
    from gtzan_helpers.recipe import RECIPE

    fields = RECIPE.to_dict()
    shared = [(notebook.name, name, value) for notebook in sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
              for name, value in notebook_parameters(notebook).items() if name in fields]
    assert len(shared) >= 10  # 02's batch size and test size, 03's batch size, patience and epochs, five n_splits
    for notebook, name, value in shared:
        assert value == fields[name], f"{notebook}: {name} = {value!r}, the recipe's is {fields[name]!r}"


def test_locations_follow_a_root_set_after_the_import(no_env, monkeypatch, tmp_path):
    import shutil

    from gtzan_helpers import paths

    before = paths.ROOT
    (tmp_path / "notebooks").mkdir()
    shutil.copy(NOTEBOOKS_DIR / "04_batch_size_cv.ipynb", tmp_path / "notebooks")
    monkeypatch.setenv(paths.ROOT_ENV, str(tmp_path))
    here = tmp_path.resolve()
    assert paths.ROOT == here
    for name, relative in paths.LOCATIONS.items():
        assert getattr(paths, name) == here / relative, name
    from gtzan_helpers.paths import FAULT_FILTERED_SPLIT, RESULTS_DIR as results  # imported now: the new root

    assert (FAULT_FILTERED_SPLIT, results) == (here / "data" / "fault_filtered_split.csv", here / "results")
    out = notebook_outputs("04_batch_size_cv", REPORT)
    assert (out.figures, out.results) == (here / "figures", here / "results")
    assert notebook_outputs("04_batch_size_cv", {**REPORT, "seed": 1}).results.is_relative_to(here / "runs")
    monkeypatch.delenv(paths.ROOT_ENV)
    assert paths.ROOT == before and paths.RESULTS_DIR == RESULTS_DIR


def test_only_known_locations():
    from gtzan_helpers import paths

    assert {"ROOT", "DATA_DIR", "KAGGLE_30_SEC", "notebook_outputs"} <= set(dir(paths))
    with pytest.raises(AttributeError, match="NO_SUCH_DIR"):
        paths.NO_SUCH_DIR
