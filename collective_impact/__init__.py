"""collective-impact: evaluate collective impact initiatives, territory by territory.

The public API is re-exported here (:data:`__all__`, pinned by ``tests/test_public_api.py``);
everything else is reachable through its module (``collective_impact.metrics.network``,
``collective_impact.plots``…). Modules of the package never import from here.

The names are loaded on first use (:pep:`562`): importing any module of the package runs
this file first, and ``collective-impact --help`` must not pay for pandas, matplotlib or
papermill.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from collective_impact._version import __version__

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
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

# Where each public name lives.
_SOURCES = {
    "TABLES": "collective_impact.schema",
    "CollectiveImpactError": "collective_impact.errors",
    "Framework": "collective_impact.framework",
    "FrameworkError": "collective_impact.errors",
    "InputError": "collective_impact.errors",
    "Problem": "collective_impact.errors",
    "RunError": "collective_impact.errors",
    "Store": "collective_impact.store",
    "StoreError": "collective_impact.errors",
    "UnknownTerritoryError": "collective_impact.errors",
    "available_frameworks": "collective_impact.framework",
    "check_tables": "collective_impact.validation",
    "condition_scores": "collective_impact.metrics.assessment",
    "demo_tables": "collective_impact.demo",
    "item_scores": "collective_impact.metrics.assessment",
    "load_files": "collective_impact.validation",
    "load_framework": "collective_impact.framework",
    "open_territory": "collective_impact.report.bundle",
    "run_report": "collective_impact.report.execute",
    "territory_profile": "collective_impact.report.findings",
    "write_demo_workbook": "collective_impact.demo",
    "write_template": "collective_impact.io",
    "write_workbook": "collective_impact.io",
}


def __getattr__(name: str) -> object:
    """Import the module of public name ``name`` when it is first used."""
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'collective_impact' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next use is a plain attribute read
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
