"""Concurrent questionnaire submissions through the forms' submission function.

Twenty submitters (threads, each with its own Store object on the same file, as each
Voila kernel has) send twenty questionnaires each, at the same time; every one must be in
the store exactly once. Each submitter also sends one of its questionnaires a second time
(a double click or a retry after a lost connection): that must not add anything.
"""

from __future__ import annotations

import threading
from datetime import date

import pandas as pd
import pytest

from collective_impact.apps.submit import QuestionnaireAnswers, submit_responses
from collective_impact.framework import load_framework
from collective_impact.store import Store

SUBMITTERS = 20
SUBMISSIONS = 20


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "evaluation.sqlite"
    territories = pd.DataFrame({
        "territory_id": pd.Series(["T1", "T2"], dtype="str"),
        "name": pd.Series(["Quartier Un", "Quartier Deux"], dtype="str"),
        "commune": pd.Series([None, None], dtype="str"),
        "department": pd.Series([None, None], dtype="str"),
        "qpv_code": pd.Series([None, None], dtype="str"),
        "phase": pd.Series(["demarrage", "maturite"], dtype="str"),
        "start_date": pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ns]"),
    })
    partners = pd.DataFrame({
        "territory_id": pd.Series(["T1", "T2"], dtype="str"),
        "partner_id": pd.Series(["P01", "P01"], dtype="str"),
        "name": pd.Series(["Centre social", "Mairie"], dtype="str"),
        "kind": pd.Series(["centre_social", "mairie"], dtype="str"),
        "is_backbone": pd.array([True, False], dtype="boolean"),
    })
    Store(path).import_tables({"territories": territories, "partners": partners})
    return path


def test_concurrent_submissions_are_all_stored_once(store_path):
    items = [item.id for item in load_framework().items]
    barrier = threading.Barrier(SUBMITTERS)
    errors: list[BaseException] = []
    sent: dict[str, QuestionnaireAnswers] = {}
    receipts = []
    lock = threading.Lock()

    def submitter(k: int) -> None:
        try:
            store = Store(store_path)
            barrier.wait()  # everyone starts at once
            for n in range(SUBMISSIONS):
                answers = QuestionnaireAnswers(
                    territory_id="T1" if k % 2 else "T2", wave=1, respondent_id=f"R-{k:02d}-{n:02d}",
                    partner_id="P01" if n % 3 == 0 else None,
                    scores={item: (None if (k + n + i) % 6 == 0 else 1 + (k + n + i) % 5)
                            for i, item in enumerate(items)},
                    answered_on=date(2025, 3, 1))
                receipt = submit_responses(store, answers)
                with lock:
                    sent[answers.respondent_id] = answers
                    receipts.append(receipt)
                if n == 10:
                    with lock:
                        receipts.append(submit_responses(store, answers))  # sent again
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            errors.append(err)

    threads = [threading.Thread(target=submitter, args=(k,)) for k in range(SUBMITTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    stored = Store(store_path).load(["responses"])["responses"]
    total = SUBMITTERS * SUBMISSIONS
    assert stored["respondent_id"].nunique() == total
    assert len(stored) == total * len(items)
    assert not stored.duplicated(["territory_id", "wave", "respondent_id", "item_id"]).any()
    # the repeats were recognised as such, and only they
    assert sum(r.repeated for r in receipts) == SUBMITTERS
    assert len(receipts) == total + SUBMITTERS
    # what is stored is what was sent (checked on a few respondents, item by item)
    for respondent in ("R-00-00", "R-07-13", "R-19-19"):
        answers = sent[respondent]
        rows = stored[stored["respondent_id"] == respondent].set_index("item_id")
        assert rows["territory_id"].unique().tolist() == [answers.territory_id]
        got = {item: (None if pd.isna(score) else int(score)) for item, score in rows["score"].items()}
        assert got == dict(answers.scores)
