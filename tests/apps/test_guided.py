"""The guided evaluation, driven through its widgets without a browser (see test_guided_browser.py for that)."""

from __future__ import annotations

import base64
import html
import re
from datetime import date
from pathlib import Path

import pandas as pd

from collective_impact.apps import guided, guided_report
from collective_impact.apps.guided import EvaluationApp
from collective_impact.apps.guided_judgment import JudgmentForm
from collective_impact.apps.guided_report import ReportPanel
from collective_impact.errors import RunError
from collective_impact.framework import load_framework
from collective_impact.report.bundle import open_territory
from collective_impact.schema import MAX_TEXT
from collective_impact.store import Store

FW = load_framework()
TERRITORY = "QPV-NORD"
TODAY = date(2026, 11, 26)


def stored_judgments(store: Store) -> pd.DataFrame:
    return store.load(["judgments"], territories=[TERRITORY])["judgments"]


def latest_wave(store: Store) -> int:
    return int(store.load(["responses"], territories=[TERRITORY])["responses"]["wave"].max())


def open_app(store: Store, **options) -> EvaluationApp:
    return EvaluationApp(store, territory=TERRITORY, today=TODAY, **options)


def go_to(app: EvaluationApp, step_id: str) -> None:
    app.steps.go(app.step_ids.index(step_id), force=True)


# ---------------------------------------------------------------------------- the guided evaluation
def test_evaluation_from_link_opens_the_latest_wave_at_step_one(store, step_titles, output_text):
    app = open_app(store)
    assert app.chooser.picker.fixed
    assert app.chooser.current_wave == latest_wave(store) == 2
    assert [label for label, _ in app.chooser.wave.options] == ["Vague 2 (la plus récente)", "Vague 1"]
    assert app.steps.titles == step_titles
    assert app.steps.index == 0
    assert "1. Le territoire et ses partenaires" in output_text(app.outputs["territoire"])
    assert app.forms == {}


def test_evaluation_walks_the_seven_steps_forward_and_back(store, step_titles, output_text):
    app = open_app(store)
    seen = [app.steps.index]
    while app.steps.next():
        seen.append(app.steps.index)
    while app.steps.previous():
        seen.append(app.steps.index)
    assert seen == [*range(len(step_titles)), *range(len(step_titles) - 2, -1, -1)]
    # one appraisal form on each of the five condition steps, for the framework's conditions in order
    assert list(app.forms) == [c.id for c in FW.conditions]
    for number, title in enumerate(step_titles, start=1):
        step_id = app.step_ids[number - 1]
        assert f"{number}. {title}" in output_text(app.outputs[step_id])


def test_the_list_of_steps_goes_straight_to_one(store, step_titles, output_text):
    app = open_app(store)
    menu = app.steps.menu
    assert [label for label, _ in menu.options] == [f"{n}. {title}" for n, title in enumerate(step_titles, start=1)]
    menu.value = 6
    assert app.steps.index == 6
    assert "7. Synthèse et prochaines étapes" in output_text(app.outputs["synthese"])
    app.steps.go(1)
    assert menu.value == 1  # the list follows the buttons
    app.forms["agenda"].justification.value = "Brouillon"
    menu.value = 4
    assert (app.steps.index, menu.value) == (1, 1)  # held by the unsaved appraisal, once
    menu.value = 4
    assert (app.steps.index, menu.value) == (4, 4)


def test_a_wave_without_answers_in_the_link_is_said(store):
    app = EvaluationApp(store, territory=TERRITORY, wave=7)
    assert app.data.wave == 2
    assert app.chooser.wave_field.error_text.startswith("Le lien indique la vague 7, qui n'a pas de réponses")


def test_changing_the_wave_starts_again_on_that_wave(store):
    app = open_app(store)
    app.steps.go(3)
    shown = []
    app.body.observe(lambda change: shown.append(change["new"]), names="children")
    app.chooser.wave.value = 1
    assert app.data.wave == 1
    # first a moving sign naming what is being opened, in place of wave 2's pages, then wave 1's
    assert len(shown) == 2 and shown[1] == (app.steps.widget,)
    (sign,) = shown[0]
    assert "ci-spinner" in sign.value and 'role="status"' in sign.value
    assert "Ouverture de l'évaluation : Quartier Nord – Les Tilleuls, vague 1…" in html.unescape(sign.value)
    assert app.steps.index == 0
    app.steps.go(1)
    assert app.forms["agenda"].wave == 1


