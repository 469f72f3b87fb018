"""Tests of collective_impact.metrics.backbone: expected values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from collective_impact.metrics.backbone import backbone_functions
from collective_impact.schema import TABLES

NA = None
LABELS_FR = [
    "Porter la vision et la stratégie",
    "Soutenir des actions alignées",
    "Installer des pratiques de mesure partagée",
    "Mobiliser l'opinion et les habitants",
    "Faire évoluer les politiques publiques",
    "Mobiliser des financements",
]
LABELS_EN = [
    "Guide vision and strategy",
    "Support aligned activities",
    "Establish shared measurement practices",
    "Build public will",
    "Advance policy",
    "Mobilize funding",
]


def responses_frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["territory_id", "wave", "respondent_id", "partner_id", "item_id", "score"])
    frame["answered_on"] = pd.NaT
    return frame[TABLES["responses"].column_ids].astype(TABLES["responses"].dtypes)


def test_each_function_gets_its_own_item():
    # pivot_k is answered k by both respondents, so function k must show mean k; except
    # pivot_3 (3 and 5: mean 4, s² = 2, r_wg = 1 − 2/2 = 0) and pivot_6 (ne sait pas only).
    rows = []
    for k in range(1, 6):
        second = 5 if k == 3 else k
        rows += [("T1", 1, "R1", NA, f"pivot_{k}", k), ("T1", 1, "R2", NA, f"pivot_{k}", second)]
    rows += [("T1", 1, "R1", NA, "pivot_6", NA), ("T1", 1, "R2", NA, "pivot_6", NA)]
    rows += [("T1", 1, "R1", NA, "agenda_1", 1)]  # not a backbone item: ignored
    result = backbone_functions(responses_frame(rows))
    expected = pd.DataFrame({
        "territory_id": pd.array(["T1"] * 6, dtype="str"),
        "wave": pd.array([1] * 6, dtype="Int64"),
        "function_id": np.arange(1, 7, dtype="int64"),
        "label": pd.array(LABELS_FR, dtype="str"),
        "mean": [1.0, 2.0, 4.0, 4.0, 5.0, np.nan],
        "n_answers": np.array([2, 2, 2, 2, 2, 0], dtype="int64"),
        "rwg": [1.0, 1.0, 0.0, 1.0, 1.0, np.nan],
        "band": pd.array(["vigilance", "vigilance", "force", "force", "force", None], dtype="str"),
    })
    pd.testing.assert_frame_equal(result, expected)


def test_all_six_functions_present_without_any_backbone_answer():
    responses = responses_frame([
        ("T1", 1, "R1", NA, "agenda_1", 4),
        ("T1", 2, "R1", NA, "pivot_2", 3),
    ])
    result = backbone_functions(responses, lang="en")
    expected = pd.DataFrame({
        "territory_id": pd.array(["T1"] * 12, dtype="str"),
        "wave": pd.array([1] * 6 + [2] * 6, dtype="Int64"),
        "function_id": np.tile(np.arange(1, 7, dtype="int64"), 2),
        "label": pd.array(LABELS_EN * 2, dtype="str"),
        "mean": [np.nan] * 7 + [3.0] + [np.nan] * 4,
        "n_answers": np.array([0] * 7 + [1] + [0] * 4, dtype="int64"),
        "rwg": [np.nan] * 12,  # a single answer: no agreement to measure
        "band": pd.array([None] * 7 + ["a_consolider"] + [None] * 4, dtype="str"),
    })
    pd.testing.assert_frame_equal(result, expected)


def test_no_responses_gives_empty_frame():
    result = backbone_functions(responses_frame([]))
    assert result.empty
    assert list(result.columns) == ["territory_id", "wave", "function_id", "label", "mean", "n_answers", "rwg", "band"]
