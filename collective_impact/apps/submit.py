"""Writing through the store: rows typed in a form, checked as a file import checks them, in one transaction.

* :func:`validate_rows` (the same rules and French messages as a file import) and
  :func:`submit_rows` (validated, then one store transaction, optionally replacing what
  the form saved before); :func:`update_record` (a corrected row, validated the same way);
  values to confirm (warnings) are refused unless ``accept_warnings``;
* :func:`submit_responses` for one respondent's :class:`QuestionnaireAnswers`,
  idempotent by respondent id (a double click stores nothing more);
* :func:`next_action_id` and :func:`record_review` (a dated note on an action, with its new
  status, in one transaction) for the action plan;
* :func:`typed_frame` and :func:`raw_frame`: plain Python values as a table's frame;
* :func:`open_store`: the store an app works on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from collective_impact.errors import InputError, Problem, StoreError
from collective_impact.framework import Framework
from collective_impact.i18n import t
from collective_impact.i18n.format import format_short_date, parse_decimal
from collective_impact.paths import resolve_store
from collective_impact.schema import TABLES
from collective_impact.store import Store
from collective_impact.validation import check_tables

__all__ = [
    "next_action_id",
    "record_review",
    "QuestionnaireAnswers",
    "Receipt",
    "Rows",
    "open_store",
    "raw_frame",
    "submit_responses",
    "submit_rows",
    "typed_frame",
    "update_record",
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
    The problems include the values to confirm (``severity="warning"``: a measurement far
    from its indicator's range, a meeting without attendees, an action decided after a
    wave at which its territory has no answers while it has some at others); ``today`` is the day of
    entry, after which a past event cannot be dated (default: the machine's date).
    """
    frame = rows if isinstance(rows, pd.DataFrame) else raw_frame(table, rows)
    territories = sorted({str(tid) for tid in frame["territory_id"] if isinstance(tid, str) and tid})
    # every row names its territory: "territories" is always referred to
    referenced = ({ref.table for ref in TABLES[table].references} | {"territories"}) - {table}
    if table == "actions":
        # the waves at which the territory has answers: an action decided after a wave without
        # any, while others have some, is a value to confirm (``docs/validation.md``)
        referenced.add("responses")
    referenced = sorted(referenced)
    known = store.load(referenced, territories=territories) if territories and referenced else {}
    return check_tables({table: frame}, source="formulaire", framework=framework, known=known, lang=lang,
                        today=today)


def _checked(problems: list[Problem], *, accept_warnings: bool, lang: str) -> None:
    """Raise :class:`InputError` with every problem unless there are none (or only accepted warnings)."""
    if any(not p.is_warning for p in problems) or (problems and not accept_warnings):
        key = "forms.fix_fields" if any(not p.is_warning for p in problems) else "records.forms.confirm_needed"
        raise InputError(problems, message=t(key, lang))


def submit_rows(store: Store, table: str, rows: Rows, *, replace: Mapping[str, object] | None = None,
                framework: Framework | None = None, lang: str = "fr", today: date | None = None,
                accept_warnings: bool = False, who: str | None = None) -> int:
    """Validate ``rows`` (see :func:`validate_rows`), then write them to the store in one transaction.

    The rows are added; with ``replace`` (column id → value, e.g. a territory, wave and
    condition), the stored rows matching it are deleted in the same transaction
    (:meth:`Store.replace_rows`), for a form that edits what it saved before.
    Returns the number of rows written. ``who`` is recorded in the audit trail (default:
    the system user).

    Raises
    ------
    InputError
        With every problem, when the rows break the schema, or when they hold values to
        confirm (warnings) and ``accept_warnings`` is false; nothing is written.
    StoreError
        When the store refuses the write (e.g. a key submitted meanwhile); nothing is written.
    """
    problems = validate_rows(store, table, rows, framework=framework, lang=lang, today=today)
    _checked(problems, accept_warnings=accept_warnings, lang=lang)
    frame = rows if isinstance(rows, pd.DataFrame) else typed_frame(table, rows)
    if replace:
        return store.replace_rows(table, frame, where=replace, who=who)[1]
    return store.add_rows(table, frame, who=who)


_ACTION_ID = re.compile(r"AC(\d+)")