def test_judgment_saved_then_edited_in_place(store):
    app = open_app(store)
    go_to(app, "agenda")
    form = app.forms["agenda"]
    form.band.value = "vigilance"
    form.justification.value = "Le comité ne se réunit plus."
    form.evaluator.value = "  Camille Martin "
    assert form.save()
    assert "Appréciation enregistrée : Point de vigilance" in form.status.value

    form.band.value = "a_consolider"
    form.justification.value = "Réunions reprises en octobre."
    assert form.save()
    rows = stored_judgments(store)
    mine = rows[(rows["wave"] == 2) & (rows["condition"] == "agenda")]
    assert mine[["band", "justification", "evaluator"]].values.tolist() == [
        ["a_consolider", "Réunions reprises en octobre.", "Camille Martin"]]
    assert mine["recorded_on"].tolist() == [pd.Timestamp(TODAY)]
    assert len(rows[rows["wave"] == 1]) == 5  # the demo's appraisals of wave 1 are untouched
    # the name typed once is offered on the next condition
    go_to(app, "mesure")
    assert app.forms["mesure"].evaluator.value == "Camille Martin"


def test_judgment_departing_from_the_computed_band_is_marked(store, band_labels, computed_band):
    app = open_app(store)
    go_to(app, "agenda")
    form = app.forms["agenda"]
    computed = computed_band(store, "agenda", 2)
    assert form.computed_band == computed
    departing = "vigilance" if computed != "vigilance" else "force"
    form.band.value = departing
    form.justification.value = "Pas de comité depuis six mois."
    assert form.save()
    assert f"lecture calculée ({band_labels[computed]})" in form.status.value


def test_stored_judgment_is_loaded_into_the_form(store):
    row = pd.DataFrame({"territory_id": [TERRITORY], "wave": pd.array([2], dtype="Int64"), "condition": ["mesure"],
                        "band": ["vigilance"], "justification": ["Données non remontées\ndepuis juin."],
                        "evaluator": ["Équipe"], "recorded_on": pd.to_datetime(["2026-10-02"])})
    store.add_rows("judgments", row)
    app = open_app(store)
    go_to(app, "mesure")
    form = app.forms["mesure"]
    assert (form.band.value, form.justification.value, form.evaluator.value) == (
        "vigilance", "Données non remontées\ndepuis juin.", "Équipe")
    assert not form.changed()
    assert "enregistrée le 02/10/2026 par Équipe" in form.status.value


def test_judgment_without_band_or_justification_is_refused_next_to_the_fields(store):
    app = open_app(store)
    go_to(app, "pivot")
    form = app.forms["pivot"]
    before = stored_judgments(store)
    form.justification.value = "   "
    assert not form.save()
    assert form.fields["band"].error_text == "cette case est obligatoire et ne doit pas rester vide."
    assert form.fields["justification"].error_text == "cette case est obligatoire et ne doit pas rester vide."
    assert "Corrigez les champs signalés en rouge." in form.status.value
    pd.testing.assert_frame_equal(stored_judgments(store), before)
    form.band.value = "force"  # choosing clears the band's error
    assert form.fields["band"].error_text == ""


def test_justification_too_long_is_refused_and_kept(store):
    app = open_app(store)
    go_to(app, "pivot")
    form = app.forms["pivot"]
    text = "x" * (MAX_TEXT + 1)
    form.band.value = "force"
    form.justification.value = text
    assert "ci-error" in form.count.value
    assert not form.save()
    assert form.fields["justification"].error_text.endswith(f"texte trop long : {MAX_TEXT} caractères au plus.")
    assert form.justification.value == text
    assert stored_judgments(store)["wave"].tolist() == [1] * 5


def test_hostile_justification_is_stored_cleaned_and_shown_escaped(store, hostile, output_text):
    app = open_app(store)
    go_to(app, "communication")
    form = app.forms["communication"]
    form.band.value = "a_consolider"
    form.justification.value = f"\u202e{hostile}\x00 ligne 1\r\nligne 2\x07"
    assert form.save()
    rows = stored_judgments(store)
    assert rows.loc[rows["wave"] == 2, "justification"].tolist() == [f"{hostile} ligne 1\nligne 2"]
    go_to(app, "synthese")
    shown = output_text(app.outputs["synthese"])
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown
    assert hostile not in shown


