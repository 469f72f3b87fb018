"""Answers exported by a survey tool: one row per respondent, one column per question.

LimeSurvey, Framaforms, Google Forms, Sphinx and their kin export a questionnaire's answers
this way; the answers table wants one row per answer. :class:`SurveyReading` recognises
the exported shape from the columns of a sheet or CSV file and turns it into the
canonical long table *before* validation, keeping for every answer its cell as the user
sees it (the respondent's row, the question's column), so that a bad cell ("7", "bof") is
reported there.

The columns
-----------
- **A question**: the item's id (``agenda_1``) or its wording, in French or in English,
  whatever the case, accents, spaces and punctuation (see
  :func:`collective_impact.io.normalize_label`; the id also without its ``_``, as
  LimeSurvey's codes cannot hold one: ``agenda1``); a leading ``agenda_1.``, ``agenda_1:``,
  ``agenda_1 -`` or ``[agenda_1]``, or a trailing ``[agenda_1]`` (LimeSurvey's
  ``groupe[agenda_1]``), as survey tools write them, names the question by its id.
- **A column of the answers table**: territory, wave, respondent, partner and answer date,
  named as in the workbook. When there is no respondent column, the tool's response number
  (:data:`RESPONSE_NUMBER`) is the respondent's id.
- **The tool's own columns** (:data:`METADATA`: submission date, IP address, language,
  last page…): ignored.
- **Any other column**: a problem naming it, with the question it resembles when one does.

A sheet is read this way when it has no "Question" nor "Réponse" column (the long shape)
and at least one column names a question; an answers sheet in the long shape is read as
before. A sheet or CSV file under another name ("Réponses au formulaire 1",
``results-survey123456.csv``) is read this way when its columns are a survey export's.
Title rows above the column titles (Framaforms writes the form's title, then the question
groups, over two rows) are skipped when the first row names no column nor question and
one of the next two names two questions at least.

The cells
---------
A blank cell, or one of the "ne sait pas" codes (:data:`DONT_KNOW` unless others are
given; compared like labels, so ``nsp`` and ``NSP`` are one), is a missing score. The
labels of the framework's scale ("Tout à fait d'accord", "Ne sait pas / sans objet"), as
tools export full answers, are read as their score (or as missing). Anything else is
handed over as typed, and validation checks it like a cell of the long shape. A row
without any answer (a questionnaire left before its first question) gives no answer; a
respondent repeated in a territory and wave is reported once, on the respondent's cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import pandas as pd
from openpyxl.utils import get_column_letter

from collective_impact.errors import Problem
from collective_impact.framework import Framework, resolve_framework
from collective_impact.i18n import t
from collective_impact.i18n.format import format_number
from collective_impact.io.limits import MAX_ROWS
from collective_impact.io.rows import _blank, _missing_columns
from collective_impact.io.sheets import RawSheet, match_column, normalize_label
from collective_impact.schema import TABLES

__all__ = ["DONT_KNOW", "METADATA", "RESPONSE_NUMBER", "SurveyLayout", "SurveyReading"]

#: The answers meaning "ne sait pas" by default, besides a blank cell.
DONT_KNOW = ("NSP", "ne sait pas", "Je ne sais pas", "99")

#: The columns survey tools add about the submission itself, ignored (compared as labels).
METADATA = (
    # LimeSurvey, with question codes, then its French and English titles
    "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr", "refurl",
    "token", "interviewtime",
    "Date de soumission", "Dernière page", "Langue de départ", "Tête de série", "Graine", "Date de début",
    "Date de la dernière action", "Adresse IP", "URL de provenance", "URL référente", "Jeton", "Temps total",
    "Date submitted", "Last page", "Start language", "Date started", "Date last action", "IP address",
    "Referrer URL", "Token", "Total time",
    # Google Forms
    "Horodateur", "Horodatage", "Timestamp", "Adresse e-mail", "Email address", "Adresse courriel",
    # Framaforms (Drupal Webform)
    "Heure de soumission", "Heure de fin", "Heure de modification", "Soumis le", "Brouillon", "Nom d'utilisateur",
    "Utilisateur", "UID", "Submitted time", "Completed time", "Modified time", "Draft", "Username", "User",
    # Sphinx and others
    "Date de saisie", "Heure de saisie", "Durée", "Durée de saisie", "Duration", "Statut", "Status",
    "Langue", "Language", "Navigateur", "Browser",
)

#: The columns holding the tool's number of each response: the respondent's id when the
#: sheet has no respondent column, else ignored.
RESPONSE_NUMBER = ("id", "id. de la réponse", "ID de la réponse", "Identifiant de la réponse", "Response ID",
                   "Numéro de la réponse", "Serial", "SID", "Numéro", "Numéro de soumission", "Submission ID")

_METADATA = frozenset(normalize_label(name) for name in METADATA)
_RESPONSE_NUMBER = frozenset(normalize_label(name) for name in RESPONSE_NUMBER)
# "agenda_1. text", "agenda_1: text", "agenda_1) text", "agenda_1 - text"
_CODE_PREFIX = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9_-]*)\s*(?:[.:)]|\s[-–])\s*(.*)", re.DOTALL)
# "[agenda_1] text"
_BRACKET_PREFIX = re.compile(r"\s*\[([^\]]+)\]\s*(.*)", re.DOTALL)
# "groupe[agenda_1]", "wording [sub-question]"
_BRACKET_SUFFIX = re.compile(r"(.*?)\s*\[([^\]]+)\]\s*", re.DOTALL)
_ITEM_KEY = "item "  # keys of question columns in SurveyLayout.used: no column id holds a space
_RESPONDENT_COLUMNS = ("territory_id", "wave", "respondent_id")


def _names(title: str) -> list[str]:
    """The names a column title may give a question by: the title, then a code written around it."""
    names = [title]
    for pattern in (_BRACKET_PREFIX, _CODE_PREFIX):
        if match := pattern.fullmatch(title):
            names += [match.group(1), match.group(2)]
    if match := _BRACKET_SUFFIX.fullmatch(title):
        names += [match.group(2), match.group(1)]
    return [normalize_label(name) for name in names if name.strip()]


def _whole_number(value: object) -> str | None:
    """A whole number's digits (``99.0`` gives ``"99"``), ``None`` for anything else."""
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return str(int(value))
    return None


