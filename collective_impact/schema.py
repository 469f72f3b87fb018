"""The tables of the evaluation: columns, types, allowed values, French and English labels.

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

import math
import re
from dataclasses import dataclass, field

import pandas as pd

from collective_impact.framework import load_framework

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
    """One allowed value of a coded column."""

    id: str
    fr: str
    en: str

    def label(self, lang: str = "fr") -> str:
        return self.en if lang == "en" else self.fr


def _codes(*triples: tuple[str, str, str]) -> tuple[Code, ...]:
    return tuple(Code(*t) for t in triples)


_FW = load_framework()

CODES: dict[str, tuple[Code, ...]] = {
    "phase": tuple(Code(p.id, p.label.fr, p.label.en) for p in _FW.phases),
    "partner_kind": _codes(
        ("centre_social", "Centre social", "Community centre"),
        ("mairie", "Mairie / commune", "Town hall"),
        ("epci", "Intercommunalité", "Inter-municipal body"),
        ("departement", "Conseil départemental", "Departmental council"),
        ("etat", "Services de l'État / préfecture", "State services / prefecture"),
        ("caf", "CAF", "Family allowance fund (CAF)"),
        ("bailleur_social", "Bailleur social", "Social landlord"),
        ("ecole", "École", "Primary school"),
        ("college", "Collège", "Secondary school (collège)"),
        ("mission_locale", "Mission locale", "Youth employment centre (mission locale)"),
        ("france_travail", "France Travail", "Public employment service (France Travail)"),
        ("association_locataires", "Association de locataires", "Tenants' association"),
        ("conseil_citoyen", "Conseil citoyen", "Citizens' council"),
        ("association", "Association", "Non-profit association"),
        ("sante", "Acteur de santé", "Health provider"),
        ("entreprise", "Entreprise", "Business"),
        ("fondation", "Fondation / financeur", "Foundation / funder"),
        ("autre", "Autre", "Other"),
    ),
    "outcome_level": _codes(
        ("activity", "Activité", "Activity"),
        ("intermediate", "Résultat intermédiaire", "Intermediate outcome"),
        ("impact", "Impact", "Impact"),
    ),
    "meeting_kind": _codes(
        ("comite_pilotage", "Comité de pilotage", "Steering committee"),
        ("comite_technique", "Comité technique", "Technical committee"),
        ("groupe_travail", "Groupe de travail", "Working group"),
        ("pleniere", "Réunion plénière des partenaires", "Plenary partner meeting"),
        ("rencontre_habitants", "Rencontre avec les habitants", "Meeting with inhabitants"),
        ("autre", "Autre", "Other"),
    ),
    "interaction_level": _codes(
        ("none", "Aucune", "None"),
        ("awareness", "Connaissance mutuelle", "Awareness"),
        ("cooperation", "Coopération", "Cooperation"),
        ("coordination", "Coordination", "Coordination"),
        ("collaboration", "Collaboration", "Collaboration"),
    ),
    "condition": tuple(Code(c.id, c.label.fr, c.label.en) for c in _FW.conditions),
    "band": tuple(Code(b, _FW.bands.labels[b].fr, _FW.bands.labels[b].en) for b in _FW.bands.order),
}


@dataclass(frozen=True)
class Column:
    """One column of a table."""

    id: str
    fr: str
    en: str
    kind: str
    required: bool = False
    codes: str | None = None
    min: float | None = None
    max: float | None = None
    help_fr: str = ""
    help_en: str = ""

    def label(self, lang: str = "fr") -> str:
        return self.en if lang == "en" else self.fr

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
    """One table: its columns, key and references."""

    id: str
    fr: str
    en: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = field(default=())
    help_fr: str = ""
    help_en: str = ""

    def label(self, lang: str = "fr") -> str:
        return self.en if lang == "en" else self.fr

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


def _territory() -> Column:
    return Column("territory_id", "Territoire", "Territory", "id", required=True,
                  help_fr="Identifiant du territoire (lettres, chiffres, _ et -)",
                  help_en="Territory id (letters, digits, _ and -)")


def _wave() -> Column:
    return Column("wave", "Vague", "Wave", "int", required=True, min=1, max=99,
                  help_fr="Numéro de la vague d'évaluation (1, 2…)", help_en="Evaluation wave number (1, 2…)")


def _rating(cid: str, fr: str, en: str) -> Column:
    return Column(cid, fr, en, "int", min=1, max=4,
                  help_fr="1 pas du tout, 2 un peu, 3 assez, 4 beaucoup", help_en="1 not at all, 2 a small amount, 3 a fair amount, 4 a great deal")


TABLES: dict[str, Table] = {
    t.id: t
    for t in (
        Table(
            "territories", "Territoires", "Territories",
            (
                _territory(),
                Column("name", "Nom", "Name", "str", required=True),
                Column("commune", "Commune", "Municipality", "str"),
                Column("department", "Département", "Department", "str"),
                Column("qpv_code", "Code QPV", "QPV code", "str",
                       help_fr="QP + 6 chiffres (2015) ou QN + 5 chiffres + 1 lettre (2024)",
                       help_en="QP + 6 digits (2015) or QN + 5 digits + 1 letter (2024)"),
                Column("phase", "Phase", "Phase", "code", required=True, codes="phase"),
                Column("start_date", "Date de lancement", "Start date", "date"),
            ),
            key=("territory_id",),
            help_fr="Une ligne par territoire évalué.", help_en="One row per territory.",
        ),
        Table(
            "partners", "Partenaires", "Partners",
            (
                _territory(),
                Column("partner_id", "Partenaire", "Partner", "id", required=True),
                Column("name", "Nom", "Name", "str", required=True),
                Column("kind", "Type de structure", "Kind of organisation", "code", required=True, codes="partner_kind"),
                Column("is_backbone", "Structure pivot", "Backbone", "bool",
                       help_fr="oui si la structure porte la fonction pivot", help_en="yes if it is the backbone"),
            ),
            key=("territory_id", "partner_id"),
            references=(Reference(("territory_id",), "territories", ("territory_id",)),),
            help_fr="Les partenaires de chaque territoire.", help_en="Each territory's partners.",
        ),
        Table(
            "responses", "Réponses", "Responses",
            (
                _territory(),
                _wave(),
                Column("respondent_id", "Répondant", "Respondent", "id", required=True,
                       help_fr="Identifiant anonyme du répondant", help_en="Anonymous respondent id"),
                Column("partner_id", "Partenaire", "Partner", "id",
                       help_fr="Structure du répondant (vide si anonyme)", help_en="Respondent's organisation (blank if anonymous)"),
                Column("item_id", "Question", "Item", "id", required=True),
                Column("score", "Réponse", "Answer", "int", min=1, max=5,
                       help_fr="1 à 5 ; vide = ne sait pas / sans objet", help_en="1 to 5; blank = don't know / not applicable"),
                Column("answered_on", "Date de réponse", "Answer date", "date"),
            ),
            key=("territory_id", "wave", "respondent_id", "item_id"),
            references=(
                Reference(("territory_id",), "territories", ("territory_id",)),
                Reference(("territory_id", "partner_id"), "partners", ("territory_id", "partner_id")),
            ),
            help_fr="Les réponses au questionnaire d'auto-évaluation, une ligne par question.",
            help_en="Self-assessment questionnaire answers, one row per item.",
        ),
        Table(
            "outcomes", "Théorie du changement", "Theory of change",
            (
                _territory(),
                Column("outcome_id", "Résultat", "Outcome", "id", required=True),
                Column("label", "Intitulé", "Label", "str", required=True),
                Column("level", "Niveau", "Level", "code", required=True, codes="outcome_level"),
                Column("leads_to", "Conduit à", "Leads to", "idlist",
                       help_fr="Résultats auxquels celui-ci contribue, séparés par ;",
                       help_en="Outcomes this one contributes to, separated by ;"),
            ),
            key=("territory_id", "outcome_id"),
            references=(
                Reference(("territory_id",), "territories", ("territory_id",)),
                Reference(("territory_id", "leads_to"), "outcomes", ("territory_id", "outcome_id"), list_column=True),
            ),
            help_fr="Les résultats attendus, des activités jusqu'à l'impact.",
            help_en="Expected outcomes, from activities up to impact.",
        ),
        Table(
            "indicators", "Indicateurs", "Indicators",
            (
                _territory(),
                Column("indicator_id", "Indicateur", "Indicator", "id", required=True),
                Column("label", "Intitulé", "Label", "str", required=True),
                Column("unit", "Unité", "Unit", "str"),
                Column("outcome_id", "Résultat suivi", "Outcome measured", "id"),
                Column("baseline", "Valeur de départ", "Baseline", "float", required=True),
                Column("baseline_date", "Date de départ", "Baseline date", "date", required=True),
                Column("target", "Cible", "Target", "float", required=True),
                Column("target_date", "Date cible", "Target date", "date", required=True),
                Column("source", "Source", "Source", "str"),
            ),
            key=("territory_id", "indicator_id"),
            references=(
                Reference(("territory_id",), "territories", ("territory_id",)),
                Reference(("territory_id", "outcome_id"), "outcomes", ("territory_id", "outcome_id")),
            ),
            help_fr="Les indicateurs partagés ; une cible inférieure au départ signifie « plus bas, c'est mieux ».",
            help_en="Shared indicators; a target below the baseline means lower is better.",
        ),
        Table(
            "measurements", "Mesures", "Measurements",
            (
                _territory(),
                Column("indicator_id", "Indicateur", "Indicator", "id", required=True),
                Column("date", "Date", "Date", "date", required=True),
                Column("value", "Valeur", "Value", "float",
                       help_fr="Vide si la donnée est absente ou couverte par le secret statistique",
                       help_en="Blank when missing or under statistical secrecy"),
            ),
            key=("territory_id", "indicator_id", "date"),
            references=(Reference(("territory_id", "indicator_id"), "indicators", ("territory_id", "indicator_id")),),
            help_fr="Les valeurs successives des indicateurs.", help_en="Indicator values over time.",
        ),
        Table(
            "activities", "Activités", "Activities",
            (
                _territory(),
                Column("activity_id", "Activité", "Activity", "id", required=True),
                Column("label", "Intitulé", "Label", "str", required=True),
                Column("partner_id", "Partenaire", "Partner", "id", required=True),
                Column("outcome_id", "Résultat visé", "Outcome targeted", "id", required=True),
                Column("start_date", "Début", "Start", "date"),
                Column("end_date", "Fin", "End", "date"),
            ),
            key=("territory_id", "activity_id"),
            references=(
                Reference(("territory_id", "partner_id"), "partners", ("territory_id", "partner_id")),
                Reference(("territory_id", "outcome_id"), "outcomes", ("territory_id", "outcome_id")),
            ),
            help_fr="Qui fait quoi, vers quel résultat.", help_en="Who does what, toward which outcome.",
        ),
        Table(
            "meetings", "Réunions", "Meetings",
            (
                _territory(),
                Column("meeting_id", "Réunion", "Meeting", "id", required=True),
                Column("date", "Date", "Date", "date", required=True),
                Column("kind", "Type de réunion", "Kind of meeting", "code", required=True, codes="meeting_kind"),
                Column("title", "Objet", "Subject", "str"),
                Column("attendees", "Participants", "Attendees", "idlist",
                       help_fr="Identifiants des partenaires présents, séparés par ;",
                       help_en="Ids of the partners present, separated by ;"),
            ),
            key=("territory_id", "meeting_id"),
            references=(
                Reference(("territory_id",), "territories", ("territory_id",)),
                Reference(("territory_id", "attendees"), "partners", ("territory_id", "partner_id"), list_column=True),
            ),
            help_fr="Les réunions de la démarche et leurs participants.", help_en="Meetings and their attendees.",
        ),
        Table(
            "relations", "Réseau partenarial", "Partner network",
            (
                _territory(),
                _wave(),
                Column("from_partner", "Partenaire qui répond", "Rating partner", "id", required=True),
                Column("to_partner", "Partenaire évalué", "Rated partner", "id", required=True),
                Column("interaction", "Niveau d'interaction", "Interaction level", "code", required=True, codes="interaction_level"),
                _rating("trust_reliability", "Confiance : fiabilité", "Trust: reliability"),
                _rating("trust_mission", "Confiance : adhésion à la mission", "Trust: in support of mission"),
                _rating("trust_openness", "Confiance : ouverture au dialogue", "Trust: open to discussion"),
                _rating("value_power", "Valeur : influence", "Value: power/influence"),
                _rating("value_involvement", "Valeur : implication", "Value: level of involvement"),
                _rating("value_resources", "Valeur : apport de ressources", "Value: resource contribution"),
            ),
            key=("territory_id", "wave", "from_partner", "to_partner"),
            references=(
                Reference(("territory_id", "from_partner"), "partners", ("territory_id", "partner_id")),
                Reference(("territory_id", "to_partner"), "partners", ("territory_id", "partner_id")),
            ),
            help_fr="Chaque partenaire note les partenaires avec qui il travaille (notes de 1 à 4).",
            help_en="Each partner rates the partners it works with (ratings 1 to 4).",
        ),
        Table(
            "judgments", "Appréciations", "Judgments",
            (
                _territory(),
                _wave(),
                Column("condition", "Condition", "Condition", "code", required=True, codes="condition"),
                Column("band", "Appréciation", "Appraisal", "code", required=True, codes="band"),
                Column("justification", "Justification", "Justification", "str", required=True),
                Column("evaluator", "Évaluateur·rice", "Evaluator", "str"),
                Column("recorded_on", "Date", "Date", "date"),
            ),
            key=("territory_id", "wave", "condition"),
            references=(Reference(("territory_id",), "territories", ("territory_id",)),),
            help_fr="L'appréciation de l'évaluateur·rice pour chaque condition, à côté du score calculé.",
            help_en="The evaluator's own appraisal of each condition, beside the computed score.",
        ),
    )
}

TABLE_ORDER: tuple[str, ...] = tuple(TABLES)

_ID_SEPARATORS = re.compile(r"[;,\s]+")


def split_ids(value: object) -> list[str]:
    """Split an ``idlist`` cell (``"P01; P03,P04"``) into ids; a missing value gives ``[]``."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return []
    return [part for part in _ID_SEPARATORS.split(str(value).strip()) if part]


def join_ids(ids) -> str:
    """Join ids into the canonical ``idlist`` form ``"a;b;c"``."""
    return ";".join(ids)

__all__ = ["CODES", "DTYPES", "ID_PATTERN", "MAX_ID", "MAX_TEXT", "QPV_PATTERN", "TABLES", "TABLE_ORDER", "join_ids", "split_ids",
           "Code", "Column", "Reference", "Table"]
