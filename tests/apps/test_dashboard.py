"""The steering committee's dashboard, driven through its widgets without a browser (see test_guided_browser.py for that)."""

from __future__ import annotations

import html
from datetime import date

from collective_impact.apps.dashboard import DashboardApp
from collective_impact.apps.submit import QuestionnaireAnswers, submit_responses
from collective_impact.framework import load_framework

FW = load_framework()
TERRITORY = "QPV-NORD"
TODAY = date(2026, 11, 26)


def answers(wave: int, respondent: str) -> QuestionnaireAnswers:
    return QuestionnaireAnswers(territory_id=TERRITORY, wave=wave, respondent_id=respondent, partner_id=None,
                                scores={item.id: 4 for item in FW.items}, answered_on=TODAY)


def test_dashboard_shows_the_territory_at_its_latest_wave(store, respondents, output_text):
    app = DashboardApp(store, territory=TERRITORY)
    cards = app.cards.value
    assert f'<div class="ci-card-value">{respondents(store, 2)}</div>' in cards
    assert "répondant·es (vague 2)" in cards
    radar = [meta for item in app.outputs["conditions"].outputs for mime, meta in item["metadata"].items()
             if mime.startswith("image/")]
    assert len(radar) == 1 and radar[0]["alt"].startswith("Radar des cinq conditions")
    assert "Point fort" in output_text(app.outputs["conditions"])
    assert "progression" in output_text(app.outputs["indicators"]).lower()
    assert "Réseau des partenaires (vague 2)" in output_text(app.outputs["network"])
    meetings = store.load(["meetings"], territories=[TERRITORY])["meetings"]
    latest = meetings.sort_values("date", ascending=False)["title"].head(5)
    shown = output_text(app.outputs["meetings"])
    assert all(title.replace("'", "&#x27;") in shown for title in latest)


def test_dashboard_refresh_shows_answers_submitted_since(store, respondents):
    app = DashboardApp(store, territory=TERRITORY)
    before = app.respondents
    submit_responses(store, answers(2, "R-dashboard-1"))
    assert app.respondents == before  # nothing moves before the refresh
    app.refresh()
    assert app.respondents == before + 1 == respondents(store, 2)
    assert "1 nouveau répondant (vague 2)" in app.status.value
    assert "+1 depuis la lecture précédente" in app.cards.value
    app.refresh()
    assert "Rien de nouveau" in app.status.value


def test_dashboard_refresh_offers_a_new_wave(store):
    app = DashboardApp(store, territory=TERRITORY)
    submit_responses(store, answers(3, "R-dashboard-3"))
    app.refresh()
    assert [value for _, value in app.chooser.wave.options] == [3, 2, 1]
    assert app.chooser.current_wave == 2  # what the committee was looking at stays
    assert "Nouvelle vague de réponses : vague 3" in app.status.value


def test_dashboard_without_territory(store, respondents):
    app = DashboardApp(store)
    assert app.content.layout.display == "none"
    assert "Choisissez un territoire" in app.message.value
    app.chooser.picker.value = TERRITORY
    assert app.content.layout.display is None
    assert app.respondents == respondents(store, 2)


def test_dashboard_shows_each_condition_over_the_waves_up_to_the_chosen_one(store, output_text):
    app = DashboardApp(store, territory=TERRITORY)
    assert app.titles["trajectory"].value.endswith("Évolution vague après vague</h3>")
    at_two = output_text(app.outputs["trajectory"])
    assert "seule vague" not in at_two
    images = [meta for item in app.outputs["trajectory"].outputs for mime, meta in item["metadata"].items()
              if mime.startswith("image/")]
    assert images  # the report's trajectory figure, waves 1 and 2
    seen = []
    app.content.layout.observe(lambda change: seen.append(("content", change["new"])), names="display")
    app.message.observe(lambda change: seen.append(("message", change["new"])), names="value")
    app.chooser.wave.value = 1
    # wave 2's figures hidden under a moving sign naming wave 1, then wave 1's dashboard
    assert [kind for kind, _ in seen] == ["content", "message", "message", "content"]
    assert (seen[0][1], seen[3][1], seen[2][1]) == ("none", None, "")
    assert "ci-spinner" in seen[1][1]
    assert "Lecture du tableau de bord : Quartier Nord – Les Tilleuls, vague 1…" in html.unescape(seen[1][1])
    at_one = html.unescape(output_text(app.outputs["trajectory"]))
    assert "Une seule vague de questionnaire (vague 1)" in at_one
    assert not any(mime.startswith("image/") for item in app.outputs["trajectory"].outputs for mime in item["data"])


def test_the_cards_format_their_counts(store):
    app = DashboardApp(store, territory=TERRITORY)
    ev = app.data.metrics
    current = ev.response_rates[ev.response_rates["wave"] == app.data.wave]
    cards = app._cards(ev, current, gained=1234)
    assert '<div class="ci-card-new">+1\u202f234 depuis la lecture précédente</div>' in cards
    progress = ev.progress
    good = int(progress["status"].isin(["achieved", "on_track"]).sum())
    assert f'<div class="ci-card-value">{good} sur {len(progress)}</div>' in cards
    app.lang = "en"  # the cards are worded at each reading, in the app's language
    assert "+1,234 since the previous reading" in app._cards(ev, current, gained=1234)