def test_unsaved_judgment_is_warned_about_once(store):
    app = open_app(store)
    go_to(app, "agenda")
    form = app.forms["agenda"]
    form.justification.value = "Brouillon"
    assert not app.steps.next()
    assert "n&#x27;est pas enregistrée" in form.status.value
    assert app.steps.next()  # the second move goes on; the text stays on the page
    assert app.steps.previous()
    assert form.justification.value == "Brouillon"


def test_synthesis_shows_the_judgments_just_saved_with_the_departure_mark(store, band_labels, output_text):
    app = open_app(store)
    go_to(app, "synthese")
    assert "vague 1" in app.synthesis.markdown()  # the demo's appraisals (wave 1) before
    go_to(app, "agenda")
    form = app.forms["agenda"]
    departing = "vigilance" if form.computed_band != "vigilance" else "force"
    form.band.value = departing
    form.justification.value = "Le comité de pilotage ne s'est pas réuni depuis six mois."
    form.save()
    go_to(app, "synthese")
    table = app.synthesis.block("conditions").content
    row = re.search(r"<tr><td class=\"ci-text\">Agenda commun</td>.*?</tr>", table).group(0)
    assert band_labels[departing] in row
    assert "≠ plus" in row
    assert "Le comité de pilotage ne s'est pas réuni depuis six mois." in row
    assert "≠ plus" in output_text(app.outputs["synthese"])


def test_a_territory_without_answers_has_no_appraisal_form(store):
    responses = store.load(["responses"])["responses"]
    tables = store.load()
    tables["responses"] = responses[responses["territory_id"] != "QPV-GARE"]
    tables["judgments"] = tables["judgments"].iloc[0:0]
    bare = Store(store.path.with_name("bare.sqlite"))
    bare.import_tables(tables)
    app = EvaluationApp(bare, territory="QPV-GARE")
    assert [label for label, _ in app.chooser.wave.options] == ["Aucune réponse pour l'instant"]
    app.steps.go(1)
    assert app.forms == {}
    assert app.data.wave is None


def test_evaluation_without_territory_asks_for_one(store):
    app = EvaluationApp(store)
    assert app.steps is None
    assert "Choisissez un territoire" in app.body.children[0].value
    app.chooser.picker.value = TERRITORY
    assert app.steps is not None and app.data.territory_id == TERRITORY


def test_evaluation_in_english(store):
    app = EvaluationApp(store, territory=TERRITORY, lang="en")
    assert app.steps.titles[2] == "Shared measurement system"
    app.steps.go(1)
    assert app.forms["agenda"].save_button.description == "Save my appraisal"