def next_action_id(existing: Iterable[object]) -> str:
    """A new action id: ``AC`` and the number after the highest ``ACnn`` already used (two digits at least)."""
    numbers = [int(m.group(1)) for v in existing if isinstance(v, str) and (m := _ACTION_ID.fullmatch(v))]
    return f"AC{max(numbers, default=0) + 1:02d}"


def record_review(store: Store, review: Mapping[str, object], *, status: str | None = None, lang: str = "fr",
                  today: date | None = None, accept_warnings: bool = False, who: str | None = None) -> None:
    """Add a dated review note to an action and, with ``status``, change the action's status: in one transaction.

    The note is checked as a row of the ``action_reviews`` sheet would be (same rules, same
    messages); a note of the same action already recorded on that date is refused (one
    note a day, the key of the table), with the problem on the date. Both changes are in
    the audit trail. The guided evaluation and the data-entry app both write notes here.

    Raises
    ------
    InputError
        With the problems (the date's when it is taken), or values to confirm unless
        ``accept_warnings``; nothing is written.
    StoreError
        When the store refuses the write (the action gone meanwhile); nothing is written.
    """
    problems = validate_rows(store, "action_reviews", [review], lang=lang, today=today)
    where = {"territory_id": review["territory_id"], "action_id": review["action_id"]}
    stored = store.load(["actions", "action_reviews"], territories=[str(review["territory_id"])])
    notes = stored["action_reviews"]
    if not any(not p.is_warning for p in problems) and isinstance(review.get("date"), date) and (
            (notes["action_id"] == review["action_id"]) & (notes["date"] == pd.Timestamp(review["date"]))).any():
        problems = [Problem("formulaire", t("workbook.table.action_reviews", lang), None, "date", None,
                            t("follow_up.panel.date_taken", lang, date=format_short_date(review["date"], lang)))]
    _checked(problems, accept_warnings=accept_warnings, lang=lang)
    parts = [("action_reviews", typed_frame("action_reviews", [review]), {**where, "date": review["date"]})]
    if status:
        action = stored["actions"][stored["actions"]["action_id"] == review["action_id"]].assign(status=status)
        parts.append(("actions", action, where))
    store.replace_many(parts, who=who)


def update_record(store: Store, table: str, key: Mapping[str, object], row: Mapping[str, object], *,
                  framework: Framework | None = None, lang: str = "fr", today: date | None = None,
                  accept_warnings: bool = False, who: str | None = None) -> int:
    """Validate the corrected ``row`` (every column, as typed) and write it over the row ``key``.

    The row is checked as a new one would be (:func:`validate_rows`: same rules, same
    messages, warnings to confirm), then only the values that differ from the stored
    row are written (:meth:`Store.update_row`, audited, in one transaction). Returns 1, or
    0 when nothing changed.

    Raises
    ------
    InputError
        As :func:`submit_rows`; nothing is written.
    StoreError
        When the row is gone, its new key is taken, or other rows would point nowhere.
    """
    spec = TABLES[table]
    # checked among the territory's other rows of the table, so that a key taken by
    # another row or a reference to a row of the same table (a theory of change's
    # "leads to") is judged as in a file; only the problems of this row are kept
    stored = store.load([table], territories=[str(key["territory_id"])])[table]
    wanted = typed_frame(table, [dict(key)]).iloc[0]
    found = stored.index[np.logical_and.reduce([stored[k] == wanted[k] for k in spec.key])]
    if len(found) == 1:
        position = stored.index.get_loc(found[0])
        rows = [{c: (None if pd.isna(v) else v) for c, v in r.items()} for r in stored.to_dict("records")]
        rows[position] = dict(row)
        problems = [p for p in validate_rows(store, table, rows, framework=framework, lang=lang, today=today)
                    if position + 2 in p.all_rows()]
    else:  # gone meanwhile: the store says so
        problems = validate_rows(store, table, [row], framework=framework, lang=lang, today=today)
    _checked(problems, accept_warnings=accept_warnings, lang=lang)
    typed = typed_frame(table, [row]).iloc[0]
    values = {column: (None if pd.isna(typed[column]) else typed[column]) for column in TABLES[table].column_ids
              if column != "territory_id"}
    return store.update_row(table, dict(key), values, who=who)


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
