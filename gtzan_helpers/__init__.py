"""Helpers for the GTZAN blues-vs-metal report.

The notebooks in ``notebooks/`` tell the story; this package holds the logic they
share with the command line and the tests. The core, read top to bottom:

``recipe``      the study's hyperparameters in one object; every default comes from it
``paths``       where the repository's data, figures and results live; notebook output folders
``workers``     worker processes that end with the process that started them
``features``    audio loading, the segment recipe, HPSS, batch extraction (notebook 01)
``data``        the one loader: feature tables, artists, duplicates, the fault-filtered split
``matching``    duplicate tracks and nearest rows, found by sorting the rows
``scoring``     the decision rule, the loss, per-track aggregation, accuracies
``model``       the multilayer perceptron: the one definition of its layers
``splits``      the protocols (segment, track, artist), the splitter ``ProtocolKFold``,
                hold-out, folds, the validation split
``stats``       fold summaries, corrected confidence intervals and paired tests
``loop``        device choice and the reference training loop ``fit``: one network, read top to bottom
``training``    ``train``: the one training entry point (validation split, scaler, network,
                the loop, or the stacked trainer of ``fast``, loaded only when asked for)
``evaluation``  the study's hold-out, the one cross-validation (over candidates) and sweeps
``bootstrap``   resampling whole artists or tracks within genres: intervals for the review notebooks
``explain``     SHAP explanations (notebook 06)
``tables``      the sweep tables notebooks 04 and 05 show, and their tests as results JSON
``plots``       figures with stable names under ``figures/``
``results``     the study's numbers and each notebook's results JSON

Each module imports only the ones listed above it, and ``fast`` only when its work is asked for
(``training`` the stacked trainer, ``evaluation`` the processes).

The wings, which a reader may skip:

``fast``        many MLPs trained together as one stack; jobs spread over processes
``honest``      the honest comparisons: candidates and baselines, out-of-fold
                probabilities, permutation importance, learning curves (notebooks 07, 09, 10)
``app``         the ``gtzan`` command, model bundles (shipped ones in ``models``), a scikit-learn estimator, the HTML report
``diagrams``    schematic drawings for the course's concept primers (notebooks 00–04)
"""

__version__ = "0.1.0"

GENRES = ("blues", "metal")
"""The study's two genres, in label order (0 = blues, 1 = metal). A table may hold any
genres: :attr:`gtzan_helpers.data.FeatureTable.genres` names its labels."""

PROTOCOLS = ("segment", "track", "artist")
"""The evaluation protocols, from the study's to the most honest (see :mod:`.splits`)."""

DEFAULT_PROTOCOL = "artist"
"""The protocol every function uses unless told otherwise: a new song of a new artist is what a
user brings (notebooks reproducing the study name ``"segment"``)."""

PROTOCOL_NAMES = {"segment": "segment-random", "track": "track-grouped", "artist": "artist-grouped"}
"""How figures, tables and the command line name the protocols."""


class GtzanError(ValueError):
    """Base of the errors a user's input can cause (bad table, audio or model file).

    The message is one line naming the file or value and the reason; the command line
    prints it without a traceback.
    """


class GtzanWarning(UserWarning):
    """Base of the warnings about a user's input that can still be used, but not as they may think
    (a damaged cache entry, audio unlike the training data's, a genre with one track); the command
    line prints each as one line."""
