"""The app notebooks (``notebooks/apps/``): two cells, an import and one call, no logic."""

from __future__ import annotations

import ast
import json

import pytest

from collective_impact.paths import APPS_DIR


@pytest.mark.parametrize(("name", "module", "entry"), [
    ("questionnaire", "collective_impact.apps.questionnaire", "questionnaire_app"),
    ("saisie", "collective_impact.apps.saisie", "saisie_app"),
    ("evaluation", "collective_impact.apps.guided", "evaluation_app"),
    ("tableau_de_bord", "collective_impact.apps.dashboard", "dashboard_app"),
])
def test_app_notebooks_hold_no_logic(name, module, entry):
    notebook = json.loads((APPS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert len(cells) == 2
    tree = ast.parse("\n".join(cells))
    defined = [type(n).__name__ for n in ast.walk(tree)
               if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)]
    assert defined == []
    imports = [(n.module, [a.name for a in n.names]) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert imports == [(module, [entry])]
    calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert calls == [entry]
