"""Plural forms of every counted thing, for 0, 1 and 2, in French and English (issue 15).

French puts 0 and 1 in the singular and 2 in the plural; English puts 1 in the singular and
0 and 2 in the plural. The words expected are written here by hand, never read from the
catalogue; the forms come from Babel's CLDR plural rules through ``format_count``.
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from collective_impact.i18n import catalogue  # noqa: E402
from collective_impact.i18n.format import format_count  # noqa: E402
from collective_impact.metrics import theory_of_change as toc  # noqa: E402
from collective_impact.plots.territory import partner_kinds  # noqa: E402
from collective_impact.plots.theory_of_change import results_chain  # noqa: E402

#: noun key: (French singular, French plural, English singular, English plural)
NOUNS = {
    "noun.partner": ("partenaire", "partenaires", "partner", "partners"),
    "noun.kind": ("type de structure", "types de structure", "kind of organisation", "kinds of organisation"),
    "noun.respondent": ("répondant", "répondants", "respondent", "respondents"),
    "noun.outcome": ("résultat", "résultats", "outcome", "outcomes"),
    "noun.target": ("résultat visé", "résultats visés", "targeted outcome", "targeted outcomes"),
    "noun.link": ("lien", "liens", "link", "links"),
    "noun.issue": ("point à revoir", "points à revoir", "point to review", "points to review"),
    "noun.indicator": ("indicateur", "indicateurs", "indicator", "indicators"),
    "noun.activity": ("activité", "activités", "activity", "activities"),
    "noun.meeting": ("réunion", "réunions", "meeting", "meetings"),
    "noun.steering": ("comité de pilotage", "comités de pilotage", "steering committee", "steering committees"),
    "noun.tie": ("lien", "liens", "tie", "ties"),
    "noun.isolated": ("partenaire isolé", "partenaires isolés", "isolated partner", "isolated partners"),
    "noun.condition": ("condition", "conditions", "condition", "conditions"),
    "noun.strength": ("point fort", "points forts", "strength", "strengths"),
    "noun.vigilance": ("point de vigilance", "points de vigilance", "point of vigilance", "points of vigilance"),
    "noun.territory": ("territoire", "territoires", "territory", "territories"),
    "noun.territory_imported": ("territoire importé", "territoires importés", "territory imported",
                                "territories imported"),
    "noun.territory_failed": ("territoire en échec", "territoires en échec", "territory failed", "territories failed"),
    "noun.answer": ("réponse", "réponses", "answer", "answers"),
    "noun.question": ("question", "questions", "question", "questions"),
    "noun.partner_present": ("partenaire présent", "partenaires présents", "partner present", "partners present"),
    "noun.new_respondent": ("nouveau répondant", "nouveaux répondants", "new respondent", "new respondents"),
    "noun.problem": ("problème", "problèmes", "problem", "problems"),
    "noun.row": ("ligne", "lignes", "row", "rows"),
    "noun.warning": ("valeur à confirmer", "valeurs à confirmer", "value to confirm", "values to confirm"),
    "noun.report_written": ("produit", "produits", "written", "written"),
    "noun.report_failed": ("en échec", "en échec", "failed", "failed"),
    "noun.report_skipped": ("déjà à jour, non relancé", "déjà à jour, non relancés", "already up to date, not rerun",
                            "already up to date, not rerun"),
    "noun.report_kept": ("rapport terminé conservé", "rapports terminés conservés", "finished report kept",
                         "finished reports kept"),
    "noun.home_ok": ("réussi", "réussis", "succeeded", "succeeded"),
    "noun.home_skipped": ("déjà à jour", "déjà à jour", "already up to date", "already up to date"),
    "noun.home_failed": ("échoué", "échoués", "failed", "failed"),
    "noun.home_cancelled": ("interrompu", "interrompus", "interrupted", "interrupted"),
    "campaigns.noun.link": ("lien", "liens", "link", "links"),
    "batch.count.ok": ("rapport à jour", "rapports à jour", "report up to date", "reports up to date"),
    "batch.count.skipped": ("inchangé depuis le dernier passage", "inchangés depuis le dernier passage",
                            "unchanged since the last run", "unchanged since the last run"),
    "batch.count.failed": ("en échec", "en échec", "failed", "failed"),
    "batch.count.cancelled": ("interrompu", "interrompus", "interrupted", "interrupted"),
}


def expected(n: int, key: str, lang: str) -> str:
    fr_one, fr_other, en_one, en_other = NOUNS[key]
    if lang == "fr":
        return f"{n} {fr_one if n in (0, 1) else fr_other}"
    return f"{n} {en_one if n == 1 else en_other}"


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("key", sorted(NOUNS))
def test_each_counted_noun_for_0_1_and_2(key, lang):
    assert [format_count(n, key, lang) for n in (0, 1, 2)] == [expected(n, key, lang) for n in (0, 1, 2)]


def test_every_counted_noun_of_the_catalogue_has_both_forms_in_both_languages():
    # a noun added after this table was written: at least its two forms, in both languages
    for key, value in catalogue().items():
        if isinstance(value.get("fr"), dict):
            for lang in ("fr", "en"):
                assert {"one", "other"} <= set(value[lang]), (key, lang)


def test_no_message_hedges_its_plural_with_brackets():
    hedged = re.compile(r"\w\((s|e|es|x)\)", re.IGNORECASE)
    found = []
    for key, value in catalogue().items():
        for lang, text in value.items():
            if isinstance(text, str) and hedged.search(text):
                found.append((key, lang, text))
    assert found == []


# --------------------------------------------------------------------------------------
# in the figures: subtitles that count
# --------------------------------------------------------------------------------------


def texts(fig) -> str:
    shown = " | ".join(artist.get_text() for artist in fig.findobj(Text) if artist.get_text())
    plt.close(fig)
    return " ".join(shown.replace("\u202f", " ").replace("\u00a0", " ").split())


def partners(n: int) -> pd.DataFrame:
    return pd.DataFrame({"territory_id": ["T"] * n, "partner_id": [f"p{i}" for i in range(n)],
                         "name": [f"Partenaire {i}" for i in range(n)],
                         "kind": ["mairie", "caf"][:n], "is_backbone": [False] * n})


def outcomes(n: int) -> pd.DataFrame:
    """``n`` outcomes: n − 1 outputs each leading to the one impact."""
    levels = ["activity"] * (n - 1) + ["impact"]
    return pd.DataFrame({"territory_id": ["T"] * n, "outcome_id": [f"o{i}" for i in range(n)],
                         "label": [f"Résultat {i}" for i in range(n)], "level": levels,
                         "leads_to": [f"o{n - 1}"] * (n - 1) + [None]})


@pytest.mark.parametrize(("n", "lang", "subtitle"), [
    (1, "fr", "1 partenaire, 1 type de structure"),
    (2, "fr", "2 partenaires, 2 types de structure"),
    (1, "en", "1 partner, 1 kind of organisation"),
    (2, "en", "2 partners, 2 kinds of organisation"),
])
def test_the_partner_kinds_subtitle_counts_in_the_right_form(n, lang, subtitle):
    assert subtitle in texts(partner_kinds(partners(n), territory_id="T", lang=lang))


@pytest.mark.parametrize(("n", "lang", "subtitle"), [
    (1, "fr", "1 résultat, 0 lien ;"),
    (2, "fr", "2 résultats, 1 lien ;"),
    (3, "fr", "3 résultats, 2 liens ;"),
    (1, "en", "1 outcome, 0 links;"),
    (2, "en", "2 outcomes, 1 link;"),
    (3, "en", "3 outcomes, 2 links;"),
])
def test_the_theory_of_change_subtitle_counts_in_the_right_form(n, lang, subtitle):
    table = outcomes(n)
    assert subtitle in texts(results_chain(toc.outcome_layers(table), toc.outcome_links(table), territory_id="T",
                                           lang=lang))
