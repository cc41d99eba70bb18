"""The README's results table and the results JSON agree."""

from gtzan_helpers.report import README, results_markdown


def test_readme_table_is_built_from_results():
    assert results_markdown() in README.read_text()


def test_readme_names_the_ci_test_command():
    ci = (README.parent / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci == "make test" and "make test" in README.read_text()