def test_evaluation_app_without_store(tmp_path, monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    panel = guided.evaluation_app(store=tmp_path / "absent.sqlite", query="territoire=QPV-NORD")
    text = " ".join(child.value for child in panel.children if hasattr(child, "value"))
    assert "L&#x27;application ne peut pas s&#x27;ouvrir" in text
    assert "absent.sqlite" in text


def test_evaluation_app_reads_the_link(store, monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    app = guided.evaluation_app(store=store, query="territoire=QPV-NORD&vague=1")
    assert app.data.territory_id == TERRITORY and app.data.wave == 1


# ---------------------------------------------------------------------------- the report
def opened(store: Store):
    return open_territory(store.path, TERRITORY)


def fake_reports(calls: list, monkeypatch):
    """Stand-ins for report_in_kernel writing a tiny HTML report, and export_pdf its PDF."""
    def run(territory, out_dir, *, pdf, lock, progress, drawn):
        calls.append((territory.territory_id, Path(territory.store_path), territory.lang, territory.wave,
                      territory.as_of.date().isoformat(), pdf))
        progress(1, 2, "cells")
        progress(2, 2, "cells")
        progress(0, 1, "html")
        html_path = Path(out_dir) / f"{territory.territory_id}.html"
        html_path.write_text("<html>rapport ≠</html>", encoding="utf-8")
        return type("Result", (), {"html": html_path, "pdf": None, "territory_id": territory.territory_id})

    def pdf(html_path, pdf_path, *, lang):
        calls.append(("pdf", Path(html_path).name, Path(pdf_path).name, lang))
        Path(pdf_path).write_bytes(b"%PDF-1.7 rapport")
        return Path(pdf_path)

    monkeypatch.setattr(guided_report, "report_in_kernel", run)
    monkeypatch.setattr(guided_report, "export_pdf", pdf)


def download_links(value: str) -> dict[str, tuple[str, bytes]]:
    """File name → (mime type, bytes) of every download link in ``value``."""
    found = re.findall(r'download="([^"]+)" href="data:([^;"]+)(?:;charset=utf-8)?;base64,([^"]+)"', value)
    return {name: (mime, base64.b64decode(data)) for name, mime, data in found}


def test_report_panel_offers_the_report_and_its_pdf_for_download(store, monkeypatch):
    calls = []
    fake_reports(calls, monkeypatch)
    monkeypatch.setattr(guided_report, "check_pdf_engine", lambda lang: None)
    territory = opened(store)
    panel = ReportPanel(territory, unsaved=lambda: ["Agenda commun"])
    assert panel.produce(wait=True)
    # the HTML report first, then its PDF printed from it
    assert calls == [(TERRITORY, store.path, "fr", 2, territory.as_of.date().isoformat(), False),
                     ("pdf", f"{TERRITORY}.html", f"{TERRITORY}.pdf", "fr")]
    assert panel.bar.layout.display == "none"  # the progress bar leaves with the work
    assert panel.html == "<html>rapport ≠</html>".encode() and panel.pdf == b"%PDF-1.7 rapport"
    assert download_links(panel.link.value) == {
        "rapport-QPV-NORD.html": ("text/html", panel.html),
        "rapport-QPV-NORD.pdf": ("application/pdf", panel.pdf),
    }
    assert "Télécharger le PDF" in panel.link.value
    assert "Le rapport est prêt" in panel.status.value
    assert "une appréciation saisie n&#x27;est pas enregistrée (Agenda commun)" in panel.status.value
    assert not panel.button.disabled
    panel.outdated()
    assert "produisez de nouveau le rapport" in panel.status.value


def test_report_panel_without_a_pdf_engine_offers_the_html_and_says_why(store, monkeypatch):
    calls = []

    def no_engine(lang):
        raise RunError("installez libpango-1.0-0")

    fake_reports(calls, monkeypatch)
    monkeypatch.setattr(guided_report, "check_pdf_engine", no_engine)
    panel = ReportPanel(opened(store))
    assert panel.produce(wait=True)
    assert [call[0] for call in calls] == [TERRITORY]  # no PDF printed
    assert panel.pdf is None
    assert list(download_links(panel.link.value)) == ["rapport-QPV-NORD.html"]
    assert "Le PDF n&#x27;a pas pu être préparé sur cette machine" in panel.status.value
    assert "installez libpango-1.0-0" in panel.status.value


def test_report_panel_says_why_a_report_failed(store, monkeypatch):
    def failing(*args, **kwargs):
        raise RunError("le carnet a échoué à l'étape 3")

    monkeypatch.setattr(guided_report, "report_in_kernel", failing)
    panel = ReportPanel(opened(store))
    panel.produce(wait=True)
    assert panel.html is None and panel.link.value == ""
    assert "Le rapport n&#x27;a pas pu être préparé : le carnet a échoué à l&#x27;étape 3" in panel.status.value
    assert not panel.button.disabled  # one can try again


def test_saving_a_judgment_marks_a_produced_report_outdated(store):
    app = open_app(store)
    app.report.html = b"<html></html>"  # as if produced
    go_to(app, "agenda")
    form = app.forms["agenda"]
    form.band.value = "force"
    form.justification.value = "Vu en comité."
    form.save()
    assert "produisez de nouveau le rapport" in app.report.status.value


def test_judgment_form_for_a_wave_of_another_territory_keeps_to_its_key(store):
    form = JudgmentForm(store, territory="QPV-GARE", wave=1, condition="pivot", framework=FW, today=TODAY)
    form.band.value = "force"
    form.justification.value = "Coordination assurée."
    assert form.save()
    rows = store.load(["judgments"])["judgments"]
    assert rows.loc[rows["territory_id"] == "QPV-GARE", ["wave", "condition"]].values.tolist() == [[1, "pivot"]]
    assert len(stored_judgments(store)) == 5
