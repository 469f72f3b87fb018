"""The store's audit trail, edits and deletions, read back with ``sqlite3`` directly (not through the store)."""

from __future__ import annotations

import getpass
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest

from collective_impact.demo import demo_tables
from collective_impact.errors import StoreError, UnknownTerritoryError
from collective_impact.schema import TABLE_ORDER, TABLES
from collective_impact.store import Store

T = "QPV-NORD"


@pytest.fixture
def path(demo_store, copy_store) -> Path:
    return copy_store(demo_store)


def sql(path: Path, query: str, params: tuple = ()) -> list[tuple]:
    with closing(sqlite3.connect(path)) as con:
        return con.execute(query, params).fetchall()


def trail(path: Path, after: int = 0) -> list[dict]:
    """The audit rows written after ``after``, as dicts with the JSON read."""
    rows = sql(path, 'SELECT audit_id, at, who, action, "table", territory_id, key, before, after FROM audit '
                     "WHERE audit_id > ? ORDER BY audit_id", (after,))
    names = ("audit_id", "at", "who", "action", "table", "territory_id", "key", "before", "after")
    return [{n: (json.loads(v) if n in ("key", "before", "after") and v is not None else v)
             for n, v in zip(names, row, strict=True)} for row in rows]


def last_id(path: Path) -> int:
    return sql(path, "SELECT COALESCE(MAX(audit_id), 0) FROM audit")[0][0]


def row_dict(path: Path, table: str, where: str, params: tuple) -> dict:
    with closing(sqlite3.connect(path)) as con:
        cursor = con.execute(f'SELECT * FROM "{table}" WHERE {where}', params)
        names = [d[0] for d in cursor.description]
        found = cursor.fetchall()
    assert len(found) == 1
    return dict(zip(names, found[0], strict=True))


def test_the_first_import_records_one_count_per_table_and_territory(tmp_path):
    tables = demo_tables()
    Store(tmp_path / "s.sqlite").import_tables(tables, who="alice")
    got = {(r["table"], r["territory_id"]): (r["before"], r["after"], r["key"], r["who"], r["action"])
           for r in trail(tmp_path / "s.sqlite")}
    expected = {}
    for name, frame in tables.items():
        for tid, n in frame.groupby("territory_id").size().items():
            expected[(name, tid)] = ({"rows": 0}, {"rows": int(n)}, None, "alice", "import")
    assert got == expected


def test_add_rows_records_each_row_after(path):
    before = last_id(path)
    row = {"territory_id": T, "meeting_id": "M-NEW", "date": pd.Timestamp("2024-05-03"), "kind": "pleniere",
           "title": "Plénière", "attendees": "P01;P02"}
    frame = pd.DataFrame([row]).astype({k: TABLES["meetings"].dtypes[k] for k in row})
    Store(path).add_rows("meetings", frame, who="bob")
    [entry] = trail(path, before)
    assert entry["action"] == "insert" and entry["who"] == "bob" and entry["table"] == "meetings"
    assert entry["territory_id"] == T
    assert entry["key"] == {"territory_id": T, "meeting_id": "M-NEW"}
    assert entry["before"] is None
    assert entry["after"] == {"territory_id": T, "meeting_id": "M-NEW", "date": "2024-05-03", "kind": "pleniere",
                              "title": "Plénière", "attendees": "P01;P02"}
    assert pd.Timestamp(entry["at"]).tzname() == "UTC"


def test_a_refused_write_leaves_no_trace(path):
    before = last_id(path)
    stored = sql(path, 'SELECT * FROM "meetings" WHERE territory_id = ? LIMIT 1', (T,))[0]
    frame = pd.DataFrame([dict(zip(TABLES["meetings"].column_ids, stored, strict=True))])
    with pytest.raises(StoreError, match="existe déjà"):
        Store(path).add_rows("meetings", frame.astype(TABLES["meetings"].dtypes))
    assert last_id(path) == before


