"""Applications of the package, a wing the course may skip.

``cli``        the ``gtzan`` command: extract, evaluate, train, predict, explain
``bundle``     a trained model in one safe file (``.npz``, never unpickled), with its recipe
``songs``      a bundle applied to audio files: the rows it needs, each song's probabilities, SHAP
``estimator``  the MLP as a scikit-learn classifier
``report``     re-executing the notebooks and rendering the HTML report (``make report``)
``readme``     the README's results tables, written from ``results/*.json``

Nothing in the core imports these modules.
"""
