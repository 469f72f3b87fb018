"""Partners' comments reach the evaluator: in the report's condition steps and in the guided evaluation,
per condition and wave, escaped, without the partner's name; the dashboard follows the campaign."""

from __future__ import annotations

import html
import re
from datetime import date

import pandas as pd

from collective_impact.apps import campaigns
from collective_impact.apps.dashboard import DashboardApp
from collective_impact.apps.guided import EvaluationApp
from collective_impact.report import steps
from collective_impact.report.bundle import open_territory
from collective_impact.schema import CODES

TERRITORY = "QPV-NORD"
HOSTILE = "<script>alert(1)</script> coût $x$ \\(y\\)"
OPENED = date(2026, 11, 20)


def answer_with_comments(store) -> tuple[str, int]:
    """Open wave 3 of the demo territory, answer from two partners' links; return a partner's name and the wave."""
    wave = 3
    made = campaigns.open_wave(store, TERRITORY, wave, closes=date(2026, 12, 31), base_url="https://e.example",
                               today=OPENED)
    (first, _), (second, _) = made[0], made[1]
    partners = store.load(["partners"], territories=[TERRITORY])["partners"].set_index("partner_id")
    items = pd.DataFrame({"item_id": ["agenda_1", "pivot_1"], "score": [4, 3]})
    campaigns.record_answers(store, first, items, {"agenda": HOSTILE, "pivot": "Une équipe\npivot solide"},
                             today=OPENED)
    campaigns.record_answers(store, second, items, {"agenda": "Agenda partagé", "mesure": "  "}, today=OPENED)
    return str(partners.at[first.partner_id, "name"]), wave


def test_condition_steps_show_the_wave_comments_escaped_without_names(store):
    name, wave = answer_with_comments(store)
    data = open_territory(store.path, TERRITORY, wave=wave)
    agenda = steps.build_step(data, "agenda").block("comments").content
    # sorted by text: "&lt;script…" < "Agenda…" (the escaped "&" comes first)
    bullets = [line for line in agenda.splitlines() if line.startswith("- ")]
    assert len(bullets) == 2
    assert bullets[1] == "- Agenda partagé"
    assert "<script>" not in agenda and "&lt;script&gt;" in agenda
    assert "$x$" not in agenda and "<span>&#36;</span>x<span>&#36;</span>" in agenda
    assert name not in agenda
    pivot = steps.build_step(data, "pivot").block("comments").content
    assert "- Une équipe pivot solide" in pivot  # one bullet: the line break cannot open a block
    # a blank comment is not stored; a condition without comments has no block
    assert store.load(["comments"], territories=[TERRITORY])["comments"]["condition"].tolist().count("mesure") == 0
    assert "comments" not in [block.name for block in steps.build_step(data, "mesure").blocks]
    # another wave shows none of them
    earlier = open_territory(store.path, TERRITORY, wave=2)
    assert "comments" not in [block.name for block in steps.build_step(earlier, "agenda").blocks]


def test_guided_evaluation_shows_the_comments(store, output_text):
    name, wave = answer_with_comments(store)
    app = EvaluationApp(store, territory=TERRITORY, today=OPENED)
    assert app.chooser.current_wave == wave
    app.steps.go(app.step_ids.index("agenda"), force=True)
    shown = output_text(app.outputs["agenda"])
    assert "Ce que disent les partenaires" in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script>" not in shown
    assert name not in shown


def test_dashboard_follows_the_campaign_per_kind(store, output_text):
    app = DashboardApp(store, territory=TERRITORY)
    assert app.outputs["campaign"].layout.display == "none"  # no campaign yet: no section
    answer_with_comments(store)  # wave 3: one link per partner, the first two answered
    partners = store.load(["partners"], territories=[TERRITORY])["partners"].sort_values("partner_id")
    app.refresh()
    assert app.outputs["campaign"].layout.display is None
    shown = output_text(app.outputs["campaign"])
    assert "Vague 3, ouverte jusqu'au 31 décembre 2026 inclus." in shown
    # the two first partners (in id order) answered: their kinds count them, every kind counts its partners
    first_two = partners["kind"].head(2).tolist()
    for kind, group in partners.groupby("kind"):
        label = next(code.label("fr") for code in CODES["partner_kind"] if code.id == kind)
        answered = first_two.count(kind)
        row = f"<td>{label}</td><td>{len(group)}</td><td>0</td><td>{answered}</td>"
        assert row in html.unescape(re.sub(r' class="ci-\w+"', "", shown)), row
    assert partners["name"].iloc[0] not in shown
