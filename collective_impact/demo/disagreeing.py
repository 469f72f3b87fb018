"""``RURAL-VAL``, *Val d'Auzance*: a rural commune with its centre social (``mise_en_oeuvre``, no QPV).

Partners split in two camps, answers spread over the whole scale around a mean of 3 (low
agreement), low trust between the camps.
"""

from __future__ import annotations

from collective_impact.demo.model import _Action, _Indicator, _Meetings, _Network, _Profile, _Survey

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
