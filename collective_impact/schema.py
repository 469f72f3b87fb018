"""The tables of the evaluation: columns, types, allowed values, French and English labels.

The labels a user sees (sheet and column titles, help texts, labels of coded values) are
in the catalogue's ``messages/workbook.yaml``; the framework's codes (phases, conditions,
bands) keep the framework's own texts. Both are :class:`~collective_impact.i18n.Text`.

This module only describes; :mod:`collective_impact.validation` checks data against it,
:mod:`collective_impact.io` reads and writes it, :mod:`collective_impact.store` stores it.

Column kinds
------------
``id``      identifier restricted to ``[A-Za-z0-9_-]`` (used in file names and links)
``str``     free text (bounded length)
``int``     whole number, with optional ``min``/``max``
``float``   decimal number (decimal comma accepted on input)
``date``    a calendar date (Excel date, ``JJ/MM/AAAA`` or ``AAAA-MM-JJ``)
``bool``    oui/non, yes/no, vrai/faux, 1/0
``code``    one of a list of codes; the code or its French or English label is accepted
``idlist``  several identifiers separated by ``;`` or ``,`` (stored as ``a;b;c``)

In memory (after validation or when read from the store) a table is a DataFrame whose
columns are the canonical ids, in schema order, with dtypes given by :data:`DTYPES`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from collective_impact.framework import load_framework
from collective_impact.i18n import Text, catalogue, text
from collective_impact.i18n.format import is_missing

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
QPV_PATTERN = re.compile(r"^(QP\d{6}|QN\d{5}[A-Z])$")
MAX_TEXT = 2000
MAX_ID = 64

DTYPES = {
    "id": "str",
    "str": "str",
    "code": "str",
    "idlist": "str",
    "int": "Int64",
    "float": "float64",
    "date": "datetime64[ns]",
    "bool": "boolean",
}


@dataclass(frozen=True)
class Code:
    """One allowed value of a coded column, with its label (``code.label("en")``)."""

    id: str
    label: Text


_NO_HELP = Text("", "")


def _codes(name: str, *ids: str) -> tuple[Code, ...]:
    return tuple(Code(code_id, text(f"workbook.code.{name}.{code_id}")) for code_id in ids)


_FW = load_framework()

CODES: dict[str, tuple[Code, ...]] = {
    "phase": tuple(Code(p.id, p.label) for p in _FW.phases),
    "partner_kind": _codes(
        "partner_kind", "centre_social", "mairie", "epci", "departement", "etat", "caf", "bailleur_social", "ecole",
        "college", "mission_locale", "france_travail", "association_locataires", "conseil_citoyen", "association",
        "sante", "entreprise", "fondation", "autre",
    ),
    "outcome_level": _codes("outcome_level", "activity", "intermediate", "impact"),
    "meeting_kind": _codes(
        "meeting_kind", "comite_pilotage", "comite_technique", "groupe_travail", "pleniere", "rencontre_habitants", "autre",
    ),
    "interaction_level": _codes("interaction_level", "none", "awareness", "cooperation", "coordination", "collaboration"),
    "condition": tuple(Code(c.id, c.label) for c in _FW.conditions),
    "band": tuple(Code(b, _FW.bands.labels[b]) for b in _FW.bands.order),
    "action_status": _codes("action_status", "prevue", "en_cours", "faite", "abandonnee"),
}


@dataclass(frozen=True)
class Column:
    """One column of a table; ``label`` is its title in the workbook, ``help`` the header's comment."""

    id: str
    label: Text
    kind: str
    required: bool = False
    codes: str | None = None
    min: float | None = None
    max: float | None = None
    help: Text = _NO_HELP

    @property
    def dtype(self) -> str:
        return DTYPES[self.kind]

    def allowed(self) -> tuple[Code, ...]:
        return CODES[self.codes] if self.codes else ()


@dataclass(frozen=True)
class Reference:
    """A reference from columns of this table to the key of another table (same territory)."""

    columns: tuple[str, ...]
    table: str
    target: tuple[str, ...]
    list_column: bool = False  # the last column holds a list of ids (idlist)


@dataclass(frozen=True)
class Table:
    """One table: its columns, key and references; ``label`` is its sheet's title, ``help`` a line of the read-me sheet."""

    id: str
    label: Text
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = field(default=())
    help: Text = _NO_HELP

    def column(self, column_id: str) -> Column:
        for c in self.columns:
            if c.id == column_id:
                return c
        raise KeyError(column_id)

    @property
    def column_ids(self) -> list[str]:
        return [c.id for c in self.columns]

    @property
    def dtypes(self) -> dict[str, str]:
        return {c.id: c.dtype for c in self.columns}