def test_update_row_records_before_and_after(path):
    meeting = sql(path, 'SELECT meeting_id FROM "meetings" WHERE territory_id = ? ORDER BY 1 LIMIT 1', (T,))[0][0]
    old = row_dict(path, "meetings", "territory_id = ? AND meeting_id = ?", (T, meeting))
    before = last_id(path)
    assert Store(path).update_row("meetings", {"territory_id": T, "meeting_id": meeting},
                                  {"date": pd.Timestamp("2024-06-30"), "title": "Corrigée"}, who="carla") == 1
    new = row_dict(path, "meetings", "territory_id = ? AND meeting_id = ?", (T, meeting))
    assert new == {**old, "date": "2024-06-30", "title": "Corrigée"}
    [entry] = trail(path, before)
    assert (entry["action"], entry["who"], entry["table"]) == ("update", "carla", "meetings")
    assert entry["key"] == {"territory_id": T, "meeting_id": meeting}
    assert entry["before"] == old and entry["after"] == new
    # the same values again: nothing changed, nothing recorded
    assert Store(path).update_row("meetings", {"territory_id": T, "meeting_id": meeting}, {"title": "Corrigée"}) == 0
    assert last_id(path) == before + 1


def test_update_row_may_change_a_key_but_not_onto_another_row(path):
    rows = sql(path, 'SELECT indicator_id, date FROM "measurements" WHERE territory_id = ? ORDER BY 1, 2', (T,))
    (indicator, first), (same, second) = rows[0], rows[1]
    assert indicator == same
    store = Store(path)
    before = last_id(path)
    with pytest.raises(StoreError, match=rf"Mesures.*\({indicator}, {second}\) existe déjà"):
        store.update_row("measurements", {"territory_id": T, "indicator_id": indicator, "date": first},
                         {"date": second})
    assert last_id(path) == before
    store.update_row("measurements", {"territory_id": T, "indicator_id": indicator, "date": first},
                     {"date": "2019-01-01"})
    [entry] = trail(path, before)
    assert entry["key"]["date"] == first and entry["after"]["date"] == "2019-01-01"
    with pytest.raises(StoreError, match="aucune ligne"):
        store.update_row("measurements", {"territory_id": T, "indicator_id": indicator, "date": first},
                         {"value": 1})


def test_delete_rows_keeps_the_deleted_values(path):
    indicator, day = sql(path, 'SELECT indicator_id, date FROM "measurements" WHERE territory_id = ? LIMIT 1', (T,))[0]
    old = row_dict(path, "measurements", "territory_id = ? AND indicator_id = ? AND date = ?", (T, indicator, day))
    before = last_id(path)
    assert Store(path).delete_rows("measurements", {"territory_id": T, "indicator_id": indicator, "date": day},
                                   who="dan") == 1
    assert sql(path, 'SELECT COUNT(*) FROM "measurements" WHERE territory_id = ? AND indicator_id = ? AND date = ?',
               (T, indicator, day)) == [(0,)]
    [entry] = trail(path, before)
    assert (entry["action"], entry["who"], entry["before"], entry["after"]) == ("delete", "dan", old, None)


def test_delete_refused_while_other_rows_refer_to_the_row(path):
    partner = "P01"
    # the rows citing P01, counted directly in SQL (the attendees list included)
    answers = sql(path, 'SELECT COUNT(*) FROM "responses" WHERE territory_id = ? AND partner_id = ?', (T, partner))[0][0]
    meetings = sql(path, """SELECT COUNT(*) FROM "meetings" WHERE territory_id = ?
                            AND ';' || attendees || ';' LIKE '%;P01;%'""", (T,))[0][0]
    assert answers and meetings
    before = last_id(path)
    with pytest.raises(StoreError) as info:
        Store(path).delete_rows("partners", {"territory_id": T, "partner_id": partner})
    message = str(info.value)
    assert "Impossible de supprimer (P01) de la table « Partenaires »" in message
    assert f"« Réponses » : {answers} lignes" in message
    assert f"« Réunions » : {meetings} lignes" in message
    assert "rien n'a été supprimé" in message
    assert sql(path, 'SELECT COUNT(*) FROM "partners" WHERE territory_id = ? AND partner_id = ?', (T, partner)) == [(1,)]
    assert last_id(path) == before


