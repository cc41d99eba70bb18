"""The honest comparisons of notebooks 07, 09 and 10, a wing the course may skip.

``candidates``  the models compared: the study's MLP, the improved and whole-clip MLPs,
                nested selection (``SelectedCandidate``), all with ``fit(X, y, tracks, groups)``
                and ``predict_proba(X, tracks)``
``baseline_models`` the models beside them: trivial, scikit-learn's defaults, and tuned
``inputs``      what a candidate sees: log variances, track context, per-track summaries
``resampling``  out-of-fold probabilities, grouped permutation importance and learning
                curves over those candidates, on the folds of ``evaluation.cross_validate``
"""

from .baseline_models import baselines, one_feature, tuned_baselines
from .candidates import (MLPCandidate, SelectedCandidate, SklearnCandidate, clip_mlp, improved_mlp, mlp_variants,
                         study_mlp)
from .resampling import cross_val_proba, learning_curve, out_of_fold, permutation_importance

__all__ = ["MLPCandidate", "SelectedCandidate", "SklearnCandidate", "baselines", "clip_mlp", "cross_val_proba",
           "improved_mlp", "learning_curve", "mlp_variants", "one_feature", "out_of_fold",
           "permutation_importance", "study_mlp", "tuned_baselines"]
