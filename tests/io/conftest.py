"""Fixtures of the reading tests: the sheets every answers file needs beside it, and the
questionnaire's items as written in the framework's file (read with yaml, not the package)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

FRAMEWORK_FILE = Path(__file__).resolve().parents[2] / "collective_impact" / "framework" / "ci2011.yaml"


@pytest.fixture(scope="session")
def items() -> dict[str, dict[str, str]]:
    """Item id → its wording ``{"fr": ..., "en": ...}``, in the framework's order."""
    data = yaml.safe_load(FRAMEWORK_FILE.read_text(encoding="utf-8"))
    return {item["id"]: item["text"] for condition in data["conditions"] for item in condition["items"]}


@pytest.fixture
def context_sheets() -> dict[str, list[list]]:
    """The territory and partners the answers refer to, as the workbook's sheets (header first)."""
    return {
        "Territoires": [["Territoire", "Nom", "Phase"], ["T01", "Quartier Nord", "Démarrage"]],
        "Partenaires": [["Territoire", "Partenaire", "Nom", "Type de structure"],
                        ["T01", "P01", "Centre social", "Centre social"],
                        ["T01", "P02", "Mairie", "Mairie / commune"]],
    }