def test_delete_follows_id_lists_and_lets_rows_deleted_together_cite_each_other(path):
    store = Store(path)
    frame = pd.DataFrame([
        {"territory_id": T, "outcome_id": "OX", "label": "x", "level": "impact", "leads_to": "OX"},
        {"territory_id": T, "outcome_id": "OY", "label": "y", "level": "activity", "leads_to": "OZ;OX"},
        {"territory_id": T, "outcome_id": "OZ", "label": "z", "level": "impact", "leads_to": None},
    ]).astype(TABLES["outcomes"].dtypes)
    store.add_rows("outcomes", frame)
    with pytest.raises(StoreError, match=r"« Théorie du changement » : 1 ligne \(OY\)"):
        store.delete_rows("outcomes", {"territory_id": T, "outcome_id": "OX"})
    assert store.delete_rows("outcomes", {"territory_id": T, "outcome_id": "OY"}) == 1
    assert store.delete_rows("outcomes", {"territory_id": T, "outcome_id": "OX"}) == 1


def test_replace_rows_records_only_what_changed(path):
    store = Store(path)
    judgments = store.load(["judgments"], territories=[T])["judgments"]
    wave = int(judgments["wave"].iloc[0])
    old = judgments[judgments["wave"] == wave]
    new = old.copy()
    new.loc[new.index[0], "justification"] = "Revue en comité"
    before = last_id(path)
    store.replace_rows("judgments", new, where={"territory_id": T, "wave": wave}, who="eve")
    entries = trail(path, before)
    assert [(e["action"], e["who"]) for e in entries] == [("update", "eve")]
    assert entries[0]["before"]["justification"] == old["justification"].iloc[0]
    assert entries[0]["after"]["justification"] == "Revue en comité"


def test_reimport_records_the_changed_rows_and_the_counts(path):
    tables = demo_tables()
    meetings = tables["meetings"]
    first = meetings.index[meetings["territory_id"] == T][0]
    meeting = meetings.loc[first, "meeting_id"]
    old_title = meetings.loc[first, "title"]
    tables["meetings"] = meetings.assign(title=meetings["title"].where(meetings.index != first, "Nouveau titre"))
    before = last_id(path)
    Store(path).import_tables(tables, who="fay")
    entries = trail(path, before)
    assert {(e["table"], e["territory_id"]) for e in entries} == {("meetings", T)}
    detail, summary = entries
    assert detail["key"] == {"territory_id": T, "meeting_id": meeting}
    assert (detail["before"]["title"], detail["after"]["title"]) == (old_title, "Nouveau titre")
    n = int((meetings["territory_id"] == T).sum())
    assert (summary["key"], summary["before"], summary["after"]) == (None, {"rows": n}, {"rows": n})
    assert {e["action"] for e in entries} == {"import"}


def test_territory_contents_and_remove_territory(path):
    expected = {name: sql(path, f'SELECT COUNT(*) FROM "{name}" WHERE territory_id = ?', (T,))[0][0]
                for name in TABLE_ORDER}
    expected = {name: n for name, n in expected.items() if n}
    others = {name: sql(path, f'SELECT COUNT(*) FROM "{name}" WHERE territory_id != ?', (T,))[0][0]
              for name in TABLE_ORDER}
    store = Store(path)
    store.record_run(T, data_hash="x", status="ok")
    expected_with_runs = {**expected, "report_runs": 1}
    assert store.territory_contents(T) == expected_with_runs
    before = last_id(path)
    assert store.remove_territory(T, who="gus") == expected_with_runs
    for name in TABLE_ORDER:
        assert sql(path, f'SELECT COUNT(*) FROM "{name}" WHERE territory_id = ?', (T,)) == [(0,)]
        assert sql(path, f'SELECT COUNT(*) FROM "{name}" WHERE territory_id != ?', (T,))[0][0] == others[name]
    entries = trail(path, before)
    assert {e["action"] for e in entries} == {"remove_territory"} and {e["who"] for e in entries} == {"gus"}
    counted = pd.Series([e["table"] for e in entries]).value_counts().to_dict()
    assert counted == expected_with_runs
    # every removed row is kept with its values: the territory's row among them
    [territory] = [e for e in entries if e["table"] == "territories"]
    assert territory["before"]["territory_id"] == T and territory["before"]["name"]
    assert store.territory_contents(T) == {}
    with pytest.raises(UnknownTerritoryError):
        store.remove_territory(T)


