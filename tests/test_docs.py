"""The Examples of the course's modules run as written (doctest)."""

import doctest
import importlib
import pkgutil

MODULES = ["gtzan_helpers.diagrams.sound", "gtzan_helpers.diagrams.features", "gtzan_helpers.diagrams.network",
           "gtzan_helpers.diagrams.folds", "gtzan_helpers.features.catalogue", "gtzan_helpers.features.segment",
           "gtzan_helpers.app.pages", "gtzan_helpers.bootstrap", "gtzan_helpers.honest.learning",
           "gtzan_helpers.workers", "gtzan_helpers.training", "gtzan_helpers.evaluation", "gtzan_helpers.splits",
           "gtzan_helpers.scoring", "gtzan_helpers.stats", "gtzan_helpers.app.estimator"]
"""Modules a reader meets first: each has Examples."""


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
    assert len(with_examples) >= 50, f"only {len(with_examples)} docstrings have Examples: {with_examples}"
    assert not [name for name in MODULES if not any(t.startswith(name + ".") for t in with_examples)]
