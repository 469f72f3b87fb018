"""The allowed import directions between the packages (docs/ARCHITECTURE.md), read from the source.

Every module of the package is parsed (``ast``); every import counts, those inside
functions too: an import hidden in a function is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "collective_impact"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE

# (importing package, packages it must never import, why)
FORBIDDEN = [
    ("metrics", ("store", "io", "validation", "report", "plots", "apps"),
     "metrics are pure: tables in, numbers and codes out; they never read files or draw"),
    ("plots", ("metrics", "report", "apps"), "figures draw what they are given and compute no metric"),
    ("report", ("apps",), "the report never depends on a Voila widget"),
    ("io", ("store", "validation", "demo", "metrics", "report", "plots", "apps"),
     "reading and writing files knows the tables (schema), not what is done with them"),
    ("validation", ("store", "demo", "report", "plots", "apps"),
     "validation checks files and tables; it never stores them nor reports on them"),
    ("store", ("validation", "demo", "metrics", "report", "plots", "apps"),
     "the store keeps the tables; it neither checks files nor computes"),
    ("demo", ("store", "validation", "metrics", "report", "plots", "apps"),
     "the demo builds tables from its profiles; it neither stores nor checks them"),
]

# The packages made of rooms by job: their modules, lowest first. A module imports only the
# modules listed before it (imports for type checkers aside), never its package's root (which
# only re-exports them), and every module of the package is listed here.
LAYERS = {
    "store": ("sql", "connection", "audit", "tables", "importing", "editing", "reading"),
    "validation": ("parsing", "suggestions", "schemas", "problems", "references", "plausibility", "checks"),
    "io": ("sheets", "limits", "rows", "survey", "workbooks", "csv_files", "reading", "writing"),
    "demo": ("model", "mature", "starting", "weak_backbone", "disagreeing", "followed", "tables", "builder"),
    "metrics.synthesis": ("rules", "result", "selection", "facts", "findings", "ranking"),
    "report.batch": ("tasks", "planning", "worker", "runners", "outputs", "run"),
    "apps.widgets": ("page", "draft", "buttons", "opening", "fields", "steps", "forms", "action_form"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def imports(module: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """``(line, imported module, names taken from it)`` for every import of ``module``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the module's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target, tuple(alias.name for alias in node.names)))
    return found


def test_the_scan_sees_the_package():
    assert {"collective_impact.cli", "collective_impact.metrics.assessment", "collective_impact.report.batch",
            "collective_impact.report.batch.worker", "collective_impact.store.connection"} <= set(MODULES)
    lines = {target for _, target, _ in imports("collective_impact.cli")}
    assert "collective_impact.errors" in lines
    # imports inside functions count
    assert "collective_impact.report.batch" in lines


def runtime_imports(module: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """:func:`imports` without those under ``if TYPE_CHECKING:`` (for type checkers only)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    typing_only = {node.lineno for block in ast.walk(tree)
                   if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
                   for statement in block.body for node in ast.walk(statement) if hasattr(node, "lineno")}
    return [found for found in imports(module) if found[0] not in typing_only]


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


@pytest.mark.parametrize(("importer", "forbidden", "why"), FORBIDDEN, ids=[rule[0] for rule in FORBIDDEN])
def test_import_directions(importer, forbidden, why):
    violations = []
    for module in MODULES:
        if not within(module, f"{PACKAGE}.{importer}"):
            continue
        for line, target, names in imports(module):
            # "from collective_impact import plots" imports the submodule collective_impact.plots
            targets = [f"{target}.{n}" for n in names] if target == PACKAGE else [target]
            for name in targets:
                bad = [f for f in forbidden if within(name, f"{PACKAGE}.{f}")]
                if bad:
                    violations.append(f"{module}:{line} imports {name}")
    assert not violations, f"{why}:\n" + "\n".join(violations)


def test_nothing_imports_the_package_root():
    # the root only re-exports (for users); a module of the package names the module it uses
    violations = []
    for module in MODULES:
        for line, target, names in imports(module):
            if target == PACKAGE and not names:
                violations.append(f"{module}:{line} import {PACKAGE}")
            elif target == PACKAGE:
                taken = [n for n in names if f"{PACKAGE}.{n}" not in MODULES]
                if taken:
                    violations.append(f"{module}:{line} from {PACKAGE} import {', '.join(taken)}")
    assert not violations, "use collective_impact._version and the defining modules:\n" + "\n".join(violations)


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_rooms_of_a_package_import_downwards(package):
    root = f"{PACKAGE}.{package}"
    order = [f"{root}.{name}" for name in LAYERS[package]]
    assert sorted(m for m in MODULES if m.startswith(root + ".")) == sorted(order), "list every module in LAYERS"
    violations = []
    for rank, module in enumerate(order):
        for line, target, names in runtime_imports(module):
            if target == root:
                violations += [f"{module}:{line} imports {root} ({', '.join(names)})"]
            elif target in order and order.index(target) >= rank:
                violations.append(f"{module}:{line} imports {target}, listed after it")
    assert not violations, "a room imports the rooms below it:\n" + "\n".join(violations)