def test_audit_frame_and_default_author(path):
    store = Store(path)
    meeting = sql(path, 'SELECT meeting_id FROM "meetings" WHERE territory_id = ? LIMIT 1', (T,))[0][0]
    store.update_row("meetings", {"territory_id": T, "meeting_id": meeting}, {"title": "x"})
    frame = store.audit(T)
    assert list(frame.columns) == ["audit_id", "at", "who", "action", "table", "territory_id", "key", "before",
                                   "after"]
    expected_n = sql(path, "SELECT COUNT(*) FROM audit WHERE territory_id = ?", (T,))[0][0]
    assert len(frame) == expected_n and frame["audit_id"].is_monotonic_increasing
    assert frame["who"].iloc[-1] == getpass.getuser()
    assert json.loads(frame["after"].iloc[-1])["title"] == "x"
    assert len(store.audit(T, limit=2)) == 2 and store.audit(T, limit=2)["audit_id"].iloc[-1] == frame["audit_id"].max()
    assert set(store.audit()["territory_id"]) == set(store.territories())


def test_a_store_from_before_the_audit_trail_gets_one(path):
    with closing(sqlite3.connect(path)) as con:
        con.execute("DROP TABLE audit")
    assert Store(path, read_only=True).audit().empty
    Store(path)
    assert sql(path, "SELECT COUNT(*) FROM audit") == [(0,)]


def test_a_reimport_beyond_the_limit_records_counts_only(path, monkeypatch):
    monkeypatch.setattr("collective_impact.store.importing.AUDIT_DETAIL_LIMIT", 10)
    tables = demo_tables()
    meetings = tables["meetings"]
    first = meetings.index[meetings["territory_id"] == T][0]
    tables["meetings"] = meetings.assign(title=meetings["title"].where(meetings.index != first, "Nouveau titre"))
    before = last_id(path)
    Store(path).import_tables(tables, who="hal")
    entries = trail(path, before)
    # a table replacing more than 10 rows (all territories of the file together): the count of
    # each territory, no row; a smaller table, unchanged here: nothing
    expected = {(name, tid): int(n) for name, frame in tables.items() if len(frame) > 10
                for tid, n in frame.groupby("territory_id").size().items()}
    assert {(e["table"], e["territory_id"]): e["after"]["rows"] for e in entries} == expected
    assert all(e["key"] is None and e["before"] == e["after"] for e in entries)


def test_a_key_cited_in_an_id_list_cannot_change(path):
    partner = "P01"
    meetings = sql(path, """SELECT COUNT(*) FROM "meetings" WHERE territory_id = ?
                            AND ';' || attendees || ';' LIKE '%;P01;%'""", (T,))[0][0]
    before = last_id(path)
    with pytest.raises(StoreError) as info:
        Store(path).update_row("partners", {"territory_id": T, "partner_id": partner}, {"partner_id": "P99"})
    assert "Impossible de changer l'identifiant de (P01) dans la table « Partenaires »" in str(info.value)
    assert f"« Réunions » : {meetings} lignes" in str(info.value)
    assert sql(path, 'SELECT COUNT(*) FROM "partners" WHERE territory_id = ? AND partner_id = ?', (T, partner)) == [(1,)]
    assert last_id(path) == before


def test_remove_territory_takes_its_campaign_links_too(path):
    from datetime import date

    from collective_impact.apps.campaigns import open_wave

    store = Store(path)
    links = open_wave(store, T, 9, closes=date(2031, 1, 31), base_url="https://example.org/", today=date(2031, 1, 1))
    assert sql(path, "SELECT COUNT(*) FROM invitations WHERE territory_id = ?", (T,)) == [(len(links),)]
    contents = store.territory_contents(T)
    assert contents["invitations"] == len(links) and contents["campaigns"] == 1
    store.remove_territory(T)
    assert sql(path, "SELECT COUNT(*) FROM invitations WHERE territory_id = ?", (T,)) == [(0,)]
    assert sql(path, "SELECT COUNT(*) FROM campaigns WHERE territory_id = ?", (T,)) == [(0,)]
    assert sql(path, "SELECT COUNT(*) FROM audit WHERE \"table\" = 'invitations' AND territory_id = ?",
               (T,)) == [(len(links),)]
