"""Reading CSV files and folders: the encoding and the delimiter guessed, one file per table."""

from __future__ import annotations

import csv
import re
from dataclasses import replace
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING

from collective_impact.errors import Problem
from collective_impact.i18n import t
from collective_impact.i18n.format import format_number
from collective_impact.io.limits import ReadLimits, _file_too_big, _limited, _TooManyRowsError
from collective_impact.io.rows import _build_sheet
from collective_impact.io.sheets import RawSheet, _expected_tables, _not_a_table, match_table

if TYPE_CHECKING:
    from collective_impact.io.survey import SurveyReading


_CSV_SUFFIXES = {".csv", ".txt"}


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
