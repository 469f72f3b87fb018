"""Writing through the store: rows typed in a form, checked as a file import checks them, in one transaction.

* :func:`validate_rows` (the same rules and French messages as a file import) and
  :func:`submit_rows` (validated, then one store transaction, optionally replacing what
  the form saved before);
* :func:`submit_responses` for one respondent's :class:`QuestionnaireAnswers`,
  idempotent by respondent id (a double click stores nothing more);
* :func:`typed_frame` and :func:`raw_frame`: plain Python values as a table's frame;
* :func:`open_store`: the store an app works on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from collective_impact.errors import InputError, Problem, StoreError
from collective_impact.framework import Framework
from collective_impact.i18n import t
from collective_impact.i18n.format import parse_decimal
from collective_impact.paths import resolve_store
from collective_impact.schema import TABLES
from collective_impact.store import Store
from collective_impact.validation import check_tables

__all__ = [
    "QuestionnaireAnswers",
    "Receipt",
    "Rows",
    "open_store",
    "raw_frame",
    "submit_responses",
    "submit_rows",
    "typed_frame",
    "validate_rows",
]


def typed_frame(table: str, rows: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """Build a canonical typed frame of ``table`` from plain Python values.

    Missing keys, ``None`` and blank text are blanks; dates are ``datetime.date`` (or
    ``YYYY-MM-DD`` text); numbers may be typed text (``"12,5"``, see :func:`parse_decimal`).
    Values are expected valid (see :func:`validate_rows`).
    """
    spec = TABLES[table]
    data = {}
    for column in spec.columns:
        values = [row.get(column.id) for row in rows]
        values = [None if isinstance(v, str) and not v.strip() else v for v in values]
        if column.kind == "date":
            stamps = [pd.NaT if v is None else pd.Timestamp(v).normalize() for v in values]
            data[column.id] = pd.Series(stamps, dtype="datetime64[ns]")
        elif column.kind in ("int", "float"):
            numbers = [None if v is None else parse_decimal(v) for v in values]
            if column.kind == "int":
                numbers = [None if v is None else int(v) for v in numbers]
            data[column.id] = pd.Series(pd.array(numbers, dtype=column.dtype))
        elif column.kind == "bool":
            data[column.id] = pd.Series(pd.array(values, dtype=column.dtype))
        else:
            data[column.id] = pd.Series(values, dtype=column.dtype)
    return pd.DataFrame(data, columns=spec.column_ids)


def raw_frame(table: str, rows: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """The rows as typed in a form (``object`` columns, values untouched), for :func:`validate_rows`."""
    return pd.DataFrame([dict(row) for row in rows], columns=TABLES[table].column_ids, dtype=object)


def open_store(path: str | os.PathLike | None = None, *, lang: str = "fr") -> Store:
    """Open the existing store at ``path`` (default: ``$COLLECTIVE_IMPACT_STORE``, set by ``collective-impact app``)."""
    return Store(resolve_store(path), create=False, lang=lang)


#: Rows to write: a frame already typed, or dicts of the values as typed in a form.
Rows = pd.DataFrame | Sequence[Mapping[str, object]]


def validate_rows(store: Store, table: str, rows: Rows, *, framework: Framework | None = None,
                  lang: str = "fr", today: date | None = None) -> list[Problem]:
    """Check rows a form is about to add, with the rules and messages of a file import.

    ``rows`` is a frame, or a list of dicts holding the values as typed (a number as the
    text typed, a date as a ``datetime.date``): they are read by the same code as the cells
    of a file, so a user gets the same message for the same mistake.
    The rows are checked together with the tables they refer to, as the store holds them
    for their territories (so a partner or indicator id must exist there); only the
    problems of the new rows are returned. A key already stored is not looked for here:
    the store refuses it in the same transaction as the write (see :func:`submit_rows`).
    ``today`` is the day of entry (a date after it is refused; default: the clock's).
    """
    frame = rows if isinstance(rows, pd.DataFrame) else raw_frame(table, rows)
    territories = sorted({str(tid) for tid in frame["territory_id"] if isinstance(tid, str) and tid})
    # every row names its territory: "territories" is always referred to
    referenced = sorted(({ref.table for ref in TABLES[table].references} | {"territories"}) - {table})
    known = store.load(referenced, territories=territories) if territories and referenced else {}
    return check_tables({table: frame}, source="formulaire", framework=framework, known=known, lang=lang, today=today)


def submit_rows(store: Store, table: str, rows: Rows, *, replace: Mapping[str, object] | None = None,
                framework: Framework | None = None, lang: str = "fr") -> int:
    """Validate ``rows`` (see :func:`validate_rows`), then write them to the store in one transaction.

    The rows are added; with ``replace`` (column id → value, e.g. a territory, wave and
    condition), the stored rows matching it are deleted in the same transaction
    (:meth:`Store.replace_rows`), for a form that edits what it saved before.
    Returns the number of rows written.

    Raises
    ------
    InputError
        With every problem, when the rows break the schema; nothing is written.
    StoreError
        When the store refuses the write (e.g. a key submitted meanwhile); nothing is written.
    """
    problems = validate_rows(store, table, rows, framework=framework, lang=lang)
    if problems:
        raise InputError(problems, message=t("forms.fix_fields", lang))
    frame = rows if isinstance(rows, pd.DataFrame) else typed_frame(table, rows)
    if replace:
        return store.replace_rows(table, frame, where=replace)[1]
    return store.add_rows(table, frame)


@dataclass(frozen=True)
class QuestionnaireAnswers:
    """One respondent's answers to the questionnaire, ready to be stored.

    ``scores`` maps item id → 1–5, or ``None`` for "ne sait pas / sans objet".
    ``respondent_id`` is also the idempotency token of the submission: it is drawn once per
    form, so a second submission of the same form is recognised as a repeat.
    """

    territory_id: str
    wave: int
    respondent_id: str
    partner_id: str | None
    scores: Mapping[str, int | None]
    answered_on: date

    def to_frame(self) -> pd.DataFrame:
        """The answers as rows of the ``responses`` table (one per item)."""
        return typed_frame("responses", [
            {"territory_id": self.territory_id, "wave": self.wave, "respondent_id": self.respondent_id,
             "partner_id": self.partner_id or None, "item_id": item_id, "score": score,
             "answered_on": self.answered_on}
            for item_id, score in self.scores.items()
        ])


@dataclass(frozen=True)
class Receipt:
    """What a submission gives back: the reference shown to the respondent."""

    reference: str
    rows: int
    repeated: bool = False  # the same answers were already stored (double click, retry)


def _stored_answers(store: Store, answers: QuestionnaireAnswers) -> pd.DataFrame:
    responses = store.load(["responses"], territories=[answers.territory_id])["responses"]
    mask = (responses["wave"] == answers.wave) & (responses["respondent_id"] == answers.respondent_id)
    return responses[mask.fillna(False)]


def _is_repeat(store: Store, answers: QuestionnaireAnswers) -> bool:
    """True when the store already holds exactly these answers under this respondent id."""
    stored = _stored_answers(store, answers)
    if stored.empty:
        return False
    got = {row.item_id: (None if pd.isna(row.score) else int(row.score)) for row in stored.itertuples()}
    return got == {k: (None if v is None else int(v)) for k, v in answers.scores.items()}


def submit_responses(store: Store, answers: QuestionnaireAnswers, *, framework: Framework | None = None,
                     lang: str = "fr") -> Receipt:
    """Validate and store one respondent's answers in one transaction; return the receipt.

    Submitting the same answers again (same respondent id) stores nothing more and
    returns a receipt marked ``repeated``: a double click or a retry after a lost
    connection cannot create a second respondent.

    Raises
    ------
    InputError
        When an answer breaks the schema (unknown item, score out of range…).
    StoreError
        When the store cannot take the answers; nothing is written.
    """
    frame = answers.to_frame()
    try:
        rows = submit_rows(store, "responses", frame, framework=framework, lang=lang)
    except StoreError:
        # a repeat shows up as a key the store already holds (the whole write is refused);
        # only identical stored answers make it a repeat, anything else is a real error
        if _is_repeat(store, answers):
            return Receipt(answers.respondent_id, len(frame), repeated=True)
        raise
    return Receipt(answers.respondent_id, rows)
