"""The public API changes only on purpose: this list is pinned."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import collective_impact

EXPECTED = [
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


def test_exported_members_are_pinned_and_sorted():
    assert collective_impact.__all__ == EXPECTED
    for name in EXPECTED:
        assert getattr(collective_impact, name) is not None


def test_importing_the_package_loads_no_heavy_library():
    # the public names are loaded on first use: the package root stays cheap to import
    code = "import sys, collective_impact; print(sorted(m for m in ('pandas', 'matplotlib', 'papermill') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        collective_impact.no_such_name  # noqa: B018


def test_exported_callables_are_documented():
    for name in EXPECTED:
        member = getattr(collective_impact, name)
        if callable(member):
            assert (member.__doc__ or "").strip(), name


def test_python_dash_m_runs_the_command_line():
    done = subprocess.run([sys.executable, "-m", "collective_impact", "--help"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0
    for command in ("template", "demo-data", "validate", "import", "export", "scores", "report", "batch", "app"):
        assert command in done.stdout


def test_usage_error_exits_2():
    done = subprocess.run([sys.executable, "-m", "collective_impact", "import"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 2


# The modules split into packages of rooms by job keep every name others import from them
# (their __all__, and the few names the command line and the tests take besides).
OLD_PATHS = {
    "collective_impact.store": ["AUDIT_ACTIONS", "AUDIT_COLUMNS", "AUDIT_DETAIL_LIMIT", "IMPORT_MODES", "SCHEMA_VERSION",
                                "ImportMode", "ImportSummary", "RunRecord", "Store", "_text_table", "system_user"],
    "collective_impact.validation": ["MULTILINE", "PAST_EVENTS", "check_files", "check_tables", "empty_table",
                                     "group_problems", "load_files", "plausible_range", "suggest", "table_schema",
                                     "validate_sheets", "_CellError", "_parse"],
    "collective_impact.io": ["DEFAULT_LIMITS", "MAX_FILE_BYTES", "MAX_RATIO", "MAX_ROWS", "MAX_UNPACKED_BYTES",
                             "RATIO_FLOOR", "RawSheet", "ReadLimits", "match_column", "match_table", "normalize_label",
                             "read_sources", "write_template", "write_workbook"],
    "collective_impact.demo": ["DEFAULT_AS_OF", "DEFAULT_SEED", "demo_tables", "write_demo_workbook"],
    "collective_impact.metrics.synthesis": ["ABSENT_MONTHS", "FINDING_KINDS", "MAX_NAMES", "OP_SIGNS", "POINT_LEVELS",
                                            "RECENT_MONTHS", "ROLES", "RULES", "Rule", "Synthesis", "ranked_points",
                                            "resolve_threshold", "territory_synthesis"],
    "collective_impact.report.batch": ["COMPARISON_NAME", "REPORT_STATES", "STATUSES", "BatchResult", "Progress",
                                       "Task", "TaskResult", "default_workers", "report_fingerprint", "report_state",
                                       "reports_archive", "run_batch", "run_one", "summary_frame", "territory_figures",
                                       "write_index", "write_summary"],
    "collective_impact.apps.widgets": ["ActionForm", "BusyButton", "ConfirmingForm", "Field", "RowForm", "Steps",
                                       "TerritoryPicker", "TerritoryWaveChooser", "app_container", "banner",
                                       "download_link", "draft_fields", "draft_text", "html_box", "html_table", "label_column", "message_panel",
                                       "multiline_banner", "open_app", "page_bundle", "problem_text", "read_draft", "row_options",
                                       "show_problems", "spinner"],
}


@pytest.mark.parametrize("module", sorted(OLD_PATHS))
def test_split_modules_keep_their_import_paths(module):
    imported = importlib.import_module(module)
    missing = [name for name in OLD_PATHS[module] if not hasattr(imported, name)]
    assert missing == []
    # every name of __all__ is there, and __all__ lists only public names of this list
    assert [name for name in imported.__all__ if not hasattr(imported, name)] == []
    assert set(imported.__all__) <= set(OLD_PATHS[module])
