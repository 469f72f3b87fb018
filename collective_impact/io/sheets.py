"""Names of tables, sheets and columns: matched leniently, and a sheet that is no table named as such.

The canonical id, the French label or the English label, whatever the case, accents,
spaces, ``_`` or ``-`` (:func:`normalize_label`); :class:`RawSheet` is what reading gives
for one sheet or CSV file recognised as a table.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches

import pandas as pd

from collective_impact.errors import Problem
from collective_impact.i18n import t
from collective_impact.schema import TABLE_ORDER, TABLES, Table

PathLike = str | os.PathLike


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


def _not_a_table(display: str, name: str, lang: str, problems: list[Problem]) -> None:
    """A sheet or CSV file read as no table: a problem when its name looks like a table's
    without being one (e.g. « Réponses (copie) »), else nothing."""
    unknown = _unknown_sheet(display, name, lang)
    if unknown is not None:
        problems.append(unknown)