def _cell_key(value: object) -> str | None:
    """A cell as compared with the "ne sait pas" codes and the scale's labels."""
    return normalize_label(value) if isinstance(value, str) else _whole_number(value)


def _same(value: object) -> str | None:
    """A respondent's cell as compared to find a respondent given twice; ``None`` when blank."""
    if _blank(value):
        return None
    return _whole_number(value) or str(value).strip()


@dataclass(frozen=True)
class SurveyLayout:
    """What each column of a survey export is.

    Attributes
    ----------
    titles : dict
        Position → column title as written, for every titled column.
    columns : dict
        Column id of the answers table → position (its first column).
    items : dict
        Position → item id, for the columns naming a question (the first of each question).
    response_number : int or None
        Position of the tool's response number, read as the respondent's id when there is
        no respondent column.
    unknown : tuple of (int, str or None)
        Position of each unknown column, with the item it resembles (or ``None``).
    duplicates : tuple of (int, int)
        Position of each column repeating a question or a column, with the position of the first.
    """

    titles: dict[int, str]
    columns: dict[str, int]
    items: dict[int, str]
    response_number: int | None
    unknown: tuple[tuple[int, str | None], ...]
    duplicates: tuple[tuple[int, int], ...]

    @property
    def used(self) -> dict[int, str]:
        """Position → key of every column read: its column id, or ``"item "`` + the question's id."""
        used = {position: column_id for column_id, position in self.columns.items()}
        if self.response_number is not None and "respondent_id" not in self.columns:
            used[self.response_number] = "respondent_id"
        used.update((position, _ITEM_KEY + item) for position, item in self.items.items())
        return used


