"""Read input workbooks and CSV folders; write input workbooks and the blank template.

Reading does not interpret values: :func:`read_sources` finds which sheet (or CSV file)
holds which table and which column is which, and hands the raw cells to
:mod:`collective_impact.validation`, which parses and checks them. Writing goes the other
way: :func:`write_workbook` turns canonical typed tables into a workbook that reads back to
the same tables, and :func:`write_template` writes the blank workbook users fill in.

Answers may also come as a survey tool exports them, one row per respondent and one column
per question: :mod:`collective_impact.io.survey` recognises that shape and reshapes it to
the answers table, one row per answer, before validation (reading the "ne sait pas" codes
and the scale's wording, which only such an export holds).

Names of sheets, CSV files and columns are matched leniently: the canonical id, the French
label or the English label, whatever the case, accents, spaces, ``_`` or ``-``
(see :func:`normalize_label`). A sheet whose name only resembles a table's ("Réponses
(copie)") is a problem naming the table it resembles, never silently skipped.

Limits
------
A file comes from anybody (an upload of the evaluator's server, a mail attachment), so
reading it must not exhaust the machine. Before openpyxl reads a workbook, its zip
directory is checked: the file's size (:data:`MAX_FILE_BYTES`), the total size of its
members once decompressed (:data:`MAX_UNPACKED_BYTES`) and the ratio of the two
(:data:`MAX_RATIO`, beyond :data:`RATIO_FLOOR`); a zip member cannot give more bytes than
its directory declares (``zipfile`` stops there and checks the CRC), so the declared sizes
bound what is read. Every sheet or CSV file may hold :data:`MAX_ROWS` rows at most. Each
limit exceeded is a problem saying which and by how much; :class:`ReadLimits` lowers or
raises them for one call.

Formula cells are read from the value the spreadsheet saved with them; a formula without a
saved value (written by a script, never opened in Excel or LibreOffice) is a problem
naming the cell, never a blank.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from io import BytesIO, StringIO
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from collective_impact.errors import Problem
from collective_impact.files import atomic_path
from collective_impact.i18n import check_lang, t
from collective_impact.i18n.format import format_number
from collective_impact.schema import CODES, TABLE_ORDER, TABLES, Column, Table

if TYPE_CHECKING:
    from collective_impact.io.survey import SurveyReading

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_FILE_BYTES",
    "MAX_RATIO",
    "MAX_ROWS",
    "MAX_UNPACKED_BYTES",
    "RATIO_FLOOR",
    "RawSheet",
    "ReadLimits",
    "match_column",
    "match_table",
    "normalize_label",
    "read_sources",
    "write_template",
    "write_workbook",
]

PathLike = str | os.PathLike

_EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_CSV_SUFFIXES = {".csv", ".txt"}
_LEGACY_SUFFIXES = {".xls", ".ods", ".numbers"}
# The template's data validations and column formats reach down to this row.
_LAST_ROW = 1_048_576
_INLINE_LIST_MAX = 255  # Excel's limit on the text of an inline drop-down list
_DATE_FORMAT = "DD/MM/YYYY"
# A fixed time stamp makes two writes of the same tables byte-identical.
_FIXED_TIME = dt.datetime(2020, 1, 1)

#: Largest workbook or CSV file read (bytes). The demo workbook of four territories is 0.1 MB.
MAX_FILE_BYTES = 50 * 2**20
#: Largest total size of a workbook's zip members once decompressed (bytes).
MAX_UNPACKED_BYTES = 500 * 2**20
#: Largest ratio decompressed / compressed size of a workbook (the demo's is about 9)...
MAX_RATIO = 200.0
#: ...checked only beyond this decompressed size (bytes): a small file may compress very well.
RATIO_FLOOR = 20 * 2**20
#: Most rows of one sheet or CSV file, header and blank rows included.
MAX_ROWS = 200_000


@dataclass(frozen=True)
class ReadLimits:
    """The limits on what reading one file may cost (see the module's notes).

    Attributes
    ----------
    file_bytes, unpacked_bytes : int
        Largest file size, and largest total decompressed size of a workbook's members.
    ratio : float
        Largest decompressed / compressed ratio, checked beyond ``ratio_floor`` bytes.
    ratio_floor : int
        Decompressed size below which the ratio is not checked.
    rows : int
        Most rows of one sheet or CSV file.
    """

    file_bytes: int = MAX_FILE_BYTES
    unpacked_bytes: int = MAX_UNPACKED_BYTES
    ratio: float = MAX_RATIO
    ratio_floor: int = RATIO_FLOOR
    rows: int = MAX_ROWS


DEFAULT_LIMITS = ReadLimits()


@dataclass(frozen=True, eq=False)
class RawSheet:
    """The raw cells of one sheet (or CSV file) recognised as one table.

    Attributes
    ----------
    table : str
        Table id (a key of :data:`collective_impact.schema.TABLES`).
    file : str
        Display name of the file (the workbook, or the folder of CSV files).
    sheet : str
        Sheet name as the user sees it, or the CSV file name.
    frame : pandas.DataFrame
        Raw cell values (strings, or native Excel values: ``int``, ``float``, ``bool``,
        ``datetime``; ``None`` or ``""`` for blank cells), ``object`` dtype, columns renamed
        to canonical column ids. Unrecognised columns are left out (and reported).
    rows : tuple of int
        Row number of each frame row as the spreadsheet shows it (header = row 1).
    labels : dict
        Canonical column id → header text as the user wrote it, for messages.
    flagged : frozenset of (int, str)
        Cells (frame position, column id) already reported as a problem while reading (a
        formula without a saved value); they are blank in ``frame`` and not checked again.
    cell_labels : dict
        (frame position, column id) → header text, for the cells whose column title differs
        from row to row: a survey export (:mod:`collective_impact.io.survey`) becomes one
        frame row per answer, and each answer's cell is titled by its question's column.
        Where a cell is absent, ``labels`` applies.
    """

    table: str
    file: str
    sheet: str
    frame: pd.DataFrame
    rows: tuple[int, ...]
    labels: dict[str, str]
    flagged: frozenset[tuple[int, str]] = frozenset()
    cell_labels: Mapping[tuple[int, str], str] = field(default_factory=dict)


# ---------------------------------------------------------------------------- names


def normalize_label(text: object) -> str:
    """Reduce a sheet, column or value label to a comparable form.

    Accents, case, punctuation, ``_``, ``-`` and runs of spaces are ignored:
    ``" Théorie_du-Changement "`` and ``"theorie du changement"`` give the same result.

    Parameters
    ----------
    text : object
        The label; converted with ``str``.

    Returns
    -------
    str
        Lower-case ASCII letters and digits separated by single spaces.
    """
    decomposed = unicodedata.normalize("NFKD", str(text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # œ and æ do not decompose; spell them out as a user typing without them would.
    stripped = stripped.casefold().replace("œ", "oe").replace("æ", "ae")
    return re.sub(r"[^a-z0-9]+", " ", stripped).strip()


def _table_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for table in TABLES.values():
        for name in (table.id, table.label.fr, table.label.en):
            lookup[normalize_label(name)] = table.id
    return lookup


def _column_lookup(table: Table) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in table.columns:
        for name in (column.id, column.label.fr, column.label.en):
            lookup[normalize_label(name)] = column.id
    return lookup


_TABLES_BY_NAME = _table_lookup()
_COLUMNS_BY_NAME = {table.id: _column_lookup(table) for table in TABLES.values()}


def match_table(name: str) -> str | None:
    """Return the id of the table a sheet or CSV file name designates, or ``None``.

    The name may be the table id or its French or English label (see
    :func:`normalize_label`); a CSV extension is ignored, and so is a leading
    ``"Workbook - "`` as online spreadsheets add to the files they export.
    """
    stem = re.sub(r"\.(csv|txt)$", "", name.strip(), flags=re.IGNORECASE)
    found = _TABLES_BY_NAME.get(normalize_label(stem))
    if found is None and " - " in stem:
        found = _TABLES_BY_NAME.get(normalize_label(stem.rsplit(" - ", 1)[1]))
    return found


def match_column(table_id: str, header: str) -> str | None:
    """Return the canonical id of the column ``header`` designates in a table, or ``None``."""
    return _COLUMNS_BY_NAME[table_id].get(normalize_label(header))


# The template's own sheets besides the tables, in both languages: never a table, never a problem.
_OWN_SHEETS = {normalize_label(t(key, lang)) for key in ("io.readme_sheet", "io.items_sheet", "io.lists_sheet")
               for lang in ("fr", "en")}


def _resembling_table(name: str) -> str | None:
    """The table a sheet or file name that matches none seems meant for ("Réponses (copie)"), or ``None``."""
    stem = normalize_label(re.sub(r"\.(csv|txt)$", "", name.strip(), flags=re.IGNORECASE))
    if not stem or stem in _OWN_SHEETS:
        return None
    padded = f" {stem} "
    # a table's name among the words of the name, the longest first ("theorie du changement" before "mesures")
    for known in sorted(_TABLES_BY_NAME, key=len, reverse=True):
        if f" {known} " in padded:
            return _TABLES_BY_NAME[known]
    close = get_close_matches(stem, list(_TABLES_BY_NAME), n=1, cutoff=0.8)
    return _TABLES_BY_NAME[close[0]] if close else None


def _unknown_sheet(display: str, name: str, lang: str) -> Problem | None:
    """The problem of a sheet or CSV file that resembles a table without being named after it."""
    table = _resembling_table(name)
    if table is None:
        return None
    return Problem(display, name, None, None, None,
                   t("io.unknown_sheet", lang, table=_quoted(TABLES[table].label(lang), lang)))


def _quoted(text: str, lang: str) -> str:
    return f"« {text} »" if lang == "fr" else f"'{text}'"


def _expected_tables(lang: str) -> str:
    return ", ".join(_quoted(TABLES[table_id].label(lang), lang) for table_id in TABLE_ORDER)


# ---------------------------------------------------------------------------- reading


def read_sources(paths: PathLike | Iterable[PathLike], *, lang: str = "fr",
                 limits: ReadLimits = DEFAULT_LIMITS, framework=None,
                 dont_know: Iterable[str] | None = None) -> tuple[list[RawSheet], list[Problem]]:
    """Read workbooks and CSV folders into raw sheets, one per recognised table.

    The answers may also come as a survey tool exports them, one row per respondent and
    one column per question (see :mod:`collective_impact.io.survey`): such a sheet or CSV
    file is recognised by its columns, even under another name ("Réponses au formulaire 1",
    ``results-survey123456.csv``), and read as the answers table, one row per answer.

    Parameters
    ----------
    paths : path or iterable of paths
        Each is an ``.xlsx`` workbook (one sheet per table), a folder of CSV files (one
        file per table, named after the table) or a single CSV file named after a table.
    lang : {"fr", "en"}
        Language of the problem messages.
    limits : ReadLimits
        What reading one file may cost (default: the module's constants).
    framework : Framework or str, optional
        The framework whose questions a survey export's columns may name (default: the
        default framework).
    dont_know : iterable of str, optional
        The answers of a survey export meaning "ne sait pas", besides a blank cell
        (default: :data:`collective_impact.io.survey.DONT_KNOW`).

    Returns
    -------
    sheets : list of RawSheet
        Every sheet or CSV file recognised as a table, in file order (an empty one too:
        it says the table is present and empty). Sheets that match no table and resemble
        none (e.g. an instructions sheet) are ignored.
    problems : list of Problem
        Files that cannot be read, exceed a limit or hold no recognisable sheet; sheets
        that resemble a table without being named after it; unknown, duplicated or
        untitled columns, missing required columns; formulas without a saved value.
        Other cell values are not checked here.
    """
    check_lang(lang)
    # survey builds on this module's names, so it is imported once this module is complete
    from collective_impact.io.survey import SurveyReading

    survey = SurveyReading.of(framework, dont_know, max_answers=limits.rows)
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    sheets: list[RawSheet] = []
    problems: list[Problem] = []
    for raw_path in paths:
        path = Path(raw_path)
        display = path.name or str(raw_path)
        suffix = path.suffix.lower()
        if not path.exists():
            problems.append(Problem(str(raw_path), "", None, None, None, t("io.file_not_found", lang)))
        elif path.is_dir():
            _read_csv_folder(path, display, lang, limits, sheets, problems, survey)
        elif suffix in _EXCEL_SUFFIXES:
            _read_workbook(path, display, lang, limits, sheets, problems, survey)
        elif suffix in _CSV_SUFFIXES:
            table = match_table(path.name)
            found = _read_csv_file(path, display, path.name, table, lang, limits, sheets, problems, survey)
            if not found:
                problems.append(Problem(display, path.name, None, None, None,
                                        t("io.unknown_csv", lang, expected=_expected_tables(lang))))
        else:
            problems.append(Problem(display, "", None, None, None, t("io.unsupported", lang)))
    return sheets, problems


def _size_text(n: float, lang: str) -> str:
    if n < 2**20:
        return t("io.kilobytes", lang, n=format_number(n / 2**10, lang, decimals=0))
    return t("io.megabytes", lang, n=format_number(n / 2**20, lang, decimals=1))


def _file_too_big(path: Path, display: str, lang: str, limits: ReadLimits) -> Problem | None:
    size = path.stat().st_size
    if size <= limits.file_bytes:
        return None
    return Problem(display, "", None, None, None, t("io.too_big", lang, size=_size_text(size, lang),
                                                    limit=_size_text(limits.file_bytes, lang)))


def _zip_problem(path: Path, display: str, lang: str, limits: ReadLimits) -> Problem | None:
    """Check a workbook's size and its zip directory before any member is decompressed."""
    problem = _file_too_big(path, display, lang, limits)
    if problem is not None:
        return problem
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return Problem(display, "", None, None, None, t("io.unreadable", lang))
    size = max(path.stat().st_size, 1)
    if unpacked > limits.unpacked_bytes or (unpacked > limits.ratio_floor and unpacked / size > limits.ratio):
        return Problem(display, "", None, None, None,
                       t("io.too_big_unpacked", lang, size=_size_text(size, lang), unpacked=_size_text(unpacked, lang),
                         limit=_size_text(limits.unpacked_bytes, lang),
                         ratio=format_number(limits.ratio, lang, decimals=0)))
    return None


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula (an ``<f>`` element)."""
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                tail = b""
                with archive.open(info) as member:
                    while chunk := member.read(1 << 20):
                        # the tag may straddle two chunks: keep the end of the previous one
                        if re.search(rb"<(?:\w+:)?f[ >/]", tail + chunk):
                            return True
                        tail = chunk[-16:]
    return False


class _Formula(str):
    """A formula cell without a saved value: the formula's text, reported by :func:`_build_sheet`."""

    __slots__ = ()


class _TooManyRowsError(Exception):
    """Raised by :func:`_limited` after ``limits.rows`` rows."""


def _limited(rows: Iterable[list], limit: int) -> Iterator[list]:
    for number, row in enumerate(rows, start=1):
        if number > limit:
            raise _TooManyRowsError
        yield row


def _with_formulas(values: Iterable[tuple], cells: Iterable[tuple]) -> Iterator[list]:
    """The saved values of a sheet, a formula without a saved value replaced by its :class:`_Formula`."""
    for row, formula_row in zip(values, cells, strict=False):
        merged = list(row)
        for j, cell in enumerate(formula_row):
            if j < len(merged) and _blank(merged[j]) and getattr(cell, "data_type", None) == "f":
                merged[j] = _Formula(str(cell.value))
        yield merged


def _read_workbook(path: Path, display: str, lang: str, limits: ReadLimits, sheets: list[RawSheet],
                   problems: list[Problem], survey: SurveyReading) -> None:
    problem = _zip_problem(path, display, lang, limits)
    if problem is not None:
        problems.append(problem)
        return
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False) if _has_formulas(path) else None
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a damaged file
        problems.append(Problem(display, "", None, None, None, t("io.unreadable", lang)))
        return
    try:
        names = workbook.sheetnames
        found = False
        for worksheet in workbook.worksheets:
            table = match_table(worksheet.title)
            if table is None and normalize_label(worksheet.title) in _OWN_SHEETS:
                continue
            found = found or table is not None
            # Some producers write a wrong <dimension>; read every stored row instead.
            worksheet.reset_dimensions()
            grid: Iterable[list] = (list(values) for values in worksheet.iter_rows(values_only=True))
            if formulas is not None:
                cells = formulas[worksheet.title]
                cells.reset_dimensions()
                grid = _with_formulas(grid, cells.iter_rows())
            try:
                sheet, sheet_problems = _build_sheet(table, display, worksheet.title, _limited(grid, limits.rows), lang,
                                                     survey)
            except _TooManyRowsError:
                # past its header, a sheet named after no table is read only as a survey export
                found = True
                problems.append(Problem(display, worksheet.title, None, None, None,
                                        t("io.too_many_rows", lang, limit=format_number(limits.rows, lang, decimals=0))))
                continue
            except Exception:  # a sheet's XML cut or damaged: openpyxl fails while reading its rows
                if table is None:
                    _not_a_table(display, worksheet.title, lang, problems)
                else:
                    problems.append(Problem(display, worksheet.title, None, None, None, t("io.unreadable_sheet", lang)))
                continue
            problems.extend(sheet_problems)
            if sheet is None:  # neither a table's name nor a survey export's columns
                _not_a_table(display, worksheet.title, lang, problems)
                continue
            found = True
            sheets.append(sheet)
        if not found:
            problems.append(Problem(display, ", ".join(names), None, None, None,
                                    t("io.no_sheet", lang, expected=_expected_tables(lang))))
    finally:
        workbook.close()
        if formulas is not None:
            formulas.close()