def _column(table_id: str, column_id: str, kind: str, **options: object) -> Column:
    """A column whose title (and help, when the catalogue has one) are ``workbook.column[_help].<table>.<column>``."""
    key = f"{table_id}.{column_id}"
    help_key = f"workbook.column_help.{key}"
    return Column(column_id, text(f"workbook.column.{key}"), kind,
                  help=text(help_key) if help_key in catalogue() else _NO_HELP, **options)


def _territory() -> Column:
    return Column("territory_id", text("workbook.column.territory_id"), "id", required=True,
                  help=text("workbook.column_help.territory_id"))


def _wave() -> Column:
    return Column("wave", text("workbook.column.wave"), "int", required=True, min=1, max=99,
                  help=text("workbook.column_help.wave"))


def _rating(column_id: str) -> Column:
    return Column(column_id, text(f"workbook.column.relations.{column_id}"), "int", min=1, max=4,
                  help=text("workbook.column_help.rating"))


def _table(table_id: str, columns: tuple[Column, ...], *, key: tuple[str, ...],
           references: tuple[Reference, ...] = ()) -> Table:
    return Table(table_id, text(f"workbook.table.{table_id}"), columns, key, references,
                 help=text(f"workbook.table_help.{table_id}"))


TABLES: dict[str, Table] = {
    t.id: t
    for t in (
        _table(
            "territories",
            (
                _territory(),
                _column("territories", "name", "str", required=True),
                _column("territories", "commune", "str"),
                _column("territories", "department", "str"),
                _column("territories", "qpv_code", "str"),
                _column("territories", "phase", "code", required=True, codes="phase"),
                _column("territories", "start_date", "date"),
            ),
            key=("territory_id",),
        ),
        _table(
            "partners",
            (
                _territory(),
                _column("partners", "partner_id", "id", required=True),
                _column("partners", "name", "str", required=True),
                _column("partners", "kind", "code", required=True, codes="partner_kind"),
                _column("partners", "is_backbone", "bool"),
            ),
            key=("territory_id", "partner_id"),
            references=(Reference(("territory_id",), "territories", ("territory_id",)),),
        ),
        _table(
            "responses",
            (
                _territory(),
                _wave(),
                _column("responses", "respondent_id", "id", required=True),
                _column("responses", "partner_id", "id"),
                _column("responses", "item_id", "id", required=True),
                _column("responses", "score", "int", min=1, max=5),
                _column("responses", "answered_on", "date"),
            ),
            key=("territory_id", "wave", "respondent_id", "item_id"),
            references=(
                Reference(("territory_id",), "territories", ("territory_id",)),
                Reference(("territory_id", "partner_id"), "partners", ("territory_id", "partner_id")),
            ),
        ),
        _table(
            "outcomes",
            (
                _territory(),
                _column("outcomes", "outcome_id", "id", required=True),
                _column("outcomes", "label", "str", required=True),
                _column("outcomes", "level", "code", required=True, codes="outcome_level"),
                _column("outcomes", "leads_to", "idlist"),
            ),
            key=("territory_id", "outcome_id"),
            references=(
                Reference(("territory_id",), "territories", ("territory_id",)),
                Reference(("territory_id", "leads_to"), "outcomes", ("territory_id", "outcome_id"), list_column=True),
            ),
        ),
        _table(
            "indicators",
            (
                _territory(),
                _column("indicators", "indicator_id", "id", required=True),
                _column("indicators", "label", "str", required=True),
                _column("indicators", "unit", "str"),
                _column("indicators", "outcome_id", "id"),
                _column("indicators", "baseline", "float", required=True),
                _column("indicators", "baseline_date", "date", required=True),
                _column("indicators", "target", "float", required=True),
                _column("indicators", "target_date", "date", required=True),
                _column("indicators", "source", "str"),
            ),
            key=("territory_id", "indicator_id"),
            references=(
                Reference(("territory_id",), "territories", ("territory_id",)),
                Reference(("territory_id", "outcome_id"), "outcomes", ("territory_id", "outcome_id")),
            ),
        ),
        _table(
            "measurements",
            (
                _territory(),
                _column("measurements", "indicator_id", "id", required=True),
                _column("measurements", "date", "date", required=True),
                _column("measurements", "value", "float"),
            ),
            key=("territory_id", "indicator_id", "date"),
            references=(Reference(("territory_id", "indicator_id"), "indicators", ("territory_id", "indicator_id")),),
        ),
        _table(
            "activities",
            (
                _territory(),
                _column("activities", "activity_id", "id", required=True),
                _column("activities", "label", "str", required=True),
                _column("activities", "partner_id", "id", required=True),
                _column("activities", "outcome_id", "id", required=True),
                _column("activities", "start_date", "date"),
                _column("activities", "end_date", "date"),
            ),
            key=("territory_id", "activity_id"),
            references=(
                Reference(("territory_id", "partner_id"), "partners", ("territory_id", "partner_id")),
                Reference(("territory_id", "outcome_id"), "outcomes", ("territory_id", "outcome_id")),
            ),
        ),
        _table(
            "meetings",
            (
                _territory(),
                _column("meetings", "meeting_id", "id", required=True),
                _column("meetings", "date", "date", required=True),
                _column("meetings", "kind", "code", required=True, codes="meeting_kind"),
                _column("meetings", "title", "str"),
                _column("meetings", "attendees", "idlist"),
            ),
            key=("territory_id", "meeting_id"),
            references=(
                Reference(("territory_id",), "territories", ("territory_id",)),
                Reference(("territory_id", "attendees"), "partners", ("territory_id", "partner_id"), list_column=True),
            ),
        ),
        _table(
            "relations",
            (
                _territory(),
                _wave(),
                _column("relations", "from_partner", "id", required=True),
                _column("relations", "to_partner", "id", required=True),
                _column("relations", "interaction", "code", required=True, codes="interaction_level"),
                _rating("trust_reliability"),
                _rating("trust_mission"),
                _rating("trust_openness"),
                _rating("value_power"),
                _rating("value_involvement"),
                _rating("value_resources"),
            ),
            key=("territory_id", "wave", "from_partner", "to_partner"),
            references=(
                Reference(("territory_id", "from_partner"), "partners", ("territory_id", "partner_id")),
                Reference(("territory_id", "to_partner"), "partners", ("territory_id", "partner_id")),
            ),
        ),
        _table(
            "judgments",
            (
                _territory(),
                _wave(),
                _column("judgments", "condition", "code", required=True, codes="condition"),
                _column("judgments", "band", "code", required=True, codes="band"),
                _column("judgments", "justification", "str", required=True),
                _column("judgments", "evaluator", "str"),
                _column("judgments", "recorded_on", "date"),
            ),
            key=("territory_id", "wave", "condition"),
            references=(Reference(("territory_id",), "territories", ("territory_id",)),),
        ),
        _table(
            "comments",
            (
                _territory(),
                _wave(),
                _column("comments", "respondent_id", "id", required=True),
                _column("comments", "condition", "code", required=True, codes="condition"),
                _column("comments", "text", "str", required=True),
            ),
            key=("territory_id", "wave", "respondent_id", "condition"),
            references=(Reference(("territory_id",), "territories", ("territory_id",)),),
        ),
        _table(
            "actions",
            (
                _territory(),
                _column("actions", "action_id", "id", required=True),
                _column("actions", "title", "str", required=True),
                _column("actions", "condition", "code", required=True, codes="condition"),
                _column("actions", "outcome_id", "id"),
                _column("actions", "indicator_id", "id"),
                _column("actions", "partner_id", "id", required=True),
                Column("wave", text("workbook.column.actions.wave"), "int", required=True, min=1, max=99,
                       help=text("workbook.column_help.actions.wave")),
                _column("actions", "origin", "str"),
                _column("actions", "start_date", "date"),
                _column("actions", "due_date", "date", required=True),
                _column("actions", "status", "code", required=True, codes="action_status"),
            ),
            key=("territory_id", "action_id"),
            references=(
                Reference(("territory_id",), "territories", ("territory_id",)),
                Reference(("territory_id", "partner_id"), "partners", ("territory_id", "partner_id")),
                Reference(("territory_id", "outcome_id"), "outcomes", ("territory_id", "outcome_id")),
                Reference(("territory_id", "indicator_id"), "indicators", ("territory_id", "indicator_id")),
            ),
        ),
        _table(
            "action_reviews",
            (
                _territory(),
                _column("action_reviews", "action_id", "id", required=True),
                _column("action_reviews", "date", "date", required=True),
                _column("action_reviews", "note", "str", required=True),
                _column("action_reviews", "status", "code", codes="action_status"),
            ),
            key=("territory_id", "action_id", "date"),
            references=(Reference(("territory_id", "action_id"), "actions", ("territory_id", "action_id")),),
        ),
    )
}

TABLE_ORDER: tuple[str, ...] = tuple(TABLES)

_ID_SEPARATORS = re.compile(r"[;,\s]+")


def split_ids(value: object) -> list[str]:
    """Split an ``idlist`` cell (``"P01; P03,P04"``) into ids; a missing value gives ``[]``."""
    if is_missing(value):
        return []
    return [part for part in _ID_SEPARATORS.split(str(value).strip()) if part]


def join_ids(ids) -> str:
    """Join ids into the canonical ``idlist`` form ``"a;b;c"``."""
    return ";".join(ids)

__all__ = ["CODES", "DTYPES", "ID_PATTERN", "MAX_ID", "MAX_TEXT", "QPV_PATTERN", "TABLES", "TABLE_ORDER", "join_ids", "split_ids",
           "Code", "Column", "Reference", "Table"]
