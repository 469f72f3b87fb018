"""Correcting and deleting records in the data-entry app, driven through its widgets; the store read back with sqlite3."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import date

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from collective_impact.apps.saisie import EDITABLE, SaisieApp
from collective_impact.metrics.assessment import condition_scores
from collective_impact.metrics.communication import communication_summary
from collective_impact.metrics.dates import evaluation_dates
from collective_impact.metrics.indicators import indicator_progress
from collective_impact.schema import TABLE_ORDER
from collective_impact.store import Store

T = "QPV-NORD"


def sql(store, query: str, params: tuple = ()) -> list[tuple]:
    with closing(sqlite3.connect(store.path)) as con:
        return con.execute(query, params).fetchall()


def last_audit(store) -> dict:
    row = sql(store, 'SELECT action, "table", territory_id, key, before, after FROM audit ORDER BY audit_id DESC '
                     "LIMIT 1")[0]
    return {"action": row[0], "table": row[1], "territory_id": row[2],
            **{name: None if v is None else json.loads(v) for name, v in zip(("key", "before", "after"), row[3:],
                                                                              strict=True)}}


def audit_count(store) -> int:
    return sql(store, "SELECT COUNT(*) FROM audit")[0][0]


def pick(app, table: str, predicate) -> int:
    """Choose in the editor the first row of ``table`` whose option label satisfies ``predicate``."""
    app.editor.table.value = table
    for label, value in app.editor.record.options:
        if value >= 0 and predicate(label):
            app.editor.record.value = value
            return value
    raise AssertionError(f"no row of {table} matches")


def test_the_editor_offers_every_row_of_each_table(store):
    app = SaisieApp(store, territory=T)
    for table in EDITABLE:
        app.editor.table.value = table
        expected = sql(store, f'SELECT COUNT(*) FROM "{table}" WHERE territory_id = ?', (T,))[0][0]
        assert len(app.editor.record.options) - 1 == expected, table


def test_edit_a_meeting_date(store):
    app = SaisieApp(store, territory=T)
    meeting_id, day = sql(store, 'SELECT meeting_id, date FROM "meetings" WHERE territory_id = ? ORDER BY date DESC '
                                 "LIMIT 1", (T,))[0]
    old = sql(store, 'SELECT * FROM "meetings" WHERE territory_id = ? AND meeting_id = ?', (T, meeting_id))[0]
    app.editor.table.value = "meetings"
    app.editor.record.value = 0  # the most recent first
    form = app.editor.form
    assert form.fields["meeting_id"].control.value == meeting_id
    assert form.fields["date"].control.value == date.fromisoformat(day)
    form.fields["date"].control.value = date(2024, 2, 29)
    assert app.editor.save()
    assert "Corrections enregistrées" in app.editor.form.status.value
    new = sql(store, 'SELECT * FROM "meetings" WHERE territory_id = ? AND meeting_id = ?', (T, meeting_id))[0]
    assert new == (old[0], old[1], "2024-02-29", *old[3:])
    entry = last_audit(store)
    assert (entry["action"], entry["table"], entry["key"]) == ("update", "meetings",
                                                               {"territory_id": T, "meeting_id": meeting_id})
    assert (entry["before"]["date"], entry["after"]["date"]) == (day, "2024-02-29")
    # the row stays chosen, now among the older meetings; the trail shows the change first
    assert app.editor.form.fields["meeting_id"].control.value == meeting_id
    app.tabs.selected_index = app.tabs.children.index(app.audit.box)
    assert "<td>Modification</td><td>Réunions</td>" in app.audit.table.value.split("</tr>")[1]


def test_a_number_is_shown_with_every_decimal_and_saving_it_unchanged_changes_nothing(store):
    indicator, day = sql(store, 'SELECT indicator_id, date FROM "measurements" WHERE territory_id = ? '
                                "ORDER BY date DESC LIMIT 1", (T,))[0]
    store.update_row("measurements", {"territory_id": T, "indicator_id": indicator, "date": day}, {"value": 12.345})
    app = SaisieApp(store, territory=T)
    app.editor.table.value = "measurements"
    app.editor.record.value = 0
    assert app.editor.form.fields["value"].control.value == "12,345"
    before = audit_count(store)
    assert app.editor.save()
    assert "Aucune valeur n&#x27;a changé" in app.editor.form.status.value
    assert audit_count(store) == before
    assert sql(store, 'SELECT value FROM "measurements" WHERE territory_id = ? AND indicator_id = ? AND date = ?',
               (T, indicator, day)) == [(12.345,)]


def test_a_correction_breaking_a_rule_is_refused_beside_its_field(store):
    app = SaisieApp(store, territory=T)
    app.editor.table.value = "partners"
    app.editor.record.value = 0
    form = app.editor.form
    before = sql(store, 'SELECT * FROM "partners" WHERE territory_id = ?', (T,))
    form.fields["name"].control.value = ""
    assert not app.editor.save()
    assert form.fields["name"].error_text == "cette case est obligatoire et ne doit pas rester vide."
    assert sql(store, 'SELECT * FROM "partners" WHERE territory_id = ?', (T,)) == before


def test_an_unusual_value_asks_for_confirmation(store):
    app = SaisieApp(store, territory=T)
    pick(app, "measurements", lambda label: "%" in label or "Part" in label)
    form = app.editor.form
    key = dict(form.key)
    form.fields["value"].control.value = "450"  # a share in %, above 100
    assert not app.editor.save()
    assert form.confirm_button.layout.display != "none"
    assert "inhabituelles" in form.status.value
    assert form.fields["value"].error_text
    assert app.editor.save(confirm=True)
    stored = sql(store, 'SELECT value FROM "measurements" WHERE territory_id = ? AND indicator_id = ? AND date = ?',
                 (T, key["indicator_id"], key["date"].strftime("%Y-%m-%d")))
    assert stored == [(450.0,)]


def test_delete_a_measurement(store):
    app = SaisieApp(store, territory=T)
    app.editor.table.value = "measurements"
    app.editor.record.value = 0
    key = dict(app.editor.form.key)
    day = key["date"].strftime("%Y-%m-%d")
    old = sql(store, 'SELECT * FROM "measurements" WHERE territory_id = ? AND indicator_id = ? AND date = ?',
              (T, key["indicator_id"], day))[0]
    app.editor.ask_delete()
    assert "Supprimer définitivement" in app.editor.deletion.question.value
    assert app.editor.deletion.panel.layout.display != "none"
    assert app.editor.delete()
    assert "Ligne supprimée" in app.editor.status.value
    assert sql(store, 'SELECT COUNT(*) FROM "measurements" WHERE territory_id = ? AND indicator_id = ? AND date = ?',
               (T, key["indicator_id"], day)) == [(0,)]
    entry = last_audit(store)
    assert entry["action"] == "delete" and entry["after"] is None
    assert entry["before"] == dict(zip(["territory_id", "indicator_id", "date", "value"], old, strict=True))


def test_deleting_an_indicator_with_measurements_is_refused_naming_them(store):
    app = SaisieApp(store, territory=T)
    app.editor.table.value = "indicators"
    app.editor.record.value = 0
    indicator = app.editor.form.key["indicator_id"]
    n = sql(store, 'SELECT COUNT(*) FROM "measurements" WHERE territory_id = ? AND indicator_id = ?',
            (T, indicator))[0][0]
    assert n > 1
    before = audit_count(store)
    app.editor.ask_delete()
    assert not app.editor.delete()
    assert f"« Mesures » : {n} lignes ({indicator}, " in app.editor.status.value
    assert sql(store, 'SELECT COUNT(*) FROM "indicators" WHERE territory_id = ? AND indicator_id = ?',
               (T, indicator)) == [(1,)]
    assert audit_count(store) == before


def test_remove_the_territory_names_what_goes(store):
    app = SaisieApp(store, territory=T)
    expected = {name: sql(store, f'SELECT COUNT(*) FROM "{name}" WHERE territory_id = ?', (T,))[0][0]
                for name in TABLE_ORDER}
    expected = {name: n for name, n in expected.items() if n}
    assert app.removal.ask() == expected
    total = sum(expected.values())
    grouped = f"{total:,}".replace(",", "\u202f")  # French thousands: a narrow no-break space
    assert app.removal.confirmation.yes_button.description == f"Oui, retirer {T} et ses {grouped} lignes"
    assert f'<td>Réponses</td><td class="ci-nowrap">{expected["responses"]} lignes</td>' in app.removal.confirmation.question.value
    assert app.removal.remove()
    assert all(sql(store, f'SELECT COUNT(*) FROM "{name}" WHERE territory_id = ?', (T,)) == [(0,)]
               for name in TABLE_ORDER)
    assert sql(store, "SELECT COUNT(*) FROM audit WHERE territory_id = ? AND action = 'remove_territory'",
               (T,)) == [(total,)]
    assert T not in [value for _, value in app.territory.dropdown.options]
    assert app.territory.value is None and app.tabs.layout.display == "none"
    assert "Territoire QPV-NORD retiré de la base" in app.notice.value


def test_the_trail_is_shown_escaped(store, hostile):
    app = SaisieApp(store, territory=T)
    app.editor.table.value = "meetings"
    app.editor.record.value = 0
    app.editor.form.fields["title"].control.value = hostile
    assert app.editor.save()
    app.tabs.selected_index = app.tabs.children.index(app.audit.box)
    assert "&lt;img src=x onerror=alert(1)&gt;" in app.audit.table.value
    assert hostile not in app.audit.table.value


def test_the_whole_trail_downloads_as_a_workbook(store, hostile):
    import base64
    import io
    import re

    from openpyxl import load_workbook

    app = SaisieApp(store, territory=T)
    app.editor.table.value = "meetings"
    app.editor.record.value = 0
    app.editor.form.fields["title"].control.value = "=" + hostile
    assert app.editor.save()
    data = app.audit.export()
    match = re.search(r'download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', app.audit.link.value)
    assert match and match.group(1) == f"journal-des-modifications-{T}.xlsx"
    assert base64.b64decode(match.group(2)) == data
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    # one line per change of the territory in the store, plus the header
    (expected,) = sql(store, "SELECT COUNT(*) FROM audit WHERE territory_id = ?", (T,))[0]
    assert len(rows) == expected + 1
    cells = [str(v) for row in rows[1:] for v in row if v is not None]
    assert any(hostile in cell for cell in cells)
    # text from data never becomes a formula in the spreadsheet
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def figures(store) -> dict:
    """What the evaluation of the territory shows, computed by the metrics at its default date."""
    tables = store.load(territories=[T])
    as_of = evaluation_dates(tables)
    return {
        "as_of": as_of,
        "scores": condition_scores(tables["responses"]),
        "progress": indicator_progress(tables["indicators"], tables["measurements"], as_of=as_of[T]),
        "communication": communication_summary(tables["meetings"], tables["partners"], as_of=as_of[T]),
    }


def test_the_2062_meeting(store):
    """Refused in the app; once confirmed straight through the store, deleting it in the app brings every figure back."""
    before = figures(store)
    app = SaisieApp(store, territory=T)
    form = app.meetings
    form.date.value = date(2062, 10, 20)
    form.checkboxes["P01"].value = True
    assert not form.save()
    assert "postérieure à aujourd'hui" in form.fields["date"].error_text
    assert form.confirm_button.layout.display == "none"  # an error: nothing to confirm
    assert sql(store, "SELECT COUNT(*) FROM meetings WHERE date = '2062-10-20'") == [(0,)]

    row = pd.DataFrame([{"territory_id": T, "meeting_id": "M-2062", "date": pd.Timestamp("2062-10-20"),
                         "kind": "comite_pilotage", "attendees": "P01"}])
    store.add_rows("meetings", row)
    jumped = figures(store)
    assert jumped["as_of"][T] == pd.Timestamp("2062-10-20")
    with pytest.raises(AssertionError):
        assert_frame_equal(jumped["progress"], before["progress"])

    app = SaisieApp(store, territory=T)
    app.editor.table.value = "meetings"
    app.editor.record.value = 0  # the most recent first: 2062
    assert app.editor.form.key["meeting_id"] == "M-2062"
    app.editor.ask_delete()
    assert "20/10/2062" in app.editor.deletion.question.value
    assert app.editor.delete()

    after = figures(store)
    assert_series_equal(after["as_of"], before["as_of"])
    for name in ("scores", "progress", "communication"):
        assert_frame_equal(after[name], before[name])
    trail = sql(store, "SELECT action FROM audit WHERE \"table\" = 'meetings' AND key LIKE '%M-2062%' ORDER BY audit_id")
    assert trail == [("insert",), ("delete",)]


@pytest.mark.parametrize("table", EDITABLE)
def test_every_table_shows_its_rows_as_stored(store, table):
    """A row opened and saved without a change is written back unchanged: nothing recorded."""
    app = SaisieApp(store, territory=T)
    app.editor.table.value = table
    before = audit_count(store)
    rows = sql(store, f'SELECT * FROM "{table}" WHERE territory_id = ? ORDER BY 1, 2', (T,))
    for index in range(min(3, len(app.editor.record.options) - 1)):
        app.editor.record.value = index
        assert app.editor.save(), app.editor.form.status.value
        assert "Aucune valeur n&#x27;a changé" in app.editor.form.status.value
    assert audit_count(store) == before
    assert sql(store, f'SELECT * FROM "{table}" WHERE territory_id = ? ORDER BY 1, 2', (T,)) == rows


def test_a_measurement_moved_to_another_date_stays_chosen(store):
    app = SaisieApp(store, territory=T)
    app.editor.table.value = "measurements"
    app.editor.record.value = 0
    indicator = app.editor.form.key["indicator_id"]
    app.editor.form.fields["date"].control.value = date(2019, 3, 1)
    assert app.editor.save()
    assert app.editor.form.key == {"territory_id": T, "indicator_id": indicator, "date": pd.Timestamp("2019-03-01")}
    assert app.editor.record.value >= 0 and "01/03/2019" in dict(
        (v, k) for k, v in app.editor.record.options)[app.editor.record.value]
    assert sql(store, 'SELECT COUNT(*) FROM "measurements" WHERE territory_id = ? AND indicator_id = ? AND date = ?',
               (T, indicator, "2019-03-01")) == [(1,)]


def test_coming_back_to_the_trail_shows_a_sign_of_work_never_the_old_trail(store):
    app = SaisieApp(store, territory=T)
    journal = app.tabs.children.index(app.audit.box)
    app.tabs.selected_index = journal
    (count,) = sql(store, "SELECT COUNT(*) FROM audit WHERE territory_id = ?", (T,))[0]
    assert app.audit.table.value.count("<tr>") == min(count, app.audit.LIMIT) + 1  # the header row, then one per change
    # another page of the server writes while this one shows the first tab
    app.tabs.selected_index = 0
    assert 'class="ci-spinner"' in app.audit.table.value and "Lecture du journal…" in app.audit.table.value
    assert "<table" not in app.audit.table.value
    other = SaisieApp(store, territory=T, who="autre page")
    other.editor.table.value = "meetings"
    other.editor.record.value = 0
    other.editor.form.fields["title"].control.value = "Réunion renommée ailleurs"
    assert other.editor.save()
    app.tabs.selected_index = journal
    assert "Réunion renommée ailleurs" in app.audit.table.value.split("</tr>")[1]
    assert "<table" in app.audit.table.value and "ci-spinner" not in app.audit.table.value


def test_the_trail_is_read_when_it_is_seen_and_only_then(store, monkeypatch):
    reads = []
    real = Store.audit

    def counted(self, *args, **kwargs):
        reads.append(args)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "audit", counted)
    app = SaisieApp(store, territory=T)
    assert reads == []  # the first tab is shown, not the journal
    app.editor.table.value = "meetings"
    app.editor.record.value = 0
    app.editor.form.fields["title"].control.value = "Réunion renommée ici"
    assert app.editor.save()
    assert reads == [] and "ci-spinner" in app.audit.table.value  # written, not read: the journal is not shown
    journal = app.tabs.children.index(app.audit.box)
    app.tabs.selected_index = journal
    assert len(reads) == 1 and "Réunion renommée ici" in app.audit.table.value.split("</tr>")[1]
    # shown: a write reads it again at once
    app.editor.form.fields["title"].control.value = "Réunion renommée encore"
    assert app.editor.save()
    assert len(reads) == 2 and "Réunion renommée encore" in app.audit.table.value.split("</tr>")[1]
    app.tabs.selected_index = 0  # left: the sign of work, nothing read
    assert len(reads) == 2 and "ci-spinner" in app.audit.table.value
