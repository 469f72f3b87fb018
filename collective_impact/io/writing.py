"""Writing workbooks: canonical tables to a workbook that reads back the same, and the blank template.

Header labels, drop-down validation for coded columns, an instructions sheet and the
framework's items; written atomically, byte-identical for the same tables.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from collections.abc import Mapping, Sequence
from io import BytesIO

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from collective_impact.files import atomic_path
from collective_impact.i18n import check_lang, t
from collective_impact.io.sheets import PathLike
from collective_impact.schema import CODES, TABLE_ORDER, TABLES, Column, Table

# The template's data validations and column formats reach down to this row.
_LAST_ROW = 1_048_576
_INLINE_LIST_MAX = 255  # Excel's limit on the text of an inline drop-down list
_DATE_FORMAT = "DD/MM/YYYY"
# A fixed time stamp makes two writes of the same tables byte-identical.
_FIXED_TIME = dt.datetime(2020, 1, 1)


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
