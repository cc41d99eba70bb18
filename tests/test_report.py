"""The README's results table and the results JSON agree."""

import pytest

from gtzan_helpers import paths
from gtzan_helpers.app.readme import results_markdown


def test_readme_table_is_built_from_results():
    assert results_markdown() in (paths.ROOT / "README.md").read_text()


def test_the_runner_starts_readers_after_their_sources_and_runs_all_it_can(monkeypatch, tmp_path):
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
    monkeypatch.setattr(report, "KERNELS_FILE", tmp_path / "never-written")   # an absolute path wins
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
    assert not (tmp_path / "never-written").exists()  # not every notebook ran


def test_a_page_links_the_other_pages_draws_formulas_and_folds_only_the_solutions():
    import nbformat

    from gtzan_helpers.app.pages import PageExporter

    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("See [the folds](04_batch_size_cv.ipynb#Folds), [MFCC](glossary.ipynb#MFCC) "
                                      "and [the data](../data/README.md); $z = (x - \\mu)/\\sigma$, but `$HOME`."),
        nbformat.v4.new_code_cell("print(1)", metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("print(2)")])
    page, _ = PageExporter().from_notebook_node(notebook)
    body = page.split("<body", 1)[1]
    assert 'href="04_batch_size_cv.html#Folds"' in body and 'href="glossary.html#MFCC"' in body
    assert 'href="../data/README.md"' in body
    assert "<math" in body and "\\mu" not in body and "$HOME" in body
    assert body.count('<details class="solution">') == 1
    folded = body.split('<details class="solution">', 1)[1].split("</details>", 1)[0]
    assert '<span class="mi">1</span>' in folded and '<span class="mi">2</span>' not in folded
    assert "<script src=" not in page


def test_a_formula_that_cannot_be_drawn_names_its_notebook(tmp_path, monkeypatch):
    import nbformat

    from gtzan_helpers.app import pages

    from gtzan_helpers import paths

    monkeypatch.setenv(paths.ROOT_ENV, str(tmp_path))   # a repository of one notebook
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 00 · x\n$\\frac{1}{$")]),
                   tmp_path / "notebooks" / "00_start_here.ipynb")
    with pytest.raises(ValueError, match=r"notebooks/00_start_here.ipynb: formula .* cannot be drawn"):
        pages.render_html(["00_start_here"], out_dir=tmp_path / "report")
