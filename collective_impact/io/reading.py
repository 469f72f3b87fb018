"""Reading files: each path to its reader (workbook, CSV file or folder), every sheet and problem collected."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from collective_impact.errors import Problem
from collective_impact.i18n import check_lang, t
from collective_impact.io.csv_files import _CSV_SUFFIXES, _read_csv_file, _read_csv_folder
from collective_impact.io.limits import DEFAULT_LIMITS, ReadLimits
from collective_impact.io.sheets import PathLike, RawSheet, _expected_tables, match_table
from collective_impact.io.workbooks import _EXCEL_SUFFIXES, _read_workbook


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
        What reading one file may cost (default: the constants of :mod:`collective_impact.io.limits`).
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
    # survey builds on the package's other modules (sheets, rows, limits): imported once they are complete
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
