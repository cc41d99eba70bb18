"""The Examples of the course's modules run as written (doctest)."""

import doctest
import importlib
import pkgutil

import pytest

MODULES = ["gtzan_helpers.diagrams.sound", "gtzan_helpers.diagrams.features", "gtzan_helpers.diagrams.network",
           "gtzan_helpers.diagrams.folds", "gtzan_helpers.features.catalogue", "gtzan_helpers.features.segment",
           "gtzan_helpers.app.pages", "gtzan_helpers.bootstrap", "gtzan_helpers.honest.learning",
           "gtzan_helpers.workers"]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run_as_written(name):
    import matplotlib.pyplot as plt

    try:
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    finally:
        plt.close("all")
    assert result.attempted > 0, f"{name} has no Examples"
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed (see above)"


def _package_modules():
    """Every module of gtzan_helpers, imported, by walking the package."""
    import gtzan_helpers

    modules = []
    for info in pkgutil.walk_packages(gtzan_helpers.__path__, "gtzan_helpers."):
        if info.name == "gtzan_helpers.__main__":
            continue  # ``python -m gtzan_helpers``: importing it runs the command line and exits
        modules.append(importlib.import_module(info.name))
    return modules


def test_every_example_of_the_package_runs():
    """Every ``>>>`` in the package runs as written: a block meant only to be read is prose
    (``::``, no prompt), so that the Examples never drift from the code."""
    import matplotlib.pyplot as plt

    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    with_examples = []
    try:
        for module in _package_modules():
            for test in finder.find(module):  # objects defined in the module, not the ones it imports
                if test.examples:
                    with_examples.append(test.name)
                    runner.run(test)
    finally:
        plt.close("all")
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed (see above)"
    assert len(with_examples) >= 15, f"only {len(with_examples)} docstrings have Examples: {with_examples}"
