"""The demo data set: fictional territories with contrasting, designed profiles.

Four profiles, each a realistic French setting with fictional names and numbers:

``QPV-NORD``  *Quartier Nord – Les Tilleuls*, a mature initiative (``maturite``, 6+ years):
              high and consensual scores, indicators mostly achieved or on track, many
              well attended meetings, a dense and trusting network around a strong backbone.
``QPV-GARE``  *Quartier de la Gare*, a starting one (``demarrage``, about a year): middling
              scores with many "ne sait pas", a theory of change still partly built, few
              measurements, a sparse network; it improves most between the two waves.
``QPV-HAUTS`` *Les Hauts de Montvallon* (``mise_en_oeuvre``), a weak backbone: a decent
              agenda and communication but low ``pivot`` items (functions 3 and 6 lowest),
              indicators with missing measurements, outcomes nobody works on.
``RURAL-VAL`` *Val d'Auzance*, a rural commune with its centre social (``mise_en_oeuvre``, no
              QPV): partners split in two camps, answers spread over the whole scale around a
              mean of 3 (low agreement), low trust between the camps.

and a territory followed over five yearly waves:

``QPV-CANAL`` *Quartier du Canal* (``mise_en_oeuvre``), questionnaire waves 1 to 5, one a
              year (2022 to 2026 with the default as-of date), the same respondents (ids
              ``R01``, ``R01b``…, one per partner) answering again from wave to wave so that
              changes can be paired; shared measurement and the backbone rise from wave to
              wave, the other conditions stay flat; the network surveyed at waves 4 and 5;
              the evaluator's judgments at waves 1, 3 and 5; an action plan decided after
              waves 2, 3 and 4, with actions in every status, two of them overdue at the
              as-of date, and dated review notes.

Every territory has a small action plan (actions decided after its wave 1 elsewhere), dated
in days from the as-of date; it draws nothing at random.

With more territories (benchmarks), territory ``k`` (0-based) follows profile ``k % 4`` with
its own id, name and random stream, except territory 4, the followed one: the first five
are the demo territories. Territory ``k`` draws from ``numpy.random.default_rng([seed, k])``
only, so it is the same whatever ``n_territories``, and the whole set is identical on every
run (no global random state, no clock).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from collective_impact.framework import load_framework
from collective_impact.i18n import t
from collective_impact.io import write_workbook
from collective_impact.schema import TABLES, join_ids

DEFAULT_SEED = 2026
DEFAULT_AS_OF = date(2026, 10, 1)

_LEVELS = np.array(["none", "awareness", "cooperation", "coordination", "collaboration"], dtype=object)
_TRUST = ("trust_reliability", "trust_mission", "trust_openness")
_VALUE = ("value_power", "value_involvement", "value_resources")
_KIND_ORDER = ("comite_pilotage", "comite_technique", "groupe_travail", "pleniere", "rencontre_habitants")
# Who is invited to which kind of meeting; working groups are listed per profile.
_COPIL_KINDS = frozenset({"centre_social", "mairie", "epci", "etat", "departement", "caf", "bailleur_social", "fondation"})
_COTECH_EXCLUDED = frozenset({"etat", "departement", "conseil_citoyen", "association_locataires"})
_INHABITANT_KINDS = frozenset(
    {"centre_social", "conseil_citoyen", "association_locataires", "association", "mairie", "bailleur_social"}
)
_TITLES = {
    "comite_pilotage": ("Comité de pilotage : point d'étape", "Comité de pilotage : bilan annuel et feuille de route"),
    "comite_technique": ("Comité technique : suivi du plan d'action", "Comité technique : préparation du comité de pilotage"),
    "pleniere": ("Plénière des partenaires", "Plénière : restitution des indicateurs"),
    "rencontre_habitants": ("Rencontre avec les habitants", "Café-débat avec les habitants"),
}
# Items that partners rate lower everywhere, whatever the profile: inhabitants' say,
# breakdowns of data and informing inhabitants are the usual weak spots.
_ITEM_OFFSETS = {"agenda_5": -0.4, "mesure_4": -0.2, "mesure_5": -0.3, "communication_5": -0.3}


@dataclass(frozen=True)
class _Indicator:
    id: str
    label: str
    unit: str
    outcome: str | None
    baseline: float
    target: float
    years_before: int  # baseline dated that many years before the as-of year
    years_after: int  # target dated that many years after it
    source: str
    pace: float | None  # progress / share of the period elapsed; None: not measured yet
    month_day: tuple[int, int] = (12, 31)
    decimals: int = 0


@dataclass(frozen=True)
class _Survey:
    means: dict  # condition -> mean answer at wave 1
    items: dict  # item -> mean answer at wave 1 (overrides the condition)
    gain: float  # change of every mean from wave 1 to wave 2
    sd_respondent: float
    sd_answer: float
    dont_know: dict  # condition -> probability of "ne sait pas"
    camp_shift: float = 0.0  # camp 0 answers +shift, camp 1 -shift
    waves: int = 2  # yearly waves, the last one closing two weeks before the as-of date
    trend: tuple[tuple[str, float], ...] = ()  # condition, change of its means at each wave (beyond ``gain``)
    panel: bool = False  # a partner's respondent keeps the same id from wave to wave


@dataclass(frozen=True)
class _Meetings:
    counts: dict  # meeting kind -> meetings in the year before the as-of date
    attend: float
    backbone_attend: float
    absent: tuple[str, ...]  # partners at no meeting of the last six months
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # working groups: theme, members


@dataclass(frozen=True)
class _Network:
    respond: float  # share of partners answering the network survey
    tie: tuple[float, float]  # probability of a relation, waves 1 and 2
    backbone_tie: float  # added when the backbone is one end of the relation
    trust: float
    value: float
    missing: float
    levels: tuple[float, float, float, float, float]  # none … collaboration
    level_gain: float  # probability of one more level at wave 2
    trust_gain: float = 0.0  # change of the trust ratings from wave 1 to wave 2
    cross_camp_trust: float | None = None
    cross_camp_tie: float = 1.0
    backbone_resources: float | None = None  # mean value_resources rating of the backbone


@dataclass(frozen=True)
class _Action:
    """An action of the plan; its dates are days from the as-of date (negative: before it)."""

    id: str
    title: str
    condition: str
    partner: str
    wave: int  # the wave after which it was decided
    due: int
    status: str
    start: int | None = None
    outcome: str | None = None
    indicator: str | None = None
    origin: str | None = None


@dataclass(frozen=True)
class _Profile:
    key: str
    territory_id: str
    name: str
    quartier: str
    commune: str
    department: str
    department_code: str
    qpv_code: str | None
    qpv_format: str | None  # "QN" (2024 geography), "QP" (2015) or None
    phase: str
    age_years: tuple[float, float]
    partners: tuple[tuple[str, str, str], ...]  # id, name ({commune} and {quartier} filled in), kind
    backbone: str
    camps: dict
    survey: _Survey
    outcomes: tuple[tuple[str, str, str, tuple[str, ...]], ...]  # id, label, level, leads_to
    indicators: tuple[_Indicator, ...]
    activities: tuple[tuple[str, str, str, str, float, float | None], ...]  # id, label, partner, outcome, start, end
    meetings: _Meetings
    network: _Network
    measure_blank: float  # probability that a measured value is blank (statistical secrecy…)
    measure_drop: float  # probability that a measurement was never entered
    judgments: tuple[tuple[int, str, str, str], ...] = ()  # wave, condition, band, justification
    actions: tuple[_Action, ...] = ()
    reviews: tuple[tuple[str, int, str, str | None], ...] = ()  # action, days from the as-of date, note, status


_MATURE = _Profile(
    key="mature",
    territory_id="QPV-NORD",
    name="Quartier Nord – Les Tilleuls",
    quartier="Les Tilleuls",
    commune="Villeneuve-sur-Lorne",
    department="Isère",
    department_code="038",
    qpv_code="QN03897M",
    qpv_format="QN",
    phase="maturite",
    age_years=(6.2, 7.8),
    partners=(
        ("P01", "Centre social {quartier}", "centre_social"),
        ("P02", "Mairie de {commune}", "mairie"),
        ("P03", "Communauté d'agglomération du Pays de Lorne", "epci"),
        ("P04", "Préfecture de l'Isère – déléguée du préfet", "etat"),
        ("P05", "CAF de l'Isère", "caf"),
        ("P06", "Lorne Habitat", "bailleur_social"),
        ("P07", "Collège Jean-Moulin", "college"),
        ("P08", "École élémentaire Jules-Ferry", "ecole"),
        ("P09", "Mission locale du Pays de Lorne", "mission_locale"),
        ("P10", "France Travail – agence de {commune}", "france_travail"),
        ("P11", "Amicale des locataires – {quartier}", "association_locataires"),
        ("P12", "Conseil citoyen du quartier Nord", "conseil_citoyen"),
        ("P13", "Association Sport et Quartiers", "association"),
        ("P14", "Maison de santé pluriprofessionnelle {quartier}", "sante"),
        ("P15", "Conseil départemental de l'Isère – maison du Département", "departement"),
        ("P16", "Association Lire et Grandir", "association"),
    ),
    backbone="P01",
    camps={},
    survey=_Survey(
        means={"agenda": 4.3, "mesure": 4.0, "activites": 4.1, "communication": 4.3, "pivot": 4.4},
        items={},
        gain=0.12,
        sd_respondent=0.3,
        sd_answer=0.5,
        dont_know={"agenda": 0.02, "mesure": 0.05, "activites": 0.03, "communication": 0.02, "pivot": 0.04},
    ),
    outcomes=(
        ("act_scolarite", "Accompagnement à la scolarité et ateliers parents", "activity", ("int_parents",)),
        ("act_jeunes", "Repérage et accompagnement des 16–25 ans sans solution", "activity", ("int_jeunes",)),
        ("act_mediation", "Médiation sociale et présence de proximité en soirée", "activity", ("int_securite",)),
        ("act_sante", "Prévention santé et accès aux droits", "activity", ("int_droits",)),
        ("act_vie_quartier", "Animation de la vie du quartier", "activity", ("int_securite", "imp_qualite_vie")),
        ("int_parents", "Les parents s'impliquent dans la scolarité de leurs enfants", "intermediate", ("imp_reussite",)),
        ("int_jeunes", "Les jeunes accèdent à une formation ou à un emploi", "intermediate", ("imp_emploi",)),
        ("int_securite", "Les habitants se sentent en sécurité dans l'espace public", "intermediate", ("imp_qualite_vie",)),
        ("int_droits", "Les familles accèdent à leurs droits et aux soins", "intermediate", ("imp_qualite_vie",)),
        ("imp_reussite", "Réussite éducative des enfants et des jeunes du quartier", "impact", ()),
        ("imp_emploi", "Accès à l'emploi des jeunes", "impact", ()),
        ("imp_qualite_vie", "Tranquillité publique, santé et lien social dans le quartier", "impact", ()),
    ),
    indicators=(
        _Indicator("chomage_jeunes", "Taux de chômage des 16–25 ans", "%", "imp_emploi", 34.5, 26.0, 6, 2, "INSEE", 1.3, decimals=1),
        _Indicator("jeunes_insertion", "Jeunes suivis entrés en emploi ou en formation dans l'année", "jeunes",
                   "int_jeunes", 48, 90, 6, 2, "Mission locale", 1.7),
        _Indicator("brevet", "Taux de réussite au diplôme national du brevet", "%", "imp_reussite", 71.0, 82.0, 6, 2,
                   "Éducation nationale", 1.2, (7, 5), 1),
        _Indicator("absenteisme", "Part des collégiens absentéistes", "%", "int_parents", 14.0, 8.0, 5, 2,
                   "Éducation nationale", 1.8, (7, 5), 1),
        _Indicator("parents_ecole", "Parents présents aux rencontres école-familles", "parents", "int_parents",
                   60, 120, 5, 2, "Enquête partenaires", 1.6, (6, 30)),
        _Indicator("securite", "Habitants se sentant en sécurité le soir dans le quartier", "%", "int_securite",
                   41.0, 60.0, 6, 2, "Enquête habitants", 1.2, (6, 30), 1),
        _Indicator("droits_caf", "Familles accompagnées ayant ouvert un droit CAF", "familles", "int_droits",
                   120, 200, 5, 2, "CAF", 1.35),
        _Indicator("participation", "Habitants ayant pris part à au moins une action collective", "habitants",
                   "imp_qualite_vie", 250, 400, 6, 2, "Centre social", 0.6),
    ),
    activities=(
        ("A01", "Accompagnement à la scolarité (CLAS)", "P01", "act_scolarite", 0.0, None),
        ("A02", "Ateliers parents-école", "P08", "act_scolarite", 0.1, None),
        ("A03", "Devoirs faits au collège", "P07", "act_scolarite", 0.2, None),
        ("A04", "Club lecture et bibliothèque de rue", "P16", "act_scolarite", 0.3, None),
        ("A05", "Permanences de la mission locale au centre social", "P09", "act_jeunes", 0.05, None),
        ("A06", "Job dating de quartier", "P10", "act_jeunes", 0.4, None),
        ("A07", "Chantiers éducatifs rémunérés", "P06", "act_jeunes", 0.2, None),
        ("A08", "Médiation sociale en soirée", "P02", "act_mediation", 0.1, None),
        ("A09", "Diagnostics en marchant avec les habitants", "P11", "act_mediation", 0.3, 0.8),
        ("A10", "Bilans de santé et ateliers de prévention", "P14", "act_sante", 0.35, None),
        ("A11", "Rendez-vous des droits", "P05", "act_sante", 0.15, None),
        ("A12", "Fête de quartier et repas partagés", "P01", "act_vie_quartier", 0.0, None),
        ("A13", "Tournoi sportif inter-quartiers", "P13", "act_vie_quartier", 0.25, 0.9),
        ("A14", "Formation des parents délégués", "P12", "int_parents", 0.5, None),
        ("A15", "Parrainage vers l'emploi avec les entreprises du territoire", "P09", "int_jeunes", 0.45, None),
        ("A16", "Gestion urbaine de proximité", "P06", "int_securite", 0.1, None),
        ("A17", "Accompagnement vers le soin", "P14", "int_droits", 0.4, None),
    ),
    meetings=_Meetings(
        counts={"comite_pilotage": 4, "comite_technique": 10, "groupe_travail": 12, "pleniere": 2, "rencontre_habitants": 4},
        attend=0.85,
        backbone_attend=1.0,
        absent=("P15",),
        groups=(
            ("Réussite éducative", ("P01", "P05", "P07", "P08", "P12", "P16")),
            ("Emploi et insertion des jeunes", ("P01", "P03", "P06", "P09", "P10", "P13")),
            ("Tranquillité et cadre de vie", ("P01", "P02", "P06", "P11", "P12")),
            ("Santé et accès aux droits", ("P01", "P05", "P14", "P15")),
        ),
    ),
    network=_Network(
        respond=0.9, tie=(0.45, 0.5), backbone_tie=0.45, trust=3.45, value=3.1, missing=0.04,
        levels=(0.02, 0.12, 0.26, 0.3, 0.3), level_gain=0.15, trust_gain=0.05,
    ),
    measure_blank=0.08,
    measure_drop=0.0,
    judgments=(
        (1, "agenda", "force", "Vision partagée, feuille de route écrite et relue chaque année en comité de pilotage."),
        (1, "mesure", "a_consolider", "Indicateurs suivis régulièrement ; données encore peu ventilées par public."),
        (1, "activites", "force", "Plan d'action tenu à jour ; nouvelles coopérations autour de l'emploi des jeunes."),
        (1, "communication", "force", "Réunions régulières et bien suivies ; comptes rendus diffusés à tous."),
        (1, "pivot", "force", "Équipe du centre social reconnue par tous ; financements pluriannuels obtenus."),
    ),
    actions=(
        _Action("AC01", "Ventiler les indicateurs de réussite par âge et par sexe", "mesure", "P01", 1, -30, "faite",
                start=-330, outcome="imp_reussite", indicator="brevet",
                origin="Données encore peu ventilées par public"),
        _Action("AC02", "Associer le conseil citoyen à la relecture de la feuille de route", "agenda", "P12", 1, 90,
                "en_cours", start=-300, origin="Associer davantage les habitants à l'agenda commun"),
    ),
    reviews=(
        ("AC01", -200, "Tableau de bord ventilé par âge présenté en comité technique.", "en_cours"),
        ("AC01", -45, "Ventilation par sexe ajoutée ; tableau diffusé à tous les partenaires.", "faite"),
        ("AC02", -100, "Deux membres du conseil citoyen ont relu le projet de feuille de route.", "en_cours"),
    ),
)

_STARTING = _Profile(
    key="starting",
    territory_id="QPV-GARE",
    name="Quartier de la Gare",
    quartier="de la Gare",
    commune="Saint-Amand-les-Forges",
    department="Nord",
    department_code="059",
    qpv_code="QN05994M",
    qpv_format="QN",
    phase="demarrage",
    age_years=(1.0, 1.3),
    partners=(
        ("P01", "Centre social {quartier}", "centre_social"),
        ("P02", "Mairie de {commune}", "mairie"),
        ("P03", "Sous-préfecture – délégué du préfet", "etat"),
        ("P04", "CAF du Nord", "caf"),
        ("P05", "Habitat Forges et Canal", "bailleur_social"),
        ("P06", "Collège Louise-Michel", "college"),
        ("P07", "Mission locale Forges-Sambre", "mission_locale"),
        ("P08", "Conseil citoyen {quartier}", "conseil_citoyen"),
        ("P09", "Association Femmes relais {quartier}", "association"),
        ("P10", "Association des locataires de la cité des Cheminots", "association_locataires"),
    ),
    backbone="P01",
    camps={},
    survey=_Survey(
        means={"agenda": 3.2, "mesure": 2.6, "activites": 2.8, "communication": 3.3, "pivot": 3.1},
        items={},
        gain=0.5,
        sd_respondent=0.35,
        sd_answer=0.6,
        dont_know={"agenda": 0.12, "mesure": 0.35, "activites": 0.25, "communication": 0.12, "pivot": 0.3},
    ),
    outcomes=(
        ("act_accueil", "Permanences d'accueil et d'orientation des familles", "activity", ("int_droits",)),
        ("act_jeunes", "Aller vers les jeunes du quartier", "activity", ()),  # not linked yet
        ("act_parentalite", "Café des parents", "activity", ("int_confiance",)),
        ("int_droits", "Les familles accèdent à leurs droits", "intermediate", ("imp_precarite",)),
        ("int_confiance", "Les habitants reprennent confiance dans les institutions", "intermediate", ()),
        ("imp_precarite", "Recul de la précarité des familles du quartier", "impact", ()),
    ),
    indicators=(
        _Indicator("familles_accueillies", "Familles reçues en permanence d'accès aux droits", "familles",
                   "int_droits", 0, 150, 1, 2, "Centre social", 1.0, (6, 30)),
        _Indicator("chomage_jeunes", "Taux de chômage des 16–25 ans", "%", "imp_precarite", 38.0, 32.0, 2, 4,
                   "INSEE", 0.5, decimals=1),
        _Indicator("pauvrete", "Taux de pauvreté des ménages", "%", "imp_precarite", 44.0, 40.0, 2, 5,
                   "INSEE – Filosofi", None, decimals=1),
        _Indicator("jeunes_contactes", "Jeunes contactés par les maraudes éducatives", "jeunes", "act_jeunes",
                   0, 80, 1, 2, "Mission locale", 1.5, (6, 30)),
        _Indicator("parents_cafe", "Parents venus au café des parents", "parents", "act_parentalite", 0, 40, 1, 2,
                   "Enquête partenaires", None, (6, 30)),
        _Indicator("rsa", "Part des allocataires CAF percevant le RSA", "%", "imp_precarite", 31.0, 27.0, 2, 4,
                   "CAF", 1.0, decimals=1),
    ),
    activities=(
        ("A01", "Permanences d'accueil et d'orientation", "P01", "act_accueil", 0.1, None),
        ("A02", "Rendez-vous des droits", "P04", "act_accueil", 0.4, None),
        ("A03", "Maraudes éducatives", "P07", "act_jeunes", 0.5, None),
        ("A04", "Café des parents au collège", "P06", "act_parentalite", 0.6, None),
        ("A05", "Café des parents au centre social", "P09", "act_parentalite", 0.3, None),
    ),
    meetings=_Meetings(
        counts={"comite_pilotage": 2, "comite_technique": 4, "groupe_travail": 3, "pleniere": 1, "rencontre_habitants": 1},
        attend=0.6,
        backbone_attend=1.0,
        absent=("P05",),
        groups=(
            ("Accès aux droits", ("P01", "P04", "P08", "P09")),
            ("Jeunesse", ("P01", "P06", "P07", "P09")),
        ),
    ),
    network=_Network(
        respond=0.7, tie=(0.15, 0.25), backbone_tie=0.5, trust=2.7, value=2.4, missing=0.12,
        levels=(0.05, 0.45, 0.35, 0.12, 0.03), level_gain=0.3, trust_gain=0.3,
    ),
    measure_blank=0.1,
    measure_drop=0.0,
    actions=(
        _Action("AC01", "Relier les maraudes éducatives à un résultat intermédiaire", "activites", "P07", 1, -90,
                "en_cours", start=-320, outcome="act_jeunes", origin="Théorie du changement encore incomplète"),
        _Action("AC02", "Définir comment compter les parents venus au café des parents", "mesure", "P09", 1, 60,
                "prevue", outcome="act_parentalite", indicator="parents_cafe",
                origin="Indicateurs sans mesure"),
    ),
    reviews=(
        ("AC01", -150, "Atelier sur la théorie du changement prévu avec la mission locale ; date à fixer.", "en_cours"),
    ),
)

_WEAK_BACKBONE = _Profile(
    key="weak_backbone",
    territory_id="QPV-HAUTS",
    name="Les Hauts de Montvallon",
    quartier="Les Hauts",
    commune="Montvallon",
    department="Seine-Maritime",
    department_code="076",
    qpv_code="QP076042",
    qpv_format="QP",
    phase="mise_en_oeuvre",
    age_years=(3.2, 4.4),
    partners=(
        ("P01", "Centre social Jacques-Prévert", "centre_social"),
        ("P02", "Mairie de {commune}", "mairie"),
        ("P03", "Communauté urbaine Seine-Vallon", "epci"),
        ("P04", "Préfecture de la Seine-Maritime – délégué du préfet", "etat"),
        ("P05", "CAF de la Seine-Maritime", "caf"),
        ("P06", "Seine-Vallon Habitat", "bailleur_social"),
        ("P07", "Collège Pablo-Picasso", "college"),
        ("P08", "École primaire {quartier}", "ecole"),
        ("P09", "Mission locale Vallée de Seine", "mission_locale"),
        ("P10", "France Travail – agence de {commune}", "france_travail"),
        ("P11", "Association Jeunesse {quartier}", "association"),
        ("P12", "Conseil citoyen {quartier}", "conseil_citoyen"),
        ("P13", "Centre de santé municipal de {commune}", "sante"),
    ),
    backbone="P01",
    camps={},
    survey=_Survey(
        means={"agenda": 3.7, "mesure": 2.8, "activites": 3.1, "communication": 3.5, "pivot": 2.5},
        # Backbone functions 3 (shared measurement) and 6 (funding) are the weakest.
        items={"pivot_1": 2.7, "pivot_2": 2.6, "pivot_3": 1.7, "pivot_4": 2.5, "pivot_5": 2.4, "pivot_6": 1.6},
        gain=0.05,
        sd_respondent=0.35,
        sd_answer=0.55,
        dont_know={"agenda": 0.05, "mesure": 0.12, "activites": 0.06, "communication": 0.05, "pivot": 0.08},
    ),
    outcomes=(
        ("act_devoirs", "Aide aux devoirs et stages de remise à niveau", "activity", ("int_decrochage",)),
        ("act_chantiers", "Chantiers éducatifs pour les 16–25 ans", "activity", ("int_insertion",)),
        ("act_mediation", "Médiation de rue", "activity", ("int_tranquillite",)),
        ("act_gup", "Gestion urbaine de proximité avec les habitants", "activity", ("int_tranquillite",)),
        ("int_decrochage", "Moins de décrochage scolaire au collège", "intermediate", ("imp_reussite",)),
        ("int_insertion", "Les jeunes entrent en formation ou en emploi", "intermediate", ("imp_emploi",)),
        ("int_tranquillite", "Les habitants se sentent en sécurité dans leur quartier", "intermediate",
         ("imp_tranquillite",)),
        ("imp_reussite", "Réussite éducative", "impact", ()),
        ("imp_emploi", "Accès à l'emploi des jeunes", "impact", ()),
        ("imp_tranquillite", "Tranquillité publique et cadre de vie", "impact", ()),
    ),
    indicators=(
        _Indicator("sans_solution", "Élèves de 3e sans solution à la rentrée", "élèves", "int_decrochage", 18, 8, 4, 2,
                   "Éducation nationale", 0.7, (9, 30)),
        _Indicator("brevet", "Taux de réussite au diplôme national du brevet", "%", "imp_reussite", 68.0, 78.0, 4, 2,
                   "Éducation nationale", 0.4, (7, 5), 1),
        _Indicator("chomage_jeunes", "Taux de chômage des 16–25 ans", "%", "imp_emploi", 36.0, 30.0, 4, 2, "INSEE",
                   -0.4, decimals=1),
        _Indicator("chantiers", "Jeunes ayant participé à un chantier éducatif", "jeunes", "int_insertion", 10, 40,
                   4, 2, "Bailleur social", 1.1),
        _Indicator("incivilites", "Signalements d'incivilités au bailleur", "signalements", "int_tranquillite",
                   320, 220, 4, 2, "Bailleur social", 0.3),
        _Indicator("securite", "Habitants se sentant en sécurité dans le quartier", "%", "imp_tranquillite",
                   45.0, 55.0, 4, 2, "Enquête habitants", None, (6, 30), 1),
        _Indicator("neet", "Part des 16–25 ans ni en emploi, ni en études, ni en formation", "%", None,
                   29.0, 24.0, 4, 2, "INSEE", 0.2, decimals=1),
    ),
    activities=(
        ("A01", "Aide aux devoirs", "P01", "act_devoirs", 0.0, None),
        ("A02", "Devoirs faits au collège", "P07", "act_devoirs", 0.2, None),
        ("A03", "Stages de remise à niveau pendant les vacances", "P11", "act_devoirs", 0.4, None),
        ("A04", "Chantiers éducatifs", "P06", "act_chantiers", 0.3, None),
        ("A05", "Accompagnement renforcé des jeunes", "P09", "int_insertion", 0.25, None),
        ("A06", "Programme de réussite éducative", "P02", "int_decrochage", 0.1, 0.7),
    ),
    meetings=_Meetings(
        counts={"comite_pilotage": 2, "comite_technique": 3, "groupe_travail": 3, "pleniere": 1, "rencontre_habitants": 1},
        attend=0.45,
        backbone_attend=0.8,
        absent=("P10", "P13"),
        groups=(
            ("Réussite éducative", ("P01", "P02", "P07", "P08", "P11")),
            ("Insertion des jeunes", ("P01", "P06", "P09", "P10", "P11")),
            ("Santé", ("P01", "P05", "P13")),
        ),
    ),
    network=_Network(
        respond=0.75, tie=(0.25, 0.27), backbone_tie=0.15, trust=2.8, value=2.6, missing=0.08,
        levels=(0.04, 0.3, 0.36, 0.22, 0.08), level_gain=0.05, backbone_resources=1.2,
    ),
    measure_blank=0.25,
    measure_drop=0.25,
    actions=(
        _Action("AC01", "Chercher un financement pluriannuel pour l'équipe pivot", "pivot", "P01", 1, -120,
                "en_cours", start=-330, origin="Structure pivot sans moyens durables"),
        _Action("AC02", "Mettre en place un tableau de bord partagé des indicateurs", "mesure", "P01", 1, -60,
                "abandonnee", start=-300, indicator="chantiers", origin="Mesures manquantes"),
    ),
    reviews=(
        ("AC01", -250, "Dossier déposé auprès de l'agglomération ; réponse attendue au printemps.", "en_cours"),
        ("AC01", -130, "Réponse repoussée au prochain budget ; pas de financement à ce jour.", None),
        ("AC02", -90, "Abandonnée faute de moyens pour l'outil ; reportée au prochain contrat de ville.", "abandonnee"),
    ),
)

_DISAGREEING = _Profile(
    key="disagreeing",
    territory_id="RURAL-VAL",
    name="Val d'Auzance – Saint-Julien-des-Combes",
    quartier="Val d'Auzance",
    commune="Saint-Julien-des-Combes",
    department="Creuse",
    department_code="023",
    qpv_code=None,
    qpv_format=None,
    phase="mise_en_oeuvre",
    age_years=(2.5, 3.5),
    partners=(
        ("P01", "Centre social rural La Passerelle", "centre_social"),
        ("P02", "Mairie de {commune}", "mairie"),
        ("P03", "Communauté de communes du {quartier}", "epci"),
        ("P04", "Conseil départemental de la Creuse", "departement"),
        ("P05", "CAF de la Creuse", "caf"),
        ("P06", "France Travail – agence du {quartier}", "france_travail"),
        ("P07", "Mission locale rurale", "mission_locale"),
        ("P08", "Collège du {quartier}", "college"),
        ("P09", "Familles rurales – {commune}", "association"),
        ("P10", "Maison de santé du {quartier}", "sante"),
        ("P11", "Association Val Solidaire", "association"),
        ("P12", "Coopérative agricole du {quartier}", "entreprise"),
    ),
    backbone="P01",
    # Institutions on one side, the centre social and associations on the other.
    camps={"P02": 0, "P03": 0, "P04": 0, "P05": 0, "P06": 0, "P12": 0,
           "P01": 1, "P07": 1, "P08": 1, "P09": 1, "P10": 1, "P11": 1},
    survey=_Survey(
        means={"agenda": 3.15, "mesure": 3.15, "activites": 3.1, "communication": 3.1, "pivot": 3.0},
        items={},
        gain=0.0,
        sd_respondent=0.3,
        sd_answer=0.5,
        dont_know={"agenda": 0.05, "mesure": 0.08, "activites": 0.06, "communication": 0.05, "pivot": 0.06},
        camp_shift=1.3,
    ),
    outcomes=(
        ("act_mobilite", "Transport solidaire et aide à la mobilité", "activity", ("int_acces_services", "int_emploi")),
        ("act_numerique", "Ateliers numériques et accueil France services itinérant", "activity",
         ("int_acces_services",)),
        ("act_isolement", "Visites de convivialité aux personnes âgées isolées", "activity", ("int_lien",)),
        ("act_jeunes", "Accueil de loisirs et projets de jeunes", "activity", ("int_lien",)),
        ("int_acces_services", "Les habitants accèdent aux services publics et à leurs droits", "intermediate",
         ("imp_bien_vivre",)),
        ("int_emploi", "Les demandeurs d'emploi lèvent leurs freins de mobilité", "intermediate", ("imp_bien_vivre",)),
        ("int_lien", "Moins d'isolement, plus de liens entre générations", "intermediate", ("imp_bien_vivre",)),
        ("imp_bien_vivre", "Bien vivre au pays : lien social et accès aux services", "impact", ()),
    ),
    indicators=(
        _Indicator("trajets", "Trajets réalisés par le transport solidaire", "trajets", "act_mobilite", 300, 900, 3, 2,
                   "Centre social", 1.4),
        _Indicator("demarches", "Personnes accompagnées dans leurs démarches en ligne", "personnes",
                   "int_acces_services", 150, 400, 3, 2, "Centre social", 0.9),
        _Indicator("chomage", "Taux de chômage des 15–64 ans", "%", "int_emploi", 11.5, 9.5, 3, 3, "INSEE", 0.5,
                   decimals=1),
        _Indicator("freins_mobilite", "Demandeurs d'emploi ayant levé un frein de mobilité", "personnes", "int_emploi",
                   20, 60, 3, 2, "France Travail", 0.8),
        _Indicator("isolement", "Personnes âgées isolées visitées régulièrement", "personnes", "int_lien", 35, 80, 3, 2,
                   "Enquête partenaires", 1.2, (6, 30)),
        _Indicator("loisirs", "Jeunes de 11–17 ans inscrits à l'accueil de loisirs", "jeunes", "act_jeunes", 40, 70,
                   3, 2, "Centre social", -0.2, (9, 30)),
        _Indicator("satisfaction", "Habitants satisfaits de l'accès aux services publics", "%", "imp_bien_vivre",
                   48.0, 60.0, 3, 3, "Enquête habitants", 0.4, (6, 30), 1),
    ),
    activities=(
        ("A01", "Transport solidaire à la demande", "P01", "act_mobilite", 0.0, None),
        ("A02", "Aide au permis et prêt de scooters", "P07", "act_mobilite", 0.3, None),
        ("A03", "Accompagnement des demandeurs d'emploi vers la mobilité", "P06", "act_mobilite", 0.4, None),
        ("A04", "Ateliers numériques itinérants", "P01", "act_numerique", 0.1, None),
        ("A05", "Bus France services", "P03", "act_numerique", 0.2, None),
        ("A06", "Visites de convivialité", "P09", "act_isolement", 0.1, None),
        ("A07", "Repas intergénérationnels", "P11", "act_isolement", 0.3, 0.8),
        ("A08", "Accueil de loisirs ados", "P01", "act_jeunes", 0.0, None),
        ("A09", "Stages de découverte en entreprise", "P12", "act_jeunes", 0.5, None),
        ("A10", "Rendez-vous des droits à l'espace France services", "P05", "int_acces_services", 0.35, None),
        ("A11", "Accompagnement global des demandeurs d'emploi", "P06", "int_emploi", 0.2, None),
    ),
    meetings=_Meetings(
        counts={"comite_pilotage": 3, "comite_technique": 6, "groupe_travail": 4, "pleniere": 2, "rencontre_habitants": 2},
        attend=0.65,
        backbone_attend=1.0,
        absent=("P04", "P06"),
        groups=(
            ("Mobilité et emploi", ("P01", "P03", "P06", "P07", "P12")),
            ("Bien vieillir au pays", ("P01", "P02", "P09", "P10", "P11")),
        ),
    ),
    network=_Network(
        respond=0.85, tie=(0.35, 0.35), backbone_tie=0.3, trust=3.3, value=2.8, missing=0.06,
        levels=(0.03, 0.25, 0.35, 0.25, 0.12), level_gain=0.0, cross_camp_trust=1.7, cross_camp_tie=0.6,
    ),
    measure_blank=0.1,
    measure_drop=0.05,
    actions=(
        _Action("AC01", "Organiser un séminaire commun institutions et associations", "agenda", "P03", 1, -200,
                "faite", start=-320, origin="Deux visions de l'action qui ne se rencontrent pas"),
        _Action("AC02", "Rédiger ensemble une charte de partenariat", "communication", "P01", 1, 45, "en_cours",
                start=-180, origin="Faible confiance entre les deux groupes de partenaires"),
    ),
    reviews=(
        ("AC01", -210, "Séminaire tenu avec 11 partenaires sur 12 ; compte rendu diffusé.", "faite"),
        ("AC02", -60, "Premier jet de la charte discuté en comité technique.", "en_cours"),
    ),
)

# Wave w of the followed territory closes 14 + 364 × (5 − w) days before the as-of date:
# waves 2, 3 and 4 close 1106, 742 and 378 days before it; its actions are dated from there.
_FOLLOWED = _Profile(
    key="followed",
    territory_id="QPV-CANAL",
    name="Quartier du Canal",
    quartier="du Canal",
    commune="Saint-Firmin-sur-Loire",
    department="Loiret",
    department_code="045",
    qpv_code="QN04512M",
    qpv_format="QN",
    phase="mise_en_oeuvre",
    age_years=(5.3, 5.7),
    partners=(
        ("P01", "Centre social {quartier}", "centre_social"),
        ("P02", "Mairie de {commune}", "mairie"),
        ("P03", "Communauté de communes Loire et Canal", "epci"),
        ("P04", "Préfecture du Loiret – déléguée du préfet", "etat"),
        ("P05", "CAF du Loiret", "caf"),
        ("P06", "Collège Jules-Verne", "college"),
        ("P07", "École élémentaire des Mariniers", "ecole"),
        ("P08", "Mission locale de l'Orléanais", "mission_locale"),
        ("P09", "France Travail – agence de {commune}", "france_travail"),
        ("P10", "Conseil citoyen {quartier}", "conseil_citoyen"),
        ("P11", "Loire Habitat", "bailleur_social"),
        ("P12", "Amicale des locataires des Écluses", "association_locataires"),
        ("P13", "Association Les Bateliers", "association"),
        ("P14", "Maison de santé {quartier}", "sante"),
    ),
    backbone="P01",
    camps={},
    survey=_Survey(
        means={"agenda": 3.6, "mesure": 2.4, "activites": 3.4, "communication": 3.5, "pivot": 2.5},
        items={},
        gain=0.0,
        sd_respondent=0.3,
        sd_answer=0.5,
        dont_know={"agenda": 0.04, "mesure": 0.1, "activites": 0.06, "communication": 0.04, "pivot": 0.08},
        waves=5,
        # Shared measurement and the backbone rise from wave to wave (the actions on them);
        # the other three conditions stay where they are.
        trend=(("mesure", 0.3), ("pivot", 0.28)),
        panel=True,
    ),
    outcomes=(
        ("act_scolarite", "Accompagnement à la scolarité et ateliers parents", "activity", ("int_decrochage",)),
        ("act_insertion", "Accompagnement des jeunes vers l'emploi", "activity", ("int_insertion",)),
        ("act_participation", "Projets d'habitants et fonds de participation", "activity", ("int_participation",)),
        ("int_decrochage", "Moins de décrochage scolaire au collège", "intermediate", ("imp_avenir",)),
        ("int_insertion", "Les jeunes accèdent à une formation ou à un emploi", "intermediate", ("imp_avenir",)),
        ("int_participation", "Les habitants prennent part aux décisions du quartier", "intermediate",
         ("imp_avenir",)),
        ("imp_avenir", "Un avenir plus ouvert pour les jeunes et les familles du quartier", "impact", ()),
    ),
    indicators=(
        _Indicator("sans_solution", "Élèves de 3e sans solution à la rentrée", "élèves", "int_decrochage", 22, 10, 5, 2,
                   "Éducation nationale", 0.9, (9, 30)),
        _Indicator("brevet", "Taux de réussite au diplôme national du brevet", "%", "imp_avenir", 66.0, 76.0, 5, 2,
                   "Éducation nationale", 0.7, (7, 5), 1),
        _Indicator("jeunes_emploi", "Jeunes suivis entrés en emploi ou en formation dans l'année", "jeunes",
                   "int_insertion", 35, 80, 5, 2, "Mission locale", 1.1),
        _Indicator("chomage_jeunes", "Taux de chômage des 16–25 ans", "%", "imp_avenir", 37.0, 30.0, 5, 3, "INSEE", 0.6,
                   decimals=1),
        _Indicator("participation", "Habitants ayant pris part à un projet d'habitants", "habitants",
                   "int_participation", 80, 200, 5, 2, "Centre social", 0.8),
        _Indicator("reunions_publiques", "Habitants présents aux réunions publiques du conseil citoyen", "habitants",
                   "int_participation", 25, 60, 4, 2, "Conseil citoyen", 0.5, (6, 30)),
    ),
    activities=(
        ("A01", "Accompagnement à la scolarité", "P01", "act_scolarite", 0.0, None),
        ("A02", "Ateliers parents au collège", "P06", "act_scolarite", 0.2, None),
        ("A03", "Permanences de la mission locale au centre social", "P08", "act_insertion", 0.1, None),
        ("A04", "Job dating du Canal", "P09", "act_insertion", 0.4, None),
        ("A05", "Fonds de participation des habitants", "P10", "act_participation", 0.3, None),
        ("A06", "Chantiers d'embellissement des berges", "P11", "act_participation", 0.5, 0.9),
        ("A07", "Programme de réussite éducative", "P02", "int_decrochage", 0.15, None),
        ("A08", "Parrainage vers l'emploi avec les entreprises du territoire", "P03", "int_insertion", 0.6, None),
    ),
    meetings=_Meetings(
        counts={"comite_pilotage": 3, "comite_technique": 8, "groupe_travail": 6, "pleniere": 2, "rencontre_habitants": 3},
        attend=0.75,
        backbone_attend=1.0,
        absent=("P14",),
        groups=(
            ("Réussite éducative", ("P01", "P02", "P06", "P07", "P13")),
            ("Emploi des jeunes", ("P01", "P03", "P08", "P09", "P11")),
            ("Participation des habitants", ("P01", "P10", "P12", "P13")),
        ),
    ),
    network=_Network(
        respond=0.8, tie=(0.35, 0.4), backbone_tie=0.35, trust=3.1, value=2.9, missing=0.06,
        levels=(0.03, 0.2, 0.35, 0.27, 0.15), level_gain=0.1, trust_gain=0.1,
    ),
    measure_blank=0.08,
    measure_drop=0.0,
    judgments=(
        (1, "mesure", "vigilance", "Pas d'indicateur commun : chaque partenaire suit ses propres chiffres."),
        (1, "pivot", "vigilance", "Le centre social coordonne sans moyens dédiés ni mandat écrit."),
        (1, "agenda", "a_consolider", "Un diagnostic partagé, mais des priorités encore floues."),
        (3, "mesure", "a_consolider", "Un tableau de bord commun existe ; données encore peu ventilées."),
        (3, "pivot", "a_consolider", "Une coordinatrice en poste depuis un an ; financement encore annuel."),
        (3, "agenda", "a_consolider", "Priorités écrites ; les habitants restent peu associés."),
        (5, "mesure", "force", "Tableau de bord trimestriel, discuté en comité technique et ventilé par public."),
        (5, "pivot", "force", "Convention pluriannuelle signée ; la coordination est reconnue par tous."),
        (5, "agenda", "a_consolider", "Feuille de route partagée ; la place des habitants reste à construire."),
    ),
    actions=(
        _Action("AC01", "Construire un tableau de bord partagé des indicateurs", "mesure", "P01", 2, -800, "faite",
                start=-1060, origin="Pas d'indicateur commun entre les partenaires"),
        _Action("AC02", "Recruter une coordinatrice à temps plein pour la structure pivot", "pivot", "P02", 2, -700,
                "faite", start=-1050, origin="Une coordination sans moyens dédiés"),
        _Action("AC03", "Publier une lettre d'information trimestrielle", "communication", "P01", 2, -640,
                "abandonnee", start=-1000, origin="Les partenaires absents des réunions sont mal informés"),
        _Action("AC04", "Ventiler les données de décrochage par âge et par sexe", "mesure", "P06", 3, -200,
                "en_cours", start=-700, outcome="int_decrochage", indicator="sans_solution",
                origin="Données encore peu ventilées par public"),
        _Action("AC05", "Obtenir un financement pluriannuel de la coordination", "pivot", "P03", 3, -30, "faite",
                start=-690, origin="Un financement encore annuel"),
        _Action("AC06", "Associer les habitants au comité de pilotage", "agenda", "P10", 4, -45, "prevue",
                start=-340, outcome="int_participation", origin="Les habitants restent peu associés"),
        _Action("AC07", "Compter les habitants prenant part aux projets", "mesure", "P01", 4, 180, "en_cours",
                start=-300, outcome="int_participation", indicator="participation",
                origin="La participation des habitants n'est pas mesurée"),
        _Action("AC08", "Former les partenaires à l'évaluation partagée", "activites", "P04", 4, 240, "prevue",
                origin="Des activités qui se renforcent peu"),
    ),
    reviews=(
        ("AC01", -950, "Premier tableau de bord présenté en comité technique.", "en_cours"),
        ("AC01", -820, "Tableau de bord adopté par le comité de pilotage.", "faite"),
        ("AC02", -900, "Fiche de poste validée ; financement de la CAF et de la ville.", "en_cours"),
        ("AC02", -720, "Coordinatrice en poste depuis le 1er du mois.", "faite"),
        ("AC03", -700, "Abandonnée : les comptes rendus du comité technique, diffusés à tous, en tiennent lieu.",
         "abandonnee"),
        ("AC04", -500, "Le collège transmet ses données par âge ; le sexe manque encore.", "en_cours"),
        ("AC04", -250, "Données des écoles toujours attendues ; échéance dépassée.", None),
        ("AC05", -60, "Convention pluriannuelle signée pour trois ans avec la communauté de communes.", "faite"),
        ("AC06", -100, "Pas encore commencée : le conseil citoyen est en cours de renouvellement.", "prevue"),
        ("AC07", -120, "Fiche de comptage testée sur deux projets.", "en_cours"),
    ),
)

_PROFILES: tuple[_Profile, ...] = (_MATURE, _STARTING, _WEAK_BACKBONE, _DISAGREEING)
"""The four designed profiles, in the order territories cycle through them."""
_DEMO: tuple[_Profile, ...] = (*_PROFILES, _FOLLOWED)
"""The demo territories: the four profiles, then the territory followed over five waves."""


def _profile(k: int) -> _Profile:
    """The profile of territory ``k``: the demo's own for the first five, then the four in turn."""
    return _DEMO[k] if k < len(_DEMO) else _PROFILES[k % len(_PROFILES)]

