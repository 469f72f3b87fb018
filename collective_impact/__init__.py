"""collective-impact: evaluate collective impact initiatives, territory by territory."""

from collective_impact.errors import CollectiveImpactError, InputError, Problem, RunError, StoreError
from collective_impact.framework import load_framework

__version__ = "0.1.0"

__all__ = [
    "CollectiveImpactError",
    "InputError",
    "Problem",
    "RunError",
    "StoreError",
    "__version__",
    "load_framework",
]
