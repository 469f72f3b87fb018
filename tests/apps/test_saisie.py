"""The evaluator's data entry, driven through its widgets without a browser (see test_apps_browser.py for that)."""

from __future__ import annotations

from datetime import date

import pandas as pd
from pandas.testing import assert_frame_equal

from collective_impact.apps.saisie import SaisieApp


def test_saisie_measurement_with_decimal_comma(store, stored):
    app = SaisieApp(store, territory="QPV-NORD")
    form = app.measurements
    indicator = form.indicator.value
    form.date.value = date(2024, 5, 2)
    form.value.value = "12,5"
    assert form.save()
    assert "Mesure enregistrée" in form.status.value and "12,5" in form.status.value
    rows = stored(store, "measurements")
    row = rows[(rows["indicator_id"] == indicator) & (rows["date"] == pd.Timestamp("2024-05-02"))]
    assert row["value"].tolist() == [12.5]
    assert form.value.value == ""  # ready for the next value
    # the same indicator and date again: told next to the date
    form.value.value = "13"
    assert not form.save()
    assert "Une mesure existe déjà pour cet indicateur à cette date (12,5)" in form.fields["date"].error_text


def test_saisie_measurement_bad_value_keeps_the_text(store, stored):
    app = SaisieApp(store, territory="QPV-NORD")
    form = app.measurements
    before = stored(store, "measurements")
    form.date.value = date(2024, 5, 2)
    form.value.value = "douze"
    assert not form.save()
    assert form.fields["value"].error_text == (
        "valeur « douze » : un nombre est attendu, sans unité (par exemple 12,5 ou 12.5).")
    assert form.value.value == "douze"
    assert "Corrigez les champs signalés en rouge" in form.status.value
    form.date.value = None
    form.value.value = "3"
    assert not form.save()
    assert form.fields["date"].error_text == "cette case est obligatoire et ne doit pas rester vide."
    assert_frame_equal(stored(store, "measurements"), before)


def test_saisie_meeting_hostile_title(store, stored, hostile):
    app = SaisieApp(store, territory="QPV-NORD")
    form = app.meetings
    form.date.value = date(2024, 5, 3)
    form.kind.value = "groupe_travail"
    form.title.value = hostile + "\x07\u202e suite"
    form.checkboxes["P01"].value = True
    form.checkboxes["P03"].value = True
    assert form.save()
    rows = stored(store, "meetings")
    row = rows[rows["date"] == pd.Timestamp("2024-05-03")]
    assert row["title"].tolist() == [hostile + " suite"]
    assert row["attendees"].tolist() == ["P01;P03"]
    assert row["kind"].tolist() == ["groupe_travail"]
    assert row["meeting_id"].str.fullmatch(r"M-20240503-[0-9a-f]{6}").all()
    assert "&lt;img src=x onerror=alert(1)&gt;" in form.status.value
    assert hostile not in form.status.value
    assert form.title.value == "" and not form.checkboxes["P01"].value  # ready for the next meeting


def test_saisie_meeting_text_too_long_is_refused_and_kept(store, stored):
    app = SaisieApp(store, territory="QPV-NORD")
    form = app.meetings
    before = stored(store, "meetings")
    form.date.value = date(2024, 5, 3)
    form.title.value = "x" * 2001
    assert not form.save()
    assert "texte trop long : 2000 caractères au plus." in form.fields["title"].error_text
    assert form.title.value == "x" * 2001
    assert_frame_equal(stored(store, "meetings"), before)


def test_saisie_stored_text_is_shown_escaped(store, stored, hostile):
    meetings = stored(store, "meetings")
    row = meetings.head(1).assign(meeting_id="M-X", date=pd.Timestamp("2099-01-01"), title=hostile)
    store.add_rows("meetings", row)
    app = SaisieApp(store, territory="QPV-NORD")
    assert "&lt;img src=x onerror=alert(1)&gt;" in app.meetings.recent.value
    assert hostile not in app.meetings.recent.value


def test_saisie_lists_the_territory_partners_and_indicators(store, stored):
    app = SaisieApp(store, territory="QPV-GARE")
    partners = stored(store, "partners", "QPV-GARE")
    indicators = stored(store, "indicators", "QPV-GARE")
    assert set(app.meetings.checkboxes) == set(partners["partner_id"])
    assert [value for _, value in app.measurements.indicator.options] == indicators["indicator_id"].tolist()
    assert [label for label, _ in app.meetings.kind.options][:2] == ["Comité de pilotage", "Comité technique"]


def test_saisie_recent_measurements_read_as_in_the_report(store):
    """Dates as ``02/05/2099``, values with as many decimals as they have (at most two)."""
    app = SaisieApp(store, territory="QPV-NORD", today=date(2100, 1, 1))  # 2099 is then a past date
    form = app.measurements
    for day, typed in ((date(2099, 5, 2), "12,5"), (date(2099, 6, 1), "18"), (date(2099, 7, 1), "1234,567")):
        form.date.value = day
        form.value.value = typed
        if typed == "1234,567":  # a share in % above 100: to confirm, then confirmed
            assert not form.save()
            assert form.confirm_button.layout.display != "none"
            assert "Confirmer malgré tout" in form.status.value
            assert form.confirm()
        else:
            assert form.save()
    recent = form.recent.value
    assert '<td class="ci-nowrap">01/07/2099</td><td>1\u202f234,57</td>' in recent
    assert '<td class="ci-nowrap">01/06/2099</td><td>18</td>' in recent
    assert '<td class="ci-nowrap">02/05/2099</td><td>12,5</td>' in recent
    assert "Mesure enregistrée" in form.status.value and "1\u202f234,57" in form.status.value


def test_saisie_meeting_without_attendees_asks_for_confirmation(store, stored):
    app = SaisieApp(store, territory="QPV-NORD")
    form = app.meetings
    before = len(stored(store, "meetings"))
    form.date.value = date(2024, 5, 3)
    assert not form.save()
    assert form.confirm_button.layout.display != "none"
    assert form.fields["attendees"].error_text
    form.checkboxes["P01"].value = True  # the values changed: to be checked again
    assert form.confirm_button.layout.display == "none"
    form.checkboxes["P01"].value = False
    assert not form.save()
    assert form.confirm()
    assert "Réunion enregistrée" in form.status.value
    assert len(stored(store, "meetings")) == before + 1
