"""Helpers for the GTZAN blues-vs-metal report.

The notebooks in ``notebooks/`` tell the story; this package holds the logic they
share with the command line and the tests, one module per concern:

``paths``          where the repository's data, figures and results live; notebook output folders
``data``           loading and checking the feature table
``audio``          loading audio files of any common format as 22 050 Hz mono
``features``       the 57 features of a 3-second segment, as the table computes them
``median``         the running median behind the fast harmonic/percussive separation
``model``          the multilayer perceptron (the one definition of its layers)
``training``       seeding, device choice and the reference training loop with early stopping
``fast_training``  many MLPs trained together as one stack (the notebooks' sweeps)
``parallel``       independent jobs spread over processes or a Dask cluster with joblib
``evaluation``     hold-out splits, k-fold cross-validation and sweeps under the three protocols
``stats``          fold summaries, corrected confidence intervals and paired tests
``candidates``     the models compared under the honest protocol
``estimator``      a scikit-learn compatible classifier around the MLP
``bundle``         a trained model in one safe file
``explain``        SHAP explanations
``plots``          figures with stable names under ``figures/``
``results``        the study's numbers, each notebook's results JSON and their comparison
``report``         re-executing the notebooks and rendering the HTML report
``cli``            the ``gtzan`` command
"""

__version__ = "0.1.0"

GENRES = ("blues", "metal")
"""The study's two genres, in label order (0 = blues, 1 = metal). A table may hold any
genres: :attr:`gtzan_helpers.data.FeatureTable.genres` names its labels."""

SPLITS = ("segment", "track", "artist")
"""The evaluation protocols, from the study's to the most honest (see :mod:`.evaluation`)."""


class GtzanError(ValueError):
    """Base of the errors a user's input can cause (bad table, audio or model file).

    The message is one line naming the file or value and the reason; the command line
    prints it without a traceback.
    """
