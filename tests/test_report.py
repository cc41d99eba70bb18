"""The README's results table and the results JSON agree."""

from gtzan_helpers.app.readme import README, results_markdown


def test_readme_table_is_built_from_results():
    assert results_markdown() in README.read_text()

