"""The README's results table and the results JSON agree."""

import pytest

from gtzan_helpers.app.readme import README, results_markdown


def test_readme_table_is_built_from_results():
    assert results_markdown() in README.read_text()


def test_the_runner_starts_readers_after_their_sources_and_runs_all_it_can(monkeypatch):
    from gtzan_helpers.app import report

    started, finished = [], []

    def run_notebook(name, kernel="python3"):  # stands in for papermill
        started.append((name, set(finished)))
        if name == "02_model":
            raise RuntimeError("notebooks/02_model.ipynb: failed in cell 3")
        finished.append(name)
        return 0.0

    monkeypatch.setattr(report, "run_notebook", run_notebook)
    # threads instead of processes, so that the stand-in needs no pickling
    monkeypatch.setattr(report.concurrent.futures, "ProcessPoolExecutor",
                        report.concurrent.futures.ThreadPoolExecutor)
    monkeypatch.setattr(report, "KERNELS_FILE", report.ROOT / ".never-written")
    with pytest.raises(SystemExit) as failure:
        report.run_notebooks(report.NOTEBOOKS, lanes=2)
    # the failure, and the notebook that reads the failed one, are reported; all else ran
    assert str(failure.value).splitlines() == [
        "notebooks/02_model.ipynb: failed in cell 3",
        "notebooks/08_claims.ipynb: not run, as 02_model failed"]
    order = [name for name, _ in started]
    assert sorted(order) == sorted(set(report.NOTEBOOKS) - {"08_claims"})
    assert order[:2] == ["06_shap", "07_honest_evaluation"]  # those others read first
    assert set(report.READS_OTHERS["09_learning_curve_ablation"]) <= dict(started)["09_learning_curve_ablation"]
    assert not (report.ROOT / ".never-written").exists()  # not every notebook ran


def test_a_page_links_the_other_pages_and_folds_the_solutions():
    import nbformat
    from nbconvert import HTMLExporter

    from gtzan_helpers.app.report import render_page

    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("See [the folds](04_batch_size_cv.ipynb#Folds) and [MFCC](glossary.ipynb#MFCC)."),
        nbformat.v4.new_code_cell("# Solution to exercise 1.1\nprint(1)", metadata={"tags": ["solution"]})])
    page = render_page(notebook, HTMLExporter(template_name="lab"))
    assert 'href="04_batch_size_cv.html#Folds"' in page and 'href="glossary.html#MFCC"' in page
    assert ".ipynb" not in page.split("<body", 1)[1]
    assert "celltag_solution" in page and 'details.className = "solution"' in page
