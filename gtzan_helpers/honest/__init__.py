"""The honest comparisons of notebooks 07, 09 and 10, a wing the course may skip.

``candidates``  the models compared: the study's MLP, the improved and whole-clip MLPs,
                nested selection (``SelectedCandidate``), all with ``fit(X, y, tracks, watch_groups)``
                and ``predict_proba(X, tracks)``
``baseline_models`` the models beside them: trivial, scikit-learn's defaults, and tuned
``inputs``      what a candidate sees: log variances, track context, per-track summaries
``resampling``  repeated grouped CV, out-of-fold probabilities, grouped permutation
                importance and learning curves over those candidates
"""

from .baseline_models import baselines, one_feature, tuned_baselines
from .candidates import (MLPCandidate, SelectedCandidate, SklearnCandidate, clip_mlp, improved_mlp, mlp_variants,
                         study_mlp, trains_networks)
from .resampling import cross_val_proba, learning_curve, out_of_fold, permutation_importance, repeated_cv

__all__ = ["MLPCandidate", "SelectedCandidate", "SklearnCandidate", "baselines", "clip_mlp", "cross_val_proba",
           "improved_mlp", "learning_curve", "mlp_variants", "one_feature", "out_of_fold",
           "permutation_importance", "repeated_cv", "study_mlp", "trains_networks", "tuned_baselines"]
