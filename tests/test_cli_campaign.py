"""The ``campaign`` command: open, status, reminders, revoke, close; its files; every refusal.

On the small store of ``campaign_support`` (NORD: P1 and P3 mairies, P2 a CAF; SUD: S1).
"""

from __future__ import annotations

import csv
import io
import stat
from datetime import date, timedelta

import pandas as pd
import pytest
from campaign_support import dump, small_store, small_tables

from collective_impact.apps import campaigns
from collective_impact.apps.submit import typed_frame
from collective_impact.cli import main
from collective_impact.store import Store

BASE = "https://evaluation.example.fr"
HOSTILE = '=HYPERLINK("http://x.example")<script>alert(1)</script>'


@pytest.fixture
def closes() -> date:
    return date.today() + timedelta(days=60)


@pytest.fixture
def store_path(tmp_path):
    tables = small_tables()
    partners = tables["partners"]
    # P2's name is hostile: it must stay text in the CSV and inert in the cards
    partners.loc[partners["partner_id"] == "P2", "name"] = HOSTILE
    small_store(tmp_path / "evaluation.sqlite", tables)
    return tmp_path / "evaluation.sqlite"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["campaign", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def open_wave(capsys, store_path, out, closes, *extra, wave=3):
    return run(capsys, "open", "NORD", "--wave", wave, "--closes", closes.isoformat(), "--base-url", BASE,
               "--store", store_path, "--out", out, *extra)


def read_csv(path) -> list[dict[str, str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM French Excel needs
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_open_writes_secret_files(capsys, store_path, tmp_path, closes):
    out = tmp_path / "envoi"
    code, stdout, _ = open_wave(capsys, store_path, out, closes, "--per-partner", 2, "--open", 1)
    assert code == 0
    assert "0600" in stdout and "7 liens" in stdout
    assert "Courriel" in stdout  # the partners table has no e-mail column: said
    for name in ("invitations.csv", "invitations.html"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    rows = read_csv(out / "invitations.csv")
    # 3 partners x 2 links + 1 link tied to no partner
    assert [r["Partenaire"] for r in rows] == ["P1", "P1", "P2", "P2", "P3", "P3", ""]
    assert rows[2]["Nom"] == "'" + HOSTILE  # formula-inert
    assert rows[0]["Type de structure"] == "Mairie / commune"
    assert {r["Courriel"] for r in rows} == {""}
    assert rows[6]["Nom"] == "Lien non nominatif"
    store = Store(store_path)
    for row in rows:
        assert row["Lien personnel"].startswith(BASE + "/q/")
        link = campaigns.resolve_link(store, row["Lien personnel"].rsplit("/", 1)[1])
        assert link.invitation_id == row["Lien n°"]
        assert link.partner_id == (row["Partenaire"] or None)
    page = (out / "invitations.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 7
    assert page.count('class="card"') == 7
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "src=" not in page and "<link" not in page and "@import" not in page  # nothing fetched
    assert "default-src 'none'" in page
    assert all(row["Lien personnel"] in page for row in rows)


@pytest.mark.parametrize("argv, message", [
    (["open", "EST", "--wave", 3], "Territoire inconnu"),
    (["open", "NORD", "--wave", 3, "--closes-in-past"], "déjà passée"),
    (["open", "NORD", "--wave", 1], "déjà ouverte"),
    (["open", "NORD", "--wave", 3, "--base-url", "ftp://x"], "Adresse du serveur"),
    (["revoke", "NORD", "--link", "Linconnu"], "Aucun lien actif"),
    (["revoke", "NORD", "--partner", "P9"], "aucun lien actif"),
    (["revoke", "EST", "--partner", "P1"], "Territoire inconnu"),
    (["close", "NORD", "--wave", 2], "Aucune campagne"),
    (["status", "NORD", "--wave", 2], "Aucune campagne"),
    (["reminders", "SUD"], "aucune vague"),
])
def test_refusals_change_nothing(capsys, store_path, tmp_path, closes, argv, message):
    assert open_wave(capsys, store_path, tmp_path / "first", closes, wave=1)[0] == 0
    before = dump(store_path)
    out = tmp_path / "refused"
    if "--closes-in-past" in argv:
        argv = [a for a in argv if a != "--closes-in-past"] + ["--closes", (date.today() - timedelta(days=1)).isoformat()]
    elif argv[0] == "open":
        argv = [*argv, "--closes", closes.isoformat()]
    if argv[0] == "open" and "--base-url" not in argv:
        argv = [*argv, "--base-url", BASE]
    if argv[0] in ("open", "reminders"):
        argv = [*argv, "--out", out]
    code, _, err = run(capsys, *argv, "--store", store_path)
    assert code == 1
    assert message in err and "Traceback" not in err
    assert dump(store_path) == before
    assert not out.exists()


def test_bad_date_is_a_usage_error(capsys, store_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["campaign", "open", "NORD", "--wave", "3", "--closes", "31/03/2027", "--base-url", BASE,
              "--store", str(store_path)])
    assert exit_info.value.code == 2
    assert "AAAA-MM-JJ" in capsys.readouterr().err


def test_status_counts(capsys, store_path, tmp_path, closes):
    open_wave(capsys, store_path, tmp_path / "v", closes, "--per-partner", 2, "--open", 1)
    store = Store(store_path)
    links = campaigns.links(store, "NORD")
    p1 = [link for link in links if link.partner_id == "P1"]
    # P1: two opened, one answered; the open link: opened; P3: one link revoked
    for link in p1:
        campaigns.mark_opened(store, link)
    answers = pd.DataFrame({"item_id": ["agenda_1"], "score": [4]})
    campaigns.record_answers(store, p1[0], answers, {})
    campaigns.mark_opened(store, next(link for link in links if link.partner_id is None))
    p3 = next(link for link in links if link.partner_id == "P3")
    code, out, _ = run(capsys, "revoke", "NORD", "--link", p3.invitation_id, "--store", store_path)
    assert code == 0 and p3.invitation_id in out
    code, out, _ = run(capsys, "status", "NORD", "--store", store_path)
    assert code == 0
    lines = [line.split() for line in out.splitlines()]
    assert ["P1", "Mairie", "de", "Nord", "Mairie", "/", "commune", "2", "2", "1"] in lines
    assert ["P3", "Mairie", "annexe", "Mairie", "/", "commune", "1", "0", "0"] in lines
    assert lines[next(i for i, w in enumerate(lines) if w[:1] == ["P2"])][-3:] == ["2", "0", "0"]
    # per kind: mairies 2 + 1 invited, 2 opened, 1 answered; the open link 1, 1, 0; total 6, 3, 1
    assert ["Mairie", "/", "commune", "3", "2", "1"] in lines
    assert ["CAF", "2", "0", "0"] in lines
    assert ["Lien", "non", "nominatif", "1", "1", "0"] in lines
    assert ["Total", "6", "3", "1"] in lines
    assert "agenda_1" not in out


def test_reminders_and_reissue(capsys, store_path, tmp_path, closes):
    out = tmp_path / "v"
    open_wave(capsys, store_path, out, closes)
    store = Store(store_path)
    first = {row["Partenaire"]: row for row in read_csv(out / "invitations.csv")}
    p1 = campaigns.resolve_link(store, first["P1"]["Lien personnel"].rsplit("/", 1)[1])
    campaigns.mark_opened(store, campaigns.resolve_link(store, first["P2"]["Lien personnel"].rsplit("/", 1)[1]))
    campaigns.record_answers(store, p1, pd.DataFrame({"item_id": ["agenda_1"], "score": [5]}), {})
    before = dump(store_path)
    code, stdout, _ = run(capsys, "reminders", "NORD", "--store", store_path, "--out", out)
    assert code == 0 and "2 liens" in stdout and "--reissue" in stdout
    assert dump(store_path) == before  # listing changes nothing
    rows = read_csv(out / "relances.csv")
    assert [(r["Partenaire"], r["Lien personnel"], r["Déjà ouvert"]) for r in rows] == [("P2", "", "oui"),
                                                                                       ("P3", "", "non")]
    assert not (out / "relances.html").exists()
    code, stdout, _ = run(capsys, "reminders", "NORD", "--reissue", "--store", store_path, "--out", out)
    assert code == 0 and "0600" in stdout
    fresh = read_csv(out / "relances.csv")
    assert [r["Partenaire"] for r in fresh] == ["P2", "P3"]
    assert stat.S_IMODE((out / "relances.html").stat().st_mode) == 0o600
    for partner in ("P2", "P3"):
        old = campaigns.resolve_link(store, first[partner]["Lien personnel"].rsplit("/", 1)[1])
        assert old.state == "revoked"
    for row in fresh:
        assert campaigns.resolve_link(store, row["Lien personnel"].rsplit("/", 1)[1]).state == "open"
    assert campaigns.resolve_link(store, first["P1"]["Lien personnel"].rsplit("/", 1)[1]).state == "open"


def test_revoke_partner_and_close(capsys, store_path, tmp_path, closes):
    open_wave(capsys, store_path, tmp_path / "v", closes, "--per-partner", 2)
    code, out, _ = run(capsys, "revoke", "NORD", "--partner", "P2", "--store", store_path)
    assert code == 0 and "2 liens" in out
    code, out, _ = run(capsys, "close", "NORD", "--store", store_path)
    # 6 links, 2 revoked: 4 closed
    assert code == 0 and "4 liens" in out
    store = Store(store_path)
    assert sorted(link.state for link in campaigns.links(store, "NORD")) == ["closed"] * 4 + ["revoked"] * 2
    before = dump(store_path)
    code, _, err = run(capsys, "close", "NORD", "--wave", 3, "--store", store_path)
    assert code == 1 and "déjà close" in err
    assert dump(store_path) == before


def test_english_messages(capsys, store_path, tmp_path, closes):
    code, out, _ = run(capsys, "open", "NORD", "--wave", 2, "--closes", closes.isoformat(), "--base-url", BASE,
                       "--store", store_path, "--out", tmp_path / "v", "--lang", "en")
    assert code == 0 and "3 links" in out
    rows = list(csv.reader(io.StringIO((tmp_path / "v" / "invitations.csv").read_text(encoding="utf-8-sig")),
                           delimiter=";"))
    assert rows[0][:3] == ["Partner", "Name", "Kind of organisation"]


def test_comments_are_exported_and_imported(tmp_path):
    """The workbook keeps the partners' comments (export, then import into a new store)."""
    store = small_store(tmp_path / "a.sqlite")
    store.add_rows("comments", typed_frame("comments", [
        {"territory_id": "NORD", "wave": 1, "respondent_id": "R1", "condition": "agenda", "text": "Ligne 1\nligne 2"},
    ]))
    assert main(["export", str(tmp_path / "x.xlsx"), "--store", str(store.path)]) == 0
    assert main(["import", str(tmp_path / "x.xlsx"), "--store", str(tmp_path / "b.sqlite")]) == 0
    back = Store(tmp_path / "b.sqlite").load(["comments"])["comments"]
    assert back[["respondent_id", "condition", "text"]].values.tolist() == [["R1", "agenda", "Ligne 1\nligne 2"]]


def test_files_that_cannot_be_written_undo_the_wave(capsys, store_path, tmp_path, closes):
    """The tokens exist only in the files: when they cannot be written, the wave is not left half-open."""
    blocker = tmp_path / "un-fichier"
    blocker.write_text("pas un dossier")
    before = dump(store_path)
    code, _, err = open_wave(capsys, store_path, blocker / "sous-dossier", closes)
    assert code == 1 and "n'a pas pu être écrit" in err and "Traceback" not in err
    assert dump(store_path) == before
    assert open_wave(capsys, store_path, tmp_path / "v", closes)[0] == 0  # the same wave can then be opened