def _not_a_table(display: str, name: str, lang: str, problems: list[Problem]) -> None:
    """A sheet or CSV file read as no table: a problem when its name looks like a table's
    without being one (e.g. « Réponses (copie) »), else nothing."""
    unknown = _unknown_sheet(display, name, lang)
    if unknown is not None:
        problems.append(unknown)


def _read_csv_folder(folder: Path, display: str, lang: str, limits: ReadLimits, sheets: list[RawSheet],
                     problems: list[Problem], survey: SurveyReading) -> None:
    found = False
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        # Skip hidden files and the lock files spreadsheets leave beside an open file.
        if not path.is_file() or path.suffix.lower() not in _CSV_SUFFIXES or path.name.startswith((".", "~$")):
            continue
        if _read_csv_file(path, display, path.name, match_table(path.name), lang, limits, sheets, problems, survey):
            found = True
        else:
            _not_a_table(display, path.name, lang, problems)
    if not found:
        problems.append(Problem(display, "", None, None, None, t("io.no_csv", lang, expected=_expected_tables(lang))))


class _BomNotUtf8Error(Exception):
    """Raised by :func:`_decode` for a file that starts with the UTF-8 mark but is not UTF-8."""

    def __init__(self, err: UnicodeDecodeError) -> None:
        super().__init__(str(err))
        self.position = err.start
        self.byte = err.object[err.start:err.start + 1]


