"""The fast path, a wing the course may skip: many MLPs trained together, and jobs spread over processes.

``stacked``    :func:`fit_many`: the networks of a cross-validation run trained as one
               stack of batched products (float32), checked against :mod:`..loop`
``parallel``   :func:`map_jobs`: independent jobs on one thread each, in worker
               processes when that pays (joblib; a Dask cluster through its backend)
"""

from .parallel import map_jobs
from .stacked import ManyResult, fit_many

__all__ = ["ManyResult", "fit_many", "map_jobs"]
