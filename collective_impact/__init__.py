"""collective-impact: evaluate collective impact initiatives, territory by territory.

The public API is re-exported here; everything else is reachable through its module
(``collective_impact.metrics.network``, ``collective_impact.plots``…).
"""

__version__ = "0.1.0"

from collective_impact.demo import demo_tables, write_demo_workbook
from collective_impact.errors import (
    CollectiveImpactError,
    FrameworkError,
    InputError,
    Problem,
    RunError,
    StoreError,
    UnknownTerritoryError,
)
from collective_impact.framework import Framework, available_frameworks, load_framework
from collective_impact.io import write_template, write_workbook
from collective_impact.metrics.assessment import condition_scores, item_scores
from collective_impact.report.bundle import open_territory
from collective_impact.report.execute import run_report
from collective_impact.report.findings import territory_profile
from collective_impact.schema import TABLES
from collective_impact.store import Store
from collective_impact.validation import check_tables, load_files

__all__ = [
    "TABLES",
    "CollectiveImpactError",
    "Framework",
    "FrameworkError",
    "InputError",
    "Problem",
    "RunError",
    "Store",
    "StoreError",
    "UnknownTerritoryError",
    "__version__",
    "available_frameworks",
    "check_tables",
    "condition_scores",
    "demo_tables",
    "item_scores",
    "load_files",
    "load_framework",
    "open_territory",
    "run_report",
    "territory_profile",
    "write_demo_workbook",
    "write_template",
    "write_workbook",
]