def _decode(data: bytes) -> str:
    """Decode CSV bytes: UTF-16 with BOM, UTF-8 with or without BOM, else Windows-1252.

    A file that starts with the UTF-8 mark (BOM) says it is UTF-8: when it is not (a tool
    added the mark to Windows-1252 text), guessing would give wrong letters in names and
    headers without a word, so :class:`_BomNotUtf8Error` is raised instead.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        if data.startswith(b"\xef\xbb\xbf"):
            raise _BomNotUtf8Error(err) from err
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # five bytes are undefined in cp1252; latin-1 maps them all
        return data.decode("latin-1")


def _sniff_delimiter(text: str) -> str:
    """Pick the separator giving the most fields in the header line (``;`` wins ties)."""
    header = next((line for line in text.splitlines() if line.strip(" \t;,")), "")
    best, best_count = ";", 1
    for delimiter in (";", ",", "\t"):
        count = len(next(csv.reader([header], delimiter=delimiter), []))
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _csv_records(path: Path, display: str, sheet_name: str, lang: str,
                 limits: ReadLimits) -> tuple[list[list[str]], Problem | None]:
    """The records of a CSV file, or the problem that prevents reading it."""
    try:
        problem = _file_too_big(path, display, lang, limits)
        if problem is not None:
            return [], replace(problem, sheet=sheet_name)
        text = _decode(path.read_bytes())
        # Excel writes and reads a first line "sep=;" naming the separator; it shows no row for it.
        hint = re.match(r"sep=(.)[ \t]*\r?\n", text, flags=re.IGNORECASE)
        if hint:
            delimiter, text = hint.group(1), text[hint.end():]
        else:
            delimiter = _sniff_delimiter(text)
        # One CSV record is one spreadsheet row, even when a quoted cell holds line breaks,
        # so counting records (not lines) gives the row numbers the user sees.
        return list(_limited(csv.reader(StringIO(text, newline=""), delimiter=delimiter), limits.rows)), None
    except _BomNotUtf8Error as err:
        return [], Problem(display, sheet_name, None, None, None,
                           t("io.bom_not_utf8", lang, byte=f"0x{err.byte.hex().upper()}", position=err.position))
    except _TooManyRowsError:
        return [], Problem(display, sheet_name, None, None, None,
                           t("io.too_many_rows", lang, limit=format_number(limits.rows, lang, decimals=0)))
    except (OSError, UnicodeError, csv.Error):
        return [], Problem(display, sheet_name, None, None, None, t("io.unreadable_csv", lang))


def _read_csv_file(path: Path, display: str, sheet_name: str, table: str | None, lang: str, limits: ReadLimits,
                   sheets: list[RawSheet], problems: list[Problem], survey: SurveyReading) -> bool:
    """Read one CSV file as ``table``, or, when ``table`` is ``None``, as a survey export if it is one.

    Returns ``False`` when ``table`` is ``None`` and the file is no readable survey export
    (nothing read, nothing reported), ``True`` otherwise.
    """
    records, problem = _csv_records(path, display, sheet_name, lang, limits)
    if problem is not None:
        if table is not None:
            problems.append(problem)
        return table is not None
    sheet, sheet_problems = _build_sheet(table, display, sheet_name, iter(records), lang, survey)
    problems.extend(sheet_problems)
    if sheet is None:
        return False
    sheets.append(sheet)
    return True


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    return False


def _build_sheet(table_id: str | None, file: str, sheet_name: str, grid: Iterable[list], lang: str,
                 survey: SurveyReading | None = None) -> tuple[RawSheet | None, list[Problem]]:
    """Turn the rows of a sheet into a :class:`RawSheet`; the first non-blank row is the header
    (but see :func:`_find_header` for a survey export).

    A sheet without any value gives a :class:`RawSheet` without rows: the table is present
    in the file, and empty. An answers sheet whose columns are a survey export's (one per
    question, see ``survey``) is reshaped to one row per answer; so is a sheet whose name
    matches no table (``table_id`` is ``None``) when its columns are a survey export's;
    otherwise such a sheet gives ``None`` and no problem.
    """
    searching = survey is not None and table_id in (None, "responses")
    header_row, header, grid = _find_header(iter(grid), survey if searching else None)
    layout = survey.layout(header) if searching else None
    if layout is not None:
        rows, records, flagged, problems = _read_rows(file, sheet_name, header_row, header, grid, layout.used, lang)
        sheet, sheet_problems = survey.sheet(layout, file, sheet_name, header_row, rows, records, flagged, lang)
        return sheet, sheet_problems + problems
    if table_id is None:
        return None, []
    table = TABLES[table_id]
    problems: list[Problem] = []
    if not header_row:
        # an empty sheet: nothing to read, nothing wrong
        return RawSheet(table_id, file, sheet_name, pd.DataFrame(index=pd.RangeIndex(0)), (), {}), problems

    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    for j, cell in enumerate(header):
        if _blank(cell):
            continue
        text = str(cell).strip()
        column_id = match_column(table_id, text)
        if column_id is None:
            expected = ", ".join(c.label(lang) for c in table.columns)
            problems.append(Problem(file, sheet_name, None, text, None, t("io.unknown_column", lang, expected=expected)))
        elif column_id in positions:
            other = get_column_letter(positions[column_id] + 1)
            problems.append(Problem(file, sheet_name, None, text, None, t("io.duplicate_column", lang, other=other)))
        else:
            positions[column_id] = j
            labels[column_id] = text

    columns_at = {j: column_id for column_id, j in positions.items()}
    rows, records, flagged, row_problems = _read_rows(file, sheet_name, header_row, header, grid, columns_at, lang)
    problems += row_problems
    problems += _missing_columns(table_id, file, sheet_name, positions, lang)

    data = {
        column_id: pd.Series([values[j] if j < len(values) else None for values in records], dtype=object)
        for column_id, j in sorted(positions.items(), key=lambda kv: kv[1])
    }
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(records)))
    return RawSheet(table_id, file, sheet_name, frame, tuple(rows), labels, frozenset(flagged)), problems


#: Rows a survey tool may write above its column titles (Framaforms: the form's title, then the groups).
_TITLE_ROWS = 2


def _find_header(grid: Iterator[list], survey: SurveyReading | None) -> tuple[int, list, Iterator[list]]:
    """The header's row number and values (0 and ``[]`` for a blank sheet), and the rows below it.

    The header is the first non-blank row. With ``survey`` (an answers sheet, or a sheet
    named after no table), when that row names no column nor question, the next non-blank
    rows (up to :data:`_TITLE_ROWS`) are tried: the first one whose columns are a survey
    export's, with two questions at least (a data row of the long shape names one), is
    the header, and the rows above it are titles.
    """
    ahead: list[list] = []  # the rows read, blank ones included, so that the rest keeps its numbers
    first = 0
    titles = 0
    for values in grid:
        ahead.append(values)
        if all(_blank(v) for v in values):
            continue
        number = len(ahead)
        if not first:
            first = number
            if survey is None or survey.recognises(values):
                break
        elif survey.is_header(values):
            return number, values, chain(ahead[number:], grid)
        titles += 1
        if titles > _TITLE_ROWS:
            break
    if not first:
        return 0, [], iter(())
    return first, ahead[first - 1], chain(ahead[first:], grid)


def _missing_columns(table_id: str, file: str, sheet_name: str, present: Iterable[str], lang: str) -> list[Problem]:
    """One problem per required column of ``table_id`` absent from ``present`` (column ids)."""
    present = set(present)
    return [Problem(file, sheet_name, None, column.label(lang), None,
                    t("io.missing_column", lang, label=column.label(lang)))
            for column in TABLES[table_id].columns if column.required and column.id not in present]


def _read_rows(file: str, sheet_name: str, header_row: int, header: list, grid: Iterator[list],
               used: Mapping[int, str], lang: str
               ) -> tuple[list[int], list[list], set[tuple[int, str]], list[Problem]]:
    """Read the rows below the header.

    Parameters
    ----------
    used : mapping of int to str
        Position of each column read → its key (a column id, or a survey export's question).

    Returns
    -------
    rows : list of int
        The spreadsheet row number of each record.
    records : list of list
        The raw values of each non-blank row (a formula without a saved value reads blank).
    flagged : set of (int, str)
        (record position, key) of the formulas without a saved value in used columns.
    problems : list of Problem
        Those formulas, and values under a blank title or right of the last title.
    """
    problems: list[Problem] = []
    untitled = [j for j, cell in enumerate(header) if _blank(cell)]
    rows: list[int] = []
    records: list[list] = []
    flagged: set[tuple[int, str]] = set()
    untitled_used: set[int] = set()
    for number, values in enumerate(grid, start=header_row + 1):
        if all(_blank(v) for v in values):
            continue  # blank rows (in the middle or at the end) carry nothing; their numbers are skipped
        for j, value in enumerate(values):
            if isinstance(value, _Formula) and j in used:
                problems.append(Problem(file, sheet_name, number, str(header[j]).strip(), str(value),
                                        t("io.formula_without_value", lang, cell=f"{get_column_letter(j + 1)}{number}")))
                flagged.add((len(records), used[j]))
        rows.append(number)
        records.append([None if isinstance(v, _Formula) else v for v in values])
        # A value under a blank title, or right of the last title, belongs to no column.
        untitled_used.update(j for j, v in enumerate(values) if (j in untitled or j >= len(header)) and not _blank(v))
    for j in sorted(untitled_used):
        problems.append(Problem(file, sheet_name, None, get_column_letter(j + 1), None,
                                t("io.untitled_column", lang, row=header_row)))
    return rows, records, flagged, problems


# ---------------------------------------------------------------------------- writing


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _code_labels(codes_name: str, lang: str) -> dict[str, str]:
    return {code.id: code.label(lang) for code in CODES[codes_name]}


def _cell_value(column: Column, value: object, lang: str) -> object:
    """Convert one canonical value into what the input workbook shows."""
    if _is_missing(value):
        return None
    if column.kind == "code":
        return _code_labels(column.codes, lang).get(str(value), str(value))
    if column.kind == "bool":
        return t("io.yes" if bool(value) else "io.no", lang)
    if column.kind == "date":
        return pd.Timestamp(value).to_pydatetime()
    if column.kind == "int":
        return int(value)
    if column.kind == "float":
        return float(value)
    # openpyxl refuses control characters; they cannot be typed in a cell anyway.
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


_HEADER_FONT = Font(bold=True, color="FFFFFF")
_REQUIRED_FILL = PatternFill("solid", fgColor="1F4E79")
_OPTIONAL_FILL = PatternFill("solid", fgColor="5B9BD5")
_TITLE_FONT = Font(bold=True, size=14)
_HEADING_FONT = Font(bold=True, size=12)
_WRAP = Alignment(wrap_text=True, vertical="top")


def _column_help(column: Column, lang: str) -> str:
    parts = [column.help(lang)]
    if column.kind == "int":
        parts.append(t("io.kind_int", lang, min=int(column.min or 0), max=int(column.max or 0)))
    else:
        parts.append(t(f"io.kind_{column.kind}", lang))
    parts.append(t("io.comment_required" if column.required else "io.comment_optional", lang))
    return " ".join(p for p in parts if p)


def _write_table_sheet(worksheet: Worksheet, table: Table, frame: pd.DataFrame | None, lang: str) -> None:
    for j, column in enumerate(table.columns, start=1):
        cell = worksheet.cell(row=1, column=j, value=column.label(lang))
        cell.font = _HEADER_FONT
        cell.fill = _REQUIRED_FILL if column.required else _OPTIONAL_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        comment = Comment(_column_help(column, lang), "collective-impact")
        comment.width, comment.height = 320, 110
        cell.comment = comment
    widths = [len(column.label(lang)) + 4 for column in table.columns]
    if frame is not None and len(frame):
        present = [c for c in table.columns if c.id in frame.columns]
        for i, values in enumerate(zip(*(frame[c.id].tolist() for c in present), strict=True), start=2):
            for column, value in zip(present, values, strict=True):
                j = table.column_ids.index(column.id) + 1
                shown = _cell_value(column, value, lang)
                cell = worksheet.cell(row=i, column=j, value=shown)
                if isinstance(shown, str):
                    # A text starting with "=" must stay text, never become a formula.
                    cell.data_type = "s"
                    widths[j - 1] = max(widths[j - 1], min(len(shown), 60) + 2)
                elif column.kind == "date":
                    cell.number_format = _DATE_FORMAT
                    widths[j - 1] = max(widths[j - 1], 12)
    for j, column in enumerate(table.columns, start=1):
        letter = get_column_letter(j)
        worksheet.column_dimensions[letter].width = max(12, min(widths[j - 1], 60))
        # Typing 01 in an id column must keep the leading zero, and a date column shows dates.
        if column.kind in {"id", "idlist", "str"}:
            worksheet.column_dimensions[letter].number_format = "@"
        elif column.kind == "date":
            worksheet.column_dimensions[letter].number_format = _DATE_FORMAT
    worksheet.freeze_panes = "A2"


def _list_validation(values: Sequence[str], lists_sheet: Worksheet, lists_column: int, lang: str) -> DataValidation:
    """A drop-down list: inline when short and comma-free, else a range of the hidden lists sheet."""
    letter = get_column_letter(lists_column)
    for i, value in enumerate(values, start=2):
        lists_sheet.cell(row=i, column=lists_column, value=value).data_type = "s"
    inline = ",".join(values)
    if len(inline) <= _INLINE_LIST_MAX and not any("," in v or '"' in v for v in values):
        formula = f'"{inline}"'
    else:
        formula = f"{quote_sheetname(lists_sheet.title)}!${letter}$2:${letter}${len(values) + 1}"
    return DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                          errorTitle=t("io.dv_title", lang), error=t("io.dv_list", lang))


def _add_validations(worksheet: Worksheet, table: Table, lists_sheet: Worksheet, items_range: str | None,
                     items_sheet_title: str, lang: str) -> None:
    """Drop-down lists and checks on the data cells of one table sheet."""
    for j, column in enumerate(table.columns, start=1):
        letter = get_column_letter(j)
        validation: DataValidation | None = None
        if column.kind == "code":
            labels = [code.label(lang) for code in column.allowed()]
            lists_column = lists_sheet.max_column + 1 if lists_sheet.cell(row=1, column=1).value is not None else 1
            lists_sheet.cell(row=1, column=lists_column, value=f"{table.label(lang)} : {column.label(lang)}")
            validation = _list_validation(labels, lists_sheet, lists_column, lang)
        elif column.kind == "bool":
            validation = DataValidation(type="list", formula1=f'"{t("io.yes", lang)},{t("io.no", lang)}"',
                                        allow_blank=True, showErrorMessage=True,
                                        errorTitle=t("io.dv_title", lang), error=t("io.dv_bool", lang))
        elif column.kind == "int" and column.min == 1 and column.max in (4, 5):
            choices = ",".join(str(v) for v in range(1, int(column.max) + 1))
            error = t("io.dv_score" if column.max == 5 else "io.dv_rating", lang)
            validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True, showErrorMessage=True,
                                        errorTitle=t("io.dv_title", lang), error=error)
        elif column.kind == "int" and column.id == "wave":
            validation = DataValidation(type="whole", operator="between", formula1=str(int(column.min or 0)),
                                        formula2=str(int(column.max or 0)), allow_blank=True, showErrorMessage=True,
                                        errorTitle=t("io.dv_title", lang), error=t("io.dv_wave", lang))
        elif column.kind == "date":
            validation = DataValidation(type="date", operator="between", formula1="DATE(1900,1,1)",
                                        formula2="DATE(2100,12,31)", allow_blank=True, showErrorMessage=True,
                                        errorTitle=t("io.dv_title", lang), error=t("io.dv_date", lang))
        elif table.id == "responses" and column.id == "item_id" and items_range:
            # Only a warning: another framework version may have other item ids.
            validation = DataValidation(type="list", formula1=items_range, allow_blank=True, showErrorMessage=True,
                                        errorStyle="warning", errorTitle=t("io.dv_title", lang),
                                        error=t("io.dv_item", lang, sheet=items_sheet_title))
        if validation is not None:
            validation.add(f"{letter}2:{letter}{_LAST_ROW}")
            worksheet.add_data_validation(validation)


def _write_readme(worksheet: Worksheet, lang: str, items_sheet_title: str) -> None:
    lines: list[tuple[str, Font | None]] = [(t("io.readme_title", lang), _TITLE_FONT), ("", None),
                                            (t("io.readme_intro", lang), None), ("", None),
                                            (t("io.readme_sheets", lang), _HEADING_FONT)]
    for table_id in TABLE_ORDER:
        table = TABLES[table_id]
        required = ", ".join(c.label(lang) for c in table.columns if c.required)
        lines.append(("• " + t("io.readme_sheet_line", lang, sheet=table.label(lang),
                                help=table.help(lang), required=required), None))
    responses = TABLES["responses"]
    lines.append(("• " + t("io.readme_items_line", lang, sheet=items_sheet_title,
                            column=responses.column("item_id").label(lang), responses=responses.label(lang)), None))
    lines += [("", None), (t("io.readme_rules", lang), _HEADING_FONT)]
    for key in ("ids", "dates", "numbers", "dont_know", "ratings", "lists", "yesno", "codes", "qpv"):
        lines.append(("• " + t(f"io.readme_{key}", lang), None))
    lines += [("", None), (t("workbook.readme.check", lang), _HEADING_FONT)]
    for key in ("upload", "command", "csv"):
        lines.append(("• " + t(f"workbook.readme.{key}", lang), None))
    lines.append(("• " + t("workbook.readme.survey", lang, responses=responses.label(lang), items=items_sheet_title,
                            territory=responses.column("territory_id").label(lang),
                            wave=responses.column("wave").label(lang),
                            respondent=responses.column("respondent_id").label(lang)), None))
    for i, (text, font) in enumerate(lines, start=1):
        cell = worksheet.cell(row=i, column=1, value=text or None)
        cell.alignment = _WRAP
        if font is not None:
            cell.font = font
    worksheet.column_dimensions["A"].width = 110


def _write_items(worksheet: Worksheet, framework, lang: str) -> str:
    """List the framework's items; return the range of their ids, for the drop-down list."""
    headers = [t("io.items_header_id", lang), t("io.items_header_condition", lang), t("io.items_header_text", lang)]
    for j, header in enumerate(headers, start=1):
        cell = worksheet.cell(row=1, column=j, value=header)
        cell.font = _HEADER_FONT
        cell.fill = _REQUIRED_FILL
    for i, item in enumerate(framework.items, start=2):
        worksheet.cell(row=i, column=1, value=item.id)
        worksheet.cell(row=i, column=2, value=framework.condition(item.condition).label(lang))
        worksheet.cell(row=i, column=3, value=item.text(lang)).alignment = _WRAP
    for letter, width in zip("ABC", (18, 36, 100), strict=True):
        worksheet.column_dimensions[letter].width = width
    worksheet.freeze_panes = "A2"
    return f"{quote_sheetname(worksheet.title)}!$A$2:$A${len(framework.items) + 1}"


def _build_workbook(tables: Mapping[str, pd.DataFrame], lang: str, framework) -> Workbook:
    from collective_impact.framework import load_framework

    check_lang(lang)
    if framework is None or isinstance(framework, str):
        framework = load_framework(framework) if framework else load_framework()
    workbook = Workbook()
    readme = workbook.active
    readme.title = t("io.readme_sheet", lang)
    sheets = {table_id: workbook.create_sheet(TABLES[table_id].label(lang)) for table_id in TABLE_ORDER}
    items_sheet = workbook.create_sheet(t("io.items_sheet", lang))
    lists_sheet = workbook.create_sheet(t("io.lists_sheet", lang))
    lists_sheet.sheet_state = "hidden"
    _write_readme(readme, lang, items_sheet.title)
    items_range = _write_items(items_sheet, framework, lang)
    for table_id, worksheet in sheets.items():
        table = TABLES[table_id]
        _write_table_sheet(worksheet, table, tables.get(table_id), lang)
        _add_validations(worksheet, table, lists_sheet, items_range, items_sheet.title, lang)
    workbook.active = 0
    return workbook


def _save(workbook: Workbook, path: PathLike, lang: str) -> None:
    """Save with fixed time stamps, so the same tables always give the same bytes.

    The file is written under a temporary name and moved into place (see
    :func:`collective_impact.files.atomic_path`): a failure leaves the previous file or none.
    """
    workbook.properties.created = _FIXED_TIME
    workbook.properties.creator = "collective-impact"
    buffer = BytesIO()
    workbook.save(buffer)
    stamp = _FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with (atomic_path(path, lang=lang) as temporary, zipfile.ZipFile(buffer) as source,
          zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)


def write_workbook(tables: Mapping[str, pd.DataFrame], path: PathLike, *, lang: str = "fr", framework=None) -> None:
    """Write canonical typed tables as an input workbook.

    The workbook has the layout of the template (instructions sheet, one sheet per table,
    questionnaire items, drop-down lists) filled with the tables' rows: coded values as
    their label in ``lang``, dates as real Excel dates (JJ/MM/AAAA), booleans as oui/non
    (yes/no), missing values as empty cells. A text is always written as text, so that a
    value starting with ``=``, ``+``, ``-`` or ``@`` is never evaluated as a formula by
    Excel or LibreOffice (and reads back as the same text). Read back with
    :func:`collective_impact.validation.load_files`, it gives the same tables.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Canonical typed tables keyed by table id (see :mod:`collective_impact.schema`);
        absent tables give empty sheets.
    path : path
        The ``.xlsx`` file to write (parent folders are created); written whole or not at all.
    lang : {"fr", "en"}
        Language of sheet names, headers, coded values and instructions.
    framework : Framework or str, optional
        Framework whose items are listed (default: the default framework).
    """
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise ValueError(f"unknown table(s): {', '.join(unknown)}")
    _save(_build_workbook(tables, lang, framework), path, lang)


def write_template(path: PathLike, *, lang: str = "fr", framework=None) -> None:
    """Write the blank input workbook.

    An instructions sheet in plain words, one sheet per table with its column titles (each
    with a note explaining it; required columns in dark blue), drop-down lists for coded
    columns, answers (1–5), ratings (1–4) and yes/no, the list of questionnaire items, and
    a hidden sheet holding the longer drop-down lists.

    Parameters
    ----------
    path : path
        The ``.xlsx`` file to write (parent folders are created).
    lang : {"fr", "en"}
        Language of everything in the workbook.
    framework : Framework or str, optional
        Framework whose items are listed (default: the default framework).
    """
    _save(_build_workbook({}, lang, framework), path, lang)