@dataclass(frozen=True)
class SurveyReading:
    """How to read survey exports: the framework's questions and the "ne sait pas" codes.

    Attributes
    ----------
    questions : dict
        Normalised name (id, French or English wording) → item id.
    examples : tuple of str
        A few item ids, for messages.
    scale : dict
        Normalised label of the scale → score (``None`` for "ne sait pas").
    dont_know : frozenset of str
        The normalised "ne sait pas" codes.
    max_answers : int
        Most answers one export may give (respondents × questions), as a long answers
        sheet may hold at most that many rows (:attr:`collective_impact.io.ReadLimits.rows`).
    """

    questions: Mapping[str, str]
    examples: tuple[str, ...]
    scale: Mapping[str, int | None]
    dont_know: frozenset[str]
    max_answers: int

    @classmethod
    def of(cls, framework: Framework | str | None = None, dont_know: Iterable[str] | None = None, *,
           max_answers: int = MAX_ROWS) -> SurveyReading:
        """The reading of ``framework``'s questions with ``dont_know`` codes (default :data:`DONT_KNOW`)."""
        fw = resolve_framework(framework)
        questions: dict[str, str] = {}
        for item in fw.items:
            for name in (item.id, item.text.fr, item.text.en):
                questions.setdefault(normalize_label(name), item.id)
            # LimeSurvey's codes hold letters and digits only: agenda1 for agenda_1
            questions.setdefault(normalize_label(item.id).replace(" ", ""), item.id)
        scale: dict[str, int | None] = {}
        for labels in fw.scale_labels.values():
            scale.update((normalize_label(label), fw.scale_min + i) for i, label in enumerate(labels))
        scale.update((normalize_label(label), None) for label in (fw.dont_know.fr, fw.dont_know.en))
        codes = DONT_KNOW if dont_know is None else tuple(dont_know)
        keys = frozenset(key for key in map(_cell_key, codes) if key)
        return cls(questions, tuple(item.id for item in fw.items[:3]), scale, keys, max_answers)

    def question(self, title: str) -> str | None:
        """The item id a column title names, or ``None``."""
        for name in _names(title):
            if name in self.questions:
                return self.questions[name]
        return None

    def resembling(self, title: str) -> str | None:
        """The item a title naming none obviously resembles ("agneda_2" → agenda_2), or ``None``.

        Obvious: the closest name is close (a ratio of 0.85 at least, :mod:`difflib`) and
        no name of another item comes as close ("agenda_9" is as close to agenda_1 as to
        agenda_5: nothing is suggested).
        """
        for name in _names(title):
            ratios: dict[str, float] = {}
            for known, item in self.questions.items():
                ratio = SequenceMatcher(None, name, known).ratio()
                ratios[item] = max(ratio, ratios.get(item, 0.0))
            ranked = sorted(ratios.items(), key=lambda pair: pair[1], reverse=True)
            if ranked and ranked[0][1] >= 0.85 and (len(ranked) == 1 or ranked[1][1] < ranked[0][1] - 0.05):
                return ranked[0][0]
        return None

    def recognises(self, header: Sequence[object]) -> bool:
        """Whether a row names a column of the answers table or a question in one of its cells."""
        return any(not _blank(cell) and (match_column("responses", str(cell).strip()) or self.question(str(cell).strip()))
                   for cell in header)

    def is_header(self, row: Sequence[object]) -> bool:
        """Whether a row below titles is a survey export's header: two questions at least."""
        layout = self.layout(row)
        return layout is not None and len(layout.items) >= 2

    def layout(self, header: Sequence[object]) -> SurveyLayout | None:
        """What each column of ``header`` is, or ``None`` when it is no survey export.

        ``header`` is a survey export's when it has neither the long shape's question nor
        answer column and at least one column names a question.
        """
        titles = {j: str(cell).strip() for j, cell in enumerate(header) if not _blank(cell)}
        if any(match_column("responses", title) in ("item_id", "score") for title in titles.values()):
            return None
        columns: dict[str, int] = {}
        items: dict[int, str] = {}
        first_of_item: dict[str, int] = {}
        response_number: int | None = None
        unknown: list[tuple[int, str | None]] = []
        duplicates: list[tuple[int, int]] = []
        for j, title in titles.items():
            column_id = match_column("responses", title)
            item = None if column_id else self.question(title)
            if column_id is not None:
                if column_id in columns:
                    duplicates.append((j, columns[column_id]))
                else:
                    columns[column_id] = j
            elif item is not None:
                if item in first_of_item:
                    duplicates.append((j, first_of_item[item]))
                else:
                    first_of_item[item] = j
                    items[j] = item
            elif normalize_label(title) in _RESPONSE_NUMBER:
                response_number = j if response_number is None else response_number
            elif normalize_label(title) not in _METADATA:
                unknown.append((j, self.resembling(title)))
        if not items:
            return None
        return SurveyLayout(titles, columns, items, response_number, tuple(unknown), tuple(duplicates))

    def _score(self, value: object) -> object:
        """A question's cell as the answers table's score cell: ``None`` for "ne sait pas"."""
        if _blank(value):
            return None
        key = _cell_key(value)
        if key in self.dont_know:
            return None
        if isinstance(value, str) and key in self.scale:
            return self.scale[key]
        return value

    def sheet(self, layout: SurveyLayout, file: str, sheet_name: str, header_row: int, rows: Sequence[int],
              records: Sequence[Sequence[object]], flagged: Iterable[tuple[int, str]], lang: str
              ) -> tuple[RawSheet, list[Problem]]:
        """The answers of a survey export as a raw answers sheet, one row per answer.

        Parameters
        ----------
        layout : SurveyLayout
            The export's columns (see :meth:`layout`).
        file, sheet_name : str
            Where the export is, for messages.
        header_row : int
            The row of the column titles.
        rows, records : sequence
            The spreadsheet row number and the raw values of each respondent's row.
        flagged : iterable of (int, str)
            (record position, key of :attr:`SurveyLayout.used`) of the cells already reported.
        lang : {"fr", "en"}
            Language of the messages.

        Returns
        -------
        sheet : RawSheet
            The answers table, raw: one row per answer, in the order of the respondents,
            then of the question columns. ``rows`` gives each answer its respondent's row,
            and ``cell_labels`` its question's column title for the cells "Question" and
            "Réponse".
        problems : list of Problem
            Unknown and repeated columns, missing required columns, respondents repeated;
            more answers than :attr:`max_answers` (then none is read).
        """
        problems = self._column_problems(layout, file, sheet_name, header_row, lang)
        if len(records) * len(layout.items) > self.max_answers:
            problems.append(Problem(file, sheet_name, None, None, None,
                                    t("survey.too_many_answers", lang, n=format_number(len(records), lang, decimals=0),
                                      items=format_number(len(layout.items), lang, decimals=0),
                                      limit=format_number(self.max_answers, lang, decimals=0))))
            records = rows = ()
        used = layout.used
        respondent_columns = {key: j for j, key in used.items() if not key.startswith(_ITEM_KEY)}
        present = [c.id for c in TABLES["responses"].columns if c.id in respondent_columns]
        problems += _missing_columns("responses", file, sheet_name, [*present, "item_id", "score"], lang)
        flagged_at: dict[int, set[str]] = {}
        for pos, key in flagged:
            flagged_at.setdefault(pos, set()).add(key)

        def cell(values: Sequence[object], j: int) -> object:
            return values[j] if j < len(values) else None

        data: dict[str, list] = {column_id: [] for column_id in [*present, "item_id", "score"]}
        long_rows: list[int] = []
        cell_labels: dict[tuple[int, str], str] = {}
        long_flagged: set[tuple[int, str]] = set()
        seen: dict[tuple[str, ...], int] = {}
        for pos, (row, values) in enumerate(zip(rows, records, strict=True)):
            if all(_blank(cell(values, j)) for j in layout.items):
                continue  # a questionnaire left before its first question: no answer
            respondent = tuple(_same(cell(values, respondent_columns[c]))
                               for c in _RESPONDENT_COLUMNS if c in respondent_columns)
            if len(respondent) == len(_RESPONDENT_COLUMNS) and None not in respondent:
                if respondent in seen:
                    j = respondent_columns["respondent_id"]
                    problems.append(Problem(file, sheet_name, row, layout.titles[j], str(cell(values, j)).strip(),
                                            t("survey.duplicate_respondent", lang, row=seen[respondent])))
                    continue
                seen[respondent] = row
            for j, item in layout.items.items():
                n = len(long_rows)
                long_rows.append(row)
                for column_id in present:
                    data[column_id].append(cell(values, respondent_columns[column_id]))
                    if column_id in flagged_at.get(pos, ()):
                        long_flagged.add((n, column_id))
                data["item_id"].append(item)
                data["score"].append(self._score(cell(values, j)))
                if _ITEM_KEY + item in flagged_at.get(pos, ()):
                    long_flagged.add((n, "score"))
                cell_labels[(n, "item_id")] = cell_labels[(n, "score")] = layout.titles[j]
        frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in data.items()},
                             index=pd.RangeIndex(len(long_rows)))
        labels = {column_id: layout.titles[respondent_columns[column_id]] for column_id in present}
        sheet = RawSheet("responses", file, sheet_name, frame, tuple(long_rows), labels, frozenset(long_flagged),
                         cell_labels)
        return sheet, problems

    def _column_problems(self, layout: SurveyLayout, file: str, sheet_name: str, header_row: int,
                         lang: str) -> list[Problem]:
        """Unknown columns (with the question they resemble) and columns given twice."""
        problems: list[Problem] = []
        table = TABLES["responses"]
        expected = ", ".join(c.label(lang) for c in table.columns if c.id not in ("item_id", "score"))
        for j, item in layout.unknown:
            if item is None:
                message = t("survey.unknown_column", lang, examples=", ".join(self.examples), expected=expected,
                            sheet=t("io.items_sheet", lang))
            else:
                message = t("survey.unknown_column_like", lang)
            problems.append(Problem(file, sheet_name, None, layout.titles[j], None, message, suggestion=item))
        for j, first in layout.duplicates:
            problems.append(Problem(file, sheet_name, None, layout.titles[j], None,
                                    t("survey.duplicate_column", lang, other=get_column_letter(first + 1),
                                      row=header_row)))
        return problems
