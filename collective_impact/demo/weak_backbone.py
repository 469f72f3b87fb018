"""``QPV-HAUTS``, *Les Hauts de Montvallon* (``mise_en_oeuvre``): a weak backbone.

A decent agenda and communication but low ``pivot`` items (functions 3 and 6 lowest),
indicators with missing measurements, outcomes nobody works on.
"""

from __future__ import annotations

from collective_impact.demo.model import _Action, _Indicator, _Meetings, _Network, _Profile, _Survey

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
