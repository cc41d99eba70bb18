"""Helpers for the GTZAN blues-vs-metal report.

The notebooks in ``notebooks/`` tell the story; this package holds the logic they
share with the command line and the tests, one module per concern:

``paths``       where the repository's data, figures and results live
``data``        loading and checking the feature table
``audio``       loading audio files of any common format as 22 050 Hz mono
``features``    the 57 features of a 3-second segment, as the table computes them
``model``       the multilayer perceptron
``training``    seeding, device choice and the training loop with early stopping
``evaluation``  hold-out splits and k-fold cross-validation under both protocols
``estimator``   a scikit-learn compatible classifier around the MLP
``explain``     SHAP explanations
``plots``       figures with stable names under ``figures/``
"""

__version__ = "0.1.0"

GENRES = ("blues", "metal")
"""Label names, indexed by the integer label (0 = blues, 1 = metal)."""


class GtzanError(ValueError):
    """Base of the errors a user's input can cause (bad table, audio or model file).

    The message is one line naming the file or value and the reason; the command line
    prints it without a traceback.
    """
