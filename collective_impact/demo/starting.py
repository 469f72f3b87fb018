"""``QPV-GARE``, *Quartier de la Gare*: a starting initiative (``demarrage``, about a year).

Middling scores with many "ne sait pas", a theory of change still partly built, few
measurements, a sparse network; it improves most between the two waves.
"""

from __future__ import annotations

from collective_impact.demo.model import _Action, _Indicator, _Meetings, _Network, _Profile, _Survey

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