# Names of the extra territories (benchmarks): fictional neighbourhoods and communes.
_EXTRA_QUARTIERS = (
    "Les Acacias", "Les Peupliers", "La Source", "Le Moulin", "Les Glycines", "Le Plateau", "Les Érables",
    "La Roseraie", "Les Chênes", "Le Val Fleuri", "Les Cèdres", "La Fontaine", "Les Lilas", "Le Parc",
    "Les Marronniers", "Les Coteaux", "La Pépinière", "Les Sablons", "Le Bois-Joli", "Les Aubépines",
)
_EXTRA_COMMUNES = (
    "Montclair-sur-Vesle", "Saint-Aubin-des-Prés", "Roncières-la-Grande", "Villebrune", "Beaurivage-sur-Loue",
    "Champlaurent", "Sainte-Colombe-des-Vignes", "Pont-Varel", "Lormière-sur-Sauldre", "Fontbrune-les-Bois",
    "Vaudrecourt", "Saint-Méen-des-Landes", "Castelroux", "Bourg-Aval", "Marcenay-le-Haut", "Port-Aubert",
    "Valcombe", "Saint-Éloi-des-Marais", "Neuvillers", "Rochebelle", "Beaumesnil-sur-Tarne", "Clairvaux-les-Monts",
    "Sauveterre-du-Lys", "Montferrand-la-Rivière", "Belcastel-sur-Ombre", "Villars-des-Pins", "Loubens-le-Vieux",
    "Saint-Ferréol-d'Aval", "Charmeil-sur-Arve", "Mirebel",
)


