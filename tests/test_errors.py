"""Problems describe where to look, in the user's language."""

from __future__ import annotations

import pytest

from collective_impact.errors import CollectiveImpactError, InputError, Problem, RunError, StoreError


def test_problem_names_file_sheet_row_column_and_value():
    problem = Problem("saisie.xlsx", "Réponses", 12, "Réponse", 0, "attendu : 1 à 5.")
    text = problem.describe()
    assert text == "saisie.xlsx, feuille « Réponses », ligne 12, colonne « Réponse » : valeur « 0 » : attendu : 1 à 5."
    english = problem.describe("en")
    assert english.startswith("saisie.xlsx, sheet 'Réponses', row 12, column 'Réponse': value '0':")


def test_problem_without_sheet_row_or_value_says_only_what_it_knows():
    problem = Problem("absent.xlsx", "", None, None, None, "fichier introuvable.")
    assert problem.describe() == "absent.xlsx : fichier introuvable."


@pytest.mark.parametrize("cls", [InputError, StoreError, RunError])
def test_every_error_derives_from_the_base(cls):
    assert issubclass(cls, CollectiveImpactError)


def test_input_error_carries_its_problems():
    problems = [Problem("f", "s", 2, "c", "v", "m"), Problem("f", "s", 3, "c", "w", "m")]
    err = InputError(problems)
    assert err.problems == problems
    assert "2" in str(err)
