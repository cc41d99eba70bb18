"""The Examples of the course's modules run as written (doctest)."""

import doctest
import importlib

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