def _years_before(as_of: date, years: float) -> date:
    return as_of - timedelta(days=round(years * 365.25))


_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)})


def _meeting_day(day: date, as_of: date) -> date:
    """A plausible meeting day near ``day``: before ``as_of``, out of the summer and Christmas
    breaks, on a working day (public holidays with a fixed date are skipped)."""
    if day.month == 8:
        day += timedelta(days=-16 if day.day <= 15 else 16)
    elif day.month == 12 and day.day >= 20:
        day -= timedelta(days=10)
    elif day.month == 1 and day.day <= 3:
        day += timedelta(days=4)
    day = min(day, as_of - timedelta(days=1))
    while day.weekday() >= 5 or (day.month, day.day) in _HOLIDAYS:
        day -= timedelta(days=1)
    return day


@dataclass
class _Identity:
    territory_id: str
    name: str
    quartier: str
    commune: str
    qpv_code: str | None


def _identity(profile: _Profile, k: int, rng: np.random.Generator) -> _Identity:
    """Id, name and place of territory ``k``: the profile's own for the first five, new ones after."""
    if k < len(_DEMO):
        return _Identity(profile.territory_id, profile.name, profile.quartier, profile.commune, profile.qpv_code)
    j = k - len(_PROFILES)
    # Every (neighbourhood, commune) pair comes once in the first 600 extra territories.
    commune = _EXTRA_COMMUNES[j % len(_EXTRA_COMMUNES)]
    quartier = _EXTRA_QUARTIERS[(j + j // len(_EXTRA_COMMUNES)) % len(_EXTRA_QUARTIERS)]
    if profile.qpv_format is None:
        quartier = f"Pays de {commune}"
        name = quartier
    else:
        name = f"{quartier} – {commune}"
    number = int(rng.integers(1, 100))
    qpv = {
        "QN": f"QN{profile.department_code}{number:02d}M",
        "QP": f"QP{profile.department_code}{number:03d}",
        None: None,
    }[profile.qpv_format]
    return _Identity(f"{profile.territory_id}-{k + 1:04d}", name, quartier, commune, qpv)


class _Collector:
    """Rows of the small tables (tuples in schema order) and column arrays of the large ones."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = {name: [] for name in TABLES}
        self.arrays: dict[str, list[dict[str, np.ndarray]]] = {name: [] for name in TABLES}
        self.names: set[str] = set()

    def frame(self, table_id: str) -> pd.DataFrame:
        table = TABLES[table_id]
        ids = table.column_ids
        if self.arrays[table_id]:
            data = {c: np.concatenate([part[c] for part in self.arrays[table_id]]) for c in ids}
        else:
            rows = self.rows[table_id]
            data = {c: np.array([row[i] for row in rows], dtype=object) for i, c in enumerate(ids)}
        columns = {}
        for column in table.columns:
            values = data[column.id]
            if column.dtype == "datetime64[ns]":
                values = np.asarray(values, dtype="datetime64[D]")
            columns[column.id] = pd.Series(values).astype(column.dtype)
        return pd.DataFrame(columns, columns=ids)


def _territory(k: int, seed: int, as_of: date, out: _Collector) -> None:
    profile = _profile(k)
    rng = np.random.default_rng([seed, k])
    who = _identity(profile, k, rng)
    tid = who.territory_id
    if who.name in out.names:  # many territories (benchmarks): names come round again
        who.name = f"{who.name} ({k + 1})"
    out.names.add(who.name)
    start = _years_before(as_of, rng.uniform(*profile.age_years)).replace(day=1)
    out.rows["territories"].append(
        (tid, who.name, who.commune, profile.department, who.qpv_code, profile.phase, start)
    )

    partner_ids = [p[0] for p in profile.partners]
    kinds = {pid: kind for pid, _, kind in profile.partners}
    for pid, name, kind in profile.partners:
        label = name.format(commune=who.commune, quartier=who.quartier)
        out.rows["partners"].append((tid, pid, label, kind, pid == profile.backbone))

    survey_windows = _responses(profile, tid, rng, as_of, out)
    _theory_of_change(profile, tid, out)
    _indicators(profile, tid, rng, as_of, out)
    _activities(profile, tid, start, as_of, out)
    _meetings(profile, tid, partner_ids, kinds, rng, as_of, out)
    _relations(profile, tid, partner_ids, rng, out)
    _actions(profile, tid, as_of, out)
    for wave, condition, band, justification in profile.judgments:
        # A month after the wave closed, and never after the as-of date (the last wave closes two weeks before it).
        recorded = min(survey_windows[wave - 1][1] + timedelta(days=30), as_of - timedelta(days=1))
        out.rows["judgments"].append(
            (tid, wave, condition, band, justification, "Équipe d'évaluation", recorded)
        )


def _responses(profile: _Profile, tid: str, rng: np.random.Generator, as_of: date, out: _Collector):
    """The waves of questionnaire answers, drawn at once per wave (one array per respondent × item)."""
    framework = load_framework()
    items = framework.items
    item_ids = np.array([item.id for item in items], dtype=object)
    survey = profile.survey
    mean = np.array(
        [survey.items.get(item.id, survey.means[item.condition]) + _ITEM_OFFSETS.get(item.id, 0.0) for item in items]
    )
    dont_know = np.array([survey.dont_know[item.condition] for item in items])
    trend = dict(survey.trend)
    step = np.array([survey.gain + trend.get(item.condition, 0.0) for item in items])
    partners = np.array([p[0] for p in profile.partners], dtype=object)
    camps = np.array([profile.camps.get(pid, 0) for pid in partners])
    n = len(partners)
    # A partner's outlook is stable: the same organisation answers alike at both waves, so the
    # change between waves is the designed gain, not a change of who happened to answer.
    outlook = rng.normal(0.0, survey.sd_respondent, size=n) + np.where(camps == 0, survey.camp_shift, -survey.camp_shift)
    # Who answers changes little between waves: a stable eagerness plus some turnover; the
    # camps (if any) are represented in proportion to their size.
    eagerness = rng.random(n)
    windows = []
    for wave in range(1, survey.waves + 1):
        # The last wave closes two weeks before the as-of date, each one before it exactly 52 weeks earlier.
        end = as_of - timedelta(days=14 + 364 * (survey.waves - wave))
        begin = end - timedelta(days=28)
        windows.append((begin, end))
        n_twice = 1 + int(n >= 12)
        # 60 to 90 % of the partners answer, the respondents (with those answering twice) stay within 90 %.
        n_answering = int(rng.integers(math.ceil(0.6 * n), math.floor(0.9 * n) - n_twice + 1))
        ranking = np.argsort(-(eagerness + rng.normal(0.0, 0.2, size=n)), kind="stable")
        answering = np.sort(np.concatenate([
            ranking[camps[ranking] == c][: round(n_answering * np.mean(camps == c))] for c in np.unique(camps)
        ]))
        # A few partners answer twice (e.g. the director and a field worker).
        twice = rng.choice(answering, size=n_twice, replace=False)
        who = np.concatenate([answering, twice])
        r = len(who)
        anonymous = rng.random(r) < 0.15
        effect = outlook[who] + rng.normal(0.0, 0.15, size=r)
        latent = mean[None, :] + step[None, :] * (wave - 1) + effect[:, None]
        latent = latent + rng.normal(0.0, survey.sd_answer, size=(r, len(items)))
        score = np.clip(np.rint(latent), 1, 5)
        score[rng.random((r, len(items))) < dont_know[None, :]] = np.nan
        days = np.sort(rng.integers(0, 29, size=r))
        answered = np.datetime64(begin, "D") + days.astype("timedelta64[D]")
        order = rng.permutation(r)  # respondent numbers follow the answer dates, not the partner list
        partner_of = np.where(anonymous, None, partners[who])[order]
        if survey.panel:
            # The same person answers for a partner at every wave ("b": its second respondent).
            second = np.arange(r) >= len(answering)
            respondents = np.array([f"R{p + 1:02d}" + ("b" if s else "") for p, s in zip(who, second, strict=True)],
                                   dtype=object)[order]
        else:
            respondents = np.array([f"R{wave}-{j + 1:02d}" for j in range(r)], dtype=object)
        m = len(items)
        out.arrays["responses"].append({
            "territory_id": np.full(r * m, tid, dtype=object),
            "wave": np.full(r * m, wave, dtype=np.int64),
            "respondent_id": np.repeat(respondents, m),
            "partner_id": np.repeat(partner_of, m),
            "item_id": np.tile(item_ids, r),
            "score": score[order].ravel(),
            "answered_on": np.repeat(answered, m),
        })
    return windows


def _theory_of_change(profile: _Profile, tid: str, out: _Collector) -> None:
    for oid, label, level, leads_to in profile.outcomes:
        out.rows["outcomes"].append((tid, oid, label, level, join_ids(leads_to) if leads_to else None))


def _indicators(profile: _Profile, tid: str, rng: np.random.Generator, as_of: date, out: _Collector) -> None:
    for ind in profile.indicators:
        month, day = ind.month_day
        baseline_date = date(as_of.year - ind.years_before, month, day)
        target_date = date(as_of.year + ind.years_after, month, day)
        out.rows["indicators"].append((
            tid, ind.id, ind.label, ind.unit, ind.outcome, float(ind.baseline), baseline_date,
            float(ind.target), target_date, ind.source,
        ))
        if ind.pace is None:
            continue
        span = (target_date - baseline_date).days
        gap = ind.target - ind.baseline
        for year in range(baseline_date.year + 1, as_of.year + 1):
            when = date(year, month, day)
            draw_drop, draw_blank, noise = rng.random(), rng.random(), rng.normal()
            if when > as_of or draw_drop < profile.measure_drop:
                continue
            elapsed = (when - baseline_date).days / span
            value = ind.baseline + gap * ind.pace * elapsed + noise * 0.04 * abs(gap)
            value = round(max(value, 0.0), ind.decimals)
            if draw_blank < profile.measure_blank:
                value = np.nan
            out.rows["measurements"].append((tid, ind.id, when, float(value)))


def _activities(profile: _Profile, tid: str, start: date, as_of: date, out: _Collector) -> None:
    age = (as_of - start).days
    for aid, label, pid, oid, begin, end in profile.activities:
        begin_date = start + timedelta(days=round(begin * age))
        end_date = None if end is None else start + timedelta(days=round(end * age))
        out.rows["activities"].append((tid, aid, label, pid, oid, begin_date, end_date))


def _meetings(profile: _Profile, tid: str, partner_ids: list[str], kinds: dict, rng: np.random.Generator,
              as_of: date, out: _Collector) -> None:
    plan = profile.meetings
    invited = {
        "comite_pilotage": [p for p in partner_ids if kinds[p] in _COPIL_KINDS],
        "comite_technique": [p for p in partner_ids if kinds[p] not in _COTECH_EXCLUDED],
        "pleniere": partner_ids,
        "rencontre_habitants": [p for p in partner_ids if kinds[p] in _INHABITANT_KINDS],
    }
    year_start = as_of - timedelta(days=365)
    six_months = as_of - timedelta(days=182)
    meetings = []
    for kind in _KIND_ORDER:
        count = plan.counts.get(kind, 0)
        for i in range(count):
            offset = (i + 0.5) * 365 / count + int(rng.integers(-6, 7))
            day = year_start + timedelta(days=int(min(max(offset, 1), 364)))
            day = _meeting_day(day, as_of)
            if kind == "groupe_travail":
                theme, members = plan.groups[i % len(plan.groups)]
                title, guests = f"Groupe de travail « {theme} »", list(members)
            else:
                title, guests = _TITLES[kind][i % len(_TITLES[kind])], invited[kind]
            present = rng.random(len(guests)) < plan.attend
            backbone_here = rng.random() < plan.backbone_attend
            attendees = [
                g for g, here in zip(guests, present, strict=True)
                if here and g != profile.backbone and not (day >= six_months and g in plan.absent)
            ]
            if backbone_here or len(attendees) < 2:
                attendees.append(profile.backbone)
            attendees.sort(key=partner_ids.index)
            meetings.append((day, _KIND_ORDER.index(kind), kind, title, attendees))
    meetings.sort(key=lambda m: (m[0], m[1]))
    for number, (day, _, kind, title, attendees) in enumerate(meetings, start=1):
        out.rows["meetings"].append((tid, f"M{number:03d}", day, kind, title, join_ids(attendees)))


def _actions(profile: _Profile, tid: str, as_of: date, out: _Collector) -> None:
    """The action plan and its review notes, dated from the as-of date."""
    def day(offset: int | None) -> date | None:
        return None if offset is None else as_of + timedelta(days=offset)

    for a in profile.actions:
        out.rows["actions"].append((tid, a.id, a.title, a.condition, a.outcome, a.indicator, a.partner, a.wave,
                                    a.origin, day(a.start), day(a.due), a.status))
    for action_id, offset, note, status in profile.reviews:
        out.rows["action_reviews"].append((tid, action_id, day(offset), note, status))


def _ratings(rng: np.random.Generator, mean: np.ndarray, m: int) -> np.ndarray:
    """Three 1–4 ratings for each of ``m`` relations around each relation's mean."""
    return np.clip(np.rint(mean[:, None] + rng.normal(0.0, 0.45, size=(m, 3))), 1, 4)


def _relations(profile: _Profile, tid: str, partner_ids: list[str], rng: np.random.Generator,
               out: _Collector) -> None:
    """The partner network at the last two waves of the questionnaire (1 and 2 but where it has more).

    Partners answering at the first answer again at the second (a few more join), and each pair keeps
    its propensity to be tied and its own warmth, so a relation of the first stays at the second when
    the tie rate does not fall and its ratings move by the designed gain plus noise.
    """
    net = profile.network
    ids = np.array(partner_ids, dtype=object)
    n = len(ids)
    backbone = ids == profile.backbone
    camp = np.array([profile.camps.get(p, 0) for p in partner_ids])
    cross = (camp[:, None] != camp[None, :]) if profile.camps else np.zeros((n, n), dtype=bool)
    eagerness = rng.random(n)
    propensity = rng.random((n, n))
    level_draw = rng.choice(len(_LEVELS), size=(n, n), p=net.levels)
    warmth = rng.normal(0.0, 0.35, size=(n, n))  # how a partner sees another, beyond the average
    regard = rng.normal(0.0, 0.35, size=(n, n))
    trust_mean = np.where(cross, net.cross_camp_trust or net.trust, net.trust) + warmth
    value_mean = net.value + regard
    boost = np.where(backbone[:, None] | backbone[None, :], net.backbone_tie, 0.0)
    tie_rate = (np.array(net.tie)[:, None, None] + boost) * np.where(cross, net.cross_camp_tie, 1.0)
    first = profile.survey.waves - 1  # the network is surveyed at the last two waves of the questionnaire
    for wave in (1, 2):
        answering = (eagerness < net.respond + 0.05 * (wave - 1)) | backbone
        tie = (propensity < tie_rate[wave - 1]) & answering[:, None] & ~np.eye(n, dtype=bool)
        src, dst = np.nonzero(tie)
        m = len(src)
        level = level_draw[src, dst]
        if wave == 2:
            level = np.minimum(level + (rng.random(m) < net.level_gain), len(_LEVELS) - 1)
        trust = _ratings(rng, trust_mean[src, dst] + net.trust_gain * (wave - 1), m)
        value = _ratings(rng, value_mean[src, dst], m)
        if net.backbone_resources is not None:
            to_backbone = backbone[dst]
            value[to_backbone, 2] = np.clip(
                np.rint(net.backbone_resources + rng.normal(0.0, 0.5, size=int(to_backbone.sum()))), 1, 4
            )
        ratings = np.concatenate([trust, value], axis=1)
        ratings[rng.random((m, 6)) < net.missing] = np.nan
        ratings[level == 0] = np.nan  # no interaction: nothing to rate
        part = {
            "territory_id": np.full(m, tid, dtype=object),
            "wave": np.full(m, first + wave - 1, dtype=np.int64),
            "from_partner": ids[src],
            "to_partner": ids[dst],
            "interaction": _LEVELS[level],
        }
        for j, column in enumerate(_TRUST + _VALUE):
            part[column] = ratings[:, j]
        out.arrays["relations"].append(part)


def demo_tables(
    *, seed: int = DEFAULT_SEED, n_territories: int = len(_DEMO), as_of: date = DEFAULT_AS_OF
) -> dict[str, pd.DataFrame]:
    """Return the demo data set: canonical typed tables for every table of the schema.

    Parameters
    ----------
    seed
        Seed of the random streams; the same seed gives the same tables on every run.
    n_territories
        Number of territories (default 5, the demo). Territory ``k`` (0-based) follows
        profile ``k % 4`` (mature, starting, weak backbone, disagreeing), except territory 4,
        the one followed over five waves (``QPV-CANAL``). The first five are the designed
        demo territories; the others get their own ids (``QPV-NORD-0009``…), names and seeds.
    as_of
        The date the data set describes: the last wave closes two weeks before it, meetings
        cover the year before it, measurements and review notes stop at it, actions are
        dated from it.

    Returns
    -------
    dict[str, DataFrame]
        One frame per table id of :data:`collective_impact.schema.TABLES`, columns in schema
        order with the schema dtypes.
    """
    if isinstance(n_territories, bool) or not isinstance(n_territories, int) or n_territories < 1:
        raise ValueError(t("demo.n_territories", "fr", value=n_territories))
    out = _Collector()
    for k in range(n_territories):
        _territory(k, seed, as_of, out)
    return {table_id: out.frame(table_id) for table_id in TABLES}


def write_demo_workbook(path: str | os.PathLike, *, lang: str = "fr", seed: int = DEFAULT_SEED) -> Path:
    """Write the demo workbook (the five demo territories) to ``path`` and return the path.

    The cell content is the same on every run; the header labels are in ``lang``.
    """
    write_workbook(demo_tables(seed=seed), path, lang=lang)
    return Path(path)


__all__ = ["DEFAULT_AS_OF", "DEFAULT_SEED", "demo_tables", "write_demo_workbook"]
