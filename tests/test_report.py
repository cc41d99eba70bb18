"""The README's results table and the results JSON agree."""

from gtzan_helpers.app.report import README, results_markdown


def test_readme_table_is_built_from_results():
    assert results_markdown() in README.read_text()


def test_ci_runs_the_readme_test_command_then_the_portability_pass():
    commands = [line for line in (README.parent / ".ci" / "run").read_text().splitlines()
                if line and not line.startswith(("#", "set ", "cd "))]
    assert commands == ["make test", "make portability"]
    assert "make test" in README.read_text() and "make portability" in README.read_text()
